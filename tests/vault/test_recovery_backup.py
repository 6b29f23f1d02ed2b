"""Recovery shares, backup and restore, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa import places
from halqa.errors import InvalidInput, VaultCorrupt, WrongPassphrase
from halqa.vault import Share, Vault, backup, combine, restore, split
from halqa.vault.recovery import recover
from halqa.vault.store import HEADER_FILE

from ..conftest import PASSPHRASE, new_vault

# Known answer: shares of bytes(range(32)) made once by halqa 0.1 and kept here, so that a
# change of library or encoding that would strand the shares people already hold is caught.
KAT_SHARES = [
    "halqa1-00112233aabbccdd-2-1-VA3OEF7636HOZWOFJEUTTXNVYTKHUWVYMFH2Y34GMQCFYWE3YOUA-5f78",
    "halqa1-00112233aabbccdd-2-2-KBXMEKXRWAL5BK4RRRHWPLDZD2MMPA2F72QGFZRE4MTJLFIQUX3A-24e3",
    "halqa1-00112233aabbccdd-2-3-7BMSEPQLNKPTW6S5Z5WVE7GC2VOKZS7ORP5NRHV2TY4NFUMWPBAQ-8887",
]


@settings(max_examples=40, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), n=st.integers(2, 9), data=st.data())
def test_any_k_of_n_shares_rebuild_the_key(secret, n, data):
    k = data.draw(st.integers(2, n))
    shares = split(secret, n, k, "abcd1234abcd1234")
    chosen = data.draw(st.permutations(shares))[:k]
    decoded = [Share.decode(s.encode()) for s in chosen]
    assert combine(decoded) == ("abcd1234abcd1234", secret)
    if k > 2:
        with pytest.raises(InvalidInput):
            combine(decoded[: k - 1])


@pytest.mark.parametrize("pair", [(0, 1), (1, 2), (2, 0)])
def test_known_answer_combine(pair):
    shares = [Share.decode(KAT_SHARES[i]) for i in pair]
    assert combine(shares) == ("00112233aabbccdd", bytes(range(32)))


def test_share_typo_is_caught():
    share = split(os.urandom(32), 3, 2, "abcd1234abcd1234")[0].encode()
    typo = share[:-10] + ("A" if share[-10] != "A" else "B") + share[-9:]
    with pytest.raises(InvalidInput):
        Share.decode(typo)
    with pytest.raises(InvalidInput):
        Share.decode("hello")


def test_recovery_after_duress_destroyed_the_real_slot(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    shares = split(vault.master_key, 5, 3, vault.meta("vault_id"))
    vault.set_duress("checkpoint phrase", destroy=True)
    vault.close()
    Vault.open(vault_path, "checkpoint phrase").close()
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)
    vault_id, key = combine([shares[0], shares[3], shares[4]])
    with Vault.open_with_key(vault_path, key) as v:
        assert v.meta("vault_id") == vault_id
        v.restore_slot("after the checkpoint")
    with Vault.open(vault_path, "after the checkpoint") as v:
        assert places.areas(v)[0].code == "NKH"


def test_backup_restore_round_trip(vault, vault_path, tmp_path):
    places.add_area(vault, "NKH", "حي النخيل")
    vault.set_duress("decoy phrase words")
    size = backup(vault, tmp_path / "b.bak")
    vault.close()
    assert size == (tmp_path / "b.bak").stat().st_size
    restore(tmp_path / "b.bak", tmp_path / "restored.halqa")
    with Vault.open(tmp_path / "restored.halqa", PASSPHRASE) as v:
        assert places.areas(v)[0].code == "NKH"
        assert v.digests() == v.rebuild()
    Vault.open(tmp_path / "restored.halqa", "decoy phrase words").close()
    with pytest.raises(InvalidInput):
        restore(tmp_path / "b.bak", tmp_path / "restored.halqa")  # never over an existing vault


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_damaged_backup_writes_nothing(vault, tmp_path, damage):
    backup(vault, tmp_path / "b.bak")
    data = bytearray((tmp_path / "b.bak").read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 1000]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x40
    else:
        data = bytearray()
    (tmp_path / "b.bak").write_bytes(bytes(data))
    with pytest.raises(VaultCorrupt):
        restore(tmp_path / "b.bak", tmp_path / "r.halqa")
    assert not (tmp_path / "r.halqa").exists()
    assert not (tmp_path / "r.halqa.restoring").exists()


CHILD = textwrap.dedent("""
    import sys
    from halqa import domains
    from halqa.places import HouseholdPut
    from halqa.vault import Vault
    domains.load()
    v = Vault.open(sys.argv[1], sys.argv[2])
    n = 0
    while True:
        with v.transaction() as tx:
            for i in range(200):
                tx.append("household.put", HouseholdPut(id=f"hh-{n + i}", area="NKH"))
        n += 200
        print(n, flush=True)
""")


def test_kill_minus_nine_loses_nothing_committed(vault, vault_path):
    vault.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(vault_path), PASSPHRASE],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(Path("src").resolve())})
    committed = 0
    try:
        for line in child.stdout:
            committed = int(line)
            if committed >= 2000:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert committed >= 2000
    assert (vault_path / HEADER_FILE).exists()
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert [r[0] for r in v.conn.execute("PRAGMA integrity_check")] == ["ok"]
        n = v.count_events()
        assert n >= committed and n % 200 == 0, "only whole transactions survive"
        assert v.query_one("SELECT count(*) FROM household")[0] == n
        assert v.digests() == v.rebuild()


def test_recover_sets_a_new_passphrase_and_asks_only_for_the_right_vault(vault, tmp_path):
    shares = [s.encode() for s in split(vault.master_key, 3, 2, vault.meta("vault_id"))]
    path = vault.path
    vault.close()
    other = new_vault(tmp_path, "other")
    other.close()
    asked: list[str] = []
    with pytest.raises(WrongPassphrase) as err:  # another vault's key opens none of its files
        recover(other.path, shares[:2], lambda: asked.append("x") or "never used")
    assert err.value.msg_id == "error.share_wrong_vault" and asked == []
    recover(path, shares[1:], lambda: "a new passphrase for the vault")
    with Vault.open(path, "a new passphrase for the vault") as back:
        assert back.meta("vault_id")
