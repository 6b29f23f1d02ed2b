"""Page composition and output: one SVG page, rendered to SVG, PNG or PDF, with no metadata.

The page is plain SVG: titles and notes as ``<text>`` (so the PDF carries real, extractable
text, shaped by rustybuzz inside vl-convert's resvg/svg2pdf) and the chart, made by Vega-Lite,
nested as an inner ``<svg>``. Nothing on the page refers to a file, a user or a device, and the
written files are scrubbed: PNG keeps only its image chunks; PDF keeps no document information.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from halqa.errors import InvalidInput
from halqa.i18n import RTL
from halqa.publish.style import LATIN, Style, fit_size, font_family, primary_font, wrap

FORMATS = ("pdf", "png", "svg")
PNG_DPI = 300

# PNG chunks that carry pixels or how to show them; everything else (text, time, EXIF, ICC
# profiles with names) is dropped.
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"pHYs", b"gAMA", b"sRGB"}
_PDF_INFO_KEYS = rb"Producer|Creator|Author|Title|Subject|Keywords|CreationDate|ModDate|Trapped"


@dataclass
class Line:
    """One run of text on the page."""

    text: str
    lang: str
    role: str = "body"      # title, body, ui
    size: float = 12.0
    bold: bool = False
    color: str | None = None
    max_lines: int = 3
    gap_after: float = 0.35  # in multiples of the size


@dataclass
class Page:
    """A poster page: text blocks above and below one chart."""

    width: float
    height: float
    style: Style
    head: list[Line] = field(default_factory=list)
    chart_svg: str | None = None
    foot: list[Line] = field(default_factory=list)
    band: bool = True        # a solid ink band under the title block


_LATIN_RUN = re.compile(r"\(?[A-Za-z][A-Za-z0-9'&.,:/\- ]*[A-Za-z0-9]\)?|\(?[A-Za-z]\)?")
RLE, PDF_MARK = "\u202b", "\u202c"


def _runs(line: str, rtl: bool) -> str:
    """Escape a line for SVG; in right-to-left lines, Latin runs get the Latin font (resvg's own
    fallback picks odd faces) and the whole line is a right-to-left embedding (resvg lays every
    paragraph out left to right, which would push final punctuation to the wrong end)."""
    if not rtl:
        return escape(line)
    out, pos = [], 0
    for m in _LATIN_RUN.finditer(line):
        out.append(escape(line[pos:m.start()]))
        out.append(f'<tspan font-family="{LATIN}">{escape(m.group(0))}</tspan>')
        pos = m.end()
    out.append(escape(line[pos:]))
    return RLE + "".join(out) + PDF_MARK


def _text(x: float, y: float, line: str, spec: Line, anchor: str, color: str) -> str:
    family = escape(font_family(spec.lang, spec.role), {'"': "&quot;"})
    weight = ' font-weight="bold"' if spec.bold else ""
    return (f'<text x="{x:.2f}" y="{y:.2f}" font-family="{family}" font-size="{spec.size:.2f}"{weight} '
            f'fill="{color}" text-anchor="{anchor}">{_runs(line, spec.lang in RTL)}</text>')


def _block(lines: list[Line], width: float, margin: float, page_w: float, y: float, style: Style) -> tuple[list[str], float]:
    out: list[str] = []
    for spec in lines:
        if not spec.text:
            continue
        family = primary_font(spec.lang, spec.role)
        size, rows = fit_size(spec.text, spec.size, width, family, spec.bold, spec.max_lines)
        if len(rows) > spec.max_lines:
            rows = rows[:spec.max_lines]
        spec = Line(**{**spec.__dict__, "size": size})
        rtl = spec.lang in RTL
        x, anchor = (page_w - margin, "end") if rtl else (margin, "start")
        for row in rows:
            y += size * 1.05
            out.append(_text(x, y, row, spec, anchor, spec.color or style.ink))
            y += size * 0.32
        y += size * spec.gap_after
    return out, y


def _block_height(lines: list[Line], width: float) -> float:
    h = 0.0
    for spec in lines:
        if not spec.text:
            continue
        size, rows = fit_size(spec.text, spec.size, width, primary_font(spec.lang, spec.role), spec.bold, spec.max_lines)
        h += min(len(rows), spec.max_lines) * size * 1.37 + size * spec.gap_after
    return h


_SVG_ROOT = re.compile(r"^<svg\b[^>]*>", re.S)
_DIM = re.compile(r'\b(width|height)="([\d.]+)"')


def _nest(chart_svg: str, x: float, y: float, w: float, h: float) -> str:
    root = _SVG_ROOT.match(chart_svg)
    if root is None:
        raise InvalidInput("publish.error.chart")
    dims = dict(_DIM.findall(root.group(0)))
    cw, ch = float(dims.get("width", w)), float(dims.get("height", h))
    head = (f'<svg x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" viewBox="0 0 {cw:.2f} {ch:.2f}" '
            f'preserveAspectRatio="xMidYMid meet">')
    body = chart_svg[root.end():]
    # Vega's scene graph carries ARIA and class attributes; harmless, but nothing names a file.
    return head + body


def chart_box(page: Page) -> tuple[float, float, float, float]:
    """Where the chart goes: (x, y, width, height) in points, after the text blocks."""
    margin = 0.055 * min(page.width, page.height)
    inner = page.width - 2 * margin
    top = margin + _block_height(page.head, inner) + (0.02 * min(page.width, page.height) if page.band else 0)
    bottom = page.height - margin - _block_height(page.foot, inner)
    return margin, top, inner, max(bottom - top - 0.01 * page.height, 40.0)


def to_svg(page: Page) -> str:
    """The page as one standalone SVG document."""
    margin = 0.055 * min(page.width, page.height)
    inner = page.width - 2 * margin
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{page.width:.2f}" height="{page.height:.2f}" '
             f'viewBox="0 0 {page.width:.2f} {page.height:.2f}">',
             f'<rect x="0" y="0" width="{page.width:.2f}" height="{page.height:.2f}" fill="{page.style.paper}"/>']
    texts, y = _block(page.head, inner, margin, page.width, margin, page.style)
    parts += texts
    if page.band:
        band = max(page.style.min_stroke * 1.6, 0.006 * min(page.width, page.height))
        parts.append(f'<rect x="{margin:.2f}" y="{y:.2f}" width="{inner:.2f}" height="{band:.2f}" fill="{page.style.accent}"/>')
    x0, y0, w0, h0 = chart_box(page)
    if page.chart_svg:
        parts.append(_nest(page.chart_svg, x0, y0, w0, h0))
    foot_h = _block_height(page.foot, inner)
    texts, _ = _block(page.foot, inner, margin, page.width, page.height - margin - foot_h, page.style)
    parts += texts
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- metadata
def strip_png(data: bytes) -> bytes:
    """Keep only the chunks that draw the image (no text, time, EXIF or profile names)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise InvalidInput("publish.error.not_png")
    out, pos = [data[:8]], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if kind in _PNG_KEEP:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def png_chunks(data: bytes) -> list[str]:
    """Names of the chunks of a PNG file, in order (for checks and tests)."""
    names, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        names.append(data[pos + 4:pos + 8].decode("latin-1"))
        pos += 12 + length
    return names


