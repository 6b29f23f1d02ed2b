"""Whole-vault backup to one file, and restore.

The backup holds the header and both databases exactly as they are on disk: already encrypted
(SQLCipher pages, AEAD key slots), so the backup reveals no more than the vault folder does,
including nothing about whether a duress passphrase exists. The same passphrases open it.

Format (little-endian)::

    b"HALQABK1" | u32 count | count x (u16 name length, name, u64 size, bytes) | 32-byte BLAKE2b

The trailing hash detects truncation and damage before anything is written; SQLCipher's page
HMACs and the slots' AEAD tags detect tampering once opened. A restore writes into a fresh
folder next to the target and renames it into place, so a failed restore leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
from dataclasses import replace
from pathlib import Path

from halqa.errors import InvalidInput, VaultCorrupt
from halqa.vault.store import DB_FILES, HEADER_FILE, Vault, read_header

__all__ = ["backup", "restore"]

MAGIC = b"HALQABK1"


def backup(vault: Vault, out: str | os.PathLike[str]) -> int:
    """Write a consistent backup of the open ``vault`` to ``out``; return its size in bytes."""
    out = Path(out)
    h = hashlib.blake2b(digest_size=32, person=b"halqa-backup-v1")
    tmp = out.with_name(out.name + ".part")
    with vault._lock:
        # A write lock on the open database keeps it still while its bytes are copied.
        vault.conn.execute("BEGIN IMMEDIATE")
        try:
            with open(tmp, "wb") as fh:
                def put(data: bytes) -> None:
                    fh.write(data)
                    h.update(data)
                names = (HEADER_FILE, *DB_FILES)
                put(MAGIC + struct.pack("<I", len(names)))
                for name in names:
                    data = (vault.path / name).read_bytes()
                    raw = name.encode()
                    put(struct.pack("<H", len(raw)) + raw + struct.pack("<Q", len(data)) + data)
                fh.write(h.digest())
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            vault.conn.execute("ROLLBACK")
    os.replace(tmp, out)
    return out.stat().st_size


def restore(src: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Restore the backup ``src`` as a vault folder at ``target`` (which must not exist)."""
    src, target = Path(src), Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput("error.vault_exists", path=str(target))
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("error.file_missing", path=str(src)) from None
    if len(data) < 44 or data[:8] != MAGIC:
        raise VaultCorrupt("error.backup_corrupt", path=str(src))
    body, digest = data[:-32], data[-32:]
    if hashlib.blake2b(body, digest_size=32, person=b"halqa-backup-v1").digest() != digest:
        raise VaultCorrupt("error.backup_corrupt", path=str(src))
    # The hash is no key: a forged backup can carry any lengths, so each is checked.
    files: dict[str, bytes] = {}
    try:
        (count,) = struct.unpack_from("<I", body, 8)
        off = 12
        for _ in range(min(count, 8)):
            (n,) = struct.unpack_from("<H", body, off)
            name = body[off + 2: off + 2 + n].decode()
            (size,) = struct.unpack_from("<Q", body, off + 2 + n)
            off += 10 + n
            if off + size > len(body):
                raise ValueError("truncated")
            files[name] = body[off: off + size]
            off += size
    except (struct.error, ValueError):  # UnicodeDecodeError is a ValueError
        raise VaultCorrupt("error.backup_corrupt", path=str(src)) from None
    # Backups from before the third file (two databases) are still restored.
    if set(files) not in ({HEADER_FILE, *DB_FILES}, {HEADER_FILE, *DB_FILES[:2]}):
        raise VaultCorrupt("error.backup_corrupt", path=str(src))
    staging = target.with_name(target.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700, parents=True)
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        # Mark both databases as restored: each skips its commit sequence ahead on first open.
        replace(read_header(staging), restored=0b111).write(staging / HEADER_FILE)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
