"""Writing the ledger: intervals (start/stop/add), paper grids, daily tallies, water, claims,
household enrolment and file imports. Each function is one atomic vault transaction."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.ledger import importers
from halqa.ledger.events import (
    DAY,
    DEFAULT_TZ,
    SOURCES,
    BatchPut,
    ClaimPut,
    IntervalDelete,
    IntervalPut,
    Reason,
    SeriesPut,
    TallyPut,
    WaterPut,
    day_iso,
    now_local,
    parse_day,
    parse_time,
    time_iso,
)
from halqa.ledger.importers import ParseResult, Row
from halqa.ledger.read import interval_exists, open_interval
from halqa.places import AreaPut, HouseholdPut, area_codes, household_area, household_areas
from halqa.vault import Vault
from halqa.vault.values import new_id

BATCH = 5000


def _household_area(vault: Vault, household: str) -> str:
    area = household_area(vault, household)
    if area is None:
        raise NotFound("ledger.error.unknown_household", household=household)
    return area


def _time(value: str | int | None, tz: str) -> int:
    if value is None or value == "":
        return now_local(tz)
    if isinstance(value, int):
        return value
    try:
        return parse_time(value, tz)
    except ValueError:
        raise InvalidInput("ledger.error.bad_time", value=value) from None


def _ensure_areas(vault: Vault, tx: Any, codes: set[str]) -> list[str]:
    known = set(area_codes(vault))
    created = sorted(codes - known)
    for code in created:
        tx.append("area.put", AreaPut(code=code, name_ar=code, name_en=code, name_ckb=code))
    return created


def _enrol(vault: Vault, tx: Any, households: dict[str, str]) -> tuple[int, list[str], dict[str, str]]:
    """Enrol unknown households (creating unknown areas); return (new, areas created, all enrolled)."""
    enrolled = household_areas(vault)
    new = {h: a for h, a in households.items() if h not in enrolled}
    created = _ensure_areas(vault, tx, set(new.values()))
    for hid, area in sorted(new.items()):
        tx.append("household.put", HouseholdPut(id=hid, area=area))
    enrolled.update(new)
    return len(new), created, enrolled


class RejectedRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row left out: its line, the reason in English (what scripts read) and as a message id
    with its parameters (what a face says in the reader's language)."""

    line: int
    reason: str
    error: str
    params: dict[str, Any]


class FixedRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row kept after a repair: its line and what was repaired (as in :class:`RejectedRow`)."""

    line: int
    note: str
    error: str
    params: dict[str, Any]


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    """What an import kept, rejected and repaired, the households it enrolled and the areas it
    created; for a customers-out series, its area and number of steps."""

    kept: int
    rejected: list[RejectedRow]
    fixed: list[FixedRow]
    households_enrolled: int | msgspec.UnsetType = msgspec.UNSET
    areas_created: list[str]
    area: str | msgspec.UnsetType = msgspec.UNSET
    series_steps: int | msgspec.UnsetType = msgspec.UNSET


def _report(res: ParseResult, kept: int, areas_created: list[str], **extra: Any) -> ImportReport:
    return ImportReport(kept=kept,
                        rejected=[RejectedRow(line=ln, reason=r, error=r.msg_id, params=r.params) for ln, r in res.rejected],
                        fixed=[FixedRow(line=ln, note=r, error=r.msg_id, params=r.params) for ln, r in res.fixed],
                        areas_created=areas_created, **extra)


#: What a damaged file raises inside the parsers: bytes that are not UTF-8, a stray carriage
#: return in a CSV field, a timestamp beyond the platform's clock (found by fuzz/).
_UNREADABLE = (UnicodeDecodeError, ValueError, csv.Error, OverflowError)


def _read(source: str | bytes | os.PathLike[str]) -> str | bytes:
    if isinstance(source, (str, bytes)) and not isinstance(source, os.PathLike):
        return source
    try:
        return Path(source).read_bytes()
    except OSError:
        raise InvalidInput("error.file_missing", path=str(source)) from None


# ---------------------------------------------------------------------------- households
def enrol_households(vault: Vault, source: str | bytes | os.PathLike[str],
                     progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Enrol households from a ``household,area`` CSV (path or text). Unknown areas are created
    by code (names = the code; rename later with ``halqa.places.add_area``); a household already
    enrolled elsewhere is moved. Returns kept/rejected/fixed and the areas created."""
    try:
        res = importers.parse_households(_read(source))
    except _UNREADABLE as exc:
        raise InvalidInput("ledger.error.unreadable", detail=str(exc)) from None
    with vault.transaction() as tx:
        created = _ensure_areas(vault, tx, set(res.households.values()))
        for i, (hid, area) in enumerate(res.households.items()):
            if progress is not None and i % 1000 == 0:
                progress(i, len(res.households))
            tx.append("household.put", HouseholdPut(id=hid, area=area))
    return _report(res, len(res.households), created)


