"""No untranslated word in front of a person: every page of the app (walked from its route table),
as an organiser on the demo vault, in Arabic and Sorani, shows no Latin-letter word outside the
allow-list below.

What is allowed, and why:

* codes: area codes and other ids in capitals (``JSR``, ``SAIDI``), kept as ids on purpose;
* pseudonyms (``hh-7qk2``, ``m-t3``) and file names (``poster.pdf``);
* units and formats a phone or printer names in Latin letters (:data:`UNITS`), and measures that
  start with a digit (``12V``, ``330W``, ``2010s``);
* the name ``halqa``;
* text marked as another language (``lang="en"``: the language switch names English in English);
* what people typed, marked ``translate="no"`` by the templates (a complaint's words, a tool's or
  a fund's name, a contact's or device's name, a command to type): shown as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from halqa.web.app import route_table, views

#: Units, formats and symbols written in Latin letters in every language.
UNITS = frozenset({"halqa", "kWh", "Wh", "kW", "h", "min", "dpi", "mm", "km", "A4", "A3", "PDF", "PNG", "SVG", "QR",
                   "IQD", "USD", "ISO", "HTTPS", "SHA", "IEEE", "GeoJSON"})
CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}(?:-[A-Z0-9]+)*$")
PSEUDONYM = re.compile(r"^[a-z]{1,4}-[a-z0-9]{1,8}$")
FILENAME = re.compile(r"^[\w-]+\.(?:pdf|png|svg|csv|json|geojson|ogg|webm|halqa|age)$")
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.*'-]*")
#: Query strings that make a page show rows (a household page needs its household).
QUERY = {"/ledger/household": "?household={household}"}
#: Attributes a person sees or hears (a screen reader reads labels and titles).
VISIBLE_ATTRS = ("placeholder", "title", "alt", "aria-label")


class _Text(HTMLParser):
    """Visible text and read-out attributes, skipping scripts, styles, hidden inputs and text
    marked as another language."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang, self.stack, self.parts = lang, [], []

    VOID = frozenset({"input", "br", "meta", "link", "img", "hr", "source", "col", "wbr", "area", "base", "path", "rect"})

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden = tag in ("script", "style") or a.get("lang") not in (None, self.lang) or a.get("translate") == "no"
        if tag == "input" and a.get("type") in ("hidden",):
            return
        if not (self.stack and self.stack[-1][1]) and not hidden:
            self.parts += [a[k] for k in VISIBLE_ATTRS if a.get(k)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.parts.append(a["value"])
        if tag not in self.VOID:
            self.stack.append((tag, hidden or bool(self.stack and self.stack[-1][1])))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


def latin_words(html: str, lang: str) -> list[str]:
    """Latin-letter words a person would see on the page, outside the allow-list."""
    parser = _Text(lang)
    parser.feed(html)
    found = []
    for token in " ".join(parser.parts).split():
        token = token.strip("()[]{}،,.:;!?«»\"'·–—/|*+=%٪")
        if not token or token[0].isdigit() or token in UNITS or CODE.match(token) or PSEUDONYM.match(token) \
                or FILENAME.match(token):
            continue
        found += [w for w in LATIN.findall(token) if w not in UNITS and not CODE.match(w)]
    return found


def test_the_checker_catches_english():
    page = ('<html lang="ar"><p>الشكاوى: grievances <b>JSR</b> hh-7qk2 poster.pdf 12V</p>'
            '<a lang="en">English</a><input type="hidden" value="secret words"><th title="district">x</th>'
            '<td translate="no">typed <b>words</b></td><td>unconfirmed</td><input type="submit" value="Save">'
            '<script>var english = 1;</script></html>')
    assert latin_words(page, "ar") == ["grievances", "district", "x", "unconfirmed", "Save"]


@pytest.fixture(scope="module")
def organiser(demo_vault):
    from starlette.testclient import TestClient

    from halqa.web import create_app
    from halqa.web.security import COOKIE_DEVICE
    from halqa.web.state import WebState
    from tests.web.conftest import BASE

    state = WebState(demo_vault.path)
    client = TestClient(create_app(demo_vault.path, state=state, vault=demo_vault), base_url=BASE)
    client.cookies.set(COOKIE_DEVICE, state.devices.issue("test", role="organiser"))
    return client, demo_vault.query_one("SELECT id FROM household ORDER BY id")[0]


def pages() -> list[str]:
    """Every page of the route table (GET, not the API, not the language switch or the icon). The CA
    certificate (``/ca.crt``) is a download, not a page; the member app (``/m/``) is left out: its
    shell is translated in the phone's browser, in the language chosen there, and
    tests/member_app/test_journey.py runs it in ar, ckb and en."""
    return sorted({path for (method, path) in route_table(views()) if method == "GET"
                   and not path.startswith(("/api/", "/m/")) and path not in ("/favicon.ico", "/lang", "/ca.crt")})


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_no_english_on_any_page(organiser, demo_vault, lang):
    client, household = organiser
    client.get(f"/lang?to={lang}")
    seen: dict[str, list[str]] = {}
    for path in pages():
        r = client.get(path + QUERY.get(path, "").format(household=household))
        assert r.status_code == 200, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), path  # downloads are left out above
        words = latin_words(r.text, lang)
        if words:
            seen[path] = sorted(set(words))
    # a page drawn after a form: coded shopping-list lines read back as themes and places
    from halqa.listening import encode_line
    from tests.web.conftest import CSRF

    line = encode_line(demo_vault, "electricity", 3, "JSR", lang)
    r = client.post("/quick/decode", data={"csrf": CSRF.search(client.get("/").text).group(1), "lines": line})
    assert r.status_code == 200 and "<table class=\"decoded\">" in r.text
    if latin_words(r.text, lang):
        seen["POST /quick/decode"] = latin_words(r.text, lang)
    assert not seen, seen
