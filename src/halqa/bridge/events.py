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
``bridge_outbox``         member phones' outbox entries this vault holds (a re-sent entry is a duplicate).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import msgspec

from halqa.bridge.keys import check_recipient
from halqa.errors import InvalidInput
from halqa.learning.events import check_id
from halqa.places import check_pseudonym
from halqa.vault import Projection, RecordProjection, register_kind, register_projection
from halqa.vault.authz import AGGREGATE_KIND, ROLES
from halqa.vault.events import Event
from halqa.vault.storage import dialect_of

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


class ReceiptPut(msgspec.Struct, kw_only=True):
    """A member phone's outbox entry this vault holds (its id is random: it names no one)."""

    id: str
    day: str | Unset = UNSET
    author: str | Unset = UNSET  # the phone's signing key (hex)
    record: str | Unset = UNSET  # the outage it opened, for the entry that closes it


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
                     ("bridge_aggregate.put", AggregatePut), ("bridge_budget.put", BudgetPut), ("bridge_spend.put", SpendPut),
                     ("bridge_outbox.put", ReceiptPut)):
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
    # 2: cells written as a difference, without the snapshot id (bridge_aggregate has it);
    # 3: each snapshot's event id and the newest one folded per (source, dataset): a late snapshot folds in as it comes
    version = 3
    kinds = frozenset({"bridge_aggregate.put"})
    tables = ("bridge_aggregate", "bridge_aggregate_cell", "bridge_aggregate_head")
    order_free = True

    def create(self, conn: Any) -> None:
        blob = dialect_of(conn).type("BLOB")
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate (id TEXT PRIMARY KEY, source TEXT NOT NULL, "
                     "dataset TEXT NOT NULL, created TEXT, threshold INTEGER, cells INTEGER, suppressed INTEGER, "
                     f"label TEXT, hlc BIGINT, eid {blob})")
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate_cell (source TEXT NOT NULL, dataset TEXT NOT NULL, "
                     "area TEXT NOT NULL, theme TEXT NOT NULL, period TEXT NOT NULL, value DOUBLE PRECISION, n INTEGER, "
                     "PRIMARY KEY (source, dataset, area, theme, period))")
        conn.execute("CREATE TABLE IF NOT EXISTS bridge_aggregate_head (source TEXT NOT NULL, dataset TEXT NOT NULL, "
                     f"hlc BIGINT NOT NULL, eid {blob} NOT NULL, PRIMARY KEY (source, dataset))")

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        # A snapshot id sent twice keeps its earliest event's row, in whatever order they come.
        conn.executemany("INSERT INTO bridge_aggregate (id, source, dataset, created, threshold, cells, suppressed, label, "
                         "hlc, eid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                         "source = excluded.source, dataset = excluded.dataset, created = excluded.created, "
                         "threshold = excluded.threshold, cells = excluded.cells, suppressed = excluded.suppressed, "
                         "label = excluded.label, hlc = excluded.hlc, eid = excluded.eid "
                         "WHERE excluded.hlc < bridge_aggregate.hlc OR "
                         "(excluded.hlc = bridge_aggregate.hlc AND excluded.eid < bridge_aggregate.eid)",
                         [(e.payload.id, e.device.hex(), e.payload.dataset, e.payload.created, e.payload.threshold,
                           len(e.payload.cells), e.payload.suppressed, e.payload.label, e.hlc, e.id) for e in events])
        # The newest snapshot (in (hlc, id) order) of a (source, dataset) wins, of a batch and of
        # what was folded before (a late one changes no cell); of two equal cells in one snapshot, the first.
        latest = _newer_than_folded(conn, "bridge_aggregate_head", events)
        newest = {pair: e.payload for pair, e in latest.items()}
        sources = sorted({source for source, _ in newest})
        held: dict[tuple[str, str], dict[tuple[str, str, str], tuple[float, int]]] = {pair: {} for pair in newest}
        for i in range(0, len(sources), 400):
            part = sources[i:i + 400]
            for source, dataset, area, theme, period, value, n in conn.execute(
                    "SELECT source, dataset, area, theme, period, value, n FROM bridge_aggregate_cell "
                    f"WHERE source IN ({', '.join('?' * len(part))})", part):
                cells = held.get((source, dataset))
                if cells is not None:
                    cells[(area, theme, period)] = (value, n)
        gone, changed = [], []
        for (source, dataset), p in newest.items():
            new: dict[tuple[str, str, str], tuple[float, int]] = {}
            for area, theme, period, value, n in p.cells:
                new.setdefault((area, theme, period), (float(value), int(n)))
            old = held[(source, dataset)]
            gone += [(source, dataset, *key) for key in old if key not in new]
            changed += [(source, dataset, *key, *cell) for key, cell in new.items() if old.get(key) != cell]
        conn.executemany("DELETE FROM bridge_aggregate_cell WHERE source = ? AND dataset = ? AND area = ? AND theme = ? "
                         "AND period = ?", gone)
        conn.executemany("INSERT INTO bridge_aggregate_cell (source, dataset, area, theme, period, value, n) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, dataset, area, theme, period) "
                         "DO UPDATE SET value = excluded.value, n = excluded.n", changed)
        _fold_heads(conn, "bridge_aggregate_head", latest)


