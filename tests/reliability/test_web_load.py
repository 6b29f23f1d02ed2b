"""The web server under load: concurrent clients on loopback for a fixed time, mixing a member's
quick entries and page views, on a large vault. Latency percentiles, errors, entries counted in
the vault afterwards, and the server's memory at start and end.

A long run, kept out of ``make test``: it runs only with ``HALQA_LOAD=1``. The recorded run in
docs/reliability.md::

    HALQA_LOAD=1 HALQA_LOAD_EVENTS=1000000 HALQA_LOAD_CLIENTS=50 HALQA_LOAD_SECONDS=60 \\
        .venv/bin/python -m pytest -s tests/reliability/test_web_load.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from halqa import domains, places
from halqa.listening.write import Vocabulary, build_grievance
from halqa.places import HouseholdPut
from halqa.vault import TEST_KDF, Vault

from ..conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(os.environ.get("HALQA_LOAD") != "1", reason="a long run: set HALQA_LOAD=1")
EVENTS = int(os.environ.get("HALQA_LOAD_EVENTS", "1000000"))
CLIENTS = int(os.environ.get("HALQA_LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("HALQA_LOAD_SECONDS", "60"))
HOST = {"Host": "127.0.0.1:8765"}
PAGES = ["/", "/ledger", "/api/mine", "/api/status"]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_web_under_load(tmp_path: Path):
    path = tmp_path / "big.halqa"
    v = domains.create_vault(path, PASSPHRASE, TEST_KDF)
    places.add_area(v, "JSR", "حي الجسر")
    places.add_household(v, "JSR", "hh-load")
    # A circle's vault grown large: a few hundred households, the rest grievances over a year.
    v.append_many(("household.put", HouseholdPut(id=f"hh-{i:04d}", area="JSR")) for i in range(300))
    vocab = Vocabulary(v)
    first = dt.date.today() - dt.timedelta(days=365)
    batch = 100_000
    for start in range(0, EVENTS, batch):
        v.append_many(("listening_grievance.put",
                       build_grievance(vocab, themes=["electricity"], place="JSR", text=f"g{i}",
                                       day=(first + dt.timedelta(days=i % 365)).isoformat()))
                      for i in range(start, min(EVENTS, start + batch)))
    v.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("web_server_child.py")), str(path), PASSPHRASE],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(server.stdout.readline())
        base = f"http://127.0.0.1:{info['port']}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/status", headers=HOST, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        with httpx.Client(base_url=base, headers=HOST, timeout=60) as c:
            r = c.post("/api/devices/code", json={"role": "member", "household": "hh-load"},
                       headers={"Authorization": f"Bearer {info['organiser']}"})
            member = c.post("/api/pair", json={"code": r.json()["code"], "name": "phone"}).json()["token"]
        rss_start = _rss_kib(info["pid"])
        latencies: list[float] = []
        errors: list[str] = []
        acked: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def client(k: int) -> None:
            with httpx.Client(base_url=base, timeout=60,
                              headers={**HOST, "Authorization": f"Bearer {member}"}) as c:
                n = 0
                while time.monotonic() < stop:
                    t0 = time.monotonic()
                    text = f"load-{k}-{n}"
                    try:
                        if n % 2 == 0:
                            r = c.post("/api/listen/grievances", json={"place": "JSR", "text": text})
                        else:
                            r = c.get(PAGES[(n // 2) % len(PAGES)])
                        status = str(r.status_code)
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    took = time.monotonic() - t0
                    with lock:
                        latencies.append(took)
                        if status != "200":
                            errors.append(f"{status} {PAGES[(n // 2) % len(PAGES)] if n % 2 else 'entry'}")
                        elif n % 2 == 0:
                            acked.append(text)
                    n += 1

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss_end = _rss_kib(info["pid"])
    finally:
        server.kill()
        server.wait()
    q = statistics.quantiles(latencies, n=100)
    print(json.dumps({"events": EVENTS, "clients": CLIENTS, "seconds": SECONDS, "requests": len(latencies),
                      "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
                      "p99_ms": round(q[98] * 1000, 1), "errors": len(errors), "entries": len(acked),
                      "rss_start_mib": round(rss_start / 1024, 1), "rss_end_mib": round(rss_end / 1024, 1)}))
    with Vault.open(path, PASSPHRASE) as v:
        held = {r[0] for r in v.query("SELECT text FROM listening_grievance WHERE text LIKE 'load-%'")}
    assert set(acked) <= held, "every acknowledged entry is in the vault"
    assert not errors, errors[:5]
