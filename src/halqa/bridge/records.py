"""The bridge's events and tables: contacts, what each contact holds, bundles seen, aggregates, budgets.

Every table is a pure fold of events in ``(hlc, id)`` order, so devices that exchange bundles
end with identical tables:

``bridge_contact``        people and devices we exchange bundles with (keyed by a random id;
                          ``name`` is what this circle calls them).
``bridge_known``          per contact and author device, the highest commit sequence the contact
                          is known to hold (max of what they told us and what we sent them).
``bridge_seen``           bundles already imported (by bundle id): a replay is refused.
``bridge_aggregate``      aggregate snapshots (a circle's counts for allies), one row each, and
``bridge_aggregate_cell`` the cells of the newest snapshot per (source device, dataset).
``bridge_budget``         the differential-privacy budget of each dataset (epsilon), and
``bridge_spend``          every publication that spent from it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.vault import Projection, RecordProjection, Vault, register_kind, register_projection
from halqa.vault.events import Event

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

VERIFIED = ("in-person", "qr", "phone", "messenger", "unverified")


class ContactPut(msgspec.Struct, kw_only=True):
    id: str
    name: str | Unset = UNSET
    age_recipient: str | Unset = UNSET
    signing_key: str | Unset | None = UNSET  # hex Ed25519 public key, None for age-only contacts
    verified: str | Unset = UNSET
    fingerprint: str | Unset = UNSET
    added: str | Unset = UNSET  # ISO day


class KnownPut(msgspec.Struct, kw_only=True):
    """``contact`` (hex signing key or age recipient) holds at least ``heads`` (device hex -> seq)."""

    id: str
    contact: str
    heads: dict[str, int]
    how: str = "ack"  # ack: they told us in a bundle; sent: we sent it to them


class SeenPut(msgspec.Struct, kw_only=True):
    id: str  # bundle id, hex
    sender: str | Unset = UNSET
    kind: str | Unset = UNSET
    day: str | Unset = UNSET


class AggregatePut(msgspec.Struct, kw_only=True):
    """A snapshot of one aggregate dataset: cells ``[area, theme, period, value, n]`` that passed
    small-cell suppression (``suppressed`` cells were withheld)."""

    id: str
    dataset: str
    created: str
    threshold: int
    cells: list[tuple[str, str, str, float, int]]
    suppressed: int = 0
    label: str = ""


class BudgetPut(msgspec.Struct, kw_only=True):
    dataset: str
    epsilon: float | Unset = UNSET


class SpendPut(msgspec.Struct, kw_only=True):
    id: str
    dataset: str | Unset = UNSET
    epsilon: float | Unset = UNSET
    what: str | Unset = UNSET
    at: str | Unset = UNSET


for _kind, _type in (("bridge_contact.put", ContactPut), ("bridge_known.put", KnownPut), ("bridge_seen.put", SeenPut),
                     ("bridge_aggregate.put", AggregatePut), ("bridge_budget.put", BudgetPut), ("bridge_spend.put", SpendPut)):
    register_kind(_kind, _type)


class KnownProjection(Projection):
    """``bridge_known(contact, device, seq)``: the maximum ever stated, so order never matters."""

    name: ClassVar[str] = "bridge_known"
    version: ClassVar[int] = 1
    kinds: ClassVar[frozenset[str]] = frozenset({"bridge_known.put"})
    tables: ClassVar[tuple[str, ...]] = ("bridge_known",)

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_known (contact TEXT NOT NULL, device TEXT NOT NULL, "
                     "seq BIGINT NOT NULL, PRIMARY KEY (contact, device))")

    def apply(self, conn: Any, event: Event) -> None:
        p = event.payload
        for device, seq in sorted(p.heads.items()):
            conn.execute("INSERT INTO bridge_known (contact, device, seq) VALUES (?, ?, ?) ON CONFLICT (contact, device) "
                         "DO UPDATE SET seq = CASE WHEN excluded.seq > bridge_known.seq THEN excluded.seq "
                         "ELSE bridge_known.seq END", (p.contact, device, int(seq)))


class AggregateProjection(Projection):
    """Aggregate snapshots; the cells of the newest snapshot per (source device, dataset).

    Portable SQL only (it also runs on the allies' PostgreSQL hub)."""

    name: ClassVar[str] = "bridge_aggregate"
    version: ClassVar[int] = 1
    kinds: ClassVar[frozenset[str]] = frozenset({"bridge_aggregate.put"})
    tables: ClassVar[tuple[str, ...]] = ("bridge_aggregate", "bridge_aggregate_cell")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
                     "dataset TEXT NOT NULL, created TEXT, threshold INTEGER, cells INTEGER, suppressed INTEGER, "
                     "label TEXT, hlc BIGINT)")
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate_cell (source TEXT NOT NULL, dataset TEXT NOT NULL, "
                     "area TEXT NOT NULL, theme TEXT NOT NULL, period TEXT NOT NULL, value DOUBLE PRECISION, n INTEGER, "
                     "snapshot TEXT, PRIMARY KEY (source, dataset, area, theme, period))")

    def apply(self, conn: Any, event: Event) -> None:
        p = event.payload
        source = event.device.hex()
        conn.execute("INSERT INTO bridge_aggregate (id, source, dataset, created, threshold, cells, suppressed, label, hlc) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                     (p.id, source, p.dataset, p.created, p.threshold, len(p.cells), p.suppressed, p.label, event.hlc))
        # Events arrive in (hlc, id) order: the newest snapshot of a (source, dataset) wins.
        conn.execute("DELETE FROM bridge_aggregate_cell WHERE source = ? AND dataset = ?", (source, p.dataset))
        conn.executemany("INSERT INTO bridge_aggregate_cell (source, dataset, area, theme, period, value, n, snapshot) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, dataset, area, theme, period) DO NOTHING",
                         [(source, p.dataset, a, th, per, float(v), int(n), p.id) for a, th, per, v, n in p.cells])


register_projection(RecordProjection("bridge_contact", {
    "id": "TEXT", "name": "TEXT", "age_recipient": "TEXT", "signing_key": "TEXT", "verified": "TEXT",
    "fingerprint": "TEXT", "added": "TEXT"}, indexes=("name",)))
register_projection(KnownProjection())
register_projection(RecordProjection("bridge_seen", {"id": "TEXT", "sender": "TEXT", "kind": "TEXT", "day": "TEXT"}))
register_projection(AggregateProjection())
register_projection(RecordProjection("bridge_budget", {"dataset": "TEXT", "epsilon": "REAL"}, key="dataset"))
register_projection(RecordProjection("bridge_spend", {"id": "TEXT", "dataset": "TEXT", "epsilon": "REAL", "what": "TEXT",
                                                      "at": "TEXT"}, indexes=("dataset",)))


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_id() -> str:
    return secrets.token_hex(8)


# ---------------------------------------------------------------------------- contacts
def contacts(vault: Vault) -> list[dict[str, Any]]:
    """Every contact: name, keys, fingerprint, how it was verified, when added."""
    return [dict(r) for r in vault.query("SELECT name, age_recipient, signing_key, fingerprint, verified, added, id "
                                         "FROM bridge_contact ORDER BY name, id")]


def get_contact(vault: Vault, name: str) -> dict[str, Any]:
    """One contact by name (raises :class:`NotFound`)."""
    row = vault.query_one("SELECT name, age_recipient, signing_key, fingerprint, verified, added, id FROM bridge_contact "
                          "WHERE name = ? ORDER BY added DESC, id LIMIT 1", (name,))
    if row is None:
        raise NotFound("bridge.unknown_contact", name=name)
    return dict(row)


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(c in name for c in "\n\r\t"):
        raise InvalidInput("bridge.bad_contact_name", name=name[:64])
    return name


def contact_for_sender(vault: Vault, signing_key: bytes) -> dict[str, Any] | None:
    """The contact whose signing key is ``signing_key``, if any."""
    row = vault.query_one("SELECT name, age_recipient, signing_key, fingerprint, verified, added, id FROM bridge_contact "
                          "WHERE signing_key = ? ORDER BY added DESC, id LIMIT 1", (signing_key.hex(),))
    return None if row is None else dict(row)


def known_heads(vault: Vault, contact_key: str) -> dict[bytes, int]:
    """What a contact is known to hold: author device -> highest commit sequence."""
    return {bytes.fromhex(r[0]): int(r[1]) for r in vault.query(
        "SELECT device, seq FROM bridge_known WHERE contact = ?", (contact_key,))}
