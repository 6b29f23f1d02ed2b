"""Benchmark of the allies' hub at a thousand circles (issue 19).

1,000 circles x 12 monthly aggregate bundles into PostgreSQL, then the cross-circle query (per
area and month, all circles). Targets: at least 3x the bundles per second of the import path of
commit c751fc8, measured in the same run on the same bundles; the query in at most 200 ms.

How the bundles are made. Each circle is its own device: a real vault core (its own Ed25519 and
X25519 keys, commits, clock) on an in-memory SQLCipher database (a folder with Argon2id and the
decoy files costs a second per circle and changes nothing a hub sees). Every month it records one
signed aggregate snapshot per dataset (``bridge_aggregate.put``, exactly the events
:func:`halqa.bridge.snapshot` records) and seals that commit to the hub as
:func:`halqa.bridge.export_bundle` does for a ``hub`` contact (``write_inner`` + ``seal``, kind
``aggregates``). The cells are drawn, not computed from grievances and ledger records (computing
them costs 0.2 s per snapshot even for a small circle), with the shape halqa's snapshots have: a
snapshot holds the circle's whole history, so month m carries outage minutes per area and day for
m months (6 areas: about 180 cells a month), grievances per area, theme and ISO week that
passed suppression (about 60 a month), and for a third of the circles units delivered per area,
service kind and month.

The bundles (and the hub's keys they are sealed to) are generated once into ``--cache``; each
import then runs in a subprocess on a fresh database with those keys: the current tree, and the
baseline tree (a ``git worktree`` of c751fc8 at ``--baseline-src``'s parent, made if missing) through its own PYTHONPATH.

Run: ``nice -n 10 .venv/bin/python benchmarks/bench_hub.py [--circles 1000] [--months 12]
[--baseline-circles 100] [--cache /tmp/halqa-hub-cache] [--baseline-src /tmp/hub-base/src] [--late-circles 20]``
(``--late-circles``: in runs of at most that many circles, one bundle is withheld and its import
timed at the end, late).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "c751fc8"  # the hub's import path before issue 19
AREAS = [f"A{i:03d}" for i in range(300)]  # a city's area codes; neighbouring circles share some
THEMES = ("water", "electricity", "rent", "wages", "health", "school", "roads", "safety")
SERVICES = ("water_truck", "generator_hours")
HUB_PROJECTIONS_BASE = ("bridge_contact", "bridge_known", "bridge_seen", "bridge_aggregate", "authz_owner")


# ---------------------------------------------------------------------------- generating bundles
def _circle_vault() -> Any:
    """A circle's device: the vault core with its own keys, on an in-memory SQLCipher database."""
    import sqlcipher3

    from halqa.vault import Vault
    from halqa.vault.storage.sqlcipher import SQLCipherStorage, _Connection
    from halqa.vault.store import init_storage

    conn = sqlcipher3.connect(":memory:", isolation_level=None, check_same_thread=False, factory=_Connection)
    storage = SQLCipherStorage(conn)
    init_storage(storage, label="circle")
    return Vault(storage, projections=HUB_PROJECTIONS_BASE)


def _days(month: int) -> list[str]:
    from datetime import date, timedelta

    first, out = date(2025, 1, 1), []
    d = first
    while d.month <= month and d.year == 2025:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def _cells(rng: random.Random, history: dict[str, dict[tuple[str, str, str], tuple[float, int]]], areas: list[str],
           month: int, services: bool) -> dict[str, list[tuple[str, str, str, float, int]]]:
    """A snapshot's cells after month ``month`` (1..12): the circle's whole history, as halqa sends
    it. ``history`` keeps what earlier months said: past cells stay, except a few of the last
    month's, revised by late reports."""
    from datetime import date

    days = [d for d in _days(month) if int(d[5:7]) == month]
    outages, grievances, served = (history.setdefault(k, {}) for k in ("outages", "grievances", "services"))
    for key in [k for k in outages if int(k[2][5:7]) == month - 1]:
        if rng.random() < 0.05:
            value, n = outages[key]
            outages[key] = (round(value + rng.uniform(0, 60), 1), n + 1)
    for a in areas:
        for d in days:
            outages[(a, "", d)] = (round(rng.uniform(0, 600), 1), rng.randint(5, 40))
        for w in sorted({date.fromisocalendar(*date.fromisoformat(d).isocalendar()[:2], 1).isoformat() for d in days}):
            for t in THEMES:
                if (a, t, w) not in grievances and (n := rng.randint(0, 12)) >= 5 and rng.random() < 0.5:
                    grievances[(a, t, w)] = (float(n), n)
        if services:
            for k in SERVICES:
                served[(a, k, f"2025-{month:02d}")] = (round(rng.uniform(100, 5000), 1), rng.randint(5, 60))
    out = {name: sorted((*key, *cell) for key, cell in history[name].items()) for name in ("grievances", "outages")}
    if services:
        out["services"] = sorted((*key, *cell) for key, cell in served.items())
    return out


