"""k-of-n recovery of a vault's master key (Shamir secret sharing).

The splitting itself is PyCryptodome's ``Shamir`` (GF(2^128), maintained and audited). It takes
16-byte secrets, so the 32-byte master key is split as two halves with independent random
polynomials and the same share indices; any k shares rebuild both halves.

A share is one line of text an organiser can copy, print or put in a QR code::

    halqa1-<vault id>-<threshold>-<index>-<32 bytes, base32>-<check>

The check (4 hex digits of BLAKE2b) catches typing mistakes before any arithmetic is done.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir

from halqa.errors import InvalidInput
from halqa.vault.store import Vault

__all__ = ["Share", "combine", "recover", "split"]

_PREFIX = "halqa1"


@dataclass(frozen=True)
class Share:
    vault_id: str
    threshold: int
    index: int
    value: bytes  # 32 bytes

    def encode(self) -> str:
        body = f"{_PREFIX}-{self.vault_id}-{self.threshold}-{self.index}-" + \
            base64.b32encode(self.value).decode().rstrip("=")
        return f"{body}-{_check(body)}"

    @classmethod
    def decode(cls, text: str) -> Share:
        text = "".join(text.split())
        parts = text.split("-")
        if len(parts) != 6 or parts[0] != _PREFIX:
            raise InvalidInput("error.share_format", share=text[:24])
        body = "-".join(parts[:5])
        if _check(body) != parts[5].lower():
            raise InvalidInput("error.share_check", share=text[:24])
        try:
            value = base64.b32decode(parts[4].upper() + "=" * (-len(parts[4]) % 8))
            threshold, index = int(parts[2]), int(parts[3])
        except ValueError:
            raise InvalidInput("error.share_format", share=text[:24]) from None
        if len(value) != 32 or not 1 <= index <= 255 or not 1 <= threshold <= 255:
            raise InvalidInput("error.share_format", share=text[:24])
        return cls(parts[1], threshold, index, value)


def _check(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=2).hexdigest()


def split(secret: bytes, shares: int, threshold: int, vault_id: str) -> list[Share]:
    """Split a 32-byte secret into ``shares`` shares, any ``threshold`` of which rebuild it."""
    if len(secret) != 32:
        raise ValueError("secret must be 32 bytes")
    if not 2 <= threshold <= shares <= 255:
        raise InvalidInput("error.share_counts", shares=shares, threshold=threshold)
    lo = Shamir.split(threshold, shares, secret[:16])
    hi = Shamir.split(threshold, shares, secret[16:])
    return [Share(vault_id, threshold, i, a + b) for (i, a), (_j, b) in zip(lo, hi, strict=True)]


def combine(shares: list[Share]) -> tuple[str, bytes]:
    """Rebuild ``(vault_id, secret)`` from at least ``threshold`` distinct shares of one vault."""
    if not shares:
        raise InvalidInput("error.share_too_few", have=0, need="?")
    vault_ids = {s.vault_id for s in shares}
    if len(vault_ids) != 1:
        raise InvalidInput("error.share_mixed")
    distinct = {s.index: s for s in shares}
    need = max(s.threshold for s in shares)
    if len(distinct) < need:
        raise InvalidInput("error.share_too_few", have=len(distinct), need=need)
    chosen = list(distinct.values())[:need]
    lo = Shamir.combine([(s.index, s.value[:16]) for s in chosen])
    hi = Shamir.combine([(s.index, s.value[16:]) for s in chosen])
    return vault_ids.pop(), lo + hi


def recover(path: str | os.PathLike[str], shares: Iterable[str], new_passphrase: Callable[[], str]) -> None:
    """Open the vault at ``path`` with the key rebuilt from ``shares`` (text lines) and give it a
    new passphrase, asked through ``new_passphrase`` only once the shares have opened this very
    vault. What ``halqa recovery combine`` does; register the projections first (``halqa.domains.load``)."""
    vault_id, key = combine([Share.decode(s) for s in shares])
    with Vault.open_with_key(path, key) as vault:
        if vault.meta("vault_id") != vault_id:
            raise InvalidInput("error.share_wrong_vault")
        vault.restore_slot(new_passphrase())
