"""The member app in real headless Chromium (Debian's, driven by Playwright) over HTTPS from the
vault's own CA, trusted through an NSS database in a throwaway HOME (never a flag that ignores
certificate errors): pair; stop the server; offline; reload; record; nothing readable stored;
send as a file and import it with the CLI; restart, online: the rest arrives; re-sending adds
nothing. Then axe-core on every screen in ar, ckb and en."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from halqa.vault import Vault
from halqa.web import create_app
from halqa.web.state import WebState
from halqa.web.tls import ca_certificate_pem, issue_server_certificate
from tests.conftest import PASSPHRASE
from tests.web.conftest import fill

CHROMIUM = "/usr/bin/chromium"
HOST = "halqa.test"
HOUSEHOLD = "hh-t1"
AXE = Path(__file__).resolve().parents[2] / "member-app" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]

pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
              pytest.mark.skipif(shutil.which("certutil") is None, reason="certutil (libnss3-tools) is not installed")]
playwright_api = pytest.importorskip("playwright.sync_api")

# What the app's storage is dumped as: every IndexedDB value (bytes as latin-1 text), every
# Cache Storage body, and localStorage.
DUMP = """async () => {
  const out = [], code = [];
  const text = (v) => v instanceof Uint8Array ? Array.from(v, (b) => String.fromCharCode(b)).join("")
    : JSON.stringify(v, (k, x) => x instanceof Uint8Array ? Array.from(x, (b) => String.fromCharCode(b)).join("") : x);
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = no; });
    for (const name of db.objectStoreNames) {
      const all = await new Promise((ok) => {
        const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result); });
      for (const v of all) { out.push(text(v)); if (v && v.ct) out.push(text(v.ct)); }
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const req of await cache.keys()) code.push(req.url, await (await cache.match(req)).text());
  }
  for (let i = 0; i < localStorage.length; i++) out.push(localStorage.key(i), localStorage.getItem(localStorage.key(i)));
  return {data: out, cache: code};
}"""


def _stored(page) -> tuple[str, str]:
    """Everything the app stored: (IndexedDB and localStorage values, Cache Storage bodies)."""
    dump = page.evaluate(DUMP)
    return "\n".join(dump["data"]), "\n".join(dump["cache"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``halqa serve`` as the journey needs it: HTTPS at halqa.test with a certificate from the
    vault's CA, stopped and started again on the same port."""

    def __init__(self, vault_path: Path, port: int) -> None:
        self.vault_path, self.port = vault_path, port
        self.thread: threading.Thread | None = None

    def start(self) -> WebState:
        import uvicorn

        vault = Vault.open(self.vault_path, PASSPHRASE)
        cert = issue_server_certificate(vault, [HOST, "127.0.0.1"])
        self.state = WebState(self.vault_path, lan=True, https=True, port=self.port, lan_addresses=(HOST,),
                              certificate=cert, base_url=f"https://{HOST}:{self.port}")
        app = create_app(self.vault_path, state=self.state, vault=vault)
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, ssl_certfile=str(cert.cert_file),
                                                    ssl_keyfile=str(cert.key_file)))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started
        return self.state

    def stop(self) -> None:
        if self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.thread = None
            self.state.lock()
            self.state.certificate.remove()

    def member_code(self, circle: str | None = None) -> str:
        """A member code for the household (and ``circle``), made as a script does (organiser
        token, JSON API)."""
        from starlette.testclient import TestClient

        token = self.state.devices.issue("organiser laptop", "organiser")
        client = TestClient(self.app, base_url=f"https://{HOST}:{self.port}")
        r = client.post("/api/devices/code", json={"role": "member", "household": HOUSEHOLD,
                                                   **({"circle": circle} if circle else {})},
                        headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()["code"]


@pytest.fixture
def phone_env(vault, vault_path, tmp_path):
    """A filled vault (closed), its CA trusted by a throwaway NSS database, and a server."""
    fill(vault)
    pem = ca_certificate_pem(vault)
    vault.close()
    home = tmp_path / "home"
    nss = home / ".pki" / "nssdb"
    nss.mkdir(parents=True)
    (tmp_path / "ca.pem").write_bytes(pem)
    subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "notes-ca", "-i", str(tmp_path / "ca.pem")],
                   check=True, capture_output=True)
    server = Server(vault_path, _free_port())
    server.start()
    yield home, server
    server.stop()


@contextmanager
def chromium(home: Path, extra: tuple[str, ...] = ()):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*ARGS, *extra],
                                    env={**os.environ, "HOME": str(home)})
        try:
            yield browser
        finally:
            browser.close()


def _open_with_age(vault_path: Path, shared: Path, tmp_path: Path) -> None:
    import base64

    from halqa.bridge.keys import age_identity_text

    with Vault.open(vault_path, PASSPHRASE) as vault:
        (tmp_path / "id.txt").write_text(age_identity_text(vault) + "\n")
    first = json.loads(shared.read_bytes())["entries"][0]
    (tmp_path / "entry.age").write_bytes(base64.b64decode(first["age"]))
    out = subprocess.run(["age", "-d", "-i", str(tmp_path / "id.txt"), str(tmp_path / "entry.age")], check=True,
                         capture_output=True).stdout
    envelope = json.loads(out)
    assert json.loads(envelope["body"])["id"] == first["id"] and len(envelope["sig"]) == 128


