"""Major event days (the 2.5-beta method of IEEE Std 1366, see :mod:`halqa.ledger.analysis`) and
area-wide outages found among households' outage starts: pure computation on arrays, no vault."""

from __future__ import annotations

import math

import numpy as np

from halqa.ledger.arrays import add_scaled, pieces, sorted_with_order, take
from halqa.ledger.params import Params

__all__ = ["detect_events", "med_parameters", "med_threshold", "poisson_sf"]


def poisson_sf(k: int, mu: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(mu)`` (exact sum in log space; fine for k up to thousands)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    # P(X >= k) = 1 - sum_{i<k} pmf(i); for the upper tail sum from k upward for accuracy.
    logp = -mu + k * math.log(mu) - math.lgamma(k + 1)
    total, term, i = 0.0, math.exp(logp), k
    while term > 1e-18 * max(total, 1e-300) and i < k + 10000:
        total += term
        i += 1
        term *= mu / i
    return min(1.0, total)


def med_parameters(daily_saidi: np.ndarray, ddof: int = 1) -> tuple[float, float] | None:
    """``(alpha, beta)`` of the 2.5-beta method: mean and standard deviation (``ddof``) of ``ln`` of
    the non-zero daily SAIDI values; None with fewer than two non-zero days."""
    vals = np.asarray(daily_saidi, dtype=float)
    vals = vals[vals > 0]
    k = len(vals)
    if k < 2:
        return None
    logs = np.log(vals)
    # logs.mean() and logs.std(ddof=ddof) as numpy computes them (the same sums, the same divisions), without
    # their Python overhead (it is run once per area)
    mean = np.add.reduce(logs) / k
    logs -= mean
    np.multiply(logs, logs, out=logs)
    return float(mean), float(np.sqrt(np.add.reduce(logs) / max(k - ddof, 0)))


def med_threshold(daily_saidi: np.ndarray, beta: float = 2.5, ddof: int = 1) -> float | None:
    """``T_MED = exp(alpha + beta * sigma)`` over the non-zero daily SAIDI values (see module doc)."""
    ab = med_parameters(daily_saidi, ddof)
    if ab is None:
        return None
    return float(np.exp(ab[0] + beta * ab[1]))


def detect_events(area: np.ndarray | tuple[np.ndarray, np.ndarray], hh: np.ndarray, start: np.ndarray,
                  end: np.ndarray, is_open: np.ndarray, period: tuple[int, int], params: Params = Params()) -> list[dict]:
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
    confidence. ``area`` may also be ``(hh_area, rows)`` standing for ``hh_area[rows]``, which is then
    never made whole when every start lies in the period.
    """
    p0, p1 = int(period[0]), int(period[1])
    start = np.asarray(start, dtype=np.int64)
    sel = (start >= p0) & (start < p1)
    if not sel.any():
        return []
    everything = bool(sel.all())
    if isinstance(area, tuple) and not everything:
        area = take(np.asarray(area[0], dtype=np.int64), area[1])
    w = int(params.event_window_seconds)
    max_span = max(int(params.event_max_span_seconds), 1)
    k_min = max(int(params.event_min_households), 1)
    span = p1 - p0 + 1
    stride = span + max(w, 0) + 1  # a window never reaches into the next area's block
    if isinstance(area, tuple):  # key = area * stride + start - p0, in pieces
        lookup, rows = np.asarray(area[0], dtype=np.int64), area[1]
        key = np.empty(len(start), dtype=np.int64)
        starts = np.zeros(len(lookup), dtype=np.int64)  # starts per area
        for lo, hi in pieces(len(key)):
            a_ = lookup[rows[lo:hi]]
            np.add.at(starts, a_, 1)
            k = key[lo:hi]
            np.multiply(a_, stride, out=k)
            k += start[lo:hi]
            k -= p0
        n_areas = int(np.flatnonzero(starts)[-1]) + 1
        starts = starts[:n_areas]
    else:
        area = np.asarray(area, dtype=np.int64)
        a = area if everything else area[sel]
        n_areas = int(a.max()) + 1
        starts = np.bincount(a, minlength=n_areas)
        key = a * stride
        key += start if everything else start[sel]
        key -= p0
        del a
    key, order = sorted_with_order(key, n_areas * stride - 1)  # by area, then start
    # a window [start, start + w] holds k_min starts iff the (k_min - 1)th next start lies in it
    if len(key) < k_min:
        return []
    # (full-length temporaries are avoided by working in pieces of CHUNK rows, and buffers are reused)
    seed = np.empty(len(key) - k_min + 1, dtype=bool)
    for lo, hi in pieces(len(seed)):
        np.less_equal(key[lo + k_min - 1:hi + k_min - 1] - key[lo:hi], w, out=seed[lo:hi])
    seeds = np.flatnonzero(seed)
    del seed
    if len(seeds) == 0:
        return []
    # unite overlapping seed windows: with the keys sorted, seed i's window [key_i, key_i + w] overlaps
    # the previous seed's iff key_i <= key_(i-1) + w, so a cluster is a run of such seeds, and its rows
    # end where the last seed's window ends (one search per cluster, not per seed)
    new = np.empty(len(seeds), dtype=bool)
    new[0] = True
    for lo, hi in pieces(len(seeds), 1):
        np.greater(key[seeds[lo:hi]] - key[seeds[lo - 1:hi - 1]], w, out=new[lo:hi])
    first = seeds[new]
    new[:-1] = new[1:]  # now: the last seed of a cluster
    new[-1] = True
    last = np.searchsorted(key, key[seeds[new]] + w, side="right")  # end of each cluster (exclusive)
    del seeds, new
    length = last - first
    cpos = np.cumsum(length)
    cpos -= length  # where each cluster begins among the rows inside clusters
    n_in = int(cpos[-1] + length[-1])
    r = np.repeat((first - cpos).astype(order.dtype), length)
    for lo, hi in pieces(n_in):
        r[lo:hi] += np.arange(lo, hi, dtype=r.dtype)  # the rows inside clusters (positions in the sorted order)
    sr = take(key, r, out=key[:n_in])  # in place: r is increasing, so each row is read before it is overwritten
    del key
    # a piece begins with a cluster or where the offset from the cluster's first start crosses a multiple
    # of max_span
    first_sr = sr[cpos]
    new = np.empty(n_in, dtype=bool)
    cend = cpos + length
    for lo, hi in pieces(n_in, 1):
        c0, c1 = int(np.searchsorted(cpos, lo - 1, side="right")) - 1, int(np.searchsorted(cpos, hi))  # clusters here
        piece = sr[lo - 1:hi] - np.repeat(first_sr[c0:c1], np.clip(cend[c0:c1], lo - 1, hi) - np.clip(cpos[c0:c1], lo - 1, hi))
        piece //= max_span
        np.not_equal(piece[1:], piece[:-1], out=new[lo:hi])
    new[0] = True
    new[cpos] = True
    del cpos, cend, length, first, last, first_sr
    gstart = np.flatnonzero(new)
    del new
    g_area = sr[gstart] // stride
    sr %= stride  # start - p0
    size = np.diff(np.r_[gstart, n_in])
    med_start = (sr[gstart + (size - 1) // 2] + sr[gstart + size // 2]) // 2 + p0
    src = take(order, r, out=r)  # rows of the input
    del order, r
    if not everything:
        src = take(np.flatnonzero(sel), src, out=src)
    group = np.repeat(np.arange(len(gstart), dtype=np.int32 if len(gstart) < 1 << 31 else np.int64), size)
    pairs = take(np.asarray(hh, dtype=np.int64), src, out=sr)
    del sr
    h0 = int(pairs.min())
    hspan = int(pairs.max()) - h0 + 1
    pairs -= h0
    add_scaled(pairs, group, hspan)
    pairs.sort()
    distinct = np.empty(n_in, dtype=bool)
    distinct[0] = True
    np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
    pairs[:] = distinct
    np.cumsum(pairs, out=pairs)  # distinct (group, household) pairs up to each row
    del distinct
    n_distinct = np.diff(np.r_[0, pairs[gstart + size - 1]])
    keep = n_distinct >= k_min
    closed = ~np.asarray(is_open, dtype=bool)[src]
    all_closed = bool(closed.all())
    es = take(np.asarray(end, dtype=np.int64), src, out=pairs)
    del src, pairs
    e0 = int(es.min())
    espan = int(es.max()) - e0 + 2  # espan - 1 stands for an open end (sorted last)
    es -= e0
    if not all_closed:
        es[~closed] = espan - 1
    add_scaled(es, group, espan)
    es.sort()  # closed ends sorted within each group
    add_scaled(es, group, -espan)
    es += e0
    del group
    n_closed = size if all_closed else np.add.reduceat(closed, gstart, dtype=np.int64)
    del closed
    lo_i = gstart + np.maximum(n_closed - 1, 0) // 2
    hi_i = gstart + n_closed // 2
    med_end = np.where(n_closed > 0, es[lo_i] // 2 + es[np.minimum(hi_i, len(es) - 1)] // 2, 0)
    has_end = n_closed * 2 > size
    seconds = max(p1 - p0, w)
    windows = seconds / w
    mus = starts * w / seconds
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return []
    ka, kn = g_area[idx], n_distinct[idx]
    # observed: events of the same area with at least as many households; expected: by chance
    nmax = int(kn.max()) + 1
    comb = ka * nmax + kn
    sc = np.sort(comb)
    observed = np.searchsorted(sc, (ka + 1) * nmax, side="left") - np.searchsorted(sc, comb, side="left")
    uniq, inv = np.unique(comb, return_inverse=True)
    expected = np.array([windows * poisson_sf(int(u % nmax), float(mus[u // nmax])) for u in uniq.tolist()])[inv]
    conf = np.maximum(0.0, 1.0 - expected / np.maximum(observed, 1))
    ok = conf >= params.event_min_confidence
    g = idx[ok]
    return [{"area": ar_, "start": st_, "end": en_ if he_ else None, "households": n, "confidence": round(cf, 4)}
            for ar_, st_, en_, he_, n, cf in zip(ka[ok].tolist(), med_start[g].tolist(), med_end[g].tolist(),
                                                 has_end[g].tolist(), kn[ok].tolist(), conf[ok].tolist(), strict=True)]