# ---------------------------------------------------------------------------- intervals
def add_interval(vault: Vault, household: str, start: str | int, end: str | int | None = None,
                 source: str = "grid", note: str = "", tz: str = DEFAULT_TZ) -> str:
    """Record one outage interval of an enrolled household (``end`` None: still off). Times are ISO
    8601 local (or local seconds). Returns the interval id."""
    area = _household_area(vault, household)
    if source not in SOURCES:
        raise InvalidInput("ledger.error.bad_source", source=source)
    s = _time(start, tz)
    e = None if end is None or end == "" else _time(end, tz)
    if e is not None and e < s:
        raise InvalidInput("ledger.error.end_before_start", start=time_iso(s), end=time_iso(e))
    iid = new_id()
    vault.append("ledger_interval.put", IntervalPut(id=iid, household=household, area=area, start_at=s,
                                                    end_at=e, source=source, note=note))
    return iid


class Outage(msgspec.Struct, frozen=True, kw_only=True):
    """One household's outage as :func:`start_outage` and :func:`stop_outage` answer: local ISO
    times; ``end`` and ``minutes`` are ``None`` while the power is still off."""

    id: str
    household: str
    start: str
    end: str | None = None
    minutes: int | None = None


def start_outage(vault: Vault, household: str, at: str | int | None = None, source: str = "grid",
                 note: str = "", tz: str = DEFAULT_TZ) -> Outage:
    """The power just went off at ``household`` (default: now). Refused while one is already open."""
    current = open_interval(vault, household)
    if current is not None:
        raise InvalidInput("ledger.error.already_off", household=household, since=current.start)
    start = _time(at, tz)
    return Outage(id=add_interval(vault, household, start, None, source, note, tz), household=household,
                  start=time_iso(start))


