"""This device's identity and the contacts it exchanges bundles with."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halqa.bridge import keys as _keys
from halqa.bridge.keys import PeerKeys, age_recipient, fingerprint, pairing_text, parse_peer
from halqa.bridge.records import ContactPut, check_name, contacts, get_contact
from halqa.errors import InvalidInput
from halqa.vault import Vault
from halqa.vault.authz import DEFAULT_ROLE, ROLES
from halqa.vault.values import new_id, today

__all__ = ["add_contact", "identity", "identity_qr", "peer_keys", "rekey_contact", "remove_contact", "set_role",
           "unconfirmed"]


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
    if peer.signing_key == vault.device_id or peer.age_recipient == _keys.age_recipient(vault):
        raise InvalidInput("bridge.contact_is_self")
    return peer, scanned


def _scope(role: str, household: str | None, pseudonym: str | None, circle: str | None) -> dict[str, Any]:
    if role not in ROLES:
        raise InvalidInput("bridge.bad_role", role=role, allowed=", ".join(ROLES))
    if role == "member" and not household:
        raise InvalidInput("bridge.member_needs_household")
    if role != "member" and (household or pseudonym or circle):
        raise InvalidInput("bridge.scope_only_members", role=role)
    return {"role": role, "household": household or None, "pseudonym": pseudonym or None, "circle": circle or None}


def add_contact(vault: Vault, name: str, text: str | None = None, age_recipient: str | None = None,
                signing_key: str | None = None, qr_image: str | os.PathLike[str] | None = None,
                verified: str | None = None, role: str = DEFAULT_ROLE, household: str | None = None,
                pseudonym: str | None = None, circle: str | None = None) -> dict[str, Any]:
    """Record a contact from pairing text, a QR image, or an ``age1...`` recipient (e.g. made by
    ``age-keygen``) with an optional hex Ed25519 signing key, how the keys were verified
    (``in-person``, ``qr``, ``phone``, ``messenger`` or ``unverified``; a scanned QR image means
    ``qr``), and its role (:data:`halqa.vault.authz.ROLES`, default ``ally``). A ``member`` is tied
    to its own ``household`` (required), ``pseudonym`` and ``circle`` (its check-ins belong to that
    circle; a member without one may send check-ins for no circle).

    A contact without a signing key can receive bundles but cannot send us any."""
    name = check_name(name)
    scope = _scope(role, household, pseudonym, circle)
    peer, scanned = peer_keys(vault, text, age_recipient, signing_key, qr_image)
    verified = verified or ("qr" if scanned else "unverified")
    if any(c["name"] == name for c in contacts(vault)):
        raise InvalidInput("bridge.contact_exists", name=name)
    put = ContactPut(id=new_id(), name=name, age_recipient=peer.age_recipient,
                     signing_key=peer.signing_key.hex() if peer.signing_key else None, verified=verified,
                     fingerprint=peer.fingerprint, added=today(), **scope)
    vault.append("bridge_contact.put", put)
    return get_contact(vault, name)


def set_role(vault: Vault, name: str, role: str, household: str | None = None,
             pseudonym: str | None = None, circle: str | None = None) -> dict[str, Any]:
    """Give a contact a role (this is also how a contact from before roles is confirmed)."""
    contact = get_contact(vault, name)
    vault.append("bridge_contact.put", ContactPut(id=contact["id"], **_scope(role, household, pseudonym, circle)))
    return get_contact(vault, name)


def unconfirmed(vault: Vault) -> list[dict[str, Any]]:
    """Contacts whose role was never set (added before roles existed): ``ally`` until confirmed."""
    return [c for c in contacts(vault) if not c["confirmed"]]


def rekey_contact(vault: Vault, name: str, text: str | None = None, age_recipient: str | None = None,
                  signing_key: str | None = None, qr_image: str | os.PathLike[str] | None = None,
                  verified: str | None = None, confirm: Callable[[str, str], bool] | None = None) -> dict[str, Any]:
    """Change the keys of an existing contact, only after ``confirm(old_fingerprint,
    new_fingerprint)`` returns True (a face asks the person; nothing changes otherwise).

    Returns the contact (unchanged if not confirmed) with ``changed``."""
    contact = get_contact(vault, name)
    peer, scanned = peer_keys(vault, text, age_recipient, signing_key, qr_image)
    if peer.fingerprint == contact["fingerprint"]:
        return {**contact, "changed": False}
    if confirm is None or not confirm(contact["fingerprint"], peer.fingerprint):
        return {**contact, "changed": False}
    verified = verified or ("qr" if scanned else "unverified")
    vault.append("bridge_contact.put", ContactPut(
        id=contact["id"], age_recipient=peer.age_recipient, signing_key=peer.signing_key.hex() if peer.signing_key else None,
        fingerprint=peer.fingerprint, verified=verified))
    return {**get_contact(vault, name), "changed": True, "old_fingerprint": contact["fingerprint"]}


def remove_contact(vault: Vault, name: str) -> dict[str, Any]:
    """Forget a contact (a tombstone: it travels to the circle's other devices)."""
    contact = get_contact(vault, name)
    vault.append("bridge_contact.delete", {"id": contact["id"]})
    return contact
