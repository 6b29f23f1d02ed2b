"""The web guide stays true: every timing its Speed section quotes comes from docs/performance.md (where the
benchmark's figures are kept), and every screenshot it shows exists, in the three languages."""

from __future__ import annotations

import re
from pathlib import Path

from halqa.i18n import LANGUAGES

DOCS = Path(__file__).resolve().parents[2] / "docs"
TIMING = re.compile(r"\b\d[\d,.]*\s*(?:ms|s|seconds?|minutes?)\b")


def test_the_guide_quotes_only_measured_timings():
    guide = (DOCS / "guide" / "web.md").read_text(encoding="utf-8")
    guide = guide[guide.index("## Speed"):]
    guide = guide[:guide.index("\n## ", 3)]
    assert "bench_web.py" in guide
    measured = (DOCS / "performance.md").read_text(encoding="utf-8")
    quoted = {m.group(0) for m in TIMING.finditer(guide)}
    assert not {q for q in quoted if q not in measured}, quoted


def test_every_screenshot_exists_in_every_language():
    guide = (DOCS / "guide" / "web.md").read_text(encoding="utf-8")
    shots = re.findall(r"\(\.\./img/(web-[a-z-]+)\.([a-z]+)\.png\)", guide)
    assert {lang for _, lang in shots} == set(LANGUAGES)
    names = {name for name, _ in shots}
    assert len(names) >= 5
    for name in names:
        for lang in LANGUAGES:
            path = DOCS / "img" / f"{name}.{lang}.png"
            assert path.exists() and path.stat().st_size < 150_000, path
