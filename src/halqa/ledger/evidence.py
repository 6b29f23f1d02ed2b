"""The evidence for a period: the ledger's reads run through :mod:`halqa.ledger.analysis`.

Reports per area (IEEE 1366 indices, supply hours, major event days, area events, claims against
measurements, water), blackout calendars and one household's daily supply, as typed results that
the CLI's ``--json``, the web API and the posters all serialise the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np

from halqa.errors import NotFound
from halqa.ledger.analysis import Result, compute, merge_intervals, series_indices
from halqa.ledger.arrays import CHUNK
from halqa.ledger.events import DAY, DEFAULT_TZ, check_period, day_iso, now_local, parse_day, time_iso
from halqa.ledger.params import Params
from halqa.ledger.read import (
    ClaimRecord,
    Customers,
    DayOff,
    Households,
    WaterSummary,
    claims,
    customers,
    day_off,
    households_now,
    intervals_of,
    load_intervals,
    series,
    water_summary,
)
from halqa.places import area_exists, household_area
from halqa.vault import Vault

UNSET = msgspec.UNSET


def _r(x: Any, n: int = 4) -> float | None:
    return None if x is None else round(float(x), n)


class Period(msgspec.Struct, frozen=True, kw_only=True):
    """A report's days (``from``..``to``, ISO, inclusive) and when open intervals were cut."""

    first: str = msgspec.field(name="from")
    last: str = msgspec.field(name="to")
    as_of: str


class AreaDay(msgspec.Struct, frozen=True, kw_only=True):
    """One day of an area (``daily`` reports): supply hours over every household and over those
    that reported, households reporting and SAIDI. An imported series gives its SAIDI only."""

    day: str
    supply_hours: float | msgspec.UnsetType | None = UNSET
    supply_hours_reporting: float | msgspec.UnsetType | None = UNSET
    households_reporting: int | msgspec.UnsetType = UNSET
    saidi_minutes: float | None


class AreaReport(msgspec.Struct, frozen=True, kw_only=True):
    """One area's evidence over a period. ``source`` is ``households`` (the circle's ledgers) or
    ``series`` (an imported customers-out series, which cannot know MAIFI, CAIFI or CEMIn, nor
    which households reported); ``daily`` only when asked for, ``water`` only where recorded."""

    households: int
    saifi: float | None
    saidi_minutes: float | None
    caidi_minutes: float | None
    caifi: float | None
    asai: float | None
    maifi: float | None
    supply_hours_per_day: float
    major_event_days: list[str]
    cemi: float | None
    cemi_n: int | msgspec.UnsetType = UNSET
    t_med_minutes: float | None
    interruptions: int
    momentary: int | None
    open_intervals: int
    households_interrupted: int | None
    households_reporting_per_day: float | msgspec.UnsetType | None = UNSET
    supply_hours_per_day_reporting: float | msgspec.UnsetType | None = UNSET
    trend_hours_per_week: float | msgspec.UnsetType | None = UNSET
    source: str
    daily: list[AreaDay] | msgspec.UnsetType = UNSET
    water: WaterSummary | msgspec.UnsetType = UNSET


class AreaEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An area-wide outage: median start and end (``None`` while most are still off), distinct
    households (or customers, for a series) and the detector's confidence."""

    area: str
    start: str
    end: str | None
    households: int
    confidence: float


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """An official claim of supply hours for an area beside what its ledgers measured."""

    id: str
    area: str
    claimant: str
    first: str = msgspec.field(name="from")
    last: str = msgspec.field(name="to")
    claimed_hours: float
    measured_hours: float
    gap_hours: float | None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """The evidence for a period: per area, the area events in time order (or one page of them,
    with ``events_total``), and the claims."""

    period: Period
    areas: dict[str, AreaReport]
    events: list[AreaEvent]
    claims: list[Claim]
    events_total: int | msgspec.UnsetType = UNSET  # with ``events_page``: the events of every page


