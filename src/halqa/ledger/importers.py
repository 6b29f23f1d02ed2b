"""Parsers for outage records: halqa CSV and three real-world formats.

Every parser reads a whole file, keeps the good rows and returns every bad one with its line
number and a reason (never stops at the first). Nothing is written here: see
:func:`halqa.ledger.write.import_file`, which stores the result atomically.

Formats:

``csv``        header ``household,area,start,end,source`` (+ optional ``note``); ISO 8601 local
               times; empty ``end`` = still off; ``source`` is ``grid`` (default) or ``generator``.
``gridwatch``  GridWatch phone plug/unplug logs: the sanitized ``time, id, type`` export (epoch
               seconds) or the raw 18-field ``events.csv`` (local time text in field 13, type in
               field 4, phone id in field 17). Each phone becomes a household ``gw-<id>``; an
               ``unplugged`` followed by ``plugged`` is one interval.
``eaglei``     EAGLE-I county series ``fips,county,state,customers_out,run_start_time[,total]``
               (15-minute steps, no header) -> an area-level customers-out series.
``upnepa``     crowd-survey JSON ``{day: {neighbourhood: {morning|afternoon|evening: ON|OFF}}}``;
               each neighbourhood key is one reporting household in area ``<NAME>``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from halqa.errors import InvalidInput
from halqa.ledger.events import DAY, DEFAULT_TZ, SOURCES, Reason, RowError, local_seconds, parse_day, parse_time

__all__ = [
    "FORMATS",
    "MIN_YEAR",
    "ParseResult",
    "Reason",
    "Row",
    "RowError",
    "parse_csv",
    "parse_eaglei",
    "parse_gridwatch",
    "parse_households",
    "parse_upnepa",
    "why",
]

FORMATS = ("csv", "gridwatch", "eaglei", "upnepa")
#: Times before this year are taken as unset clocks (phones reset to 2004/2005, 1970 epochs).
MIN_YEAR = 2008
_MIN_SECONDS = local_seconds(datetime(MIN_YEAR, 1, 1))
_AREA_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
_HH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def why(exc: Exception) -> Reason:
    """The reason of a row that raised ``exc`` (a value Python could not read keeps its own words)."""
    return exc.reason if isinstance(exc, RowError) else Reason("ledger.reject.unreadable", detail=str(exc))


@dataclass
class Row:
    """One good outage interval (local seconds; ``end`` None while still off)."""

    line: int
    household: str
    area: str
    start: int
    end: int | None
    source: str = "grid"
    note: str = ""


@dataclass
class ParseResult:
    """Good rows, rejected rows ``(line, reason)`` and rows kept after a repair ``(line, what)``."""

    rows: list[Row] = field(default_factory=list)
    rejected: list[tuple[int, Reason]] = field(default_factory=list)
    fixed: list[tuple[int, Reason]] = field(default_factory=list)
    households: dict[str, str] = field(default_factory=dict)  # household -> area, to enrol
    series: dict | None = None  # eaglei: {area, step_seconds, times, customers_out, total_customers, filled}


def area_code(text: str) -> str:
    """A neighbourhood name or code to an area code (``" Saw-Mill "`` -> ``SAW-MILL``)."""
    code = re.sub(r"[^A-Z0-9-]", "", text.strip().upper().replace("_", "-"))
    return code[:16]


def _check_area(text: str) -> str:
    code = text.strip().upper()
    if not _AREA_RE.match(code):
        raise RowError("ledger.reject.bad_area", value=repr(text))
    return code


def _check_household(text: str) -> str:
    hid = text.strip()
    if not _HH_RE.match(hid) or ".." in hid:  # within places.check_pseudonym, which every write applies
        raise RowError("ledger.reject.bad_household", value=repr(text))
    return hid


def _plausible(seconds: int, what: str) -> int:
    if seconds < _MIN_SECONDS:
        year = datetime.fromtimestamp(0).year + seconds // (365 * DAY) if seconds >= 0 else 1970
        raise RowError("ledger.reject.clock", what=what, year=year)
    return seconds


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the physical line number where each one starts (quoted fields may span lines)."""
    line = reader.line_num + 1
    for rec in reader:
        yield line, rec
        line = reader.line_num + 1


