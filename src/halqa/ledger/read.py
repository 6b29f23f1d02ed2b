"""Reading the ledger's tables: typed reads for the evidence, the faces and other domains.

With :mod:`halqa.ledger.events` (the projections' own SQL), the only module whose SQL names the
ledger's tables. Reads that feed the computation (:func:`load_intervals`, :func:`series`) return
numpy arrays, not a Python row per interval: at a million intervals the rows are the cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np

from halqa.errors import InvalidInput
from halqa.ledger.events import DAY, DEFAULT_TZ, EPOCH, LONG_SECONDS, check_period, day_iso, now_local, parse_day, time_iso
from halqa.places import household_areas
from halqa.vault import Vault


# ---------------------------------------------------------------------------- intervals, as arrays
@dataclass(frozen=True)
class Intervals:
    """Household outage data around a period, as arrays for :func:`halqa.ledger.analysis.compute`.

    ``codes`` are the areas (sorted); ``hh_area[i]`` is the area number of household ``i``
    (``households[i]``); per interval ``hh``, ``start``, ``end`` (local seconds; open intervals end
    at ``as_of``) and ``is_open``; ``n_customers[a]`` is N_T of area ``a``; ``tallies`` are the
    daily tallies as ``(household, day, hours_off)`` arrays."""

    codes: list[str]
    hh_area: np.ndarray
    hh: np.ndarray
    start: np.ndarray
    end: np.ndarray
    is_open: np.ndarray
    n_customers: np.ndarray
    households: list[str]
    as_of: int
    tallies: tuple[np.ndarray, np.ndarray, np.ndarray]


def load_intervals(vault: Vault, first_day: int, last_day: int, area: str | None = None,
                   as_of: int | None = None, tz: str = DEFAULT_TZ, reach_days: int = 0) -> Intervals:
    """The intervals of a period (day numbers, inclusive; ``reach_days`` more before it) as arrays.

    Areas are those with enrolled households (or intervals); open intervals end at ``as_of``
    (default: now, never later than the period's end). Households are numbered by area (each area's
    consecutive, in household order within it: enrolled by pseudonym, then former ones) and the
    intervals come in (household, start, end) order, the order :func:`halqa.ledger.analysis.compute`
    goes fastest in."""
    p0, p1 = (first_day - reach_days) * DAY, (last_day + 1) * DAY
    as_of = min(now_local(tz) if as_of is None else as_of, p1)
    args = [area] if area else []
    households = household_areas(vault, area)
    hh_index = {h: i for i, h in enumerate(households)}
    hh_area_code = list(households.values())
    names, of, start, end = _period_intervals(vault, p0 - 7 * DAY, p1, area)
    for h in names:
        if h not in hh_index:  # an interval of a household no longer enrolled: still a customer of its area
            hh_index[h] = len(hh_area_code)
            hh_area_code.append(area or _area_of_former(vault, h, p0 - 7 * DAY, p1))
    codes = sorted(set(hh_area_code))
    a_index = {c: i for i, c in enumerate(codes)}
    hh_area = np.array([a_index[c] for c in hh_area_code], dtype=np.int64)
    # households numbered by area (in their order within it), so that each area's are consecutive: then compute
    # sums an area's hours off as its rows go by, without a household-day table of the whole city
    by_area = np.argsort(hh_area, kind="stable")
    renumber = np.empty(len(by_area), dtype=np.int64)
    renumber[by_area] = np.arange(len(by_area))
    hh_area = hh_area[by_area]
    listed = list(hh_index)
    households_by_area = [listed[i] for i in by_area.tolist()]
    hh_index = {h: i for i, h in enumerate(households_by_area)}
    hh = np.array([hh_index[h] for h in names], dtype=np.int64)[of] if names else of
    if len(hh) and not bool((hh[1:] >= hh[:-1]).all()):  # back to (household, start, end) order: each household's
        order = np.argsort(hh, kind="stable")  # rows are already in (start, end) order
        hh, start, end = hh[order], start[order], end[order]
    is_open = end < 0
    end[is_open] = as_of
    keep = start <= end
    tallies = vault.query("SELECT household, day, hours_off FROM ledger_tally" + (" WHERE area = ?" if area else ""), args)
    tallies = [t for t in tallies if t[0] in hh_index]
    return Intervals(codes=codes, hh_area=hh_area, hh=hh[keep], start=start[keep], end=end[keep],
                     is_open=is_open[keep], n_customers=np.bincount(hh_area, minlength=len(codes)),
                     households=households_by_area, as_of=as_of,
                     tallies=(np.array([hh_index[t[0]] for t in tallies], dtype=np.int64),
                              np.array([parse_day(t[1]) for t in tallies], dtype=np.int64),
                              np.array([t[2] for t in tallies], dtype=np.float64)))


@dataclass(frozen=True)
class Customers:
    """The customers of every area over a period, as :func:`load_intervals` counts them (without
    reading the period's intervals): ``households`` in its order (the enrolled ones, then those no
    longer enrolled with an interval reaching the period, by pseudonym), the area of each, the
    version of each one's intervals (``(intervals, changes)``: see :class:`Households`), those with
    an interval still open that began before the period's end (their figures depend on ``as_of``)
    and every daily tally of them as ``(household, day, hours_off)`` rows."""

    households: list[str]
    areas: list[str]
    versions: list[tuple[int, int]]
    open: frozenset[str]
    tallies: list[tuple[str, int, float]]


@dataclass(frozen=True)
class Households:
    """What :func:`customers` reads whatever the period: the enrolled households' areas, the
    version of each household's intervals, ``(intervals, changes)`` (how many it has, and how many
    events changed them: equal versions, equal intervals) for each one with any, and every daily
    tally (``(household, day, hours_off)``)."""

    enrolled: dict[str, str]
    versions: dict[str, tuple[int, int]]
    tallies: list[tuple[str, int, float]]


def households_now(vault: Vault) -> Households:
    """:class:`Households`, read once for several periods' :func:`customers`."""
    return Households(enrolled=household_areas(vault),
                      versions={r[0]: (int(r[1]), int(r[2] or 0)) for r in vault.query(
                          "SELECT h.household, h.intervals, c.events FROM ledger_household h "
                          "LEFT JOIN ledger_changes c ON c.household = h.household")},
                      tallies=[(str(h), parse_day(d), float(x))
                               for h, d, x in vault.query("SELECT household, day, hours_off FROM ledger_tally")])


