"""Benchmark of halqa.bridge: bundles of 100,000 events each way, and 100 bundles into the hub.

Targets (issue 8): export + seal and open + verify + merge of a 100,000-event bundle in under
10 s each way; merging 100 bundles from different circles into the hub in under 60 s. Baseline in
the same run: the standard ``age`` command-line tool encrypting (and decrypting) the same inner
bytes, and pyrage alone.

Run: ``.venv/bin/python benchmarks/bench_bridge.py [--events 100000] [--bundles 100]``. The hub
part starts a throwaway PostgreSQL server (skipped if the binaries are absent).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from halqa import domains
from halqa.bridge import add_contact, export_bundle, identity, import_bundle
from halqa.bridge.bundle import read_inner, seal
from halqa.bridge.keys import age_identity, age_identity_text
from halqa.places import HouseholdPut
from halqa.vault import TEST_KDF

ROWS: list[tuple[str, float, str]] = []


def timed(label: str, fn, target: str = ""):
    start = time.perf_counter()
    out = fn()
    ROWS.append((label, time.perf_counter() - start, target))
    return out


def fill(vault, n: int, prefix: str = "hh") -> None:
    with vault.transaction() as tx:
        for i in range(n):
            tx.append("household.put", HouseholdPut(id=f"{prefix}-{i}", area="NKH", size=i % 9, joined="2026-05-01"))


def start_pg(root: Path):
    pg_bin = next((str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    initdb = shutil.which("initdb") or (pg_bin and f"{pg_bin}/initdb")
    pg_ctl = shutil.which("pg_ctl") or (pg_bin and f"{pg_bin}/pg_ctl")
    if not initdb or not os.path.exists(initdb):
        return None, None
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        shutil.chown(root, "postgres")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*prefix, initdb, "-D", str(root / "d"), "-A", "trust", "-U", "postgres", "--no-sync"], check=True,
                   capture_output=True)
    subprocess.run([*prefix, pg_ctl, "-D", str(root / "d"), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], check=True, capture_output=True)
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", lambda: subprocess.run(
        [*prefix, pg_ctl, "-D", str(root / "d"), "-m", "immediate", "stop"], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--bundles", type=int, default=100)
    ap.add_argument("--per-bundle", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="halqa-bench-"))
    try:
        domains.load()
        a = domains.create_vault(tmp / "a.halqa", "bench-pass", TEST_KDF)
        b = domains.create_vault(tmp / "b.halqa", "bench-pass", TEST_KDF)
        # two devices of one circle (role "device"): full replicas, every kind accepted
        add_contact(a, "b", text=identity(b).text, role="device")
        add_contact(b, "a", text=identity(a).text, role="device")
        timed(f"fill sender vault ({args.events:,} events)", lambda: fill(a, args.events))
        out = tmp / "bundle.age"
        res = timed(f"export + seal {args.events:,} events", lambda: export_bundle(a, ["b"], out), "< 10 s")
        size = res.size
        got = timed("open + verify + merge (import)", lambda: import_bundle(b, out), "< 10 s")
        assert got.events_new >= args.events
        inner = __import__("pyrage").decrypt(out.read_bytes(), [age_identity(b)])
        timed("  of which: pyrage decrypt alone", lambda: __import__("pyrage").decrypt(out.read_bytes(), [age_identity(b)]))
        timed("  of which: parse + check inner", lambda: read_inner(inner))
        timed("baseline: pyrage encrypt same bytes", lambda: seal(inner, [identity(b).age_recipient]))
        (tmp / "inner.bin").write_bytes(inner)
        if shutil.which("age"):
            key = tmp / "b.key"
            key.write_text(age_identity_text(b) + "\n")
            timed("baseline: age CLI encrypt same bytes", lambda: subprocess.run(
                ["age", "-r", identity(b).age_recipient, "-o", str(tmp / "cli.age"), str(tmp / "inner.bin")], check=True))
            timed("baseline: age CLI decrypt", lambda: subprocess.run(
                ["age", "-d", "-i", str(key), "-o", str(tmp / "cli.out"), str(tmp / "cli.age")], check=True))
        # the other way: b sends back what a lacks (nothing but b's bookkeeping) and a full resend
        res2 = timed(f"export --all back ({b.count_events():,} events)", lambda: export_bundle(b, ["a"], tmp / "back.age",
                                                                                               everything=True), "< 10 s")
        timed("import back (all known, idempotent)", lambda: import_bundle(a, tmp / "back.age"), "< 10 s")
        a.close()
        b.close()

        # ---- the hub: 100 bundles from 100 circles
        pg_root = Path(tempfile.mkdtemp(prefix="halqa-bench-pg-"))
        url, stop = start_pg(pg_root)
        if url is None:
            ROWS.append(("hub: PostgreSQL not installed, skipped", 0.0, ""))
        else:
            import psycopg

            from halqa.bridge import hub_init
            from halqa.bridge.hub import import_many

            with psycopg.connect(url, autocommit=True) as c:
                c.execute("CREATE DATABASE hub")
            hub = hub_init(url.rsplit("/", 1)[0] + "/hub")
            ally = domains.create_vault(tmp / "ally.halqa", "bench-pass", TEST_KDF)  # baseline: the embedded store
            files = []

            def make_circles() -> None:
                for i in range(args.bundles):
                    v = domains.create_vault(tmp / f"c{i}.halqa", "bench-pass", TEST_KDF)
                    for name, store in (("hub", hub), ("ally", ally)):
                        # the raw merge rate of whole commits, so "device" (a circle role would
                        # refuse every kind but aggregates: that path is tests/bridge/test_hub.py's)
                        add_contact(v, name, text=identity(store).text, role="device")
                        add_contact(store, f"c{i}", text=identity(v).text, role="device")
                    fill(v, args.per_bundle, prefix=f"c{i}")
                    export_bundle(v, ["hub", "ally"], tmp / f"c{i}.age")
                    files.append(tmp / f"c{i}.age")
                    v.close()

            timed(f"make {args.bundles} circles x {args.per_bundle:,} events (setup)", make_circles)
            r = timed(f"hub (PostgreSQL): import {args.bundles} bundles ({args.bundles * args.per_bundle:,} events)",
                      lambda: import_many(hub, files, accept=('commits',)), "< 60 s")
            assert r.imported == args.bundles, r.rejected[:2]
            r2 = timed("baseline: same bundles into an embedded vault", lambda: import_many(ally, files, accept=('commits',)))
            assert r2.imported == args.bundles
            ROWS.append((f"  hub holds {hub.info()['events']:,} events", 0.0, ""))
            hub.close()
            ally.close()
            stop()
        shutil.rmtree(pg_root, ignore_errors=True)
        print(f"\nbundle: {size:,} bytes for {args.events:,} events ({size / max(args.events, 1):.0f} B/event); "
              f"back: {res2.size:,} bytes")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(r[0]) for r in ROWS)
    print(f"\n{'step':<{width}}  {'seconds':>8}  target")
    for label, sec, target in ROWS:
        print(f"{label:<{width}}  {sec:8.2f}  {target}")


if __name__ == "__main__":
    main()