def _read_text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    return data.lstrip("\ufeff")


# ---------------------------------------------------------------------------- households
def parse_households(data: str | bytes) -> ParseResult:
    """``household,area`` CSV (header required) -> ``result.households``."""
    res = ParseResult()
    reader = csv.reader(io.StringIO(_read_text(data)))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["household", "area"]:
        res.rejected.append((1, Reason("ledger.reject.header", header="'household,area'")))
        return res
    first_line: dict[str, int] = {}
    for line, rec in _records(reader):
        if not any(c.strip() for c in rec):
            continue
        if len(rec) < 2:
            res.rejected.append((line, Reason("ledger.reject.two_columns")))
            continue
        if rec[0] != rec[0].strip() or rec[1] != rec[1].strip():
            res.fixed.append((line, Reason("ledger.fixed.whitespace")))
        try:
            hid, area = _check_household(rec[0]), _check_area(rec[1])
        except ValueError as exc:
            res.rejected.append((line, why(exc)))
            continue
        if hid in first_line:
            res.rejected.append((line, Reason("ledger.reject.duplicate_household", household=hid, first=first_line[hid])))
            continue
        first_line[hid] = line
        res.households[hid] = area
    return res


# ---------------------------------------------------------------------------- halqa csv
def parse_csv(data: str | bytes, tz: str = DEFAULT_TZ, area: str | None = None) -> ParseResult:
    """The halqa interval CSV (see module doc). ``area`` fills rows whose area is empty."""
    res = ParseResult()
    reader = csv.reader(io.StringIO(_read_text(data)))
    header = [h.strip().lower() for h in next(reader, [])]
    need = ["household", "area", "start", "end", "source"]
    if any(h not in header for h in need):
        res.rejected.append((1, Reason("ledger.reject.header", header="'household,area,start,end,source'")))
        return res
    col = {h: header.index(h) for h in header}
    last_needed = max(col[h] for h in need)  # a repeated column name moves a needed one right (found by fuzz/)
    seen: dict[tuple, int] = {}
    for line, rec in _records(reader):
        if not any(c.strip() for c in rec):
            continue
        if len(rec) <= last_needed:
            res.rejected.append((line, Reason("ledger.reject.columns", expected=len(header), found=len(rec))))
            continue
        vals = {h: rec[i] for h, i in col.items() if i < len(rec)}
        if any(v != v.strip() for v in vals.values()):
            res.fixed.append((line, Reason("ledger.fixed.whitespace")))
        try:
            hid = _check_household(vals["household"])
            ar = _check_area(vals["area"] or area or "")
            start = _plausible(parse_time(vals["start"], tz), "start")
            end = _plausible(parse_time(vals["end"], tz), "end") if vals["end"].strip() else None
            source = (vals["source"].strip().lower() or "grid")
            if source not in SOURCES:
                raise RowError("ledger.reject.source", value=repr(vals["source"]))
            if end is not None and end < start:
                raise RowError("ledger.reject.end_before_start")
        except ValueError as exc:
            res.rejected.append((line, why(exc)))
            continue
        key = (hid, start, end, source)
        if key in seen:
            res.rejected.append((line, Reason("ledger.reject.duplicate", first=seen[key])))
            continue
        seen[key] = line
        res.rows.append(Row(line, hid, ar, start, end, source, vals.get("note", "").strip()))
        res.households.setdefault(hid, ar)
    return res


# ---------------------------------------------------------------------------- gridwatch
_RAW_TIME = "%b %d, %Y %I:%M:%S %p"