def _trend(values: np.ndarray) -> float | None:
    ok = ~np.isnan(values)
    if ok.sum() < 3:
        return None
    x = np.flatnonzero(ok)
    return float(np.polyfit(x, values[ok], 1)[0] * 7)


def report(vault: Vault, first: str, last: str, area: str | None = None, params: Params = Params(),
           as_of: int | None = None, tz: str = DEFAULT_TZ, daily: bool = False, med_history_days: int = 0,
           events_page: tuple[int, int] | None = None) -> Report:
    """The evidence for a period of whole local days (``first``..``last`` inclusive, ISO days).

    Household areas use their ledgers (N_T = enrolled households); areas holding an imported
    customers-out series (EAGLE-I) use it (N_T = its total customers). ``med_history_days``
    extends the T_MED reference window back before the period. ``events_page`` ``(skip, limit)``
    gives only those area events (in the same order) and their count in ``events_total``: a
    month of a city holds thousands, and each costs its formatting.
    """
    d0, d1 = check_period(first, last)
    area = area.strip().upper() if area else None
    if area and not area_exists(vault, area):
        raise NotFound("error.unknown_area", code=area)
    if area:
        areas, raw, cut = _households_at_once(vault, d0, d1, area, params, as_of, tz, daily, med_history_days)
    else:
        areas, raw, cut = _households_by_area(vault, d0, d1, params, as_of, tz, daily, med_history_days)
    # (area, start, end, households, confidence), sorted as the formatted events sort: by start (local ISO
    # times of one width sort as the seconds do), then area; a stable sort keeps the order of equal ones
    raw += _add_series(vault, areas, d0, d1, area, params, daily)
    raw.sort(key=lambda e: (e[1], e[0]))
    page = raw if events_page is None else raw[max(events_page[0], 0):max(events_page[0], 0) + max(events_page[1], 0)]
    events = [AreaEvent(area=a, start=time_iso(s), end=time_iso(e), households=n, confidence=c) for a, s, e, n, c in page]
    found = _claims(claims(vault), areas, d0, d1)
    for code, w in water_summary(vault, first, last, area).items():
        if code in areas:
            areas[code] = msgspec.structs.replace(areas[code], water=w)
    return Report(period=Period(first=day_iso(d0), last=day_iso(d1), as_of=time_iso(cut)), areas=areas,
                  events=events, claims=found, events_total=UNSET if events_page is None else len(raw))


_Raw = list[tuple[str, int, int | None, int, float]]


def _area_reports(res: Result, codes: list[str], d0: int, params: Params, daily: bool) -> tuple[dict[str, AreaReport],
                                                                                               _Raw]:
    """The households' areas of one :func:`compute` (``codes``: its areas in order) and their events
    ``(area, start, end, households, confidence)`` in its order (by area, then start)."""
    areas: dict[str, AreaReport] = {}
    for i, code in enumerate(codes):
        ix = res.areas[i]
        days = UNSET if not daily else [
            AreaDay(day=day_iso(d0 + k), supply_hours=_r(res.daily_supply[i, k], 3),
                    supply_hours_reporting=_r(None if np.isnan(res.daily_supply_reporting[i, k])
                                              else res.daily_supply_reporting[i, k], 3),
                    households_reporting=int(res.daily_reporting[i, k]), saidi_minutes=_r(res.daily_saidi[i, k], 2))
            for k in range(res.days)]
        areas[code] = AreaReport(
            households=ix.households, saifi=_r(ix.saifi), saidi_minutes=_r(ix.saidi_minutes, 2),
            caidi_minutes=_r(ix.caidi_minutes, 2), caifi=_r(ix.caifi), asai=_r(ix.asai, 6),
            maifi=_r(ix.maifi), supply_hours_per_day=round(float(ix.supply_hours_per_day), 3),
            major_event_days=[day_iso(d) for d in ix.major_event_days],
            cemi=_r(ix.cemi), cemi_n=params.cemi_n, t_med_minutes=_r(ix.t_med_minutes, 2),
            interruptions=ix.interruptions, momentary=ix.momentary, open_intervals=ix.open_intervals,
            households_interrupted=ix.households_interrupted,
            households_reporting_per_day=_r(res.daily_reporting[i].mean(), 2),
            supply_hours_per_day_reporting=_r(np.nanmean(res.daily_supply_reporting[i])
                                              if res.daily_reporting[i].any() else None, 3),
            trend_hours_per_week=_r(_trend(res.daily_supply[i]), 3), source="households", daily=days)
    raw = [(codes[ev["area"]], ev["start"], ev["end"], ev["households"], ev["confidence"]) for ev in res.events]
    return areas, raw


