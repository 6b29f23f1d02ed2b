"""The posters part of ``halqa demo``: a representative set drawn from the demo neighbourhood."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from halqa.i18n import t
from halqa.places import area_codes
from halqa.publish.compose import render_bytes
from halqa.publish.posters import build, make_request, write_atomic
from halqa.publish.style import fonts_available
from halqa.vault import Vault

__all__ = ["DEMO_POSTERS", "demo"]

#: The demo's posters: (kind, area, languages, style, size, formats).
DEMO_POSTERS: tuple[tuple[str, str | None, str, str, str, tuple[str, ...]], ...] = (
    ("blackouts", "NKH", "ar,en", "print2", "a4", ("pdf", "png")),
    ("map", None, "ar,en", "screen", "a4", ("pdf", "png")),
    ("supply", None, "ar,ckb", "print1", "a4", ("pdf", "png")),
    ("grievances", None, "ckb,en", "screen", "a4", ("pdf", "png")),
    ("compare", "MNA", "ar,en", "print1", "sack", ("pdf", "png")),
    ("fund", None, "ar,en", "screen", "a4", ("pdf", "png")),
)


def demo(vault: Vault, rng: random.Random) -> dict[str, str | float]:
    """Draw a representative set of posters of the demo neighbourhood (six kinds, styles and
    sizes, each as PDF and 150 dpi PNG) into a ``posters`` folder beside the vault (or
    ``$HALQA_DEMO_POSTERS``); return the folder and every file's path, for ``halqa demo`` to print."""
    del rng
    if not fonts_available():
        return {"posters": t("publish.demo.no_fonts")}
    folder = Path(os.environ.get("HALQA_DEMO_POSTERS") or (Path(vault.path).parent / "posters"))
    start = time.perf_counter()
    out: dict[str, str | float] = {"folder": str(folder)}
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