def parse_gridwatch(data: str | bytes, area: str = "GW", clock_tz: str = "America/New_York",
                    max_hours: float = 48.0) -> ParseResult:
    """GridWatch plug/unplug logs (sanitized or raw export) to intervals per phone.

    Sanitized epochs were made from the phone's local clock text on a machine set to US Eastern
    time (PROVENANCE.md: 2,173 rows match the raw text exactly that way), so by default the epoch
    is read back as ``clock_tz`` wall time, which is the phone's own local time. Rejected: unset
    clocks (2004/2005), repeated states (``unplugged`` twice), a ``plugged`` with no ``unplugged``
    before it, watchdog (``wd``) rows, duplicate rows, unplugs longer than ``max_hours`` (a phone
    carried away, not an outage) and an ``unplugged`` never followed by ``plugged``.
    """
    text = _read_text(data)
    res = ParseResult()
    ar = _check_area(area)
    lines = text.splitlines()
    events: list[tuple[int, int, str, str]] = []  # (time, line, phone, type)
    raw = bool(lines) and len(next(csv.reader([lines[0]]))) >= 17
    seen: dict[tuple, int] = {}
    zone = ZoneInfo(clock_tz)
    for line, rec in _records(csv.reader(io.StringIO(text))):
        if not rec or not any(c.strip() for c in rec):
            continue
        if not raw and line == 1 and rec[0].strip().lower() == "time":
            continue
        try:
            if raw:
                if len(rec) < 17:
                    raise RowError("ledger.reject.fields", expected=18, found=len(rec))
                kind, phone, stamp = rec[3].strip(), rec[16].strip(), rec[12].strip()
                key = tuple(rec)
                when = local_seconds(datetime.strptime(stamp, _RAW_TIME)) if stamp else None
                if when is None:
                    raise RowError("ledger.reject.no_time")
            else:
                if len(rec) < 3:
                    raise RowError("ledger.reject.fields_named", expected=3, fields="'time, id, type'", found=len(rec))
                stamp, phone, kind = rec[0].strip(), rec[1].strip(), rec[2].strip()
                key = (stamp, phone, kind)
                try:
                    epoch = int(stamp)
                except ValueError:
                    raise RowError("ledger.reject.not_epoch", value=repr(stamp)) from None
                if epoch > 10**11:
                    epoch //= 1000
                try:
                    when = local_seconds(datetime.fromtimestamp(epoch, zone).replace(tzinfo=None))
                except (OverflowError, OSError):  # beyond the platform's clock (found by fuzz/)
                    raise RowError("ledger.reject.time_range", value=repr(stamp)) from None
            if key in seen:
                raise RowError("ledger.reject.duplicate", first=seen[key])
            seen[key] = line
            if kind == "wd":
                raise RowError("ledger.reject.watchdog")
            if kind not in ("plugged", "unplugged"):
                raise RowError("ledger.reject.event_type", value=repr(kind))
            if not re.fullmatch(r"[0-9a-fA-F]{1,16}", phone):
                raise RowError("ledger.reject.phone", value=repr(phone))
            _plausible(when, "time")
        except ValueError as exc:
            res.rejected.append((line, why(exc)))
            continue
        if len(phone) < 16:
            phone = phone.lower().zfill(16)  # leading zeros were dropped in the export
        events.append((when, line, phone.lower(), kind))
    events.sort(key=lambda ev: (ev[2], ev[0], ev[1]))
    state: dict[str, tuple[int, int] | None] = {}
    for when, line, phone, kind in events:
        hid = f"gw-{phone}"
        res.households.setdefault(hid, ar)
        open_since = state.get(phone)
        if kind == "unplugged":
            if open_since is not None:
                res.rejected.append((line, Reason("ledger.reject.unplugged_twice", first=open_since[1])))
                continue
            state[phone] = (when, line)
        else:
            if open_since is None:
                res.rejected.append((line, Reason("ledger.reject.plugged_twice")))
                continue
            state[phone] = None
            if when - open_since[0] > max_hours * 3600:
                res.rejected.append((open_since[1], Reason("ledger.reject.too_long", hours=f"{(when - open_since[0]) / 3600:.0f}",
                                                                  most=f"{max_hours:g}")))
                continue
            res.rows.append(Row(open_since[1], hid, ar, open_since[0], when, "grid", "gridwatch"))
    for open_since in state.values():
        if open_since is not None:
            res.rejected.append((open_since[1], Reason("ledger.reject.never_plugged")))
    res.rows.sort(key=lambda r: r.line)
    res.rejected.sort()
    return res


