"""Long lists leave the vault a page at a time, and the pages add up to the whole list (issue 19):
the ledger's area events in ``/api/ledger``, a fund's statement on ``/aid``."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

import halqa.ledger as ledger
import halqa.mutual_aid as aid
from halqa.results import to_data
from halqa.web import create_app
from halqa.web.security import COOKIE_DEVICE
from halqa.web.state import WebState

from .conftest import BASE


@pytest.fixture(scope="module")
def organiser(demo_vault):
    state = WebState(demo_vault.path)
    client = TestClient(create_app(demo_vault.path, state=state, vault=demo_vault), base_url=BASE)
    client.cookies.set(COOKIE_DEVICE, state.devices.issue("test", role="organiser"))
    return client


def test_api_ledger_events_by_cursor(organiser, demo_vault):
    first, last = (d.isoformat() for d in ledger.extent(demo_vault))
    span = f"from={first}&to={last}"
    report = to_data(ledger.report(demo_vault, first, last))  # the API's JSON is the typed report's
    assert len(report["events"]) > 200  # the demo summer has more than one default page
    default = organiser.get(f"/api/ledger?{span}").json()
    assert len(default["events"]) == 200 and default["next"] == "200"
    assert default["events_total"] == len(report["events"]) and default["areas"] == report["areas"]
    pages, cursor = [], "0"
    while cursor is not None:
        page = organiser.get(f"/api/ledger?{span}&limit=700&cursor={cursor}").json()
        assert len(page["events"]) <= 700
        pages += page["events"]
        cursor = page["next"]
    assert pages == report["events"]
    assert organiser.get(f"/api/ledger?{span}&limit=5001").status_code == 400


def test_aid_page_lists_one_page_of_the_statement(organiser, demo_vault):
    fund = aid.funds(demo_vault)[0].name
    whole = list(reversed(aid.statement(demo_vault, fund).entries or []))
    assert len(whole) > 24
    pages = -(-len(whole) // 12)
    for number in (1, 2, pages, pages + 5):
        html = organiser.get(f"/aid?fund={fund}&entries={number}&lang=en").text
        shown = re.findall(r'<td class="nowrap">([^<]*)</td>', html)
        want = whole[(min(number, pages) - 1) * 12:min(number, pages) * 12]
        assert len(shown) == len(want)
        pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
        assert f"{min(number, pages)}" in pager and f"{pages}" in pager
        rows = re.findall(r"<tr><td>.*?</tr>", html.split('id="entries"')[1], re.S)
        parties = [re.findall(r'<td translate="no">(.*?)</td></tr>', r, re.S)[0] for r in rows]
        assert parties == [e.party or "" if not e.hidden else parties[i] for i, e in enumerate(want)]
