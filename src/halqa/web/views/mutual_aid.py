"""Mutual aid: funds, savings pools and their status, the tool library, reminders."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.mutual_aid as aid
from halqa.web.paging import paginate, paginate_query
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def _aid_data(ctx: Ctx) -> dict[str, Any]:
    pools = ctx.cached(aid.pools)
    return {"funds": ctx.cached(aid.funds), "pools": pools,
            "status": [ctx.cached(aid.pool_status, p.name) for p in pools if p.status == "open"],
            "items": ctx.cached(aid.list_items), "reminders": ctx.cached(aid.reminders)}


def aid_page(ctx: Ctx) -> Response:
    data = _aid_data(ctx)
    names = [f.name for f in data["funds"]]
    fund = ctx.field("fund", str, names[0] if names else "", choices=names) if names else ""
    entries = paginate_query(ctx, lambda offset, limit: ctx.cached(aid.statement_lines, fund, offset, limit)
                             if fund else (0, []), 12, "entries")  # newest first, one page read
    return ctx.render("aid.html", **data, fund=fund, entries=entries,
                      tools=paginate(ctx, data["items"], 10, "tools"))


def api_aid(ctx: Ctx) -> dict[str, Any]:
    return _aid_data(ctx)


routes: list[View] = [
    view("/aid", aid_page, access=Access.ORGANISER),
    view("/api/aid", api_aid, access=Access.ORGANISER),
]
nav = Nav("/aid", "web.nav.aid")
