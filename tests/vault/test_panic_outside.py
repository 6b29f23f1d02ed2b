"""Panic leaves nothing halqa made: files it wrote outside the databases are listed and shredded."""

from __future__ import annotations

from pathlib import Path

from halqa.vault import Vault
from halqa.vault.outside import OUTBOX, listed_files, remember

from ..conftest import PASSPHRASE

FAST = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1"]


def test_remember_places_relative_paths_in_the_vault_and_lists_them(vault, vault_path, tmp_path):
    inside = remember(vault, "notes/voice.ogg", "voice_note")
    outside = remember(vault, tmp_path / "identity.txt", "age_identity")
    assert inside == (vault_path / OUTBOX / "notes" / "voice.ogg").resolve()
    assert outside == (tmp_path / "identity.txt").resolve()
    vault.close()
    assert set(listed_files(vault_path, PASSPHRASE)) == {inside, outside}
    assert listed_files(vault_path, "not the passphrase") == []


def test_panic_shreds_listed_files_after_the_keys(cli, vault_path, tmp_path):
    assert cli("init", *FAST)[0] == 0
    assert cli("backup", "-o", "weekly.bak")[0] == 0  # relative: the vault's output folder
    away = tmp_path / "elsewhere" / "copy.bak"
    away.parent.mkdir()
    assert cli("backup", "-o", str(away))[0] == 0
    assert (vault_path / OUTBOX / "weekly.bak").is_file() and away.is_file()
    unrelated = tmp_path / "elsewhere" / "mine.txt"
    unrelated.write_text("not halqa's")
    assert cli("--yes", "panic")[0] == 0
    assert not vault_path.exists()
    assert not away.exists(), "a backup written outside the vault survived panic"
    assert unrelated.read_text() == "not halqa's"


def test_panic_without_a_passphrase_still_removes_the_output_folder(cli, vault_path, tmp_path, monkeypatch):
    assert cli("init", *FAST)[0] == 0
    assert cli("backup", "-o", "weekly.bak")[0] == 0
    away = tmp_path / "copy.bak"
    assert cli("backup", "-o", str(away))[0] == 0
    monkeypatch.delenv("HALQA_PASSPHRASE")
    assert cli("--yes", "panic")[0] == 0
    assert not vault_path.exists()
    assert away.exists()  # what panic cannot reach without the list (docs/threat-model.md)


def test_listed_files_survive_reopening_and_a_decoy_lists_its_own(vault, vault_path, tmp_path):
    vault.set_duress("the river is calm today")
    remember(vault, tmp_path / "bundle.age", "bundle")
    vault.close()
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert v.query_one("SELECT kind FROM outside_files")[0] == "bundle"
    assert listed_files(vault_path, "the river is calm today") == []


def test_an_open_vault_panics_with_its_list_and_without_upkeep(vault, vault_path, tmp_path, monkeypatch):
    away = remember(vault, tmp_path / "voice.ogg", "voice_note")
    away.write_bytes(b"decrypted voice")
    monkeypatch.setattr("halqa.vault.decoy.after_close", lambda v: (_ for _ in ()).throw(AssertionError("upkeep")))
    vault.panic()
    assert not vault_path.exists() and not away.exists()
    vault.close()  # closing after panic is harmless


def test_panic_removes_what_sync_qr_and_unqr_wrote(cli, vault_path, tmp_path):
    """QR codes of a bundle and the bundle scanned back are the bundle: panic must find them."""
    import json
    import os

    assert cli("init", *FAST)[0] == 0
    bundle = tmp_path / "a.age"
    bundle.write_bytes(os.urandom(300))
    away = tmp_path / "elsewhere"
    code, out = cli("sync", "qr", str(bundle), "-o", str(away / "codes"), "--json")
    assert code == 0, out
    pngs = [Path(p) for p in json.loads(out)["files"]]
    code, out = cli("sync", "qr", str(bundle), "-o", "codes", "--json")  # relative: the output folder
    assert code == 0, out
    inside = [Path(p) for p in json.loads(out)["files"]]
    assert all(p.is_relative_to(vault_path.resolve() / OUTBOX) for p in inside)
    code, out = cli("sync", "unqr", *map(str, pngs), "-o", str(away / "back.age"), "--json")
    assert code == 0, out
    assert (away / "back.age").read_bytes() == bundle.read_bytes() and pngs and all(p.is_file() for p in pngs)
    bundle.unlink()  # the user's own file: not halqa's to remove
    assert cli("--yes", "panic")[0] == 0
    assert not vault_path.exists()
    assert [p for p in (*pngs, away / "back.age") if p.exists()] == [], "QR codes or a scanned bundle survived panic"
    assert (away / "codes").is_dir()  # a folder someone pointed the codes at is left, emptied of ours


def test_sync_qr_without_a_vault_writes_where_told(cli, vault_path, tmp_path):
    import json
    import os

    assert not vault_path.exists()
    bundle = tmp_path / "a.age"
    bundle.write_bytes(os.urandom(300))
    code, out = cli("sync", "qr", str(bundle), "-o", str(tmp_path / "codes"), "--json")
    assert code == 0, out
    assert all(Path(p).parent == tmp_path / "codes" for p in json.loads(out)["files"])
    assert not vault_path.exists()
