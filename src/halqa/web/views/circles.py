"""Circles: who is in which, coming meetings, vouches, forming circles, exposure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

import halqa.circles as circles_domain
from halqa.errors import InvalidInput
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def circles_page(ctx: Ctx) -> Response:
    today = dt.date.today().isoformat()
    upcoming = [m for m in ctx.cached(circles_domain.meetings) if m["day"] >= today][:30]
    return ctx.render("circles.html", overview=ctx.cached(circles_domain.show), circles=ctx.cached(circles_domain.circles),
                      meetings=upcoming, members=ctx.cached(circles_domain.members))


def circles_vouch(ctx: Ctx) -> Response:
    strength = ctx.arg("strength", "3")
    circles_domain.add_vouch(ctx.vault, ctx.arg("voucher"), ctx.arg("vouchee"), int(strength) if strength.isdigit() else 3)
    return ctx.redirect("/circles?done=vouch")


def _form_settings(ctx: Ctx) -> dict[str, Any]:
    def number(name: str, default: int) -> int:
        value = ctx.arg(name)
        return int(value) if value.isdigit() else default

    return {"min_size": number("min_size", 5), "max_size": number("max_size", 7), "seed": number("seed", 2026),
            "mix": ctx.arg("mix") or None}


def circles_form(ctx: Ctx) -> Response:
    settings = _form_settings(ctx)
    apply = ctx.arg("apply") == "yes"
    result = circles_domain.form_circles(ctx.vault, apply=apply, time_limit=5.0, **settings)
    if apply:
        return ctx.redirect("/circles?done=formed")
    return ctx.render("circles_preview.html", result=result, settings=settings)


def circles_exposure(ctx: Ctx) -> Response:
    try:
        result = ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)
    except InvalidInput as err:  # nothing formed yet: say so on the page
        return ctx.render("circles_exposure.html", result=None, message=err.render(ctx.lang))
    return ctx.render("circles_exposure.html", result=result)


def api_circles(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.cached(circles_domain.circles)


def api_circles_exposure(ctx: Ctx) -> dict[str, Any]:
    return ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)


routes: list[View] = [
    view("/circles", circles_page, access=Access.MEMBER),
    view("/circles/vouch", circles_vouch, methods=("POST",), access=Access.MEMBER),
    view("/circles/form", circles_form, methods=("POST",), access=Access.MEMBER),
    view("/circles/exposure", circles_exposure, access=Access.MEMBER),
    view("/api/circles", api_circles, access=Access.MEMBER),
    view("/api/circles/exposure", api_circles_exposure, access=Access.MEMBER),
]
nav = Nav("/circles", "web.nav.circles")