# ---------------------------------------------------------------------------- EAGLE-I
#: Longest EAGLE-I series filled in one import: ten years of 15-minute steps.
MAX_SERIES_STEPS = 10 * 366 * 96
#: More customers than any county has (and than the stored integers hold).
MAX_CUSTOMERS = 10**9

def parse_eaglei(data: str | bytes, area: str | None = None, step_seconds: int = 900,
                 dropout_ratio: float = 0.02) -> ParseResult:
    """An EAGLE-I county 15-minute series (no header). One county per import.

    Rejected: malformed rows, empty ``customers_out``, ``customers_out`` above
    ``total_customers``, duplicate (fips, time) keys, other counties than the first, and isolated
    dropouts (a value below ``dropout_ratio`` of both neighbours, which are above 10,000: a utility
    feed briefly missing from the aggregate). Rejected or missing steps carry the previous kept
    value forward and are flagged ``filled``. Times have no stated zone and are kept as written.
    """
    res = ParseResult()
    kept: dict[int, tuple[int, int, int]] = {}  # time -> (out, total, line)
    fips0 = None
    for line, rec in _records(csv.reader(io.StringIO(_read_text(data)))):
        if not rec or not any(c.strip() for c in rec):
            continue
        try:
            if len(rec) not in (5, 6):
                raise RowError("ledger.reject.fields_named", expected=6,
                               fields="'fips,county,state,customers_out,run_start_time,total'", found=len(rec))
            fips = rec[0].strip()
            if not fips.isdigit():
                raise RowError("ledger.reject.fips", value=repr(rec[0]))
            fips0 = fips0 or fips
            if fips != fips0:
                raise RowError("ledger.reject.another_county", fips=fips)
            if not rec[3].strip():
                raise RowError("ledger.reject.out_empty")
            out = int(rec[3])
            when = _plausible(parse_time(rec[4]), "run_start_time")
            total = int(rec[5]) if len(rec) == 6 and rec[5].strip() else 0
            if out < 0:
                raise RowError("ledger.reject.out_negative")
            if max(out, total) > MAX_CUSTOMERS:  # would not fit the stored integers (found by fuzz/)
                raise RowError("ledger.reject.out_implausible", count=max(out, total))
            if total and out > total:
                raise RowError("ledger.reject.out_above_total", out=out, total=total)
            if when in kept:
                raise RowError("ledger.reject.duplicate_key", key=f"({fips}, {rec[4].strip()})", first=kept[when][2])
        except ValueError as exc:
            res.rejected.append((line, why(exc)))
            continue
        kept[when] = (out, total, line)
    times = sorted(kept)
    vals = [kept[t][0] for t in times]
    i = 1
    while i < len(times) - 1:
        before = vals[i - 1]
        k = i
        while k < len(times) and before > 10_000 and vals[k] < dropout_ratio * before and k - i < 8:
            k += 1
        if k > i and k < len(times) and vals[k] > 10_000 and all(v < dropout_ratio * vals[k] for v in vals[i:k]):
            for m in range(i, k):
                res.rejected.append((kept[times[m]][2], Reason("ledger.reject.dropout", value=vals[m], before=before,
                                                                    after=vals[k])))
            i = k
        i += 1
    dropped = {ln for ln, _ in res.rejected}
    good = [t for t in times if kept[t][2] not in dropped]
    if not good:
        return res
    code = _check_area(area) if area else f"FIPS-{fips0}"
    totals = [kept[t][1] for t in good if kept[t][1]]
    total = sorted(totals)[len(totals) // 2] if totals else 0
    steps = (good[-1] - good[0]) // step_seconds + 1
    if steps > MAX_SERIES_STEPS:  # a mistyped year would fill centuries of steps (found by fuzz/)
        raise ValueError(f"the series spans {steps} steps of {step_seconds} s, over the limit of {MAX_SERIES_STEPS}:"
                         " is a year mistyped?")
    series_t, series_o, series_n, series_f = [], [], [], []
    by_time = {t: kept[t] for t in good}
    last = by_time[good[0]][0]
    for t in range(good[0], good[-1] + 1, step_seconds):
        if t in by_time:
            last = by_time[t][0]
            series_f.append(False)
        else:
            series_f.append(True)
        series_t.append(t)
        series_o.append(last)
        series_n.append(total)
    res.series = {"area": code, "step_seconds": step_seconds, "times": series_t, "customers_out": series_o,
                  "total_customers": series_n, "filled": series_f}
    res.rejected.sort()
    return res


# ---------------------------------------------------------------------------- UpNepa
PARTS = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24)}


