"""Posters: pick a kind, area, languages, style, size and format; download the file that
:func:`halqa.publish.render` draws (metadata already stripped there)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.responses import Response

import halqa.places as places
import halqa.publish as publish
from halqa.errors import HalqaError
from halqa.web.pipeline import Access, Ctx, Nav, View, view

#: Language pairs offered (main language first; the second is printed smaller beside it).
LANG_CHOICES = ("ar,en", "ar", "ar,ckb", "ckb,ar", "ckb", "en,ar", "en")
#: The pair preselected for a page's language.
DEFAULT_LANGS = {"ar": "ar,en", "ckb": "ckb,ar", "en": "en,ar"}
MEDIA = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}


def _choices(ctx: Ctx) -> dict[str, Any]:
    return {"kinds": publish.poster_kinds(ctx.lang), "styles": list(publish.STYLES), "sizes": list(publish.SIZES),
            "formats": list(publish.FORMATS), "langs": list(LANG_CHOICES), "default_lang": DEFAULT_LANGS.get(ctx.lang, "ar,en")}


def _wanted(ctx: Ctx, choices: dict[str, Any]) -> dict[str, Any]:
    """The form's choices, each checked against what publish offers (unknown -> a clear error)."""
    kinds = {k.kind: k for k in choices["kinds"]}
    kind = ctx.field("kind", str, next(iter(kinds), ""), choices=list(kinds))
    area = ctx.field("area", str, None)
    return {"kind": kind, "area": area if kinds[kind].area else None,
            "lang": ctx.field("lang", str, DEFAULT_LANGS.get(ctx.lang, "ar,en"), choices=choices["langs"]),
            "style": ctx.field("style", str, "screen", choices=choices["styles"]),
            "size": ctx.field("size", str, "a4", choices=choices["sizes"]),
            "format": ctx.field("format", str, "pdf", choices=choices["formats"])}


def _draw(ctx: Ctx, wanted: dict[str, Any]) -> Response:
    """Draw into a private temporary folder, answer with the bytes, remove the folder."""
    folder = Path(tempfile.mkdtemp(prefix="halqa-"))
    try:
        name = f"{wanted['kind']}-{(wanted['area'] or 'all').lower()}.{wanted['format']}"
        publish.render(ctx.vault, wanted["kind"], folder / name, area=wanted["area"], lang=wanted["lang"],
                       style=wanted["style"], size=wanted["size"], fmt=wanted["format"], dpi=200)
        data = (folder / name).read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(data, media_type=MEDIA[wanted["format"]],
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def publish_page(ctx: Ctx) -> Response:
    return ctx.render("publish.html", **_choices(ctx), areas=places.areas(ctx.vault), wanted=None)


def publish_poster(ctx: Ctx) -> Response:
    choices = _choices(ctx)
    try:
        wanted = _wanted(ctx, choices)
        return _draw(ctx, wanted)
    except HalqaError as err:  # no data for this poster, unknown choice: say so beside the form
        if err.exit_code != 2:
            raise
        return ctx.render("publish.html", http_status=400, **choices, areas=places.areas(ctx.vault),
                          wanted=ctx.form, message=err.render(ctx.lang))


def api_publish(ctx: Ctx) -> dict[str, Any]:
    """What a poster can be: kinds (with titles in the request's language), styles, sizes, formats, languages."""
    return _choices(ctx)


def api_publish_poster(ctx: Ctx) -> Response:
    """``{"kind", "area", "lang", "style", "size", "format"}`` -> the poster file (an attachment)."""
    return _draw(ctx, _wanted(ctx, _choices(ctx)))


routes: list[View] = [
    view("/publish", publish_page, access=Access.ORGANISER),
    view("/publish/poster", publish_poster, methods=("POST",), access=Access.ORGANISER),
    view("/api/publish", api_publish, access=Access.ORGANISER),
    view("/api/publish/poster", api_publish_poster, methods=("POST",), access=Access.ORGANISER),
]
nav = Nav("/publish", "web.nav.publish")
