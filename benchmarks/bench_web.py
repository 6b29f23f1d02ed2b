"""Web face: response time (p50/p95 over loopback, real uvicorn) and page weight of every page on
the demo vault, against a baseline measured in the same run: the favicon (the same server, auth
and headers, no vault work). Targets (issue 10): p95 < 200 ms, weight < 200 KB without images.

    python benchmarks/bench_web.py [--runs 20]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
import warnings

warnings.filterwarnings("ignore")

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from halqa.app import run_demo  # noqa: E402
from halqa.vault import TEST_KDF, Vault  # noqa: E402
from halqa.web import create_app  # noqa: E402

PAGES = ["/", "/listen", "/listen/suggest", "/listen/shared", "/listen/hotspots", "/ledger", "/ledger/calendar",
         "/ledger/household?household=", "/circles", "/circles/exposure", "/aid", "/learning", "/bridge", "/devices",
         "/api/ledger", "/api/listen/shared", "/api/circles"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-web-")
    t0 = time.perf_counter()
    path, report = run_demo(folder, "bench passphrase", kdf=TEST_KDF)
    print(f"demo vault: {report['vault']['events']} events, made in {time.perf_counter() - t0:.1f} s")
    vault = Vault.open(path, "bench passphrase")
    app = create_app(path, vault=vault)
    state = app.state.web
    token = state.devices.issue("bench", organiser=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    household = vault.query_one("SELECT id FROM household ORDER BY id")[0]
    assets = 0
    with httpx.Client(base_url=base, cookies={"sid": token}) as client:
        for asset in ("/static/app.css", "/static/app.js", "/favicon.ico"):
            assets += len(client.get(asset).content)

        def timed(path: str) -> tuple[list[float], int, int]:
            times, size, status = [], 0, 0
            client.get(path)  # warm
            for _ in range(args.runs):
                start = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                size, status = len(r.content), r.status_code
            return times, size, status

        base_times, _, _ = timed("/favicon.ico")
        b50, b95 = statistics.median(base_times), sorted(base_times)[int(0.95 * (len(base_times) - 1))]
        print(f"\n{'path':32} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>8} {'KB':>7} {'KB+assets':>9}  ok")
        print(f"{'baseline /favicon.ico':32} {200:>6} {b50:8.1f} {b95:8.1f} {1:8.1f} {'':>7} {'':>9}")
        for page in PAGES:
            path = page + household if page.endswith("=") else page
            times, size, status = timed(path)
            p50, p95 = statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]
            weight = (size + (assets if not page.startswith("/api/") else 0)) / 1024
            ok = p95 < 200 and (page.startswith("/api/") or weight < 200)
            verdict = "yes" if ok else "NO"
            print(f"{page:32} {status:>6} {p50:8.1f} {p95:8.1f} {p95 / b95:8.1f} {size / 1024:7.1f} {weight:9.1f}  {verdict}")
    print(f"\nassets (css + js + icon): {assets / 1024:.1f} KB; runs per page: {args.runs}")
    server.should_exit = True
    vault.close()


if __name__ == "__main__":
    main()