def stop_outage(vault: Vault, household: str, at: str | int | None = None, tz: str = DEFAULT_TZ) -> Outage:
    """The power came back at ``household`` (default: now): closes its open interval."""
    current = open_interval(vault, household)
    if current is None:
        raise InvalidInput("ledger.error.not_off", household=household)
    end = _time(at, tz)
    start = parse_time(current.start, tz)
    if end < start:
        raise InvalidInput("ledger.error.end_before_start", start=current.start, end=time_iso(end))
    vault.append("ledger_interval.put", IntervalPut(id=current.id, end_at=end))
    return Outage(id=current.id, household=household, start=current.start, end=time_iso(end),
                  minutes=(end - start) // 60)


def delete_interval(vault: Vault, interval_id: str) -> None:
    """Delete one interval (a tombstone: no later edit brings it back)."""
    if not interval_exists(vault, interval_id):
        raise NotFound("ledger.error.unknown_interval", id=interval_id)
    vault.append("ledger_interval.delete", IntervalDelete(id=interval_id))


def store_rows(vault: Vault, rows: list[Row], origin: str, tx: Any = None,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Store many intervals as ``ledger_batch.put`` events of up to 5,000 intervals each
    (``progress(done, total)`` is told after each)."""
    if tx is None:
        with vault.transaction() as tx2:
            return store_rows(vault, rows, origin, tx2, progress)
    batch_id = new_id()
    for i in range(0, len(rows), BATCH):
        if progress is not None:
            progress(i, len(rows))
        chunk = rows[i:i + BATCH]
        tx.append("ledger_batch.put", BatchPut(
            id=f"{batch_id}-{i // BATCH}", origin=origin, ids=[os.urandom(8).hex() for _ in chunk],
            household=[r.household for r in chunk], area=[r.area for r in chunk],
            start_at=[r.start for r in chunk], end_at=[r.end for r in chunk], source=[r.source for r in chunk]))
    return len(rows)


def parse_paper_grid(patterns: list[str]) -> list[list[tuple[int, int]]]:
    """Paper-grid days (24 boxes each: ``x``/``1``/``#`` off, ``.``/``0``/``-`` on; spaces ignored)
    to off-hour runs per day ``[(first_hour, end_hour), ...]``."""
    out = []
    for n, pat in enumerate(patterns, start=1):
        boxes = [c for c in pat if not c.isspace() and c not in "|/"]
        if len(boxes) != 24 or any(c not in "x1#X.0-" for c in boxes):
            raise InvalidInput("ledger.error.bad_grid", day=n, pattern=pat)
        runs, h = [], 0
        while h < 24:
            if boxes[h] in "x1#X":
                h0 = h
                while h < 24 and boxes[h] in "x1#X":
                    h += 1
                runs.append((h0, h))
            else:
                h += 1
        out.append(runs)
    return out


class PaperGridAdded(msgspec.Struct, frozen=True, kw_only=True):
    """What typing a paper ledger added: days typed, intervals stored and hours off in them."""

    household: str
    days: int
    intervals: int
    hours_off: float


def add_paper_grid(vault: Vault, household: str, first_day: str, patterns: list[str]) -> PaperGridAdded:
    """Type a paper ledger: one 24-box pattern per consecutive day from ``first_day``. Off-hours that
    run across midnight become one interval. Returns intervals and hours off added."""
    area = _household_area(vault, household)
    d0 = parse_day(first_day)
    runs = parse_paper_grid(patterns)
    spans: list[list[int]] = []
    for k, day_runs in enumerate(runs):
        for h0, h1 in day_runs:
            s, e = (d0 + k) * DAY + h0 * 3600, (d0 + k) * DAY + h1 * 3600
            if spans and spans[-1][1] == s:
                spans[-1][1] = e
            else:
                spans.append([s, e])
    rows = [Row(0, household, area, s, e, "grid", "paper") for s, e in spans]
    store_rows(vault, rows, "paper")
    return PaperGridAdded(household=household, days=len(runs), intervals=len(rows),
                          hours_off=sum(e - s for s, e in spans) / 3600)


class TallyAdded(msgspec.Struct, frozen=True, kw_only=True):
    """What a daily tally added: days and the hours off over them."""

    household: str
    days: int
    hours_off: float


def add_tally(vault: Vault, household: str, first_day: str, hours: list[float]) -> TallyAdded:
    """Daily tally: hours without power on each consecutive day from ``first_day`` (0 to 24). A
    tally counts in supply hours for days where the household recorded no interval."""
    area = _household_area(vault, household)
    d0 = parse_day(first_day)
    for h in hours:
        if not 0 <= h <= 24:
            raise InvalidInput("ledger.error.bad_tally", hours=h)
    with vault.transaction() as tx:
        for k, h in enumerate(hours):
            day = day_iso(d0 + k)
            tx.append("ledger_tally.put", TallyPut(id=f"{household}|{day}", household=household, area=area,
                                                   day=day, hours_off=float(h)))
    return TallyAdded(household=household, days=len(hours), hours_off=float(sum(hours)))


def add_water(vault: Vault, household: str, day: str, no_water: bool = False, contaminated: bool = False,
              smell: bool = False, illness: int = 0, litres_bought: int = 0, spent: str = "0",
              currency: str = "IQD") -> str:
    """Water ledger for one household-day: no tap water, visible contamination, smell, people
    ill, litres of bottled water bought and money spent (a decimal string, never a float)."""
    area = _household_area(vault, household)
    day = day_iso(parse_day(day))
    try:
        amount = Decimal(str(spent))
    except InvalidOperation:
        raise InvalidInput("ledger.error.bad_money", value=spent) from None
    if amount < 0 or illness < 0 or litres_bought < 0 or not amount.is_finite():
        raise InvalidInput("ledger.error.bad_money", value=spent)
    key = f"{household}|{day}"
    vault.append("ledger_water.put", WaterPut(id=key, household=household, area=area, day=day, no_water=no_water,
                                              contaminated=contaminated, smell=smell, illness=illness,
                                              litres_bought=litres_bought, spent=str(amount), currency=currency))
    return key


def add_claim(vault: Vault, hours: float, first_day: str, last_day: str, area: str = "",
              claimant: str = "ministry") -> str:
    """Record an official claim ("the ministry says 20 hours a day") for an area ('' = all areas)
    and period, to compare with the ledger in reports."""
    if not 0 <= hours <= 24:
        raise InvalidInput("ledger.error.bad_tally", hours=hours)
    d0, d1 = parse_day(first_day), parse_day(last_day)
    if d1 < d0:
        raise InvalidInput("ledger.error.bad_period", first=first_day, last=last_day)
    cid = new_id()
    vault.append("ledger_claim.put", ClaimPut(id=cid, area=area.strip().upper(), hours=float(hours),
                                              first_day=day_iso(d0), last_day=day_iso(d1), claimant=claimant))
    return cid


# ---------------------------------------------------------------------------- file import
def import_file(vault: Vault, source: str | bytes | os.PathLike[str], fmt: str = "csv", area: str | None = None,
                tz: str = DEFAULT_TZ, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import outage records from a file (path or its content) in one atomic transaction.

    ``fmt`` is ``csv``, ``gridwatch``, ``eaglei`` or ``upnepa`` (see :mod:`halqa.ledger.importers`).
    Unknown households are enrolled (in the row's area, creating unknown areas by code); a row of a
    household enrolled in another area is rejected. Returns what was kept, rejected (each with its
    line and reason) and repaired, and what was enrolled; nothing is written when no row is good.
    """
    if fmt not in importers.FORMATS:
        raise InvalidInput("ledger.error.bad_format", format=fmt, formats=", ".join(importers.FORMATS))
    data = _read(source)
    try:
        if fmt == "csv":
            res = importers.parse_csv(data, tz=tz, area=area)
        elif fmt == "gridwatch":
            res = importers.parse_gridwatch(data, area=area or "GW")
        elif fmt == "eaglei":
            res = importers.parse_eaglei(data, area=area)
        else:
            res = importers.parse_upnepa(data)
            if area:
                res.households = dict.fromkeys(res.households, area.strip().upper())
                for r in res.rows:
                    r.area = area.strip().upper()
    except _UNREADABLE as exc:
        raise InvalidInput("ledger.error.unreadable", detail=str(exc)) from None
    if res.series is not None:
        s = res.series
        with vault.transaction() as tx:
            created = _ensure_areas(vault, tx, {s["area"]})
            tx.append("ledger_series.put", SeriesPut(id=new_id(), **s))
        kept = len(s["times"]) - sum(s["filled"])
        return _report(res, kept, created, households_enrolled=0, area=s["area"], series_steps=len(s["times"]))
    if not res.rows:
        return _report(res, 0, [], households_enrolled=0)
    with vault.transaction() as tx:
        # every household seen in the file is a customer served, even one with no kept interval
        new, created, enrolled = _enrol(vault, tx, {**res.households, **{r.household: r.area for r in res.rows}})
        good = []
        for r in res.rows:
            home = enrolled.get(r.household, r.area)
            if home != r.area:
                res.rejected.append((r.line, Reason("ledger.reject.enrolled_elsewhere", household=r.household,
                                                    home=home, area=r.area)))
                continue
            good.append(r)
        res.rejected.sort()
        store_rows(vault, good, fmt, tx, progress)
    return _report(res, len(good), created, households_enrolled=new)