def _newer_than_folded(conn: Any, table: str, events: list[Event]) -> dict[tuple[str, str], Event]:
    """Of ``events`` (aggregate snapshots), the newest per ``(source, dataset)`` in ``(hlc, id)``
    order, if newer than the one ``table`` (``source, dataset, hlc, eid``) says was folded."""
    latest: dict[tuple[str, str], Event] = {}
    for e in events:
        pair = (e.device.hex(), e.payload.dataset)
        if pair not in latest or (e.hlc, e.id) > (latest[pair].hlc, latest[pair].id):
            latest[pair] = e
    sources = sorted({source for source, _ in latest})
    for i in range(0, len(sources), 400):
        part = sources[i:i + 400]
        for source, dataset, hlc, eid in conn.execute(
                f"SELECT source, dataset, hlc, eid FROM {table} WHERE source IN ({', '.join('?' * len(part))})", part):
            ours = latest.get((source, dataset))
            if ours is not None and (ours.hlc, ours.id) < (int(hlc), bytes(eid)):
                del latest[(source, dataset)]
    return latest


def _fold_heads(conn: Any, table: str, latest: dict[tuple[str, str], Event]) -> None:
    conn.executemany(f"INSERT INTO {table} (source, dataset, hlc, eid) VALUES (?, ?, ?, ?) ON CONFLICT (source, dataset) "
                     "DO UPDATE SET hlc = excluded.hlc, eid = excluded.eid",
                     [(source, dataset, e.hlc, e.id) for (source, dataset), e in sorted(latest.items())])