def _households_at_once(vault: Vault, d0: int, d1: int, area: str | None, params: Params, as_of: int | None, tz: str,
                        daily: bool, med_history_days: int) -> tuple[dict[str, AreaReport], _Raw, int]:
    """The households' areas (of ``area``, when given) from one :func:`compute` over the period's
    intervals; with the events and the ``as_of`` used."""
    data = load_intervals(vault, d0, d1, area, as_of, tz, reach_days=med_history_days)
    res = compute(data.hh, data.start, data.end, data.is_open, data.hh_area, data.n_customers,
                  d0, d1, params, tallies=data.tallies, med_days=(d0 - med_history_days, d1))
    return (*_area_reports(res, data.codes, d0, params, daily), data.as_of)


#: What one area's households gave (its :class:`AreaReport` and events), by everything it depends
#: on (see :func:`_households_by_area`): the last few thousand, never changed once made, kept in
#: the open vault's memo (dropped when it closes or locks).
_BY_AREA = "ledger.by_area"
_BY_AREA_LOCK = threading.Lock()
_BY_AREA_MAX = 4096


def _area_keys(who: Customers, what: Any, d0: int, d1: int, cut: int
               ) -> tuple[list[str], dict[str, list[int]], dict[str, tuple[Any, ...]],
                          dict[str, list[tuple[str, int, float]]]]:
    """The areas of ``who`` (sorted), the numbers of each one's households (in order), what
    each area's figures of ``what`` over days ``d0..d1`` depend on: its households (in order), the
    version of each one's intervals, their tallies in the period, and ``cut`` (``as_of``) where an
    interval is still open (only those end at ``as_of``; a closed one counts whenever it began);
    and the tallies of the period by household."""
    codes = sorted(set(who.areas))
    members: dict[str, list[int]] = {c: [] for c in codes}
    for i, code in enumerate(who.areas):
        members[code].append(i)
    tallies: dict[str, list[tuple[str, int, float]]] = {}
    for t in who.tallies:
        if d0 <= t[1] <= d1:
            tallies.setdefault(t[0], []).append(t)
    keys: dict[str, tuple[Any, ...]] = {}
    households, versions = who.households, who.versions
    for code, rows in members.items():
        names = [households[i] for i in rows]
        keys[code] = (what, code, d0, d1, cut if not who.open.isdisjoint(names) else None, tuple(names),
                      tuple(versions[i] for i in rows),
                      tuple(sorted(t for h in names if h in tallies for t in tallies[h])) if tallies else ())
    return codes, members, keys, tallies


def _reuse(vault: Vault, codes: list[str], keys: dict[str, tuple[Any, ...]],
           make: Callable[[list[str]], dict[str, Any]]) -> dict[str, Any]:
    """Each area's value: kept in the open vault's memo under its key, else ``make(missing)``
    for the areas not kept (all at once), which are kept then."""
    memo = vault.memo(_BY_AREA)
    with _BY_AREA_LOCK:
        found = {c: memo[k] for c, k in keys.items() if k in memo}
    missing = [c for c in codes if c not in found]
    if missing:
        made = make(missing)
        with _BY_AREA_LOCK:
            for c in missing:
                found[c] = memo[keys[c]] = made[c]
            while len(memo) > _BY_AREA_MAX:
                memo.popitem(last=False)
    return found


