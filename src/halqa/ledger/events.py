"""The ledger's event kinds, their payloads and projections, and its local-time convention.

Times: the ledger keeps **local wall-clock time** as integer seconds since 1970-01-01 00:00
local ("local seconds"). Days are whole local days (``local_seconds // 86400``). Input with an
explicit UTC offset is converted to the ledger's time zone (default ``Asia/Baghdad``, UTC+3 with
no daylight saving since 2008); input without one is taken as local already. Iraq has no DST, so a
local day is always 24 hours here; for zones with DST a 23- or 25-hour day is still counted as
24 hours (documented limitation).

Tables (all pure folds of events in ``(hlc, id)`` order):

``ledger_interval``  one row per recorded outage interval (``end_at`` NULL while still off).
                     Written by ``ledger_interval.put`` (one interval; fields left UNSET are
                     untouched, so ``stop`` sets only ``end_at``), ``ledger_interval.delete``
                     (tombstone) and ``ledger_batch.put`` (an import: many intervals, columnar).
``ledger_day``       seconds without power per household and local day from its closed
                     intervals (overlaps counted once), kept as intervals arrive; with
                     ``ledger_household`` (intervals per household), ``ledger_changes`` (how
                     many events changed each household's intervals: it only grows) and
                     ``ledger_long`` (closed intervals over 31 days, left out of ``ledger_day``),
                     for supply hours without reading a period's intervals, and for reports that
                     reuse what unchanged households give.
``ledger_tally``     daily tally: hours without power on one day (key ``household|day``).
``ledger_water``     water ledger: one household-day (key ``household|day``).
``ledger_claim``     an official claim of supply hours for an area and period.
``ledger_series``    area-level customers-out series (EAGLE-I style), one row per area and step.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, overload
from zoneinfo import ZoneInfo

import msgspec
import numpy as np

from halqa.errors import InvalidInput
from halqa.i18n import t as translate
from halqa.places import check_area_code, check_iso_day, check_pseudonym
from halqa.vault import Projection, RecordProjection, register_kind, register_projection
from halqa.vault.events import Event
from halqa.vault.values import check_day

UNSET = msgspec.UNSET
#: The last second of 9999-12-31: any later "local seconds" value is nonsense, not a time.
MAX_SECONDS = 253_402_300_799
DEFAULT_TZ = "Asia/Baghdad"
SOURCES = ("grid", "generator")
EPOCH = datetime(1970, 1, 1)
DAY = 86400
#: Closed intervals longer than this are kept out of the ``ledger_day`` summary (see IntervalProjection).
LONG_SECONDS = 31 * DAY


# ---------------------------------------------------------------------------- payloads
def _check_place(household: Any, area: Any) -> None:
    """The household pseudonym and area code a ledger record names, when it names them."""
    if isinstance(household, str):
        check_pseudonym(household)
    if isinstance(area, str) and area:
        check_area_code(area)


def _check_range(value: Any, low: float, high: float, what: str) -> None:
    if isinstance(value, int | float) and not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput("ledger.error.bad_value", what=what, value=value)


class IntervalPut(msgspec.Struct, kw_only=True):
    id: str
    household: str | msgspec.UnsetType = UNSET
    area: str | msgspec.UnsetType = UNSET
    start_at: int | msgspec.UnsetType = UNSET  # local seconds
    end_at: int | msgspec.UnsetType | None = UNSET  # None: still off
    source: str | msgspec.UnsetType = UNSET
    note: str | msgspec.UnsetType = UNSET

    def check(self) -> None:
        _check_place(self.household, self.area)
        _check_range(self.start_at, 0, MAX_SECONDS, "start_at")
        _check_range(self.end_at, 0, MAX_SECONDS, "end_at")
        if isinstance(self.source, str) and self.source not in SOURCES:
            raise InvalidInput("ledger.error.bad_value", what="source", value=self.source)


class IntervalDelete(msgspec.Struct):
    id: str


class BatchPut(msgspec.Struct, kw_only=True):
    """Many intervals at once (an import), stored column by column."""

    id: str
    origin: str  # format of the import: csv, gridwatch, upnepa, paper, ...
    ids: list[str]
    household: list[str]
    area: list[str]
    start_at: list[int]
    end_at: list[int | None]
    source: list[str]


class TallyPut(msgspec.Struct, kw_only=True):
    id: str  # household|day
    household: str | msgspec.UnsetType = UNSET
    area: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    hours_off: float | msgspec.UnsetType = UNSET

    def check(self) -> None:
        _check_place(self.household, self.area)
        if isinstance(self.day, str):
            check_iso_day(self.day)
        _check_range(self.hours_off, 0, 24, "hours_off")


class WaterPut(msgspec.Struct, kw_only=True):
    id: str  # household|day
    household: str | msgspec.UnsetType = UNSET
    area: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    no_water: bool | msgspec.UnsetType = UNSET
    contaminated: bool | msgspec.UnsetType = UNSET
    smell: bool | msgspec.UnsetType = UNSET
    illness: int | msgspec.UnsetType = UNSET  # people ill that day
    litres_bought: int | msgspec.UnsetType = UNSET
    spent: str | msgspec.UnsetType = UNSET  # Decimal string, in `currency`
    currency: str | msgspec.UnsetType = UNSET

    def check(self) -> None:
        _check_place(self.household, self.area)
        if isinstance(self.day, str):
            check_iso_day(self.day)
        _check_range(self.illness, 0, 1000, "illness")
        _check_range(self.litres_bought, 0, 1_000_000, "litres_bought")
        if isinstance(self.spent, str) and self.spent:
            try:
                ok = Decimal(self.spent).is_finite() and 0 <= Decimal(self.spent) < 10**12
            except InvalidOperation:
                ok = False
            if not ok:
                raise InvalidInput("ledger.error.bad_value", what="spent", value=self.spent[:40])


class ClaimPut(msgspec.Struct, kw_only=True):
    id: str
    area: str | msgspec.UnsetType = UNSET  # "" = every area
    hours: float | msgspec.UnsetType = UNSET
    first_day: str | msgspec.UnsetType = UNSET
    last_day: str | msgspec.UnsetType = UNSET
    claimant: str | msgspec.UnsetType = UNSET


class SeriesPut(msgspec.Struct, kw_only=True):
    """An area-level customers-out series (e.g. EAGLE-I, 15-minute steps)."""

    id: str
    area: str
    step_seconds: int
    times: list[int]  # local seconds at the start of each step
    customers_out: list[int]
    total_customers: list[int]
    filled: list[bool]  # step carried forward from the previous one (rejected or missing row)


for _kind, _type in (
    ("ledger_interval.put", IntervalPut), ("ledger_interval.delete", IntervalDelete),
    ("ledger_batch.put", BatchPut),
    ("ledger_tally.put", TallyPut),
    ("ledger_water.put", WaterPut),
    ("ledger_claim.put", ClaimPut),
    ("ledger_series.put", SeriesPut),
):
    register_kind(_kind, _type)


# ---------------------------------------------------------------------------- projections
_INTERVAL_COLUMNS = ("id", "household", "area", "start_at", "end_at", "source", "note")
_INTERVAL_INDEXES = (
    # with end_at, the summary's recount and one household's intervals of a period read this index alone
    "CREATE INDEX IF NOT EXISTS ledger_interval_hh ON ledger_interval (household, start_at, end_at)",
    "CREATE INDEX IF NOT EXISTS ledger_interval_area ON ledger_interval (area, start_at)",
    # A period's intervals are those ending after its start (or still open) that began before
    # its end: read from this index alone, in order, without visiting the table's pages.
    "CREATE INDEX IF NOT EXISTS ledger_interval_end ON ledger_interval (end_at, start_at, household, area)",
    "CREATE INDEX IF NOT EXISTS ledger_interval_start ON ledger_interval (start_at)",
)


def day_off_seconds(hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                    lo: int | np.ndarray | None = None, hi: int | np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds without power per household and day: the length of the union of each household's
    intervals inside each local day (overlaps counted once), optionally only inside ``lo..hi``
    (local seconds; one value, or one per interval, the same for every interval of a household).
    Returns ``(household, day, seconds)`` of the household-days with any, sorted; intervals that
    do not end after they start add nothing."""
    hh, start, end = (np.asarray(x, dtype=np.int64) for x in (hh, start, end))
    if lo is not None:
        start = np.maximum(start, lo)
    if hi is not None:
        end = np.minimum(end, hi)
    pos = end > start
    hh, start, end = hh[pos], start[pos], end[pos]
    empty = np.zeros(0, dtype=np.int64)
    if not len(hh):
        return empty, empty, empty
    order = np.lexsort((start, hh))
    hh, start, end = hh[order], start[order], end[order]
    # the running maximum of the end within each household, at once: household * span + end grows
    # from one household's block to the next
    t0 = int(start.min())
    span = int(end.max()) - t0 + 1
    h0 = int(hh.min())
    reach = (hh - h0) * span + (end - t0)
    np.maximum.accumulate(reach, out=reach)
    # a new union piece begins where the start passes every earlier end of the same household
    new = np.ones(len(hh), dtype=bool)
    new[1:] = (hh[1:] != hh[:-1]) | ((hh[1:] - h0) * span + (start[1:] - t0) > reach[:-1])
    groups = np.flatnonzero(new)
    gh, gs, ge = hh[groups], start[groups], np.maximum.reduceat(end, groups)
    d0, d1 = gs // DAY, (ge - 1) // DAY
    reps = d1 - d0 + 1
    idx = np.repeat(np.arange(len(gs)), reps)
    day = d0[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(reps) - reps, reps))
    secs = np.minimum(ge[idx], (day + 1) * DAY) - np.maximum(gs[idx], day * DAY)
    cell_h = gh[idx]
    key = np.lexsort((day, cell_h))
    cell_h, day, secs = cell_h[key], day[key], secs[key]
    cut = np.flatnonzero(np.r_[True, (cell_h[1:] != cell_h[:-1]) | (day[1:] != day[:-1])])
    return cell_h[cut], day[cut], np.add.reduceat(secs, cut)


