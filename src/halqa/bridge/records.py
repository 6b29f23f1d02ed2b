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

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from halqa.bridge.keys import check_recipient, fingerprint
from halqa.errors import HalqaError, InvalidInput, NotFound
from halqa.learning.records import check_id
from halqa.places import check_pseudonym
from halqa.vault import CommitRecord, Projection, RecordProjection, Vault, register_kind, register_projection
from halqa.vault.authz import DEFAULT_ROLE, LOCAL, ROLES, Grant, Unauthorised, grants_of
from halqa.vault.events import Event, decode_payload

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

VERIFIED = ("in-person", "qr", "phone", "messenger", "unverified")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CELL = re.compile(r"^[\w.:+-]{0,64}$")  # codes, ids, ISO days and weeks; no '/', space or control


class ContactPut(msgspec.Struct, kw_only=True):
    id: str
    name: str | Unset = UNSET
    age_recipient: str | Unset = UNSET
    signing_key: str | Unset | None = UNSET  # hex Ed25519 public key, None for age-only contacts
    verified: str | Unset = UNSET
    fingerprint: str | Unset = UNSET
    added: str | Unset = UNSET  # ISO day
    role: str | Unset = UNSET  # see halqa.vault.authz.ROLES; absent (older vaults): ally until confirmed
    household: str | Unset | None = UNSET  # a member's own household
    pseudonym: str | Unset | None = UNSET  # a member's own pseudonym
    circle: str | Unset | None = UNSET  # a member's own circle: its check-ins belong to it

    def check(self) -> None:
        if isinstance(self.name, str):
            check_name(self.name)
        if isinstance(self.age_recipient, str):
            check_recipient(self.age_recipient)
        if isinstance(self.signing_key, str) and not _HEX64.match(self.signing_key):
            raise InvalidInput("bridge.bad_signing_key")
        if isinstance(self.verified, str) and self.verified not in VERIFIED:
            raise InvalidInput("bridge.bad_verified", how=self.verified, allowed=", ".join(VERIFIED))
        if isinstance(self.role, str) and self.role not in ROLES:
            raise InvalidInput("bridge.bad_role", role=self.role, allowed=", ".join(ROLES))
        for value in (self.household, self.pseudonym):
            if isinstance(value, str):
                check_pseudonym(value)
        if isinstance(self.circle, str):
            check_id(self.circle, "circle")


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

    def check(self) -> None:
        """Cells are short plain labels and finite counts: they end up in tables, CSV files,
        posters and file names on the receiving side."""
        if not 1 <= self.threshold <= 10_000 or self.suppressed < 0 or not _LABEL.match(self.dataset) \
                or len(self.label) > 200 or any(ord(c) < 32 for c in self.label):
            raise InvalidInput("bridge.bad_aggregate", detail=self.dataset[:40])
        for area, theme, period, value, n in self.cells:
            if not (_CELL.match(area) and _CELL.match(theme) and _CELL.match(period)) \
                    or not math.isfinite(value) or not 0 <= n <= 1 << 40:
                raise InvalidInput("bridge.bad_aggregate", detail=f"{area[:20]} {theme[:20]} {period[:20]}")


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

    name = "bridge_known"
    version = 1
    kinds = frozenset({"bridge_known.put"})
    tables = ("bridge_known",)

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

    A snapshot carries the circle's whole history, so most of its cells are those of the one
    before: only the cells that differ are written (a hub at a thousand circles would otherwise
    rewrite every circle's history every month; docs/scaling.md). Portable SQL only (it also runs
    on the allies' PostgreSQL hub)."""

    name = "bridge_aggregate"
    version = 2  # 2: cells written as a difference, without the snapshot id (bridge_aggregate has it)
    kinds = frozenset({"bridge_aggregate.put"})
    tables = ("bridge_aggregate", "bridge_aggregate_cell")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
                     "dataset TEXT NOT NULL, created TEXT, threshold INTEGER, cells INTEGER, suppressed INTEGER, "
                     "label TEXT, hlc BIGINT)")
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate_cell (source TEXT NOT NULL, dataset TEXT NOT NULL, "
                     "area TEXT NOT NULL, theme TEXT NOT NULL, period TEXT NOT NULL, value DOUBLE PRECISION, n INTEGER, "
                     "PRIMARY KEY (source, dataset, area, theme, period))")

    def apply(self, conn: Any, event: Event) -> None:
        p = event.payload
        source = event.device.hex()
        conn.execute("INSERT INTO bridge_aggregate (id, source, dataset, created, threshold, cells, suppressed, label, hlc) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                     (p.id, source, p.dataset, p.created, p.threshold, len(p.cells), p.suppressed, p.label, event.hlc))
        # Events arrive in (hlc, id) order: the newest snapshot of a (source, dataset) wins; of two
        # equal cells in one snapshot, the first.
        new: dict[tuple[str, str, str], tuple[float, int]] = {}
        for area, theme, period, value, n in p.cells:
            new.setdefault((area, theme, period), (float(value), int(n)))
        held = {(r[0], r[1], r[2]): (r[3], r[4]) for r in conn.execute(
            "SELECT area, theme, period, value, n FROM bridge_aggregate_cell WHERE source = ? AND dataset = ?",
            (source, p.dataset))}
        conn.executemany("DELETE FROM bridge_aggregate_cell WHERE source = ? AND dataset = ? AND area = ? AND theme = ? "
                         "AND period = ?", [(source, p.dataset, *key) for key in held if key not in new])
        conn.executemany("INSERT INTO bridge_aggregate_cell (source, dataset, area, theme, period, value, n) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, dataset, area, theme, period) "
                         "DO UPDATE SET value = excluded.value, n = excluded.n",
                         [(source, p.dataset, *key, *cell) for key, cell in new.items() if held.get(key) != cell])


register_projection(RecordProjection("bridge_contact", ContactPut, indexes=("name",), version=3))  # 3: circle
register_projection(KnownProjection())
register_projection(RecordProjection("bridge_seen", SeenPut))
register_projection(AggregateProjection())
register_projection(RecordProjection("bridge_budget", BudgetPut, key="dataset"))
register_projection(RecordProjection("bridge_spend", SpendPut, indexes=("dataset",)))


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------------------- contacts
_COLUMNS = ("SELECT name, age_recipient, signing_key, fingerprint, verified, added, id, "
            "coalesce(role, '') AS role, household, pseudonym, circle FROM bridge_contact")


def _row(row: Any) -> dict[str, Any]:
    """A contact as callers see it: ``role`` is ``ally`` until confirmed (``confirmed`` False)."""
    out = dict(row)
    out["confirmed"] = bool(out["role"])
    out["role"] = out["role"] or DEFAULT_ROLE
    return out


# This device's own entry, which another device of the circle made when pairing with it and which
# replicated here, is not a contact of this device.
_NOT_SELF = " WHERE coalesce(signing_key, '') != ?"


def contacts(vault: Vault) -> list[dict[str, Any]]:
    """Every contact: name, keys, fingerprint, role, how it was verified, when added."""
    return [_row(r) for r in vault.query(_COLUMNS + _NOT_SELF + " ORDER BY name, id", (vault.device_id.hex(),))]


def get_contact(vault: Vault, name: str) -> dict[str, Any]:
    """One contact by name (raises :class:`NotFound`)."""
    row = vault.query_one(_COLUMNS + _NOT_SELF + " AND name = ? ORDER BY added DESC, id LIMIT 1",
                          (vault.device_id.hex(), name))
    if row is None:
        raise NotFound("bridge.unknown_contact", name=name)
    return _row(row)


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput("bridge.bad_contact_name", name=name[:64])
    return name


def contact_for_sender(vault: Vault, signing_key: bytes) -> dict[str, Any] | None:
    """The contact whose signing key is ``signing_key``, if any."""
    row = vault.query_one(_COLUMNS + " WHERE signing_key = ? ORDER BY added DESC, id LIMIT 1", (signing_key.hex(),))
    return None if row is None else _row(row)


def known_heads(vault: Vault, contact_key: str) -> dict[bytes, int]:
    """What a contact is known to hold: author device -> highest commit sequence."""
    return {bytes.fromhex(r[0]): int(r[1]) for r in vault.query(
        "SELECT device, seq FROM bridge_known WHERE contact = ?", (contact_key,))}


def import_grants(vault: Vault, records: Sequence[CommitRecord]) -> dict[bytes, Grant]:
    """What each author device is to this vault for an import of ``records``: the local contacts,
    plus the contact changes in ``records`` made by this circle's other devices (contacts and roles
    replicate among ``device`` contacts only; :func:`halqa.vault.authz.authorise` refuses them from
    anyone else). A change of the keys of a contact this vault already holds is never taken from an
    import: it raises :class:`~halqa.vault.authz.Unauthorised` showing both fingerprints, so the
    change is confirmed here first (``halqa contacts rekey``)."""
    local = {r["id"]: dict(r) for r in vault.query(
        "SELECT id, name, age_recipient, signing_key, fingerprint, role, household, pseudonym, circle FROM bridge_contact")}
    # Only the two contact kinds: another kind named like them decodes to a plain dict, which
    # authorise() refuses with a clear message (found by fuzz/).
    changes = sorted((e.hlc, e.id, rec.device, e.kind, e.body) for rec in records for e in rec.events
                     if e.kind in ("bridge_contact.put", "bridge_contact.delete") and e.body is not None)
    grants = grants_of(list(local.values()))
    while True:  # a device added by another device in this same bundle may carry changes too
        rows = {k: dict(v) for k, v in local.items()}
        for _, _, author, kind, body in changes:
            grant = LOCAL if author == vault.device_id else grants.get(author)
            if grant is None or grant.role != "device":
                continue
            try:
                payload = decode_payload(kind, body)
            except HalqaError:
                continue  # authorise() refuses it with a clear message
            if kind == "bridge_contact.delete":
                rows.pop(payload.id, None)
                continue
            old = local.get(payload.id)
            if old is not None:
                _refuse_rekey(old, payload)
            row = rows.setdefault(payload.id, {"id": payload.id})
            row.update({f: v for f in payload.__struct_fields__ if (v := getattr(payload, f)) is not UNSET})
        found = grants_of(list(rows.values()))
        if found == grants:
            return grants
        grants = found


def _refuse_rekey(old: dict[str, Any], put: ContactPut) -> None:
    new_recipient = old["age_recipient"] if put.age_recipient is UNSET else put.age_recipient
    new_key = old["signing_key"] if put.signing_key is UNSET else put.signing_key
    if (new_recipient, new_key) != (old["age_recipient"], old["signing_key"]):
        try:
            new_fp = fingerprint(bytes.fromhex(new_key) if new_key else None, new_recipient)
        except (ValueError, TypeError):
            new_fp = "?"
        raise Unauthorised("sync.key_change", name=old["name"], old=old["fingerprint"], new=new_fp)
