"""The bridge's reads: contacts, what each contact holds, bundles seen, outbox receipts,
privacy budgets and received aggregates. With :mod:`halqa.bridge.events`, the only module whose
SQL names the bridge's tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from halqa.bridge.events import UNSET, ContactPut, Unset
from halqa.bridge.keys import fingerprint
from halqa.errors import HalqaError, InvalidInput, NotFound
from halqa.vault import CommitRecord, Vault
from halqa.vault.authz import DEFAULT_ROLE, LOCAL, Grant, Unauthorised, grants_of
from halqa.vault.events import decode_payload

__all__ = ["DATASETS", "DP_DATASETS", "AreaMonth", "Budget", "Contact", "ReceivedCell", "aggregate_sources", "area_totals",
           "budget", "bundle_seen", "bundles_seen",
           "contact_for_sender", "contacts", "get_contact", "import_grants", "known_heads", "outbox_held", "outbox_opened_by",
           "outbox_opened_records", "received_aggregates", "sender_keys", "spent", "unconfirmed"]

#: The aggregate datasets a circle sends (:mod:`halqa.bridge.aggregates`).
DATASETS = ("grievances", "outages", "services")
#: The datasets published with differential privacy (:mod:`halqa.bridge.privacy`).
DP_DATASETS = ("grievances", "outages")


class Contact(msgspec.Struct, kw_only=True, frozen=True):
    """A contact as callers see it: ``role`` is ``ally`` until confirmed (``confirmed`` False)."""

    name: str
    age_recipient: str
    signing_key: str | None  # hex Ed25519 public key; None for an age-only contact
    fingerprint: str
    verified: str | None
    added: str | None  # ISO day
    id: str
    role: str
    household: str | None
    pseudonym: str | None
    circle: str | None
    confirmed: bool

    @property
    def key(self) -> str:
        """What the contact is known by in ``bridge_known``: its signing key, else its age recipient."""
        return self.signing_key or self.age_recipient


class Budget(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset's privacy budget: ``total`` (None when none is set), ``spent``, ``remaining``."""

    total: float | None
    spent: float
    remaining: float | None
    publications: int


class ReceivedCell(msgspec.Struct, kw_only=True, frozen=True):
    """Received aggregates summed across circles: the grouping keys asked for (the others unset),
    ``value`` and ``n`` (sums) and ``circles`` (how many sources)."""

    source: str | Unset = UNSET
    area: str | Unset = UNSET
    theme: str | Unset = UNSET
    period: str | Unset = UNSET
    value: float
    n: int
    circles: int


# ---------------------------------------------------------------------------- contacts
_COLUMNS = ("SELECT name, age_recipient, signing_key, fingerprint, verified, added, id, "
            "coalesce(role, '') AS role, household, pseudonym, circle FROM bridge_contact")


def _contact(row: Any) -> Contact:
    return Contact(name=row[0], age_recipient=row[1], signing_key=row[2], fingerprint=row[3], verified=row[4],
                   added=row[5], id=row[6], role=row[7] or DEFAULT_ROLE, household=row[8], pseudonym=row[9],
                   circle=row[10], confirmed=bool(row[7]))


# This device's own entry, which another device of the circle made when pairing with it and which
# replicated here, is not a contact of this device.
_NOT_SELF = " WHERE coalesce(signing_key, '') != ?"


def contacts(vault: Vault) -> list[Contact]:
    """Every contact: name, keys, fingerprint, role, how it was verified, when added."""
    return [_contact(r) for r in vault.query(_COLUMNS + _NOT_SELF + " ORDER BY name, id", (vault.device_id.hex(),))]


def get_contact(vault: Vault, name: str) -> Contact:
    """One contact by name (raises :class:`NotFound`)."""
    row = vault.query_one(_COLUMNS + _NOT_SELF + " AND name = ? ORDER BY added DESC, id LIMIT 1",
                          (vault.device_id.hex(), name))
    if row is None:
        raise NotFound("bridge.unknown_contact", name=name)
    return _contact(row)


def unconfirmed(vault: Vault) -> list[Contact]:
    """Contacts whose role was never set (added before roles existed): ``ally`` until confirmed."""
    return [c for c in contacts(vault) if not c.confirmed]


def contact_for_sender(vault: Vault, signing_key: bytes) -> Contact | None:
    """The contact whose signing key is ``signing_key``, if any."""
    row = vault.query_one(_COLUMNS + " WHERE signing_key = ? ORDER BY added DESC, id LIMIT 1", (signing_key.hex(),))
    return None if row is None else _contact(row)


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


# ---------------------------------------------------------------------------- bundles and outboxes
def bundle_seen(vault: Vault, bundle_id: str) -> bool:
    """Whether the bundle ``bundle_id`` (hex) was imported here already."""
    return vault.query_one("SELECT 1 FROM bridge_seen WHERE id = ?", (bundle_id,)) is not None


def bundles_seen(vault: Vault, bundle_ids: Sequence[str]) -> set[str]:
    """Which of the bundles ``bundle_ids`` (hex) were imported here already (one look for many)."""
    out: set[str] = set()
    for i in range(0, len(bundle_ids), 400):
        part = list(bundle_ids[i:i + 400])
        out.update(r[0] for r in vault.query(f"SELECT id FROM bridge_seen WHERE id IN ({', '.join('?' * len(part))})", part))
    return out


