"""The key-slot header: passphrases -> the random master keys of the vault's databases.

A vault holds three SQLCipher-sized files (``a.db``, ``b.db``, ``c.db``): the real database and
two others, each either a decoy database or random bytes, chosen at random at creation. Each
database is encrypted with its own random 256-bit master key. Passphrases never key a database
directly: they unwrap a *key slot* (as LUKS does), so changing a passphrase rewrites one slot
instead of re-encrypting the data.

Layout (fixed size, :data:`HEADER_SIZE` bytes, little-endian)::

    0    8  magic  b"HALQAV2\0"
    8    4  argon2id time cost          } authenticated: bound into every slot's associated
    12   4  argon2id memory (KiB)       } data (they never change) and covered by the tag
    16   4  argon2id lanes              }
    20   4  wipe after N failed unlocks (0 = off)        authenticated by the tag
    24   4  failed unlocks so far       not authenticated: it must change without a key
    28   4  restored: bit i = file i came from a backup  not authenticated: harmless both ways
    32  16  salt                        authenticated (associated data and tag)
    48  16  tag = BLAKE2b-128(header key, bytes 0..24 and 32..48)
    64  SLOT_COUNT x SLOT_SIZE  key slots

Every live slot is ``nonce(24) || XChaCha20-Poly1305(slot key, plaintext(72), ad)(88)`` padded with
random bytes to :data:`SLOT_SIZE`; an unused slot is random bytes of the same length. The plaintext holds
the slot's database and master key and a *peer* key (the key of a decoy this vault keeps alive,
or random bytes). The *header key* that computes the tag lives in every database's ``secrets``
(the decoy's too, and it survives recovery from shares): whoever holds any passphrase can change
the wipe setting and recompute the tag; anyone else's change is reported at the next unlock
(:class:`~halqa.errors.HeaderTampered`), before anything is written.

What cannot be authenticated, and why (docs/threat-model.md): the failure counter and the wipe
threshold are read *before* any key exists, so whoever can write the file can trigger the wipe
(as they could delete the folder) or reset the count (as they could copy the vault and guess
offline). A changed KDF parameter or salt makes every passphrase derive another key, which looks
exactly like a wrong passphrase; values outside the sane range are refused before any work.

Headers of the first format (``HALQAV1``, 1,072 bytes, 64-byte slot plaintexts with a role
byte) are still read; the first unlock rewrites them in this format (``store._upgrade_v1``).

One Argon2id derivation per unlock (shared salt) yields the key-encryption key; every slot is
then tried with a per-slot subkey (BLAKE2b, keyed, domain-separated), which costs microseconds.
Trying every slot is what hides which slots are live.

All crypto comes from libsodium (PyNaCl) and argon2-cffi; this module only lays out bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from halqa.errors import HeaderTampered, InvalidInput, VaultCorrupt, WrongPassphrase

__all__ = [
    "HEADER_SIZE",
    "KDF_FLOOR",
    "SLOT_COUNT",
    "Header",
    "KdfParams",
    "SlotContent",
    "derive_kek",
]

MAGIC = b"HALQAV2\x00"
MAGIC_V1 = b"HALQAV1\x00"
SLOT_COUNT = 8
SLOT_SIZE = 128
_FIXED = struct.Struct("<8sIIIIII16s16s")
HEADER_SIZE = _FIXED.size + SLOT_COUNT * SLOT_SIZE  # 64 + 1024 = 1088 bytes
_NONCE = 24
_PLAIN = struct.Struct("<BBBBB3s32s32s")  # 72 bytes
_SEALED = _NONCE + _PLAIN.size + 16  # 112
# The first format: 48-byte fixed part, 64-byte plaintext (version, role, db, flags, destroy).
_FIXED_V1 = struct.Struct("<8sIIIIII16s")
HEADER_SIZE_V1 = _FIXED_V1.size + SLOT_COUNT * SLOT_SIZE
_PLAIN_V1 = struct.Struct("<BBBBB3s32s24s")
_SEALED_V1 = _NONCE + _PLAIN_V1.size + 16

FLAG_DESTROY_ON_OPEN = 1
NO_SLOT = 0xFF


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default takes about 0.5-1 s on a 2-core laptop (see docs/performance.md)."""

    time_cost: int = 5
    memory_kib: int = 256 * 1024
    lanes: int = 2

    def check(self) -> None:
        """Sanity range for a header being read: refuses absurd values before any work."""
        if not (1 <= self.time_cost <= 64 and 8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024
                and 1 <= self.lanes <= 16):
            raise VaultCorrupt("error.kdf_params")

    def check_floor(self) -> None:
        """Refuse parameters below :data:`KDF_FLOOR` for a new vault (``halqa init``)."""
        self.check()
        if self.memory_kib < KDF_FLOOR.memory_kib or self.time_cost < KDF_FLOOR.time_cost:
            raise InvalidInput("error.kdf_below_floor", memory=KDF_FLOOR.memory_kib // 1024,
                               time=KDF_FLOOR.time_cost)


