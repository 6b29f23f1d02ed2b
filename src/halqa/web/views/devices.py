"""Pairing phones and the list of paired devices (see :mod:`halqa.web.pairing`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.circles as circles
import halqa.places as places
from halqa.errors import AccessDenied, InvalidInput
from halqa.web.paging import HINTS
from halqa.web.pairing import LOOKS, ROLES, qr_svg
from halqa.web.pipeline import Access, Ctx, Nav, View, view
from halqa.web.security import COOKIE_DEVICE


def pair_page(ctx: Ctx) -> Response:
    cert = ctx.state.certificate
    return ctx.render("pair.html", code=ctx.field("code", str, ""), next=ctx.next_path(), https=ctx.state.https,
                      fingerprint=cert.short if cert else "", looks=LOOKS)


def pair_submit(ctx: Ctx) -> Response:
    try:
        token, _ = ctx.state.devices.redeem(ctx.field("code", str, ""), ctx.field("name", str, "phone"))
    except AccessDenied as err:
        return ctx.render("pair.html", http_status=403, code="", next=ctx.next_path(), message=err.render(ctx.lang))
    ctx.set_cookie(COOKIE_DEVICE, token)
    return ctx.redirect(ctx.next_path())


def api_pair(ctx: Ctx) -> dict[str, Any]:
    """``{"code": "KX4M-9TQA", "name": "..."}`` -> ``{"token": ..., "role": "organiser" | "member"}``."""
    token, device = ctx.state.devices.redeem(ctx.field("code", str, ""), ctx.field("name", str, "script"))
    return {"ok": True, "token": token, "role": device.role}


def _new_code(ctx: Ctx) -> str:
    """A pairing code for the role the organiser chose: a member's for one existing household (and
    optionally one circle, whose next meeting it may see)."""
    role = ROLES[ROLES.index(ctx.field("role", str, "member", choices=ROLES))]  # typed as a Role
    household = circle = None
    if role == "member":
        household = ctx.field("household", str)
        if places.find_household(ctx.vault, household) is None:
            raise InvalidInput("web.error.field.unknown", field="household", value=household)
        circle = ctx.field("circle", str, None)
        if circle is not None and not any(c.id == circle for c in circles.circles(ctx.vault)):
            raise InvalidInput("web.error.field.unknown", field="circle", value=circle)
    return ctx.state.devices.new_code(role, household, circle)


def _devices_page(ctx: Ctx, code: str = "") -> Response:
    state = ctx.state
    url = f"{state.base_url}/pair?code={code}" if code else ""
    if code and state.certificate is not None:
        url += f"#sha256={state.certificate.fingerprint.replace(':', '')}"
    return ctx.render("devices.html", devices=state.devices.list(), code=code, url=url,
                      qr=qr_svg(url) if url else "", fingerprint=state.certificate.fingerprint if state.certificate else "",
                      mine=ctx.device.id if ctx.device else "", households=ctx.cached(places.households, limit=HINTS),
                      circles=ctx.cached(circles.circles))


def devices(ctx: Ctx) -> Response:
    return _devices_page(ctx)


def devices_code(ctx: Ctx) -> Response:
    return _devices_page(ctx, _new_code(ctx))


def devices_revoke(ctx: Ctx) -> Response:
    ctx.state.devices.revoke(ctx.field("id", str))
    return ctx.redirect("/devices")


def api_devices_code(ctx: Ctx) -> dict[str, Any]:
    """``{"role": "member", "household": "hh-…"}`` or ``{"role": "organiser"}`` -> ``{"code": …}``."""
    return {"code": _new_code(ctx), "ttl_seconds": int(ctx.state.devices.code_ttl)}


routes: list[View] = [
    view("/pair", pair_page, access=Access.PUBLIC, vault=False),
    view("/pair", pair_submit, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/api/pair", api_pair, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/devices", devices, access=Access.ORGANISER),
    view("/devices/code", devices_code, methods=("POST",), access=Access.ORGANISER),
    view("/devices/revoke", devices_revoke, methods=("POST",), access=Access.ORGANISER, vault=False),
    view("/api/devices/code", api_devices_code, methods=("POST",), access=Access.ORGANISER),
]
nav = Nav("/devices", "web.nav.devices")
