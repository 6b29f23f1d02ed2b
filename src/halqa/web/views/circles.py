"""Circles: who is in which, coming meetings, vouches, forming circles, exposure."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.circles as circles_domain
from halqa.errors import InvalidInput
from halqa.vault.values import today_date
from halqa.web.paging import paginate
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def circles_page(ctx: Ctx) -> Response:
    today = today_date().isoformat()
    upcoming = [m for m in ctx.cached(circles_domain.meetings) if (m.day or "") >= today]
    circles = ctx.cached(circles_domain.circles)
    return ctx.render("circles.html", overview=ctx.cached(circles_domain.show), circles=circles,
                      circle_page=paginate(ctx, circles, 10, "circles"), meeting_page=paginate(ctx, upcoming, 8, "meetings"),
                      members=ctx.cached(circles_domain.member_names))


def circles_vouch(ctx: Ctx) -> Response:
    circles_domain.add_vouch(ctx.vault, ctx.field("voucher", str), ctx.field("vouchee", str),
                             ctx.field("strength", int, 3, minimum=1, maximum=5))
    return ctx.redirect("/circles?done=vouch")


def _form_settings(ctx: Ctx) -> dict[str, Any]:
    return {"min_size": ctx.field("min_size", int, 5, minimum=2, maximum=50),
            "max_size": ctx.field("max_size", int, 7, minimum=2, maximum=50),
            "seed": ctx.field("seed", int, None), "mix": ctx.field("mix", str, None)}


def circles_form(ctx: Ctx) -> Response:
    settings = _form_settings(ctx)
    apply = ctx.field("apply", bool, False)
    result = circles_domain.form_circles(ctx.vault, apply=apply, time_limit=5.0, **settings)
    if apply:
        return ctx.redirect("/circles?done=formed")
    settings["seed"] = result.settings.seed  # "apply" on the preview records these very circles
    return ctx.render("circles_preview.html", result=result, settings=settings)


def circles_exposure(ctx: Ctx) -> Response:
    try:
        result = ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)
    except InvalidInput as err:  # nothing formed yet: say so on the page
        return ctx.render("circles_exposure.html", result=None, message=err.render(ctx.lang))
    return ctx.render("circles_exposure.html", result=result)


def _next_meeting(ctx: Ctx) -> dict[str, Any] | None:
    """The next meeting of the device's circle: its day, part of day and cover title only (no
    host, no place, no members). Organisers see the next meeting of any circle."""
    device = ctx.device
    circle = None if device is None or device.organiser else device.circle
    if device is not None and not device.organiser and not circle:
        return None
    today = today_date().isoformat()
    upcoming = [m for m in ctx.cached(circles_domain.meetings, circle) if (m.day or "") >= today]
    return {k: getattr(upcoming[0], k) for k in ("day", "part", "hour", "cover")} if upcoming else None


def meeting(ctx: Ctx) -> Response:
    return ctx.render("meeting.html", meeting=_next_meeting(ctx))


def api_next_meeting(ctx: Ctx) -> dict[str, Any]:
    return {"meeting": _next_meeting(ctx)}


def api_circles(ctx: Ctx) -> list[circles_domain.Circle]:
    return ctx.cached(circles_domain.circles)


def api_circles_exposure(ctx: Ctx) -> circles_domain.Exposure | circles_domain.ComparedExposure:
    return ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)


routes: list[View] = [
    view("/circles", circles_page, access=Access.ORGANISER),
    view("/circles/vouch", circles_vouch, methods=("POST",), access=Access.ORGANISER),
    view("/circles/form", circles_form, methods=("POST",), access=Access.ORGANISER),
    view("/circles/exposure", circles_exposure, access=Access.ORGANISER),
    view("/meeting", meeting, access=Access.MEMBER),
    view("/api/circles", api_circles, access=Access.ORGANISER),
    view("/api/circles/exposure", api_circles_exposure, access=Access.ORGANISER),
    view("/api/circles/next", api_next_meeting, access=Access.MEMBER),
]
nav = Nav("/circles", "web.nav.circles", also=("/meeting",))
