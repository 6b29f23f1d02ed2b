"""Institutions: proposals and positions, in-person counts, the decision log, services and the monthly account.

Members see open proposals, decisions taken (without names) and the monthly account's aggregates.
Positions and deliveries are entered by organiser devices: a member device is tied to a household,
not to a member's pseudonym, so it could otherwise vote or deliver in anyone's name.
Names of who took part are shown to organiser devices only; running counts to nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from starlette.responses import Response

import halqa.institutions as inst
from halqa import places
from halqa.errors import InvalidInput
from halqa.vault.values import today_date
from halqa.web.fmt import lookup
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def _list(ctx: Ctx, name: str) -> list[str]:
    """All values of a repeated form field, in order, blanks dropped."""
    return [v.strip() for v in ctx.field(name, list, []) if v.strip()]


def _arg(ctx: Ctx, name: str) -> str:
    return ctx.field(name, str, "")


def _organiser(ctx: Ctx) -> bool:
    return ctx.device is not None and ctx.device.organiser


def decide_page(ctx: Ctx) -> Response:
    """The proposals and the decision log; with ``?id=`` one proposal (positions, count, close, result)."""
    if _arg(ctx, "id"):
        return proposal_page(ctx)
    return ctx.render("institutions_decide.html", open=ctx.cached(inst.proposals, open_only=True),
                      log=ctx.cached(inst.decision_log)[::-1][:30], modes=inst.MODES, organiser=_organiser(ctx),
                      today=today_date().isoformat(), done=_arg(ctx, "done"))


def proposal_page(ctx: Ctx) -> Response:
    p = inst.proposal(ctx.vault, _arg(ctx, "id"))
    if not _organiser(ctx):
        p = msgspec.structs.replace(p, took_part=[])
    return ctx.render("institutions_proposal.html", p=p, organiser=_organiser(ctx), link_kinds=inst.LINK_KINDS,
                      done=_arg(ctx, "done"))


def propose(ctx: Ctx) -> Response:
    p = inst.propose(ctx.vault, _arg(ctx, "title"), _list(ctx, "option"), mode=_arg(ctx, "mode") or "majority",
                     text=_arg(ctx, "text"), circles=_list(ctx, "circle"), closes=_arg(ctx, "closes") or None,
                     quorum=ctx.field("quorum", int, 0, minimum=0))
    return ctx.redirect(f"/decide?id={p.id}&done=proposed")


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("institutions.web.bad_number", field=field, value=value) from None


def position(ctx: Ctx) -> Response:
    pid = _arg(ctx, "id")
    inst.position(ctx.vault, pid, _arg(ctx, "member"), _list(ctx, "choice"))
    return ctx.redirect(f"/decide?id={pid}&done=position")


def count(ctx: Ctx) -> Response:
    pid = _arg(ctx, "id")
    counts = {k[len("n:"):]: _int(v, k[len("n:"):]) for k, v in ctx.form.items()
              if k.startswith("n:") and isinstance(v, str) and v.strip()}
    inst.count_in_person(ctx.vault, pid, counts)
    return ctx.redirect(f"/decide?id={pid}&done=counted")


def close(ctx: Ctx) -> Response:
    pid = _arg(ctx, "id")
    inst.close(ctx.vault, pid)
    return ctx.redirect(f"/decide?id={pid}&done=closed")


def link(ctx: Ctx) -> Response:
    pid = _arg(ctx, "id")
    inst.link(ctx.vault, pid, _arg(ctx, "kind"), _arg(ctx, "ref"), note=_arg(ctx, "note"))
    return ctx.redirect(f"/decide?id={pid}&done=linked")


def _month(ctx: Ctx) -> str:
    wanted = _arg(ctx, "month")
    if wanted:
        return wanted
    latest = [m.month for s in ctx.cached(inst.services) for m in ctx.cached(inst.service, s.id).by_month]
    return max(latest) if latest else today_date().isoformat()[:7]


def services_page(ctx: Ctx) -> Response:
    month = _month(ctx)
    account, trend = ctx.cached(inst.account_and_trend, month, 6)
    return ctx.render("institutions_services.html", services=ctx.cached(inst.services), month=month,
                      account=account, trend=trend,
                      today=today_date().isoformat(), done=_arg(ctx, "done"),
                      areas=lookup(ctx.cached(places.areas), "code"))


def deliver(ctx: Ctx) -> Response:
    inst.deliver(ctx.vault, _arg(ctx, "service"), ctx.own_household(), _arg(ctx, "quantity"),
                 day=ctx.field("day", dt.date, today_date()).isoformat(), worker=_arg(ctx, "worker") or None)
    return ctx.redirect("/services?done=delivered")


def api_decide(ctx: Ctx) -> dict[str, Any]:
    return {"open": ctx.cached(inst.proposals, open_only=True), "decisions": ctx.cached(inst.decision_log)}


def api_account(ctx: Ctx) -> inst.Account:
    return ctx.cached(inst.account, _month(ctx))


routes: list[View] = [
    view("/decide", decide_page, access=Access.MEMBER),
    view("/decide/propose", propose, methods=("POST",), access=Access.ORGANISER),
    view("/decide/position", position, methods=("POST",), access=Access.ORGANISER),
    view("/decide/count", count, methods=("POST",), access=Access.ORGANISER),
    view("/decide/close", close, methods=("POST",), access=Access.ORGANISER),
    view("/decide/link", link, methods=("POST",), access=Access.ORGANISER),
    view("/services", services_page, access=Access.ORGANISER),
    view("/services/deliver", deliver, methods=("POST",), access=Access.ORGANISER),
    view("/api/decide", api_decide, access=Access.ORGANISER),
    view("/api/services/account", api_account, access=Access.MEMBER),
]
nav = Nav("/decide", "institutions.web.nav")
