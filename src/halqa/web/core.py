"""Unlock, lock, panic, pairing, devices, language: the pages that are not a domain's."""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.responses import Response

from halqa.errors import AccessDenied, InvalidInput
from halqa.i18n import LANGUAGES
from halqa.web.app import Ctx, route
from halqa.web.pairing import qr_svg
from halqa.web.security import COOKIE_DEVICE, COOKIE_LANG

CLEAR_SITE = '"cache", "cookies", "storage"'


def _next(ctx: Ctx) -> str:
    """Where to go after a form: a local path only (never another host)."""
    target = ctx.arg("next", "/")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _organiser(ctx: Ctx) -> None:
    if ctx.device is None or not ctx.device.organiser:
        raise AccessDenied("web.error.organiser_only")


def _token(ctx: Ctx) -> str | None:
    auth = ctx.request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ctx.request.cookies.get(COOKIE_DEVICE)


# ---------------------------------------------------------------------- unlock / lock / panic
@route("/unlock", auth=False, vault=False)
def unlock_page(ctx: Ctx) -> Response:
    return ctx.render("unlock.html", next=_next(ctx))


@route("/unlock", methods=("POST",), auth=False, vault=False)
def unlock_submit(ctx: Ctx) -> Response:
    try:
        ctx.state.unlock(str(ctx.form.get("passphrase", "")))
    except (AccessDenied, InvalidInput) as err:
        return ctx.render("unlock.html", http_status=401 if err.exit_code == 3 else 400, next=_next(ctx),
                          message=err.render(ctx.lang))
    ctx.set_cookie(COOKIE_DEVICE, ctx.state.devices.issue("browser", organiser=True))
    return ctx.redirect(_next(ctx))


@route("/api/unlock", methods=("POST",), auth=False, vault=False)
def api_unlock(ctx: Ctx) -> dict[str, Any]:
    """``{"passphrase": ...}`` -> ``{"token": ...}`` (send it as ``Authorization: Bearer``)."""
    ctx.state.unlock(str(ctx.form.get("passphrase", "")))
    return {"ok": True, "token": ctx.state.devices.issue("script", organiser=True)}


@route("/lock", methods=("POST",), vault=False)
def lock(ctx: Ctx) -> Response:
    if ctx.device is not None and ctx.device.organiser:
        ctx.state.lock()
    ctx.state.devices.forget(_token(ctx))
    ctx.set_cookie(COOKIE_DEVICE, "")
    return ctx.redirect("/unlock")


@route("/api/lock", methods=("POST",), vault=False)
def api_lock(ctx: Ctx) -> dict[str, Any]:
    _organiser(ctx)
    ctx.state.lock()
    return {"ok": True}


@route("/api/status", vault=False)
def api_status(ctx: Ctx) -> dict[str, Any]:
    return {"open": ctx.state.is_open, "lan": ctx.state.lan, "organiser": bool(ctx.device and ctx.device.organiser)}


@route("/panic", vault=False)
def panic_page(ctx: Ctx) -> Response:
    _organiser(ctx)
    return ctx.render("panic.html")


@route("/panic", methods=("POST",), vault=False)
def panic_submit(ctx: Ctx) -> Response:
    _organiser(ctx)
    if ctx.form.get("confirm") != "yes":
        return ctx.render("panic.html", http_status=400)
    ctx.state.panic()
    ctx.set_cookie(COOKIE_DEVICE, "")
    response = ctx.render("blank.html")
    response.headers["clear-site-data"] = CLEAR_SITE
    return response


# ---------------------------------------------------------------------- pairing
@route("/pair", auth=False, vault=False)
def pair_page(ctx: Ctx) -> Response:
    return ctx.render("pair.html", code=ctx.arg("code"), next=_next(ctx))


@route("/pair", methods=("POST",), auth=False, vault=False)
def pair_submit(ctx: Ctx) -> Response:
    try:
        token = ctx.state.devices.redeem(ctx.arg("code"), ctx.arg("name") or "phone")
    except AccessDenied as err:
        return ctx.render("pair.html", http_status=403, code="", next=_next(ctx), message=err.render(ctx.lang))
    ctx.set_cookie(COOKIE_DEVICE, token)
    return ctx.redirect(_next(ctx))


@route("/api/pair", methods=("POST",), auth=False, vault=False)
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


@route("/devices", vault=False)
def devices(ctx: Ctx) -> Response:
    _organiser(ctx)
    return _devices_page(ctx)


@route("/devices/code", methods=("POST",), vault=False)
def devices_code(ctx: Ctx) -> Response:
    _organiser(ctx)
    return _devices_page(ctx, ctx.state.devices.new_code())


@route("/devices/revoke", methods=("POST",), vault=False)
def devices_revoke(ctx: Ctx) -> Response:
    _organiser(ctx)
    ctx.state.devices.revoke(ctx.arg("id"))
    return ctx.redirect("/devices")


@route("/api/devices/code", methods=("POST",), vault=False)
def api_devices_code(ctx: Ctx) -> dict[str, Any]:
    _organiser(ctx)
    return {"code": ctx.state.devices.new_code(), "ttl_seconds": int(ctx.state.devices.code_ttl)}


# ---------------------------------------------------------------------- language, icon
@route("/lang", auth=False, vault=False)
def language(ctx: Ctx) -> Response:
    wanted = ctx.arg("to")
    if wanted in LANGUAGES:
        ctx.set_cookie(COOKIE_LANG, wanted)
    return ctx.redirect(_next(ctx))


@route("/favicon.ico", auth=False, vault=False)
def favicon(ctx: Ctx) -> Response:
    data = resources.files("halqa.web").joinpath("static/favicon.svg").read_bytes()
    return Response(data, media_type="image/svg+xml")
