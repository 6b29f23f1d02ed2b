"""The web app under attack (issue 21): DNS rebinding, a member's phone acting as an organiser,
unbounded bodies, malformed fields. Each test was seen failing before the fix."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import halqa.ledger as ledger
import halqa.listening as listening
from halqa.i18n import catalogue
from halqa.vault import Vault
from halqa.web import create_app
from halqa.web.pipeline import MAX_BODY, Access, View
from halqa.web.state import WebState
from tests.conftest import PASSPHRASE
from tests.web.conftest import BASE

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "web.md"
EVIL = "http://evil.example:8765"  # the attacker's name, rebound to 127.0.0.1


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _member(client: TestClient, organiser_token: str, household: str = "hh-t1") -> str:
    """A member token for ``household``, made the way a script makes one."""
    r = client.post("/api/devices/code", json={"role": "member", "household": household}, headers=_bearer(organiser_token))
    assert r.status_code == 200, r.text
    r = client.post("/api/pair", json={"code": r.json()["code"], "name": "phone"})
    assert r.status_code == 200 and r.json()["role"] == "member", r.text
    return str(r.json()["token"])


# ---------------------------------------------------------------------- DNS rebinding
def test_dns_rebinding_with_wipe_after_leaves_the_vault_intact(filled, vault_path):
    filled.set_wipe_after(3)
    filled.close()
    app = create_app(vault_path)
    # The attacker's page at evil.example, its name now pointing at 127.0.0.1: same-origin to the
    # browser, so it may send JSON; only the Host header tells the server it is not itself.
    page = TestClient(app, base_url=EVIL)
    for guess in ("a", "b", "c", "d"):
        r = page.post("/api/unlock", json={"passphrase": guess}, headers={"Origin": EVIL})
        assert r.status_code == 400 and r.json()["error"] == "web.error.bad_host"
        r = page.post("/unlock", data={"passphrase": guess}, headers={"Origin": EVIL})
        assert r.status_code == 400
    assert vault_path.exists()
    Vault.open(vault_path, PASSPHRASE).close()


def test_rebinding_cannot_burn_pairing_codes(app, state):
    code = state.devices.new_code(role="organiser")
    page = TestClient(app, base_url=EVIL)
    for _ in range(state.devices.max_failures + 2):
        assert page.post("/api/pair", json={"code": "AAAA-AAAA"}).status_code == 400
    r = TestClient(app, base_url=BASE).post("/api/pair", json={"code": code, "name": "laptop"})
    assert r.status_code == 200 and r.json()["role"] == "organiser"


def test_every_served_host_is_accepted_and_no_other():
    from halqa.web.security import served_hosts

    hosts = served_hosts(8765, ("192.168.1.20",))
    assert {"127.0.0.1:8765", "localhost:8765", "[::1]:8765", "192.168.1.20:8765"} == hosts
    assert served_hosts(443, (), https=True) >= {"127.0.0.1", "localhost", "[::1]", "127.0.0.1:443"}


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "127.0.0.1.evil.example:8765", "", "localhost"])
def test_other_hosts_are_refused_before_any_handler(app, host):
    c = TestClient(app, base_url=BASE)
    for r in (c.get("/unlock", headers={"Host": host}), c.get("/static/app.css", headers={"Host": host}),
              c.post("/api/unlock", json={"passphrase": "x"}, headers={"Host": host})):
        assert r.status_code == 400, host
        assert r.headers["content-security-policy"]


def test_unproven_unlock_and_pairing_are_refused_and_not_counted(filled, vault_path):
    filled.set_wipe_after(3)
    filled.close()
    app = create_app(vault_path)
    c = TestClient(app, base_url=BASE)
    for _ in range(4):
        # a cross-site form: no CSRF token (the other site cannot read it) and a foreign Origin
        r = c.post("/api/unlock", data={"passphrase": "guess"})
        assert r.status_code == 403 and r.json()["error"] == "web.error.csrf"
        r = c.post("/unlock", data={"passphrase": "guess"}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = c.post("/api/unlock", json={"passphrase": "guess"}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = c.post("/api/pair", content=b'{"code": "AAAA-AAAA"}', headers={"Content-Type": "text/plain"})
        assert r.status_code == 403
    assert app.state.web.devices._failures == 0
    Vault.open(vault_path, PASSPHRASE).close()  # nothing was counted, nothing wiped
    r = c.post("/api/unlock", json={"passphrase": PASSPHRASE})
    assert r.status_code == 200 and r.json()["role"] == "organiser"


# ---------------------------------------------------------------------- roles
def _documented_routes() -> dict[tuple[str, str], str]:
    """The route table in docs/guide/web.md: ``| `GET` | `/path` | who |``."""
    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("### Route table"):]
    rows = re.findall(r"^\| `(GET|POST)` \| `([^`]+)` \| (public|member|organiser) \|", table, re.M)
    return {(method, path): who for method, path, who in rows}


def _coded_routes(app) -> dict[tuple[str, str], str]:
    return {(m, r.path): r.access.value for r in app.routes if isinstance(r, View) for m in r.methods if m != "HEAD"}


def test_the_guide_lists_every_route_with_who_may_use_it(app):
    coded = _coded_routes(app)
    assert len(coded) > 40
    expected = "\n".join(f"| `{m}` | `{p}` | {who} |" for (m, p), who in sorted(coded.items(), key=lambda r: (r[0][1], r[0][0])))
    assert _documented_routes() == coded, "the route table in docs/guide/web.md should read:\n" + expected


def test_a_member_gets_403_on_every_organiser_route_and_200_on_its_own(app, state):
    c = TestClient(app, base_url=BASE)
    member = _member(c, state.devices.issue("laptop", role="organiser"))
    walked = {"organiser": 0, "member": 0}
    for (method, path), who in sorted(_coded_routes(app).items()):
        if who == "public" or (method, path) == ("POST", "/lock"):  # /lock last: it ends the token
            continue
        r = c.request(method, path, headers=_bearer(member), json={} if method == "POST" else None, follow_redirects=False)
        if who == "organiser":
            assert r.status_code == 403, (method, path, r.status_code)
            if path.startswith("/api/"):
                assert r.json()["error"] == "web.error.organiser_only"
            else:
                assert catalogue("ar")["web.error.organiser_only"] in r.text
        elif method == "GET":
            assert r.status_code == 200, (method, path, r.status_code, r.text[:200])
        else:  # an empty form is bad input for the member's own quick entries, never refused
            assert r.status_code in (200, 303, 400), (method, path, r.status_code, r.text[:200])
        walked[who] += 1
    assert walked["organiser"] >= 25 and walked["member"] >= 15
    assert c.post("/lock", headers=_bearer(member), follow_redirects=False).status_code == 303
    assert state.is_open  # a member's lock forgets only its own token
    assert c.get("/api/status", headers=_bearer(member)).status_code == 401


def test_a_member_writes_and_reads_only_for_its_own_household(app, state, filled):
    c = TestClient(app, base_url=BASE)
    member = _member(c, state.devices.issue("laptop", role="organiser"), "hh-t1")
    r = c.post("/api/ledger/power", json={"household": "hh-t1", "state": "off"}, headers=_bearer(member))
    assert r.status_code == 200 and ledger.open_interval(filled, "hh-t1") is not None
    r = c.post("/api/ledger/power", json={"household": "hh-t2", "state": "off"}, headers=_bearer(member))
    assert r.status_code == 403 and r.json()["error"] == "web.error.not_your_household"
    assert ledger.open_interval(filled, "hh-t2") is None
    assert c.get("/ledger/household?household=hh-t2", headers=_bearer(member)).status_code == 403
    r = c.post("/api/ledger/water", json={"household": "hh-t1", "day": "2026-11-02", "no_water": True},
               headers=_bearer(member))
    assert r.status_code == 200, r.text
    r = c.post("/api/listen/grievances", json={"place": "JSR", "text": "my own words"}, headers=_bearer(member))
    assert r.status_code == 200
    mine = c.get("/api/mine", headers=_bearer(member)).json()
    assert [g["text"] for g in mine["grievances"]] == ["my own words"]
    assert mine["household"] == "hh-t1" and mine["open_interval"] is not None
    # what others entered stays hidden: the grievance list and the contacts are the organiser's
    texts = {g.text for g in listening.list_grievances(filled)}
    assert "الكهرباء ما تجي" in texts
    assert c.get("/api/listen/grievances", headers=_bearer(member)).status_code == 403
    assert c.get("/api/bridge/contacts", headers=_bearer(member)).status_code == 403
    assert c.post("/bridge/export", data={"everything": "yes"}, headers=_bearer(member)).status_code == 403


def test_the_script_interface_for_pairing(filled, vault_path):
    from halqa.web import prepare

    filled.close()
    ready = prepare(vault_path, PASSPHRASE, port=8765)
    c = TestClient(ready.app, base_url=BASE)
    code = ready.login_url.split("/pair?code=")[1]
    r = c.post("/api/pair", json={"code": code, "name": "laptop"})
    assert r.status_code == 200 and r.json()["role"] == "organiser"
    organiser = r.json()["token"]
    r = c.post("/api/devices/code", json={"role": "organiser"}, headers=_bearer(organiser))
    assert r.status_code == 200 and c.post("/api/pair", json={"code": r.json()["code"]}).json()["role"] == "organiser"
    for bad, field in (({"role": "member"}, "household"), ({"role": "member", "household": "hh-nobody"}, "household"),
                       ({"role": "chief"}, "role")):
        r = c.post("/api/devices/code", json=bad, headers=_bearer(organiser))
        assert r.status_code == 400 and r.json()["params"]["field"] == field, r.text
    member = _member(c, organiser, "hh-t1")
    assert c.post("/api/devices/code", json={"role": "organiser"}, headers=_bearer(member)).status_code == 403
    ready.state.lock()


# ---------------------------------------------------------------------- limits
def test_a_20_mib_body_gets_413_without_being_read(app, state):
    c = TestClient(app, base_url=BASE)
    token = state.devices.issue("laptop", role="organiser")
    big = b"x" * (20 * 1024 * 1024)
    r = c.post("/api/unlock", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "web.error.too_large"
    # no Content-Length (chunked): the cap is enforced while the body streams in
    status, read = _stream_post(app, "/api/listen/grievances", 20 * 16, token)
    assert status == 413
    assert read * 65536 <= MAX_BODY + 65536  # stopped at the cap, not after 20 MiB
    # the voice note route takes more, still bounded
    r = c.post("/quick/grievance", files={"voice": ("a.ogg", big, "audio/ogg")}, data={"place": "JSR"},
               headers=_bearer(token))
    assert r.status_code == 413


def _stream_post(app, path: str, chunks: int, token: str) -> tuple[int, int]:
    """POST ``chunks`` pieces of 64 KiB without a Content-Length, straight to the ASGI app;
    returns the status and how many pieces the app asked for."""
    read = 0
    statuses: list[int] = []

    async def receive() -> dict:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"y" * 65536, "more_body": read < chunks}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8765),
             "headers": [(b"host", b"127.0.0.1:8765"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {token}".encode())]}
    asyncio.run(app(scope, receive, send))
    return statuses[0], read


def test_malformed_fields_are_400_naming_the_field(client, state):
    token = state.devices.issue("laptop", role="organiser")
    cases = [("POST", "/api/listen/grievances", {"place": "JSR", "text": "x", "count": "many"}, "count"),
             ("POST", "/api/listen/grievances", {"place": "JSR", "text": "x", "count": True}, "count"),
             ("POST", "/api/listen/grievances", {"place": "JSR", "themes": "water", "text": "x"}, "themes"),
             ("POST", "/api/listen/grievances", {"place": ["JSR"], "text": "x"}, "place"),
             ("GET", "/api/listen/grievances?limit=ten", None, "limit"),
             ("GET", "/api/ledger?from=nonsense", None, "from"),
             ("POST", "/api/ledger/power", {"household": "hh-t1", "state": "dark"}, "state")]
    for method, path, body, field in cases:
        r = client.request(method, path, json=body, headers=_bearer(token))
        assert r.status_code == 400, (path, body, r.status_code, r.text[:200])
        assert r.json()["params"]["field"] == field, (path, r.json())
    r = client.post("/circles/vouch", data={"csrf": client.csrf, "voucher": "m-t0", "vouchee": "m-t3", "strength": "x"})
    assert r.status_code == 400 and "strength" in r.text


def test_the_lan_addresses_announced_are_served(filled, vault_path):
    state = WebState(vault_path, lan=True, lan_addresses=("192.168.1.20",))
    app = create_app(vault_path, state=state, vault=filled)
    assert TestClient(app, base_url="http://192.168.1.20:8765").get("/unlock").status_code == 200
    assert TestClient(app, base_url="http://192.168.1.21:8765").get("/unlock").status_code == 400


def test_access_is_declared_on_every_route(app):
    assert all(isinstance(r.access, Access) for r in app.routes if isinstance(r, View))


def test_a_member_sees_only_its_circles_next_meeting_cover(app, state, filled):
    import halqa.circles as circles

    circles.form_circles(filled, apply=True, min_size=3, max_size=6, seed=1, time_limit=5.0)
    ids = [c.id for c in circles.circles(filled)]
    for cid in ids:
        circles.schedule(filled, cid, weeks=4, seed=1)
    c = TestClient(app, base_url=BASE)
    organiser = state.devices.issue("laptop", role="organiser")
    r = c.post("/api/devices/code", json={"role": "member", "household": "hh-t1", "circle": ids[0]}, headers=_bearer(organiser))
    phone = c.post("/api/pair", json={"code": r.json()["code"]}).json()["token"]
    shown = c.get("/api/circles/next", headers=_bearer(phone)).json()["meeting"]
    first = next(m for m in circles.meetings(filled, ids[0]) if m.day >= shown["day"])
    assert set(shown) == {"day", "part", "hour", "cover"} and shown["cover"] == first.cover and shown["day"] == first.day
    assert first.host not in c.get("/meeting", headers=_bearer(phone)).text  # no host, no members
    unbound = _member(c, organiser, "hh-t2")  # a member without a circle sees no meeting
    assert c.get("/api/circles/next", headers=_bearer(unbound)).json() == {"meeting": None}
