"""The header under attack: someone with brief access edits its plaintext fields.

Each fixed field is either detected at the next unlock (nothing written, a clear error) or
harmless (the vault opens as before, or refuses to open without losing anything). Offsets are
those of docs/architecture.md (the same in both header formats).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from halqa import places
from halqa.errors import InvalidInput, VaultCorrupt, WrongPassphrase
from halqa.vault import TEST_KDF, KdfParams, Vault
from halqa.vault.store import HEADER_FILE

from ..conftest import PASSPHRASE

DURESS = "the river is calm today"


def _poke(path: Path, offset: int, value: int) -> bytes:
    header = path / HEADER_FILE
    good = header.read_bytes()
    data = bytearray(good)
    data[offset:offset + 4] = struct.pack("<I", value)
    header.write_bytes(bytes(data))
    return good


def _files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.fixture
def closed(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    vault.set_duress(DURESS)
    vault.close()
    return vault_path


def test_raising_wipe_after_is_detected_and_writes_nothing(closed):
    """The booby trap of issue 14: wipe_after=1 set by someone without a passphrase."""
    _poke(closed, 20, 1)
    before = _files(closed)
    with pytest.raises(VaultCorrupt) as err:
        Vault.open(closed, PASSPHRASE)
    assert err.value.msg_id == "error.header_tampered"
    assert _files(closed) == before
    # the duress passphrase sees the same: nothing tells it apart from the real one
    with pytest.raises(VaultCorrupt):
        Vault.open(closed, DURESS)
    assert _files(closed) == before


def test_turning_wipe_off_is_detected(vault, vault_path):
    vault.set_wipe_after(5)
    vault.close()
    _poke(vault_path, 20, 0)
    with pytest.raises(VaultCorrupt, match="changed"):
        Vault.open(vault_path, PASSPHRASE)


@pytest.mark.parametrize("offset,value", [(8, 2), (12, 16 * 1024), (16, 2), (32, 0x41414141), (44, 7)])
def test_kdf_or_salt_changed_opens_nothing_and_loses_nothing(closed, offset, value):
    """A changed KDF parameter or salt derives another key: no slot opens (as for a wrong
    passphrase), nothing is written, and putting the bytes back restores the vault."""
    good = _poke(closed, offset, value)
    before = _files(closed)
    with pytest.raises((WrongPassphrase, VaultCorrupt)):
        Vault.open(closed, PASSPHRASE)
    assert _files(closed) == before
    (closed / HEADER_FILE).write_bytes(good)
    with Vault.open(closed, PASSPHRASE) as v:
        assert places.areas(v)[0].code == "NKH"


def test_absurd_kdf_is_refused_before_any_work(closed):
    _poke(closed, 12, 64 * 1024 * 1024)  # 64 GiB of memory: refused, not attempted
    with pytest.raises(VaultCorrupt):
        Vault.open(closed, PASSPHRASE)


def test_failure_counter_tampering_is_harmless_to_the_right_passphrase(closed):
    _poke(closed, 24, 999)
    with Vault.open(closed, PASSPHRASE) as v:
        assert v.header.failures == 0
    Vault.open(closed, DURESS).close()


@pytest.mark.parametrize("bits", [0, 0b111])
def test_restored_bits_tampering_is_harmless(closed, bits):
    _poke(closed, 28, bits)
    with Vault.open(closed, PASSPHRASE) as v:
        seq = int(v.meta("seq"))
        places.add_area(v, "SUQ", "السوق")
        assert int(v.meta("seq")) == seq + 1
        assert (seq >= 1 << 32) == bool(bits)  # set: the sequence skips ahead, which is safe


def test_tag_and_magic_changes_are_detected(closed):
    good = _poke(closed, 48, 0)
    with pytest.raises(VaultCorrupt):
        Vault.open(closed, PASSPHRASE)
    (closed / HEADER_FILE).write_bytes(b"HALQAV9\0" + good[8:])
    with pytest.raises(VaultCorrupt):
        Vault.open(closed, PASSPHRASE)


def test_key_holders_change_settings_without_breaking_each_other(closed):
    """The tag is keyed by a key every database holds: the real vault's setting change keeps
    the duress passphrase working and the other way round."""
    with Vault.open(closed, PASSPHRASE) as v:
        v.set_wipe_after(7)
    with Vault.open(closed, DURESS) as d:
        assert d.header.wipe_after == 7
        d.set_wipe_after(0)
    with Vault.open(closed, PASSPHRASE) as v:
        assert v.header.wipe_after == 0


def test_kdf_floor():
    KdfParams().check_floor()
    KdfParams(3, 64 * 1024, 1).check_floor()
    for weak in (KdfParams(1, 1024, 1), KdfParams(2, 64 * 1024, 1), KdfParams(3, 32 * 1024, 4), TEST_KDF):
        with pytest.raises(InvalidInput):
            weak.check_floor()


def test_init_refuses_a_weak_kdf(cli, monkeypatch):
    monkeypatch.delenv("HALQA_INSECURE_TEST_KDF")
    code, out = cli("--json", "init", "--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1")
    assert code == 2
    assert '"error.kdf_below_floor"' in out


# ---------------------------------------------------------------------------- the first format
def _legacy_vault(path: Path) -> None:
    """A vault as the first format wrote it: 1,072-byte header with role bytes in 64-byte slot
    plaintexts, the decoy's key inside the real database, ``decoy_db`` naming the decoy's file."""
    import os

    from nacl import bindings as sodium
    from nacl.signing import SigningKey

    from halqa.vault.keyslots import _FIXED_V1, _PLAIN_V1, MAGIC_V1, SLOT_COUNT, SLOT_SIZE, _slot_key, derive_kek
    from halqa.vault.migrations import migrate
    from halqa.vault.store import DB_FILES, _connect

    path.mkdir()
    salt, kek = os.urandom(16), None
    kek = derive_kek(PASSPHRASE, salt, TEST_KDF)
    duress_kek = derive_kek(DURESS, salt, TEST_KDF)
    real_key, decoy_key = os.urandom(32), os.urandom(32)
    slots = [os.urandom(SLOT_SIZE) for _ in range(SLOT_COUNT)]
    for idx, key, extra, meta, slot, role, k in (
            (0, real_key, {"decoy_key": decoy_key}, {"slot": 3, "decoy_slot": 5, "decoy_db": 1}, 3, 1, kek),
            (1, decoy_key, {}, {"slot": 5, "decoy_slot": 6, "decoy_db": 1}, 5, 2, duress_kek)):
        conn = _connect(path / DB_FILES[idx], key)
        migrate(conn, "2025-01-01T00:00:00+00:00")
        device = SigningKey.generate()
        conn.execute("INSERT INTO devices (pubkey, label, local) VALUES (?, 'this device', 1)", (bytes(device.verify_key),))
        conn.executemany("INSERT INTO secrets VALUES (?, ?)",
                         {"signing_key": bytes(device), "x25519_key": os.urandom(32), **extra}.items())
        conn.executemany("INSERT INTO meta VALUES (?, ?)", {"created": "2025-01-01T00:00:00+00:00",
                                                            "vault_id": os.urandom(8).hex(), "hlc": 0, "seq": 0,
                                                            **meta}.items())
        conn.close()
        nonce = os.urandom(24)
        plain = _PLAIN_V1.pack(1, role, idx, 0, 0xFF, b"\0" * 3, key, b"\0" * 24)
        sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, MAGIC_V1 + bytes([slot]), nonce,
                                                                    _slot_key(k, slot))
        slots[slot] = (nonce + sealed).ljust(SLOT_SIZE, b"\x5a")
    fixed = _FIXED_V1.pack(MAGIC_V1, TEST_KDF.time_cost, TEST_KDF.memory_kib, TEST_KDF.lanes, 0, 0, 0, salt)
    (path / HEADER_FILE).write_bytes(fixed + b"".join(slots))


def test_first_format_vault_opens_and_is_rewritten(tmp_path):
    from halqa.vault.keyslots import HEADER_SIZE, MAGIC
    from halqa.vault.store import DB_FILES

    path = tmp_path / "old.halqa"
    _legacy_vault(path)
    with Vault.open(path, PASSPHRASE) as v:
        places.add_area(v, "ZZZ", "سري")
        assert v.query_one("SELECT 1 FROM secrets WHERE name = 'decoy_key'") is None
        assert v.meta("decoy_db") is None and v.meta("spare_slot") == 5
    header = (path / HEADER_FILE).read_bytes()
    assert header[:8] == MAGIC and len(header) == HEADER_SIZE
    assert sorted(p.name for p in path.iterdir()) == sorted([HEADER_FILE, *DB_FILES])
    # the old duress slot still opens its decoy, which the real vault now keeps alive
    with Vault.open(path, DURESS) as d:
        assert d.meta("decoy_db") is None and d.count_events() > 0
        assert "ZZZ" not in {a.code for a in places.areas(d)}
    with Vault.open(path, PASSPHRASE) as v:
        assert places.areas(v)[0].code == "ZZZ"
        v.set_wipe_after(4)
    _poke(path, 20, 1)
    with pytest.raises(VaultCorrupt):
        Vault.open(path, PASSPHRASE)
