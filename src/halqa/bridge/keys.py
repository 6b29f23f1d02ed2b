"""Device identities: the age (X25519) identity of a vault, fingerprints and the pairing text.

A vault already holds an Ed25519 signing key (``vault.device_key``) and 32 random bytes for
X25519 (``vault.x25519_secret``). The age identity is exactly those 32 bytes in age's Bech32
encoding (``AGE-SECRET-KEY-1...``), so bundles sealed to the vault's ``age1...`` recipient open
with any standard age client given that identity (``halqa id export-age-identity``).

The *pairing text* (what the identity QR code carries) names both public keys::

    halqa-id:1:<ed25519 public key, 64 hex>:<age1... recipient>

The short *fingerprint* people compare aloud covers both keys: BLAKE2b-256 (personalisation
``halqa-fpr-v1``) of ``ed25519 || x25519``, first 80 bits, Crockford-free plain base32 in groups
of four (``ABCD-EFGH-IJKL-MNOP``).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pyrage
from nacl.bindings import crypto_scalarmult_base
from pyrage import x25519

from halqa.errors import InvalidInput
from halqa.vault import Vault

__all__ = [
    "Identity",
    "PeerKeys",
    "age_identity",
    "age_recipient",
    "bech32_decode",
    "bech32_encode",
    "fingerprint",
    "identity",
    "identity_qr",
    "pairing_text",
    "parse_peer",
    "peer_keys",
]

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
PAIRING_PREFIX = "halqa-id:1:"


# ---------------------------------------------------------------------------- Bech32 (BIP 173)
def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or (acc << (tobits - bits)) & maxv):
        raise ValueError("bad padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bech32 (not Bech32m) without the 90-character limit, as age uses it; lower case."""
    five = _convert(data, 8, 5, True)
    poly = _polymod(_hrp_expand(hrp) + five + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    """``(hrp, data)`` of a Bech32 string; raises ValueError when it is not valid."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("no separator")
    hrp, rest = text[:pos], text[pos + 1:]
    try:
        values = [_CHARSET.index(c) for c in rest]
    except ValueError:
        raise ValueError("bad character") from None
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise ValueError("bad checksum")
    return hrp, bytes(_convert(values[:-6], 5, 8, False))


# ---------------------------------------------------------------------------- this vault
def age_identity(vault: Vault) -> x25519.Identity:
    """This vault's age identity (its X25519 secret). Never leaves the vault unless exported."""
    return x25519.Identity.from_str(bech32_encode("age-secret-key-", vault.x25519_secret).upper())


def age_identity_text(vault: Vault) -> str:
    """``AGE-SECRET-KEY-1...`` for ``age -d -i``: a secret, handle like the passphrase."""
    return bech32_encode("age-secret-key-", vault.x25519_secret).upper()


def age_recipient(vault: Vault) -> str:
    """This vault's public ``age1...`` recipient."""
    return bech32_encode("age", crypto_scalarmult_base(vault.x25519_secret))


def _recipient_key(recipient: str) -> bytes:
    hrp, key = bech32_decode(recipient)
    if hrp != "age" or len(key) != 32:
        raise ValueError("not an age X25519 recipient")
    return key


def fingerprint(signing_key: bytes | None, recipient: str) -> str:
    """Short fingerprint of a device's two public keys, for comparing aloud or on paper."""
    h = hashlib.blake2b(digest_size=32, person=b"halqa-fpr-v1")
    h.update((signing_key or b"\0" * 32) + _recipient_key(recipient))
    text = base64.b32encode(h.digest()[:10]).decode()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


_own_recipient = age_recipient  # peer_keys() has a parameter of that name


def pairing_text(vault: Vault) -> str:
    """What this device's identity QR code carries: both public keys."""
    return f"{PAIRING_PREFIX}{vault.device_id.hex()}:{age_recipient(vault)}"


@dataclass(frozen=True)
class PeerKeys:
    """A peer's public keys as given by a person: the age recipient, and the signing key when known."""

    age_recipient: str
    signing_key: bytes | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing_key, self.age_recipient)


