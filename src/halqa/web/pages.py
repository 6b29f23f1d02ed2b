"""The domain pages and their JSON API: each handler calls one or two public domain functions
and renders. No domain logic here: what a page shows is what the domain returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

import halqa.circles as circles_domain
import halqa.ledger as ledger
import halqa.listening as listening
import halqa.mutual_aid as aid
import halqa.places as places
from halqa.errors import InvalidInput
from halqa.web import geo
from halqa.web.app import Ctx, Upload, route

COOKIE_HOUSEHOLD = "hh"
DAY = 86400


def _today() -> dt.date:
    return dt.date.today()


def _iso_day(value: str, default: dt.date) -> str:
    if not value:
        return default.isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput("web.error.bad_day", value=value) from None


def _ledger_end(ctx: Ctx) -> dt.date:
    """The last day with a recorded outage (a demo or an old archive), else today."""
    row = ctx.state.cached(ctx.vault, "ledger_end", lambda: ctx.vault.query_one("SELECT max(start_at) FROM ledger_interval"))
    if row is None or row[0] is None:
        return _today()
    return min(_today(), dt.datetime.fromtimestamp(int(row[0]), dt.UTC).date())


def _period(ctx: Ctx, days: int) -> tuple[str, str]:
    end = _ledger_end(ctx) if not ctx.arg("to") else dt.date.fromisoformat(_iso_day(ctx.arg("to"), _today()))
    last = end.isoformat()
    first = _iso_day(ctx.arg("from"), end - dt.timedelta(days=days - 1))
    if first > last:
        raise InvalidInput("web.error.bad_period", first=first, last=last)
    return first, last


def _lookup(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r[key]): r for r in rows}


# ---------------------------------------------------------------------- quick entry
def _household(ctx: Ctx) -> str:
    return ctx.arg("household") or ctx.request.cookies.get(COOKIE_HOUSEHOLD, "")


def _home(ctx: Ctx, http_status: int = 200, **extra: Any) -> Response:
    hh = _household(ctx)
    known = ctx.cached(places.households)
    current = ctx.cached(ledger.open_interval, hh) if hh and any(h["id"] == hh for h in known) else None
    return ctx.render("home.html", http_status=http_status, households=known, household=hh, open_interval=current,
                      themes=ctx.cached(listening.themes), areas=ctx.cached(places.areas), today=_today().isoformat(),
                      done=ctx.arg("done"), **extra)


@route("/")
def home(ctx: Ctx) -> Response:
    return _home(ctx)


@route("/quick/power", methods=("POST",))
def quick_power(ctx: Ctx) -> Response:
    hh = _household(ctx)
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


@route("/quick/grievance", methods=("POST",))
def quick_grievance(ctx: Ctx) -> Response:
    voice = ctx.form.get("voice")
    theme = ctx.arg("theme")
    listening.add_grievance(ctx.vault, themes=[theme] if theme else None, place=ctx.arg("place"),
                            day=_iso_day(ctx.arg("day"), _today()), text=ctx.arg("text") or None,
                            voice=voice.data if isinstance(voice, Upload) else None,
                            voice_mime=voice.mime if isinstance(voice, Upload) else "audio/ogg")
    return ctx.redirect("/?done=grievance")


@route("/quick/decode", methods=("POST",))
def quick_decode(ctx: Ctx) -> Response:
    lines = ctx.arg("lines").splitlines()
    results = listening.decode_lines(ctx.vault, lines)
    return _home(ctx, decoded=list(zip(lines, results, strict=False)))


@route("/api/ledger/power", methods=("POST",))
def api_power(ctx: Ctx) -> dict[str, Any]:
    """``{"household": "hh-…", "state": "off" | "on"}``: the power went off / came back now."""
    hh = ctx.arg("household")
    if ctx.arg("state") == "off":
        return {"interval": ledger.start_outage(ctx.vault, hh)}
    return ledger.stop_outage(ctx.vault, hh)


# ---------------------------------------------------------------------- listening
@route("/listen")
def listen(ctx: Ctx) -> Response:
    theme, place = ctx.arg("theme") or None, ctx.arg("place") or None
    rows = ctx.cached(listening.list_grievances, theme=theme, place=place, limit=100)
    return ctx.render("listen.html", grievances=rows, theme=theme or "", place=place or "",
                      themes=_lookup(ctx.cached(listening.themes), "id"), areas=_lookup(ctx.cached(places.areas), "code"))


@route("/listen/suggest")
def listen_suggest(ctx: Ctx) -> Response:
    # the 20 newest unconfirmed ones only: a page never asks for suggestions on the whole archive
    gids = [g["id"] for g in ctx.cached(listening.list_grievances, unconfirmed=True, limit=20) if g["text"]]
    rows = ctx.cached(listening.suggest_themes, gids=gids) if gids else []
    return ctx.render("listen_suggest.html", rows=rows, themes=_lookup(ctx.cached(listening.themes), "id"))


@route("/listen/confirm", methods=("POST",))
def listen_confirm(ctx: Ctx) -> Response:
    chosen = ctx.form.get("themes") or []
    listening.confirm_themes(ctx.vault, ctx.arg("gid"), [chosen] if isinstance(chosen, str) else list(chosen))
    return ctx.redirect("/listen/suggest")


@route("/listen/shared")
def listen_shared(ctx: Ctx) -> Response:
    return ctx.render("listen_shared.html", result=ctx.cached(listening.shared_causes),
                      themes=_lookup(ctx.cached(listening.themes), "id"))


def _district_map(ctx: Ctx) -> dict[str, Any]:
    """The districts as SVG paths (:func:`halqa.publish.boundaries`), or no shapes if publish cannot load."""
    try:
        import halqa.publish as publish
    except ImportError:
        return geo.shapes({})
    return ctx.state.cached(ctx.vault, "district_map", lambda: geo.shapes(publish.boundaries(ctx.vault)))


@route("/listen/hotspots")
def listen_hotspots(ctx: Ctx) -> Response:
    theme = ctx.arg("theme") or None
    result = ctx.cached(listening.hotspots, theme=theme)
    by_place = _lookup(result["places"], "place")
    drawing = _district_map(ctx)
    classes = {s["code"]: geo.z_class(by_place.get(s["code"])) for s in drawing["shapes"] if s["kind"] != "water"}
    return ctx.render("listen_hotspots.html", result=result, theme=theme or "", drawing=drawing, classes=classes,
                      by_place=by_place, fills=geo.FILLS, water=geo.WATER,
                      themes=_lookup(ctx.cached(listening.themes), "id"), areas=_lookup(ctx.cached(places.areas), "code"))


@route("/api/listen/shared")
def api_listen_shared(ctx: Ctx) -> dict[str, Any]:
    by = [b for b in ctx.arg("by", "district").split(",") if b]
    return ctx.cached(listening.shared_causes, by=by)


@route("/api/listen/grievances")
def api_listen_grievances(ctx: Ctx) -> list[dict[str, Any]]:
    limit = ctx.arg("limit", "100")
    return ctx.cached(listening.list_grievances, theme=ctx.arg("theme") or None, place=ctx.arg("place") or None,
                                     limit=int(limit) if limit.isdigit() else 100)


@route("/api/listen/grievances", methods=("POST",))
def api_listen_add(ctx: Ctx) -> dict[str, Any]:
    themes = ctx.form.get("themes")
    return listening.add_grievance(ctx.vault, themes=list(themes) if isinstance(themes, list) else None,
                                   place=ctx.arg("place"), day=_iso_day(ctx.arg("day"), _today()),
                                   text=ctx.arg("text") or None, count=int(ctx.form.get("count") or 1))


@route("/api/listen/hotspots")
def api_listen_hotspots(ctx: Ctx) -> dict[str, Any]:
    return ctx.cached(listening.hotspots, theme=ctx.arg("theme") or None)


# ---------------------------------------------------------------------- ledger
@route("/ledger")
def ledger_page(ctx: Ctx) -> Response:
    first, last = _period(ctx, 30)
    result = ctx.cached(ledger.report, first, last)
    return ctx.render("ledger.html", report=result, first=first, last=last,
                      areas=_lookup(ctx.cached(places.areas), "code"))


@route("/ledger/calendar")
def ledger_calendar(ctx: Ctx) -> Response:
    known = ctx.cached(places.areas)
    area = ctx.arg("area") or (known[0]["code"] if known else "")
    first, last = _period(ctx, 14)
    result = ctx.cached(ledger.calendar, area, first, last) if area else None
    return ctx.render("ledger_calendar.html", result=result, area=area, first=first, last=last, areas=known)


@route("/ledger/household")
def ledger_household(ctx: Ctx) -> Response:
    hh = _household(ctx)
    first, last = _period(ctx, 30)
    rows = ctx.cached(ledger.household_supply, hh, first, last) if hh else []
    return ctx.render("ledger_household.html", rows=rows, household=hh, first=first, last=last,
                      households=ctx.cached(places.households))


@route("/api/ledger")
def api_ledger(ctx: Ctx) -> dict[str, Any]:
    """Area summaries (supply hours, IEEE 1366 indices, events, claims) for ``from``..``to``
    (default: the last 30 days with records), optionally one ``area``."""
    first, last = _period(ctx, 30)
    return ctx.cached(ledger.report, first, last, ctx.arg("area") or None)


@route("/api/ledger/calendar")
def api_ledger_calendar(ctx: Ctx) -> dict[str, Any]:
    first, last = _period(ctx, 14)
    return ctx.cached(ledger.calendar, ctx.arg("area"), first, last)


# ---------------------------------------------------------------------- circles
@route("/circles")
def circles_page(ctx: Ctx) -> Response:
    upcoming = [m for m in ctx.cached(circles_domain.meetings) if m["day"] >= _today().isoformat()][:30]
    return ctx.render("circles.html", overview=ctx.cached(circles_domain.show), circles=ctx.cached(circles_domain.circles),
                      meetings=upcoming, members=ctx.cached(circles_domain.members))


@route("/circles/vouch", methods=("POST",))
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


@route("/circles/form", methods=("POST",))
def circles_form(ctx: Ctx) -> Response:
    settings = _form_settings(ctx)
    apply = ctx.arg("apply") == "yes"
    result = circles_domain.form_circles(ctx.vault, apply=apply, time_limit=5.0, **settings)
    if apply:
        return ctx.redirect("/circles?done=formed")
    return ctx.render("circles_preview.html", result=result, settings=settings)


@route("/circles/exposure")
def circles_exposure(ctx: Ctx) -> Response:
    try:
        result = ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)
    except InvalidInput as err:  # nothing formed yet: say so on the page
        return ctx.render("circles_exposure.html", result=None, message=err.render(ctx.lang))
    return ctx.render("circles_exposure.html", result=result)


@route("/api/circles")
def api_circles(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.cached(circles_domain.circles)


@route("/api/circles/exposure")
def api_circles_exposure(ctx: Ctx) -> dict[str, Any]:
    return ctx.cached(circles_domain.exposure_report, trials=300, with_compare=True)


# ---------------------------------------------------------------------- mutual aid
def _aid_data(ctx: Ctx) -> dict[str, Any]:
    pools = ctx.cached(aid.pools)
    return {"funds": ctx.cached(aid.funds), "pools": pools,
            "status": [ctx.cached(aid.pool_status, p["name"]) for p in pools if p["status"] == "open"],
            "items": ctx.cached(aid.list_items), "reminders": ctx.cached(aid.reminders)}


@route("/aid")
def aid_page(ctx: Ctx) -> Response:
    return ctx.render("aid.html", **_aid_data(ctx))


@route("/api/aid")
def api_aid(ctx: Ctx) -> dict[str, Any]:
    return _aid_data(ctx)


# ---------------------------------------------------------------------- places
@route("/api/places")
def api_places(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.cached(places.areas)
