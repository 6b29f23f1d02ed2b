"""Pairing phones and the list of paired devices (see :mod:`halqa.web.pairing`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from halqa.errors import AccessDenied
from halqa.web.pairing import qr_svg
from halqa.web.pipeline import Access, Ctx, Nav, View, view
from halqa.web.security import COOKIE_DEVICE


def pair_page(ctx: Ctx) -> Response:
    return ctx.render("pair.html", code=ctx.arg("code"), next=ctx.next_path())


def pair_submit(ctx: Ctx) -> Response:
    try:
        token = ctx.state.devices.redeem(ctx.arg("code"), ctx.arg("name") or "phone")
    except AccessDenied as err:
        return ctx.render("pair.html", http_status=403, code="", next=ctx.next_path(), message=err.render(ctx.lang))
    ctx.set_cookie(COOKIE_DEVICE, token)
    return ctx.redirect(ctx.next_path())


def api_pair(ctx: Ctx) -> dict[str, Any]:
    """``{"code": "KX4M-9TQA", "name": "..."}`` -> ``{"token": ...}``."""
    return {"ok": True, "token": ctx.state.devices.redeem(ctx.arg("code"), ctx.arg("name") or "script")}


def _devices_page(ctx: Ctx, code: str = "") -> Response:
    state = ctx.state
    url = f"{state.base_url}/pair?code={code}" if code else ""
    if code and state.certificate is not None:
        url += f"#sha256={state.certificate.fingerprint.replace(':', '')}"
    return ctx.render("devices.html", devices=state.devices.list(), code=code, url=url,
                      qr=qr_svg(url) if url else "", fingerprint=state.certificate.fingerprint if state.certificate else "",
                      mine=ctx.device.id if ctx.device else "")


def devices(ctx: Ctx) -> Response:
    return _devices_page(ctx)


def devices_code(ctx: Ctx) -> Response:
    return _devices_page(ctx, ctx.state.devices.new_code())


def devices_revoke(ctx: Ctx) -> Response:
    ctx.state.devices.revoke(ctx.arg("id"))
    return ctx.redirect("/devices")


def api_devices_code(ctx: Ctx) -> dict[str, Any]:
    return {"code": ctx.state.devices.new_code(), "ttl_seconds": int(ctx.state.devices.code_ttl)}


routes: list[View] = [
    view("/pair", pair_page, access=Access.PUBLIC, vault=False),
    view("/pair", pair_submit, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/api/pair", api_pair, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/devices", devices, access=Access.ORGANISER, vault=False),
    view("/devices/code", devices_code, methods=("POST",), access=Access.ORGANISER, vault=False),
    view("/devices/revoke", devices_revoke, methods=("POST",), access=Access.ORGANISER, vault=False),
    view("/api/devices/code", api_devices_code, methods=("POST",), access=Access.ORGANISER, vault=False),
]
nav = Nav("/devices", "web.nav.devices")
