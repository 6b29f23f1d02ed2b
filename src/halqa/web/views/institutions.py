"""Institutions: proposals and positions, in-person counts, the decision log, services and the monthly account.

Members record their own positions and deliveries; organisers open, count and close proposals.
Names of who took part are shown to organiser devices only; running counts to nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from halqa.web.pipeline import Access, Ctx, Nav, View, view
from starlette.responses import Response

import halqa.institutions as inst
from halqa.errors import InvalidInput


def _list(ctx: Ctx, name: str) -> list[str]:
    """All values of a repeated form field, in order, blanks dropped."""
    value = ctx.form.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _organiser(ctx: Ctx) -> bool:
    return ctx.device is not None and ctx.device.organiser


def decide_page(ctx: Ctx) -> Response:
    """The proposals and the decision log; with ``?id=`` one proposal (positions, count, close, result)."""
    if ctx.arg("id"):
        return proposal_page(ctx)
    return ctx.render("institutions_decide.html", open=ctx.cached(inst.proposals, open_only=True),
                      log=ctx.cached(inst.decision_log)[::-1][:30], modes=inst.MODES, organiser=_organiser(ctx),
                      today=dt.date.today().isoformat(), done=ctx.arg("done"))


def proposal_page(ctx: Ctx) -> Response:
    p = inst.proposal(ctx.vault, ctx.arg("id"))
    if not _organiser(ctx):
        p = {**p, "took_part": []}
    return ctx.render("institutions_proposal.html", p=p, organiser=_organiser(ctx), link_kinds=inst.LINK_KINDS,
                      done=ctx.arg("done"))


def propose(ctx: Ctx) -> Response:
    p = inst.propose(ctx.vault, ctx.arg("title"), _list(ctx, "option"), mode=ctx.arg("mode") or "majority",
                     text=ctx.arg("text"), circles=_list(ctx, "circle"), closes=ctx.arg("closes") or None,
                     quorum=_int(ctx.arg("quorum") or "0", "quorum"))
    return ctx.redirect(f"/decide?id={p['id']}&done=proposed")


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("institutions.web.bad_number", field=field, value=value) from None


def position(ctx: Ctx) -> Response:
    pid = ctx.arg("id")
    inst.position(ctx.vault, pid, ctx.arg("member"), _list(ctx, "choice"))
    return ctx.redirect(f"/decide?id={pid}&done=position")


def count(ctx: Ctx) -> Response:
    pid = ctx.arg("id")
    counts = {k[len("n:"):]: _int(v, k[len("n:"):]) for k, v in ctx.form.items()
              if k.startswith("n:") and isinstance(v, str) and v.strip()}
    inst.count_in_person(ctx.vault, pid, counts)
    return ctx.redirect(f"/decide?id={pid}&done=counted")


def close(ctx: Ctx) -> Response:
    pid = ctx.arg("id")
    inst.close(ctx.vault, pid)
    return ctx.redirect(f"/decide?id={pid}&done=closed")


def link(ctx: Ctx) -> Response:
    pid = ctx.arg("id")
    inst.link(ctx.vault, pid, ctx.arg("kind"), ctx.arg("ref"), note=ctx.arg("note"))
    return ctx.redirect(f"/decide?id={pid}&done=linked")


def _month(ctx: Ctx) -> str:
    wanted = ctx.arg("month")
    if wanted:
        return wanted
    latest = [m["month"] for s in ctx.cached(inst.services) for m in ctx.cached(inst.service, s["id"])["by_month"]]
    return max(latest) if latest else dt.date.today().isoformat()[:7]


def services_page(ctx: Ctx) -> Response:
    month = _month(ctx)
    return ctx.render("institutions_services.html", services=ctx.cached(inst.services), month=month,
                      account=ctx.cached(inst.account, month), trend=ctx.cached(inst.account_trend, month, 6),
                      today=dt.date.today().isoformat(), done=ctx.arg("done"))


def deliver(ctx: Ctx) -> Response:
    inst.deliver(ctx.vault, ctx.arg("service"), ctx.household(), ctx.arg("quantity"),
                 day=ctx.day("day", dt.date.today()), worker=ctx.arg("worker") or None)
    return ctx.redirect("/services?done=delivered")


def api_decide(ctx: Ctx) -> dict[str, Any]:
    return {"open": ctx.cached(inst.proposals, open_only=True), "decisions": ctx.cached(inst.decision_log)}


def api_account(ctx: Ctx) -> dict[str, Any]:
    return ctx.cached(inst.account, _month(ctx))


routes: list[View] = [
    view("/decide", decide_page, access=Access.MEMBER),
    view("/decide/propose", propose, methods=("POST",), access=Access.ORGANISER),
    view("/decide/position", position, methods=("POST",), access=Access.MEMBER),
    view("/decide/count", count, methods=("POST",), access=Access.ORGANISER),
    view("/decide/close", close, methods=("POST",), access=Access.ORGANISER),
    view("/decide/link", link, methods=("POST",), access=Access.ORGANISER),
    view("/services", services_page, access=Access.MEMBER),
    view("/services/deliver", deliver, methods=("POST",), access=Access.MEMBER),
    view("/api/decide", api_decide, access=Access.MEMBER),
    view("/api/services/account", api_account, access=Access.MEMBER),
]
nav = Nav("/decide", "institutions.web.nav")
