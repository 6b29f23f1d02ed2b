"""Learning and care: care reminders, the learning rotation, sessions, tactics, circle health."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.learning as learning
from halqa.web.pipeline import Access, Ctx, Nav, View, view


def _learning_data(ctx: Ctx) -> dict[str, Any]:
    return {"rotation": ctx.cached(learning.saved_plan)[:12], "sessions": ctx.cached(learning.sessions)[:20],
            "tactics": ctx.cached(learning.tactics, lang=ctx.lang)[:20], "care": ctx.cached(learning.care_status),
            "health": ctx.cached(learning.health)}


def learning_page(ctx: Ctx) -> Response:
    # a session about an archived tactic shows the archive's title in the page's language
    titles = {r.id: r.title for r in ctx.cached(learning.tactics, lang=ctx.lang)}
    return ctx.render("learning.html", **_learning_data(ctx), titles=titles)


def api_learning(ctx: Ctx) -> dict[str, Any]:
    return _learning_data(ctx)


routes: list[View] = [
    view("/learning", learning_page, access=Access.ORGANISER),
    view("/api/learning", api_learning, access=Access.ORGANISER),
]
nav = Nav("/learning", "web.nav.learning")
