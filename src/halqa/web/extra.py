"""Learning and care, bridge: pages for the domains that landed last (registered only when their
public functions exist, so the app keeps working while they are being built)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

import halqa.bridge as bridge
import halqa.learning as learning
from halqa.errors import InvalidInput
from halqa.web.app import Ctx, Upload, route

# Fail at import (and so register nothing) if a function these pages call is missing.
_NEEDED = (learning.saved_plan, learning.sessions, learning.tactics, learning.care_status, learning.health,
           bridge.contacts, bridge.export_bundle, bridge.import_bundle, bridge.identity)

NAV = (("/learning", "web.nav.learning"), ("/bridge", "web.nav.bridge"))


def _learning_data(ctx: Ctx) -> dict[str, Any]:
    return {"rotation": ctx.cached(learning.saved_plan)[:12], "sessions": ctx.cached(learning.sessions)[:20],
            "tactics": ctx.cached(learning.tactics, lang=ctx.lang)[:20], "care": ctx.cached(learning.care_status),
            "health": ctx.cached(learning.health)}


@route("/learning")
def learning_page(ctx: Ctx) -> Response:
    return ctx.render("learning.html", **_learning_data(ctx))


@route("/api/learning")
def api_learning(ctx: Ctx) -> dict[str, Any]:
    return _learning_data(ctx)


@route("/bridge")
def bridge_page(ctx: Ctx) -> Response:
    return ctx.render("bridge.html", contacts=ctx.cached(bridge.contacts), identity=ctx.cached(bridge.identity))


@route("/bridge/export", methods=("POST",))
def bridge_export(ctx: Ctx) -> Response:
    """Seal an aggregate-only bundle (by default) to one contact and download it."""
    result = bridge.export_bundle(ctx.vault, [ctx.arg("contact")], aggregate_only=ctx.arg("everything") != "yes",
                                  everything=ctx.arg("everything") == "yes")
    return Response(result["data"], media_type="application/octet-stream",
                    headers={"content-disposition": 'attachment; filename="notes.bin"'})


@route("/bridge/import", methods=("POST",))
def bridge_import(ctx: Ctx) -> Response:
    upload = ctx.form.get("bundle")
    if not isinstance(upload, Upload):
        raise InvalidInput("web.error.no_file")
    result = bridge.import_bundle(ctx.vault, upload.data)
    return ctx.render("bridge.html", contacts=bridge.contacts(ctx.vault), identity=bridge.identity(ctx.vault),
                      imported=result.as_dict())


@route("/api/bridge/contacts")
def api_bridge_contacts(ctx: Ctx) -> list[dict[str, Any]]:
    return bridge.contacts(ctx.vault)
