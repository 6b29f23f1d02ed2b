"""Two writers on one vault at once: the CLI in its own process and the web server (real uvicorn
on loopback) taking a member's quick entries. Nothing lost, no "database is locked".

``HALQA_TWO_WRITERS`` sets the events per writer (make test: 100; docs/reliability.md records
the run with 10,000 each); ``HALQA_TWO_WRITERS_BATCH`` the grievances per CLI call (1: ``listen
add`` per grievance, the default; more: ``listen import`` of that many rows per call).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from halqa import domains, places
from halqa.vault import TEST_KDF, Vault
from halqa.web import create_app
from halqa.web.state import WebState

from ..conftest import PASSPHRASE
from ..web.conftest import free_port, running

N = int(os.environ.get("HALQA_TWO_WRITERS", "100"))
BATCH = int(os.environ.get("HALQA_TWO_WRITERS_BATCH", "1"))
WEB_THREADS = 2
HOST = {"Host": "127.0.0.1:8765"}  # the address the app serves (its host check)


def test_cli_and_web_write_the_same_vault_at_once(tmp_path: Path):
    path = tmp_path / "v.halqa"
    v = domains.create_vault(path, PASSPHRASE, TEST_KDF)
    places.add_area(v, "JSR", "حي الجسر")
    places.add_household(v, "JSR", "hh-t1")
    state = WebState(path)
    web = create_app(path, state=state, vault=v)
    organiser = state.devices.issue("laptop", role="organiser")
    env = {**os.environ, "HALQA_VAULT": str(path), "HALQA_PASSPHRASE": PASSPHRASE,
           "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    statuses: list[int] = []
    errors: list[str] = []
    with running(web, free_port()) as base:
        with httpx.Client(base_url=base, timeout=60, headers=HOST) as c:
            r = c.post("/api/devices/code", json={"role": "member", "household": "hh-t1"},
                       headers={"Authorization": f"Bearer {organiser}"})
            assert r.status_code == 200, r.text
            r = c.post("/api/pair", json={"code": r.json()["code"], "name": "phone"})
            member = r.json()["token"]
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("cli_writer.py")), str(N), str(BATCH)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 text=True, env=env)

        def post(k: int) -> None:
            with httpx.Client(base_url=base, timeout=60, headers={**HOST, "Authorization": f"Bearer {member}"}) as c:
                for i in range(k, N, WEB_THREADS):
                    r = c.post("/api/listen/grievances", json={"place": "JSR", "text": f"web-{i}"})
                    statuses.append(r.status_code)
                    if r.status_code != 200:
                        errors.append(r.text[:300])

        threads = [threading.Thread(target=post, args=(k,)) for k in range(WEB_THREADS)]
        for t in threads:
            t.start()
        out, err = child.communicate(timeout=7200)
        for t in threads:
            t.join()
    v.close()
    assert "database is locked" not in err and "Traceback" not in err, err[-2000:]
    assert out.strip().splitlines()[-1] == str(N), err[-2000:]
    assert statuses.count(200) == N, errors[:3]
    with Vault.open(path, PASSPHRASE) as v:
        texts = [r[0] for r in v.query("SELECT text FROM listening_grievance")]
        assert sorted(t for t in texts if t.startswith("cli-")) == sorted(f"cli-{i}" for i in range(N))
        assert sorted(t for t in texts if t.startswith("web-")) == sorted(f"web-{i}" for i in range(N))
        assert [r[0] for r in v.conn.execute("PRAGMA integrity_check")] == ["ok"]
        assert v.digests() == v.rebuild()
        # One device, two processes: the commit sequence has no gap and no repeat.
        seqs = [r[0] for r in v.query("SELECT seq FROM commits WHERE cid IS NOT NULL ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
