"""Journeys in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), in
Arabic at a phone's viewport: unlock, record an outage and a grievance, domain pages (the
hotspots map), make a poster and download the PDF, form circles, lock; a paired and an unpaired
second browser; duress. No request may leave the server."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import halqa.ledger as ledger
import halqa.listening as listening
from halqa.vault import Vault
from halqa.web import create_app
from halqa.web.state import WebState
from tests.conftest import PASSPHRASE
from tests.web.conftest import free_port, running

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DURESS = "weather is nice today"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(filled, vault_path):
    """The app on a real port (uvicorn in a thread), vault locked: unlocking happens in the browser."""
    filled.set_duress(DURESS)
    filled.close()
    port = free_port()
    state = WebState(vault_path, lan=True, port=port)
    with running(create_app(vault_path, state=state), port) as base:
        yield base, state
    state.lock()


@pytest.fixture
def browser(tmp_path):
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _context(browser, requests: list[str]):
    ctx = browser.new_context(viewport={"width": 360, "height": 800}, locale="ar-IQ", device_scale_factor=1)
    ctx.on("request", lambda req: requests.append(req.url))
    return ctx


def _shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HALQA_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_organiser_journey_in_arabic(server, browser, vault_path, tmp_path):
    base, state = server
    shots = _shots_dir(tmp_path)
    requests: list[str] = []
    ctx = _context(browser, requests)
    page = ctx.new_page()
    page.goto(base + "/")
    assert page.url.startswith(base + "/unlock")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.title() == "ملاحظات"
    page.screenshot(path=str(shots / "unlock.png"))
    page.fill("#passphrase", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    # quick entry: the power went off, then a grievance
    page.fill("#household", "hh-t1")
    page.click("button.off")
    page.wait_for_url("**/?done=off")
    assert page.locator("p.ok").inner_text() == "تم الحفظ: الكهرباء مقطوعة."
    page.select_option("#theme", "water")
    page.select_option("#place", "JSR")
    page.fill("#text", "الماي مقطوع من يومين")
    page.click("form[action='/quick/grievance'] button[type=submit]")
    page.wait_for_url("**/?done=grievance")
    page.screenshot(path=str(shots / "home.png"), full_page=True)
    # the text runs right to left: the header's first link sits at the right edge
    box = page.locator("nav a").first.bounding_box()
    assert box["x"] > 180
    # a domain page
    page.click("nav a[href='/listen']")
    page.wait_for_url(base + "/listen")
    assert "الماي مقطوع من يومين" in page.content()
    page.screenshot(path=str(shots / "listen.png"), full_page=True)
    page.goto(base + "/listen/hotspots")
    assert page.locator("figure.map svg path").count() >= 2  # the districts, drawn inline
    page.screenshot(path=str(shots / "listening-map.png"), full_page=True)
    page.goto(base + "/ledger")
    page.screenshot(path=str(shots / "ledger.png"), full_page=True)
    # make a poster: pick it, download the PDF
    page.click("nav a[href='/publish']")
    page.wait_for_url(base + "/publish")
    page.check("input[name=kind][value=hotspots]")
    page.select_option("#p-format", "pdf")
    page.select_option("#p-style", "print2")
    page.screenshot(path=str(shots / "poster.png"))
    with page.expect_download(timeout=60_000) as info:
        page.click("form[action='/publish/poster'] button[type=submit]")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    poster = Path(download.path()).read_bytes()
    assert poster.startswith(b"%PDF-") and len(poster) > 5_000
    assert b"/Producer" not in poster and b"/Author" not in poster
    page.goto(base + "/circles")
    page.fill("#min_size", "3")
    page.fill("#max_size", "6")
    page.click("form[action='/circles/form'] button[type=submit]")
    page.wait_for_selector("input[name=apply]", state="attached")
    page.screenshot(path=str(shots / "circles-preview.png"), full_page=True)
    page.click("form[action='/circles/form'] button[type=submit]")
    page.wait_for_url("**/circles?done=formed")
    # pairing: a second browser with a code gets in; a third without one is refused
    page.goto(base + "/devices")
    page.click("form[action='/devices/code'] button")
    code = page.locator("p.code").inner_text().strip()
    page.screenshot(path=str(shots / "devices.png"), full_page=True)
    phone_requests: list[str] = []
    phone = _context(browser, phone_requests).new_page()
    phone.goto(f"{base}/pair?code={code}")
    phone.click("button[type=submit]")
    phone.wait_for_url(base + "/")
    assert phone.locator("button.off").count() == 1
    stranger = _context(browser, []).new_page()
    stranger.goto(base + "/ledger")
    assert urlsplit(stranger.url).path == "/pair"
    response = stranger.request.get(base + "/api/ledger")
    assert response.status == 401
    # lock
    page.click("button.lock")
    page.wait_for_url("**/unlock")
    assert not state.is_open
    hosts = {urlsplit(u).netloc for u in requests + phone_requests}
    assert hosts == {urlsplit(base).netloc}, hosts
    with Vault.open(vault_path, PASSPHRASE) as vault:
        assert ledger.open_interval(vault, "hh-t1") is not None
        assert any(g.text == "الماي مقطوع من يومين" for g in listening.list_grievances(vault))


def test_duress_unlock_shows_the_decoy(server, browser):
    base, _ = server
    page = _context(browser, []).new_page()
    page.goto(base + "/unlock")
    page.fill("#passphrase", DURESS)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(base + "/listen")
    html = page.content()
    assert "الكهرباء ما تجي" not in html and "الماي مالح" not in html
    assert page.locator("html").get_attribute("dir") == "rtl"


@pytest.mark.parametrize("lang", ["ar", "ckb", "en"])
def test_member_journey(server, browser, lang):
    """A member's phone: pair with a member code, record for its household, read it back; the
    header offers only what a member may open, and an organiser's page is refused."""
    from halqa.i18n import catalogue

    base, state = server
    state.unlock(PASSPHRASE)
    code = state.devices.new_code("member", "hh-t1")
    requests: list[str] = []
    page = _context(browser, requests).new_page()
    page.goto(f"{base}/lang?to={lang}")
    page.goto(f"{base}/pair?code={code}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("html").get_attribute("dir") == ("ltr" if lang == "en" else "rtl")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    assert page.locator("#household").input_value() == "hh-t1"
    page.click("button.off")
    page.wait_for_url("**/?done=off")
    assert page.locator("p.ok").inner_text() == catalogue(lang)["web.done.off"]
    page.check("input[name=no_water]")
    page.click("form[action='/quick/water'] button[type=submit]")
    page.wait_for_url("**/?done=water")
    assert page.locator("p.ok").inner_text() == catalogue(lang)["web.done.water"]
    links = {a.get_attribute("href") for a in page.locator("nav a").all()}
    assert links == {"/", "/listen/hotspots", "/ledger", "/meeting", "/decide"}, links
    page.goto(base + "/mine")
    assert "hh-t1" in page.content()
    assert page.goto(base + "/listen").status == 403
    assert page.goto(base + "/devices").status == 403
    assert {urlsplit(u).netloc for u in requests} == {urlsplit(base).netloc}
    with state.use() as vault:
        assert ledger.open_interval(vault, "hh-t1") is not None
