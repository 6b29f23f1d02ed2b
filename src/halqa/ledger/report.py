"""Reading the ledger back as evidence: reports, daily supply hours, blackout calendars."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np

from halqa.errors import InvalidInput, NotFound
from halqa.ledger.analysis import Params, compute, merge_intervals, series_indices
from halqa.ledger.model import DAY, DEFAULT_TZ, EPOCH, day_iso, now_local, parse_day, time_iso
from halqa.places import area_exists, household_area, household_areas
from halqa.vault import Vault

_FIELDS = ("households", "saifi", "saidi_minutes", "caidi_minutes", "caifi", "asai", "maifi",
           "supply_hours_per_day", "major_event_days")


def _period(first: str, last: str) -> tuple[int, int]:
    d0, d1 = parse_day(first), parse_day(last)
    if d1 < d0:
        raise InvalidInput("ledger.error.bad_period", first=first, last=last)
    if d1 - d0 > 3660:
        raise InvalidInput("ledger.error.period_too_long", first=first, last=last)
    return d0, d1


def _r(x: Any, n: int = 4) -> Any:
    return None if x is None else round(float(x), n)


def load_intervals(vault: Vault, first_day: int, last_day: int, area: str | None = None,
                   as_of: int | None = None, tz: str = DEFAULT_TZ, reach_days: int = 0) -> dict[str, Any]:
    """Household outage data around a period as arrays for :func:`halqa.ledger.analysis.compute`.

    Areas are those with enrolled households (or intervals); open intervals end at ``as_of``
    (default: now, never later than the period's end)."""
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
    hh = np.array([hh_index[h] for h in names], dtype=np.int64)[of] if names else of
    is_open = end < 0
    end[is_open] = as_of
    keep = start <= end
    tallies = vault.query("SELECT household, day, hours_off FROM ledger_tally" + (" WHERE area = ?" if area else ""), args)
    tallies = [t for t in tallies if t[0] in hh_index]
    return {"codes": codes, "hh_area": hh_area, "hh": hh[keep], "start": start[keep], "end": end[keep],
            "is_open": is_open[keep], "n_customers": np.bincount(hh_area, minlength=len(codes)),
            "households": list(hh_index), "as_of": as_of,
            "tallies": (np.array([hh_index[t[0]] for t in tallies], dtype=np.int64),
                        np.array([parse_day(t[1]) for t in tallies], dtype=np.int64),
                        np.array([t[2] for t in tallies], dtype=np.float64))}


def _period_intervals(vault: Vault, since: int, until: int, area: str | None) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                                        np.ndarray]:
    """The intervals that began before ``until`` and ended at or after ``since`` (or are open):
    ``(households, household, start, end)``, the distinct households in order and, per interval,
    the number of its household among them, its start and its end (-1: open), sorted by household,
    start and end (one order whatever the index's: sums over intervals add up the same way).

    Read from the ``(end_at, start_at, household, area)`` index alone, each column as one joined
    string (no Python row per interval): at a million intervals the rows of a month are spread
    over the whole table, and visiting them cost ten times the index."""
    import pandas as pd

    row = vault.query_one(
        "SELECT count(*), group_concat(household, char(31)), group_concat(start_at), group_concat(coalesce(end_at, -1)) "
        "FROM ledger_interval INDEXED BY ledger_interval_end "
        "WHERE (end_at >= ? OR end_at IS NULL) AND start_at < ?" + (" AND area = ?" if area else ""),
        [since, until, *([area] if area else [])])
    if row is None or not row[0]:
        empty = np.zeros(0, dtype=np.int64)
        return [], empty, empty.copy(), empty.copy()
    codes, names = pd.factorize(np.array(row[1].split("\x1f"), dtype=object), sort=True)
    start = np.fromstring(row[2], dtype=np.int64, sep=",")
    end = np.fromstring(row[3], dtype=np.int64, sep=",")
    order = np.lexsort((end, start, codes))
    return list(names), codes[order].astype(np.int64), start[order], end[order]


def _area_of_former(vault: Vault, household: str, since: int, until: int) -> str:
    """The area of a household no longer enrolled: that of its first interval in the period
    (the first the period's table scan met, as before)."""
    row = vault.query_one("SELECT area FROM ledger_interval WHERE household = ? AND (end_at >= ? OR end_at IS NULL) "
                          "AND start_at < ? ORDER BY rowid LIMIT 1", (household, since, until))
    return str(row[0]) if row is not None else ""