def check_recipient(text: str) -> str:
    """Validate an ``age1...`` X25519 recipient (as made by ``age-keygen``); return it normalised."""
    text = text.strip()
    try:
        _recipient_key(text)
        x25519.Recipient.from_str(text.lower())
    except (ValueError, pyrage.RecipientError):
        raise InvalidInput("bridge.bad_recipient", key=text[:80]) from None
    return text.lower()


def parse_peer(text: str | None = None, age_recipient: str | None = None,
               signing_key: str | None = None) -> PeerKeys:
    """A peer's keys from pairing text (QR), or from an ``age1...`` recipient and optional hex
    Ed25519 key. Raises :class:`InvalidInput` with a clear message when anything is malformed."""
    if text:
        text = text.strip()
        if text.startswith(PAIRING_PREFIX):
            parts = text[len(PAIRING_PREFIX):].split(":")
            if len(parts) != 2:
                raise InvalidInput("bridge.bad_pairing_text")
            signing_key, age_recipient = parts
        elif text.lower().startswith("age1"):
            age_recipient = text
        else:
            raise InvalidInput("bridge.bad_pairing_text")
    if not age_recipient:
        raise InvalidInput("bridge.need_key")
    recipient = check_recipient(age_recipient)
    sk: bytes | None = None
    if signing_key:
        try:
            sk = bytes.fromhex(signing_key.strip())
        except ValueError:
            sk = None
        if sk is None or len(sk) != 32:
            raise InvalidInput("bridge.bad_signing_key")
    return PeerKeys(recipient, sk)


# ---------------------------------------------------------------------------- identities
class Identity(msgspec.Struct, kw_only=True, frozen=True):
    """A device's public identity: its ``fingerprint``, ``age_recipient``, hex ``signing_key`` and
    the pairing ``text`` its QR code carries."""

    fingerprint: str
    age_recipient: str
    signing_key: str
    text: str


def identity(vault: Vault) -> Identity:
    """This device's public identity (:class:`Identity`)."""
    recipient = age_recipient(vault)
    return Identity(fingerprint=fingerprint(vault.device_id, recipient), age_recipient=recipient,
                    signing_key=vault.device_id.hex(), text=pairing_text(vault))


def identity_qr(vault: Vault, png: str | os.PathLike[str] | None = None, scale: int = 8) -> str:
    """The identity QR code as terminal text (and written as a PNG to ``png`` if given)."""
    import io

    import segno

    qr = segno.make(pairing_text(vault), error="m")
    if png is not None:
        try:
            qr.save(str(Path(png)), kind="png", scale=scale, border=4)
        except OSError as exc:
            raise InvalidInput("bridge.cannot_write", path=str(png), detail=exc.strerror or str(exc)) from None
    buf = io.StringIO()
    qr.terminal(out=buf, compact=True, border=2)
    return buf.getvalue()


def peer_keys(vault: Vault, text: str | None = None, age_recipient: str | None = None,
              signing_key: str | None = None, qr_image: str | os.PathLike[str] | None = None) -> tuple[PeerKeys, bool]:
    """A peer's keys from pairing text, a QR image, or an ``age1...`` recipient with an optional
    hex signing key; and whether they came from a scanned QR image. Refuses this device's own."""
    scanned = qr_image is not None
    if qr_image is not None:
        from halqa.bridge.qr import scan_texts

        found = [t for t in scan_texts([qr_image]) if t.startswith("halqa-id:") or t.lower().startswith("age1")]
        if not found:
            raise InvalidInput("bridge.no_qr_found", path=str(qr_image))
        text = found[0]
    peer = parse_peer(text, age_recipient, signing_key)
    if peer.signing_key == vault.device_id or peer.age_recipient == _own_recipient(vault):
        raise InvalidInput("bridge.contact_is_self")
    return peer, scanned
