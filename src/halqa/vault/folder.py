"""The vault folder on disk: its file names, the header read and counted, damage named, old
layouts upgraded, files written with random bytes or given a time, and panic.

Apart from :mod:`halqa.vault.store` (an open vault) because these work on the files whether or
not a vault is open: backup, restore, the decoy and panic use them too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlcipher3

from halqa.errors import VaultCorrupt, VaultMissing
from halqa.vault.keyslots import (
    Header,
    SlotContent,
)
from halqa.vault.storage.sqlcipher import PAGE_SIZE
from halqa.vault.storage.sqlcipher import connect as _connect

__all__ = ["DB_FILES", "HEADER_FILE", "panic", "read_header"]

HEADER_FILE = "header"
DB_FILES = ("a.db", "b.db", "c.db")


# ---------------------------------------------------------------------- file helpers
def _damaged(conn: Any, db: Path) -> VaultCorrupt:
    """The error for a database whose pages fail their HMAC (bit rot, a bad sector, tampering),
    naming the file and the pages; closes ``conn``. Pages past the database's end are the random
    padding a close adds, never read, and are not named."""
    pages: list[int] = []
    try:
        count = conn.execute("PRAGMA page_count").fetchone()[0]
    except sqlcipher3.DatabaseError:
        count = None
    try:
        for (line,) in conn.execute("PRAGMA cipher_integrity_check"):
            word = str(line).rsplit(" ", 1)[-1]
            if str(line).startswith("HMAC verification failed") and word.isdigit() and (count is None or int(word) <= count):
                pages.append(int(word))
    except sqlcipher3.DatabaseError:
        pass
    finally:
        conn.close()
    if count is None:  # the schema is unreadable, so is the end of the data: name the first only
        pages = pages[:1]
    if not pages:
        return VaultCorrupt("error.corrupt")
    return VaultCorrupt("error.corrupt_pages", file=db.name, pages=", ".join(map(str, pages[:10])))


def _keyed(db: Path, key: bytes) -> Any:
    """A bare connection with the key set and nothing read, for the page check of a database
    whose first pages fail."""
    conn = sqlcipher3.connect(str(db), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
    return conn


def _read_secret(conn: Any, name: str) -> bytes:
    row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise VaultCorrupt("error.corrupt")
    return bytes(row[0])


def _write_random(path: Path, size: int) -> None:
    """A file of ``size`` random bytes: what an encrypted database looks like without its key."""
    with open(path, "wb") as fh:
        fh.write(os.urandom(size))
        fh.flush()
        os.fsync(fh.fileno())


def _touch(path: Path, ns: int) -> None:
    """Give every file of the vault the same access and modification time."""
    for name in (*DB_FILES, HEADER_FILE):
        if (path / name).exists():
            os.utime(path / name, ns=(ns, ns))


def _upgrade_v1(path: Path, conn: Any, header: Header, slot: int, kek: bytes,
                content: SlotContent) -> tuple[Header, SlotContent]:
    """Bring a vault of the first format up to date, on its first unlock in this version.

    The first format kept the decoy's key inside the real database and named the decoy's file
    in both databases' metadata. Here the key moves into this vault's slot, the metadata gets
    the rows every database now has, the header gains its tag and a third file appears (random
    bytes, as the other files of a new vault). A duress slot of the old format keeps working
    (its database gets the same header key); setting its passphrase again renews it.
    """
    row = conn.execute("SELECT value FROM secrets WHERE name = 'decoy_key'").fetchone()
    header_key = conn.execute("SELECT value FROM secrets WHERE name = 'header_key'").fetchone()
    header_key = bytes(header_key[0]) if header_key is not None else os.urandom(16)
    peer = 1 - content.db_index
    if row is not None:
        content = replace(content, peer_key=bytes(row[0]), peer_index=peer)
    if not (path / DB_FILES[2]).exists():
        _write_random(path / DB_FILES[2], (path / DB_FILES[content.db_index]).stat().st_size)
    targets = [conn]
    if row is not None:
        try:
            targets.append(_connect(path / DB_FILES[peer], bytes(row[0])))
        except VaultCorrupt:
            pass  # a damaged decoy stays as it is
    for i, c in enumerate(targets):
        own_spare = c.execute("SELECT value FROM meta WHERE key = 'decoy_slot'").fetchone()
        c.execute("BEGIN IMMEDIATE")
        c.execute("DELETE FROM secrets WHERE name = 'decoy_key'")
        c.execute("INSERT OR REPLACE INTO secrets VALUES ('header_key', ?)", (header_key,))
        c.execute("DELETE FROM meta WHERE key IN ('decoy_db', 'decoy_slot')")
        if own_spare is not None:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('spare_slot', ?)", (own_spare[0],))
        c.execute("INSERT OR REPLACE INTO meta VALUES ('spare_db', 2)")
        c.execute("COMMIT")
        if i:
            c.close()
    content = replace(content, legacy=False)
    header = replace(header, version=2, failures=0).with_slot(slot, kek, content).sealed(header_key)
    header.write(path / HEADER_FILE)
    return header, content


# ---------------------------------------------------------------------- without a passphrase
def read_header(path: Path) -> Header:
    """The header of the vault at ``path``; clear errors for a missing or damaged vault."""
    if not path.exists():
        raise VaultMissing(path=str(path))
    if not path.is_dir() or not (path / HEADER_FILE).exists():
        raise VaultCorrupt("error.not_a_vault", path=str(path))
    return Header.read(path / HEADER_FILE)


def _count_failure(path: Path, header: Header) -> None:
    if not header.wipe_after:
        return  # the default: a wrong passphrase leaves every byte as it was
    failures = header.failures + 1
    if failures >= header.wipe_after:
        panic(path)
        return
    replace(header, failures=failures).write(path / HEADER_FILE)


def panic(path: str | os.PathLike[str], outside: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Destroy the vault at ``path``: key material first (every slot overwritten with random
    bytes and flushed to disk), then the files halqa wrote outside the vault (``outside``, read
    from the vault beforehand by :func:`halqa.vault.outside.listed_files`), then the databases and
    everything else in the folder (the default output folder among them). Needs no passphrase.
    After the first step the data is unreadable even with the right passphrase; the rest removes
    the evidence."""
    from halqa.vault.outside import shred

    path = Path(path)
    # A restore killed before its rename leaves a whole vault staged beside the target
    # (halqa.vault.backup.restore): it opens with the same passphrase, so it goes too.
    folders = [path, path.with_name(path.name + ".restoring")]
    # A header write killed before its rename leaves a complete header in header.tmp: its slots
    # are key material too, and go in the first step (found by tests/reliability).
    for header_path in (f / name for f in folders for name in (HEADER_FILE, HEADER_FILE + ".tmp")):
        if header_path.is_file():
            size = header_path.stat().st_size
            with open(header_path, "r+b") as fh:
                fh.write(os.urandom(size))
                fh.flush()
                os.fsync(fh.fileno())
    for item in outside:
        if Path(item).is_file():  # listed files only; never a folder outside the vault
            shred(Path(item))
    for folder in folders:
        for child in sorted(folder.iterdir()) if folder.is_dir() else ():
            # Encrypted databases lose their first megabyte (salt and first pages); the keys are
            # already gone. Plaintext (the output folder) is overwritten whole.
            shred(child, 1 << 20 if child.name in DB_FILES else None)
        shutil.rmtree(folder, ignore_errors=True)
