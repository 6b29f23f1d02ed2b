"""Fixtures for the web face: a small vault with one of everything, clients with and without a token."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import threading
import time
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*httpx2.*")

from starlette.testclient import TestClient  # noqa: E402

import halqa.circles as circles  # noqa: E402
import halqa.listening as listening  # noqa: E402
import halqa.places as places  # noqa: E402
from halqa.web import create_app  # noqa: E402
from halqa.web.security import COOKIE_DEVICE  # noqa: E402
from halqa.web.state import WebState  # noqa: E402

BASE = "http://127.0.0.1:8765"
#: A hand-drawn GeoJSON of the test areas (and bad features the import rejects): real maps.
NEIGHBOURHOOD = Path(__file__).resolve().parents[1] / "places" / "data" / "neighbourhood.geojson"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def fill(vault) -> None:
    """Two areas, a few households, grievances and members: enough for every page to show rows."""
    places.add_area(vault, "JSR", "حي الجسر", name_en="Bridge Quarter", name_ckb="گەڕەکی پرد")
    places.add_area(vault, "SUQ", "حي السوق", name_en="Market Quarter", name_ckb="گەڕەکی بازاڕ")
    places.import_boundaries(vault, NEIGHBOURHOOD)
    for i in range(4):
        places.add_household(vault, "JSR" if i % 2 else "SUQ", pseudonym=f"hh-t{i}")
    today = dt.date.today().isoformat()
    listening.add_grievance(vault, themes=["electricity"], place="JSR", day=today, text="الكهرباء ما تجي")
    listening.add_grievance(vault, place="SUQ", day=today, text="الماي مالح")
    for i in range(6):
        circles.add_member(vault, f"m-t{i}", labels={"sect": "a" if i % 2 else "b"})
    for i in range(6):
        circles.add_vouch(vault, f"m-t{i}", f"m-t{(i + 1) % 6}", 4)


@pytest.fixture
def filled(vault):
    fill(vault)
    return vault


@pytest.fixture
def state(vault_path) -> WebState:
    return WebState(vault_path)


@pytest.fixture
def app(filled, state):
    return create_app(filled.path, state=state, vault=filled)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(app, port: int):
    """Serve ``app`` with real uvicorn on loopback in a thread while the block runs."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def csrf_of(client: TestClient, path: str = "/unlock") -> str:
    return CSRF.search(client.get(path).text).group(1)


@pytest.fixture
def anon(app) -> TestClient:
    """A browser with no device token."""
    return TestClient(app, base_url=BASE)


@pytest.fixture
def client(app, state) -> TestClient:
    """The organiser's browser: paired (as if it had unlocked) and holding a CSRF cookie."""
    c = TestClient(app, base_url=BASE)
    c.cookies.set(COOKIE_DEVICE, state.devices.issue("test", role="organiser"))
    c.csrf = csrf_of(c, "/")
    return c


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory):
    """The demo neighbourhood (every domain's step but the posters, which pages only offer): long
    lists, every kind of row."""
    import random

    from halqa.domains import load
    from tests.conftest import new_vault

    vault = new_vault(tmp_path_factory.mktemp("demo"), "demo")
    rng = random.Random(2026)
    for mod in load():
        if getattr(mod, "demo", None) is not None and mod.__name__ != "halqa.publish":
            mod.demo(vault, rng)
    yield vault
    vault.close()
