"""Checks shared by funds, pools and the tool library: names, pseudonyms, days, ids."""

from __future__ import annotations

import re
import secrets
from datetime import date

from halqa.errors import InvalidInput

__all__ = ["check_day", "check_name", "check_pseudonym", "new_id", "today"]

_NAME = re.compile(r"^[\w][\w.-]{0,39}$")


def check_name(name: str, what: str = "name") -> str:
    """A record name: letters of any script, digits, ``.``, ``_``, ``-``; 1 to 40 characters."""
    value = str(name).strip()
    if not _NAME.match(value):
        raise InvalidInput("mutual_aid.error.name", what=what, name=name)
    return value


def check_pseudonym(name: str) -> str:
    """A member pseudonym (``hh-7qk2``, ``abu-ali``): same shape as a name, never a phone number."""
    value = check_name(name, "pseudonym")
    if sum(c.isdigit() for c in value) >= 7:
        raise InvalidInput("mutual_aid.error.looks_like_phone", name=value)
    return value


def check_day(day: str | date | None) -> str:
    """An ISO day (``2026-05-01``); ``None`` means today. Days, never minutes."""
    if day is None:
        return today()
    if isinstance(day, date):
        return day.isoformat()
    try:
        return date.fromisoformat(str(day).strip()).isoformat()
    except ValueError:
        raise InvalidInput("mutual_aid.error.day", day=day) from None


def today() -> str:
    return date.today().isoformat()


def new_id(prefix: str) -> str:
    """A short random id such as ``e-3f9a1c2b`` (no order, no time, nothing to link)."""
    return f"{prefix}-{secrets.token_hex(4)}"