def _now_ms(page) -> int:
    return int(page.evaluate("Date.now()"))


def _local_seconds(ms: int) -> int:
    from halqa.ledger.events import local_seconds

    return local_seconds(datetime.fromtimestamp(ms / 1000, UTC), "Asia/Baghdad")


def _count(page) -> int:
    return int(page.get_attribute("[data-outbox-count]", "data-outbox-count") or "0")


def _wait_count(page, n: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while _count(page) != n and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _count(page) == n


def _save_online(page, action: str) -> None:
    """Save an entry while the server is reachable: back home, sealed, then delivered at once."""
    page.click(f"[data-action={action}]")
    page.wait_for_selector("[data-screen=home]:not([hidden])")
    _wait_count(page, 0)


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HALQA_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pair(ctx, server, lang: str, shots: Path | None = None, circle: str | None = None):
    page = ctx.new_page()
    base = f"https://{HOST}:{server.port}"
    page.goto(f"{base}/pair?code={server.member_code(circle)}&lang={lang}")
    if shots is not None:
        page.screenshot(path=str(shots / f"phone-pair-{lang}.png"), full_page=True)
    page.click("[data-action=install-app]")
    page.wait_for_selector("[data-screen=home]:not([hidden])")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.select_option("[data-field=lang]", lang)
    page.wait_for_selector(f"html[lang={lang}]")
    return page


@pytest.mark.parametrize("lang", ["ar", "ckb", "en"])
def test_member_phone_journey(phone_env, cli, vault_path, tmp_path, lang):
    home, server = phone_env
    grievance = {"ar": "الماء مقطوع منذ يومين في الزقاق", "ckb": "ئاو دوو ڕۆژە بڕاوە لە کۆڵانەکەمان",
                 "en": "No water in our lane for two days"}[lang]
    with chromium(home) as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="ar-IQ", accept_downloads=True)
        page = _pair(ctx, server, lang, _shots(tmp_path))
        assert page.locator("html").get_attribute("lang") == lang
        server.stop()
        ctx.set_offline(True)
        page.reload()
        page.wait_for_selector("[data-screen=home]:not([hidden])")  # opened offline, from the service worker
        taps: list[tuple[int, int]] = []
        for action in ("power-off", "power-on") * 3:
            before = _now_ms(page)
            page.click(f"[data-action={action}]")
            _wait_count(page, len(taps) + 1)
            taps.append((before, _now_ms(page)))
        page.click("[data-action=open][data-target=grievance]")
        page.select_option("[data-field=theme]", "water")
        page.select_option("[data-field=place]", "JSR")
        page.fill("[data-field=text]", grievance)
        page.click("[data-action=add-grievance]")
        _wait_count(page, 7)
        page.screenshot(path=str(_shots(tmp_path) / f"phone-offline-{lang}.png"))
        data, cache = _stored(page)
        for stored in (data, cache):
            assert stored and HOUSEHOLD not in stored and grievance not in stored
            assert grievance.encode().decode("latin-1") not in stored
        assert "AGE-SECRET-KEY" not in data.upper()  # nothing that opens the sealed entries
        with page.expect_download() as download:
            page.click("[data-action=share-outbox]")
        shared = tmp_path / "outbox.json"
        download.value.save_as(shared)
        code, out = cli("--json", "sync", "import", str(shared))
        assert code == 0, out
        assert json.loads(out)["added"] == 7
        if shutil.which("age"):  # what the browser sealed opens with the reference age client
            _open_with_age(vault_path, shared, tmp_path)
        # one more outage starts while the server is still down: "the rest"
        before = _now_ms(page)
        page.click("[data-action=power-off]")
        _wait_count(page, 8)
        taps.append((before, _now_ms(page)))
        server.start()
        ctx.set_offline(False)
        _wait_count(page, 0, timeout=20)  # delivered on regaining the network; acknowledged, dropped
        ctx.close()
    server.stop()
    vault = Vault.open(vault_path, PASSPHRASE)
    try:
        # taps a few hundred ms apart often share a second: the open outage sorts after a closed
        # one that started in the same second (start_at alone leaves the order to the index)
        rows = vault.query("SELECT start_at, end_at FROM ledger_interval WHERE household = ? AND id LIKE 'm%' "
                           "ORDER BY start_at, end_at IS NULL, end_at", (HOUSEHOLD,))
        assert len(rows) == 4
        for i, (start, end) in enumerate(rows):
            lo, hi = taps[2 * i]
            assert _local_seconds(lo) - 1 <= start <= _local_seconds(hi) + 1
            if i < 3:
                lo, hi = taps[2 * i + 1]
                assert _local_seconds(lo) - 1 <= end <= _local_seconds(hi) + 1
            else:
                assert end is None
        texts = [r[0] for r in vault.query("SELECT text FROM listening_grievance WHERE text = ?", (grievance,))]
        assert texts == [grievance]
        today = datetime.now(ZoneInfo("Asia/Baghdad")).date().isoformat()
        assert vault.query_one("SELECT day FROM listening_grievance WHERE text = ?", (grievance,))[0] == today
        events = vault.query_one("SELECT count(*) FROM events")[0]
    finally:
        vault.close()
    code, out = cli("--json", "sync", "import", str(shared))  # re-sending adds nothing
    assert code == 0 and json.loads(out)["added"] == 0
    vault = Vault.open(vault_path, PASSPHRASE)
    try:
        assert vault.query_one("SELECT count(*) FROM events")[0] == events
    finally:
        vault.close()