def _households_by_area(vault: Vault, d0: int, d1: int, params: Params, as_of: int | None, tz: str, daily: bool,
                        med_history_days: int) -> tuple[dict[str, AreaReport], _Raw, int]:
    """:func:`_households_at_once` for every area, reusing each area whose inputs are unchanged.

    The figures of an area depend only on its customers (their order, their intervals, their
    tallies in the period) and, for one with an interval still open, on ``as_of``: each
    :func:`compute` sum runs over one area's rows in the same order whichever other areas are
    computed with it, and the events of an area are detected among its own starts. So after a
    write only the areas whose households' intervals (their count and ``ledger_changes``), enrolment
    or tallies changed are computed again, together in one call, from their households'
    intervals alone (a test holds it equal to one call over every area)."""
    p0, p1 = (d0 - med_history_days) * DAY, (d1 + 1) * DAY
    cut = min(now_local(tz) if as_of is None else as_of, p1)
    who = customers(vault, p0 - 7 * DAY, p1)
    codes, members, keys, tallies = _area_keys(who, ("report", params, med_history_days, daily), d0, d1, cut)

    def make(missing: list[str]) -> dict[str, tuple[AreaReport, _Raw]]:
        rows = [i for c in missing for i in members[c]]
        rows.sort()  # the households in the order of the whole period's computation
        names = [who.households[i] for i in rows]
        index = {h: j for j, h in enumerate(names)}
        a_index = {c: a for a, c in enumerate(missing)}
        hh_area = np.array([a_index[who.areas[i]] for i in rows], dtype=np.int64)
        hh, start, end, is_open = intervals_of(vault, p0 - 7 * DAY, p1, names if len(missing) < len(codes) else None,
                                               index, cut)
        # compute counts only the tallies of the period
        picked = [t for c in missing for h in (who.households[i] for i in members[c]) for t in tallies.get(h, ())]
        res = compute(hh, start, end, is_open, hh_area, np.bincount(hh_area, minlength=len(missing)), d0, d1, params,
                      tallies=(np.array([index[t[0]] for t in picked], dtype=np.int64),
                               np.array([t[1] for t in picked], dtype=np.int64),
                               np.array([t[2] for t in picked], dtype=np.float64)),
                      med_days=(d0 - med_history_days, d1))
        made, events = _area_reports(res, missing, d0, params, daily)
        by_code: dict[str, _Raw] = {c: [] for c in missing}
        for ev in events:
            by_code[ev[0]].append(ev)
        return {c: (made[c], by_code[c]) for c in missing}

    found = _reuse(vault, codes, keys, make)
    areas = {c: found[c][0] for c in codes}
    return areas, [ev for c in codes for ev in found[c][1]], cut


def _add_series(vault: Vault, areas: dict[str, AreaReport], d0: int, d1: int, area: str | None, params: Params,
                daily: bool) -> list[tuple[str, int, int | None, int, float]]:
    """Put the areas that hold an imported customers-out series into ``areas``; their events as
    ``(area, start, end, households, confidence)``."""
    events: list[tuple[str, int, int | None, int, float]] = []
    for s in series(vault, area):
        idx, found, day_saidi = series_indices(s.times, s.customers_out, s.total_customers, s.filled, s.step_seconds,
                                               d0, d1, params)
        if not any((s.times >= d0 * DAY) & (s.times < (d1 + 1) * DAY)):
            continue
        fields: dict[str, Any] = {k: (_r(v) if isinstance(v, float) else v) for k, v in idx.items()}
        fields["major_event_days"] = [day_iso(d) for d in idx["major_event_days"]]
        if daily:
            fields["daily"] = [AreaDay(day=day_iso(d0 + k), saidi_minutes=_r(v, 2)) for k, v in enumerate(day_saidi)]
        areas[s.area] = AreaReport(**fields, source="series")
        events += [(s.area, ev["start"], ev["end"], ev["households"], ev["confidence"]) for ev in found]
    return events