def parse_upnepa(data: str | bytes, parts: dict[str, tuple[int, int]] | None = None) -> ParseResult:
    """UpNepa neighbourhood survey JSON. Each OFF part of the day is an interval (morning 06-12,
    afternoon 12-18, evening 18-24 by default). Names are normalised to area codes (``" Asadam"``
    -> ``ASADAM``); two keys for one area (``" Asadam"`` and ``"Asadam"``) are two reporting
    households there, with pseudonyms derived from the raw key. Stray whitespace in keys and values
    is repaired and reported; unknown statuses, missing parts and duplicate keys are rejected."""
    parts = parts or PARTS
    text = _read_text(data)
    res = ParseResult()
    lines = text.splitlines()
    # line numbers: where each (day, name) object opens
    where: dict[tuple[str, str], int] = {}
    day = None
    for i, ln in enumerate(lines, start=1):
        m = re.match(r'^(\s*)"((?:[^"\\]|\\.)*)"\s*:\s*\{', ln)
        if m:
            if len(m.group(1)) <= 4:
                day = m.group(2)
            elif day is not None:
                where.setdefault((day, m.group(2)), i)
    dups: list[str] = []

    def hook(pairs: list[tuple[str, object]]) -> dict:
        out: dict = {}
        for k, v in pairs:
            if k in out:
                dups.append(k)
                continue
            out[k] = v
        return out

    try:
        doc = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        res.rejected.append((exc.lineno, Reason("ledger.reject.json", detail=exc.msg)))
        return res
    if not isinstance(doc, dict):
        res.rejected.append((1, Reason("ledger.reject.not_by_day")))
        return res
    for k in dups:
        res.rejected.append((0, Reason("ledger.reject.duplicate_name", key=repr(k))))
    for day_key, hoods in doc.items():
        try:
            day_no = parse_day(day_key)
        except InvalidInput:
            res.rejected.append((where.get((day_key, ""), 0), Reason("ledger.reject.bad_day", day=repr(day_key))))
            continue
        if not isinstance(hoods, dict):
            res.rejected.append((0, Reason("ledger.reject.no_neighbourhoods", day=day_key)))
            continue
        for name, status in hoods.items():
            line = where.get((day_key, name), 0)
            code = area_code(name)
            if not code:
                res.rejected.append((line, Reason("ledger.reject.empty_name", name=repr(name))))
                continue
            if name != name.strip():
                res.fixed.append((line, Reason("ledger.fixed.second_reporter", name=repr(name), area=code)))
            if not isinstance(status, dict):
                res.rejected.append((line, Reason("ledger.reject.no_parts", name=name.strip())))
                continue
            hid = "up-" + hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
            res.households.setdefault(hid, code)
            missing = [p for p in parts if p not in status]
            if missing:
                res.rejected.append((line, Reason("ledger.reject.missing_parts", name=name.strip(), day=day_key,
                                                  parts=", ".join(repr(m) for m in missing))))
                continue
            bad = False
            offs: list[str] = []
            for part in parts:
                raw = status[part]
                value = raw.strip().upper() if isinstance(raw, str) else raw
                if value not in ("ON", "OFF"):
                    res.rejected.append((line, Reason("ledger.reject.not_on_off", name=name.strip(), day=day_key,
                                                          part=repr(part), value=repr(raw))))
                    bad = True
                    break
                if raw != value:
                    res.fixed.append((line, Reason("ledger.fixed.read_as", name=name.strip(), day=day_key, part=repr(part),
                                                   raw=repr(raw), value=value)))
                if value == "OFF":
                    offs.append(part)
            if bad:
                continue
            for part in offs:
                h0, h1 = parts[part]
                res.rows.append(Row(line, hid, code, day_no * DAY + h0 * 3600, day_no * DAY + h1 * 3600,
                                    "grid", f"upnepa {part}"))
    return res
