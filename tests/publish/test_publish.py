"""Posters: every kind in every format and style, shaping, digits, metadata, disclosure, maps, CLI."""

from __future__ import annotations

import getpass
import json
import random
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

import halqa.publish as publish
from halqa import domains
from halqa.publish.compose import png_chunks
from halqa.results import to_data
from tests.conftest import new_vault

PASS = "poster test passphrase"
needs_fonts = pytest.mark.skipif(not publish.fonts_available(), reason="fonts-noto-core is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory):
    """The demo neighbourhood (places, listening, ledger, circles, mutual aid), built once."""
    path = tmp_path_factory.mktemp("pub") / "demo.halqa"
    v = new_vault(path.parent, path.stem, passphrase=PASS)
    rng = random.Random(2026)
    for mod in domains.load():
        if mod.__name__ != "halqa.publish" and hasattr(mod, "demo"):
            mod.demo(v, rng)
    yield v
    v.close()


def words(text: str) -> list[str]:
    """Words of extracted text: bidi controls (pdftotext marks runs with them) become spaces."""
    return BIDI.sub(" ", text).split()


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def contains_in_order(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def test_public_api_is_pinned_and_documented():
    assert sorted(publish.__all__) == sorted([
        "FORMATS", "SIZES", "STYLES", "THRESHOLD", "Figure", "boundaries", "demo", "figure", "fonts_available",
        "png_chunks", "poster_kinds", "reference_figures", "render", "render_batch", "strip_pdf", "strip_png",
        "Boundaries", "DrawnPoster", "PosterKind", "ReferenceFigure", "RenderedPoster", "SkippedPoster"])
    for name in publish.__all__:
        obj = getattr(publish, name)
        if callable(obj):
            assert obj.__doc__, name


def test_kinds_cover_the_issue():
    kinds = {k.kind for k in publish.poster_kinds()}
    assert kinds == {"blackouts", "supply", "reliability", "map", "water", "grievances", "hotspots", "fund", "pool", "compare",
                     "built"}
    assert set(publish.STYLES) == {"print1", "print2", "screen"} and set(publish.SIZES) == {"a4", "a3", "sack"}


@needs_fonts
@pytest.mark.parametrize("kind", [k.kind for k in publish.poster_kinds()])
def test_every_kind_in_every_format(demo_vault, tmp_path, kind):
    for fmt, style in (("pdf", "print1"), ("png", "print2"), ("svg", "screen")):
        res = publish.render(demo_vault, kind, tmp_path / f"{kind}.{fmt}", style=style, dpi=60)
        data = (tmp_path / f"{kind}.{fmt}").read_bytes()
        assert res.bytes == len(data) > 1000
        assert data[:4] in (b"%PDF", b"\x89PNG", b"<svg")


@needs_fonts
def test_sizes_and_area(demo_vault, tmp_path):
    for size in ("a4", "a3", "sack"):
        out = tmp_path / f"s-{size}.pdf"
        publish.render(demo_vault, "supply", out, area="NKH", size=size, style="print2")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(tmp_path / "s-a3.pdf")], capture_output=True, text=True).stdout
        assert "(A3)" in info


def test_print_styles_use_one_or_two_inks_and_no_gradients(demo_vault):
    assert publish.STYLES["print1"].inks == 1 and publish.STYLES["print2"].inks == 2
    for style in ("print1", "print2"):
        fig = publish.figure(demo_vault, "blackouts", area="NKH", style=style)
        text = json.dumps(fig.spec)
        inks = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}", text)} - {"#ffffff", "#d5dde3"}
        assert len(inks) <= publish.STYLES[style].inks, inks
        assert "scheme" not in text and "gradient" not in text


