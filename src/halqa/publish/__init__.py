"""halqa.publish: visual narratives from the circle's own data.

Posters (SVG, PNG at print resolution, PDF) drawn from aggregates the other domains compute:
blackout calendars, supply hours against the official claim, reliability indices over time and
district maps (:mod:`halqa.ledger`), the water ledger, shared grievances with honest intervals
and complaint hotspot maps (:mod:`halqa.listening`), fund and pool transparency
(:mod:`halqa.mutual_aid`), and "the same failure elsewhere" beside published figures that carry
their source and year on the picture (``data/reference.json``).

Arabic is the default language with English or Sorani beside it; Arabic and Sorani are shaped
and laid out right to left by vl-convert (resvg/rustybuzz, svg2pdf keeps real text in PDFs);
digits follow the locale. Styles: ``screen``, ``print1`` (one ink) and ``print2`` (two inks),
both print styles stencil- and screen-print friendly. Sizes: A4, A3 and a sack label.

Nothing on a poster names a household or a member: every cell drawn passes the bridge's
small-cell suppression (:func:`halqa.bridge.aggregates.suppress` at the bridge's default
threshold, :data:`THRESHOLD`); posters add no differential-privacy noise and spend no budget (see
:mod:`halqa.publish.disclosure`). Written files carry no metadata (PNG text chunks and PDF
document information are removed). Modules: ``style`` (inks, sizes, fonts, digits), ``compose``
(page, output, metadata), ``charts`` (Vega-Lite blocks, maps, legends), ``kinds`` (one builder
per poster), ``disclosure`` (the bridge's suppression applied to every cell), ``posters`` (render
and batch), ``common`` (request, figure, periods, packaged data).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halqa.i18n import t
from halqa.places import area_codes
from halqa.publish.common import Figure, demo_boundaries, reference_rows
from halqa.publish.compose import FORMATS, png_chunks, strip_pdf, strip_png
from halqa.publish.disclosure import THRESHOLD
from halqa.publish.kinds import KINDS
from halqa.publish.style import SIZES, STYLES, fonts_available
from halqa.vault import Vault

__all__ = [
    "FORMATS",
    "SIZES",
    "STYLES",
    "THRESHOLD",
    "Figure",
    "boundaries",
    "demo",
    "figure",
    "fonts_available",
    "png_chunks",
    "poster_kinds",
    "reference_figures",
    "render",
    "render_batch",
    "strip_pdf",
    "strip_png",
]


def poster_kinds(lang: str | None = None) -> list[dict[str, Any]]:
    """Every poster kind: ``{"kind", "title", "source", "area", "description"}`` (texts in ``lang``)."""
    return [{"kind": k, "title": t(f"publish.{k}.title", lang=lang, area="…", name="…"),
             "source": src, "area": takes_area, "description": t(f"publish.{k}.about", lang=lang)}
            for k, (_, src, takes_area) in KINDS.items()]


def figure(vault: Vault, kind: str, area: str | None = None, lang: str = "ar,en", style: str = "screen",
           size: str = "a4", digits: str | None = None, first: str | None = None, last: str | None = None,
           name: str | None = None) -> Figure:
    """The :class:`Figure` of a poster kind (texts, the Vega-Lite spec with inline aggregates,
    the aggregates as data, sources) without writing a file: for notebooks and scripts."""
    from halqa.publish.charts import config
    from halqa.publish.posters import build, make_request

    req, w, h = make_request(vault, area, lang, style, size, digits, first, last, name)
    fig, _ = build(req, kind, w, h)
    if fig.spec is not None:
        fig.spec = {**fig.spec, "config": config(req)}
    return fig


def render(vault: Vault, kind: str, output: str | os.PathLike[str], area: str | None = None, lang: str = "ar,en",
           style: str = "screen", size: str = "a4", fmt: str | None = None, digits: str | None = None,
           first: str | None = None, last: str | None = None, name: str | None = None, dpi: int = 300) -> dict[str, Any]:
    """Draw one poster to ``output`` (format from ``fmt`` or the suffix: pdf, png, svg).

    ``lang`` is ``"ar"``, ``"ar,en"``, ``"ar,ckb"``, ``"ckb,ar"``, ``"en,ar"``…; ``style`` is
    ``screen``, ``print1`` or ``print2``; ``size`` is ``a4``, ``a3`` or ``sack``; ``digits`` is
    ``arab`` or ``latn`` (default: the main language's). Returns ``{"kind", "file", "format",
    "bytes", "seconds", "suppressed", ...}``."""
    from halqa.publish.posters import render_file

    return render_file(vault, kind, output, area, lang, style, size, fmt, digits, first, last, name, dpi)


def render_batch(vault: Vault, folder: str | os.PathLike[str], kinds: list[str] | None = None,
                 formats: tuple[str, ...] = ("pdf", "png"), lang: str = "ar,en", style: str = "screen",
                 size: str = "a4", every_area: bool = True,
                 progress: Callable[[int, int, str], None] | None = None, dpi: int = 300) -> list[dict[str, Any]]:
    """Draw every kind (city-wide, and once per district for kinds that take ``--area``) into
    ``folder``; ``progress(done, total, label)`` is called after each poster. Kinds without data
    are reported as ``{"skipped": reason}``."""
    from halqa.publish.posters import batch

    return batch(vault, folder, kinds, formats, lang, style, size, every_area, progress, dpi)


def boundaries(vault: Vault | None = None, detail: str = "paper") -> dict[str, Any]:
    """District shapes as GeoJSON with a ``frame`` and the area codes ``missing`` a shape: the
    vault's stored boundaries (imported with ``halqa places import-boundaries``, or the demo's
    schematic map), else its areas' H3 hexagons. ``detail``: ``paper`` (posters) or ``screen``.
    Without a vault: the packaged schematic map of the demo city."""
    if vault is None:
        return demo_boundaries()
    from halqa.publish.charts import boundaries as shapes
    from halqa.publish.posters import make_request

    req, _, _ = make_request(vault)
    return shapes(req, detail)


def reference_figures(topic: str | None = None) -> list[dict[str, Any]]:
    """The packaged published figures for comparisons, each with ``source``, ``year`` and ``url``."""
    return [r for r in reference_rows() if topic is None or r["topic"] == topic]


#: The demo's posters: (kind, area, languages, style, size, formats).
DEMO_POSTERS: tuple[tuple[str, str | None, str, str, str, tuple[str, ...]], ...] = (
    ("blackouts", "NKH", "ar,en", "print2", "a4", ("pdf", "png")),
    ("map", None, "ar,en", "screen", "a4", ("pdf", "png")),
    ("supply", None, "ar,ckb", "print1", "a4", ("pdf", "png")),
    ("grievances", None, "ckb,en", "screen", "a4", ("pdf", "png")),
    ("compare", "MNA", "ar,en", "print1", "sack", ("pdf", "png")),
    ("fund", None, "ar,en", "screen", "a4", ("pdf", "png")),
)


def demo(vault: Vault, rng: random.Random) -> dict[str, Any]:
    """Draw a representative set of posters of the demo neighbourhood (six kinds, styles and
    sizes, each as PDF and 150 dpi PNG) into a ``posters`` folder beside the vault (or
    ``$HALQA_DEMO_POSTERS``); return the folder and every file's path, for ``halqa demo`` to print."""
    del rng
    if not fonts_available():
        return {"posters": t("publish.demo.no_fonts")}
    from halqa.publish.compose import render_bytes
    from halqa.publish.posters import build, make_request, write_atomic

    folder = Path(os.environ.get("HALQA_DEMO_POSTERS") or (Path(vault.path).parent / "posters"))
    start = time.perf_counter()
    out: dict[str, Any] = {"folder": str(folder)}
    codes = set(area_codes(vault))
    for kind, area, lang, style, size, formats in DEMO_POSTERS:
        area = area if area in codes else None
        stem = "-".join(x for x in (kind, (area or "").lower(), lang.replace(",", ""), style, size) if x)
        try:
            req, w, h = make_request(vault, area, lang, style, size)
            _, page = build(req, kind, w, h)
            for fmt in formats:
                path = folder / f"{stem}.{fmt}"
                write_atomic(path, render_bytes(page, fmt, 150))
                out[path.name] = str(path)
        except Exception as err:  # a poster must never break the demo of the other domains
            out[stem] = f"- ({type(err).__name__})"
    out["seconds"] = round(time.perf_counter() - start, 2)
    return out
