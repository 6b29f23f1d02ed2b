"""Benchmark of halqa.ledger (issue 4).

1. A synthetic city (default 100,000 households in 400 areas over 90 days, about 10 million
   intervals: area-level load-shedding events plus household noise). Full IEEE 1366 indices, event
   detection and daily supply hours with halqa.ledger.analysis.compute, against a straightforward
   pandas implementation of the same computation measured in the same run; both must agree.
2. Bulk import of 1,000,000 intervals (a halqa CSV) into a vault.

Run: ``.venv/bin/python benchmarks/bench_ledger.py [--scale 1.0] [--import-rows 1000000]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from halqa.ledger.analysis import Params, compute
from halqa.ledger.model import DAY, parse_day, time_iso

FIRST = parse_day("2026-06-01")


def city(n_hh: int, n_areas: int, days: int, seed: int = 7) -> dict:
    """Area events (each household of the area joins with prob. 0.9, reporting lag) + household noise."""
    rng = np.random.default_rng(seed)
    hh_area = np.arange(n_hh) % n_areas
    per_area = np.bincount(hh_area, minlength=n_areas)
    members = np.argsort(hh_area, kind="stable")
    offsets = np.r_[0, np.cumsum(per_area)]
    ev_area = np.repeat(np.arange(n_areas), days)
    ev_day = np.tile(np.arange(days), n_areas)
    ev_start = (FIRST + ev_day) * DAY + rng.integers(0, 22 * 3600, len(ev_area))
    ev_len = rng.integers(3600, 4 * 3600, len(ev_area))
    size = per_area[ev_area]
    rows_ev = np.repeat(np.arange(len(ev_area)), size)
    pos = np.arange(len(rows_ev)) - np.repeat(np.cumsum(size) - size, size)
    hh = members[offsets[ev_area[rows_ev]] + pos]
    keep = rng.random(len(hh)) < 0.9
    hh, rows_ev = hh[keep], rows_ev[keep]
    s = ev_start[rows_ev] + np.abs(rng.normal(0, 120, len(hh))).astype(np.int64)
    e = ev_start[rows_ev] + ev_len[rows_ev] + rng.normal(0, 300, len(hh)).astype(np.int64)
    n_noise = int(n_hh * 10)
    nh = rng.integers(0, n_hh, n_noise)
    ns = FIRST * DAY + rng.integers(0, days * DAY, n_noise)
    ne = ns + rng.choice([60, 180, 1200, 3600, 7200], n_noise)
    hh = np.r_[hh, nh]
    s = np.r_[s, ns]
    e = np.maximum(np.r_[e, ne], np.r_[s[: len(e)], ns] + 60)
    return {"hh": hh, "start": s, "end": e, "hh_area": hh_area, "n_customers": per_area}


def ours(c: dict, days: int, params: Params):
    return compute(c["hh"], c["start"], c["end"], np.zeros(len(c["hh"]), bool), c["hh_area"], c["n_customers"],
                   FIRST, FIRST + days - 1, params)


def pandas_baseline(c: dict, days: int, params: Params) -> dict:
    """The same computation written plainly with pandas (groupby, explode, a scan per area)."""
    df = pd.DataFrame({"hh": c["hh"], "start": c["start"], "end": c["end"]})
    df = df.sort_values(["hh", "start"])
    df["runmax"] = df.groupby("hh")["end"].cummax()
    prev = df.groupby("hh")["runmax"].shift()
    df["grp"] = (prev.isna() | (df["start"] > prev)).cumsum()
    m = df.groupby("grp").agg(hh=("hh", "first"), start=("start", "first"), end=("end", "max")).reset_index(drop=True)
    m["area"] = c["hh_area"][m["hh"].to_numpy()]
    p0, p1 = FIRST * DAY, (FIRST + days) * DAY
    m["dur"] = m["end"] - m["start"]
    inp = m[(m["start"] >= p0) & (m["start"] < p1)].copy()
    inp["sus"] = inp["dur"] > params.momentary_seconds
    inp["clip_min"] = (inp["end"].clip(upper=p1) - inp["start"]) / 60.0
    sus = inp[inp["sus"]]
    nt = pd.Series(c["n_customers"])
    saifi = sus.groupby("area").size().reindex(nt.index, fill_value=0) / nt
    saidi = sus.groupby("area")["clip_min"].sum().reindex(nt.index, fill_value=0) / nt
    maifi = inp[~inp["sus"]].groupby("area").size().reindex(nt.index, fill_value=0) / nt
    # daily supply: one row per interval and day it touches
    t = m[(m["end"] > p0) & (m["start"] < p1)].copy()
    t["cs"], t["ce"] = t["start"].clip(lower=p0), t["end"].clip(upper=p1)
    t["day"] = [list(range(a // DAY, (b - 1) // DAY + 1)) for a, b in zip(t["cs"], t["ce"], strict=True)]
    t = t.explode("day")
    t["day"] = t["day"].astype(np.int64)
    t["off"] = np.minimum(t["ce"], (t["day"] + 1) * DAY) - np.maximum(t["cs"], t["day"] * DAY)
    area_day = t.groupby(["area", "day"])["off"].sum() / 3600.0
    supply = 24.0 - (area_day.groupby("area").sum() / days).reindex(nt.index, fill_value=0) / nt
    # events: per area, scan the sorted starts with a window
    n_events = 0
    for _, g in inp.sort_values(["area", "start"]).groupby("area"):
        st = g["start"].to_numpy()
        i, n = 0, len(st)
        while i < n:
            j = i
            while j + 1 < n and st[j + 1] - st[i] <= params.event_window_seconds:
                j += 1
            if j - i + 1 >= params.event_min_households:
                end = j
                while end + 1 < n and st[end + 1] - st[j] <= params.event_window_seconds and \
                        st[end + 1] - st[i] < params.event_max_span_seconds:
                    end += 1
                n_events += 1
                i = end + 1
            else:
                i += 1
    return {"saifi": saifi.to_numpy(), "saidi": saidi.to_numpy(), "maifi": maifi.to_numpy(),
            "supply": supply.to_numpy(), "events": n_events}


def bulk_import(rows: int) -> tuple[float, dict]:
    from halqa import app
    from halqa.ledger import enrol_households, import_file
    from halqa.vault import TEST_KDF

    rng = np.random.default_rng(3)
    n_hh = max(rows // 100, 10)
    with tempfile.TemporaryDirectory() as d:
        hh_csv = "household,area\n" + "".join(f"hh-{i:06d},A{i % 40:03d}\n" for i in range(n_hh))
        hhs = rng.integers(0, n_hh, rows)
        s = FIRST * DAY + rng.integers(0, 90 * DAY, rows)
        e = s + rng.integers(60, 6 * 3600, rows)
        lines = ["household,area,start,end,source\n"]
        lines += [f"hh-{h:06d},A{h % 40:03d},{time_iso(a)},{time_iso(b)},grid\n" for h, a, b in zip(hhs, s, e, strict=True)]
        f = Path(d) / "big.csv"
        f.write_text("".join(lines))
        v = app.create_vault(Path(d) / "v.halqa", "benchmark-pass", TEST_KDF)
        enrol_households(v, hh_csv)
        t0 = time.perf_counter()
        res = import_file(v, f)
        took = time.perf_counter() - t0
        v.close()
    return took, {"kept": res["kept"], "rejected": len(res["rejected"])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="share of the 100,000-household city")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    n_hh, n_areas = int(100_000 * args.scale), max(int(400 * args.scale), 1)
    params = Params(event_window_seconds=600)
    c = city(n_hh, n_areas, args.days)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    r = ours(c, args.days, params)
    t_ours = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [("city", f"{n_hh:,} households, {n_areas} areas, {args.days} days, {len(c['hh']):,} intervals", "")]
    rows.append(("halqa (numpy) indices+events+daily supply", f"{t_ours:.2f} s", f"peak RSS {rss1:.0f} MiB "
                 f"(data alone {rss0:.0f} MiB)"))
    rows.append(("area events detected", f"{len(r.events):,}", f"{sum(e['confidence'] >= 0.99 for e in r.events):,} at "
                 "confidence >= 0.99"))
    if not args.skip_baseline:
        t0 = time.perf_counter()
        b = pandas_baseline(c, args.days, params)
        t_pd = time.perf_counter() - t0
        ok = (np.allclose(b["saifi"], [a.saifi for a in r.areas]) and np.allclose(b["saidi"], [a.saidi_minutes for a in r.areas])
              and np.allclose(b["maifi"], [a.maifi for a in r.areas])
              and np.allclose(b["supply"], [a.supply_hours_per_day for a in r.areas]))
        rows.append(("pandas baseline, same computation", f"{t_pd:.2f} s", f"speed-up {t_pd / t_ours:.1f}x"))
        rows.append(("indices and supply hours agree", str(ok), f"events: pandas scan {b['events']:,} candidate windows "
                     f"(before the distinct-household and confidence tests)"))
    if args.import_rows:
        took, res = bulk_import(args.import_rows)
        rows.append((f"bulk import of {args.import_rows:,} intervals (CSV -> vault)", f"{took:.2f} s",
                     f"kept {res['kept']:,}, rejected {res['rejected']:,}"))
    width = max(len(x[0]) for x in rows)
    for name, val, note in rows:
        print(f"{name:<{width}}  {val:>12}  {note}")


if __name__ == "__main__":
    main()