def generate(cache: Path, circles: int, months: int) -> None:
    """Bundles ``cache/bundles/cNNNN-MM.age`` sealed to a hub whose keys are ``cache/hub.json``;
    the circles' pairing texts in ``cache/circles.json``."""
    from datetime import UTC, datetime

    from halqa import domains
    from halqa.bridge import identity
    from halqa.bridge.bundle import seal, write_inner
    from halqa.bridge.events import AggregatePut
    from halqa.bridge.keys import age_recipient
    from halqa.vault import events, export_commits, heads
    from halqa.vault.authz import AGGREGATE_KIND

    domains.load()
    wall_ns = events.wall_ns
    hub = _circle_vault()  # only its keys are kept: the hub under test gets them (see _install_keys)
    hub_keys = {"signing_key": hub.storage.secret("signing_key").hex(), "x25519_key": hub.storage.secret("x25519_key").hex(),
                "pubkey": hub.device_id.hex()}
    recipient = age_recipient(hub)
    (cache / "bundles").mkdir(parents=True, exist_ok=True)
    texts = []
    for c in range(circles):
        rng = random.Random(c)
        v = _circle_vault()
        texts.append(identity(v).text)
        start = rng.randrange(len(AREAS))
        areas = [AREAS[(start + k) % len(AREAS)] for k in range(rng.randint(4, 8))]
        services = c % 3 == 0
        history: dict[str, dict[tuple[str, str, str], tuple[float, int]]] = {}
        for m in range(1, months + 1):
            # Signed on the 28th of the month (of 2025), circle after circle: the clocks a hub sees.
            signed = datetime(2025, m, 28, tzinfo=UTC).timestamp() + 60 * c
            events.wall_ns = lambda signed=signed: int(signed * 1e9)  # the vault's one wall clock
            before = int(v.meta("seq"))
            with v.transaction() as tx:
                for name, cells in _cells(rng, history, areas, m, services).items():
                    tx.append("bridge_aggregate.put", AggregatePut(
                        id=f"{c:04d}-{m:02d}-{name}", dataset=name, created=f"2025-{m:02d}-28", threshold=5,
                        cells=cells, suppressed=rng.randint(0, 40), label=f"circle {c}"))
            have = {d: 1 << 62 for d in heads(v)}
            have[v.device_id] = before
            records = export_commits(v, have, [AGGREGATE_KIND])
            _, inner = write_inner(v, records, [recipient], "aggregates")
            (cache / "bundles" / f"c{c:04d}-{m:02d}.age").write_bytes(seal(inner, [recipient]))
        events.wall_ns = wall_ns
        v.close()
        if c % 50 == 49:
            print(f"  generated {c + 1} circles", file=sys.stderr)
    (cache / "circles.json").write_text(json.dumps(texts))
    (cache / "hub.json").write_text(json.dumps(hub_keys))
    (cache / "done").write_text(f"{circles} {months}\n")


