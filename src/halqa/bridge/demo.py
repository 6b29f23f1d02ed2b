"""The bridge's part of the demo: an ally abroad (role ``ally``), the bundle its role lets it
receive (aggregates only, opened here as the ally would open it), a DP table."""

from __future__ import annotations

import random

import pyrage
from nacl.bindings import crypto_scalarmult_base
from nacl.signing import SigningKey
from pyrage import x25519

from halqa.bridge.bundle import export_bundle, read_inner
from halqa.bridge.keys import bech32_encode
from halqa.bridge.privacy import publish_table, set_budget
from halqa.bridge.write import add_contact
from halqa.vault import Vault

__all__ = ["DemoSummary", "decoy", "demo"]

#: What the demo step shows, by name (``halqa demo`` prints it as a table of names and values).
DemoSummary = dict[str, str | int | float | list[str] | None]


def _peer(rng: random.Random) -> tuple[str, str, bytes]:
    """A made-up device's public keys (age recipient, hex signing key) and its X25519 secret,
    from the demo's rng."""
    secret = rng.randbytes(32)
    recipient = bech32_encode("age", crypto_scalarmult_base(secret))
    return recipient, bytes(SigningKey(rng.randbytes(32)).verify_key).hex(), secret


def demo(vault: Vault, rng: random.Random) -> DemoSummary:
    """Pair with a (fictional) diaspora ally as an ``ally``, seal the bundle its role allows (no
    option asked for aggregates: the role decides), open it with the ally's key to show it carries
    aggregates only, and publish one differentially private table under a budget; return what was
    shared and withheld."""
    recipient, signing, secret = _peer(rng)
    ally = add_contact(vault, "allies-abroad", age_recipient=recipient, signing_key=signing, verified="in-person",
                       role="ally")
    sent = export_bundle(vault, [ally.name], None, threshold=5, label="demo circle")
    assert isinstance(sent.data, bytes) and isinstance(sent.aggregates, dict)  # no output file; sealed to an ally
    header, records = read_inner(pyrage.decrypt(sent.data, [x25519.Identity.from_str(
        bech32_encode("age-secret-key-", secret).upper())]))
    set_budget(vault, "grievances", 1.0)
    table = publish_table(vault, "grievances", 0.25)
    agg = sent.aggregates
    return {"ally": ally.name, "ally_role": ally.role, "ally_fingerprint": ally.fingerprint,
            "bundle_kind": header.kind, "bundle_bytes": sent.size,
            "ally_receives": sorted({e.kind for r in records for e in r.events}),
            "grievance_cells": agg["grievances"].cells, "grievance_cells_suppressed": agg["grievances"].suppressed,
            "outage_cells": agg["outages"].cells, "outage_cells_suppressed": agg["outages"].suppressed,
            "dp_epsilon": table.epsilon, "dp_error95": table.error95,
            "dp_budget_left": table.budget.remaining}


def decoy(vault: Vault, rng: random.Random) -> None:
    """A harmless contact in a decoy vault: a cousin's phone."""
    recipient, signing, _ = _peer(rng)
    add_contact(vault, "ابن عمي", age_recipient=recipient, signing_key=signing, verified="in-person")