class IntervalProjection(Projection):
    """``ledger_interval``: single puts (last writer wins per field), batches, tombstones.

    Beside it, kept as intervals arrive, ``ledger_day``: the seconds without power of each
    household and local day from its *closed* intervals (:func:`day_off_seconds`), so a period's
    supply hours are read without the period's intervals; ``ledger_household``: the intervals
    each household has (to find those no longer enrolled); ``ledger_changes``: how many events
    changed each household's intervals (:meth:`_fold_interval` says which), so that what a
    household's intervals give is reused while its count and changes are the same; and
    ``ledger_long``: the closed intervals longer than :data:`LONG_SECONDS`, which ``ledger_day``
    leaves out (one interval must not become a row for each of thousands of days): a period they
    reach is counted from its households' intervals instead.

    Why a count of changes and not a hash of the rows: a member writes their own intervals, and
    any hash that can be kept up to date by taking a row out and putting it in (XOR, a sum) is
    linear, so a few dozen edits chosen by solving equations leave it as it was, and the
    organiser's open web app would keep showing the figures from before them (a test does it).
    A count of events only grows, is the same after a rebuild and on every replica of the log,
    and, with the count of intervals, changes whenever a household's intervals do."""

    name = "ledger_interval"
    # 2: the start and end indexes (reports read a period without a table scan); 3: ledger_day and ledger_household;
    # 4: the household index covers end_at; 5: ledger_household.digest, ledger_day_household;
    # 6: ledger_changes instead of the digest (which a member could keep while changing intervals)
    version = 6
    kinds = frozenset({"ledger_interval.put", "ledger_interval.delete", "ledger_batch.put"})
    tables = ("ledger_interval", "ledger_day", "ledger_household", "ledger_long", "ledger_changes")

    def _create_interval_table(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_interval (id TEXT PRIMARY KEY, household TEXT, area TEXT, "
                     "start_at INTEGER, end_at INTEGER, source TEXT, note TEXT, batch TEXT)")
        # counted event by event, in a rebuild too (it cannot be made from the folded rows)
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_changes (household TEXT PRIMARY KEY, events INTEGER) "
                     "WITHOUT ROWID")

    def _create_summary(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_day (day INTEGER, household TEXT, off_s INTEGER, "
                     "PRIMARY KEY (day, household)) WITHOUT ROWID")
        # some households' days (one area's, when only it changed) without stepping over every other's
        conn.execute("CREATE INDEX IF NOT EXISTS ledger_day_household ON ledger_day (household, day, off_s)")
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_household (household TEXT PRIMARY KEY, intervals INTEGER) "
                     "WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_long (id TEXT PRIMARY KEY, household TEXT, start_at INTEGER, "
                     "end_at INTEGER) WITHOUT ROWID")

    def create(self, conn: Any) -> None:
        self._create_interval_table(conn)
        for sql in _INTERVAL_INDEXES:
            conn.execute(sql)
        self._create_summary(conn)

    # A rebuild folds the log into the bare interval table; the indexes and the summary are then
    # made once from the folded table (the same rows the event-by-event upkeep gives: a test).
    def create_for_rebuild(self, conn: Any) -> None:
        self._create_interval_table(conn)

    def rebuilt(self, conn: Any) -> None:
        for sql in _INTERVAL_INDEXES:
            conn.execute(sql)
        self._create_summary(conn)
        rows = conn.execute("SELECT household, start_at, end_at FROM ledger_interval "
                            "WHERE household IS NOT NULL AND end_at > start_at AND end_at - start_at <= ?",
                            (LONG_SECONDS,)).fetchall()
        if rows:
            names = sorted({r[0] for r in rows})
            index = {h: i for i, h in enumerate(names)}
            cols = np.array([(index[h], s, e) for h, s, e in rows], dtype=np.int64)
            del rows
            h, d, s = day_off_seconds(cols[:, 0], cols[:, 1], cols[:, 2])
            conn.executemany("INSERT INTO ledger_day (day, household, off_s) VALUES (?, ?, ?)",
                             zip(d.tolist(), [names[i] for i in h.tolist()], s.tolist(), strict=True))
        conn.execute("INSERT INTO ledger_household (household, intervals) SELECT household, count(*) "
                     "FROM ledger_interval WHERE household IS NOT NULL GROUP BY household")
        conn.execute("INSERT INTO ledger_long (id, household, start_at, end_at) SELECT id, household, start_at, end_at "
                     "FROM ledger_interval WHERE household IS NOT NULL AND end_at - start_at > ?", (LONG_SECONDS,))

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        # during a rebuild the summary does not exist yet: :meth:`rebuilt` makes it at the end
        try:
            conn.execute("SELECT 1 FROM ledger_day LIMIT 0").fetchall()
        except Exception as exc:  # the driver's OperationalError
            if "no such table" not in str(exc):
                raise
            self._fold(conn, events)
            return
        # The summary follows the net change of all these events at once: an import's batches
        # (one call, many events) recount each household's touched days once, not once per batch.
        ids: dict[str, None] = {}
        for event in events:
            p = event.payload
            ids.update(dict.fromkeys(p.ids) if event.kind == "ledger_batch.put" else {p.id: None})
        touched = list(ids)
        before = self._rows(conn, touched)
        self._fold(conn, events)
        after = None if self.has_tombstones(conn) else _batch_rows(events, len(touched))
        self._follow(conn, before, self._rows(conn, touched) if after is None else after)

    def _fold(self, conn: Any, events: list[Event]) -> None:
        """Fold ``events`` into ``ledger_interval`` and count them in ``ledger_changes``."""
        changed: dict[str, int] = {}
        for event in events:
            self._fold_interval(conn, event, changed)
        conn.executemany("INSERT INTO ledger_changes (household, events) VALUES (?, ?) ON CONFLICT (household) "
                         "DO UPDATE SET events = events + excluded.events", list(changed.items()))

    def _rows(self, conn: Any, ids: list[str]) -> list[tuple[Any, ...]]:
        """``(id, household, start_at, end_at)`` of the intervals ``ids`` that exist."""
        out: list[tuple[Any, ...]] = []
        for lo in range(0, len(ids), 500):
            part = ids[lo:lo + 500]
            out += conn.execute("SELECT id, household, start_at, end_at FROM ledger_interval WHERE id IN "
                                f"({', '.join('?' * len(part))})", part).fetchall()
        return out

    def _follow(self, conn: Any, before: list[tuple[Any, ...]], after: list[tuple[Any, ...]]) -> None:
        """Bring ``ledger_day``, ``ledger_household`` and ``ledger_long`` up to date after the
        intervals ``before`` became ``after`` (the same ids, before and after the event)."""
        counts: dict[str, int] = {}
        days: dict[str, list[tuple[int, int]]] = {}
        long: list[tuple[Any, ...]] = []
        for sign, rows in ((-1, before), (1, after)):
            for i, h, s, e in rows:
                if h is None:
                    continue
                counts[h] = counts.get(h, 0) + sign
                if s is None or e is None or e <= s:
                    continue
                if e - s > LONG_SECONDS:
                    if sign > 0:
                        long.append((i, h, s, e))
                else:
                    days.setdefault(h, []).append((s // DAY, (e - 1) // DAY))
        conn.executemany("DELETE FROM ledger_long WHERE id = ?", [(i,) for i, *_ in before])
        conn.executemany("INSERT INTO ledger_long (id, household, start_at, end_at) VALUES (?, ?, ?, ?)",
                         long)
        changed = [(h, n) for h, n in counts.items() if n]
        conn.executemany("INSERT INTO ledger_household (household, intervals) VALUES (?, ?) "
                         "ON CONFLICT (household) DO UPDATE SET intervals = intervals + excluded.intervals", changed)
        conn.executemany("DELETE FROM ledger_household WHERE household = ? AND intervals <= 0",
                         [(h,) for h, n in changed if n < 0])
        runs = [(h, d0, d1) for h, touched in days.items() for d0, d1 in _runs(touched)]
        for lo in range(0, len(runs), 2000):
            self._recount(conn, runs[lo:lo + 2000])

    def _recount(self, conn: Any, runs: list[tuple[str, int, int]]) -> None:
        """Count ``ledger_day`` again over runs of days ``(household, first, last)`` from the
        household's intervals that reach into them (one statement, one vectorised count)."""
        values = ", ".join("(?, ?, ?, ?)" for _ in runs)
        args = [x for k, (h, d0, d1) in enumerate(runs) for x in (k, h, d0 * DAY, (d1 + 1) * DAY)]
        rows = conn.execute(f"WITH run (k, household, lo, hi) AS (VALUES {values}) "
                            "SELECT run.k, run.lo, run.hi, i.start_at, i.end_at FROM run JOIN ledger_interval i "
                            "ON i.household = run.household AND i.start_at < run.hi AND i.end_at > run.lo "
                            # only intervals of at most LONG_SECONDS count, so none that reaches
                            # the run starts before lo - LONG_SECONDS: the index scan stops there
                            "AND i.start_at > run.lo - ? "
                            "AND i.end_at > i.start_at AND i.end_at - i.start_at <= ?",
                            [*args, LONG_SECONDS, LONG_SECONDS]).fetchall()
        arr = np.array(rows, dtype=np.int64).reshape(-1, 5)
        k, d, secs = day_off_seconds(arr[:, 0], arr[:, 3], arr[:, 4], arr[:, 1], arr[:, 2])
        found = {(runs[r][0], day): v for r, day, v in zip(k.tolist(), d.tolist(), secs.tolist(), strict=True)}
        conn.executemany("DELETE FROM ledger_day WHERE day = ? AND household = ?",
                         [(day, h) for h, d0, d1 in runs for day in range(d0, d1 + 1) if (h, day) not in found])
        conn.executemany("INSERT INTO ledger_day (day, household, off_s) VALUES (?, ?, ?) ON CONFLICT (day, household) "
                         "DO UPDATE SET off_s = excluded.off_s", [(day, h, v) for (h, day), v in found.items()])

    def _fold_interval(self, conn: Any, event: Event, changed: dict[str, int]) -> None:
        """Fold one event; count it in ``changed`` for each household whose intervals it may
        change: those it names, and for one that names none (a delete, or a put of some fields)
        the household of its interval. An interval moved away is not counted in the household it
        left, whose count of intervals falls instead (unless one moves in, which names it)."""
        p = event.payload
        if event.kind == "ledger_interval.delete":
            self.tombstone(conn, p.id)
            _count(changed, conn.execute("SELECT household FROM ledger_interval WHERE id = ?", (p.id,)).fetchone())
            conn.execute("DELETE FROM ledger_interval WHERE id = ?", (p.id,))
            return
        if event.kind == "ledger_batch.put":
            rows = list(zip(p.ids, p.household, p.area, p.start_at, p.end_at, p.source, strict=True))
            if self.has_tombstones(conn):
                rows = [r for r in rows if not self.is_tombstoned(conn, r[0])]
            for h in {r[1] for r in rows}:
                _count(changed, (h,))
            conn.executemany("INSERT INTO ledger_interval (id, household, area, start_at, end_at, source, note, batch) "
                             "VALUES (?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT (id) DO UPDATE SET household = excluded.household, "
                             "area = excluded.area, start_at = excluded.start_at, end_at = excluded.end_at, "
                             "source = excluded.source, batch = excluded.batch",
                             [(*r, p.id) for r in rows])
            return
        if self.is_tombstoned(conn, p.id):
            return
        fields = {c: getattr(p, c) for c in _INTERVAL_COLUMNS}
        fields = {c: v for c, v in fields.items() if v is not UNSET}
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        updates = ", ".join(f"{c} = excluded.{c}" for c in fields if c != "id")
        conn.execute(f"INSERT INTO ledger_interval ({names}) VALUES ({marks}) ON CONFLICT (id) "
                     f"{'DO UPDATE SET ' + updates if updates else 'DO NOTHING'}", tuple(fields.values()))
        _count(changed, (p.household,) if isinstance(p.household, str) else
               conn.execute("SELECT household FROM ledger_interval WHERE id = ?", (p.id,)).fetchone())


def _count(changed: dict[str, int], row: tuple[Any, ...] | None) -> None:
    """One more change of the household in ``row`` (none: no interval, or one of no household)."""
    if row is not None and row[0] is not None:
        changed[row[0]] = changed.get(row[0], 0) + 1


def _batch_rows(events: list[Event], distinct: int) -> list[tuple[Any, ...]] | None:
    """``(id, household, start_at, end_at)`` of the intervals an import's batches leave, read from
    their payloads (a batch writes every column of its intervals): exact when every event is a
    batch, no id comes twice and nothing is tombstoned; None otherwise (then they are read back)."""
    if any(e.kind != "ledger_batch.put" for e in events):
        return None
    rows = [r for e in events for r in zip(e.payload.ids, e.payload.household, e.payload.start_at, e.payload.end_at,
                                           strict=True)]
    return rows if len(rows) == distinct else None


def _runs(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Day ranges (inclusive) united where they overlap or lie within two days of each other."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 2:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


class SeriesProjection(Projection):
    """``ledger_series``: one row per area and step; a later series for the same steps wins."""

    name = "ledger_series"
    version = 1
    kinds = frozenset({"ledger_series.put"})
    tables = ("ledger_series",)

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS ledger_series (area TEXT, t INTEGER, step_seconds INTEGER, "
                     "customers_out INTEGER, total_customers INTEGER, filled INTEGER, PRIMARY KEY (area, t))")

    def apply(self, conn: Any, event: Event) -> None:
        p = event.payload
        conn.executemany("INSERT OR REPLACE INTO ledger_series VALUES (?, ?, ?, ?, ?, ?)",
                         [(p.area, t, p.step_seconds, c, n, int(f))
                          for t, c, n, f in zip(p.times, p.customers_out, p.total_customers, p.filled, strict=True)])


register_projection(IntervalProjection())
register_projection(SeriesProjection())
register_projection(RecordProjection("ledger_tally", TallyPut, indexes=("area",)))
register_projection(RecordProjection("ledger_water", WaterPut, indexes=("area",)))
register_projection(RecordProjection("ledger_claim", ClaimPut))


# ---------------------------------------------------------------------------- local time
def local_seconds(dt: datetime, tz: str = DEFAULT_TZ) -> int:
    """Local seconds of ``dt``: aware datetimes are converted to ``tz`` first."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return (dt - EPOCH) // timedelta(seconds=1)


class Reason(str):
    """Why a row was rejected or repaired: the English text (what scripts and the parsers' tests
    read) that also carries its message id and parameters, so a face shows it in the reader's
    language (``t(reason.msg_id, **reason.params)``)."""

    msg_id: str
    params: dict[str, Any]

    def __new__(cls, msg_id: str, **params: Any) -> Reason:
        obj = super().__new__(cls, translate(msg_id, lang="en", **params))
        obj.msg_id, obj.params = msg_id, params
        return obj


class RowError(ValueError):
    """A bad row, with its :class:`Reason`."""

    def __init__(self, msg_id: str, **params: Any) -> None:
        self.reason = Reason(msg_id, **params)
        super().__init__(self.reason)


def parse_time(text: str, tz: str = DEFAULT_TZ) -> int:
    """Parse an ISO 8601 time (``2026-07-01T14:30``, ``2026-07-01 14:30:00+03:00``) to local seconds.

    Raises :class:`RowError` (a :class:`ValueError`) with a short reason.
    """
    text = text.strip()
    if not text:
        raise RowError("ledger.reject.empty_time")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise RowError("ledger.reject.bad_time", value=repr(text)) from None
    return local_seconds(dt, tz)


def parse_day(text: str) -> int:
    """An ISO day (``2026-07-01``) to a day number (days since 1970-01-01)."""
    return (date.fromisoformat(check_day(text, required=True)) - EPOCH.date()).days


def check_period(first: str, last: str) -> tuple[int, int]:
    """A report's period of whole days ``first..last`` (ISO, inclusive) as day numbers: refused when
    it ends before it begins or spans more than ten years."""
    d0, d1 = parse_day(first), parse_day(last)
    if d1 < d0:
        raise InvalidInput("ledger.error.bad_period", first=first, last=last)
    if d1 - d0 > 3660:
        raise InvalidInput("ledger.error.period_too_long", first=first, last=last)
    return d0, d1


def day_iso(day: int) -> str:
    return (EPOCH.date() + timedelta(days=int(day))).isoformat()


@overload
def time_iso(seconds: int) -> str: ...
@overload
def time_iso(seconds: int | None) -> str | None: ...
def time_iso(seconds: int | None) -> str | None:
    """Local seconds to ``YYYY-MM-DDTHH:MM:SS`` (local, no offset)."""
    if seconds is None:
        return None
    return (EPOCH + timedelta(seconds=int(seconds))).isoformat()


def now_local(tz: str = DEFAULT_TZ) -> int:
    """The current time in local seconds."""
    return local_seconds(datetime.now(ZoneInfo(tz)), tz)
