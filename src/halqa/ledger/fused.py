"""The evidence computation's hot loops, compiled with numba: one pass over the intervals that merges
each household's intervals and accumulates every per-area sum and the household-day table at once.

Imported lazily by :mod:`halqa.ledger.analysis` (numba's import and the first call's compile are
paid once per process; ``cache=True`` keeps the machine code beside this file, in ``__pycache__``,
or in numba's per-user cache when that is not writable), which falls back to its numpy passes
when numba is missing. Both give the same numbers bit for bit: every float sum is added in the
order of the merged rows, as ``np.add.at`` adds them (tests/ledger/test_fused.py).

No bounds are checked inside compiled code, so the callers check every index before (household
numbers in the kernel itself, area codes in :func:`halqa.ledger.analysis.compute`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from halqa.ledger.events import DAY

__all__ = ["BAD_HOUSEHOLD", "UNSORTED", "area_days", "merge_and_sum", "merge_and_sum_areas"]

_u = np.uint64  # an unsigned index spares numba's check for negative (from the end) indices: all are checked >= 0

UNSORTED = -1  # merge_and_sum found a row before its predecessor in (household, start) order
BAD_HOUSEHOLD = -2  # a household number outside 0 .. n_hh - 1


@njit(cache=True, nogil=True)
def merge_and_sum(hh: np.ndarray, start: np.ndarray, end: np.ndarray, is_open: np.ndarray, hh_area: np.ndarray,
                  first_day: int, last_day: int, momentary: int, r0: int, r1: int, same_ref: bool,
                  day_min: np.ndarray, ref_min: np.ndarray, ci: np.ndarray, mi: np.ndarray,
                  cmi: np.ndarray, open_count: np.ndarray, per_hh: np.ndarray, off_s: np.ndarray,
                  out_h: np.ndarray, out_s: np.ndarray, out_e: np.ndarray, out_o: np.ndarray) -> int:
    """Merge the intervals (which must be in (household, start) order: checked as it goes) and add each
    merged interval into the sums, as the numpy passes of :func:`halqa.ledger.analysis.compute` do. Writes the merged intervals
    into ``out_*`` when those are not empty. Returns their number, or ``UNSORTED`` / ``BAD_HOUSEHOLD``
    (the sums are then partial: the caller starts again or raises)."""
    n = len(hh)
    n_hh = len(hh_area)
    days = last_day - first_day + 1
    ref_days = r1 - r0 + 1
    p0 = first_day * DAY
    p1 = (last_day + 1) * DAY
    write = len(out_h) > 0
    m = 0
    cur_h = 0
    cur_s = 0
    cur_e = 0
    cur_o = False
    prev_h = 0
    prev_s = 0
    for k in range(n + 1):  # k == n only flushes the last merged interval
        if k < n:
            h = hh[_u(k)]
            s = start[_u(k)]
            e = end[_u(k)]
            if e < s:  # an end before its start counts as the start
                e = s
            o = is_open[_u(k)]
            if k > 0:
                if h < prev_h or (h == prev_h and s < prev_s):
                    return UNSORTED
                if h == cur_h and s <= cur_e:  # overlaps or touches the current merged interval
                    if e > cur_e:
                        cur_e = e
                    cur_o = cur_o or o
                    prev_h = h
                    prev_s = s
                    continue
            prev_h = h
            prev_s = s
            if k == 0:
                cur_h, cur_s, cur_e, cur_o = h, s, e, o
                continue
        elif n == 0:
            break
        # the current merged interval is complete: add it in
        if cur_h < 0 or cur_h >= n_hh:
            return BAD_HOUSEHOLD
        a = hh_area[_u(cur_h)]
        d = cur_e - cur_s
        minutes = d / 60.0
        sday = cur_s // DAY
        long_ = d > momentary
        if not same_ref and long_ and r0 <= sday <= r1:
            ref_min[_u(a * ref_days + sday - r0)] += minutes
        if p0 <= cur_s < p1:
            if long_:
                day_min[_u(a * days + sday - first_day)] += minutes
                ci[_u(a)] += 1
                cmi[_u(a)] += (min(cur_e, p1) - cur_s) / 60.0  # clipped at the end of the period
                per_hh[_u(cur_h)] += 1
            else:
                mi[_u(a)] += 1
            if cur_o:
                open_count[_u(a)] += 1
        if cur_e > p0 and cur_s < p1 and cur_e > cur_s:  # seconds off per household and day, clipped to each day
            cs = max(cur_s, p0)
            ce = min(cur_e, p1)
            dd = cs // DAY
            base = cur_h * days - first_day
            while True:
                nxt = (dd + 1) * DAY
                if ce <= nxt:
                    off_s[_u(base + dd)] += ce - max(cs, dd * DAY)
                    break
                off_s[_u(base + dd)] += nxt - max(cs, dd * DAY)
                dd += 1
        if write:
            out_h[m] = cur_h
            out_s[m] = cur_s
            out_e[m] = cur_e
            out_o[m] = cur_o
        m += 1
        if k < n:
            cur_h, cur_s, cur_e, cur_o = h, s, e, o
    return m


@njit(cache=True, nogil=True)
def _pairwise_rows(off: np.ndarray, members: np.ndarray, lo: int | np.int64, n: int, days: int, out: np.ndarray,
                   acc: np.ndarray) -> None:
    """``out[d]`` = the sum over the rows ``members[lo:lo + n]`` of ``off`` (as ``[household, day]``) of column
    ``d``, in numpy's order (``pairwise_sum`` of its float loops: eight accumulators in blocks of at most 128,
    halves above), so that it equals ``np.add.reduceat``'s to the bit; every column at once, row by row.
    ``acc`` is scratch of ``8 * days``."""
    if n < 8:
        for d in range(days):
            out[d] = 0.0
        for i in range(n):
            row = members[lo + i] * days
            for d in range(days):
                out[d] += off[_u(row + d)]
        return
    if n <= 128:
        for j in range(8):
            row = members[lo + j] * days
            for d in range(days):
                acc[j * days + d] = off[_u(row + d)]
        i = 8
        while i < n - n % 8:
            for j in range(8):
                row = members[lo + i + j] * days
                for d in range(days):
                    acc[j * days + d] += off[_u(row + d)]
            i += 8
        for d in range(days):
            out[d] = (((acc[d] + acc[days + d]) + (acc[2 * days + d] + acc[3 * days + d]))
                      + ((acc[4 * days + d] + acc[5 * days + d]) + (acc[6 * days + d] + acc[7 * days + d])))
        while i < n:
            row = members[lo + i] * days
            for d in range(days):
                out[d] += off[_u(row + d)]
            i += 1
        return
    n2 = n // 2
    n2 -= n2 % 8
    right = np.empty(days)
    _pairwise_rows(off, members, lo, n2, days, out, acc)
    _pairwise_rows(off, members, lo + n2, n - n2, days, right, acc)
    for d in range(days):
        out[d] += right[d]


@njit(cache=True, nogil=True)
def area_days(off: np.ndarray, hh_area: np.ndarray, members: np.ndarray, first: np.ndarray, days: int,
              tallied: np.ndarray, area_off: np.ndarray, area_rep: np.ndarray) -> None:
    """Seconds off per household and day (``off``, flat) to hours in place; households that reported (hours
    off, or a tally where ``tallied`` is not empty) counted into ``area_rep[area, day]``; hours summed into
    ``area_off[area, day]`` as ``np.add.reduceat`` sums the rows of each area's households (``members``, in
    household order, area ``hh_area[members[first[i]]]`` from ``first[i]`` on): the first row plus the
    pairwise sum of the others."""
    with_tallies = len(tallied) > 0
    for h in range(len(hh_area)):
        a = hh_area[h]
        base = h * days
        for d in range(days):
            v = off[_u(base + d)]
            if v > 0 or (with_tallies and tallied[_u(base + d)]):
                area_rep[a, d] += 1
            off[_u(base + d)] = v / 3600.0
    rest = np.empty(days)
    acc = np.empty(8 * days)
    for g in range(len(first)):
        lo = first[g]
        hi = first[g + 1] if g + 1 < len(first) else len(members)
        a = hh_area[members[lo]]
        _pairwise_rows(off, members, lo + 1, hi - lo - 1, days, rest, acc)
        row = members[lo] * days
        for d in range(days):
            area_off[a, d] += off[_u(row + d)] + rest[d]


@njit(cache=True, nogil=True)
def _flush_block(secs: np.ndarray, block: np.ndarray, a: int | np.int64, n: int, days: int, area_off: np.ndarray,
                 area_rep: np.ndarray, rows: np.ndarray, rest: np.ndarray, acc: np.ndarray) -> None:
    """The seconds off of area ``a``'s ``n`` households (``secs``, as ``[household, day]``) counted into
    ``area_rep[a]``, to hours in ``block`` and summed into ``area_off[a]`` as :func:`area_days` sums them (first row
    plus the pairwise sum of the others); ``secs`` is zeroed for the next area."""
    rep = area_rep[a]
    for i in range(n):
        base = i * days
        for d in range(days):
            rep[_u(d)] += secs[_u(base + d)] > 0
    for i in range(n * days):
        block[_u(i)] = secs[_u(i)] / 3600.0
        secs[_u(i)] = 0
    if n > 0:
        # (np.int64: one signature, not one more for the literal 1, which numba's cache cannot load back)
        _pairwise_rows(block, rows, np.int64(1), n - 1, days, rest, acc)
        off = area_off[a]
        for d in range(days):
            off[_u(d)] += block[_u(d)] + rest[_u(d)]


@njit(cache=True, nogil=True, inline="always")
def _add_days(secs: np.ndarray, row: int, cs: int, ce: int) -> None:
    """The seconds from ``cs`` to ``ce`` (``cs < ce``) into ``secs[row + day]``, cut at each day's end."""
    dd = cs // DAY
    while True:
        nxt = (dd + 1) * DAY
        if ce <= nxt:
            secs[_u(row + dd)] += ce - max(cs, dd * DAY)
            return
        secs[_u(row + dd)] += nxt - max(cs, dd * DAY)
        dd += 1


