"""Long lists come a page at a time (grievances, circles, meetings, fund entries, tools): each page
holds at most its size, the pages together hold every row once, and the links keep the filters."""

from __future__ import annotations

import html
import re

import pytest


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
    client.get("/lang?to=en")
    return client


def _walk(client, url: str, row: re.Pattern[str], param: str = "page") -> list[list[str]]:
    """Every page of one list, following its "next" links (a page may have several lists); the rows of each."""
    pages = []
    while url:
        text = client.get(url).text
        pages.append(row.findall(text))
        nxt = re.search(rf'<a href="([^"]+[?&;]{param}=\d+#{param})" rel="next">', text)
        url = html.unescape(nxt.group(1)) if nxt else ""
        assert len(pages) < 50
    return pages


def test_each_circle_on_exactly_one_page(organiser, demo_vault):
    import halqa.circles as circles

    pages = _walk(organiser, "/circles", re.compile(r'<summary><bdi translate="no">(c-[a-z0-9]+)</bdi>'), "circles")
    everything = [r for p in pages for r in p]
    assert len(pages) > 1 and all(len(p) <= 10 for p in pages)
    assert sorted(everything) == sorted(c.id for c in circles.circles(demo_vault))


def test_grievance_pages_keep_the_filter(organiser, demo_vault):
    import halqa.listening as listening

    rows = listening.list_grievances(demo_vault, place="JSR", limit=100)
    pages = _walk(organiser, "/listen?place=JSR", re.compile(r'<td class="nowrap">([^<]+)</td>'))
    assert sum(len(p) for p in pages) == len(rows) and all(len(p) <= 10 for p in pages)
    second = organiser.get("/listen?place=JSR&page=2").text
    assert 'href="/listen?place=JSR&amp;page=1#page" rel="prev"' in second
    last = organiser.get("/listen?place=JSR&page=999").text  # past the end: the last page
    assert f"Page {len(pages)} of {len(pages)}" in last


def test_fund_entries_newest_first_a_page_at_a_time(organiser, demo_vault):
    import halqa.mutual_aid as aid

    fund = max(aid.funds(demo_vault), key=lambda f: len(aid.statement(demo_vault, f.name).entries or [])).name
    entries = aid.statement(demo_vault, fund).entries or []
    pages = _walk(organiser, f"/aid?fund={fund}", re.compile(r"<tr><td>([^<]+)</td><td>"), "entries")
    assert len(pages) > 1 and all(len(p) <= 12 for p in pages) and sum(map(len, pages)) == len(entries)
    from halqa.web.fmt import day

    assert pages[0][0] == day(entries[-1].day, "en")  # newest first
    assert organiser.get("/aid?fund=no-such-fund").status_code == 400