@needs_fonts
@needs_poppler
def test_pdf_text_has_the_arabic_title_in_logical_order(demo_vault, tmp_path):
    out = tmp_path / "b.pdf"
    res = publish.render(demo_vault, "blackouts", out, area="NKH", lang="ar,en", style="print1")
    assert res.title == "انقطاع الكهرباء في حي النخيل"
    text = words(pdf_text(out))
    assert contains_in_order(text, ["انقطاع", "الكهرباء", "في", "حي", "النخيل"]), text[:20]
    assert contains_in_order(text, ["Blackouts", "in", "Palm", "Quarter"])


@needs_fonts
@needs_poppler
def test_sorani_and_digits(demo_vault, tmp_path):
    out = tmp_path / "k.pdf"
    publish.render(demo_vault, "supply", out, lang="ckb,en", style="screen")
    text = pdf_text(out)
    assert contains_in_order(words(text), ["کاتژمێرەکانی", "کارەبا", ":", "ئەوەی", "پێوامان"])
    assert re.search("[٠-٩]", text)
    out2 = tmp_path / "l.pdf"
    publish.render(demo_vault, "supply", out2, lang="ar", digits="latn")
    text2 = pdf_text(out2)
    assert not re.search("[٠-٩]", text2.split("halqa")[0] if "halqa" in text2 else text2)


def _ink_columns(png: bytes) -> list[bool]:
    import io

    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("L")
    w, h = im.size
    px = im.load()
    return [any(px[x, y] < 128 for y in range(h)) for x in range(w)]


@needs_fonts
def test_png_arabic_is_joined_and_right_to_left():
    """Joined Arabic is narrower than the same letters forced apart (ZWNJ), and the first word of
    a right-to-left line is drawn at its right end."""
    import vl_convert as vlc

    from halqa.publish.compose import Line, Page, render_bytes

    def draw(text: str) -> bytes:
        page = Page(600, 120, publish.STYLES["print1"], [Line(text, "ar", "body", 40, False, max_lines=1)], None, [], band=False)
        return render_bytes(page, "png", dpi=72)

    def extent(cols: list[bool]) -> int:
        xs = [i for i, c in enumerate(cols) if c]
        return xs[-1] - xs[0]

    joined = extent(_ink_columns(draw("مستشفى")))
    apart = extent(_ink_columns(draw("\u200c".join("مستشفى"))))
    assert joined < apart * 0.9, (joined, apart)
    cols = _ink_columns(draw("ب ــــــــــــــــ"))
    xs = [i for i, c in enumerate(cols) if c]
    gaps = [(b - a, a) for a, b in pairwise(xs) if b - a > 3]
    gap_at = max(gaps)[1]
    assert gap_at > (xs[0] + xs[-1]) / 2, "the short first word must be on the right"
    assert vlc  # rendered by vl-convert's resvg


@needs_fonts
def test_no_metadata_in_files(demo_vault, tmp_path):
    user = getpass.getuser()
    vault_id = demo_vault.meta("vault_id")
    pdf = tmp_path / "m.pdf"
    png = tmp_path / "m.png"
    publish.render(demo_vault, "map", pdf)
    publish.render(demo_vault, "map", png, dpi=60)
    for path in (pdf, png):
        data = path.read_bytes()
        for secret in (str(tmp_path).encode(), str(Path.home()).encode(), vault_id.encode() if vault_id else b"@@",
                       b"demo.halqa", b"Author", b"Creator", b"Producer", b"CreationDate"):
            assert secret not in data, (path.suffix, secret)
        if len(user) > 3:
            assert user.encode() not in data
    assert set(png_chunks(png.read_bytes())) <= {"IHDR", "PLTE", "tRNS", "IDAT", "IEND", "pHYs", "gAMA", "sRGB"}
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert not re.search(r"^(Author|Creator|Producer|Title|Subject|Keywords|CreationDate|ModDate):", info, re.M), info
        assert "Metadata Stream: no" in info


