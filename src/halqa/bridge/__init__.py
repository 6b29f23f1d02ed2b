"""halqa.bridge: moving data between a circle's devices and to allies, safely.

Owns device identities (age X25519 recipient + Ed25519 signing key, fingerprints, pairing QR
codes), contacts and their roles (``device``, ``member``, ``ally``, ``circle``, ``hub``: what
each may author here and receive, :mod:`halqa.vault.authz`), sealed bundles (age files any
standard age client can open; format in ``docs/bundle-format.md``), their import (every
signature and hash verified, tampered, truncated, foreign or replayed bundles refused with nothing
written, and every event authorised against its author's role; merge is the vault's set union;
what is sealed follows each recipient's role),
transports (files, QR-code sequences, a mutually authenticated encrypted push over the local
network), aggregate-only bundles for allies (counts with small cells suppressed), publication
with differential-privacy noise under a tracked budget (OpenDP), and the allies' hub on
PostgreSQL (the same vault model and merge code on another connection).

Modules: ``events`` (payloads, projections, tables), ``write`` (contacts, roles, keys), ``read``
(contacts, budgets, received aggregates: the only SQL on the bridge's tables besides ``events``),
``keys`` (identities, Bech32), ``bundle`` (format, export, import), ``aggregates`` (datasets,
suppression), ``privacy`` (DP, budgets), ``qr``, ``lan`` (local push), ``outbox`` (a member phone's
sealed outbox), ``hub`` (PostgreSQL), ``demo``.
"""

from __future__ import annotations

from halqa.bridge.aggregates import DEFAULT_THRESHOLD, aggregate_tables, snapshot, suppress
from halqa.bridge.bundle import BundleInvalid, ImportResult, export_bundle, import_bundle, open_bundle
from halqa.bridge.demo import decoy, demo
from halqa.bridge.hub import hub_info, hub_init, hub_open
from halqa.bridge.keys import age_identity_text, identity, identity_qr
from halqa.bridge.lan import push_bundle, serve_push
from halqa.bridge.outbox import OutboxInvalid, import_outbox, is_outbox
from halqa.bridge.privacy import publish_table, set_budget
from halqa.bridge.qr import join_frames, qr_images, scan_texts
from halqa.bridge.read import DATASETS, Contact, budget, contacts, get_contact, received_aggregates, unconfirmed
from halqa.bridge.write import add_contact, rekey_contact, remove_contact, set_role

__all__ = [
    "DATASETS",
    "DEFAULT_THRESHOLD",
    "BundleInvalid",
    "Contact",
    "ImportResult",
    "OutboxInvalid",
    "add_contact",
    "age_identity_text",
    "aggregate_tables",
    "budget",
    "contacts",
    "decoy",
    "demo",
    "export_bundle",
    "get_contact",
    "hub_info",
    "hub_init",
    "hub_open",
    "identity",
    "identity_qr",
    "import_bundle",
    "import_outbox",
    "is_outbox",
    "join_frames",
    "open_bundle",
    "publish_table",
    "push_bundle",
    "qr_images",
    "received_aggregates",
    "rekey_contact",
    "remove_contact",
    "scan_texts",
    "serve_push",
    "set_budget",
    "set_role",
    "snapshot",
    "suppress",
    "unconfirmed",
]
