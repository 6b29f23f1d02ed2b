"""The same rules through the web face: its export and import call the library, which enforces roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from halqa.bridge.events import ContactPut
from halqa.places import add_area
from tests.conftest import new_vault

from .test_roles import add, files, forge, own_commits

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")


@pytest.fixture
def web(vault):
    """The organiser's browser on the circle's vault, paired and holding a CSRF token."""
    import re

    from starlette.testclient import TestClient

    from halqa.web import create_app
    from halqa.web.security import COOKIE_DEVICE
    from halqa.web.state import WebState

    state = WebState(vault.path)
    client = TestClient(create_app(vault.path, state=state, vault=vault), base_url="http://127.0.0.1:8765")
    client.cookies.set(COOKIE_DEVICE, state.devices.issue("test", role="organiser"))
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    return client


def test_web_export_and_import_follow_roles(web, vault, tmp_path: Path):
    ally = new_vault(tmp_path, "ally")
    try:
        add(vault, "ally", ally, "ally")
        add_area(vault, "NKH", "حي النخيل")
        full = web.post("/bridge/export", data={"csrf": web.csrf, "contact": "ally", "everything": "yes"})
        assert full.status_code == 400 and "ally" in full.text  # never the full history to an ally
        agg = web.post("/bridge/export", data={"csrf": web.csrf, "contact": "ally"})
        assert agg.status_code == 200 and agg.content.startswith(b"age-encryption.org/")
        # The ally tries to take over a contact through the web's import.
        start = int(ally.meta("seq"))
        target = vault.query_one("SELECT id FROM bridge_contact WHERE name = 'ally'")[0]
        ally.append("bridge_contact.put", ContactPut(id=target, name="ally", verified="in-person"))
        bundle = forge(ally, vault, own_commits(ally, start))
        before = files(vault)
        r = web.post("/bridge/import", data={"csrf": web.csrf}, files={"bundle": ("b.age", bundle, "application/octet-stream")})
        assert r.status_code == 400 and "bridge_contact.put" in r.text
        assert files(vault) == before
    finally:
        ally.close()