def test_strip_png_removes_text_chunks():
    import io
    import zlib

    from PIL import Image, PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Author", "organiser-7")
    meta.add_text("Comment", "/home/someone/vault.halqa")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG", pnginfo=meta)
    clean = publish.strip_png(buf.getvalue())
    assert b"organiser-7" not in clean and b"vault.halqa" not in clean
    assert Image.open(io.BytesIO(clean)).size == (4, 4)
    assert zlib  # CRCs are kept as they were: whole chunks are copied


def test_strip_pdf_blanks_information_in_place():
    raw = b"%PDF-1.7\n1 0 obj\n<< /Producer (svg2pdf) /Author (organiser-7) /CreationDate (D:2026) >>\nendobj\n"
    clean = publish.strip_pdf(raw)
    assert len(clean) == len(raw) and b"organiser" not in clean and b"svg2pdf" not in clean


def test_reference_table_has_sources():
    rows = publish.reference_figures()
    assert rows
    for r in rows:
        assert r.source and isinstance(r.year, int) and r.url.startswith("https://")
        assert {"place_en", "place_ar", "place_ckb", "value", "unit", "topic"} <= set(to_data(r))


@needs_fonts
@needs_poppler
def test_comparison_poster_shows_its_citations(demo_vault, tmp_path):
    out = tmp_path / "c.pdf"
    publish.render(demo_vault, "compare", out, area="MNA", lang="ar,en")
    text = " ".join(words(pdf_text(out)))
    assert "Energy Information Administration" in text
    assert "Human Rights Watch" in text


def test_demo_boundaries_match_the_declared_borders(demo_vault):
    from halqa.listening import borders

    geo = publish.boundaries()
    districts = {f["properties"]["code"]: f["geometry"]["coordinates"][0] for f in geo["features"]
                 if f["properties"]["kind"] == "district"}

    def edges(ring):
        return [tuple(sorted((tuple(a), tuple(b)))) for a, b in pairwise(ring)]

    def touch(r1, r2):  # share a stretch of edge (not just a corner), axis-aligned rings
        for (a, b) in edges(r1):
            for (c, d) in edges(r2):
                if a[0] == b[0] == c[0] == d[0]:
                    lo, hi = max(a[1], c[1]), min(b[1], d[1])
                elif a[1] == b[1] == c[1] == d[1]:
                    lo, hi = max(a[0], c[0]), min(b[0], d[0])
                else:
                    continue
                if hi > lo:
                    return True
        return False

    codes = sorted(districts)
    found = {(a, b) for i, a in enumerate(codes) for b in codes[i + 1:] if touch(districts[a], districts[b])}
    assert found == set(borders(demo_vault))
    shapes = publish.boundaries(demo_vault)
    assert {f["properties"]["code"] for f in shapes["features"] if f["properties"]["kind"] == "district"} == set(codes)


def test_small_groups_are_suppressed(vault):
    from halqa.ledger import add_interval, enrol_households  # noqa: F401  (public API)
    from halqa.places import add_area, add_household

    add_area(vault, "BIG", "حي كبير", "Big")
    add_area(vault, "TNY", "حي صغير", "Tiny")
    homes = [add_household(vault, "BIG") for _ in range(6)] + [add_household(vault, "TNY") for _ in range(2)]
    for h in homes:
        add_interval(vault, h, "2026-07-01T10:00", "2026-07-01T14:00")
    fig = publish.figure(vault, "supply", first="2026-07-01", last="2026-07-03")
    assert fig.suppressed == ["TNY"]
    assert [d["code"] for d in fig.data] == ["BIG"]
    from halqa.errors import InvalidInput

    with pytest.raises(InvalidInput):
        publish.figure(vault, "blackouts", area="TNY", first="2026-07-01", last="2026-07-03")


def test_threshold_is_the_bridges():
    import inspect

    from halqa.bridge import DEFAULT_THRESHOLD, aggregate_tables
    from halqa.publish import disclosure

    assert publish.THRESHOLD == DEFAULT_THRESHOLD == inspect.signature(aggregate_tables).parameters["threshold"].default == 5
    assert not hasattr(publish, "MIN_CELL")
    kept, withheld = disclosure.control([("a", 5), ("b", 4), ("c", 9)], lambda x: x[1])
    assert kept == [("a", 5), ("c", 9)] and withheld == [("b", 4)]


