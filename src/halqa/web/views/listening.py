"""Listening: grievances, confirming suggested themes, shared causes, the hotspots map."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.listening as listening
import halqa.places as places
import halqa.publish as publish
from halqa.i18n import t
from halqa.web import fmt, geo
from halqa.web.fmt import lookup
from halqa.web.paging import paginate
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def listen(ctx: Ctx) -> Response:
    theme, place = ctx.field("theme", str, None), ctx.field("place", str, None)
    # the 100 newest (filters reach older ones), 10 to a page
    rows = ctx.cached(listening.list_grievances, theme=theme, place=place, limit=100)
    return ctx.render("listen.html", grievances=paginate(ctx, rows, 10), theme=theme or "", place=place or "",
                      themes=lookup(ctx.cached(listening.themes), "id"), areas=lookup(ctx.cached(places.areas), "code"))


def listen_suggest(ctx: Ctx) -> Response:
    # the 20 newest unconfirmed ones only: a page never asks for suggestions on the whole archive
    gids = [g.id for g in ctx.cached(listening.list_grievances, unconfirmed=True, limit=20) if g.text]
    themes = lookup(ctx.cached(listening.themes), "id")  # before: a model learning in the background reads the vault
    # not cached: while a model learns newly confirmed labels in the background, the last one
    # answers, and the next view after it finished uses the new one
    rows = listening.suggest_themes(ctx.vault, gids=gids, wait=False) if gids else []
    return ctx.render("listen_suggest.html", rows=rows, themes=themes)


def listen_confirm(ctx: Ctx) -> Response:
    listening.confirm_themes(ctx.vault, ctx.field("gid", str), ctx.field("themes", list, []))
    return ctx.redirect("/listen/suggest")


def listen_shared(ctx: Ctx) -> Response:
    areas = lookup(ctx.cached(places.areas), "code")

    def group_name(key: str) -> str:
        """A group key (``district=JSR``, ``sector=port``) as a person reads it: the district's name,
        a value's name where the catalogues have one (``value.<key>.<value>``), else the value typed."""
        by, _, value = key.partition("=")
        if by == "district" and value in areas:
            return fmt.name(areas[value], ctx.lang)
        named = t(f"value.{by}.{value}", lang=ctx.lang)
        return value if named == f"value.{by}.{value}" else named

    return ctx.render("listen_shared.html", result=ctx.cached(listening.shared_causes), group_name=group_name,
                      themes=lookup(ctx.cached(listening.themes), "id"))


def _district_map(ctx: Ctx) -> dict[str, Any]:
    """The districts as SVG paths (:func:`halqa.publish.boundaries`, simplified for a screen)."""
    return ctx.state.cached(ctx.vault, "district_map", lambda: geo.shapes(publish.boundaries(ctx.vault, "screen")))


def listen_hotspots(ctx: Ctx) -> Response:
    theme = ctx.field("theme", str, None)
    result = ctx.cached(listening.hotspots, theme=theme)
    by_place = lookup(result.places, "place")
    drawing = _district_map(ctx)
    classes = {s["code"]: geo.z_class(by_place.get(s["code"])) for s in drawing["shapes"] if s["kind"] != "water"}
    return ctx.render("listen_hotspots.html", result=result, theme=theme or "", drawing=drawing, classes=classes,
                      by_place=by_place, fills=geo.FILLS, water=geo.WATER,
                      themes=lookup(ctx.cached(listening.themes), "id"), areas=lookup(ctx.cached(places.areas), "code"))


def api_listen_shared(ctx: Ctx) -> listening.SharedCauses:
    by = [b for b in ctx.field("by", str, "district").split(",") if b]
    return ctx.cached(listening.shared_causes, by=by)


def api_listen_grievances(ctx: Ctx) -> list[listening.Grievance]:
    return ctx.cached(listening.list_grievances, theme=ctx.field("theme", str, None), place=ctx.field("place", str, None),
                      limit=ctx.field("limit", int, 100, minimum=1, maximum=10_000))


def api_listen_hotspots(ctx: Ctx) -> listening.Hotspots:
    return ctx.cached(listening.hotspots, theme=ctx.field("theme", str, None))


#: Adding a grievance (page and API) is quick entry: see :mod:`halqa.web.views.home`.
routes: list[View] = [
    view("/listen", listen, access=Access.ORGANISER),
    view("/listen/suggest", listen_suggest, access=Access.ORGANISER),
    view("/listen/confirm", listen_confirm, methods=("POST",), access=Access.ORGANISER),
    view("/listen/shared", listen_shared, access=Access.MEMBER),
    view("/listen/hotspots", listen_hotspots, access=Access.MEMBER),
    view("/api/listen/shared", api_listen_shared, access=Access.MEMBER),
    view("/api/listen/grievances", api_listen_grievances, access=Access.ORGANISER),
    view("/api/listen/hotspots", api_listen_hotspots, access=Access.MEMBER),
]
nav = Nav("/listen", "web.nav.listen", also=("/listen/hotspots",))