def sender_keys(vault: Vault) -> set[str]:
    """The signing keys (hex) of every contact: the senders :func:`contact_for_sender` finds."""
    return {r[0] for r in vault.query("SELECT signing_key FROM bridge_contact WHERE signing_key IS NOT NULL")}


def outbox_held(vault: Vault) -> set[str]:
    """Every outbox entry id this vault holds."""
    return {r[0] for r in vault.query("SELECT id FROM bridge_outbox")}


def outbox_opened_by(vault: Vault, author: bytes, records: Sequence[str]) -> set[str]:
    """Which of ``records`` (outage ids) an outbox entry of the phone ``author`` opened."""
    if not records:
        return set()
    marks = ", ".join("?" * len(records))
    return {r[0] for r in vault.query(f"SELECT record FROM bridge_outbox WHERE author = ? AND record IN ({marks})",
                                      (author.hex(), *records))}


def outbox_opened_records(vault: Vault) -> list[tuple[str, bytes]]:
    """Every ``(outage id, phone's signing key)`` an outbox entry opened."""
    return [(r[0], bytes.fromhex(r[1])) for r in vault.query(
        "SELECT record, author FROM bridge_outbox WHERE record IS NOT NULL AND author IS NOT NULL")]


# ---------------------------------------------------------------------------- privacy budgets
def spent(vault: Vault, dataset: str) -> float:
    """The epsilon spent so far on ``dataset``."""
    row = vault.query_one("SELECT coalesce(sum(epsilon), 0) FROM bridge_spend WHERE dataset = ?", (dataset,))
    return float(row[0])


def budget(vault: Vault) -> dict[str, Budget]:
    """Per dataset: ``total`` (None when no budget is set), ``spent``, ``remaining``, ``publications``."""
    totals = {r[0]: float(r[1]) for r in vault.query("SELECT dataset, epsilon FROM bridge_budget")}
    out = {}
    for ds in DP_DATASETS:
        used = spent(vault, ds)
        n = vault.query_one("SELECT count(*) FROM bridge_spend WHERE dataset = ?", (ds,))[0]
        total = totals.get(ds)
        out[ds] = Budget(total=total, spent=round(used, 6),
                         remaining=None if total is None else round(max(0.0, total - used), 6), publications=n)
    return out


# ---------------------------------------------------------------------------- aggregates received
def received_aggregates(store: Vault, dataset: str = "grievances", by: tuple[str, ...] = ("theme", "period"),
                        own: bool = False) -> list[ReceivedCell]:
    """Aggregates received from circles (newest snapshot of each), summed across circles by
    ``by`` (any of ``source``, ``area``, ``theme``, ``period``). Works on a vault and on the hub.

    Each row: the keys, ``value`` (sum), ``n`` (sum) and ``circles`` (how many sources)."""
    if dataset not in DATASETS:
        raise InvalidInput("bridge.bad_dataset", dataset=dataset, datasets=", ".join(DATASETS))
    cols = [c for c in by if c in ("source", "area", "theme", "period")]
    if len(cols) != len(by):
        raise InvalidInput("bridge.bad_group_by", by=",".join(by))
    keys = ", ".join(cols)
    where = "dataset = ?"
    args: list[Any] = [dataset]
    if not own:
        where += " AND source <> ?"
        args.append(store.device_id.hex())
    sql = (f"SELECT {keys + ', ' if keys else ''}sum(value) AS value, sum(n) AS n, count(DISTINCT source) AS circles "
           f"FROM bridge_aggregate_cell WHERE {where}" + (f" GROUP BY {keys} ORDER BY {keys}" if keys else ""))
    rows = store.query(sql, args)
    return [ReceivedCell(**{c: r[i] for i, c in enumerate(cols)}, value=float(r[len(cols)] or 0),
                         n=int(r[len(cols) + 1] or 0), circles=int(r[len(cols) + 2]))
            for r in rows if r[len(cols) + 2]]


def aggregate_sources(store: Vault) -> int:
    """How many circles (source devices) sent aggregate snapshots (for the hub's summary)."""
    row = store.query_one("SELECT count(DISTINCT source) FROM bridge_aggregate")
    return int(row[0]) if row else 0


class AreaMonth(msgspec.Struct, kw_only=True, frozen=True):
    """One area and month across every circle's newest snapshot: ``value`` and ``n`` summed, and
    how many ``circles`` sent that cell."""

    area: str
    month: str
    value: float
    n: int
    circles: int


def area_totals(store: Vault, dataset: str) -> list[AreaMonth]:
    """The cross-circle totals of ``dataset`` per area and month (``hub_area_total``)."""
    return [AreaMonth(area=r[0], month=r[1], value=float(r[2]), n=int(r[3]), circles=int(r[4])) for r in store.query(
        "SELECT area, month, value, n, circles FROM hub_area_total WHERE dataset = ? ORDER BY area, month", (dataset,))]
