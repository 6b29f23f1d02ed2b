"""Turning a figure into a page and a page into a file; batches with progress."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halqa.errors import InvalidInput
from halqa.i18n import t
from halqa.publish.charts import config
from halqa.publish.common import Figure, Request, area_names
from halqa.publish.compose import FORMATS, PNG_DPI, Line, Page, chart_box, format_of, render_bytes
from halqa.publish.kinds import KINDS
from halqa.publish.style import check_digits, format_locale, get_style, page_size, parse_langs, time_locale
from halqa.vault import Vault


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


def render_file(vault: Vault, kind: str, output: str | os.PathLike[str], area: str | None = None,
                lang: str | None = "ar,en", style: str = "screen", size: str = "a4", fmt: str | None = None,
                digits: str | None = None, first: str | None = None, last: str | None = None,
                name: str | None = None, dpi: int = PNG_DPI) -> dict[str, Any]:
    start = time.perf_counter()
    out = Path(output)
    fmt_ = format_of(out, fmt)
    req, w, h = make_request(vault, area, lang, style, size, digits, first, last, name)
    fig, page = build(req, kind, w, h)
    data = render_bytes(page, fmt_, dpi)
    write_atomic(out, data)
    return {"kind": kind, "file": str(out), "format": fmt_, "bytes": len(data), "style": req.style.name,
            "size": size, "lang": ",".join(x for x in (req.lang, req.lang2) if x), "area": req.area,
            "title": fig.title, "suppressed": fig.suppressed, "seconds": round(time.perf_counter() - start, 3)}


def batch(vault: Vault, folder: str | os.PathLike[str], kinds: list[str] | None = None,
          formats: tuple[str, ...] = ("pdf", "png"), lang: str | None = "ar,en", style: str = "screen",
          size: str = "a4", every_area: bool = True, progress: Callable[[int, int, str], None] | None = None,
          dpi: int = PNG_DPI) -> list[dict[str, Any]]:
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
    results: list[dict[str, Any]] = []
    total = len(jobs)
    for i, (kind, area) in enumerate(jobs):
        start = time.perf_counter()
        req, w, h = make_request(vault, area, lang, style, size)
        try:
            _, page = build(req, kind, w, h)
        except InvalidInput as err:
            results.append({"kind": kind, "area": area, "skipped": err.render()})
            if progress:
                progress(i + 1, total, f"{kind} {area or ''}".strip())
            continue
        stem = f"{kind}-{safe_stem(area)}" if area else kind
        for fmt in formats:
            data = render_bytes(page, fmt, dpi)
            path = folder / f"{stem}-{style}-{size}.{fmt}"
            write_atomic(path, data)
            results.append({"kind": kind, "area": area, "file": str(path), "format": fmt, "bytes": len(data),
                            "seconds": round(time.perf_counter() - start, 3)})
        if progress:
            progress(i + 1, total, f"{kind} {area or ''}".strip())
    return results


def figure_json(fig: Figure) -> str:
    return json.dumps(fig.to_dict(), ensure_ascii=False, indent=2, default=str)
