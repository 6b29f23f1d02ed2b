"""Languages: Arabic (default, right-to-left), Kurdish Sorani, English.

Messages live in JSON catalogues beside this file, keyed by stable message ids, with ``{name}``
placeholders: ``<lang>.json`` for the core and ``<lang>.<domain>.json`` for each domain (so each
domain's messages are edited on their own). Translators edit the
JSON; code only ever names ids. A missing translation falls back to English, then to the id,
so a gap is visible but never crashes a face.
"""

from __future__ import annotations

import contextvars
import json
import os
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["LANGUAGES", "RTL", "catalogue", "current_language", "set_language", "t"]

#: Supported languages, default first.
LANGUAGES: tuple[str, ...] = ("ar", "ckb", "en")
#: Languages written right to left.
RTL: frozenset[str] = frozenset({"ar", "ckb"})

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("halqa_lang", default=None)


def _normalise(lang: str | None) -> str | None:
    if not lang:
        return None
    # "ku_IQ.UTF-8" (a locale) -> "ku". A list such as a poster's "ar,en" is not a UI language:
    # it normalises to None, so messages stay in the language already in force.
    code = lang.split(".")[0].split("_")[0].split("-")[0].lower()
    if code in ("ku", "sorani"):
        code = "ckb"
    return code if code in LANGUAGES else None


def current_language() -> str:
    """The language in force: set by a face, else ``HALQA_LANG``, else Arabic."""
    return _current.get() or _normalise(os.environ.get("HALQA_LANG")) or LANGUAGES[0]


def set_language(lang: str | None) -> str:
    """Set the language for this context (a CLI run, a web request); returns what was set."""
    code = _normalise(lang) or current_language()
    _current.set(code)
    return code


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of one language (id -> text)."""
    merged: dict[str, str] = {}
    folder = resources.files(__package__)
    names = sorted(f.name for f in folder.iterdir() if f.name.startswith(f"{lang}.") and f.name.endswith(".json"))
    for name in names:
        merged.update(json.loads(folder.joinpath(name).read_text(encoding="utf-8")))
    return merged


def t(msg_id: str, lang: str | None = None, **params: Any) -> str:
    """Render message ``msg_id`` in ``lang`` (default: the current language)."""
    code = _normalise(lang) or current_language()
    text = catalogue(code).get(msg_id) or catalogue("en").get(msg_id) or msg_id
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
