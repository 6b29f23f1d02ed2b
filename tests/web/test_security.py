"""Security: no page or API answers without a token, CSRF, headers, the error shape, pairing,
lock, idle lock, duress, panic."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from halqa import errors
from halqa.vault.outside import remember
from halqa.web import create_app, status_for
from halqa.web.pipeline import Access, View
from halqa.web.security import CSP
from halqa.web.state import WebState
from tests.conftest import PASSPHRASE
from tests.web.conftest import BASE, csrf_of


def _routes(app, method: str) -> list[str]:
    paths = sorted({r.path for r in app.routes
                    if isinstance(r, View) and method in (r.methods or ()) and r.access is not Access.PUBLIC})
    assert paths, method  # an app with no routes must not pass
    return paths


@pytest.mark.parametrize("lan", [False, True])
def test_nothing_answers_without_a_token(filled, vault_path, lan):
    app = create_app(vault_path, state=WebState(vault_path, lan=lan), vault=filled)
    anon = TestClient(app, base_url=BASE)
    for path in _routes(app, "GET"):
        r = anon.get(path, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, path
            assert r.json()["error"] == "web.error.no_token"
        else:
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/pair" if lan else "/unlock"), path
    for path in _routes(app, "POST"):
        r = anon.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert r.status_code in (401, 403), path
    # a made-up token is no token
    r = anon.get("/api/circles", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_every_response_carries_the_headers(client, anon):
    for r in (client.get("/"), client.get("/api/circles"), anon.get("/unlock"), anon.get("/static/app.css"),
              anon.get("/nowhere"), anon.get("/api/circles"), anon.get("/favicon.ico")):
        assert r.headers["content-security-policy"] == CSP
        assert "no-store" in r.headers["cache-control"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "server" not in r.headers
    assert "'unsafe-inline'" not in CSP and "http" not in CSP


def test_csrf_is_required_on_every_form(client):
    assert client.post("/quick/decode", data={"lines": "x"}).status_code == 403
    assert client.post("/quick/decode", data={"lines": "x", "csrf": "0" * 40}).status_code == 403
    r = client.post("/quick/decode", data={"lines": "x", "csrf": client.csrf}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.post("/quick/decode", data={"lines": "x", "csrf": client.csrf}).status_code == 200
    # every page form carries the token
    for path in ("/", "/circles", "/devices", "/panic", "/listen/suggest"):
        html = client.get(path).text
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S)
        assert forms, path
        assert all('name="csrf"' in f for f in forms), path


def test_scripts_use_a_bearer_token_without_csrf(anon, state):
    r = anon.post("/api/unlock", json={"passphrase": PASSPHRASE})
    assert r.status_code == 200
    token = r.json()["token"]
    fresh = TestClient(anon.app, base_url=BASE)
    r = fresh.get("/api/circles", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and isinstance(r.json(), list)
    r = fresh.post("/api/listen/grievances", headers={"Authorization": f"Bearer {token}"},
                   json={"place": "JSR", "text": "no water again", "themes": ["water"]})
    assert r.status_code == 200 and r.json()["place"] == "JSR"


def test_error_shape_and_status_mapping(client):
    assert status_for(errors.InvalidInput()) == 400
    assert status_for(errors.NotFound()) == 400
    assert status_for(errors.WrongPassphrase()) == 401
    assert status_for(errors.VaultLocked()) == 401
    assert status_for(errors.AccessDenied()) == 403
    assert status_for(errors.VaultMissing(path="x")) == 503
    assert status_for(errors.HalqaError()) == 500
    r = client.get("/api/ledger?from=nonsense", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert r.status_code == 400
    assert r.json() == errors.InvalidInput("web.error.field.day", field="from", value="nonsense").to_dict()
    assert set(r.json()) == {"error", "message", "exit_code", "params"}
    r = client.post("/api/ledger/power", json={"household": "hh-none", "state": "off"},
                    headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 400 and r.json()["exit_code"] == 2
    r = client.get("/api/nowhere")
    assert r.status_code == 404 and r.json()["error"] == "web.error.no_page"


def test_unlock_in_the_browser(vault_path, filled):
    filled.close()
    app = create_app(vault_path)
    c = TestClient(app, base_url=BASE)
    assert c.get("/", follow_redirects=False).headers["location"].startswith("/unlock")
    token = csrf_of(c)
    r = c.post("/unlock", data={"passphrase": "wrong horse", "csrf": token})
    assert r.status_code == 401 and "passphrase" in r.text
    assert not app.state.web.is_open
    r = c.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": token, "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert c.get("/circles").status_code == 200
    r = c.post("/api/unlock", json={"passphrase": "wrong"})
    assert r.status_code == 401 and r.json()["error"] == "error.wrong_passphrase"
    assert app.state.web.is_open  # a wrong try does not close what is open
    c.post("/lock", data={"csrf": token})
    assert not app.state.web.is_open
    assert c.get("/circles", follow_redirects=False).status_code == 303


def test_too_many_wrong_passphrases_are_refused(anon):
    for _ in range(5):
        assert anon.post("/api/unlock", json={"passphrase": "wrong"}).status_code == 401
    r = anon.post("/api/unlock", json={"passphrase": PASSPHRASE})
    assert r.status_code == 403 and r.json()["error"] == "web.error.too_many"


def test_idle_lock(filled, vault_path):
    now = [1000.0]
    state = WebState(vault_path, idle_seconds=60, clock=lambda: now[0])
    app = create_app(vault_path, state=state, vault=filled)
    c = TestClient(app, base_url=BASE)
    c.cookies.set("sid", state.devices.issue("t", role="organiser"))
    assert c.get("/api/circles").status_code == 200
    now[0] += 61
    r = c.get("/api/circles")
    assert r.status_code == 401 and r.json()["error"] == "web.error.locked"
    assert state.events == ["unlocked", "idle"] and state.vault is None
    assert c.get("/", follow_redirects=False).headers["location"] == "/unlock?next=/"


def test_duress_passphrase_at_the_web_unlock_shows_the_decoy(filled, vault_path):
    filled.set_duress("duress words here")
    filled.close()
    c = TestClient(create_app(vault_path), base_url=BASE)
    token = c.post("/api/unlock", json={"passphrase": "duress words here"}).json()["token"]
    texts = {g["text"] for g in c.get("/api/listen/grievances", headers={"Authorization": f"Bearer {token}"}).json()}
    assert "الكهرباء ما تجي" not in texts
    token = c.post("/api/unlock", json={"passphrase": PASSPHRASE}).json()["token"]
    texts = {g["text"] for g in c.get("/api/listen/grievances", headers={"Authorization": f"Bearer {token}"}).json()}
    assert "الكهرباء ما تجي" in texts


def test_panic_asks_then_destroys(client, vault_path, state, tmp_path):
    poster = tmp_path / "elsewhere" / "poster.pdf"  # a file halqa wrote outside the vault's folder
    poster.parent.mkdir()
    poster.write_bytes(b"%PDF")
    remember(state.vault, poster, "poster")
    assert "csrf" in client.get("/panic").text
    r = client.post("/panic", data={"csrf": client.csrf})
    assert r.status_code == 400 and vault_path.exists()
    r = client.post("/panic", data={"csrf": client.csrf, "confirm": "yes"})
    assert r.status_code == 200 and not vault_path.exists() and not poster.exists()
    assert "cookies" in r.headers["clear-site-data"]
    assert state.events[-1] == "panic" and state.devices.list() == []


def test_members_cannot_panic_or_pair(app, state):
    member = TestClient(app, base_url=BASE)
    member.cookies.set("sid", state.devices.redeem(state.devices.new_code("member", "hh-t1"), "phone")[0])
    assert member.get("/").status_code == 200
    assert member.get("/panic").status_code == 403
    assert member.get("/devices").status_code == 403


def test_lan_pairing(filled, vault_path):
    now = [0.0]
    state = WebState(vault_path, lan=True)
    state.devices.clock = lambda: now[0]
    app = create_app(vault_path, state=state, vault=filled)
    organiser = TestClient(app, base_url=BASE)
    organiser.cookies.set("sid", state.devices.issue("laptop", role="organiser"))
    token = csrf_of(organiser, "/devices")
    page = organiser.post("/devices/code", data={"csrf": token, "role": "member", "household": "hh-t1"}).text
    code = re.search(r'class="code" dir="ltr">([A-Z0-9-]+)<', page).group(1)
    assert "<svg" in page and f"/pair?code={code}" in page
    phone, stranger = TestClient(app, base_url=BASE), TestClient(app, base_url=BASE)
    assert stranger.get("/", follow_redirects=False).headers["location"].startswith("/pair")
    assert stranger.get("/api/ledger").status_code == 401
    r = phone.post("/pair", data={"code": code.lower().replace("-", " "), "name": "phone", "csrf": csrf_of(phone, "/pair")},
                   follow_redirects=False)
    assert r.status_code == 303
    assert phone.get("/ledger").status_code == 200 and phone.get("/listen").status_code == 403
    # single use
    r = stranger.post("/pair", data={"code": code, "csrf": csrf_of(stranger, "/pair")})
    assert r.status_code == 403
    assert stranger.get("/api/circles").status_code == 401
    # expiring codes and tokens
    late = state.devices.new_code("organiser")
    now[0] += 601
    with pytest.raises(errors.AccessDenied):
        state.devices.redeem(late, "x")
    # revocable
    devices = state.devices.list()
    member = next(d for d in devices if not d.organiser)
    organiser.post("/devices/revoke", data={"csrf": token, "id": member.id})
    assert phone.get("/api/circles").status_code == 401
    now[0] += 13 * 3600
    assert organiser.get("/api/circles").status_code == 401


def test_guessing_codes_cancels_them(state):
    code = state.devices.new_code("member", "hh-t1")
    for _ in range(state.devices.max_failures):
        with pytest.raises(errors.AccessDenied):
            state.devices.redeem("AAAA-AAAA", "x")
    with pytest.raises(errors.AccessDenied):
        state.devices.redeem(code, "x")
