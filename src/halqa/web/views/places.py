"""The areas (districts) as JSON, for scripts and forms."""

from __future__ import annotations

import halqa.places as places
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def api_places(ctx: Ctx) -> list[places.Area]:
    return ctx.cached(places.areas)


routes: list[View] = [view("/api/places", api_places, access=Access.MEMBER)]
nav: Nav | None = None