SCREENS = ("home", "grievance", "water")


@pytest.mark.skipif(not AXE.exists(), reason="member-app/node_modules is missing (make setup runs npm ci)")
def test_axe_finds_no_serious_violations_on_the_apps_screens(phone_env, tmp_path):
    home, server = phone_env
    axe = AXE.read_text(encoding="utf-8")
    shots = _shots(tmp_path)
    found = []
    with chromium(home) as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="ar-IQ")
        page = _pair(ctx, server, "ar")
        page.evaluate(axe)
        for lang in ("ar", "ckb", "en"):
            page.select_option("[data-field=lang]", lang)
            page.wait_for_selector(f"html[lang={lang}]")
            for screen in SCREENS:
                if screen != "home":
                    page.click(f"[data-action=open][data-target={screen}]")
                page.wait_for_selector(f"[data-screen={screen}]:not([hidden])")
                result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                found += [(lang, screen, v["id"], v["impact"]) for v in result["violations"]
                          if v["impact"] in ("serious", "critical")]
                page.screenshot(path=str(shots / f"phone-{screen}-{lang}.png"))
                if screen != "home":
                    page.click(f"[data-screen={screen}] [data-action=open][data-target=home]")
        ctx.close()
        fresh = browser.new_context(viewport={"width": 360, "height": 800})  # before pairing
        page = fresh.new_page()
        page.goto(f"https://{HOST}:{server.port}/m/")
        page.wait_for_selector("[data-screen=unpaired]:not([hidden])")
        page.evaluate(axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found += [("ar", "unpaired", v["id"], v["impact"]) for v in result["violations"]
                  if v["impact"] in ("serious", "critical")]
        fresh.close()
    assert not found, found


def test_one_gesture_erases_the_outbox_and_the_apps_storage(phone_env):
    home, server = phone_env
    with chromium(home) as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 800})
        page = _pair(ctx, server, "en")
        server.stop()
        page.click("[data-action=power-off]")
        _wait_count(page, 1)
        assert all(_stored(page))
        page.on("dialog", lambda d: d.accept())
        page.click("[data-action=erase]")
        page.wait_for_selector("[data-screen=unpaired]:not([hidden])")
        assert _stored(page) == ("", "")
        assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
        ctx.close()


def test_a_voice_note_recorded_in_the_browser_reaches_the_vault(phone_env):
    home, server = phone_env
    fake_microphone = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
    with chromium(home, fake_microphone) as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 800})
        page = _pair(ctx, server, "en")
        page.click("[data-action=open][data-target=grievance]")
        page.click("[data-action=record-voice]")
        page.wait_for_timeout(1200)
        page.click("[data-action=record-voice]")
        page.wait_for_selector("[data-voice-state]:has-text('Voice note ready')")
        page.select_option("[data-field=place]", "JSR")
        _save_online(page, "add-grievance")
        ctx.close()
    with server.state.use() as vault:
        row = vault.query_one("SELECT length(v.data), v.mime FROM listening_grievance g JOIN listening_voice v "
                              "ON v.id = g.voice")
    assert row is not None and row[0] > 1000 and row[1].startswith("audio/")


def test_a_check_in_from_the_phone_reaches_the_vault(phone_env):
    """A member paired with a circle sees the check-in screen and sends a private check-in."""
    from halqa.circles.events import CirclePut
    from halqa.i18n import catalogue
    from halqa.learning.events import iso_week

    home, server = phone_env
    today = datetime.now(ZoneInfo("Asia/Baghdad")).date()
    with server.state.use() as vault:
        vault.append("circles_circle.put", CirclePut(id="c-t", members=[f"m-t{i}" for i in range(5)],
                                                     formed="2026-01-01"))
    with chromium(home) as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 800})
        page = _pair(ctx, server, "ckb", circle="c-t")
        page.click("[data-action=open][data-target=checkin]")
        page.wait_for_selector("[data-screen=checkin]:not([hidden])")
        # its words come from the catalogue, in the chosen language
        assert page.text_content("[data-screen=checkin] h2") == catalogue("ckb")["app.checkin"]
        page.select_option("[data-field=score]", "4")
        _save_online(page, "add-checkin")
        ctx.close()
    with server.state.use() as vault:
        rows = vault.query("SELECT circle, week, score FROM learning_checkin")
        paired = vault.query("SELECT circle FROM bridge_contact WHERE role = 'member'")
    assert [tuple(r) for r in rows] == [("c-t", iso_week(today.isoformat()), 4)]
    assert [tuple(r) for r in paired] == [("c-t",)]  # the vault, not the phone, decides the circle