@njit(cache=True, nogil=True)
def merge_and_sum_areas(hh: np.ndarray, start: np.ndarray, end: np.ndarray, is_open: np.ndarray, hh_area: np.ndarray,
                        area_lo: np.ndarray, first_day: int, last_day: int, momentary: int, r0: int, r1: int,
                        same_ref: bool, day_min: np.ndarray, ref_min: np.ndarray, ci: np.ndarray, mi: np.ndarray,
                        cmi: np.ndarray, open_count: np.ndarray, per_hh: np.ndarray, area_off: np.ndarray,
                        area_rep: np.ndarray, block: np.ndarray, out_h: np.ndarray, out_s: np.ndarray,
                        out_e: np.ndarray, out_o: np.ndarray) -> int:
    """:func:`merge_and_sum` then :func:`area_days` (without tallies) in one pass, for households numbered by area
    (``hh_area`` non-decreasing, which the caller checks: area ``a``'s households are ``area_lo[a]`` up to
    ``area_lo[a + 1]``), as ``halqa.ledger.read.load_intervals`` numbers them. Then an area's rows come together:
    its counts and customer minutes stay in registers while they go by (the same additions in the same order, so
    the same bits), a household's count is written once, and its seconds off per day go into a block of whole
    seconds (the rows of the area's households, about 200 KB) instead of a household-day table of the whole city
    (72 MB in the benchmark, written and read again), which is turned into hours in ``block`` (scratch of the same
    size) and summed into ``area_off`` and ``area_rep`` when the area's rows are done. Sums with no rounding to
    keep are made branch-free (adding 0 instead). Returns what :func:`merge_and_sum` returns."""
    n = len(hh)
    if n == 0:
        return 0
    if hh[0] < 0:  # (then, in order, every household is >= 0; each new one is checked against n_hh below)
        return BAD_HOUSEHOLD
    n_hh = len(hh_area)
    days = last_day - first_day + 1
    ref_days = r1 - r0 + 1
    p0 = first_day * DAY
    p1 = (last_day + 1) * DAY
    write = len(out_h) > 0
    rows = np.arange(max(len(block) // max(days, 1), 1))
    rest = np.empty(days)
    acc = np.empty(8 * days)
    # seconds off per household and day of the area's households: integers (whole seconds, exact either way)
    secs = np.zeros(len(block), dtype=np.int64)
    m = 0
    cur_h = hh[0]
    cur_s = start[0]
    cur_e = max(end[0], cur_s)  # an end before its start counts as the start
    cur_o = is_open[0]
    prev_s = cur_s  # the previous row's start (cur_s is the merged interval's)
    area = -1  # the area whose rows are going by, and its sums so far
    ci_a = 0
    mi_a = 0
    open_a = 0
    cmi_a = 0.0
    last_h = -1  # the household whose rows are going by, and its sustained interruptions so far
    count_h = 0
    row = 0  # where its seconds off on day 0 would be in ``block`` (minus first_day)
    drow = 0  # where the area's minutes on day 0 would be in ``day_min`` (minus first_day)
    for k in range(1, n + 1):  # k == n only adds the last merged interval
        if k < n:
            h = hh[_u(k)]
            s = start[_u(k)]
            e = max(end[_u(k)], s)
            o = is_open[_u(k)]
            same = h == cur_h  # (cur_h is the previous row's household)
            if h < cur_h or (same and s < prev_s):
                return UNSORTED
            prev_s = s
            if same and s <= cur_e:  # overlaps or touches the current merged interval
                cur_e = max(cur_e, e)
                cur_o = cur_o or o
                continue
        # the current merged interval is complete: add it in
        if cur_h != last_h:  # a new household (sorted: never one seen before)
            if cur_h >= n_hh:
                return BAD_HOUSEHOLD
            if last_h >= 0:
                per_hh[_u(last_h)] = count_h
            count_h = 0
            last_h = cur_h
            a = hh_area[_u(cur_h)]
            if a != area:  # a new area (its households are consecutive: never one seen before)
                if area >= 0:
                    ci[_u(area)] = ci_a
                    mi[_u(area)] = mi_a
                    cmi[_u(area)] = cmi_a
                    open_count[_u(area)] = open_a
                    _flush_block(secs, block, np.int64(area), area_lo[area + 1] - area_lo[area], days, area_off, area_rep,
                                 rows, rest, acc)
                area = a
                ci_a = ci[_u(a)]
                mi_a = mi[_u(a)]
                cmi_a = cmi[_u(a)]
                open_a = open_count[_u(a)]
                drow = a * days - first_day
            row = (cur_h - area_lo[_u(area)]) * days - first_day
        d = cur_e - cur_s
        minutes = d / 60.0
        # (floor division by a constant: unsigned is a multiply and a shift)
        sday = np.int64(np.uint64(cur_s) // np.uint64(DAY)) if cur_s >= 0 else cur_s // DAY
        long_ = d > momentary
        if not same_ref and long_ and r0 <= sday <= r1:
            ref_min[_u(area * ref_days + sday - r0)] += minutes
        if p0 <= cur_s < p1:
            # adding 0 leaves a sum of non-negative numbers as it was, to the bit: no branch on momentary
            day_min[_u(drow + sday)] += minutes if long_ else 0.0
            ci_a += long_
            if cur_e > p1:  # clipped at the end of the period
                minutes = (p1 - cur_s) / 60.0
            cmi_a += minutes if long_ else 0.0
            count_h += long_
            mi_a += not long_
            open_a += cur_o
            if cur_e <= (sday + 1) * DAY:  # within its first day (so within the period): one piece (0 when d is)
                secs[_u(row + sday)] += d
            else:
                _add_days(secs, row, cur_s, min(cur_e, p1))
        elif cur_e > p0 and cur_s < p1 and cur_e > cur_s:  # seconds off per household and day, clipped to each day
            _add_days(secs, row, max(cur_s, p0), min(cur_e, p1))
        if write:
            out_h[m] = cur_h
            out_s[m] = cur_s
            out_e[m] = cur_e
            out_o[m] = cur_o
        m += 1
        if k < n:
            cur_h, cur_s, cur_e, cur_o = h, s, e, o
    if last_h >= 0:
        per_hh[_u(last_h)] = count_h
    if area >= 0:
        ci[_u(area)] = ci_a
        mi[_u(area)] = mi_a
        cmi[_u(area)] = cmi_a
        open_count[_u(area)] = open_a
        _flush_block(secs, block, np.int64(area), area_lo[area + 1] - area_lo[area], days, area_off, area_rep, rows, rest, acc)
    return m
