"""Web face: response time (p50/p95 over loopback, real uvicorn) and page weight of every page on
a vault holding 1,000,000 events, against a baseline measured in the same run: the favicon (the
same server, auth and headers, no vault work). Targets (issue 10): p95 < 200 ms, weight < 200 KB
without images.

The big vault is the demo vault grown through the domains' bulk paths (see :func:`build_big`);
it is made once (a few minutes) and cached in ``--cache`` (default: a folder in the system's
temporary directory). ``--events 0`` measures the plain demo vault. Each page is also timed once
*cold* (the first request after a write, when the web layer's per-vault cache is empty).

    python benchmarks/bench_web.py [--runs 20] [--events 1000000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import socket
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from halqa.domains import run_demo  # noqa: E402
from halqa.vault import TEST_KDF, Vault  # noqa: E402
from halqa.web import create_app  # noqa: E402
from halqa.web.state import WebState  # noqa: E402

PAGES = ["/", "/listen", "/listen/suggest", "/listen/shared", "/listen/hotspots", "/ledger", "/ledger/calendar",
         "/ledger/household?household=", "/circles", "/circles/exposure", "/aid", "/learning", "/bridge", "/publish",
         "/devices", "/api/ledger", "/api/listen/shared", "/api/listen/hotspots", "/api/circles", "/api/publish"]

PASSPHRASE = "bench passphrase"
TARGET = 1_000_000
BIG_VERSION = "1"  # bump when the recipe changes: the cached vault is rebuilt


def _csv(header: list[str], rows: Any) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def build_big(folder: Path, target: int = TARGET) -> Path:
    """The demo vault grown to ``target`` events through the domains' bulk paths, made once and
    cached in ``folder`` (a temporary folder by default): a year of outage records for 2,000 more
    households (ledger CSV import, 5,000 intervals per event), 3,000 more members with 12,000
    vouches, fund contributions, and grievances (CSV import, one event each) for the rest."""
    import halqa.circles as circles
    import halqa.ledger as ledger
    import halqa.listening as listening
    import halqa.mutual_aid as aid

    folder.mkdir(parents=True, exist_ok=True)
    path, done = folder / "demo.halqa", folder / f"built-{BIG_VERSION}-{target}"
    if done.exists() and path.exists():
        return path
    for old in folder.iterdir():
        old.unlink()
    t0 = time.perf_counter()
    run_demo(folder, PASSPHRASE, kdf=TEST_KDF)
    rng = random.Random(2026)
    with Vault.open(path, PASSPHRASE) as vault:
        areas = [r[0] for r in vault.query("SELECT code FROM area ORDER BY code")]
        themes = [th["id"] for th in listening.themes(vault)]
        # ledger: a year of evening and morning cuts for 2,000 households, 100,000 rows per import
        last = dt.date(2026, 8, 29)
        days = [last - dt.timedelta(days=i) for i in range(365)]
        rows: list[list[str]] = []

        def flush_ledger() -> None:
            if rows:
                ledger.import_file(vault, _csv(["household", "area", "start", "end", "source"], rows).encode(), fmt="csv")
                rows.clear()

        for h in range(2000):
            hh, area = f"hh-big{h:04d}", areas[h % len(areas)]
            for day in days:
                for _ in range(rng.choice((1, 2, 2, 3))):
                    start = dt.datetime.combine(day, dt.time(rng.randrange(0, 22), rng.choice((0, 15, 30, 45))))
                    end = start + dt.timedelta(minutes=rng.randrange(20, 120))
                    if end.date() == day:
                        rows.append([hh, area, start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes"), "grid"])
            if len(rows) >= 100_000:
                flush_ledger()
        flush_ledger()
        print(f"  ledger: {vault.query_one('SELECT count(*) FROM ledger_interval')[0]:,} intervals "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        # circles: 3,000 members, 12,000 vouches
        with vault.transaction():
            names = [f"m-big{i:04d}" for i in range(3000)]
            for i, name in enumerate(names):
                circles.add_member(vault, name, labels={"sect": rng.choice(("shia", "sunni", "christian")),
                                                        "sector": rng.choice(("oil", "construction", "transport"))},
                                   area=areas[i % len(areas)])
            for i, name in enumerate(names):
                for k in (1, 2, 7, 31):
                    circles.add_vouch(vault, name, names[(i + k) % len(names)], rng.randrange(1, 6))
        # mutual aid: contributions to the demo's funds
        funds = [f["name"] for f in aid.funds(vault)]
        with vault.transaction():
            for i in range(150_000):
                aid.contribute(vault, funds[i % len(funds)], f"m-big{i % 3000:04d}", str(rng.randrange(1, 50) * 1000),
                               day=rng.choice(days).isoformat())
        print(f"  circles and funds: {vault.info()['events']:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
        # listening: the rest as grievances, 50,000 per import
        texts = ["الكهرباء ما تجي من الصبح", "الماي مقطوع", "الأسعار نار", "ماكو شغل", "المولدة غالية", "الإيجار زاد"]
        g_days = [dt.date(2026, 11, 24) - dt.timedelta(days=i) for i in range(365)]
        while (left := target - vault.info()["events"]) > 0:
            n = min(left, 50_000)
            listening.import_grievances(vault, _csv(list(listening.COLUMNS), (
                [rng.choice(texts), rng.choice(themes), rng.choice(areas), rng.choice(g_days).isoformat(), "", "",
                 rng.randrange(1, 4)] for _ in range(n))), fmt="csv")
        print(f"  grievances: {vault.info()['events']:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
    done.write_text("ok")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--events", type=int, default=TARGET, help="events in the vault (0: the plain demo vault)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "halqa-bench-web"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.events:
        path = build_big(Path(args.cache) / str(args.events), args.events)
    else:
        path, _ = run_demo(tempfile.mkdtemp(prefix="bench-web-"), PASSPHRASE, kdf=TEST_KDF)
    vault = Vault.open(path, PASSPHRASE)
    events = vault.query_one("SELECT count(*) FROM events")[0]
    intervals = vault.query_one("SELECT count(*) FROM ledger_interval")[0]
    grievances = vault.query_one("SELECT count(*) FROM listening_grievance")[0]
    print(f"vault: {events:,} events ({intervals:,} outage intervals, {grievances:,} grievances), "
          f"ready in {time.perf_counter() - t0:.1f} s")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = WebState(path, port=port)  # the server answers only to its own host and port
    app = create_app(path, vault=vault, state=state)
    token = state.devices.issue("bench", role="organiser")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    household = vault.query_one("SELECT id FROM household ORDER BY id")[0]
    assets = 0
    with httpx.Client(base_url=base, cookies={"sid": token}, timeout=900) as client:
        for asset in ("/static/app.css", "/static/app.js", "/favicon.ico"):
            assets += len(client.get(asset).content)

        def timed(path: str) -> tuple[list[float], int, int, float]:
            times, size, status = [], 0, 0
            start = time.perf_counter()
            client.get(path)  # cold: the first request computes what later ones reuse
            cold = (time.perf_counter() - start) * 1000
            for _ in range(args.runs):
                start = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                size, status = len(r.content), r.status_code
            return times, size, status, cold

        base_times, _, _, _ = timed("/favicon.ico")
        b50, b95 = statistics.median(base_times), sorted(base_times)[int(0.95 * (len(base_times) - 1))]
        print(f"\n{'path':32} {'status':>6} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>8} {'KB':>7} "
              f"{'KB+assets':>9}  ok")
        print(f"{'baseline /favicon.ico':32} {200:>6} {'':>8} {b50:8.1f} {b95:8.1f} {1:8.1f} {'':>7} {'':>9}")
        worst = 0.0
        for page in PAGES:
            path = page + household if page.endswith("=") else page
            times, size, status, cold = timed(path)
            p50, p95 = statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]
            worst = max(worst, p95)
            weight = (size + (assets if not page.startswith("/api/") else 0)) / 1024
            ok = status == 200 and p95 < 200 and (page.startswith("/api/") or weight < 200)
            verdict = "yes" if ok else "NO"
            print(f"{page:32} {status:>6} {cold:8.0f} {p50:8.1f} {p95:8.1f} {p95 / b95:8.1f} {size / 1024:7.1f} "
                  f"{weight:9.1f}  {verdict}")
    print(f"\nassets (css + js + icon): {assets / 1024:.1f} KB; runs per page: {args.runs}; worst p95: {worst:.0f} ms")
    server.should_exit = True
    vault.close()


if __name__ == "__main__":
    main()