def _claims(records: list[ClaimRecord], areas: dict[str, AreaReport], d0: int, d1: int) -> list[Claim]:
    out = []
    for c in records:
        if parse_day(c.last_day) < d0 or parse_day(c.first_day) > d1:
            continue
        for target in [c.area] if c.area else list(areas):
            entry = areas.get(target)
            if entry is None:
                continue
            measured = entry.supply_hours_per_day
            out.append(Claim(id=c.id, area=target, claimant=c.claimant, first=c.first_day, last=c.last_day,
                             claimed_hours=c.hours, measured_hours=measured, gap_hours=_r(c.hours - measured, 3)))
    return out


class AreaSupply(msgspec.Struct, frozen=True, kw_only=True):
    """One area's customers and grid supply hours per household per day over a period: the
    ``households`` and ``supply_hours_per_day`` of its :class:`AreaReport`."""

    households: int
    supply_hours_per_day: float


def supply(vault: Vault, first: str, last: str, as_of: int | None = None, tz: str = DEFAULT_TZ) -> dict[str, AreaSupply]:
    """Per area, the customers and supply hours of :func:`report` over the same period (every
    area), the same numbers, from the hours off per household-day the ledger keeps as intervals
    arrive (:func:`halqa.ledger.read.day_off`) instead of the period's intervals. Like the report,
    an area whose households' intervals, enrolment and tallies are unchanged is not counted again
    (see :func:`_households_by_area`)."""
    return supply_periods(vault, [(first, last)], as_of, tz)[0]


def supply_periods(vault: Vault, periods: list[tuple[str, str]], as_of: int | None = None,
                   tz: str = DEFAULT_TZ) -> list[dict[str, AreaSupply]]:
    """:func:`supply` of each period (``(first, last)`` ISO days), the households read once."""
    now = households_now(vault)
    return [_supply_period(vault, now, first, last, as_of, tz) for first, last in periods]


def _supply_period(vault: Vault, now: Households, first: str, last: str, as_of: int | None,
                   tz: str) -> dict[str, AreaSupply]:
    d0, d1 = check_period(first, last)
    p0, p1 = d0 * DAY, (d1 + 1) * DAY
    cut = min(now_local(tz) if as_of is None else as_of, p1)
    who = customers(vault, p0 - 7 * DAY, p1, now)
    codes, members, keys, _ = _area_keys(who, "supply", d0, d1, cut)

    def make(missing: list[str]) -> dict[str, AreaSupply]:
        rows = sorted(i for c in missing for i in members[c])  # in the order of every area's count
        return _supply(day_off(vault, d0, d1, cut, tz, who=who, only=None if len(missing) == len(codes) else rows),
                       d0, d1)

    found = _reuse(vault, codes, keys, make)
    result: dict[str, AreaSupply] = {c: found[c] for c in codes}
    series_areas: dict[str, AreaReport] = {}
    _add_series(vault, series_areas, d0, d1, None, Params(), False)
    for code, entry in series_areas.items():
        result[code] = AreaSupply(households=entry.households, supply_hours_per_day=entry.supply_hours_per_day)
    return result


