"""The starter library: historical cases of nonviolent organising, mutual aid and documentation.

Shipped as package data (``halqa/learning/data/tactics.json``), in Arabic and English, each case
with a short neutral description and public, verifiable sources (books, encyclopaedia articles,
reputable news) with their year. Cases are read-only: circles add their own tactics in the vault
and link trials to library cases by id (``lib-…``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["cases", "get", "localised"]


@cache
def _load() -> tuple[dict[str, Any], ...]:
    text = resources.files("halqa.learning").joinpath("data", "tactics.json").read_text(encoding="utf-8")
    return tuple(json.loads(text)["cases"])


def cases() -> list[dict[str, Any]]:
    """Every library case as stored (bilingual fields are ``{"en": .., "ar": ..}``)."""
    return [dict(c) for c in _load()]


def get(case_id: str) -> dict[str, Any] | None:
    """One case localised to English (with ``title_ar`` etc. beside it), or ``None``."""
    for c in _load():
        if c["id"] == case_id:
            return localised(c, "en")
    return None


def localised(case: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """A case flattened for one language (Arabic for ``ar`` and ``ckb``: the library has no Sorani
    text yet), keeping both languages' titles and descriptions."""
    pick = "ar" if lang in ("ar", "ckb") else "en"
    return {
        "id": case["id"], "title": case["title"][pick], "movement": case["movement"][pick],
        "place": case["place"][pick], "years": case["years"], "themes": list(case["themes"]),
        "description": case["description"][pick], "sources": list(case["sources"]), "origin": "library",
        "title_en": case["title"]["en"], "title_ar": case["title"]["ar"],
        "description_en": case["description"]["en"], "description_ar": case["description"]["ar"],
    }
