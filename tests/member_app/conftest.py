"""A vault with a member phone paired to one household, and a stand-in for the phone that seals
entries exactly as the app does (:func:`halqa.bridge.outbox.seal_entry`)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

import halqa.places as places
from halqa.bridge import add_contact
from halqa.bridge.keys import age_recipient
from halqa.bridge.outbox import outbox_file, seal_entry


def _recipient() -> str:
    from pyrage import x25519

    return str(x25519.Identity.generate().to_public())


@dataclass
class Phone:
    """A member's phone: its signing key and the circle's recipient; it keeps only ciphertext."""

    recipients: list[str]
    key: bytes = field(default_factory=lambda: os.urandom(32))
    offset: int = 0  # server clock minus phone clock, measured at the last sync (ms)
    synced_at: int = field(default_factory=lambda: time.time_ns() // 1_000_000 - 86_400_000)  # paired yesterday
    outbox: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def public(self) -> str:
        from nacl.signing import SigningKey

        return SigningKey(self.key).verify_key.encode().hex()

    def record(self, kind: str, at: int | None = None, **fields: Any) -> str:
        eid = secrets.token_hex(16)
        body = {"id": eid, "type": kind, "at": at if at is not None else time.time_ns() // 1_000_000,
                "offset": self.offset, "synced_at": self.synced_at, **fields}
        self.outbox.append((eid, seal_entry(body, self.key, self.recipients)))
        return eid

    def file(self) -> bytes:
        return outbox_file(self.outbox)


def pair(vault, household: str, role: str = "member", name: str | None = None, circle: str | None = None) -> Phone:
    phone = Phone([age_recipient(vault)])
    add_contact(vault, name or f"phone-{phone.public[:12]}", age_recipient=_recipient(), signing_key=phone.public,
                verified="in-person", role=role, household=household if role == "member" else None,
                **({"circle": circle} if circle else {}))
    return phone


@pytest.fixture
def homes(vault):
    places.add_area(vault, "JSR", "حي الجسر", name_en="Bridge Quarter", name_ckb="گەڕەکی پرد")
    places.add_household(vault, "JSR", pseudonym="hh-a1")
    places.add_household(vault, "JSR", pseudonym="hh-b2")
    return vault
