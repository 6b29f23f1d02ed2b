"""Reliability evidence from outage intervals: pure, vectorised computation (numpy), no vault.

Everything here works on arrays of *local seconds* (see :mod:`halqa.ledger.events`) and household
/ area codes (small integers), so the same code serves a 20-household circle and the 10-million-
interval benchmark. Conventions (IEEE Std 1366, "Guide for Electric Power Distribution
Reliability Indices"):

* One household is one customer. The customers served of an area (N_T) are its enrolled households.
* A household's intervals are first **merged** (union of overlapping or touching intervals), so
  duplicates and overlaps are never double-counted. Each merged interval is one customer
  interruption.
* An interruption lasting ``momentary_seconds`` (default 300 s = 5 min) **or less** is momentary
  (counts in MAIFI only); longer ones are sustained (SAIFI, SAIDI, CAIDI, CAIFI, ASAI, CEMIn).
* An interruption belongs to the day (and period) in which it **began**, with its whole duration
  (IEEE 1366 accrues multi-day interruptions to their first day) — except that durations are
  clipped at the end of the report period so that ASAI stays a share of that period's hours.
  Open intervals (power still off) end at ``as_of`` (the earlier of now and the period's end).
* Daily supply hours are clipped to each calendar day instead (24 h minus hours off that day).
* Major Event Days (2.5-beta method): over the daily SAIDI values of the reference days, take
  ``ln`` of the non-zero ones; ``alpha`` = their mean, ``beta`` = their **sample** standard deviation
  (``ddof=1``: the worked example of IEEE Std 1366-2012, 3.5.1, Table 2, gives beta = 1.90, which
  only the n - 1 convention reproduces; see tests/ledger/test_published_examples.py); ``T_MED =
  exp(alpha + 2.5 beta)``; a day whose SAIDI exceeds ``T_MED`` is a major event day. Fewer than two
  non-zero days give no threshold.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from halqa.ledger import arrays
from halqa.ledger.arrays import compress, pieces, sorted_with_order, take
from halqa.ledger.detection import detect_events, med_threshold
from halqa.ledger.events import DAY
from halqa.ledger.params import Params

__all__ = [
    "AreaIndices",
    "Params",
    "Result",
    "compute",
    "merge_intervals",
    "series_indices",
]


@dataclass
class AreaIndices:
    """IEEE 1366 indices of one area over one period."""

    households: int
    saifi: float
    saidi_minutes: float
    caidi_minutes: float | None
    caifi: float | None
    asai: float
    maifi: float | None
    cemi: float | None
    supply_hours_per_day: float
    major_event_days: list[int]
    t_med_minutes: float | None
    interruptions: int
    momentary: int
    households_interrupted: int
    open_intervals: int


@dataclass
class Result:
    """What :func:`compute` returns. Day arrays are indexed ``[area, day - first_day]``.

    ``household_off_hours`` (hours off per ``[household, day]``) is made on first use when :func:`compute` did not
    need it (households numbered by area, no tallies): from the arrays given to :func:`compute`, which must then
    not change in between. Its one reader is :func:`halqa.ledger.evidence.household_supply`; the table is
    households x days (72 MB for 100,000 households over 90 days), and writing it was a third of the pass."""

    first_day: int
    days: int
    areas: list[AreaIndices]
    daily_saidi: np.ndarray  # minutes, by start day
    daily_supply: np.ndarray  # hours per household (non-reporting households count as supplied)
    daily_supply_reporting: np.ndarray  # hours per reporting household (nan when nobody reported)
    daily_reporting: np.ndarray  # households that reported that day
    off_hours: np.ndarray | None  # [household, day], or None until household_off_hours is first read
    events: list[dict] = field(default_factory=list)
    make_off_hours: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def household_off_hours(self) -> np.ndarray:
        """Hours off per ``[household, day]`` (made now if :func:`compute` left it for later)."""
        if self.off_hours is None:
            if self.make_off_hours is None:
                raise ValueError("no household-day table and nothing to make it from")
            self.off_hours = self.make_off_hours()
            self.make_off_hours = None  # drop the references to the input arrays
        return self.off_hours


def merge_intervals(hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                    extra: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Union of each household's intervals: returns ``(hh, start, end[, extra])`` sorted by
    household then start, where overlapping or touching intervals became one. ``extra`` (e.g. an
    "open" flag) is combined with logical OR over each merged group.

    One sort of a packed (household, start) key; the running maximum of the packed end
    (``household * span + end``) then marks where a new merged interval begins, across
    households at once (a household's block of keys lies above every end of the previous one)."""
    hh = np.asarray(hh, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = len(hh)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (empty, empty, empty) + ((np.zeros(0, dtype=bool),) if extra is not None else ())
    t0, h0 = int(start.min()), int(hh.min())
    span = max(int(end.max()), int(start.max())) - t0 + 1  # ends are clamped to their starts
    key_max = (int(hh.max()) - h0 + 1) * span - 1
    if key_max >= 1 << 62:
        raise ValueError("household numbers times the time span do not fit in 62 bits")
    key = hh - h0
    key *= span
    key += start
    key -= t0  # household * span + start offset
    sk, order = sorted_with_order(key, key_max)
    del key
    dur = end - start
    np.maximum(dur, 0, out=dur)
    ek = take(dur, order)  # one gather (of the duration) instead of two (of the start and the end)
    ek += sk  # household * span + end offset (end >= start, so inside the household's block)
    np.maximum.accumulate(ek, out=ek)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.greater(sk[1:], ek[:-1], out=new[1:])
    x = np.asarray(extra, dtype=bool) if extra is not None else None
    xo = x[order] if x is not None and x.any() else None
    del order
    # the merged arrays reuse the memory of the temporaries (a fresh array of this size costs page faults)
    ks = compress(new, sk, out=dur)
    new[:-1] = new[1:]  # now: the last row of a merged group
    new[-1] = True
    ke = compress(new, ek, out=ek)  # a group's running maximum at its last row is its end
    del ek
    ke -= ks  # merged duration
    mh = np.floor_divide(ks, span, out=sk[:len(ks)])
    del sk
    ks %= span
    ks += t0
    ke += ks
    mh += h0
    out: tuple[np.ndarray, ...] = (mh, ks, ke)
    if xo is not None:
        new[1:] = new[:-1]  # back to the first row of a merged group
        new[0] = True
        out += (np.logical_or.reduceat(xo, np.flatnonzero(new)),)
    elif x is not None:
        out += (np.zeros(len(ks), dtype=bool),)
    return out


@dataclass
class _Sums:
    """What one pass over the merged intervals accumulates (see :func:`compute`)."""

    day_min: np.ndarray  # minutes of sustained interruptions by area and start day (flat, area * days + day)
    ref_min: np.ndarray  # the same over the reference window of T_MED (day_min itself when that is the period)
    ci: np.ndarray  # sustained interruptions per area
    mi: np.ndarray  # momentary interruptions per area
    cmi: np.ndarray  # customer minutes per area, clipped at the end of the period
    open_count: np.ndarray  # open intervals per area
    per_hh: np.ndarray  # sustained interruptions per household
    off_s: np.ndarray  # seconds off per household and day (flat, household * days + day), clipped to each day

    @classmethod
    def zeros(cls, n_areas: int, n_hh: int, days: int, ref_days: int, same_ref: bool, table: bool = True) -> _Sums:
        """Zeroed sums; ``table``: with the household-day table (else ``off_s`` is empty)."""
        day_min = np.zeros(n_areas * days)
        return cls(day_min, day_min if same_ref else np.zeros(n_areas * ref_days), np.zeros(n_areas, dtype=np.int64),
                   np.zeros(n_areas, dtype=np.int64), np.zeros(n_areas), np.zeros(n_areas, dtype=np.int64),
                   np.zeros(n_hh, dtype=np.int64), np.zeros(n_hh * days if table else 0))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays themselves, in field order (``dataclasses.astuple`` would copy them)."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))


_FUSED: list[ModuleType | None] = []  # [halqa.ledger.fused, or None without numba], filled on first use


def _fused() -> ModuleType | None:
    """The compiled kernels (:mod:`halqa.ledger.fused`), imported on first use so that importing the ledger
    stays quick; None when numba is not installed (then the numpy passes give the same numbers)."""
    if not _FUSED:
        try:
            from halqa.ledger import fused
        except ImportError:
            _FUSED.append(None)
        else:
            _FUSED.append(fused)
    return _FUSED[0]


def _sums_fused(kernels: ModuleType, hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                is_open: np.ndarray, hh_area: np.ndarray, first_day: int, last_day: int, r0: int, r1: int,
                params: Params, sums: _Sums, keep_merged: bool,
                areas: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
    """The merge and every sum in one compiled pass (:func:`halqa.ledger.fused.merge_and_sum`). Intervals read
    from the vault come in (household, start) order (``halqa.ledger.read.load_intervals``): the pass checks
    that as it goes and needs no sort; otherwise it starts again on sorted copies (:func:`_sorted_intervals`).
    With ``areas`` = ``(area_lo, area_off, area_rep, block)`` (households numbered by area) the pass also makes the
    area sums of the hours off, without the household-day table (:func:`halqa.ledger.fused.merge_and_sum_areas`).
    Returns the merged ``(hh, start, end, open)`` when ``keep_merged`` (for the events), else empty arrays."""
    hh = np.asarray(hh, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    is_open = np.asarray(is_open, dtype=bool)
    size = len(hh) if keep_merged else 0
    out = (np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64),
           np.empty(size, dtype=bool))

    def run() -> int:
        if areas is not None:
            return int(kernels.merge_and_sum_areas(hh, start, end, is_open, hh_area, areas[0], first_day, last_day,
                                                   int(params.momentary_seconds), r0, r1, sums.ref_min is sums.day_min,
                                                   sums.day_min, sums.ref_min, sums.ci, sums.mi, sums.cmi,
                                                   sums.open_count, sums.per_hh, *areas[1:], *out))
        return int(kernels.merge_and_sum(hh, start, end, is_open, hh_area, first_day, last_day,
                                         int(params.momentary_seconds), r0, r1, sums.ref_min is sums.day_min,
                                         sums.day_min, sums.ref_min, sums.ci, sums.mi, sums.cmi, sums.open_count,
                                         sums.per_hh, sums.off_s, *out))

    m = run()
    if m == kernels.UNSORTED:
        for a in (*sums.arrays(), *(areas[1:3] if areas is not None else ())):
            a[...] = 0
        hh, start, end, is_open = _sorted_intervals(hh, start, end, is_open)
        m = run()
    if m == kernels.BAD_HOUSEHOLD:
        raise IndexError("household numbers must index hh_area")
    return tuple(a[:m] for a in out)


def _sorted_intervals(hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                      is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The intervals in (household, start) order: one sort of packed keys (see :func:`sorted_with_order`), which
    give back the household and the start, and one gather each of the end and (when any) the open flags, so the
    compiled pass then reads memory in order (following the order row by row would miss the cache on every row)."""
    t0, h0 = int(start.min()), int(hh.min())
    span = int(start.max()) - t0 + 1
    key_max = (int(hh.max()) - h0 + 1) * span - 1
    if key_max >= 1 << 62:
        order = np.lexsort((start, hh))
        return hh[order], start[order], end[order], is_open[order]
    key = hh - h0
    key *= span
    key += start
    key -= t0
    sk, order = sorted_with_order(key, key_max)
    del key
    end = take(end, order)
    is_open = is_open[order] if is_open.any() else np.zeros(len(order), dtype=bool)
    del order
    hs = np.floor_divide(sk, span)
    np.remainder(sk, span, out=sk)
    sk += t0
    hs += h0
    return hs, sk, end, is_open


def _sums_numpy(hh: np.ndarray, start: np.ndarray, end: np.ndarray, is_open: np.ndarray, hh_area: np.ndarray,
                first_day: int, last_day: int, r0: int, r1: int, params: Params, sums: _Sums) -> tuple[np.ndarray, ...]:
    """:func:`_sums_fused` without numba: the merge, then element-wise passes over the merged rows in pieces
    of ``CHUNK``, accumulating with ``np.add.at`` (it adds in row order, as the compiled pass does, so the
    float sums are the same; no full-length temporary is made: at this size every fresh array costs page
    faults). Returns the merged ``(hh, start, end, open)``."""
    mh, ms, me, mo = merge_intervals(hh, start, end, is_open)
    n_hh = len(hh_area)
    m = len(mh)
    if m and (mh[0] < 0 or mh[-1] >= n_hh):  # sorted by household
        raise IndexError("household numbers must index hh_area")
    days = last_day - first_day + 1
    ref_days = r1 - r0 + 1
    same_ref = sums.ref_min is sums.day_min
    p0, p1 = first_day * DAY, (last_day + 1) * DAY
    day_min, ref_min, ci, mi, cmi, open_count, per_hh, off_s = sums.arrays()
    any_open = bool(mo.any())
    # supply hours: seconds off per household and day, clipped to each day (sums of whole seconds are exact
    # in float64, so the order of summation does not matter); most intervals lie within one day, the rest
    # are cut into one piece per day touched below
    multi: list[np.ndarray] = []
    for lo, hi in pieces(m):
        s_, e_, h_ = ms[lo:hi], me[lo:hi], mh[lo:hi]
        a_ = hh_area[h_]
        d = e_ - s_
        minutes = d / 60.0
        sday = s_ // DAY
        inp = (s_ >= p0) & (s_ < p1)
        long_ = d > params.momentary_seconds
        if not same_ref:
            ref = long_ & (sday >= r0) & (sday <= r1)
            np.add.at(ref_min, a_[ref] * ref_days + (sday[ref] - r0), minutes[ref])
        sus = inp & long_
        a_sus = a_[sus]
        np.add.at(day_min, a_sus * days + (sday[sus] - first_day), minutes[sus])
        np.add.at(ci, a_sus, 1)
        np.add.at(cmi, a_sus, (np.minimum(e_[sus], p1) - s_[sus]) / 60.0)  # clipped at the end of the period
        np.add.at(mi, a_[inp & ~long_], 1)
        np.add.at(per_hh, h_[sus], 1)
        if any_open:
            np.add.at(open_count, a_[inp & mo[lo:hi]], 1)
        d0 = np.maximum(sday, first_day)  # first day of the clipped interval
        d1 = e_ - 1
        d1 //= DAY
        np.minimum(d1, last_day, out=d1)  # its last day
        touch = (e_ > p0) & (s_ < p1) & (e_ > s_)
        one = d0 == d1
        multi.append(np.flatnonzero(touch & ~one) + lo)
        one &= touch
        cell = h_[one] * days
        if len(cell):  # the rows are sorted by household, so a piece's cells form a short range: a small bincount
            cell += d0[one]
            c0 = int(cell[0]) - first_day
            cell -= first_day + c0
            secs = np.minimum(e_[one], p1)
            secs -= np.maximum(s_[one], p0)
            part = np.bincount(cell, weights=secs)
            off_s[c0:c0 + len(part)] += part
    many = np.concatenate(multi) if multi else np.zeros(0, dtype=np.int64)
    del multi
    if len(many):
        cs, ce, th = np.maximum(ms[many], p0), np.minimum(me[many], p1), mh[many]
        a0, a1 = cs // DAY, (ce - 1) // DAY
        reps = a1 - a0 + 1
        idx = np.repeat(np.arange(len(cs)), reps)
        dd = a0[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(reps) - reps, reps))
        seg = np.minimum(ce[idx], (dd + 1) * DAY) - np.maximum(cs[idx], dd * DAY)
        np.add.at(off_s, th[idx] * days + (dd - first_day), seg.astype(np.float64))
    return mh, ms, me, mo


def _area_days_numpy(off_s: np.ndarray, hh_area: np.ndarray, days: int, tallied: np.ndarray | None,
                     area_off: np.ndarray, area_rep: np.ndarray) -> np.ndarray:
    """:func:`halqa.ledger.fused.area_days` without numba; returns the hours off as ``[household, day]``."""
    n_hh = len(hh_area)
    reported = off_s > 0  # every piece of a touching interval is longer than zero
    if tallied is not None:
        reported |= tallied
    off_s /= 3600.0
    off_h = off_s.reshape(n_hh, days)
    rep = reported.reshape(n_hh, days)
    if n_hh:
        order = np.argsort(hh_area, kind="stable")
        r = hh_area[order]
        first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        # in pieces of whole areas (about CHUNK values each) instead of one gather of the whole table
        i, step = 0, max(arrays.CHUNK // max(days, 1), 1)
        while i < len(first):
            j = max(int(np.searchsorted(first, first[i] + step)), i + 1)
            lo, hi = first[i], (first[j] if j < len(first) else n_hh)
            rows, at = order[lo:hi], first[i:j] - lo
            area_off[r[first[i:j]]] += np.add.reduceat(off_h[rows], at, axis=0)
            area_rep[r[first[i:j]]] += np.add.reduceat(rep[rows], at, axis=0, dtype=np.int64)
            i = j
    return off_h


def _household_days(kernels: ModuleType | None, off_s: np.ndarray, hh_area: np.ndarray, first_day: int, last_day: int,
                    tallies: tuple[np.ndarray, np.ndarray, np.ndarray] | None, area_off: np.ndarray,
                    area_rep: np.ndarray) -> np.ndarray:
    """The household-day table (seconds off, ``off_s``, filled where only a tally reported) to hours, and its area
    sums into ``area_off`` and ``area_rep``; returns the hours off as ``[household, day]``."""
    n_hh = len(hh_area)
    days = last_day - first_day + 1
    tallied = None
    if tallies is not None and len(tallies[0]):
        t_hh, t_day, t_hours = (np.asarray(x) for x in tallies)
        ok = (t_day >= first_day) & (t_day <= last_day)
        tcell = t_hh[ok] * days + (t_day[ok] - first_day)
        fill = off_s[tcell] <= 0  # a household-day reported in intervals keeps them
        off_s[tcell[fill]] = np.clip(t_hours[ok][fill], 0, 24) * 3600.0
        tallied = np.zeros(len(off_s), dtype=bool)
        tallied[tcell] = True
    if kernels is None:
        return _area_days_numpy(off_s, hh_area, days, tallied, area_off, area_rep)
    members = np.argsort(hh_area, kind="stable")
    r = hh_area[members]
    first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if n_hh else np.zeros(0, dtype=np.int64)
    kernels.area_days(off_s, hh_area, members, first, days,
                      tallied if tallied is not None else np.zeros(0, dtype=bool), area_off, area_rep)
    return off_s.reshape(n_hh, days)


def _off_hours(hh: np.ndarray, start: np.ndarray, end: np.ndarray, is_open: np.ndarray, hh_area: np.ndarray,
               n_areas: int, first_day: int, last_day: int, params: Params) -> np.ndarray:
    """The household-day table of hours off that :func:`compute` left for later (no tallies): the pass again,
    with the table."""
    kernels = _fused()
    days = last_day - first_day + 1
    sums = _Sums.zeros(n_areas, len(hh_area), days, days, True)
    if kernels is not None:
        _sums_fused(kernels, hh, start, end, is_open, hh_area, first_day, last_day, first_day, last_day, params, sums,
                    False)
    else:
        _sums_numpy(hh, start, end, is_open, hh_area, first_day, last_day, first_day, last_day, params, sums)
    return _household_days(kernels, sums.off_s, hh_area, first_day, last_day, None, np.zeros((n_areas, days)),
                           np.zeros((n_areas, days), dtype=np.int64))


def compute(hh: np.ndarray, start: np.ndarray, end: np.ndarray, is_open: np.ndarray,
            hh_area: np.ndarray, n_customers: np.ndarray, first_day: int, last_day: int,
            params: Params = Params(), tallies: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
            med_days: tuple[int, int] | None = None, events: bool = True) -> Result:
    """Indices, major event days, daily supply hours and area events for every area.

    ``hh`` are household indices into ``hh_area`` (the area index of each household);
    ``n_customers[a]`` is N_T of area ``a``; open intervals must already end at ``as_of`` and be
    flagged in ``is_open``. ``tallies`` are optional ``(household, day, hours_off)`` arrays of
    daily tallies (used for supply hours where no interval touches that household-day).
    ``med_days`` is the reference period for T_MED (default: the report period).

    Speed and memory (docs/performance.md, "The ledger near the hardware"): the merge and every per-area sum
    and the household-day table are one compiled pass over the intervals (:mod:`halqa.ledger.fused`, numba),
    which needs no sort when the intervals come in (household, start) order, as the vault's read gives them
    (it checks; otherwise one packed-key sort, see :func:`sorted_with_order`); then one pass over the
    household-day table for the area sums. When households are numbered by area (``hh_area`` non-decreasing, as
    the read numbers them) and there are no tallies, the pass sums each area's hours as its rows go by, and the
    household-day table is made only if ``Result.household_off_hours`` is read.
    Without numba the same numbers come from numpy passes over the
    merged rows in pieces of ``CHUNK`` (:func:`_sums_numpy`, :func:`_area_days_numpy`): every float sum is
    added in the same order either way (``np.add.at`` in row order; ``np.add.reduceat``'s pairwise order over
    an area's households), which tests/ledger/test_fused.py checks bit for bit. Event detection stays in numpy
    (one packed-key sort, see :func:`detect_events`). Measured against DuckDB over Arrow (the design's
    columnar option): the interval merge alone, as window functions, took 2.7 s and 1.3 GB there.
    """
    n_areas = len(n_customers)
    hh_area = np.asarray(hh_area, dtype=np.int64)
    n_hh = len(hh_area)
    if n_hh and (int(hh_area.min()) < 0 or int(hh_area.max()) >= n_areas):  # compiled code checks no bounds
        raise IndexError("area numbers must index n_customers")
    days = last_day - first_day + 1
    p0, p1 = first_day * DAY, (last_day + 1) * DAY
    n_t = np.asarray(n_customers, dtype=np.float64)
    safe_nt = np.where(n_t > 0, n_t, 1.0)
    r0, r1 = med_days or (first_day, last_day)
    ref_days = r1 - r0 + 1
    same_ref = (r0, r1) == (first_day, last_day)
    kernels = _fused()
    # households numbered by area (as the vault's read numbers them) and no tallies: one pass makes the area sums of
    # the hours off too, and the household-day table waits until someone reads it (Result.household_off_hours)
    by_area = (kernels is not None and n_hh > 0 and (tallies is None or not len(tallies[0]))
               and bool((hh_area[1:] >= hh_area[:-1]).all()))
    sums = _Sums.zeros(n_areas, n_hh, days, ref_days, same_ref, table=not by_area)
    area_off = np.zeros((n_areas, days))
    area_rep = np.zeros((n_areas, days), dtype=np.int64)
    off_h: np.ndarray | None = None
    make_off_hours = None
    if by_area and kernels is not None:
        area_lo = np.searchsorted(hh_area, np.arange(n_areas + 1))
        block = np.empty(int(np.diff(area_lo).max()) * days)  # scratch: the rows of the largest area
        merged = _sums_fused(kernels, hh, start, end, is_open, hh_area, first_day, last_day, r0, r1, params, sums,
                             events, (area_lo, area_off, area_rep, block))
        make_off_hours = functools.partial(_off_hours, hh, start, end, is_open, hh_area, n_areas, first_day, last_day,
                                           params)
    elif kernels is not None:
        merged = _sums_fused(kernels, hh, start, end, is_open, hh_area, first_day, last_day, r0, r1, params, sums, events)
    else:
        merged = _sums_numpy(hh, start, end, is_open, hh_area, first_day, last_day, r0, r1, params, sums)
    day_min, ci, mi, cmi, open_count, per_hh = sums.day_min, sums.ci, sums.mi, sums.cmi, sums.open_count, sums.per_hh
    daily_saidi = day_min.reshape(n_areas, days) / safe_nt[:, None]
    ref_saidi = daily_saidi if same_ref else sums.ref_min.reshape(n_areas, ref_days) / safe_nt[:, None]
    off = first_day - r0  # position of the report period inside the reference window
    in_ref = 0 <= off and off + days <= ref_days
    hit = per_hh > 0
    cn = np.bincount(hh_area[hit], minlength=n_areas) if n_hh else np.zeros(n_areas, int)
    cemi_count = np.bincount(hh_area[per_hh > params.cemi_n], minlength=n_areas) if n_hh else cn * 0
    del per_hh, hit
    if not by_area:
        off_h = _household_days(kernels, sums.off_s, hh_area, first_day, last_day, tallies, area_off, area_rep)
    # hours off are zero wherever nobody reported, so area_off is also the sum over reporting households
    daily_supply = 24.0 - area_off / safe_nt[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        daily_supply_rep = np.where(area_rep > 0, 24.0 - area_off / np.maximum(area_rep, 1), np.nan)

    period_minutes = days * 1440.0
    out: list[AreaIndices] = []
    # Python numbers, not numpy scalars, in the loop over areas (each numpy scalar operation costs ~100 ns): the same
    # IEEE operations on the same values, so the same results; the means of the rows are numpy's, as row by row
    supply_mean = daily_supply.mean(axis=1).tolist() if days else [24.0] * n_areas
    for a, (nt, ci_a, mi_a, cmi_a, cn_a, cemi_a, open_a, supply_a) in enumerate(zip(
            n_t.tolist(), ci.tolist(), mi.tolist(), cmi.tolist(), cn.tolist(), cemi_count.tolist(), open_count.tolist(),
            supply_mean, strict=True)):
        saifi = ci_a / nt if nt else 0.0
        saidi = cmi_a / nt if nt else 0.0
        series = ref_saidi[a]
        tmed = med_threshold(series, params.med_beta, params.med_ddof)
        meds = []
        if tmed is not None:
            window = series[off:off + days] if in_ref else daily_saidi[a]
            meds = [first_day + d for d in np.flatnonzero(window > tmed).tolist()]
        out.append(AreaIndices(
            households=int(nt), saifi=saifi, saidi_minutes=saidi,
            caidi_minutes=(saidi / saifi) if saifi else None,
            caifi=(ci_a / cn_a) if cn_a else None,
            asai=(1.0 - cmi_a / (nt * period_minutes)) if nt else 1.0,
            maifi=mi_a / nt if nt else 0.0, cemi=cemi_a / nt if nt else 0.0,
            supply_hours_per_day=supply_a, major_event_days=meds, t_med_minutes=tmed, interruptions=ci_a,
            momentary=mi_a, households_interrupted=cn_a, open_intervals=open_a))
    ev = []
    if events:
        mh, ms, me, mo = merged
        ev = detect_events((hh_area, mh), mh, ms, me, mo, (p0, p1), params)
    return Result(first_day, days, out, daily_saidi, daily_supply, daily_supply_rep, area_rep, off_h, ev,
                  make_off_hours)


def series_indices(times: np.ndarray, out: np.ndarray, total: np.ndarray, filled: np.ndarray,
                   step: int, first_day: int, last_day: int, params: Params = Params()) -> tuple[dict, list[dict], np.ndarray]:
    """Indices from an area-level customers-out series (EAGLE-I style, one value per ``step``).

    Each step counts ``customers_out * step`` customer-minutes; customers interrupted are the sum
    of rises in customers-out (a lower bound: a customer restored and another cut in the same
    step cancel). N_T is the median of the series' total customers. MAIFI, CAIFI and CEMIn cannot
    be known at this resolution (None). Events are runs of steps with at least
    ``max(event_min_households, 1% of N_T)`` customers out; their confidence is the share of real
    (not carried-forward) steps in the run. Returns ``(indices, events, daily_saidi)``.
    """
    p0, p1 = first_day * DAY, (last_day + 1) * DAY
    days = last_day - first_day + 1
    nt = float(np.median(total)) if len(total) else 0.0
    sel = (times >= p0) & (times < p1)
    t, o, f = times[sel], out[sel].astype(np.float64), filled[sel]
    prev = np.r_[0.0, o[:-1]]
    if sel.any() and np.flatnonzero(sel)[0] > 0:
        prev[0] = float(out[np.flatnonzero(sel)[0] - 1])
    rises = np.maximum(o - prev, 0.0)
    cmi = float((o * step / 60.0).sum())
    ci = float(rises.sum())
    minutes = np.bincount((t // DAY - first_day).astype(np.int64), weights=o * step / 60.0, minlength=days)[:days]
    daily = minutes / nt if nt else minutes
    saifi = ci / nt if nt else 0.0
    saidi = cmi / nt if nt else 0.0
    tmed = med_threshold(daily, params.med_beta, params.med_ddof)
    meds = [first_day + int(d) for d in np.flatnonzero(daily > tmed)] if tmed is not None else []
    asai = 1.0 - cmi / (nt * days * 1440.0) if nt else 1.0
    idx = {"households": int(nt), "saifi": saifi, "saidi_minutes": saidi,
           "caidi_minutes": saidi / saifi if saifi else None, "caifi": None, "asai": asai, "maifi": None,
           "cemi": None, "supply_hours_per_day": 24.0 * asai, "major_event_days": meds, "t_med_minutes": tmed,
           "interruptions": int(ci), "momentary": None, "households_interrupted": None, "open_intervals": 0}
    threshold = max(params.event_min_households, 0.01 * nt)
    above = o >= threshold
    events = []
    if above.any():
        edges = np.diff(np.r_[0, above.astype(np.int8), 0])
        for lo, hi in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            end = int(t[hi]) if hi < len(t) else None
            events.append({"start": int(t[lo]), "end": end, "households": int(o[lo:hi].max()),
                           "confidence": round(1.0 - float(f[lo:hi].mean()), 4)})
    return idx, events, daily