def _trend(values: np.ndarray) -> float | None:
    ok = ~np.isnan(values)
    if ok.sum() < 3:
        return None
    x = np.flatnonzero(ok)
    return float(np.polyfit(x, values[ok], 1)[0] * 7)


def report(vault: Vault, first: str, last: str, area: str | None = None, params: Params = Params(),
           as_of: int | None = None, tz: str = DEFAULT_TZ, daily: bool = False, med_history_days: int = 0) -> dict[str, Any]:
    """The evidence for a period of whole local days (``first``..``last`` inclusive, ISO days).

    ``{"period", "areas": {code: {households, saifi, saidi_minutes, caidi_minutes, caifi, asai,
    maifi, supply_hours_per_day, major_event_days, ...}}, "events": [{area, start, end, households,
    confidence}], "claims": [...]}``. Household areas use their ledgers (N_T = enrolled households);
    areas holding an imported customers-out series (EAGLE-I) use it (N_T = its total customers).
    ``med_history_days`` extends the T_MED reference window back before the period.
    """
    d0, d1 = _period(first, last)
    area = area.strip().upper() if area else None
    if area and not area_exists(vault, area):
        raise NotFound("error.unknown_area", code=area)
    data = load_intervals(vault, d0, d1, area, as_of, tz, reach_days=med_history_days)
    res = compute(data["hh"], data["start"], data["end"], data["is_open"], data["hh_area"], data["n_customers"],
                  d0, d1, params, tallies=data["tallies"], med_days=(d0 - med_history_days, d1))
    out: dict[str, Any] = {"period": {"from": day_iso(d0), "to": day_iso(d1), "as_of": time_iso(data["as_of"])},
                           "areas": {}, "events": []}
    for i, code in enumerate(data["codes"]):
        ix = res.areas[i]
        entry = {
            "households": ix.households, "saifi": _r(ix.saifi), "saidi_minutes": _r(ix.saidi_minutes, 2),
            "caidi_minutes": _r(ix.caidi_minutes, 2), "caifi": _r(ix.caifi), "asai": _r(ix.asai, 6),
            "maifi": _r(ix.maifi), "supply_hours_per_day": _r(ix.supply_hours_per_day, 3),
            "major_event_days": [day_iso(d) for d in ix.major_event_days],
            "cemi": _r(ix.cemi), "cemi_n": params.cemi_n, "t_med_minutes": _r(ix.t_med_minutes, 2),
            "interruptions": ix.interruptions, "momentary": ix.momentary, "open_intervals": ix.open_intervals,
            "households_interrupted": ix.households_interrupted,
            "households_reporting_per_day": _r(res.daily_reporting[i].mean(), 2),
            "supply_hours_per_day_reporting": _r(np.nanmean(res.daily_supply_reporting[i])
                                                 if res.daily_reporting[i].any() else None, 3),
            "trend_hours_per_week": _r(_trend(res.daily_supply[i]), 3), "source": "households",
        }
        if daily:
            entry["daily"] = [{"day": day_iso(d0 + k), "supply_hours": _r(res.daily_supply[i, k], 3),
                               "supply_hours_reporting": _r(None if np.isnan(res.daily_supply_reporting[i, k])
                                                            else res.daily_supply_reporting[i, k], 3),
                               "households_reporting": int(res.daily_reporting[i, k]),
                               "saidi_minutes": _r(res.daily_saidi[i, k], 2)} for k in range(res.days)]
        out["areas"][code] = entry
    for ev in res.events:
        out["events"].append({"area": data["codes"][ev["area"]], "start": time_iso(ev["start"]), "end": time_iso(ev["end"]),
                              "households": ev["households"], "confidence": ev["confidence"]})
    _add_series(vault, out, d0, d1, area, params, daily)
    out["events"].sort(key=lambda e: (e["start"], e["area"]))
    out["claims"] = _claims(vault, out, d0, d1)
    water = water_summary(vault, first, last, area)
    for code, w in water.items():
        if code in out["areas"]:
            out["areas"][code]["water"] = w
    return out


