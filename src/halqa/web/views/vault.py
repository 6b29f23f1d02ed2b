"""Unlock, lock, status, panic: the vault in the server's memory."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from halqa.errors import AccessDenied, InvalidInput
from halqa.web.pipeline import Access, Ctx, Nav, View, view
from halqa.web.security import COOKIE_DEVICE

CLEAR_SITE = '"cache", "cookies", "storage"'


def _token(ctx: Ctx) -> str | None:
    auth = ctx.request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ctx.request.cookies.get(COOKIE_DEVICE)


def unlock_page(ctx: Ctx) -> Response:
    return ctx.render("unlock.html", next=ctx.next_path())


def unlock_submit(ctx: Ctx) -> Response:
    try:
        ctx.state.unlock(ctx.field("passphrase", str, ""))
    except (AccessDenied, InvalidInput) as err:
        return ctx.render("unlock.html", http_status=401 if err.exit_code == 3 else 400, next=ctx.next_path(),
                          message=err.render(ctx.lang))
    ctx.set_cookie(COOKIE_DEVICE, ctx.state.devices.issue("browser", role="organiser"))
    return ctx.redirect(ctx.next_path())


def api_unlock(ctx: Ctx) -> dict[str, Any]:
    """``{"passphrase": ...}`` -> ``{"token": ..., "role": "organiser"}`` (send the token as
    ``Authorization: Bearer``)."""
    ctx.state.unlock(ctx.field("passphrase", str, ""))
    return {"ok": True, "token": ctx.state.devices.issue("script", role="organiser"), "role": "organiser"}


def lock(ctx: Ctx) -> Response:
    """An organiser's device locks the vault for everyone; a member's forgets only itself."""
    if ctx.device is not None and ctx.device.organiser:
        ctx.state.lock()
    ctx.state.devices.forget(_token(ctx))
    ctx.set_cookie(COOKIE_DEVICE, "")
    return ctx.redirect("/unlock")


def api_lock(ctx: Ctx) -> dict[str, Any]:
    ctx.state.lock()
    return {"ok": True}


def api_status(ctx: Ctx) -> dict[str, Any]:
    device = ctx.device
    return {"open": ctx.state.is_open, "lan": ctx.state.lan, "organiser": bool(device and device.organiser),
            "role": device.role if device else None, "household": device.household if device else None}


def panic_page(ctx: Ctx) -> Response:
    return ctx.render("panic.html")


def panic_submit(ctx: Ctx) -> Response:
    if not ctx.field("confirm", bool, False):
        return ctx.render("panic.html", http_status=400)
    ctx.state.panic()
    ctx.set_cookie(COOKIE_DEVICE, "")
    response = ctx.render("blank.html")
    response.headers["clear-site-data"] = CLEAR_SITE
    return response


routes: list[View] = [
    view("/unlock", unlock_page, access=Access.PUBLIC, vault=False),
    view("/unlock", unlock_submit, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/api/unlock", api_unlock, methods=("POST",), access=Access.PUBLIC, vault=False),
    view("/lock", lock, methods=("POST",), access=Access.MEMBER, vault=False),
    view("/api/lock", api_lock, methods=("POST",), access=Access.ORGANISER, vault=False),
    view("/api/status", api_status, access=Access.MEMBER, vault=False),
    view("/panic", panic_page, access=Access.ORGANISER, vault=False),
    view("/panic", panic_submit, methods=("POST",), access=Access.ORGANISER, vault=False),
]
nav: Nav | None = None
