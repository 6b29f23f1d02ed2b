"""The public poster functions: the kinds, a kind's figure, one poster drawn to a file, batches
with progress, district shapes and the packaged reference figures; and, beneath them, turning a
figure into a page and a page into a file."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from halqa.errors import InvalidInput
from halqa.i18n import t
from halqa.publish.charts import boundaries as shapes
from halqa.publish.charts import config
from halqa.publish.common import Boundaries, Figure, Request, area_names, demo_boundaries, reference_rows
from halqa.publish.compose import FORMATS, PNG_DPI, Line, Page, chart_box, format_of, render_bytes
from halqa.publish.kinds import KINDS
from halqa.publish.style import check_digits, format_locale, get_style, page_size, parse_langs, time_locale
from halqa.vault import Vault

__all__ = ["Boundaries", "DrawnPoster", "PosterKind", "ReferenceFigure", "RenderedPoster", "SkippedPoster",
           "boundaries", "figure", "poster_kinds", "reference_figures", "render", "render_batch"]


class PosterKind(msgspec.Struct, kw_only=True, frozen=True):
    """A poster kind: its title and description in one language, the data it draws on, and
    whether it takes ``--area``."""

    kind: str
    title: str
    source: str
    area: bool
    description: str


class RenderedPoster(msgspec.Struct, kw_only=True, frozen=True):
    """One poster written: where, how big, how long it took, and the cells left out (suppressed)."""

    kind: str
    file: str
    format: str
    bytes: int
    style: str
    size: str
    lang: str
    area: str | None
    title: str
    suppressed: list[str]
    seconds: float


class DrawnPoster(msgspec.Struct, kw_only=True, frozen=True):
    """A poster of a batch, written to ``file``."""

    kind: str
    area: str | None
    file: str
    format: str
    bytes: int
    seconds: float


class SkippedPoster(msgspec.Struct, kw_only=True, frozen=True):
    """A poster of a batch left out, and why (no data, too few to show)."""

    kind: str
    area: str | None
    skipped: str


class ReferenceFigure(msgspec.Struct, kw_only=True, frozen=True):
    """A published figure for comparisons, with its source, year and address."""

    id: str
    topic: str
    place_en: str
    place_ar: str
    place_ckb: str
    measure: str
    value: float
    before: float | msgspec.UnsetType = msgspec.UNSET
    unit: str
    year: int
    note_en: str
    source: str
    url: str


def safe_stem(text: str) -> str:
    """A file-name part from data (an area code, perhaps imported): ASCII letters, digits and '-'
    only, so it can never name another folder; anything else is replaced and a short hash keeps
    different inputs apart."""
    lowered = text.lower()
    stem = re.sub(r"[^a-z0-9-]+", "-", lowered).strip("-")[:40] or "x"
    if stem != lowered:
        stem += "-" + hashlib.blake2b(text.encode("utf-8"), digest_size=4).hexdigest()
    return stem


def make_request(vault: Vault, area: str | None = None, lang: str | None = "ar,en", style: str = "screen",
                 size: str = "a4", digits: str | None = None, first: str | None = None, last: str | None = None,
                 name: str | None = None) -> tuple[Request, float, float]:
    lang1, lang2 = parse_langs(lang)
    w, h = page_size(size)
    req = Request(vault=vault, lang=lang1, lang2=lang2, style=get_style(style), digits=check_digits(digits, lang1),
                  area=area, first=first, last=last, name=name, scale=min(w, h) / 595.0)
    return req, w, h


def _lines(req: Request, fig: Figure, w: float, h: float) -> tuple[list[Line], list[Line]]:
    s = req.scale
    big = 1.0 if req.style.name == "screen" else 1.15
    head = [Line(fig.title, req.lang, "title", 30 * s * big, True, max_lines=2, gap_after=0.15)]
    if fig.title2 and req.lang2:
        head.append(Line(fig.title2, req.lang2, "title", 17 * s * big, True, max_lines=2, gap_after=0.3))
    if fig.headline:
        head.append(Line(fig.headline, req.lang, "body", 19 * s * big, True, req.style.accent, max_lines=3, gap_after=0.1))
    if fig.headline2 and req.lang2:
        head.append(Line(fig.headline2, req.lang2, "body", 13 * s * big, False, req.style.accent, max_lines=2, gap_after=0.2))
    if fig.period:
        head.append(Line(fig.period, req.lang, "ui", 11 * s * big, False, max_lines=1, gap_after=0.1))
    foot = [Line(n, req.lang, "body", 10.5 * s * big, False, max_lines=3, gap_after=0.15) for n in fig.notes]
    foot += [Line(n, req.lang2 or req.lang, "body", 9 * s * big, False, max_lines=2, gap_after=0.1) for n in fig.notes2]
    foot += [Line(src, "en", "ui", 7.5 * s * big, False, max_lines=2, gap_after=0.05) for src in fig.sources]
    foot.append(Line(t("publish.footer", lang=req.lang), req.lang, "ui", 8 * s * big, False, max_lines=1, gap_after=0))
    return head, foot


def build(req: Request, kind: str, width: float, height: float) -> tuple[Figure, Page]:
    """The figure of ``kind`` and the page it is drawn on (chart sized to the space left)."""
    try:
        builder = KINDS[kind][0]
    except KeyError:
        raise InvalidInput("publish.error.kind", kind=kind, known=", ".join(KINDS)) from None
    probe = builder(req, width * 0.8, height * 0.5)
    head, foot = _lines(req, probe, width, height)
    page = Page(width, height, req.style, head, None, foot)
    _, _, cw, ch = chart_box(page)
    fig = builder(req, cw, ch)
    head, foot = _lines(req, fig, width, height)
    page = Page(width, height, req.style, head, None, foot)
    if fig.spec is not None:
        import vl_convert as vlc

        spec = dict(fig.spec)
        spec["config"] = config(req)
        page.chart_svg = vlc.vegalite_to_svg(spec, format_locale=format_locale(req.digits),
                                             time_format_locale=time_locale(req.lang, req.digits),
                                             allowed_base_urls=[])
    return fig, page


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename (no half-written posters)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".poster-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render(vault: Vault, kind: str, output: str | os.PathLike[str], area: str | None = None, lang: str = "ar,en",
           style: str = "screen", size: str = "a4", fmt: str | None = None, digits: str | None = None,
           first: str | None = None, last: str | None = None, name: str | None = None,
           dpi: int = PNG_DPI) -> RenderedPoster:
    """Draw one poster to ``output`` (format from ``fmt`` or the suffix: pdf, png, svg).

    ``lang`` is ``"ar"``, ``"ar,en"``, ``"ar,ckb"``, ``"ckb,ar"``, ``"en,ar"``…; ``style`` is
    ``screen``, ``print1`` or ``print2``; ``size`` is ``a4``, ``a3`` or ``sack``; ``digits`` is
    ``arab`` or ``latn`` (default: the main language's)."""
    start = time.perf_counter()
    out = Path(output)
    fmt_ = format_of(out, fmt)
    req, w, h = make_request(vault, area, lang, style, size, digits, first, last, name)
    fig, page = build(req, kind, w, h)
    data = render_bytes(page, fmt_, dpi)
    write_atomic(out, data)
    return RenderedPoster(kind=kind, file=str(out), format=fmt_, bytes=len(data), style=req.style.name, size=size,
                          lang=",".join(x for x in (req.lang, req.lang2) if x), area=req.area, title=fig.title,
                          suppressed=fig.suppressed, seconds=round(time.perf_counter() - start, 3))


def render_batch(vault: Vault, folder: str | os.PathLike[str], kinds: list[str] | None = None,
                 formats: tuple[str, ...] = ("pdf", "png"), lang: str = "ar,en", style: str = "screen",
                 size: str = "a4", every_area: bool = True,
                 progress: Callable[[int, int, str], None] | None = None,
                 dpi: int = PNG_DPI) -> list[DrawnPoster | SkippedPoster]:
    """Draw every kind (city-wide, and once per district for kinds that take ``--area``) into
    ``folder``; ``progress(done, total, label)`` is called after each poster. Kinds without data
    are reported as skipped, with the reason."""
    folder = Path(folder)
    chosen = kinds or list(KINDS)
    for k in chosen:
        if k not in KINDS:
            raise InvalidInput("publish.error.kind", kind=k, known=", ".join(KINDS))
    for f in formats:
        if f not in FORMATS:
            raise InvalidInput("publish.error.format", format=f, known=", ".join(FORMATS))
    codes = sorted(area_names(vault))
    jobs: list[tuple[str, str | None]] = []
    for k in chosen:
        jobs.append((k, None))
        if every_area and KINDS[k][2]:
            jobs += [(k, c) for c in codes]
    make_request(vault, None, lang, style, size)  # check the options before the first poster
    results: list[DrawnPoster | SkippedPoster] = []
    total = len(jobs)
    for i, (kind, area) in enumerate(jobs):
        start = time.perf_counter()
        req, w, h = make_request(vault, area, lang, style, size)
        try:
            _, page = build(req, kind, w, h)
        except InvalidInput as err:
            results.append(SkippedPoster(kind=kind, area=area, skipped=err.render()))
            if progress:
                progress(i + 1, total, f"{kind} {area or ''}".strip())
            continue
        stem = f"{kind}-{safe_stem(area)}" if area else kind
        for fmt in formats:
            data = render_bytes(page, fmt, dpi)
            path = folder / f"{stem}-{style}-{size}.{fmt}"
            write_atomic(path, data)
            results.append(DrawnPoster(kind=kind, area=area, file=str(path), format=fmt, bytes=len(data),
                                       seconds=round(time.perf_counter() - start, 3)))
        if progress:
            progress(i + 1, total, f"{kind} {area or ''}".strip())
    return results


def poster_kinds(lang: str | None = None) -> list[PosterKind]:
    """Every poster kind, its texts in ``lang``."""
    return [PosterKind(kind=k, title=t(f"publish.{k}.title", lang=lang, area="…", name="…"), source=src,
                       area=takes_area, description=t(f"publish.{k}.about", lang=lang))
            for k, (_, src, takes_area) in KINDS.items()]


def figure(vault: Vault, kind: str, area: str | None = None, lang: str = "ar,en", style: str = "screen",
           size: str = "a4", digits: str | None = None, first: str | None = None, last: str | None = None,
           name: str | None = None) -> Figure:
    """The :class:`Figure` of a poster kind (texts, the Vega-Lite spec with inline aggregates,
    the aggregates as data, sources) without writing a file: for notebooks and scripts."""
    req, w, h = make_request(vault, area, lang, style, size, digits, first, last, name)
    fig, _ = build(req, kind, w, h)
    if fig.spec is not None:
        fig.spec = {**fig.spec, "config": config(req)}
    return fig


def boundaries(vault: Vault | None = None, detail: str = "paper") -> Boundaries:
    """District shapes as GeoJSON with a ``frame`` and the area codes ``missing`` a shape: the
    vault's stored boundaries (imported with ``halqa places import-boundaries``, or the demo's
    schematic map), else its areas' H3 hexagons. ``detail``: ``paper`` (posters) or ``screen``.
    Without a vault: the packaged schematic map of the demo city."""
    if vault is None:
        return demo_boundaries()
    req, _, _ = make_request(vault)
    return shapes(req, detail)


def reference_figures(topic: str | None = None) -> list[ReferenceFigure]:
    """The packaged published figures for comparisons, each with ``source``, ``year`` and ``url``."""
    return [ReferenceFigure(**r) for r in reference_rows() if topic is None or r["topic"] == topic]
