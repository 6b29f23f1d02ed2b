"""Print styles, page sizes, fonts, digits and text measuring for posters.

Three styles: ``screen`` (colour, for sharing as an image), ``print1`` (one ink: black on the
sack or paper; big type, thick strokes, no tints, no gradients: stencil- and screen-print
friendly) and ``print2`` (two inks: black and one spot red, same rules). Sizes are in points
(1/72 inch); PNG output is rendered at print resolution from the same page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from halqa.errors import InvalidInput
from halqa.i18n import LANGUAGES, RTL

MM = 72 / 25.4

#: Page sizes in millimetres (width, height). ``sack`` is a label for a flour or grain sack.
SIZES: dict[str, tuple[float, float]] = {"a4": (210, 297), "a3": (297, 420), "sack": (300, 200)}

#: Fonts by family name (found by vl-convert/resvg from the system: Debian ``fonts-noto-core``).
ARABIC_TITLE = "Noto Kufi Arabic"
ARABIC_BODY = "Noto Naskh Arabic"
ARABIC_UI = "Noto Sans Arabic"
LATIN = "Noto Sans"

_FONT_FILES = {
    (ARABIC_TITLE, True): "NotoKufiArabic-Bold.ttf", (ARABIC_TITLE, False): "NotoKufiArabic-Regular.ttf",
    (ARABIC_BODY, True): "NotoNaskhArabic-Bold.ttf", (ARABIC_BODY, False): "NotoNaskhArabic-Regular.ttf",
    (ARABIC_UI, True): "NotoSansArabic-Bold.ttf", (ARABIC_UI, False): "NotoSansArabic-Regular.ttf",
    (LATIN, True): "NotoSans-Bold.ttf", (LATIN, False): "NotoSans-Regular.ttf",
}
_FONT_DIRS = (Path(__file__).parent / "data" / "fonts", Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
              Path.home() / ".local" / "share" / "fonts")

ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"


@dataclass(frozen=True)
class Style:
    """One print style: inks, stroke widths and the chart configuration that follows from them."""

    name: str
    ink: str                     # main ink (text, bars)
    accent: str                  # second ink (the claim line, hot spots); == ink in one-colour print
    paper: str = "#ffffff"
    muted: str = "#ffffff"       # a light fill; only the screen style has tints
    scheme: tuple[str, ...] = ()  # discrete classes, lightest first
    gradients: bool = False
    min_stroke: float = 1.0      # points
    grid: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inks(self) -> int:
        return len({c for c in (self.ink, self.accent, *self.scheme) if c != self.paper})


STYLES: dict[str, Style] = {
    "screen": Style("screen", ink="#1d2b36", accent="#c8102e", muted="#e8edf1",
                    scheme=("#fff5eb", "#fdbe85", "#fd8d3c", "#d94701", "#7f2704"), gradients=True,
                    min_stroke=1.0, grid=True),
    "print1": Style("print1", ink="#000000", accent="#000000", scheme=("#ffffff", "#000000"),
                    min_stroke=2.8, grid=False),
    "print2": Style("print2", ink="#000000", accent="#d0021b", scheme=("#ffffff", "#d0021b", "#000000"),
                    min_stroke=2.8, grid=False),
}


def get_style(name: str) -> Style:
    """The style called ``name`` (``screen``, ``print1`` or ``print2``)."""
    try:
        return STYLES[name.strip().lower()]
    except (KeyError, AttributeError):
        raise InvalidInput("publish.error.style", style=name, known=", ".join(STYLES)) from None


def page_size(size: str) -> tuple[float, float]:
    """Width and height in points of a named page size."""
    try:
        w, h = SIZES[size.strip().lower()]
    except (KeyError, AttributeError):
        raise InvalidInput("publish.error.size", size=size, known=", ".join(SIZES)) from None
    return w * MM, h * MM


def parse_langs(lang: str | None) -> tuple[str, str | None]:
    """``"ar,en"`` -> ``("ar", "en")``: the main language and an optional second one."""
    parts = [p.strip().lower() for p in (lang or "ar,en").replace("+", ",").split(",") if p.strip()]
    parts = ["ckb" if p in ("ku", "sorani") else p for p in parts]
    if not parts or len(parts) > 2 or any(p not in LANGUAGES for p in parts) or len(set(parts)) != len(parts):
        raise InvalidInput("publish.error.lang", lang=lang or "", known=", ".join(LANGUAGES))
    return parts[0], (parts[1] if len(parts) == 2 else None)


def default_digits(lang: str) -> str:
    """Arabic-Indic digits for Arabic and Sorani, Latin digits for English."""
    return "arab" if lang in RTL else "latn"


def check_digits(digits: str | None, lang: str) -> str:
    if digits is None:
        return default_digits(lang)
    if digits not in ("arab", "latn"):
        raise InvalidInput("publish.error.digits", digits=digits)
    return digits


def localise_digits(text: str, digits: str) -> str:
    """Write ASCII digits (and the decimal point between digits) as Arabic-Indic when asked."""
    if digits != "arab":
        return text
    out = []
    for i, ch in enumerate(text):
        if "0" <= ch <= "9":
            out.append(ARABIC_DIGITS[ord(ch) - 48])
        elif ch == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            out.append("٫")
        else:
            out.append(ch)
    return "".join(out)


def number(value: float | int | None, digits: str, places: int = 0) -> str:
    """A number for a poster: grouped thousands, fixed decimals, digits of the locale."""
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    if digits == "arab":
        text = text.replace(",", "٬")
    return localise_digits(text, digits)


def format_locale(digits: str) -> dict[str, Any]:
    """A d3-format locale for vl-convert, so chart axes use the locale's digits."""
    if digits == "arab":
        return {"decimal": "٫", "thousands": "٬", "grouping": [3], "currency": ["", ""],
                "numerals": list(ARABIC_DIGITS), "minus": "−"}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", ""], "minus": "−"}


