"""The committed (first) numpy implementation of the ledger evidence, kept verbatim as a reference.

Tests check that :mod:`halqa.ledger.analysis` (the faster rewrite) gives the same results on random
data; the benchmark reports it as a further reference. Not used by halqa itself.
"""

from __future__ import annotations

import numpy as np

from halqa.ledger.analysis import AreaIndices, Result
from halqa.ledger.detection import med_threshold, poisson_sf
from halqa.ledger.events import DAY
from halqa.ledger.params import Params


def merge_intervals(hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                    extra: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Union of each household's intervals: returns ``(hh, start, end[, extra])`` sorted by
    household then start, where overlapping or touching intervals became one. ``extra`` (e.g. an
    "open" flag) is combined with logical OR over each merged group."""
    hh = np.asarray(hh, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.maximum(np.asarray(end, dtype=np.int64), start)
    n = len(hh)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (empty, empty, empty) + ((np.zeros(0, dtype=bool),) if extra is not None else ())
    t0 = int(start.min())
    span = int(end.max()) - t0 + 1
    order = np.argsort(hh * span + (start - t0), kind="stable")
    hs, s, e = hh[order], start[order], end[order]
    offset = hs * span - t0
    running = np.maximum.accumulate(e + offset) - offset  # running max end within the household
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (hs[1:] != hs[:-1]) | (s[1:] > running[:-1])
    idx = np.flatnonzero(new)
    out = (hs[idx], s[idx], np.maximum.reduceat(e, idx))
    if extra is not None:
        out += (np.logical_or.reduceat(np.asarray(extra, dtype=bool)[order], idx),)
    return out


def detect_events(area: np.ndarray, hh: np.ndarray, start: np.ndarray, end: np.ndarray,
                  is_open: np.ndarray, period: tuple[int, int], params: Params = Params()) -> list[dict]:
    """Area-wide outages: several households of one area going dark together.

    Time-gap clustering as GridWatch/PowerWatch do: every window of ``event_window_seconds``
    after an outage start that holds at least ``event_min_households`` starts seeds an event;
    overlapping seed windows are united, and chains longer than ``event_max_span_seconds`` are cut
    into pieces. A piece with at least ``event_min_households`` distinct households is an event.
    Its start and end are the medians of the members' starts and (closed) ends (end None while
    most members are still off); ``households`` is the number of distinct households.

    ``confidence`` asks how much of what we see chance could explain: with the area's background
    rate of outage starts (lambda = starts / period), the expected number of windows in the period
    holding at least n starts by chance is ``E_n = M * P(X >= n)``, ``X ~ Poisson(lambda * window)``,
    ``M = period / window``; if ``O_n`` events of at least n households were found in the area,
    ``confidence = max(0, 1 - E_n / O_n)`` (a local false-discovery estimate). Events below
    ``event_min_confidence`` are dropped. Returns dicts with area (index), start, end, households,
    confidence.
    """
    p0, p1 = period
    sel = (start >= p0) & (start < p1)
    if not sel.any():
        return []
    a, h, s, e, op = area[sel], hh[sel], start[sel], end[sel], is_open[sel]
    span = int(p1 - p0) + 1
    order = np.argsort(a.astype(np.int64) * span + (s - p0), kind="stable")
    a, h, s, e, op = a[order], h[order], s[order], e[order], op[order]
    key = a.astype(np.int64) * span * 4 + (s - p0)
    w = int(params.event_window_seconds)
    max_span = max(int(params.event_max_span_seconds), 1)
    k_min = max(int(params.event_min_households), 1)
    j = np.searchsorted(key, key + w, side="right")
    seeds = np.flatnonzero(j - np.arange(len(key)) >= k_min)
    if len(seeds) == 0:
        return []
    # unite overlapping seed windows [i, j): clusters are contiguous runs of the sorted rows
    ends = np.maximum.accumulate(j[seeds])
    new = np.empty(len(seeds), dtype=bool)
    new[0] = True
    new[1:] = seeds[1:] >= ends[:-1]
    first = seeds[new]
    last = np.append(ends[np.flatnonzero(new)[1:] - 1], ends[-1])
    rows = np.arange(len(key))
    cid = np.searchsorted(first, rows, side="right") - 1
    inside = (cid >= 0) & (rows < last[np.maximum(cid, 0)])
    r = rows[inside]
    c = cid[inside]
    piece = (s[r] - s[first[c]]) // max_span
    gkey = c.astype(np.int64) * (span // max_span + 2) + piece
    gstart = np.flatnonzero(np.r_[True, gkey[1:] != gkey[:-1]])
    gend = np.r_[gstart[1:], len(gkey)]
    size = gend - gstart
    group = np.repeat(np.arange(len(gstart)), size)
    hr = h[r]
    o2 = np.argsort(group.astype(np.int64) * (int(hr.max()) + 1) + hr)
    hg, gg = hr[o2], group[o2]
    first_pair = np.r_[True, (hg[1:] != hg[:-1]) | (gg[1:] != gg[:-1])]
    n_distinct = np.bincount(gg[first_pair], minlength=len(gstart))
    keep = n_distinct >= k_min
    ss = s[r]  # sorted within each group already
    med_start = (ss[gstart + (size - 1) // 2] + ss[gstart + size // 2]) // 2
    closed = ~op[r]
    big = np.iinfo(np.int64).max
    masked = np.where(closed, e[r], big)
    es = masked.copy()
    for lo, hi in zip(gstart[size > 1].tolist(), gend[size > 1].tolist(), strict=True):
        es[lo:hi].sort()
    n_closed = np.bincount(group, weights=closed, minlength=len(gstart)).astype(np.int64)
    lo_i = gstart + np.maximum(n_closed - 1, 0) // 2
    hi_i = gstart + n_closed // 2
    med_end = np.where(n_closed > 0, es[lo_i] // 2 + es[np.minimum(hi_i, len(es) - 1)] // 2, 0)
    has_end = n_closed * 2 > size
    g_area = a[r][gstart]
    n_areas = int(a.max()) + 1
    seconds = max(p1 - p0, w)
    windows = seconds / w
    mus = np.bincount(a, minlength=n_areas) * w / seconds
    idx = np.flatnonzero(keep)
    ka, kn = g_area[idx], n_distinct[idx]
    o4 = np.lexsort((kn, ka))
    ka, kn = ka[o4], kn[o4]
    cuts = np.flatnonzero(np.r_[True, ka[1:] != ka[:-1], True])
    by_area = {int(ka[lo]): kn[lo:hi] for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)}
    cache: dict[tuple[int, int], float] = {}
    events = []
    for g in idx.tolist():
        ar, n = int(g_area[g]), int(n_distinct[g])
        conf = cache.get((ar, n))
        if conf is None:
            observed = len(by_area[ar]) - int(np.searchsorted(by_area[ar], n, side="left"))
            expected = windows * poisson_sf(n, float(mus[ar]))
            conf = cache[(ar, n)] = max(0.0, 1.0 - expected / max(observed, 1))
        if conf < params.event_min_confidence:
            continue
        events.append({"area": ar, "start": int(med_start[g]), "end": int(med_end[g]) if has_end[g] else None,
                       "households": n, "confidence": round(conf, 4)})
    return events


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
    """
    n_areas = len(n_customers)
    n_hh = len(hh_area)
    days = last_day - first_day + 1
    p0, p1 = first_day * DAY, (last_day + 1) * DAY
    n_t = np.asarray(n_customers, dtype=np.float64)
    safe_nt = np.where(n_t > 0, n_t, 1.0)
    mh, ms, me, mo = merge_intervals(hh, start, end, is_open)
    ma = np.asarray(hh_area)[mh] if len(mh) else np.zeros(0, dtype=np.int64)
    dur = me - ms
    momentary = dur <= params.momentary_seconds

    # --- daily SAIDI by start day over the reference window (for major event days)
    r0, r1 = med_days or (first_day, last_day)
    ref_days = r1 - r0 + 1
    sday = ms // DAY
    ref = (~momentary) & (sday >= r0) & (sday <= r1)
    ref_saidi = np.bincount(ma[ref] * ref_days + (sday[ref] - r0), weights=dur[ref] / 60.0,
                            minlength=n_areas * ref_days).reshape(n_areas, ref_days) / safe_nt[:, None]
    off = first_day - r0  # position of the report period inside the reference window
    in_ref = 0 <= off and off + days <= ref_days

    # --- period indices (interruptions that began in the period)
    inp = (ms >= p0) & (ms < p1)
    sus = inp & ~momentary
    mom = inp & momentary
    clipped = (np.minimum(me, p1) - ms) / 60.0
    ci = np.bincount(ma[sus], minlength=n_areas)
    cmi = np.bincount(ma[sus], weights=clipped[sus], minlength=n_areas)
    mi = np.bincount(ma[mom], minlength=n_areas)
    per_hh = np.bincount(mh[sus], minlength=n_hh)
    hit = per_hh > 0
    cn = np.bincount(np.asarray(hh_area)[hit], minlength=n_areas) if n_hh else np.zeros(n_areas, int)
    cemi_count = np.bincount(np.asarray(hh_area)[per_hh > params.cemi_n], minlength=n_areas) if n_hh else cn * 0
    open_count = np.bincount(ma[inp & mo], minlength=n_areas)
    daily_saidi = np.bincount(ma[sus] * days + (sday[sus] - first_day), weights=dur[sus] / 60.0,
                              minlength=n_areas * days).reshape(n_areas, days) / safe_nt[:, None]

    # --- supply hours: hours off per household and day, clipped to each day
    touch = (me > p0) & (ms < p1) & (me > ms)
    cs, ce, th = np.maximum(ms[touch], p0), np.minimum(me[touch], p1), mh[touch]
    d0 = cs // DAY
    d1 = (ce - 1) // DAY
    reps = (d1 - d0 + 1).astype(np.int64)
    idx = np.repeat(np.arange(len(cs)), reps)
    step = np.arange(len(idx)) - np.repeat(np.cumsum(reps) - reps, reps)
    dd = d0[idx] + step
    seg = np.minimum(ce[idx], (dd + 1) * DAY) - np.maximum(cs[idx], dd * DAY)
    cell = th[idx] * days + (dd - first_day)
    off_s = np.bincount(cell, weights=seg, minlength=n_hh * days)
    reported = np.zeros(n_hh * days, dtype=bool)
    reported[cell] = True
    if tallies is not None and len(tallies[0]):
        t_hh, t_day, t_hours = (np.asarray(x) for x in tallies)
        ok = (t_day >= first_day) & (t_day <= last_day)
        tcell = t_hh[ok] * days + (t_day[ok] - first_day)
        fill = ~reported[tcell]
        off_s[tcell[fill]] = np.clip(t_hours[ok][fill], 0, 24) * 3600.0
        reported[tcell] = True
    off_h = (off_s / 3600.0).reshape(n_hh, days)
    rep = reported.reshape(n_hh, days)
    area_off = np.zeros((n_areas, days))
    _add_rows(area_off, hh_area, off_h)
    area_rep = np.zeros((n_areas, days))
    _add_rows(area_rep, hh_area, rep.astype(np.float64))
    area_rep_off = np.zeros((n_areas, days))
    _add_rows(area_rep_off, hh_area, np.where(rep, off_h, 0.0))
    daily_supply = 24.0 - area_off / safe_nt[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        daily_supply_rep = np.where(area_rep > 0, 24.0 - area_rep_off / np.maximum(area_rep, 1), np.nan)

    period_minutes = days * 1440.0
    out: list[AreaIndices] = []
    for a in range(n_areas):
        nt = float(n_t[a])
        saifi = ci[a] / nt if nt else 0.0
        saidi = cmi[a] / nt if nt else 0.0
        series = ref_saidi[a]
        tmed = med_threshold(series, params.med_beta, params.med_ddof)
        meds = []
        if tmed is not None:
            window = series[off:off + days] if in_ref else daily_saidi[a]
            meds = [first_day + int(d) for d in np.flatnonzero(window > tmed)]
        out.append(AreaIndices(
            households=int(nt), saifi=saifi, saidi_minutes=saidi,
            caidi_minutes=(saidi / saifi) if saifi else None,
            caifi=(ci[a] / cn[a]) if cn[a] else None,
            asai=(1.0 - cmi[a] / (nt * period_minutes)) if nt else 1.0,
            maifi=mi[a] / nt if nt else 0.0, cemi=cemi_count[a] / nt if nt else 0.0,
            supply_hours_per_day=float(daily_supply[a].mean()) if days else 24.0,
            major_event_days=meds, t_med_minutes=tmed, interruptions=int(ci[a]), momentary=int(mi[a]),
            households_interrupted=int(cn[a]), open_intervals=int(open_count[a])))
    ev = detect_events(ma, mh, ms, me, mo, (p0, p1), params) if events else []
    return Result(first_day, days, out, daily_saidi, daily_supply, daily_supply_rep,
                  area_rep.astype(np.int64), off_h, ev)


def _add_rows(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``target[rows[i]] += values[i]`` for every i, fast for many rows (sort + reduceat)."""
    rows = np.asarray(rows)
    if len(rows) == 0:
        return
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    idx = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    target[r[idx]] += np.add.reduceat(values[order], idx, axis=0)