def customers(vault: Vault, since: int, until: int, now: Households | None = None) -> Customers:
    """:class:`Customers` of the period whose intervals :func:`load_intervals` reads (local seconds:
    those ending at or after ``since``, or still open, that began before ``until``); ``now``: the
    :func:`households_now` to use, when already read."""
    now = now or households_now(vault)
    enrolled, versions = now.enrolled, now.versions
    former = [h for h in sorted(versions) if h not in enrolled and vault.query_one(
        "SELECT 1 FROM ledger_interval WHERE household = ? AND (end_at >= ? OR end_at IS NULL) AND start_at < ? "
        "LIMIT 1", (h, since, until)) is not None]
    households = [*enrolled, *former]
    areas = [*enrolled.values(), *(_area_of_former(vault, h, since, until) for h in former)]
    still_open = frozenset(r[0] for r in vault.query(
        "SELECT DISTINCT household FROM ledger_interval WHERE end_at IS NULL AND start_at < ?", (until,)))
    known = set(households)
    tallies = [t for t in now.tallies if t[0] in known]
    return Customers(households=households, areas=areas, versions=[versions.get(h, (0, 0)) for h in households],
                     open=still_open, tallies=tallies)


def intervals_of(vault: Vault, since: int, until: int, households: list[str] | None, hh_index: dict[str, int],
                 as_of: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The intervals of ``households`` that :func:`load_intervals` reads, as its arrays ``(hh,
    start, end, is_open)`` (``hh`` numbered by ``hh_index``; open intervals end at ``as_of``), in
    its order: by household pseudonym, start and end. ``households`` None: every one of ``hh_index``
    (then all the period's customers)."""
    names, of, start, end = _period_intervals(vault, since, until, None, households)
    hh = np.array([hh_index[h] for h in names], dtype=np.int64)[of] if names else of
    is_open = end < 0
    end[is_open] = as_of
    keep = start <= end
    return hh[keep], start[keep], end[keep], is_open[keep]


def _period_intervals(vault: Vault, since: int, until: int, area: str | None,
                      households: list[str] | None = None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The intervals that began before ``until`` and ended at or after ``since`` (or are open):
    ``(households, household, start, end)``, the distinct households in order and, per interval,
    the number of its household among them, its start and its end (-1: open), sorted by household,
    start and end (one order whatever the index's: sums over intervals add up the same way).

    Read from the ``(end_at, start_at, household, area)`` index alone, each column as one joined
    string (no Python row per interval): at a million intervals the rows of a month are spread
    over the whole table, and visiting them cost ten times the index.

    ``households``: only theirs, read from the ``(household, start_at, end_at)`` index (each
    household's own range, not the period's whole range filtered): those that began at most
    :data:`~halqa.ledger.events.LONG_SECONDS` before ``since``, then the open ones and the long
    ones (``ledger_long``) that began earlier."""
    import pandas as pd

    cols = "count(*), group_concat(household, char(31)), group_concat(start_at), group_concat(coalesce(end_at, -1))"
    if households is None:
        rows = [vault.query_one(
            f"SELECT {cols} FROM ledger_interval INDEXED BY ledger_interval_end "
            "WHERE (end_at >= ? OR end_at IS NULL) AND start_at < ?" + (" AND area = ?" if area else ""),
            [since, until, *([area] if area else [])])]
    else:
        among = "household IN (SELECT value FROM json_each(?))"
        names_json, early = json.dumps(households), since - LONG_SECONDS
        rows = [vault.query_one(f"SELECT {cols} FROM ledger_interval INDEXED BY ledger_interval_hh WHERE {among} "
                                "AND start_at >= ? AND start_at < ? AND (end_at >= ? OR end_at IS NULL)",
                                (names_json, early, until, since)),
                # began earlier: still open, or closed and longer than LONG_SECONDS (ledger_long)
                vault.query_one(f"SELECT {cols} FROM ledger_interval INDEXED BY ledger_interval_end WHERE end_at IS NULL "
                                f"AND start_at < ? AND {among}", (min(early, until), names_json)),
                vault.query_one(f"SELECT {cols} FROM ledger_long WHERE {among} AND start_at < ? AND end_at >= ?",
                                (names_json, min(early, until), since))]
    rows = [r for r in rows if r is not None and r[0]]
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return [], empty, empty.copy(), empty.copy()
    codes, names = pd.factorize(np.array("\x1f".join(r[1] for r in rows).split("\x1f"), dtype=object), sort=True)
    start = np.fromstring(",".join(r[2] for r in rows), dtype=np.int64, sep=",")
    end = np.fromstring(",".join(r[3] for r in rows), dtype=np.int64, sep=",")
    order = np.lexsort((end, start, codes))
    return list(names), codes[order].astype(np.int64), start[order], end[order]


def _area_of_former(vault: Vault, household: str, since: int, until: int) -> str:
    """The area of a household no longer enrolled: that of its first interval in the period
    (the first the period's table scan met, as before)."""
    row = vault.query_one("SELECT area FROM ledger_interval WHERE household = ? AND (end_at >= ? OR end_at IS NULL) "
                          "AND start_at < ? ORDER BY rowid LIMIT 1", (household, since, until))
    return str(row[0]) if row is not None else ""


# ---------------------------------------------------------------------------- customers-out series
@dataclass(frozen=True)
class Series:
    """One area's imported customers-out series (EAGLE-I style), in time order, as arrays."""

    area: str
    step_seconds: int
    times: np.ndarray
    customers_out: np.ndarray
    total_customers: np.ndarray
    filled: np.ndarray


def series(vault: Vault, area: str | None = None) -> list[Series]:
    """The imported customers-out series (of one area, when given), by area."""
    codes = [r[0] for r in vault.query("SELECT DISTINCT area FROM ledger_series" + (" WHERE area = ?" if area else "")
                                       + " ORDER BY area", [area] if area else [])]
    out = []
    for code in codes:
        rows = vault.query("SELECT t, customers_out, total_customers, filled, step_seconds FROM ledger_series "
                           "WHERE area = ? ORDER BY t", (code,))
        arr = np.array([r[:4] for r in rows], dtype=np.int64)
        out.append(Series(area=code, step_seconds=int(rows[0][4]), times=arr[:, 0], customers_out=arr[:, 1],
                          total_customers=arr[:, 2], filled=arr[:, 3].astype(bool)))
    return out


# ---------------------------------------------------------------------------- claims
class ClaimRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An official claim of supply hours per day for an area (``""``: every area) and period."""

    id: str
    area: str
    hours: float
    first_day: str
    last_day: str
    claimant: str


def claims(vault: Vault) -> list[ClaimRecord]:
    """Every official claim, by first day then id."""
    return [ClaimRecord(id=r[0], area=r[1] or "", hours=float(r[2]), first_day=r[3], last_day=r[4], claimant=r[5] or "")
            for r in vault.query("SELECT id, area, hours, first_day, last_day, claimant FROM ledger_claim "
                                 "ORDER BY first_day, id")]


# ---------------------------------------------------------------------------- open intervals
class OpenOutage(msgspec.Struct, frozen=True, kw_only=True):
    """An interval still open (the power is still off): its id, start (epoch seconds) and source."""

    id: str
    start_at: int
    source: str


def open_outages(vault: Vault, household: str) -> list[OpenOutage]:
    """The household's intervals that are still open, newest first (usually none or one; devices
    that record apart from each other can leave more)."""
    rows = vault.query("SELECT id, start_at, source FROM ledger_interval WHERE household = ? AND end_at IS NULL "
                       "ORDER BY start_at DESC, id", (household,))
    return [OpenOutage(id=r[0], start_at=int(r[1]), source=r[2]) for r in rows]


class OpenInterval(msgspec.Struct, frozen=True, kw_only=True):
    """The household's newest open interval: its id, start (local ISO time) and source."""

    id: str
    start: str
    source: str


def open_interval(vault: Vault, household: str) -> OpenInterval | None:
    """The household's interval that is still open (power still off), if any."""
    newest = next(iter(open_outages(vault, household)), None)
    return None if newest is None else OpenInterval(id=newest.id, start=time_iso(newest.start_at), source=newest.source)


def interval_exists(vault: Vault, interval_id: str) -> bool:
    """Whether an interval with this id is recorded (and not deleted)."""
    return vault.query_one("SELECT 1 FROM ledger_interval WHERE id = ?", (interval_id,)) is not None


# ---------------------------------------------------------------------------- water
class WaterSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One area's water over a period: household-days recorded, without tap water, with
    contamination or smell, people ill, litres bought and money spent per currency (exact decimal
    strings)."""

    days: int
    no_water_days: int
    contaminated_days: int
    smell_days: int
    illness: int
    litres_bought: int
    spent: dict[str, str]


def water_summary(vault: Vault, first: str, last: str, area: str | None = None) -> dict[str, WaterSummary]:
    """Per area: household-days recorded, without tap water, with contamination or smell, people
    ill, litres bought and money spent per currency (exact decimal strings)."""
    d0, d1 = check_period(first, last)
    rows = vault.query("SELECT area, no_water, contaminated, smell, illness, litres_bought, spent, currency "
                       "FROM ledger_water WHERE day >= ? AND day <= ?" + (" AND area = ?" if area else ""),
                       [day_iso(d0), day_iso(d1)] + ([area] if area else []))
    out: dict[str, dict[str, Any]] = {}
    for code, no_w, cont, smell, ill, litres, spent, cur in rows:
        s = out.setdefault(code, {"days": 0, "no_water_days": 0, "contaminated_days": 0, "smell_days": 0,
                                  "illness": 0, "litres_bought": 0, "spent": {}})
        s["days"] += 1
        s["no_water_days"] += int(bool(no_w))
        s["contaminated_days"] += int(bool(cont))
        s["smell_days"] += int(bool(smell))
        s["illness"] += int(ill or 0)
        s["litres_bought"] += int(litres or 0)
        s["spent"][cur or "IQD"] = str(Decimal(s["spent"].get(cur or "IQD", "0")) + Decimal(spent or "0"))
    return {code: WaterSummary(**s) for code, s in out.items()}


class WaterMonth(msgspec.Struct, frozen=True, kw_only=True):
    """One household's water in one calendar month: days recorded, litres bought, and money spent
    per currency (exact decimal strings)."""

    household: str
    area: str
    month: str
    days: int
    litres_bought: int
    spent: dict[str, str]


def water_spending(vault: Vault, first: str | None = None, last: str | None = None, area: str | None = None,
                   household: str | None = None) -> list[WaterMonth]:
    """Money spent on water per household and calendar month: one :class:`WaterMonth` per
    household-month that has water records, sorted by household then month. ``first``/``last`` (ISO days,
    inclusive) limit the days counted; ``area`` and ``household`` filter. A month cut by the period
    counts only its days inside it."""
    where: list[str] = []
    args: list[Any] = []
    if first and last and parse_day(last) < parse_day(first):
        raise InvalidInput("ledger.error.bad_period", first=first, last=last)
    if first:
        where.append("day >= ?")
        args.append(day_iso(parse_day(first)))
    if last:
        where.append("day <= ?")
        args.append(day_iso(parse_day(last)))
    if area:
        where.append("area = ?")
        args.append(area.strip().upper())
    if household:
        where.append("household = ?")
        args.append(household)
    rows = vault.query("SELECT household, area, day, litres_bought, spent, currency FROM ledger_water"
                       + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY household, day", args)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for hh, code, day, litres, spent, cur in rows:
        month = day[:7]
        s = out.setdefault((hh, month), {"household": hh, "area": code, "month": month, "days": 0,
                                         "litres_bought": 0, "spent": {}})
        s["days"] += 1
        s["litres_bought"] += int(litres or 0)
        cur = cur or "IQD"
        s["spent"][cur] = str(Decimal(s["spent"].get(cur, "0")) + Decimal(spent or "0"))
    return [WaterMonth(**out[k]) for k in sorted(out)]


class WaterRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One household's water record for one day (money as an exact decimal string)."""

    household: str
    area: str
    day: str
    no_water: bool
    contaminated: bool
    smell: bool
    illness: int
    litres_bought: int
    spent: str
    currency: str


def water_records(vault: Vault, area: str | None = None) -> list[WaterRecord]:
    """Every water record (of one area, when given), by household then day."""
    rows = vault.query("SELECT household, area, day, no_water, contaminated, smell, illness, litres_bought, spent, "
                       "currency FROM ledger_water" + (" WHERE area = ?" if area else "") + " ORDER BY household, day",
                       [area] if area else [])
    return [WaterRecord(household=r[0], area=r[1], day=r[2], no_water=bool(r[3]), contaminated=bool(r[4]),
                        smell=bool(r[5]), illness=int(r[6] or 0), litres_bought=int(r[7] or 0), spent=r[8] or "0",
                        currency=r[9] or "IQD") for r in rows]


# ---------------------------------------------------------------------------- extent and outage days
def extent(vault: Vault) -> tuple[date, date] | None:
    """First and last local day holding any ledger record, or None for an empty ledger.

    Counted: outage intervals (the days from start to end; an interval ending exactly at midnight does
    not reach the next day; an open interval counts its start day only), daily tallies, water records
    and imported customers-out series steps. Claims are statements about periods, not records, and are
    not counted."""
    lo: list[int] = []
    hi: list[int] = []
    # the largest of "end - 1 if end > start else start" is max(max(start), max(end) - 1): an interval
    # ending last after its start gives max(end) - 1; any other gives at most the largest start
    # (both read from an index's end, not a scan of every interval)
    row = vault.query_one("SELECT (SELECT MIN(start_at) FROM ledger_interval), (SELECT MAX(start_at) FROM ledger_interval), "
                          "(SELECT MAX(end_at) FROM ledger_interval)")
    if row and row[0] is not None:
        lo.append(int(row[0]) // DAY)
        hi.append(max(int(row[1]), int(row[2]) - 1 if row[2] is not None else int(row[1])) // DAY)
    row = vault.query_one("SELECT MIN(t), MAX(t + MAX(step_seconds, 1) - 1) FROM ledger_series")
    if row and row[0] is not None:
        lo.append(int(row[0]) // DAY)
        hi.append(int(row[1]) // DAY)
    for table in ("ledger_tally", "ledger_water"):
        row = vault.query_one(f"SELECT MIN(day), MAX(day) FROM {table}")  # ISO days sort as text
        if row and row[0] is not None:
            lo.append(parse_day(row[0]))
            hi.append(parse_day(row[1]))
    if not lo:
        return None
    base = EPOCH.date()
    return date.fromordinal(base.toordinal() + min(lo)), date.fromordinal(base.toordinal() + max(hi))


class OutageDay(msgspec.Struct, frozen=True, kw_only=True):
    """Closed outage time in one area on one UTC day: ``minutes`` summed over the ``households``
    that had any, each household counted for at most a whole day (1,440 minutes)."""

    area: str
    day: str
    minutes: int
    households: int


def outage_days(vault: Vault) -> list[OutageDay]:
    """Closed outage minutes per area and UTC day, by area then day (open intervals are not counted:
    their end is not known yet). Each household-day is bounded, so one household moves a cell by at
    most 1,440 minutes: what a privacy mechanism needs to know."""
    per: dict[tuple[str, int], dict[str, int]] = {}
    for hh, area, start, end in vault.query("SELECT household, area, start_at, end_at FROM ledger_interval "
                                            "WHERE end_at IS NOT NULL AND end_at > start_at"):
        t = int(start)
        while t < int(end):
            day = t // DAY
            stop = min(int(end), (day + 1) * DAY)
            cell = per.setdefault((str(area), day), {})
            cell[hh] = min(1440, cell.get(hh, 0) + (stop - t) // 60)
            t = stop
    return [OutageDay(area=area, day=day_iso(day), minutes=sum(cell.values()), households=len(cell))
            for (area, day), cell in sorted(per.items())]


# ---------------------------------------------------------------------------- hours off per household-day
@dataclass(frozen=True)
class DayOff:
    """Seconds without power of every household (those of :class:`Intervals`, in its order) on
    each day of a period, as :func:`halqa.ledger.analysis.compute` counts them for supply hours
    (``off_s[household, day]``; open intervals end at ``as_of``), and the daily tallies."""

    codes: list[str]
    hh_area: np.ndarray
    households: list[str]
    off_s: np.ndarray
    as_of: int
    tallies: tuple[np.ndarray, np.ndarray, np.ndarray]


def day_off(vault: Vault, first_day: int, last_day: int, as_of: int | None = None, tz: str = DEFAULT_TZ,
            who: Customers | None = None, only: list[int] | None = None) -> DayOff:
    """:class:`DayOff` of a period (day numbers, inclusive), every area, from the ``ledger_day``
    summary the projection keeps: a household's own intervals are read only where the summary
    cannot say (an interval still open, or one beginning after ``as_of``). ``who``: the period's
    :func:`customers`, when already read; ``only``: just these of them (their numbers, in order)."""
    from halqa.ledger.events import day_off_seconds

    p0, p1 = first_day * DAY, (last_day + 1) * DAY
    since = p0 - 7 * DAY  # the reach of load_intervals: which former households are customers
    as_of = min(now_local(tz) if as_of is None else as_of, p1)
    if who is None:
        who = customers(vault, since, p1)
    picked = range(len(who.households)) if only is None else only
    hh_index = {who.households[i]: j for j, i in enumerate(picked)}
    hh_area_code = [who.areas[i] for i in picked]
    codes = sorted(set(hh_area_code))
    a_index = {c: i for i, c in enumerate(codes)}
    hh_area = np.array([a_index[c] for c in hh_area_code], dtype=np.int64)
    days = last_day - first_day + 1
    off = np.zeros((len(hh_area), days))
    row = vault.query_one("SELECT count(*), group_concat(household, char(31)), group_concat(day), group_concat(off_s) "
                          "FROM ledger_day WHERE day >= ? AND day <= ?"
                          + ("" if only is None else " AND household IN (SELECT value FROM json_each(?))"),
                          (first_day, last_day, *(() if only is None else (json.dumps(list(hh_index)),))))
    if row is not None and row[0]:
        import pandas as pd

        which, names = pd.factorize(np.array(row[1].split("\x1f"), dtype=object))
        at = np.array([hh_index.get(h, -1) for h in names], dtype=np.int64)[which]
        day = np.fromstring(row[2], dtype=np.int64, sep=",") - first_day
        secs = np.fromstring(row[3], dtype=np.int64, sep=",")
        ok = at >= 0
        off[at[ok], day[ok]] = secs[ok]
    # households whose figures depend on as_of: an open interval, or one beginning after as_of
    dirty = {r[0] for r in vault.query("SELECT DISTINCT household FROM ledger_interval WHERE end_at IS NULL AND start_at < ?",
                                       (p1,))}
    # and those with an interval longer than the summary keeps that reaches into the period
    dirty |= {r[0] for r in vault.query("SELECT DISTINCT household FROM ledger_long WHERE start_at < ? AND end_at > ?",
                                        (p1, p0))}
    if as_of < p1:
        dirty |= {r[0] for r in vault.query("SELECT DISTINCT household FROM ledger_interval WHERE start_at > ? "
                                            "AND start_at < ?", (as_of, p1))}
    for h in sorted(d for d in dirty if d in hh_index):
        rows = vault.query("SELECT start_at, coalesce(end_at, ?) FROM ledger_interval WHERE household = ? "
                           "AND (end_at >= ? OR end_at IS NULL) AND start_at < ?", (as_of, h, since, p1))
        arr = np.array([r for r in rows if r[0] <= r[1]], dtype=np.int64).reshape(-1, 2)
        _, d, s = day_off_seconds(np.zeros(len(arr), dtype=np.int64), arr[:, 0], arr[:, 1], p0, p1)
        off[hh_index[h]] = 0.0
        off[hh_index[h], d - first_day] = s
    tallies = [t for t in who.tallies if t[0] in hh_index and first_day <= t[1] <= last_day]
    return DayOff(codes=codes, hh_area=hh_area, households=list(hh_index), off_s=off, as_of=as_of,
                  tallies=(np.array([hh_index[t[0]] for t in tallies], dtype=np.int64),
                           np.array([t[1] for t in tallies], dtype=np.int64),
                           np.array([t[2] for t in tallies], dtype=np.float64)))
