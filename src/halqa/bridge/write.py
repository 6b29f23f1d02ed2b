"""The bridge's writes: the contacts this device exchanges bundles with, their keys and roles."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import msgspec

from halqa.bridge.events import UNSET, ContactPut, Unset, check_name
from halqa.bridge.keys import peer_keys
from halqa.bridge.read import Contact, contacts, get_contact
from halqa.errors import InvalidInput
from halqa.vault import Vault
from halqa.vault.authz import DEFAULT_ROLE, ROLES
from halqa.vault.values import new_id, today

__all__ = ["Rekeyed", "add_contact", "rekey_contact", "remove_contact", "set_role"]


class Rekeyed(Contact, kw_only=True, frozen=True):
    """A contact after :func:`rekey_contact`: whether its keys ``changed``, and from which
    ``old_fingerprint`` (set only when they did)."""

    changed: bool
    old_fingerprint: str | Unset = UNSET


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
                pseudonym: str | None = None, circle: str | None = None) -> Contact:
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
    if any(c.name == name for c in contacts(vault)):
        raise InvalidInput("bridge.contact_exists", name=name)
    put = ContactPut(id=new_id(), name=name, age_recipient=peer.age_recipient,
                     signing_key=peer.signing_key.hex() if peer.signing_key else None, verified=verified,
                     fingerprint=peer.fingerprint, added=today(), **scope)
    vault.append("bridge_contact.put", put)
    return get_contact(vault, name)


def set_role(vault: Vault, name: str, role: str, household: str | None = None,
             pseudonym: str | None = None, circle: str | None = None) -> Contact:
    """Give a contact a role (this is also how a contact from before roles is confirmed)."""
    contact = get_contact(vault, name)
    vault.append("bridge_contact.put", ContactPut(id=contact.id, **_scope(role, household, pseudonym, circle)))
    return get_contact(vault, name)


def rekey_contact(vault: Vault, name: str, text: str | None = None, age_recipient: str | None = None,
                  signing_key: str | None = None, qr_image: str | os.PathLike[str] | None = None,
                  verified: str | None = None, confirm: Callable[[str, str], bool] | None = None) -> Rekeyed:
    """Change the keys of an existing contact, only after ``confirm(old_fingerprint,
    new_fingerprint)`` returns True (a face asks the person; nothing changes otherwise).

    Returns the contact (unchanged if not confirmed) with ``changed``."""
    contact = get_contact(vault, name)
    peer, scanned = peer_keys(vault, text, age_recipient, signing_key, qr_image)
    if peer.fingerprint == contact.fingerprint or confirm is None or not confirm(contact.fingerprint, peer.fingerprint):
        return Rekeyed(**msgspec.structs.asdict(contact), changed=False)
    verified = verified or ("qr" if scanned else "unverified")
    vault.append("bridge_contact.put", ContactPut(
        id=contact.id, age_recipient=peer.age_recipient, signing_key=peer.signing_key.hex() if peer.signing_key else None,
        fingerprint=peer.fingerprint, verified=verified))
    return Rekeyed(**msgspec.structs.asdict(get_contact(vault, name)), changed=True, old_fingerprint=contact.fingerprint)


def remove_contact(vault: Vault, name: str) -> Contact:
    """Forget a contact (a tombstone: it travels to the circle's other devices)."""
    contact = get_contact(vault, name)
    vault.append("bridge_contact.delete", {"id": contact.id})
    return contact
