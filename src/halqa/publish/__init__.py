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
per poster), ``disclosure`` (the bridge's suppression applied to every cell), ``posters`` (the
public functions: kinds, figure, render, batch, boundaries, reference figures), ``common``
(request, figure, periods, packaged data), ``demo`` (the posters of ``halqa demo``).
"""

from __future__ import annotations

from halqa.publish.common import Figure
from halqa.publish.compose import FORMATS, png_chunks, strip_pdf, strip_png
from halqa.publish.demo import demo
from halqa.publish.disclosure import THRESHOLD
from halqa.publish.posters import (
    Boundaries,
    DrawnPoster,
    PosterKind,
    ReferenceFigure,
    RenderedPoster,
    SkippedPoster,
    boundaries,
    figure,
    poster_kinds,
    reference_figures,
    render,
    render_batch,
)
from halqa.publish.style import SIZES, STYLES, fonts_available

__all__ = [
    "FORMATS",
    "SIZES",
    "STYLES",
    "THRESHOLD",
    "Boundaries",
    "DrawnPoster",
    "Figure",
    "PosterKind",
    "ReferenceFigure",
    "RenderedPoster",
    "SkippedPoster",
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
