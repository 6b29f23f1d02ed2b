"""The bridge: seal a bundle for a contact, open one received, contacts and fingerprints."""

from __future__ import annotations

from starlette.responses import Response

import halqa.bridge as bridge
from halqa.errors import InvalidInput
from halqa.web.pipeline import MAX_BUNDLE_BODY, Access, Ctx, Nav, Upload, View, view


def bridge_page(ctx: Ctx) -> Response:
    return ctx.render("bridge.html", contacts=ctx.cached(bridge.contacts), identity=ctx.cached(bridge.identity))


def bridge_export(ctx: Ctx) -> Response:
    """Seal an aggregate-only bundle (by default) to one contact and download it."""
    everything = ctx.field("everything", bool, False)
    result = bridge.export_bundle(ctx.vault, [ctx.field("contact", str)], aggregate_only=not everything,
                                  everything=everything)
    return Response(result.data, media_type="application/octet-stream",
                    headers={"content-disposition": 'attachment; filename="notes.bin"'})


def bridge_import(ctx: Ctx) -> Response:
    upload = ctx.field("bundle", Upload, None)
    if upload is None:
        raise InvalidInput("web.error.no_file")
    if bridge.is_outbox(upload.data):  # a member phone's outbox, sent as a file
        got = bridge.import_outbox(ctx.vault, upload.data)
        return ctx.render("bridge.html", contacts=bridge.contacts(ctx.vault), identity=bridge.identity(ctx.vault),
                          outbox=got)
    result = bridge.import_bundle(ctx.vault, upload.data)
    return ctx.render("bridge.html", contacts=bridge.contacts(ctx.vault), identity=bridge.identity(ctx.vault),
                      imported=result)


def api_bridge_contacts(ctx: Ctx) -> list[bridge.Contact]:
    return bridge.contacts(ctx.vault)


routes: list[View] = [
    view("/bridge", bridge_page, access=Access.ORGANISER),
    view("/bridge/export", bridge_export, methods=("POST",), access=Access.ORGANISER),
    view("/bridge/import", bridge_import, methods=("POST",), access=Access.ORGANISER, max_body=MAX_BUNDLE_BODY),
    view("/api/bridge/contacts", api_bridge_contacts, access=Access.ORGANISER),
]
nav = Nav("/bridge", "web.nav.bridge")