#: The weakest parameters ``halqa init`` accepts: 64 MiB and 3 passes still run on a mid-range
#: phone in about a second (docs/threat-model.md); below that a stolen header is cheap to guess.
KDF_FLOOR = KdfParams(time_cost=3, memory_kib=64 * 1024, lanes=1)

#: Deliberately weak parameters, for tests and benchmarks only (never a default).
TEST_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, lanes=1)


@dataclass(frozen=True)
class SlotContent:
    """What a key slot unwraps to.

    There is no "real" or "decoy" role: a slot names its database and carries a peer key, which
    opens the decoy this vault keeps alive, or is random bytes that open nothing. A decoy's slot
    and the slot of a vault without a duress passphrase therefore look alike (docs/threat-model.md).
    """

    db_index: int  # which of DB_FILES
    master_key: bytes  # 32 bytes, the database's raw SQLCipher key
    peer_key: bytes  # 32 bytes: the key of peer_index's database, or random
    peer_index: int = 0
    flags: int = 0
    destroy_slot: int = NO_SLOT  # slot to shred when this one opens (FLAG_DESTROY_ON_OPEN)
    legacy: bool = False  # unwrapped from a first-format slot (no header key)

    def pack(self) -> bytes:
        return _PLAIN.pack(2, self.db_index, self.peer_index, self.flags, self.destroy_slot, b"\0" * 3,
                           self.master_key, self.peer_key)

    @classmethod
    def unpack(cls, data: bytes) -> SlotContent:
        version, db_index, peer, flags, destroy, _r, key, peer_key = _PLAIN.unpack(data)
        if version != 2 or db_index > 2 or peer > 2:
            raise VaultCorrupt("error.corrupt")
        return cls(db_index, key, peer_key, peer, flags, destroy)

    @classmethod
    def unpack_v1(cls, data: bytes) -> SlotContent:
        """A first-format slot (its role byte is dropped: the database says which it is)."""
        version, role, db_index, flags, destroy, _r, key, _pad = _PLAIN_V1.unpack(data)
        if version != 1 or role not in (1, 2) or db_index not in (0, 1):
            raise VaultCorrupt("error.corrupt")
        return cls(db_index, key, os.urandom(32), 1 - db_index, flags, destroy, legacy=True)


