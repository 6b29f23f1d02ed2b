"""The web pages of institutions (the ``views/<domain>.py`` layout): Arabic first, forms that work, roles kept."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

import halqa.institutions as inst
from halqa import places
from halqa.web import create_app
from halqa.web.security import COOKIE_DEVICE
from halqa.web.state import WebState

from .helpers import MEMBERS, neighbourhood

BASE = "http://127.0.0.1:8765"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _client(vault, vault_path, organiser: bool) -> TestClient:
    state = WebState(vault_path)
    app = create_app(vault.path, state=state, vault=vault)
    c = TestClient(app, base_url=BASE)
    role, household = ("organiser", None) if organiser else ("member", "hh-web")
    c.cookies.set(COOKIE_DEVICE, state.devices.issue("t", role=role, household=household))
    c.csrf = CSRF.search(c.get("/decide").text).group(1)
    return c


def test_decide_pages_arabic_first_and_the_whole_flow(vault, vault_path):
    homes = neighbourhood(vault)
    c = _client(vault, vault_path, organiser=True)
    page = c.get("/decide")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "القرارات" in page.text
    r = c.post("/decide/propose", data={"csrf": c.csrf, "title": "محطة فلترة", "mode": "majority",
                                        "option": ["نعم", "لا", ""], "quorum": "2"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    pid = r.headers["location"].split("id=")[1].split("&")[0]
    for m, ch in zip(MEMBERS[:3], ("نعم", "نعم", "لا"), strict=True):
        assert c.post("/decide/position", data={"csrf": c.csrf, "id": pid, "member": m, "choice": ch},
                      follow_redirects=False).status_code == 303
    assert "نعم" in c.get(f"/decide?id={pid}").text
    assert c.post("/decide/count", data={"csrf": c.csrf, "id": pid, "n:نعم": "2", "n:لا": "0"},
                  follow_redirects=False).status_code == 303
    assert c.post("/decide/close", data={"csrf": c.csrf, "id": pid}, follow_redirects=False).status_code == 303
    done = inst.proposal(vault, pid)
    assert done.outcome == "نعم" and done.participants == 5
    text = c.get(f"/decide?id={pid}").text
    assert "m-a" in text  # organisers see who took part
    bad = c.post("/decide/position", data={"csrf": c.csrf, "id": pid, "member": "m-a", "choice": "لا"})
    assert bad.status_code == 400 and "أُغلق" in bad.text
    api = c.get("/api/decide").json()
    assert api["decisions"][0]["id"] == pid
    inst.create_service(vault, "w", "water", areas=["NKH"])
    r = c.post("/services/deliver", data={"csrf": c.csrf, "service": "w", "household": homes["NKH"][0],
                                          "quantity": "40", "day": "2026-08-01"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/services?month=2026-08")
    nkh = next(a for a in places.areas(vault) if a.code == "NKH")
    assert page.status_code == 200 and nkh.name_ar in page.text and "ما وفّرناه بأنفسنا" in page.text
    refused = c.post("/services/deliver", data={"csrf": c.csrf, "service": "w", "household": homes["MNA"][0],
                                                "quantity": "40"})
    assert refused.status_code == 400 and len(inst.deliveries(vault)) == 1
    assert c.get("/api/services/account?month=2026-08").json()["areas"]["NKH"]["water"]["network_litres"] == 40
    en = c.get("/decide?lang=en")
    assert 'dir="ltr"' in en.text and "Decision log" in en.text


def test_members_cannot_open_count_or_close_and_see_no_names(vault, vault_path):
    neighbourhood(vault)
    p = inst.propose(vault, "x", ["a", "b"])
    inst.position(vault, p.id, "m-a", "a")
    c = _client(vault, vault_path, organiser=False)
    # a member device is tied to a household, not to a pseudonym: it may not vote in anyone's name
    for path in ("/decide/propose", "/decide/position", "/decide/count", "/decide/close", "/decide/link",
                 "/services/deliver"):
        assert c.post(path, data={"csrf": c.csrf, "id": p.id, "title": "y", "option": ["a", "b"], "member": "m-b",
                                  "choice": "b"}).status_code == 403
    inst.close(vault, p.id)
    assert inst.proposal(vault, p.id).participants == 1  # m-a alone: the refused vote left nothing
    assert "m-a" not in c.get(f"/decide?id={p.id}").text
