"""The key-slot header: passphrases -> the random master keys of the vault's databases.

A vault holds two SQLCipher databases (``a.db``, ``b.db``): one real, one decoy, chosen by coin
flip at creation. Each is encrypted with its own random 256-bit master key. Passphrases never
key a database directly: they unwrap a *key slot* (as LUKS does), so changing a passphrase
rewrites 104 bytes instead of re-encrypting the data.

Layout (fixed size, :data:`HEADER_SIZE` bytes, little-endian)::

    0    8  magic  b"HALQAV1\\0"
    8    4  argon2id time cost
    12   4  argon2id memory (KiB)
    16   4  argon2id lanes
    20   4  wipe after N failed unlocks (0 = off)
    24   4  failed unlocks so far
    28   4  restored: bit i set = database i came from a backup and has not been opened since
    32  16  salt
    48  SLOT_COUNT x SLOT_SIZE  key slots

Every slot is ``nonce(24) || XChaCha20-Poly1305(slot key, plaintext(64))(80)`` padded with random
bytes to :data:`SLOT_SIZE`; an unused slot is random bytes of the same length. AEAD output is
indistinguishable from random, so the header has the same size and structure whether zero, one
or several passphrases exist: nobody can tell from the file whether a duress passphrase is set.

One Argon2id derivation per unlock (shared salt) yields the key-encryption key; every slot is
then tried with a per-slot subkey (BLAKE2b, keyed, domain-separated), which costs microseconds.
Trying every slot is what hides which slots are live.

All crypto comes from libsodium (PyNaCl) and argon2-cffi; this module only lays out bytes.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from halqa.errors import VaultCorrupt, WrongPassphrase

__all__ = [
    "HEADER_SIZE",
    "SLOT_COUNT",
    "Header",
    "KdfParams",
    "SlotContent",
    "derive_kek",
]

MAGIC = b"HALQAV1\x00"
SLOT_COUNT = 8
SLOT_SIZE = 128
_FIXED = struct.Struct("<8sIIIIII16s")
HEADER_SIZE = _FIXED.size + SLOT_COUNT * SLOT_SIZE  # 48 + 1024 = 1072 bytes
_NONCE = 24
_PLAIN = struct.Struct("<BBBBB3s32s24s")  # 64 bytes
_SEALED = _NONCE + _PLAIN.size + 16  # 104

ROLE_REAL = 1
ROLE_DECOY = 2
FLAG_DESTROY_ON_OPEN = 1


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default takes about 0.5-1 s on a 2-core laptop (see docs/performance.md)."""

    time_cost: int = 5
    memory_kib: int = 256 * 1024
    lanes: int = 2

    def check(self) -> None:
        if not (1 <= self.time_cost <= 64 and 8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024
                and 1 <= self.lanes <= 16):
            raise VaultCorrupt("error.kdf_params")


#: Deliberately weak parameters, for tests and benchmarks only (never a default).
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, lanes=1)


@dataclass(frozen=True)
class SlotContent:
    """What a key slot unwraps to."""

    role: int  # ROLE_REAL or ROLE_DECOY
    db_index: int  # 0 -> a.db, 1 -> b.db
    master_key: bytes  # 32 bytes, the database's raw SQLCipher key
    flags: int = 0
    destroy_slot: int = 0xFF  # slot to shred when this one opens (FLAG_DESTROY_ON_OPEN)

    def pack(self) -> bytes:
        return _PLAIN.pack(1, self.role, self.db_index, self.flags, self.destroy_slot, b"\0" * 3,
                           self.master_key, b"\0" * 24)

    @classmethod
    def unpack(cls, data: bytes) -> SlotContent:
        version, role, db_index, flags, destroy, _r, key, _pad = _PLAIN.unpack(data)
        if version != 1 or role not in (ROLE_REAL, ROLE_DECOY) or db_index not in (0, 1):
            raise VaultCorrupt("error.corrupt")
        return cls(role, db_index, key, flags, destroy)


def derive_kek(passphrase: str, salt: bytes, kdf: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) -> 32-byte key-encryption key."""
    if not passphrase:
        raise WrongPassphrase("error.empty_passphrase")
    return hash_secret_raw(passphrase.encode("utf-8"), salt, kdf.time_cost, kdf.memory_kib,
                           kdf.lanes, 32, Type.ID)


def _slot_key(kek: bytes, index: int) -> bytes:
    return hashlib.blake2b(b"halqa:keyslot:v1:%d" % index, key=kek, digest_size=32).digest()


def _ad(index: int) -> bytes:
    return MAGIC + bytes([index])


@dataclass(frozen=True)
class Header:
    """The parsed header. Immutable: every change returns a new one, written with :meth:`write`."""

    kdf: KdfParams
    salt: bytes
    slots: tuple[bytes, ...]
    wipe_after: int = 0
    failures: int = 0
    restored: int = 0

    # -- creation and (de)serialisation ------------------------------------------------------
    @classmethod
    def new(cls, kdf: KdfParams) -> Header:
        kdf.check()
        return cls(kdf, os.urandom(16), tuple(os.urandom(SLOT_SIZE) for _ in range(SLOT_COUNT)))

    def to_bytes(self) -> bytes:
        fixed = _FIXED.pack(MAGIC, self.kdf.time_cost, self.kdf.memory_kib, self.kdf.lanes,
                            self.wipe_after, self.failures, self.restored, self.salt)
        return fixed + b"".join(self.slots)

    @classmethod
    def from_bytes(cls, data: bytes) -> Header:
        if len(data) != HEADER_SIZE:
            raise VaultCorrupt("error.corrupt_header")
        magic, t, m, p, wipe, fails, restored, salt = _FIXED.unpack_from(data)
        if magic != MAGIC:
            raise VaultCorrupt("error.corrupt_header")
        kdf = KdfParams(t, m, p)
        kdf.check()
        off = _FIXED.size
        slots = tuple(data[off + i * SLOT_SIZE: off + (i + 1) * SLOT_SIZE] for i in range(SLOT_COUNT))
        return cls(kdf, salt, slots, wipe, fails, restored & 0b11)

    @classmethod
    def read(cls, path: Path) -> Header:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise VaultCorrupt("error.corrupt_header") from None
        return cls.from_bytes(data)

    def write(self, path: Path) -> None:
        """Atomically replace the header file (write, fsync, rename, fsync the folder)."""
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(self.to_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    # -- slots -------------------------------------------------------------------------------
    def open_slot(self, kek: bytes) -> tuple[int, SlotContent] | None:
        """Try every slot with ``kek``; the first that authenticates wins. Constant work per slot."""
        found: tuple[int, SlotContent] | None = None
        for i, raw in enumerate(self.slots):
            try:
                plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                    raw[_NONCE:_SEALED], _ad(i), raw[:_NONCE], _slot_key(kek, i))
            except CryptoError:
                continue
            if found is None:
                found = (i, SlotContent.unpack(plain))
        return found

    def with_slot(self, index: int, kek: bytes, content: SlotContent) -> Header:
        nonce = os.urandom(_NONCE)
        sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            content.pack(), _ad(index), nonce, _slot_key(kek, index))
        raw = nonce + sealed + os.urandom(SLOT_SIZE - _SEALED)
        slots = list(self.slots)
        slots[index] = raw
        return replace(self, slots=tuple(slots))

    def shred_slot(self, index: int) -> Header:
        """Replace a slot with fresh random bytes: whatever it held is gone."""
        slots = list(self.slots)
        slots[index] = os.urandom(SLOT_SIZE)
        return replace(self, slots=tuple(slots))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
