"""Files halqa writes outside the vault, remembered so that panic can shred them.

Backups, exported age identities, decrypted voice notes, calendars, posters, bundles and tables
leave the encrypted databases by design. Every command that writes one calls :func:`remember`
first: a relative path goes into the vault's own output folder (``<vault>/files/``, which panic
removes without a passphrase), and the absolute path is listed in the vault's ``outside_files``
table (encrypted like everything else). :func:`listed_files` reads that list with a passphrase;
``halqa panic`` uses it when it is given one, then shreds keys first, the listed files next.

What panic cannot reach is in docs/threat-model.md: copies made by other programs, files moved
or renamed after halqa wrote them, and listed files when panic has no passphrase.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3

from halqa.errors import HalqaError

if TYPE_CHECKING:
    from halqa.vault.store import Vault

__all__ = ["OUTBOX", "listed_files", "place", "remember", "shred"]

#: The default output folder, inside the vault folder.
OUTBOX = "files"


def place(vault: Vault, path: str | os.PathLike[str]) -> Path:
    """Where to write ``path``: a relative path goes into the vault's output folder."""
    path = Path(path)
    if not path.is_absolute():
        outbox = vault.path / OUTBOX
        outbox.mkdir(mode=0o700, exist_ok=True)
        path = outbox / path
    return path.resolve()


def remember(vault: Vault, path: str | os.PathLike[str], kind: str) -> Path:
    """Where to write the file ``path`` (see :func:`place`), listed in the vault before anything
    is written, so that a crash mid-write still leaves it findable. Only files are listed, never
    a folder: panic must not empty a folder someone pointed an export at."""
    path = place(vault, path)
    from halqa.vault.store import _now_iso

    with vault._tx():  # the folder's own table (SQLCipher only): this module is part of the vault core
        # the day only: the list says what was written, not at what minute
        vault.conn.execute("INSERT OR REPLACE INTO outside_files VALUES (?, ?, ?)", (str(path), kind, _now_iso()[:10]))
    return path


def listed_files(vault_path: str | os.PathLike[str], passphrase: str) -> list[Path]:
    """The files a vault lists, read with ``passphrase`` without opening the vault through halqa
    (no failure is counted, nothing is written); empty if the passphrase opens nothing."""
    from halqa.vault.keyslots import derive_kek
    from halqa.vault.store import DB_FILES, _connect, read_header

    vault_path = Path(vault_path)
    try:
        header = read_header(vault_path)
        found = header.open_slot(derive_kek(passphrase, header.salt, header.kdf))
        if found is None:
            return []
        conn = _connect(vault_path / DB_FILES[found[1].db_index], found[1].master_key)
    except HalqaError:
        return []
    try:
        return [Path(p) for (p,) in conn.execute("SELECT path FROM outside_files ORDER BY path")]
    except sqlcipher3.OperationalError:  # no such table: a vault made before the list existed
        return []
    finally:
        conn.close()


def shred(path: Path, limit: int | None = None) -> None:
    """Overwrite a file with random bytes (its first ``limit`` bytes, or all of it), flush it to
    disk and remove it; folders recursively. Missing files are skipped. On flash storage old
    blocks may survive (docs/threat-model.md)."""
    if path.is_symlink():
        path.unlink()
        return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            shred(child, limit)
        path.rmdir()
        return
    if not path.is_file():
        return
    size = path.stat().st_size if limit is None else min(limit, path.stat().st_size)
    with open(path, "r+b") as fh:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            fh.write(os.urandom(n))
            left -= n
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