# ---------------------------------------------------------------------------- one import run (a subprocess)
def _install_keys(url: str, keys: dict[str, str]) -> None:
    """Give a fresh hub the keys the cached bundles are sealed to (benchmark only)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw, raw.transaction():
        raw.execute("UPDATE devices SET pubkey = %s WHERE local = 1", (bytes.fromhex(keys["pubkey"]),))
        for name in ("signing_key", "x25519_key"):
            raw.execute("UPDATE secrets SET value = %s WHERE name = %s", (bytes.fromhex(keys[name]), name))


QUERY_PER_AREA_MONTH = ("SELECT area, substr(period, 1, 7) AS month, sum(value) AS value, sum(n) AS n, "
                        "count(DISTINCT source) AS circles FROM bridge_aggregate_cell WHERE dataset = ? "
                        "GROUP BY area, substr(period, 1, 7) ORDER BY area, month")


def run_import(url: str, cache: Path, circles: int, months: int, repeats: int, late: bool = False) -> dict[str, Any]:
    from halqa import domains
    from halqa.bridge import add_contact, hub_init, hub_open
    from halqa.bridge.hub import import_many

    domains.load()
    hub = hub_init(url)
    hub.close()
    _install_keys(url, json.loads((cache / "hub.json").read_text()))
    hub = hub_open(url)
    texts = json.loads((cache / "circles.json").read_text())[:circles]
    for i, text in enumerate(texts):
        add_contact(hub, f"circle-{i:04d}", text=text, role="circle")
    # month by month, as they arrive: every circle's January, then every February, ...
    files = [cache / "bundles" / f"c{c:04d}-{m:02d}.age" for m in range(1, months + 1) for c in range(circles)]
    # A late bundle: circle 0's mid-year snapshot, withheld until every other bundle is in (a
    # phone offline for months); the same set in the end.
    late_file = files.pop(files.index(cache / "bundles" / f"c0000-{max(1, months // 2):02d}.age")) if late else None
    start = time.perf_counter()
    res = import_many(hub, files)
    res = res if isinstance(res, dict) else msgspec.to_builtins(res)  # typed since 2026-12-06; the baseline's is a dict
    seconds = time.perf_counter() - start
    assert res["imported"] == len(files), res["rejected"][:3]
    fast = getattr(__import__("halqa.bridge.hub", fromlist=["x"]), "area_months", None)

    def raw() -> list[dict[str, Any]]:  # the question asked of the cells themselves (all c751fc8 has)
        return [dict(zip(("area", "month", "value", "n", "circles"), r, strict=True))
                for r in hub.query(QUERY_PER_AREA_MONTH, ("outages",))]

    timings: dict[str, list[float]] = {"query_ms": [], "raw_query_ms": []}
    answers: dict[str, list[Any]] = {}
    for _ in range(repeats):
        for key, ask in (("query_ms", (lambda: fast(hub, "outages")) if fast else raw), ("raw_query_ms", raw)):
            t = time.perf_counter()
            rows = ask()
            timings[key].append((time.perf_counter() - t) * 1000)
            rows = [r if isinstance(r, dict) else msgspec.structs.asdict(r) for r in rows]  # halqa's answer is typed
            answers[key] = [(r["area"], r["month"], float(r["value"]), int(r["n"]), int(r["circles"])) for r in rows]
    # What one late bundle costs (a snapshot signed before the newest one folded): c751fc8 folds
    # the aggregate projections again from every aggregate event; since 2026-12-06 it folds in as it comes.
    late_s = None
    if late_file is not None:
        t = time.perf_counter()
        got = import_many(hub, [late_file])
        late_s = time.perf_counter() - t
        got = got if isinstance(got, dict) else msgspec.to_builtins(got)
        assert got["imported"] == 1, got["rejected"]
    sizes = {r[0]: int(r[1]) for r in hub.query(
        "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
        "WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'p')")}
    counts = {t: int(hub.query_one(f"SELECT count(*) FROM {t}")[0])
              for t in ("events", "bridge_aggregate", "bridge_aggregate_cell")}
    hub.close()
    assert _same(answers["query_ms"], answers["raw_query_ms"])
    return {"bundles": len(files), "seconds": seconds, "late_s": late_s, "events": res["events_new"], **timings,
            "answer": answers["query_ms"],
            "sizes": sizes, "counts": counts, "bundle_bytes": sum(f.stat().st_size for f in files),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _same(a: list[Any], b: list[Any]) -> bool:
    """Equal answers (sums of floats in another order may differ in the last bits)."""
    import math

    return len(a) == len(b) and all(x[:2] == y[:2] and x[3:] == y[3:] and math.isclose(x[2], y[2], rel_tol=1e-9)
                                    for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------------------- driver
def _subprocess(src: Path, url: str, args: argparse.Namespace, circles: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, __file__, "--import-only", url, "--cache", str(args.cache), "--circles",
                          str(circles), "--months", str(args.months), "--repeats", str(args.repeats),
                          *(["--late"] if circles <= args.late_circles else [])],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--circles", type=int, default=1000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--baseline-circles", type=int, default=100, help="circles for the baseline import (slow)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "halqa-hub-cache")
    ap.add_argument("--baseline-src", type=Path, default=Path("/tmp/hub-base/src"))
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--late-circles", type=int, default=0,
                    help="up to this many circles, withhold one bundle and time its import at the end (late)")
    ap.add_argument("--late", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--import-only", metavar="URL")
    args = ap.parse_args()
    if args.import_only:
        print(json.dumps(run_import(args.import_only, args.cache, args.circles, args.months, args.repeats, args.late)))
        return
    done = args.cache / "done"
    if not done.exists() or done.read_text().split() != [str(args.circles), str(args.months)]:
        shutil.rmtree(args.cache, ignore_errors=True)
        args.cache.mkdir(parents=True)
        t = time.perf_counter()
        generate(args.cache, args.circles, args.months)
        print(f"generated {args.circles * args.months:,} bundles in {time.perf_counter() - t:.0f} s into {args.cache}")
    else:
        print(f"bundles from the cache {args.cache}")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_bridge import start_pg

    pg_root = Path(tempfile.mkdtemp(prefix="halqa-bench-pg-"))
    base, stop = start_pg(pg_root)
    if base is None:
        print("PostgreSQL is not installed: nothing measured")
        return
    import psycopg

    def fresh(name: str) -> str:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return base.rsplit("/", 1)[0] + "/" + name

    if not (args.baseline_src / "halqa").is_dir():
        # The baseline is the import path of commit c751fc8, from a checkout of its own (never this tree).
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(args.baseline_src.parent), BASELINE],
                       capture_output=True)
    runs: list[tuple[str, dict[str, Any]]] = []
    try:
        for label, src, n in ((f"{BASELINE}, same bundles", args.baseline_src, args.baseline_circles),
                              ("this tree, same bundles", ROOT / "src", args.baseline_circles),
                              ("this tree, all circles", ROOT / "src", args.circles)):
            if n > args.circles or (label.endswith("all circles") and n == args.baseline_circles):
                continue
            if src == args.baseline_src and not (src / "halqa").is_dir():
                print(f"no checkout of {BASELINE} at {src}: baseline skipped", file=sys.stderr)
                continue
            runs.append((label, _subprocess(src, fresh(f"hub{len(runs)}"), args, n)))
            print(label, json.dumps({k: v for k, v in runs[-1][1].items() if k not in ("sizes", "answer")}), file=sys.stderr)
    finally:
        stop()
        shutil.rmtree(pg_root, ignore_errors=True)
    def p95(q: list[float]) -> float:
        return sorted(q)[min(len(q) - 1, int(0.95 * len(q)))]

    print(f"\n{'run':<26} {'circles':>7} {'bundles':>7} {'seconds':>8} {'bundles/s':>9} {'query p50/p95 ms':>16} "
          f"{'cells p50/p95 ms':>16} {'cell rows':>10} {'hub MB':>7} {'RSS MB':>7}")
    for label, r in runs:
        q, c = r["query_ms"], r["raw_query_ms"]
        circles = (r["bundles"] + (r.get("late_s") is not None)) // args.months
        late = "" if r.get("late_s") is None else f"  late bundle {r['late_s']:.2f} s"
        print(f"{label:<26} {circles:>7} {r['bundles']:>7} {r['seconds']:8.1f} {r['bundles'] / r['seconds']:9.1f} "
              f"{statistics.median(q):8.1f}/{p95(q):7.1f} {statistics.median(c):8.1f}/{p95(c):7.1f} "
              f"{r['counts']['bridge_aggregate_cell']:>10,} {sum(r['sizes'].values()) / 2**20:7.1f} {r['peak_rss_mb']:7.0f}{late}")
    if len(runs) >= 2 and runs[0][0].startswith(BASELINE):
        (_, b), (_, n) = runs[0], runs[1]
        print(f"\nspeed-up on the same bundles: {b['seconds'] / n['seconds']:.2f}x; same answer: {_same(b['answer'], n['answer'])}")
    last = runs[-1][1]
    print("bytes of sealed bundles:", f"{last['bundle_bytes']:,}", "; table sizes (bytes):",
          json.dumps(dict(sorted(last["sizes"].items(), key=lambda kv: -kv[1])[:8])))


if __name__ == "__main__":
    main()
