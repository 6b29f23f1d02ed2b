"""Quick entry (the first page: power off/on, a grievance with a voice note, reading disguised
notes back), the language switch and the icon."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from starlette.responses import Response

import halqa.ledger as ledger
import halqa.listening as listening
import halqa.places as places
from halqa.errors import InvalidInput
from halqa.i18n import LANGUAGES
from halqa.web.pipeline import COOKIE_HOUSEHOLD, Access, Ctx, Nav, Upload, View, view
from halqa.web.security import COOKIE_LANG


def _home(ctx: Ctx, http_status: int = 200, **extra: Any) -> Response:
    hh = ctx.household()
    known = ctx.cached(places.households)
    current = ctx.cached(ledger.open_interval, hh) if hh and any(h["id"] == hh for h in known) else None
    return ctx.render("home.html", http_status=http_status, households=known, household=hh, open_interval=current,
                      themes=ctx.cached(listening.themes), areas=ctx.cached(places.areas),
                      today=dt.date.today().isoformat(), done=ctx.arg("done"), **extra)


def home(ctx: Ctx) -> Response:
    return _home(ctx)


def quick_power(ctx: Ctx) -> Response:
    hh = ctx.household()
    if not hh:
        raise InvalidInput("web.error.no_household")
    if ctx.arg("state") == "off":
        ledger.start_outage(ctx.vault, hh)
        done = "off"
    else:
        ledger.stop_outage(ctx.vault, hh)
        done = "on"
    ctx.set_cookie(COOKIE_HOUSEHOLD, hh)
    return ctx.redirect(f"/?done={done}")


def quick_grievance(ctx: Ctx) -> Response:
    voice = ctx.form.get("voice")
    theme = ctx.arg("theme")
    listening.add_grievance(ctx.vault, themes=[theme] if theme else None, place=ctx.arg("place"),
                            day=ctx.day("day", dt.date.today()), text=ctx.arg("text") or None,
                            voice=voice.data if isinstance(voice, Upload) else None,
                            voice_mime=voice.mime if isinstance(voice, Upload) else "audio/ogg")
    return ctx.redirect("/?done=grievance")


def quick_decode(ctx: Ctx) -> Response:
    lines = ctx.arg("lines").splitlines()
    results = listening.decode_lines(ctx.vault, lines)
    return _home(ctx, decoded=list(zip(lines, results, strict=False)))


def language(ctx: Ctx) -> Response:
    wanted = ctx.arg("to")
    if wanted in LANGUAGES:
        ctx.set_cookie(COOKIE_LANG, wanted)
    return ctx.redirect(ctx.next_path())


def favicon(ctx: Ctx) -> Response:
    data = resources.files("halqa.web").joinpath("static/favicon.svg").read_bytes()
    return Response(data, media_type="image/svg+xml")


routes: list[View] = [
    view("/", home, access=Access.MEMBER),
    view("/quick/power", quick_power, methods=("POST",), access=Access.MEMBER),
    view("/quick/grievance", quick_grievance, methods=("POST",), access=Access.MEMBER),
    view("/quick/decode", quick_decode, methods=("POST",), access=Access.MEMBER),
    view("/lang", language, access=Access.PUBLIC, vault=False),
    view("/favicon.ico", favicon, access=Access.PUBLIC, vault=False),
]
nav = Nav("/", "web.nav.home")
