"""This device's identity and the contacts it exchanges bundles with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from halqa.bridge.keys import age_recipient, fingerprint, pairing_text, parse_peer
from halqa.bridge.records import VERIFIED, ContactPut, check_name, contacts, get_contact, new_id, today
from halqa.errors import InvalidInput
from halqa.vault import Vault

__all__ = ["add_contact", "identity", "identity_qr", "remove_contact"]


def identity(vault: Vault) -> dict[str, Any]:
    """This device's public identity: ``fingerprint``, ``age_recipient``, ``signing_key`` and the
    pairing ``text`` its QR code carries."""
    recipient = age_recipient(vault)
    return {"fingerprint": fingerprint(vault.device_id, recipient), "age_recipient": recipient,
            "signing_key": vault.device_id.hex(), "text": pairing_text(vault)}


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


def add_contact(vault: Vault, name: str, text: str | None = None, age_recipient: str | None = None,
                signing_key: str | None = None, qr_image: str | os.PathLike[str] | None = None,
                verified: str | None = None) -> dict[str, Any]:
    """Record a contact from pairing text, a QR image, or an ``age1...`` recipient (e.g. made by
    ``age-keygen``) with an optional hex Ed25519 signing key, and how the keys were verified
    (``in-person``, ``qr``, ``phone``, ``messenger`` or ``unverified``; a scanned QR image means ``qr``).

    A contact without a signing key can receive bundles but cannot send us any."""
    name = check_name(name)
    if qr_image is not None:
        from halqa.bridge.qr import scan_texts

        found = [t for t in scan_texts([qr_image]) if t.startswith("halqa-id:") or t.lower().startswith("age1")]
        if not found:
            raise InvalidInput("bridge.no_qr_found", path=str(qr_image))
        text = found[0]
        verified = verified or "qr"
    verified = verified or "unverified"
    if verified not in VERIFIED:
        raise InvalidInput("bridge.bad_verified", how=verified, allowed=", ".join(VERIFIED))
    peer = parse_peer(text, age_recipient, signing_key)
    if any(c["name"] == name for c in contacts(vault)):
        raise InvalidInput("bridge.contact_exists", name=name)
    if peer.signing_key == vault.device_id:
        raise InvalidInput("bridge.contact_is_self")
    put = ContactPut(id=new_id(), name=name, age_recipient=peer.age_recipient,
                     signing_key=peer.signing_key.hex() if peer.signing_key else None, verified=verified,
                     fingerprint=peer.fingerprint, added=today())
    vault.append("bridge_contact.put", put)
    return get_contact(vault, name)


def remove_contact(vault: Vault, name: str) -> dict[str, Any]:
    """Forget a contact (a tombstone: it travels to the circle's other devices)."""
    contact = get_contact(vault, name)
    vault.append("bridge_contact.delete", {"id": contact["id"]})
    return contact
