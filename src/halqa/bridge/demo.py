"""The bridge's part of the demo: an ally abroad, an aggregate-only bundle for it, a DP table."""

from __future__ import annotations

import random
from typing import Any

from nacl.bindings import crypto_scalarmult_base
from nacl.signing import SigningKey

from halqa.bridge.bundle import export_bundle
from halqa.bridge.contacts import add_contact
from halqa.bridge.keys import bech32_encode
from halqa.bridge.privacy import publish_table, set_budget
from halqa.vault import Vault

__all__ = ["decoy", "demo"]


def _peer(rng: random.Random) -> tuple[str, str]:
    """A made-up device's public keys (age recipient, hex signing key), from the demo's rng."""
    recipient = bech32_encode("age", crypto_scalarmult_base(rng.randbytes(32)))
    return recipient, bytes(SigningKey(rng.randbytes(32)).verify_key).hex()


def demo(vault: Vault, rng: random.Random) -> dict[str, Any]:
    """Pair with a (fictional) diaspora ally, seal an aggregate-only bundle to it, and publish one
    differentially private table under a budget; return what was shared and withheld."""
    recipient, signing = _peer(rng)
    ally = add_contact(vault, "allies-abroad", age_recipient=recipient, signing_key=signing, verified="in-person")
    sent = export_bundle(vault, [ally["name"]], None, aggregate_only=True, threshold=5, label="demo circle")
    set_budget(vault, "grievances", 1.0)
    table = publish_table(vault, "grievances", 0.25)
    agg = sent["aggregates"]
    return {"ally": ally["name"], "ally_fingerprint": ally["fingerprint"], "bundle_bytes": sent["bytes"],
            "grievance_cells": agg["grievances"]["cells"], "grievance_cells_suppressed": agg["grievances"]["suppressed"],
            "outage_cells": agg["outages"]["cells"], "outage_cells_suppressed": agg["outages"]["suppressed"],
            "dp_epsilon": table["epsilon"], "dp_error95": table["error95"],
            "dp_budget_left": table["budget"]["remaining"]}


def decoy(vault: Vault, rng: random.Random) -> None:
    """A harmless contact in a decoy vault: a cousin's phone."""
    recipient, signing = _peer(rng)
    add_contact(vault, "ابن عمي", age_recipient=recipient, signing_key=signing, verified="in-person")
