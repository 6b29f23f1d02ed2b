"""Power ledger: district view, blackout calendar, one household's supply, recording power off/on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

import halqa.ledger as ledger
import halqa.places as places
from halqa.errors import InvalidInput
from halqa.results import to_data
from halqa.vault.values import today_date
from halqa.web.fmt import lookup
from halqa.web.paging import household_hints
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def _ledger_end(ctx: Ctx) -> dt.date:
    """The last day with a ledger record (a demo or an old archive), else today."""
    span = ctx.cached(ledger.extent)
    today = today_date()
    return today if span is None else min(today, span[1])


def _period(ctx: Ctx, days: int) -> tuple[str, str]:
    end = ctx.field("to", dt.date, None) or _ledger_end(ctx)
    last = end.isoformat()
    first = ctx.field("from", dt.date, end - dt.timedelta(days=days - 1)).isoformat()
    if first > last:
        raise InvalidInput("web.error.bad_period", first=first, last=last)
    return first, last


def ledger_page(ctx: Ctx) -> Response:
    first, last = _period(ctx, 30)
    result = ctx.cached(ledger.report, first, last, events_page=(0, 0))  # the page shows their number only
    return ctx.render("ledger.html", report=result, first=first, last=last,
                      areas=lookup(ctx.cached(places.areas), "code"))


def _area(ctx: Ctx, known: list[places.Area]) -> str:
    """The area asked for, else the first one."""
    return ctx.field("area", str, known[0].code if known else "")


def ledger_calendar(ctx: Ctx) -> Response:
    known = ctx.cached(places.areas)
    area = _area(ctx, known)
    first, last = _period(ctx, 14)
    result = ctx.cached(ledger.calendar, area, first, last) if area else None
    return ctx.render("ledger_calendar.html", result=result, area=area, first=first, last=last, areas=known)


def ledger_household(ctx: Ctx) -> Response:
    hh = ctx.own_household(required=False)
    first, last = _period(ctx, 30)
    rows = ctx.cached(ledger.household_supply, hh, first, last) if hh else []
    return ctx.render("ledger_household.html", rows=rows, household=hh, first=first, last=last,
                      households=household_hints(ctx, hh))


#: Area events per answer of ``/api/ledger`` unless ``limit`` says otherwise (a month of a city's
#: ledger holds thousands: 450 KB in one answer), and the most one answer gives.
EVENTS_PAGE, EVENTS_MAX = 200, 5000


def api_ledger(ctx: Ctx) -> dict[str, Any]:
    """Area summaries (supply hours, IEEE 1366 indices, events, claims) for ``from``..``to``
    (default: the last 30 days with records), optionally one ``area``. The area events come a
    page at a time, in time order: ``limit`` of them (default 200) from ``cursor`` (the ``next``
    of the previous answer); ``events_total`` counts them all, ``next`` is null on the last page."""
    first, last = _period(ctx, 30)
    limit = ctx.field("limit", int, EVENTS_PAGE, minimum=1, maximum=EVENTS_MAX)
    cursor = ctx.field("cursor", int, 0, minimum=0)
    result: ledger.Report = ctx.cached(ledger.report, first, last, ctx.field("area", str, None),
                                       events_page=(cursor, limit))
    total = result.events_total if isinstance(result.events_total, int) else len(result.events)
    end = cursor + limit
    return {**to_data(result), "events_total": total, "next": str(end) if end < total else None}


def api_ledger_calendar(ctx: Ctx) -> ledger.Calendar:
    first, last = _period(ctx, 14)
    return ctx.cached(ledger.calendar, _area(ctx, ctx.cached(places.areas)), first, last)


#: Recording power and water (page and API) is quick entry: see :mod:`halqa.web.views.home`.
routes: list[View] = [
    view("/ledger", ledger_page, access=Access.MEMBER),
    view("/ledger/calendar", ledger_calendar, access=Access.MEMBER),
    view("/ledger/household", ledger_household, access=Access.MEMBER),
    view("/api/ledger", api_ledger, access=Access.MEMBER),
    view("/api/ledger/calendar", api_ledger_calendar, access=Access.MEMBER),
]
nav = Nav("/ledger", "web.nav.ledger")
