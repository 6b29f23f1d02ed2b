"""Made for a phone: every page of the app (walked from its route table), as an organiser on the
demo vault, in Arabic, Sorani and English, at a 360x800 viewport in Debian's Chromium:

* axe-core (npm, pinned in tests/web/axe/package-lock.json, installed by ``make setup``) finds no
  serious or critical violation;
* nothing scrolls sideways;
* every control a thumb aims at (buttons, fields, menus, header and page links, checkbox and
  radio labels) is at least 44 px tall and wide (links inside a sentence are exempt, as in
  WCAG 2.5.5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import free_port, running
from tests.web.test_language import QUERY, pages

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TAP = 44

pytestmark = [pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
              pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup: npm ci in tests/web/axe)")]
playwright_api = pytest.importorskip("playwright.sync_api")

#: Controls too small for a thumb, as a page sees them (bounding boxes at the phone's width).
SMALL_TARGETS = """(min) => {
  const out = [];
  const seen = new Set();
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const inSentence = (el) => el.tagName === 'A' && el.closest('p, td, li, figcaption') !== null;
  for (let el of document.querySelectorAll('a[href], button, select, textarea, summary, input:not([type=hidden])')) {
    if (['checkbox', 'radio'].includes(el.type)) el = el.closest('label') || el;
    if (seen.has(el) || !visible(el) || inSentence(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    const what = (el.innerText || el.value || el.name || '').trim().slice(0, 30);
    if (r.height < min - 0.5 || r.width < min - 0.5)
      out.push(`${el.tagName.toLowerCase()} "${what}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served(demo_vault):
    """The demo vault served by uvicorn on a free port, and an organiser's device token."""
    from halqa.web import create_app
    from halqa.web.state import WebState

    port = free_port()
    state = WebState(demo_vault.path, port=port)
    household = demo_vault.query_one("SELECT id FROM household ORDER BY id")[0]
    with running(create_app(demo_vault.path, state=state, vault=demo_vault), port) as base:
        yield base, state.devices.issue("axe", role="organiser"), household


@pytest.mark.parametrize("lang", ["ar", "ckb", "en"])
def test_every_page_is_accessible_on_a_phone(served, lang):
    from halqa.web.security import COOKIE_DEVICE, COOKIE_LANG

    base, token, household = served
    problems: dict[str, list[str]] = {}
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        # the pages forbid inline scripts (CSP); the test's own axe script is let in
        ctx = browser.new_context(viewport={"width": 360, "height": 800}, device_scale_factor=1, bypass_csp=True)
        ctx.add_cookies([{"name": COOKIE_DEVICE, "value": token, "url": base},
                         {"name": COOKIE_LANG, "value": lang, "url": base}])
        page = ctx.new_page()
        for path in pages():
            response = page.goto(base + path + QUERY.get(path, "").format(household=household))
            assert response is not None and response.status == 200, (path, response and response.status)
            assert page.locator("html").get_attribute("lang") == lang
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            found = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]
                     if v["impact"] in ("serious", "critical")]
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                found.append(f"scrolls sideways: {width[0]} px wide at {width[1]}")
            found += [f"small target: {s}" for s in page.evaluate(SMALL_TARGETS, TAP)]
            if found:
                problems[path] = found
        browser.close()
    assert not problems, "\n".join(f"{path}: {what}" for path, found in problems.items() for what in found)