def _supply(data: DayOff, d0: int, d1: int) -> dict[str, AreaSupply]:
    """The supply of each area of ``data``, with the operations of :func:`compute`."""
    days = d1 - d0 + 1
    n_areas, n_hh = len(data.codes), len(data.hh_area)
    n_t = np.bincount(data.hh_area, minlength=n_areas).astype(np.float64)
    safe_nt = np.where(n_t > 0, n_t, 1.0)
    # from here the operations of analysis.compute on its off_s, in its order (the same float sums)
    off_s = data.off_s.reshape(-1)
    reported = off_s > 0
    t_hh, t_day, t_hours = data.tallies
    if len(t_hh):
        tcell = t_hh * days + (t_day - d0)
        fill = ~reported[tcell]
        off_s[tcell[fill]] = np.clip(t_hours[fill], 0, 24) * 3600.0
        reported[tcell] = True
    off_s /= 3600.0
    off_h = off_s.reshape(n_hh, days)
    area_off = np.zeros((n_areas, days))
    if n_hh:
        order = np.argsort(data.hh_area, kind="stable")
        r = data.hh_area[order]
        first_row = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        i, step = 0, max(CHUNK // max(days, 1), 1)  # each area's sum lies in one piece: any size gives the same
        while i < len(first_row):
            j = max(int(np.searchsorted(first_row, first_row[i] + step)), i + 1)
            lo, hi = first_row[i], (first_row[j] if j < len(first_row) else n_hh)
            area_off[r[first_row[i:j]]] += np.add.reduceat(off_h[order[lo:hi]], first_row[i:j] - lo, axis=0)
            i = j
    daily_supply = 24.0 - area_off / safe_nt[:, None]
    return {code: AreaSupply(households=int(n_t[a]),
                             supply_hours_per_day=round(float(float(daily_supply[a].mean()) if days else 24.0), 3))
            for a, code in enumerate(data.codes)}


class SupplyDay(msgspec.Struct, frozen=True, kw_only=True):
    """One household's supply on one local day: 24 hours minus the hours without power."""

    day: str
    supply_hours: float


def household_supply(vault: Vault, household: str, first: str, last: str, tz: str = DEFAULT_TZ,
                     as_of: int | None = None) -> list[SupplyDay]:
    """Daily supply hours of one household (24 minus hours off; tallies where no interval)."""
    d0, d1 = check_period(first, last)
    area = household_area(vault, household)
    if area is None:
        raise NotFound("ledger.error.unknown_household", household=household)
    data = load_intervals(vault, d0, d1, area, as_of, tz)
    res = compute(data.hh, data.start, data.end, data.is_open, data.hh_area, data.n_customers,
                  d0, d1, tallies=data.tallies, events=False)
    i = data.households.index(household)
    return [SupplyDay(day=day_iso(d0 + k), supply_hours=round(24 - float(res.household_off_hours[i, k]), 3))
            for k in range(res.days)]


class CalendarDay(msgspec.Struct, frozen=True, kw_only=True):
    """One day of a blackout calendar: per hour, the share of households without power (0..1)."""

    day: str
    hours: list[float]


class Calendar(msgspec.Struct, frozen=True, kw_only=True):
    """An area's blackout calendar over its ``households``."""

    area: str
    households: int
    days: list[CalendarDay]


def calendar(vault: Vault, area: str, first: str, last: str, tz: str = DEFAULT_TZ,
             as_of: int | None = None) -> Calendar:
    """Blackout calendar of an area: for each day and hour, the share of its households without
    power (0..1, averaged over the hour)."""
    d0, d1 = check_period(first, last)
    area = area.strip().upper()
    data = load_intervals(vault, d0, d1, area, as_of, tz)
    if not data.codes:
        raise NotFound("error.unknown_area", code=area)
    days = d1 - d0 + 1
    hours = np.zeros(days * 24)
    _, s, e = merge_intervals(data.hh, data.start, data.end)[:3]
    p0, p1 = d0 * DAY, (d1 + 1) * DAY
    for a, b in zip(np.maximum(s, p0).tolist(), np.minimum(e, p1).tolist(), strict=True):
        t = a
        while t < b:
            slot = (t - p0) // 3600
            nxt = min(b, p0 + (slot + 1) * 3600)
            hours[slot] += nxt - t
            t = nxt
    n = max(int(data.n_customers.sum()), 1)
    grid = (hours / 3600.0 / n).reshape(days, 24)
    return Calendar(area=area, households=n, days=[CalendarDay(day=day_iso(d0 + k), hours=[round(float(x), 3) for x in grid[k]])
                                                   for k in range(days)])