class AreaMonthProjection(Projection):
    """Each source's newest snapshot of each dataset summed per area and month (a period's first
    seven characters: the month of an ISO day, of a week's Monday, or the month itself), and
    those summed across sources. Portable SQL (the hub and any vault keep it).

    ``hub_area_month(dataset, area, month, source, value, n)``: one circle-year of daily outage
    cells (about 2,200) becomes about 70 rows. ``hub_area_total(dataset, area, month, value, n,
    circles)``: the cross-circle answer, at most areas x months rows however many circles send;
    the totals of the areas a snapshot touches are summed again from ``hub_area_month`` in source
    order, so an incremental fold and a rebuild give the same bits."""

    name = "hub_area_month"
    version = 2  # 2: hub_area_head, the newest snapshot folded per (source, dataset): a late one folds in as it comes
    kinds = frozenset({AGGREGATE_KIND})
    tables = ("hub_area_month", "hub_area_total", "hub_area_head")
    order_free = True

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS hub_area_month (dataset TEXT NOT NULL, area TEXT NOT NULL, "
                     "month TEXT NOT NULL, source TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, n BIGINT NOT NULL, "
                     "PRIMARY KEY (dataset, area, month, source))")
        conn.execute("CREATE INDEX IF NOT EXISTS hub_area_month_source ON hub_area_month (source, dataset)")
        conn.execute("CREATE TABLE IF NOT EXISTS hub_area_total (dataset TEXT NOT NULL, area TEXT NOT NULL, "
                     "month TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, n BIGINT NOT NULL, circles BIGINT NOT NULL, "
                     "PRIMARY KEY (dataset, area, month))")
        conn.execute("CREATE TABLE IF NOT EXISTS hub_area_head (source TEXT NOT NULL, dataset TEXT NOT NULL, "
                     f"hlc BIGINT NOT NULL, eid {dialect_of(conn).type('BLOB')} NOT NULL, PRIMARY KEY (source, dataset))")

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        # The newest snapshot (in (hlc, id) order) of a (source, dataset) replaces the older, of
        # this batch and of what was folded before: a late one (older than that) changes nothing.
        latest = _newer_than_folded(conn, "hub_area_head", events)
        newest = {pair: e.payload for pair, e in latest.items()}
        _fold_heads(conn, "hub_area_head", latest)
        rows = []
        touched: dict[str, set[str]] = {}
        for (source, dataset), p in newest.items():
            cells: dict[tuple[str, str, str], tuple[float, int]] = {}
            for area, theme, period, value, n in p.cells:  # of two equal cells the first, as bridge_aggregate_cell
                cells.setdefault((area, theme, period), (float(value), int(n)))
            sums: dict[tuple[str, str], list[float]] = {}
            for (area, _theme, period), (value, n) in sorted(cells.items()):
                cell = sums.setdefault((area, period[:7]), [0.0, 0])
                cell[0] += value
                cell[1] += n
            rows += [(dataset, area, month, source, v, int(n)) for (area, month), (v, n) in sums.items()]
            touched.setdefault(dataset, set()).update(area for area, _ in sums)
        # The areas the replaced sums covered: their totals change too (one look for the batch).
        sources = sorted({source for source, _ in newest})
        for i in range(0, len(sources), 400):
            part = sources[i:i + 400]
            for source, dataset, area in conn.execute("SELECT DISTINCT source, dataset, area FROM hub_area_month "
                                                      f"WHERE source IN ({', '.join('?' * len(part))})", part):
                if (source, dataset) in newest:
                    touched.setdefault(dataset, set()).add(area)
        by_dataset: dict[str, list[str]] = {}
        for source, dataset in sorted(newest):
            by_dataset.setdefault(dataset, []).append(source)
        for dataset, replaced in by_dataset.items():
            for i in range(0, len(replaced), 400):
                part = replaced[i:i + 400]
                conn.execute(f"DELETE FROM hub_area_month WHERE dataset = ? AND source IN ({', '.join('?' * len(part))})",
                             (dataset, *part))
        conn.executemany("INSERT INTO hub_area_month (dataset, area, month, source, value, n) VALUES (?, ?, ?, ?, ?, ?)",
                         sorted(rows))
        for dataset, areas in sorted(touched.items()):
            names = sorted(areas)
            for i in range(0, len(names), 500):
                self._total(conn, dataset, names[i:i + 500])

    def _total(self, conn: Any, dataset: str, areas: list[str]) -> None:
        marks = ", ".join("?" * len(areas))
        totals: dict[tuple[str, str], list[float]] = {}
        for area, month, value, n in conn.execute(
                f"SELECT area, month, value, n FROM hub_area_month WHERE dataset = ? AND area IN ({marks}) "
                "ORDER BY area, month, source", (dataset, *areas)):
            total = totals.setdefault((area, month), [0.0, 0, 0])
            total[0] += value
            total[1] += n
            total[2] += 1
        conn.execute(f"DELETE FROM hub_area_total WHERE dataset = ? AND area IN ({marks})", (dataset, *areas))
        conn.executemany("INSERT INTO hub_area_total (dataset, area, month, value, n, circles) VALUES (?, ?, ?, ?, ?, ?)",
                         [(dataset, area, month, v, int(n), int(c)) for (area, month), (v, n, c) in sorted(totals.items())])


register_projection(AreaMonthProjection())


register_projection(RecordProjection("bridge_contact", ContactPut, indexes=("name",), version=3))  # 3: circle
register_projection(KnownProjection())
register_projection(RecordProjection("bridge_seen", SeenPut))
register_projection(AggregateProjection())
register_projection(RecordProjection("bridge_budget", BudgetPut, key="dataset"))
register_projection(RecordProjection("bridge_spend", SpendPut, indexes=("dataset",)))
register_projection(RecordProjection("bridge_outbox", ReceiptPut, indexes=("record",)))


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput("bridge.bad_contact_name", name=name[:64])
    return name
