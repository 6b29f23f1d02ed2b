"""Passphrases, duress, panic, wipe-after-failures, indistinguishability."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from halqa import places
from halqa.errors import InvalidInput, VaultCorrupt, VaultMissing, WrongPassphrase
from halqa.vault import TEST_KDF, Vault, panic
from halqa.vault.keyslots import HEADER_SIZE, SLOT_COUNT, SLOT_SIZE, Header
from halqa.vault.store import DB_FILES, HEADER_FILE
from tests.conftest import new_vault

from ..conftest import PASSPHRASE

DURESS = "the river is calm today"


def snapshot(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def test_create_and_reopen(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل", "Palm")
    vault.close()
    with Vault.open(vault_path, PASSPHRASE) as again:
        assert places.areas(again)[0].name_ar == "حي النخيل"
        assert again.info()["events"] == 1


def test_layout_is_fixed(vault, vault_path):
    assert sorted(p.name for p in vault_path.iterdir()) == sorted([HEADER_FILE, *DB_FILES])
    assert (vault_path / HEADER_FILE).stat().st_size == HEADER_SIZE == 64 + SLOT_COUNT * SLOT_SIZE


def test_wrong_passphrase_changes_nothing(vault, vault_path):
    vault.close()
    before = snapshot(vault_path)
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, "not the passphrase")
    assert snapshot(vault_path) == before


def test_missing_and_not_a_vault(tmp_path):
    with pytest.raises(VaultMissing):
        Vault.open(tmp_path / "nothing", PASSPHRASE)
    (tmp_path / "plain").mkdir()
    with pytest.raises(VaultCorrupt):
        Vault.open(tmp_path / "plain", PASSPHRASE)


def test_create_refuses_existing(vault_path, vault):
    with pytest.raises(InvalidInput):
        Vault.create(vault_path, PASSPHRASE, TEST_KDF)


def test_passwd_rewraps_only_the_slot(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    db_before = {n: h for n, h in snapshot(vault_path).items() if n != HEADER_FILE}
    vault.change_passphrase("a brand new passphrase")
    vault.close()
    assert {n: h for n, h in snapshot(vault_path).items() if n != HEADER_FILE} == db_before
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)
    with Vault.open(vault_path, "a brand new passphrase") as v:
        assert v.info()["events"] == 1


def test_duress_opens_decoy_without_real_data(vault, vault_path):
    places.add_area(vault, "ZZZ", "سري", "secret area")
    vault.set_duress(DURESS)
    real_id = vault.meta("vault_id")
    vault.close()
    with Vault.open(vault_path, DURESS) as decoy:
        info = decoy.info()
        assert info["vault_id"] == real_id, "one vault, one id: recovery shares name it"
        assert info["events"] > 0, "a decoy must look used, not empty"
        assert all(a.code != "ZZZ" for a in places.areas(decoy))
        assert set(info) == set(Vault.open(vault_path, PASSPHRASE).info())
    # without --destroy the real vault still opens
    with Vault.open(vault_path, PASSPHRASE) as real:
        assert any(a.code == "ZZZ" for a in places.areas(real))


def test_duress_destroy_shreds_real_slot(vault, vault_path):
    vault.set_duress(DURESS, destroy=True)
    vault.close()
    Vault.open(vault_path, DURESS).close()
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)
    # the decoy keeps working, as it would for whoever forced it open
    Vault.open(vault_path, DURESS).close()


def test_duress_cannot_reuse_real_passphrase(vault):
    with pytest.raises(InvalidInput):
        vault.set_duress(PASSPHRASE)


def test_duress_inside_decoy_never_touches_real_slot(vault, vault_path):
    vault.set_duress(DURESS)
    vault.close()
    with Vault.open(vault_path, DURESS) as decoy:
        decoy.set_duress("a second duress phrase")
    Vault.open(vault_path, PASSPHRASE).close()
    Vault.open(vault_path, "a second duress phrase").close()


def test_with_and_without_duress_indistinguishable(tmp_path):
    """Same files, same sizes, same header structure: only random-looking slot bytes differ."""
    a = new_vault(tmp_path, "a")
    b = new_vault(tmp_path, "b")
    sizes_before = {n: (tmp_path / "b.halqa" / n).stat().st_size for n in (HEADER_FILE, *DB_FILES)}
    b.set_duress(DURESS, destroy=True)
    a.close()
    b.close()
    ha, hb = (Header.read(tmp_path / n / HEADER_FILE) for n in ("a.halqa", "b.halqa"))
    for name in (HEADER_FILE, *DB_FILES):
        assert (tmp_path / "b.halqa" / name).stat().st_size == sizes_before[name]
    assert sorted(p.name for p in (tmp_path / "a.halqa").iterdir()) == sorted(p.name for p in (tmp_path / "b.halqa").iterdir())
    assert (ha.kdf, ha.wipe_after, ha.failures, len(ha.slots)) == (hb.kdf, hb.wipe_after, hb.failures, len(hb.slots))
    assert all(len(s) == SLOT_SIZE for s in ha.slots + hb.slots)
    # every slot of both headers passes the same crude randomness check (no zero runs, no structure)
    for slot in ha.slots + hb.slots:
        assert b"\0\0\0\0" not in slot and len(set(slot)) > 80


def test_panic_removes_the_vault(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    vault.close()
    panic(vault_path)
    assert not vault_path.exists()
    with pytest.raises(VaultMissing):
        Vault.open(vault_path, PASSPHRASE)


def test_panic_destroys_keys_before_files(vault, vault_path, monkeypatch):
    """Interrupt panic right after its first step: the data must already be unreadable."""
    vault.close()

    class Interrupted(Exception):
        pass

    def stop(*_a, **_k):
        raise Interrupted

    monkeypatch.setattr(Path, "unlink", stop)
    monkeypatch.setattr("shutil.rmtree", stop)
    real_open = open
    calls = []

    def counting_open(file, mode="r", *a, **k):
        if "+" in mode:
            calls.append(Path(file).name)
            if len(calls) > 1:
                raise Interrupted
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr("builtins.open", counting_open)
    with pytest.raises(Interrupted):
        panic(vault_path)
    monkeypatch.undo()
    assert calls[0] == HEADER_FILE
    assert all((vault_path / n).exists() for n in DB_FILES), "files still there, as if interrupted"
    with pytest.raises((WrongPassphrase, VaultCorrupt)):
        Vault.open(vault_path, PASSPHRASE)


def test_wipe_after_failures(vault, vault_path):
    vault.set_wipe_after(3)
    vault.close()
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            Vault.open(vault_path, "wrong guess")
    Vault.open(vault_path, PASSPHRASE).close()  # success resets the count
    for _ in range(3):
        with pytest.raises((WrongPassphrase, VaultMissing)):
            Vault.open(vault_path, "wrong guess")
    assert not vault_path.exists()


def test_corrupted_header_and_database(vault, vault_path):
    places.add_area(vault, "NKH", "حي النخيل")
    vault.close()
    header = vault_path / HEADER_FILE
    good = header.read_bytes()
    header.write_bytes(good[:100])
    with pytest.raises(VaultCorrupt):
        Vault.open(vault_path, PASSPHRASE)
    assert header.read_bytes() == good[:100], "a damaged vault is never overwritten"
    header.write_bytes(good)
    # find the real database: the one that changes when we write
    for name in DB_FILES:
        db = vault_path / name
        data = bytearray(db.read_bytes())
        original = bytes(data)
        db.write_bytes(bytes(data[: len(data) // 2]))  # truncated
        try:
            Vault.open(vault_path, PASSPHRASE).close()
            truncated_opened = True
        except VaultCorrupt:
            truncated_opened = False
            assert db.read_bytes() == original[: len(original) // 2]
        db.write_bytes(original)
        if not truncated_opened:
            data[5000] ^= 0xFF  # one flipped bit inside page 2
            db.write_bytes(bytes(data))
            with pytest.raises(VaultCorrupt):
                with Vault.open(vault_path, PASSPHRASE) as v:
                    v.query("SELECT * FROM events")
                    list(v.conn.execute("PRAGMA cipher_integrity_check"))
                    raise VaultCorrupt()
            db.write_bytes(original)
            break
    else:
        pytest.fail("no database refused a truncation")
    Vault.open(vault_path, PASSPHRASE).close()


def test_decoy_file_keeps_up_with_the_real_one(vault, vault_path):
    """Whoever opens the decoy must not find it dwarfed by the file they were not given."""
    from halqa.places import HouseholdPut

    vault.set_duress(DURESS)
    with vault.transaction() as tx:
        for i in range(20_000):
            tx.append("household.put", HouseholdPut(id=f"hh-{i:05d}", area="NKH", size=i % 9))
    real_db = vault_path / DB_FILES[vault._content.db_index]
    decoy_db = vault_path / DB_FILES[vault._content.peer_index]
    assert real_db.stat().st_size > 2 * decoy_db.stat().st_size  # before closing
    vault.close()
    sizes = {n: (vault_path / n).stat().st_size for n in DB_FILES}
    assert min(sizes.values()) >= real_db.stat().st_size
    with Vault.open(vault_path, DURESS) as decoy:
        # no trace of the padding: the same tables and metadata keys as before
        assert decoy.meta("~") is None
        assert decoy.query_one("SELECT count(*) FROM household")[0] < 1000
        assert [r[0] for r in decoy.conn.execute("PRAGMA integrity_check")] == ["ok"]
        # it kept up by content (a harmless import of its own), not by empty pages
        free = decoy.conn.execute("PRAGMA freelist_count").fetchone()[0]
        assert free < 0.1 * decoy.conn.execute("PRAGMA page_count").fetchone()[0]
    Vault.open(vault_path, PASSPHRASE).close()


def test_a_decoy_that_outgrows_the_real_file_pads_it_harmlessly(vault, vault_path, cli):
    """Whoever holds the decoy may write a lot to it; its close then extends the real file (which
    it cannot open) with random bytes. The real vault opens, keeps its data and checks clean."""
    from halqa.places import HouseholdPut

    places.add_area(vault, "ZZZ", "سري")
    vault.set_duress(DURESS)
    real_db = vault_path / DB_FILES[vault._content.db_index]
    vault.close()
    before = real_db.stat().st_size
    with Vault.open(vault_path, DURESS) as decoy:
        with decoy.transaction() as tx:
            for i in range(5_000):
                tx.append("household.put", HouseholdPut(id=f"hh-{i:05d}", area="NKH", size=i % 9))
    assert real_db.stat().st_size > before
    assert len({(vault_path / n).stat().st_size for n in DB_FILES}) == 1
    assert cli("unlock")[0] == 0  # the padding past the last page is not reported as damage
    with Vault.open(vault_path, PASSPHRASE) as real:
        assert places.areas(real)[0].code == "ZZZ"
        places.add_area(real, "SUQ", "السوق")  # and it grows over the padding
        assert [r[0] for r in real.conn.execute("PRAGMA integrity_check")] == ["ok"]
