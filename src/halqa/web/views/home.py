"""Quick entry (the first page: power off/on, a water day, a grievance with a voice note, reading
disguised notes back), what this device entered itself, the language switch and the icon."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from starlette.responses import Response

import halqa.ledger as ledger
import halqa.listening as listening
import halqa.places as places
from halqa.errors import NotFound
from halqa.i18n import LANGUAGES
from halqa.vault.values import today_date
from halqa.web.fmt import lookup
from halqa.web.paging import household_hints
from halqa.web.pipeline import COOKIE_HOUSEHOLD, MAX_VOICE_BODY, Access, Ctx, Nav, Upload, View, view
from halqa.web.security import COOKIE_LANG

POWER = ("off", "on")


def _known(ctx: Ctx, hh: str) -> bool:
    """Whether ``hh`` is an enrolled household (one lookup, not the list of them all)."""
    return bool(hh) and ctx.cached(places.find_household, hh) is not None


def _home(ctx: Ctx, http_status: int = 200, **extra: Any) -> Response:
    hh = ctx.own_household(required=False)
    known = household_hints(ctx, hh)
    current = ctx.cached(ledger.open_interval, hh) if _known(ctx, hh) else None
    return ctx.render("home.html", http_status=http_status, households=known, household=hh, open_interval=current,
                      themes=ctx.cached(listening.themes), areas=ctx.cached(places.areas),
                      today=today_date().isoformat(), done=ctx.field("done", str, "", choices=DONE), **extra)


def home(ctx: Ctx) -> Response:
    return _home(ctx)


def power(ctx: Ctx) -> ledger.Outage:
    """The power went off / came back now at the device's household (one domain call)."""
    hh = ctx.own_household()
    if ctx.field("state", str, choices=POWER) == "off":
        return ledger.start_outage(ctx.vault, hh)
    return ledger.stop_outage(ctx.vault, hh)


def water(ctx: Ctx) -> dict[str, Any]:
    """One household-day of the water ledger."""
    key = ledger.add_water(ctx.vault, ctx.own_household(), ctx.field("day", dt.date, today_date()).isoformat(),
                           no_water=ctx.field("no_water", bool, False), contaminated=ctx.field("contaminated", bool, False),
                           smell=ctx.field("smell", bool, False), illness=ctx.field("illness", int, 0, minimum=0, maximum=100),
                           litres_bought=ctx.field("litres_bought", int, 0, minimum=0, maximum=100_000),
                           spent=ctx.field("spent", str, "0"))
    return {"id": key}


def grievance(ctx: Ctx) -> listening.Grievance:
    """One grievance (with a voice note from the form, or a count from a script)."""
    voice = ctx.field("voice", Upload, None)
    theme = ctx.field("theme", str, "")
    row = listening.add_grievance(ctx.vault, themes=ctx.field("themes", list, [theme] if theme else None),
                                  place=ctx.field("place", str), day=ctx.field("day", dt.date, today_date()).isoformat(),
                                  text=ctx.field("text", str, None), count=ctx.field("count", int, 1, minimum=1, maximum=10_000),
                                  voice=voice.data if voice else None, voice_mime=voice.mime if voice else "audio/ogg")
    ctx.remember("grievance", row.id)
    return row


def quick_power(ctx: Ctx) -> Response:
    done = ctx.field("state", str, choices=POWER)
    power(ctx)
    ctx.set_cookie(COOKIE_HOUSEHOLD, ctx.own_household())
    return ctx.redirect(f"/?done={done}")


def quick_water(ctx: Ctx) -> Response:
    water(ctx)
    return ctx.redirect("/?done=water")


def quick_grievance(ctx: Ctx) -> Response:
    grievance(ctx)
    return ctx.redirect("/?done=grievance")


def quick_decode(ctx: Ctx) -> Response:
    lines = ctx.field("lines", str, "").splitlines()
    results = listening.decode_lines(ctx.vault, lines)
    return _home(ctx, decoded=list(zip(lines, results, strict=False)))


def _mine(ctx: Ctx) -> dict[str, Any]:
    """The complaints this device entered itself (their ids are remembered in the server's memory
    with its token), and its household's power and water: never another household's, never
    another device's complaints."""
    device = ctx.device
    entries = device.entries if device is not None else []
    grievances = []
    for kind, record_id in reversed(entries):
        if kind == "grievance":
            try:
                grievances.append(listening.get_grievance(ctx.vault, record_id))
            except NotFound:  # redacted, or another vault (the decoy) is open now
                continue
    hh = ctx.own_household(required=False)
    known = _known(ctx, hh)
    today = today_date()
    return {"household": hh, "grievances": grievances,
            "open_interval": ledger.open_interval(ctx.vault, hh) if known else None,
            "supply": ledger.household_supply(ctx.vault, hh, (today - dt.timedelta(days=13)).isoformat(),
                                              today.isoformat()) if known else [],
            "water": ledger.water_spending(ctx.vault, household=hh) if known else []}


def mine(ctx: Ctx) -> Response:
    return ctx.render("mine.html", **_mine(ctx), areas=lookup(ctx.cached(places.areas), "code"))


def api_mine(ctx: Ctx) -> dict[str, Any]:
    return _mine(ctx)


def language(ctx: Ctx) -> Response:
    wanted = ctx.field("to", str, "")
    if wanted in LANGUAGES:
        ctx.set_cookie(COOKIE_LANG, wanted)
    return ctx.redirect(ctx.next_path())


def favicon(ctx: Ctx) -> Response:
    data = resources.files("halqa.web").joinpath("static/favicon.svg").read_bytes()
    return Response(data, media_type="image/svg+xml")


#: What the home page may confirm after a quick entry (``?done=``).
DONE = ("off", "on", "water", "grievance")

routes: list[View] = [
    view("/", home, access=Access.MEMBER),
    view("/quick/power", quick_power, methods=("POST",), access=Access.MEMBER),
    view("/quick/water", quick_water, methods=("POST",), access=Access.MEMBER),
    view("/quick/grievance", quick_grievance, methods=("POST",), access=Access.MEMBER, max_body=MAX_VOICE_BODY),
    view("/quick/decode", quick_decode, methods=("POST",), access=Access.ORGANISER),
    view("/api/ledger/power", power, methods=("POST",), access=Access.MEMBER),
    view("/api/ledger/water", water, methods=("POST",), access=Access.MEMBER),
    view("/api/listen/grievances", grievance, methods=("POST",), access=Access.MEMBER),
    view("/mine", mine, access=Access.MEMBER),
    view("/api/mine", api_mine, access=Access.MEMBER),
    view("/lang", language, access=Access.PUBLIC, vault=False),
    view("/favicon.ico", favicon, access=Access.PUBLIC, vault=False),
]
nav = Nav("/", "web.nav.home")