def time_locale(lang: str, digits: str) -> dict[str, Any]:
    """A d3-time-format locale: Iraqi month names in Arabic, Sorani month names, or English."""
    months = {
        "ar": ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
               "تشرين الأول", "تشرين الثاني", "كانون الأول"],
        "ckb": ["کانوونی دووەم", "شوبات", "ئازار", "نیسان", "ئایار", "حوزەیران", "تەمموز", "ئاب", "ئەیلوول",
                "تشرینی یەکەم", "تشرینی دووەم", "کانوونی یەکەم"],
        "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"],
    }[lang]
    days = {"ar": ["الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"],
            "ckb": ["یەکشەممە", "دووشەممە", "سێشەممە", "چوارشەممە", "پێنجشەممە", "هەینی", "شەممە"],
            "en": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]}[lang]
    return {"dateTime": "%x %X", "date": "%Y/%m/%d", "time": "%H:%M", "periods": ["AM", "PM"],
            "days": days, "shortDays": days, "months": months, "shortMonths": months}


def font_family(lang: str, role: str = "body") -> str:
    """A CSS/SVG font-family list for a language and role (title, body, ui)."""
    if lang in RTL:
        first = {"title": ARABIC_TITLE, "body": ARABIC_BODY, "ui": ARABIC_UI}[role]
        return f"{first}, {ARABIC_UI}, {LATIN}, sans-serif"
    return f"{LATIN}, {ARABIC_UI}, sans-serif"


def primary_font(lang: str, role: str = "body") -> str:
    return font_family(lang, role).split(",")[0]


@cache
def _font_path(name: str) -> Path | None:
    for folder in _FONT_DIRS:
        if folder.is_dir():
            for p in folder.rglob(name):
                return p
    return None


@cache
def _advances(family: str, bold: bool) -> tuple[dict[int, float], float] | None:
    name = _FONT_FILES.get((family, bold))
    path = _font_path(name) if name else None
    if path is None:
        return None
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), lazy=True)
    upm = font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    cmap = font.getBestCmap() or {}
    return {cp: hmtx[g][0] / upm for cp, g in cmap.items() if g in hmtx}, 0.55


def fonts_available() -> bool:
    """Whether the Arabic and Latin fonts posters use are installed."""
    return all(_font_path(f) is not None for f in ("NotoNaskhArabic-Regular.ttf", "NotoSans-Regular.ttf",
                                                  "NotoKufiArabic-Bold.ttf"))


def text_width(text: str, size: float, family: str, bold: bool = False) -> float:
    """Approximate advance width of ``text`` in points (unshaped advances; enough to wrap lines)."""
    table = _advances(family, bold)
    fallback = _advances(LATIN, bold)
    total = 0.0
    for ch in text:
        cp = ord(ch)
        if table and cp in table[0]:
            total += table[0][cp]
        elif fallback and cp in fallback[0]:
            total += fallback[0][cp]
        else:
            total += 0.55
    return total * size


def wrap(text: str, size: float, width: float, family: str, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` points."""
    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for word in para.split():
            trial = f"{cur} {word}" if cur else word
            if cur and text_width(trial, size, family, bold) > width:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        lines.append(cur)
    return lines


def fit_size(text: str, size: float, width: float, family: str, bold: bool = False, max_lines: int = 2,
             min_size: float = 8.0) -> tuple[float, list[str]]:
    """The largest size up to ``size`` at which ``text`` wraps into ``max_lines`` lines."""
    while True:
        lines = wrap(text, size, width, family, bold)
        if len(lines) <= max_lines or size <= min_size:
            return size, lines
        size *= 0.9