def derive_kek(passphrase: str, salt: bytes, kdf: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) -> 32-byte key-encryption key."""
    if not passphrase:
        raise WrongPassphrase("error.empty_passphrase")
    return hash_secret_raw(passphrase.encode("utf-8"), salt, kdf.time_cost, kdf.memory_kib,
                           kdf.lanes, 32, Type.ID)


def _slot_key(kek: bytes, index: int) -> bytes:
    return hashlib.blake2b(b"halqa:keyslot:v1:%d" % index, key=kek, digest_size=32).digest()


@dataclass(frozen=True)
class Header:
    """The parsed header. Immutable: every change returns a new one, written with :meth:`write`."""

    kdf: KdfParams
    salt: bytes
    slots: tuple[bytes, ...]
    wipe_after: int = 0
    failures: int = 0
    restored: int = 0
    tag: bytes = b"\0" * 16
    version: int = 2

    # -- creation and (de)serialisation ------------------------------------------------------
    @classmethod
    def new(cls, kdf: KdfParams, salt: bytes | None = None) -> Header:
        kdf.check()
        return cls(kdf, salt or os.urandom(16), tuple(os.urandom(SLOT_SIZE) for _ in range(SLOT_COUNT)))

    def _authenticated(self) -> bytes:
        """The fields the tag covers: magic, KDF parameters, wipe threshold, salt."""
        return struct.pack("<8sIIII16s", MAGIC, self.kdf.time_cost, self.kdf.memory_kib, self.kdf.lanes,
                           self.wipe_after, self.salt)

    def _ad(self, index: int) -> bytes:
        """A slot's associated data: what never changes (magic, KDF, salt) and its index."""
        return struct.pack("<8sIII16sB", MAGIC, self.kdf.time_cost, self.kdf.memory_kib, self.kdf.lanes,
                           self.salt, index)

    def compute_tag(self, header_key: bytes) -> bytes:
        return hashlib.blake2b(self._authenticated(), key=header_key, digest_size=16,
                               person=b"halqa-header-v2").digest()

    def sealed(self, header_key: bytes) -> Header:
        """This header with its tag recomputed (after an authorised change)."""
        return replace(self, tag=self.compute_tag(header_key))

    def verify(self, header_key: bytes) -> None:
        """Raise :class:`HeaderTampered` unless the fixed fields are the ones a key holder wrote."""
        if not hmac.compare_digest(self.tag, self.compute_tag(header_key)):
            raise HeaderTampered()

    def to_bytes(self) -> bytes:
        fixed = _FIXED.pack(MAGIC, self.kdf.time_cost, self.kdf.memory_kib, self.kdf.lanes,
                            self.wipe_after, self.failures, self.restored, self.salt, self.tag)
        return fixed + b"".join(self.slots)

    @classmethod
    def from_bytes(cls, data: bytes) -> Header:
        if len(data) == HEADER_SIZE_V1 and data[:8] == MAGIC_V1:
            _m, t, m, p, wipe, fails, restored, salt = _FIXED_V1.unpack_from(data)
            tag, off, version = b"\0" * 16, _FIXED_V1.size, 1
        elif len(data) == HEADER_SIZE and data[:8] == MAGIC:
            _m, t, m, p, wipe, fails, restored, salt, tag = _FIXED.unpack_from(data)
            off, version = _FIXED.size, 2
        else:
            raise VaultCorrupt("error.corrupt_header")
        kdf = KdfParams(t, m, p)
        kdf.check()
        slots = tuple(data[off + i * SLOT_SIZE: off + (i + 1) * SLOT_SIZE] for i in range(SLOT_COUNT))
        # The restored bits are read as stored (only two of three used by old vaults): tampering
        # can only skip a sequence ahead (harmless) or skip it less (a fork peers keep as a set).
        return cls(kdf, salt, slots, wipe, fails, restored & 0b111, tag, version)

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
        """Try every slot with ``kek``; the first that authenticates wins. Constant work per slot.

        A first-format slot (``legacy``) is recognised in either header format, so a duress slot
        of an upgraded vault keeps opening until its passphrase is set again.
        """
        found: tuple[int, SlotContent] | None = None
        for i, raw in enumerate(self.slots):
            key = _slot_key(kek, i)
            content = self._try_v2(i, raw, key) if self.version == 2 else None
            if content is None:
                content = self._try_v1(i, raw, key)
            if content is not None and found is None:
                found = (i, content)
        return found

    def _try_v2(self, index: int, raw: bytes, key: bytes) -> SlotContent | None:
        try:
            plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                raw[_NONCE:_SEALED], self._ad(index), raw[:_NONCE], key)
        except CryptoError:
            return None
        return SlotContent.unpack(plain)

    def _try_v1(self, index: int, raw: bytes, key: bytes) -> SlotContent | None:
        try:
            plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                raw[_NONCE:_SEALED_V1], MAGIC_V1 + bytes([index]), raw[:_NONCE], key)
        except CryptoError:
            return None
        return SlotContent.unpack_v1(plain)

    def with_slot(self, index: int, kek: bytes, content: SlotContent) -> Header:
        """This header with slot ``index`` sealed to ``kek`` (the header is in this format)."""
        nonce = os.urandom(_NONCE)
        sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            replace(content, legacy=False).pack(), self._ad(index), nonce, _slot_key(kek, index))
        slots = list(self.slots)
        slots[index] = nonce + sealed + os.urandom(SLOT_SIZE - _SEALED)
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