def test_control_uses_the_bridges_suppression(monkeypatch):
    """The split is the bridge's: a stricter bridge rule changes every poster at once."""
    from halqa.bridge import aggregates
    from halqa.publish import disclosure

    calls = []

    def strict(cells, threshold):
        calls.append(threshold)
        return [c for c in cells if c[4] >= 2 * threshold], 0

    monkeypatch.setattr(aggregates, "suppress", strict)
    monkeypatch.setattr(disclosure, "suppress", strict)
    kept, _ = disclosure.control([1, 7, 12], lambda x: x)
    assert kept == [12] and calls == [5]


TINY, SECRET_SPEND, SECRET_PAYMENT = "حي صغير", "777777", "654321"


@pytest.fixture(scope="module")
def leaky_vault(tmp_path_factory):
    """The demo neighbourhood plus cells below the threshold in every dataset a poster reads: a
    district of 3 households (outages, bottled water at a telling price, 3 grievances), one legal
    payment from the fund in a month of its own, and a pool of 3."""
    from halqa.ledger import add_interval, add_water
    from halqa.listening import add_grievance
    from halqa.mutual_aid import create_pool, disburse, funds
    from halqa.places import add_area, add_household

    path = tmp_path_factory.mktemp("leak") / "leak.halqa"
    v = new_vault(path.parent, path.stem, passphrase=PASS)
    rng = random.Random(2026)
    for mod in domains.load():
        if mod.__name__ != "halqa.publish" and hasattr(mod, "demo"):
            mod.demo(v, rng)
    last = v.query_one("SELECT max(start_at) FROM ledger_interval")[0]
    from datetime import date, timedelta

    day = (date(1970, 1, 1) + timedelta(days=int(last) // 86400 - 1)).isoformat()
    water_day = v.query_one("SELECT max(day) FROM ledger_water")[0]
    add_area(v, "TNY", TINY, "Tiny Lane")
    homes = [add_household(v, "TNY") for _ in range(3)]
    for h in homes:
        add_interval(v, h, f"{day}T00:00", f"{day}T23:00")
        add_water(v, h, water_day, spent=SECRET_SPEND)
    for _ in range(3):
        add_grievance(v, themes=["electricity"], place="TNY", day=water_day)
    disburse(v, funds(v)[0].name, "family-x", SECRET_PAYMENT, purpose="legal", day="2026-11-03", overdraft=True)
    create_pool(v, "tiny-pool", homes, 10000)
    yield v
    v.close()


@needs_fonts
@pytest.mark.parametrize("kind", [k.kind for k in publish.poster_kinds()])
def test_no_cell_under_the_threshold_on_any_poster(leaky_vault, tmp_path, kind):
    """Whatever a poster draws (figure data, chart data, SVG text), no cell under the bridge's
    threshold is in it; asked for directly, the small district and the small pool are refused."""
    from halqa.errors import InvalidInput

    fig = publish.figure(leaky_vault, kind)
    out = tmp_path / f"{kind}.svg"
    publish.render(leaky_vault, kind, out, lang="ar,en")
    svg = out.read_text(encoding="utf-8")
    data = json.dumps(fig.data, ensure_ascii=False, default=str)
    spec = json.dumps(fig.spec, ensure_ascii=False, default=str)
    for text in (data, spec, svg, " ".join(fig.notes) + fig.headline):
        plain = text.replace("٬", "").replace(",", "")
        for secret in (SECRET_SPEND, SECRET_PAYMENT):
            assert secret not in plain and secret.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) not in plain
    assert "TNY" not in data and TINY not in data and TINY not in spec
    for row in fig.data:
        for key in ("households", "n"):
            if key in row:
                assert row[key] >= publish.THRESHOLD, row
        for cell in row.get("groups", {}).values():
            assert round(cell["prevalence"] * cell["n"]) >= publish.THRESHOLD, cell
    if kind in ("blackouts", "supply", "reliability", "water", "compare"):
        with pytest.raises(InvalidInput):
            publish.figure(leaky_vault, kind, area="TNY")
    if kind == "pool":
        with pytest.raises(InvalidInput) as err:
            publish.figure(leaky_vault, "pool", name="tiny-pool")
        assert err.value.msg_id == "publish.error.small_pool"
    if kind == "fund":
        assert any("legal" in s for s in fig.suppressed)
    if kind in ("supply", "map", "blackouts"):
        assert "TNY" in fig.suppressed and TINY in svg  # named as hidden, never drawn


def test_pool_and_fund_posters_name_nobody(demo_vault):
    from halqa.mutual_aid import pool_status, pools

    members = pool_status(demo_vault, pools(demo_vault)[0].name).members
    people = {r[0] for r in demo_vault.query("SELECT id FROM household")}
    for kind in ("pool", "fund"):
        text = json.dumps(publish.figure(demo_vault, kind).spec, ensure_ascii=False)
        assert not any(m in text for m in members)
        assert not any(p in text for p in people)


@needs_fonts
def test_cli(cli, monkeypatch, demo_vault, tmp_path):
    code, out = cli("poster", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 11
    monkeypatch.setenv("HALQA_VAULT", str(demo_vault.path))
    monkeypatch.setenv("HALQA_PASSPHRASE", PASS)
    target = tmp_path / "out.pdf"
    code, out = cli("poster", "blackouts", "--area", "NKH", "--lang", "ar,en", "--style", "print1", "-o", str(target), "--json")
    assert code == 0, out
    assert json.loads(out)["file"] == str(target) and target.read_bytes()[:4] == b"%PDF"
    code, out = cli("poster", "supply", "--style", "print9", "-o", str(tmp_path / "x.pdf"), "--json")
    assert code == 2 and json.loads(out)["error"] == "publish.error.style"
    code, out = cli("poster", "supply", "-o", str(tmp_path / "x.gif"), "--json")
    assert code == 2 and json.loads(out)["error"] == "publish.error.format"
    code, out = cli("poster", "batch", "-o", str(tmp_path / "all"), "--kind", "supply", "--kind", "pool",
                    "--format", "svg", "--json")
    assert code == 0, out
    files = [r["file"] for r in json.loads(out) if "file" in r]
    assert len(files) == 1 + 6 + 1


@needs_fonts
def test_results_keep_their_json_shape(demo_vault, tmp_path):
    """The keys (in order) of what ``halqa poster ... --json`` prints, pinned for the typed results."""
    assert {tuple(to_data(k)) for k in publish.poster_kinds()} == {("kind", "title", "source", "area", "description")}
    res = to_data(publish.render(demo_vault, "supply", tmp_path / "s.svg"))
    assert list(res) == ["kind", "file", "format", "bytes", "style", "size", "lang", "area", "title", "suppressed",
                         "seconds"]
    rows = to_data(publish.render_batch(demo_vault, tmp_path / "b", kinds=["supply"], formats=("svg",),
                                        every_area=False))
    with new_vault(tmp_path, "empty") as empty:  # nothing recorded: the poster is skipped, with the reason
        rows += to_data(publish.render_batch(empty, tmp_path / "e", kinds=["supply"], formats=("svg",)))
    assert {tuple(r) for r in rows} == {("kind", "area", "file", "format", "bytes", "seconds"),
                                        ("kind", "area", "skipped")}
    assert {tuple(r) for r in to_data(publish.reference_figures())} == {
        ("id", "topic", "place_en", "place_ar", "place_ckb", "measure", "value", "unit", "year", "note_en", "source",
         "url"),
        ("id", "topic", "place_en", "place_ar", "place_ckb", "measure", "value", "before", "unit", "year", "note_en",
         "source", "url")}
    assert to_data(publish.reference_figures("electricity")) == [r for r in to_data(publish.reference_figures())
                                                                 if r["topic"] == "electricity"]
    assert list(publish.boundaries(demo_vault)) == ["type", "features", "frame", "missing"]


@needs_fonts
def test_demo_writes_posters(demo_vault, tmp_path, monkeypatch):
    monkeypatch.setenv("HALQA_DEMO_POSTERS", str(tmp_path / "posters"))
    out = publish.demo(demo_vault, random.Random(1))
    files = [Path(v) for k, v in out.items() if k.endswith((".pdf", ".png"))]
    assert out["folder"] == str(tmp_path / "posters")
    assert len(files) == 12 and all(f.exists() and f.parent == tmp_path / "posters" for f in files)
    assert {f.name.split("-")[0] for f in files} == {"blackouts", "map", "supply", "grievances", "compare", "fund"}
    assert {f.suffix for f in files} == {".pdf", ".png"}
    assert out["seconds"] > 0  # reported, never bounded: no timing thresholds in unit tests
    monkeypatch.delenv("HALQA_DEMO_POSTERS")
    assert publish.demo(demo_vault, random.Random(1))["folder"] == str(Path(demo_vault.path).parent / "posters")


# ---------------------------------------------------------------------------- shaping against HarfBuzz
SHAPE_DPI = 150
_TEXT_EL = re.compile(r'<text x="([\d.]+)" y="([\d.]+)" font-family="([^"]+)" font-size="([\d.]+)"( font-weight="bold")?'
                      r'[^>]*>(.*?)</text>', re.S)


def _font_file(family: str, bold: bool) -> str:
    return subprocess.run(["fc-match", "-f", "%{file}", f"{family}:{'bold' if bold else 'regular'}"],
                          capture_output=True, text=True, check=True).stdout


def _harfbuzz_row(text: str, families: list[str], size: float, bold: bool) -> tuple[list[str], float]:
    """SVG paths of ``text`` shaped by HarfBuzz as one right-to-left line (font fallback per
    character along ``families``, as the renderer's font list), origin at the left end of the
    baseline; and the line's advance width."""
    import uharfbuzz as hb
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.ttLib import TTFont

    fonts = []
    for fam in families:
        path = _font_file(fam, bold)
        face = hb.Face(hb.Blob.from_file_path(path))
        fonts.append((hb.Font(face), face.upem, set(TTFont(path, lazy=True).getBestCmap())))
    runs: list[list] = []
    for ch in text:
        i = next((j for j, f in enumerate(fonts) if ord(ch) in f[2]), 0)
        if runs and runs[-1][0] == i:
            runs[-1][1] += ch
        else:
            runs.append([i, ch])
    paths, x = [], 0.0
    for i, chunk in reversed(runs):  # right to left: the first run is drawn rightmost
        font, upem, _ = fonts[i]
        k = size / upem
        buf = hb.Buffer()
        buf.add_str(chunk)
        buf.direction, buf.script, buf.language = "rtl", "Arab", "ar"
        hb.shape(font, buf, {})
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            pen = SVGPathPen(None)
            font.draw_glyph_with_pen(info.codepoint, pen)
            if pen.getCommands():
                paths.append(f'<path transform="translate({x + pos.x_offset * k:.3f} {-pos.y_offset * k:.3f}) '
                             f'scale({k:.6f} {-k:.6f})" d="{pen.getCommands()}"/>')
            x += pos.x_advance * k
    return paths, x


def _gray(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return 255.0 - np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)


def _title_ink(page):
    """The title's ink on the poster PNG: the page minus the same page with the title in paper colour."""
    from dataclasses import replace

    from halqa.publish.compose import render_bytes

    blank = replace(page, head=[replace(page.head[0], color=page.style.paper), *page.head[1:]])
    return abs(_gray(render_bytes(page, "png", SHAPE_DPI)) - _gray(render_bytes(blank, "png", SHAPE_DPI)))


def _title_reference(page):
    """The title rows as the SVG page places them (right edge at x, baseline at y), each row
    shaped by HarfBuzz with the same font files, rasterised at the poster's resolution."""
    from xml.sax.saxutils import unescape

    import vl_convert as vlc

    from halqa.publish.compose import to_svg

    svg = to_svg(page)
    rows = [m for m in _TEXT_EL.finditer(svg)]
    size = float(rows[0].group(4))
    rows = [m for m in rows if float(m.group(4)) == size and m.group(3) == rows[0].group(3)]
    parts = []
    for m in rows:
        text = unescape(re.sub(r"<[^>]+>", "", m.group(6))).strip("\u202b\u202c")
        families = [f.strip() for f in m.group(3).replace("&quot;", "").split(",") if f.strip() != "sans-serif"]
        paths, width = _harfbuzz_row(text, families, size, bool(m.group(5)))
        parts.append(f'<g transform="translate({float(m.group(1)) - width:.3f} {float(m.group(2)):.3f})">{"".join(paths)}</g>')
    ref = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{page.width:.2f}" height="{page.height:.2f}" '
           f'viewBox="0 0 {page.width:.2f} {page.height:.2f}"><rect width="100%" height="100%" fill="#fff"/>'
           f'<g fill="#000">{"".join(parts)}</g></svg>')
    texts = [unescape(re.sub(r"<[^>]+>", "", m.group(6))).strip("\u202b\u202c") for m in rows]
    return _gray(vlc.svg_to_png(ref, ppi=SHAPE_DPI)), texts


def _similarity(ink, ref, shift: int = 4) -> float:
    """Best normalised correlation of the two title images within a few pixels of shift."""
    import numpy as np

    ys, xs = np.nonzero((ink > 60) | (ref > 60))
    y0, y1, x0, x1 = ys.min() - shift, ys.max() + shift + 1, xs.min() - shift, xs.max() + shift + 1
    a = ink[y0:y1, x0:x1]
    a = (a - a.mean()) / (a.std() or 1)
    best = -1.0
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            b = ref[y0 + dy:y1 + dy, x0 + dx:x1 + dx]
            b = (b - b.mean()) / (b.std() or 1)
            best = max(best, float((a * b).mean()))
    return best


@needs_fonts
@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig is not installed")
@pytest.mark.parametrize(("kind", "area", "lang", "style"), [("blackouts", "NKH", "ar,en", "print1"),
                                                              ("supply", None, "ckb,en", "screen"),
                                                              ("map", None, "ar,ckb", "print2")])
def test_png_title_matches_harfbuzz_shaping(demo_vault, kind, area, lang, style):
    """The poster PNG's title equals the same text shaped by HarfBuzz (uharfbuzz) with the same
    font files, drawn where the SVG places it; the same title drawn unjoined (ZWNJ between
    letters) or in reversed order (what a renderer without shaping or bidi would print) does not."""
    pytest.importorskip("uharfbuzz")
    from dataclasses import replace

    from halqa.publish.posters import build, make_request

    req, w, h = make_request(demo_vault, area, lang, style, "a4")
    fig, page = build(req, kind, w, h)
    ref, rows = _title_reference(page)
    assert "".join(rows).replace(" ", "") == fig.title.replace(" ", "")
    good = _similarity(_title_ink(page), ref)
    assert good > 0.85, good
    title = page.head[0]
    for wrong in ("\u200c".join(fig.title), " ".join(reversed(fig.title.split())), fig.title[::-1]):
        bad_page = replace(page, head=[replace(title, text=wrong), *page.head[1:]])
        bad = _similarity(_title_ink(bad_page), ref)
        assert bad < 0.6 and bad < good - 0.3, (wrong, bad, good)
