"""Numbers, days and names as each language writes them.

Arabic and Sorani pages use Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩) with the Arabic decimal and
thousands separators; days read "24 تشرين الثاني 2026" with the month names used in Iraq.
Form fields and the JSON API keep ASCII digits and ISO days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from halqa.i18n import RTL, current_language, t
from halqa.results import to_data

__all__ = ["day", "lookup", "month", "name", "num", "pct"]

_DIGITS = str.maketrans("0123456789.,-", "٠١٢٣٤٥٦٧٨٩٫٬-")


def num(value: Any, digits: int = 0, lang: str | None = None) -> str:
    """``value`` with ``digits`` decimals and grouping, in the language's digits; '–' for None."""
    lang = lang or current_language()
    if value is None or value == "":
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.{digits}f}"
    return text.translate(_DIGITS) if lang in RTL else text


def pct(value: Any, lang: str | None = None) -> str:
    """A share (0..1) as a whole percentage."""
    if value is None:
        return "–"
    lang = lang or current_language()
    return num(float(value) * 100, 0, lang) + ("٪" if lang in RTL else "%")


def day(value: Any, lang: str | None = None) -> str:
    """An ISO day (or datetime) as ``24 <month> 2026`` in the language."""
    lang = lang or current_language()
    if not value:
        return "–"
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    text = f"{d.day} {t(f'web.month.{d.month}', lang=lang)} {d.year}"
    return text.translate(_DIGITS) if lang in RTL else text


def month(value: Any, lang: str | None = None) -> str:
    """An ISO month (``2026-11``) as ``<month> 2026`` in the language."""
    lang = lang or current_language()
    text = str(value or "")
    try:
        year, number = int(text[:4]), int(text[5:7])
    except ValueError:
        return text or "–"
    if not 1 <= number <= 12 or text[4:5] != "-":
        return text
    out = f"{t(f'web.month.{number}', lang=lang)} {year}"
    return out.translate(_DIGITS) if lang in RTL else out


def name(record: Any, lang: str | None = None) -> str:
    """The name of an area or theme in the language (``name_ar`` / ``name_ckb`` / ``name_en``)."""
    lang = lang or current_language()
    if hasattr(record, "__struct_fields__") or dataclasses.is_dataclass(record):  # a domain's typed result
        record = to_data(record)
    if not isinstance(record, dict):
        return str(record)
    for key in (f"name_{lang}", "name_en", "name_ar", "code", "id"):
        if record.get(key):
            return str(record[key])
    return "?"


def lookup(rows: list[Any], key: str) -> dict[str, Any]:
    """``rows`` (dicts or typed results) by the text of their ``key`` (themes by id, areas by code), for templates."""
    return {str(r[key] if isinstance(r, dict) else getattr(r, key)): r for r in rows}