def _add_series(vault: Vault, out: dict, d0: int, d1: int, area: str | None, params: Params, daily: bool) -> None:
    areas = [r[0] for r in vault.query("SELECT DISTINCT area FROM ledger_series" + (" WHERE area = ?" if area else ""),
                                       [area] if area else [])]
    for code in areas:
        rows = vault.query("SELECT t, customers_out, total_customers, filled, step_seconds FROM ledger_series "
                           "WHERE area = ? ORDER BY t", (code,))
        arr = np.array([r[:4] for r in rows], dtype=np.int64)
        idx, events, day_saidi = series_indices(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(bool), int(rows[0][4]),
                                                d0, d1, params)
        if not any((arr[:, 0] >= d0 * DAY) & (arr[:, 0] < (d1 + 1) * DAY)):
            continue
        entry = {k: (_r(v) if isinstance(v, float) else v) for k, v in idx.items()}
        entry["major_event_days"] = [day_iso(d) for d in idx["major_event_days"]]
        entry["source"] = "series"
        if daily:
            entry["daily"] = [{"day": day_iso(d0 + k), "saidi_minutes": _r(v, 2)} for k, v in enumerate(day_saidi)]
        out["areas"][code] = entry
        for ev in events:
            out["events"].append({"area": code, "start": time_iso(ev["start"]), "end": time_iso(ev["end"]),
                                  "households": ev["households"], "confidence": ev["confidence"]})


def _claims(vault: Vault, out: dict, d0: int, d1: int) -> list[dict]:
    claims = []
    for cid, code, hours, f, last, who in vault.query(
            "SELECT id, area, hours, first_day, last_day, claimant FROM ledger_claim ORDER BY first_day, id"):
        if parse_day(last) < d0 or parse_day(f) > d1:
            continue
        targets = [code] if code else list(out["areas"])
        for t in targets:
            entry = out["areas"].get(t)
            if entry is None:
                continue
            measured = entry["supply_hours_per_day"]
            claims.append({"id": cid, "area": t, "claimant": who, "from": f, "to": last, "claimed_hours": hours,
                           "measured_hours": measured, "gap_hours": _r(hours - measured, 3)})
    return claims


def water_summary(vault: Vault, first: str, last: str, area: str | None = None) -> dict[str, dict[str, Any]]:
    """Per area: household-days recorded, without tap water, with contamination or smell, people
    ill, litres bought and money spent per currency (exact decimal strings)."""
    d0, d1 = _period(first, last)
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
    return out


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


class SupplyDay(msgspec.Struct, frozen=True, kw_only=True):
    """One household's supply on one local day: 24 hours minus the hours without power."""

    day: str
    supply_hours: float


def household_supply(vault: Vault, household: str, first: str, last: str, tz: str = DEFAULT_TZ,
                     as_of: int | None = None) -> list[SupplyDay]:
    """Daily supply hours of one household (24 minus hours off; tallies where no interval)."""
    d0, d1 = _period(first, last)
    area = household_area(vault, household)
    if area is None:
        raise NotFound("ledger.error.unknown_household", household=household)
    data = load_intervals(vault, d0, d1, area, as_of, tz)
    res = compute(data["hh"], data["start"], data["end"], data["is_open"], data["hh_area"], data["n_customers"],
                  d0, d1, tallies=data["tallies"], events=False)
    i = data["households"].index(household)
    return [SupplyDay(day=day_iso(d0 + k), supply_hours=round(24 - float(res.household_off_hours[i, k]), 3))
            for k in range(res.days)]


def calendar(vault: Vault, area: str, first: str, last: str, tz: str = DEFAULT_TZ,
             as_of: int | None = None) -> dict[str, Any]:
    """Blackout calendar of an area: for each day and hour, the share of its households without
    power (0..1, averaged over the hour)."""
    d0, d1 = _period(first, last)
    area = area.strip().upper()
    data = load_intervals(vault, d0, d1, area, as_of, tz)
    if not data["codes"]:
        raise NotFound("error.unknown_area", code=area)
    days = d1 - d0 + 1
    hours = np.zeros(days * 24)
    _, s, e = merge_intervals(data["hh"], data["start"], data["end"])[:3]
    p0, p1 = d0 * DAY, (d1 + 1) * DAY
    for a, b in zip(np.maximum(s, p0).tolist(), np.minimum(e, p1).tolist(), strict=True):
        t = a
        while t < b:
            slot = (t - p0) // 3600
            nxt = min(b, p0 + (slot + 1) * 3600)
            hours[slot] += nxt - t
            t = nxt
    n = max(int(data["n_customers"].sum()), 1)
    grid = (hours / 3600.0 / n).reshape(days, 24)
    return {"area": area, "households": n,
            "days": [{"day": day_iso(d0 + k), "hours": [round(float(x), 3) for x in grid[k]]} for k in range(days)]}
