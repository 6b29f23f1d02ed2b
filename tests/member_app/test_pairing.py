"""Pairing a phone (`/api/m/pair`), the outbox endpoint, the app's files, and the vault's CA."""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*httpx2.*")

from cryptography import x509  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from halqa.bridge import contacts  # noqa: E402
from halqa.web import create_app  # noqa: E402
from halqa.web.state import WebState  # noqa: E402
from halqa.web.tls import ca_certificate_pem, ca_fingerprint, issue_server_certificate  # noqa: E402
from tests.member_app.conftest import Phone, _recipient  # noqa: E402

BASE = "http://127.0.0.1:8765"


@pytest.fixture
def web(homes, vault_path):
    state = WebState(vault_path)
    client = TestClient(create_app(vault_path, state=state, vault=homes), base_url=BASE)
    return client, state


def _pair(client, code: str, key: bytes | None = None):
    key = key or os.urandom(32)
    public = SigningKey(key).verify_key.encode().hex()
    return client.post("/api/m/pair", json={"code": code, "key": public, "recipient": _recipient()}), key


def test_pairing_makes_a_member_contact_and_never_names_the_household(web, homes):
    client, state = web
    r, key = _pair(client, state.devices.new_code("member", "hh-a1"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert "hh-a1" not in r.text
    assert body["recipients"][0].startswith("age1")
    assert {p["id"] for p in body["places"]} == {"JSR"}
    assert any(t["id"] == "water" and t["ar"] and t["ckb"] and t["en"] for t in body["themes"])
    public = SigningKey(key).verify_key.encode().hex()
    (contact,) = [c for c in contacts(homes) if c.signing_key == public]
    assert (contact.role, contact.household) == ("member", "hh-a1")
    assert state.devices.list() == []  # no web token is left behind
    # the phone's entries now arrive over the network
    phone = Phone(body["recipients"], key=key)
    phone.record("power-off")
    r = client.post("/api/m/outbox", content=phone.file(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["held"] == [phone.outbox[0][0]] and r.json()["added"] == 1
    again = client.post("/api/m/outbox", content=phone.file(), headers={"content-type": "application/json"})
    assert again.json()["added"] == 0 and again.json()["held"] == [phone.outbox[0][0]]


def test_a_phone_paired_for_a_circle_checks_in_for_that_circle_only(web, homes):
    client, state = web
    r, key = _pair(client, state.devices.new_code("member", "hh-a1", "c-a"))
    assert r.status_code == 200 and r.json()["circle"] == "c-a"
    (contact,) = [c for c in contacts(homes) if c.role == "member"]
    assert contact.circle == "c-a"
    post = {"headers": {"content-type": "application/json"}}
    elsewhere = Phone(r.json()["recipients"], key=key)
    elsewhere.record("checkin", score=1, circle="c-b")
    before = homes.query_one("SELECT count(*) FROM events")[0]
    assert client.post("/api/m/outbox", content=elsewhere.file(), **post).status_code == 400
    assert homes.query_one("SELECT count(*) FROM events")[0] == before
    phone = Phone(r.json()["recipients"], key=key)
    phone.record("checkin", score=4)
    assert client.post("/api/m/outbox", content=phone.file(), **post).status_code == 200
    assert [tuple(r) for r in homes.query("SELECT circle, score FROM learning_checkin")] == [("c-a", 4)]


def test_codes_that_are_not_a_members_are_refused(web, homes):
    client, state = web
    before = len(contacts(homes))
    r, _ = _pair(client, state.devices.new_code("organiser"))
    assert r.status_code == 403
    r, _ = _pair(client, "ABCD-EFGH")
    assert r.status_code == 403
    r = client.post("/api/m/pair", json={"code": state.devices.new_code("member", "hh-a1"), "key": "zz",
                                         "recipient": _recipient()})
    assert r.status_code == 400
    assert len(contacts(homes)) == before


def test_outbox_endpoint_refuses_damage_with_400_and_writes_nothing(web, homes):
    client, _ = web
    before = homes.query_one("SELECT count(*) FROM events")[0]
    r = client.post("/api/m/outbox", content=b'{"format": "halqa-outbox", "version": 1, "entries": [{"id": "x"}]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("outbox.")
    assert homes.query_one("SELECT count(*) FROM events")[0] == before


def test_app_files_are_served_with_the_strict_policy(web):
    client, _ = web
    for path, kind in (("/m/", "text/html"), ("/m/app.js", "text/javascript"), ("/m/sw.js", "text/javascript"),
                       ("/m/manifest.webmanifest", "application/manifest+json")):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
        assert "manifest-src 'self'" in r.headers["content-security-policy"]
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", r.text), path  # no CDN, no external host
    html = client.get("/m/").text
    for action in ("power-off", "power-on", "add-grievance", "sync", "share-outbox", "erase"):
        assert f'data-action="{action}"' in html
    for name in ("theme", "place", "text"):
        assert f'data-field="{name}"' in html
    assert "data-outbox-count" in html


def test_the_pairing_page_offers_the_app_and_the_ca(homes, vault_path):
    state = WebState(vault_path, https=True, lan=True)
    client = TestClient(create_app(vault_path, state=state, vault=homes), base_url="https://127.0.0.1:8765")
    page = client.get("/pair?code=KX4M-9TQA&lang=en").text
    assert 'action="/m/"' in page and 'name="code" value="KX4M-9TQA"' in page and 'href="/ca.crt"' in page
    assert page.count('name="look"') == 3
    assert "Android" in page and "iPhone" in page
    r = client.get("/ca.crt")
    assert r.status_code == 200 and r.content == ca_certificate_pem(homes)


def test_the_ca_lives_in_the_vault_and_vouches_only_for_local_names(homes, tmp_path):
    first = ca_certificate_pem(homes)
    assert ca_certificate_pem(homes) == first  # made once, kept in the vault
    ca = x509.load_pem_x509_certificate(first)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    permitted = ca.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees
    assert x509.DNSName("test") in permitted and not any(isinstance(n, x509.DNSName) and n.value == "com" for n in permitted)
    cert = issue_server_certificate(homes, ["192.168.1.20", "halqa.test"], folder=tmp_path / "c")
    try:
        assert cert.fingerprint == ca_fingerprint(homes)
        assert oct(cert.key_file.stat().st_mode & 0o777) == "0o600"
        leaf = x509.load_pem_x509_certificates(cert.cert_file.read_bytes())[0]
        leaf.verify_directly_issued_by(ca)
        assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=31)
    finally:
        cert.remove()


def test_the_webs_bridge_import_takes_an_outbox(homes, vault_path):
    from halqa.web.security import COOKIE_DEVICE
    from tests.member_app.conftest import pair
    from tests.web.conftest import csrf_of

    state = WebState(vault_path)
    client = TestClient(create_app(vault_path, state=state, vault=homes), base_url=BASE)
    client.cookies.set(COOKIE_DEVICE, state.devices.issue("laptop", role="organiser"))
    phone = pair(homes, "hh-a1")
    phone.record("power-off")
    phone.record("grievance", theme="water", place="JSR", text="sent by Bluetooth")
    csrf = csrf_of(client, "/bridge")
    r = client.post("/bridge/import", data={"csrf": csrf}, files={"bundle": ("notes.json", phone.file(), "application/json")})
    assert r.status_code == 200, r.text[:300]
    assert homes.query_one("SELECT count(*) FROM listening_grievance WHERE text = 'sent by Bluetooth'")[0] == 1
    bad = client.post("/bridge/import", data={"csrf": csrf},
                      files={"bundle": ("notes.json", phone.file()[:-20], "application/json")})
    assert bad.status_code == 400


def test_the_manifest_and_icon_follow_the_look_chosen_at_pairing(web):
    client, _ = web
    default = client.get("/m/manifest.webmanifest").json()
    assert default["name"] == "ملاحظات" and default["start_url"] == "/m/" and default["dir"] == "rtl"
    recipes = client.get("/m/manifest.webmanifest?look=recipes&lang=en").json()
    assert recipes["name"] == "Recipes" and recipes["icons"][0]["src"] == "/m/icon.svg?look=recipes"
    assert client.get("/m/icon.svg?look=recipes").content != client.get("/m/icon.svg").content
    assert client.get("/m/manifest.webmanifest?look=halqa").status_code == 400


def test_serve_lan_uses_the_vaults_ca_and_says_how_to_pair_a_phone(vault, vault_path):
    from halqa.vault import Vault
    from halqa.web import prepare
    from tests.conftest import PASSPHRASE

    expected = ca_fingerprint(vault)
    vault.close()
    ready = prepare(vault_path, PASSPHRASE, lan=True, port=18765)
    try:
        assert ready.certificate is not None and ready.certificate.fingerprint == expected
        chain = x509.load_pem_x509_certificates(ready.certificate.cert_file.read_bytes())
        assert len(chain) == 2 and chain[0].issuer == chain[1].subject
        assert any("/pair?code=CODE" in line for line in ready.lines)
    finally:
        ready.state.lock()
        ready.certificate.remove()
    with Vault.open(vault_path, PASSPHRASE) as again:  # the CA stays in the vault
        assert ca_fingerprint(again) == expected
