"""Checks shared by funds, pools and the tool library: names and pseudonyms (days and ids:
:mod:`halqa.vault.values`)."""

from __future__ import annotations

import re

from halqa.errors import InvalidInput

__all__ = ["check_name", "check_pseudonym"]

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