_INFO_ENTRY = re.compile(rb"/(?:" + _PDF_INFO_KEYS + rb")\s*(?:\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|/\w+)")


def strip_pdf(data: bytes) -> bytes:
    """Blank every document-information entry (producer, author, dates...) in place.

    Entries are overwritten with spaces of the same length, so cross-reference offsets stay
    valid. The PDFs we write have no XMP stream; one found is refused rather than shipped."""
    if not data.startswith(b"%PDF-"):
        raise InvalidInput("publish.error.not_pdf")
    if b"/Metadata" in data:
        raise InvalidInput("publish.error.pdf_metadata")
    return _INFO_ENTRY.sub(lambda m: b" " * len(m.group(0)), data)


def render_bytes(page: Page, fmt: str, dpi: int = PNG_DPI) -> bytes:
    """The page as SVG, PNG (``dpi``) or PDF bytes, metadata stripped."""
    import vl_convert as vlc

    svg = to_svg(page)
    if fmt == "svg":
        return svg.encode("utf-8")
    if fmt == "png":
        return strip_png(vlc.svg_to_png(svg, ppi=float(dpi)))
    if fmt == "pdf":
        return strip_pdf(vlc.svg_to_pdf(svg))
    raise InvalidInput("publish.error.format", format=fmt, known=", ".join(FORMATS))


def format_of(path: Path, fmt: str | None = None) -> str:
    """The output format named by ``fmt`` or by the file's suffix."""
    name = (fmt or path.suffix.lstrip(".")).lower()
    if name not in FORMATS:
        raise InvalidInput("publish.error.format", format=name or str(path.name), known=", ".join(FORMATS))
    return name


def crc_ok(data: bytes) -> bool:
    """Every PNG chunk's CRC is right (stripping must not corrupt the file)."""
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        body = data[pos + 4:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(body) & 0xFFFFFFFF != crc:
            return False
        pos += 12 + length
    return True


def wrap_lines(text: str, size: float, width: float, lang: str) -> list[str]:
    """Public helper for figure code: wrap ``text`` for a chart label."""
    return wrap(text, size, width, primary_font(lang))
