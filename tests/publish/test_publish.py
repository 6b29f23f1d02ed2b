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
from halqa import app
from halqa.publish.compose import png_chunks
from halqa.vault import TEST_KDF

PASS = "poster test passphrase"
needs_fonts = pytest.mark.skipif(not publish.fonts_available(), reason="fonts-noto-core is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory):
    """The demo neighbourhood (places, listening, ledger, circles, mutual aid), built once."""
    path = tmp_path_factory.mktemp("pub") / "demo.halqa"
    v = app.create_vault(path, PASS, TEST_KDF)
    rng = random.Random(2026)
    for mod in app.load():
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
        "FORMATS", "MIN_CELL", "SIZES", "STYLES", "Figure", "boundaries", "demo", "figure", "fonts_available",
        "png_chunks", "poster_kinds", "reference_figures", "render", "render_batch", "strip_pdf", "strip_png"])
    for name in publish.__all__:
        obj = getattr(publish, name)
        if callable(obj):
            assert obj.__doc__, name


def test_kinds_cover_the_issue():
    kinds = {k["kind"] for k in publish.poster_kinds()}
    assert kinds == {"blackouts", "supply", "reliability", "map", "water", "grievances", "hotspots", "fund", "pool", "compare"}
    assert set(publish.STYLES) == {"print1", "print2", "screen"} and set(publish.SIZES) == {"a4", "a3", "sack"}


@needs_fonts
@pytest.mark.parametrize("kind", [k["kind"] for k in publish.poster_kinds()])
def test_every_kind_in_every_format(demo_vault, tmp_path, kind):
    for fmt, style in (("pdf", "print1"), ("png", "print2"), ("svg", "screen")):
        res = publish.render(demo_vault, kind, tmp_path / f"{kind}.{fmt}", style=style, dpi=60)
        data = (tmp_path / f"{kind}.{fmt}").read_bytes()
        assert res["bytes"] == len(data) > 1000
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
    assert res["title"] == "انقطاع الكهرباء في حي النخيل"
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
        assert r["source"] and isinstance(r["year"], int) and r["url"].startswith("https://")
        assert {"place_en", "place_ar", "place_ckb", "value", "unit", "topic"} <= set(r)


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


def test_pool_and_fund_posters_name_nobody(demo_vault):
    from halqa.mutual_aid import pool_status, pools

    members = pool_status(demo_vault, pools(demo_vault)[0]["name"])["members"]
    people = {r[0] for r in demo_vault.query("SELECT id FROM household")}
    for kind in ("pool", "fund"):
        text = json.dumps(publish.figure(demo_vault, kind).spec, ensure_ascii=False)
        assert not any(m in text for m in members)
        assert not any(p in text for p in people)


@needs_fonts
def test_cli(cli, monkeypatch, demo_vault, tmp_path):
    code, out = cli("poster", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 10
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
def test_demo_writes_posters(demo_vault, tmp_path, monkeypatch):
    monkeypatch.setenv("HALQA_DEMO_POSTERS", str(tmp_path))
    out = publish.demo(demo_vault, random.Random(1))
    assert (tmp_path / "blackouts.pdf").exists() and (tmp_path / "map.png").exists()
    assert str(tmp_path) in out["poster_blackouts"]
