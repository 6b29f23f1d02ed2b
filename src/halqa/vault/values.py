"""Values every domain's records use, defined once: days, record ids and JSON columns.

**Today is the UTC day** of the vault's wall clock (:func:`halqa.vault.events.wall_ns`). Events of
day-precision kinds (grievances, members, cash entries, …) carry a clock that keeps only the UTC
day (:meth:`~halqa.vault.events.HLC.tick_day`, :func:`~halqa.vault.events.is_day_clock`). A record's
default day is therefore the day its clock already says, and the pair reveals nothing more: with the
local day, a grievance noted at 01:30 in Baghdad (UTC+3) would carry day D+1 on a clock of day D,
telling whoever holds the bundle that it was written in the first three hours of the night. A day a
person types is theirs: up to one day after the UTC today is not "in the future", so a local today
anywhere on Earth is accepted.

A day is written ``YYYY-MM-DD`` and nothing else (no time of day, no week or compact forms): one
parser, :func:`check_day`, with one set of messages (``error.bad_day``, ``error.day_missing``,
``error.day_has_time``, ``error.day_future``) in Arabic, Sorani and English.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.vault import events

__all__ = ["ID_BYTES", "check_day", "check_stored_day", "day_of_ms", "day_start_ms", "json_dict", "json_list",
           "json_text", "new_id", "today", "today_date"]

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Arabic-Indic and Persian (Sorani keyboards) digits, read as the digits they are.
_DIGITS = str.maketrans("\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
                        "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9", "0123456789" * 2)
#: Random bytes of a record id. Two devices drawing the same id would make one record silently
#: overwrite the other (records merge by id), so: 8 bytes, about 3 chances in 10^8 of any clash
#: among a million records of one kind (the 3 bytes some domains used gave an even chance at 5,000).
ID_BYTES = 8


# ---------------------------------------------------------------------------- days
def day_of_ms(ms: int) -> str:
    """The UTC day (``YYYY-MM-DD``) of a time in milliseconds since the epoch."""
    return datetime.fromtimestamp(ms // 1000, UTC).date().isoformat()


def day_start_ms(ms: int) -> int:
    """The first millisecond of the UTC day of ``ms``: a time that says the day and nothing finer."""
    return ms - ms % events.DAY_MS


def today() -> str:
    """Today: the UTC day of the vault's wall clock (why UTC: this module's docstring)."""
    return day_of_ms(events.wall_ns() // 1_000_000)


def today_date() -> date:
    """:func:`today` as a :class:`datetime.date`."""
    return date.fromisoformat(today())


def check_day(value: str | date | None, *, required: bool = False, past: bool = False,
              now: str | date | None = None) -> str:
    """An ISO day ``YYYY-MM-DD``, checked, as stored.

    ``None`` or blank is today (or ``error.day_missing`` when ``required``). A time of day is
    refused (halqa keeps days, never minutes), as is any other shape or an impossible date.
    Arabic-Indic and Persian digits are read as digits (``٢٠٢٦-٠٥-٠١``).
    ``past``: the day may not be after ``now`` (default: :func:`today`) by more than one day,
    the margin for a person whose local date is already tomorrow in UTC.
    """
    if isinstance(value, datetime):
        raise InvalidInput("error.day_has_time", day=value.isoformat()[:40])
    current = now if isinstance(now, date) else date.fromisoformat(now or today())
    if isinstance(value, date):
        day = value
    else:
        raw = "" if value is None else str(value).strip().translate(_DIGITS)
        if not raw:
            if required:
                raise InvalidInput("error.day_missing")
            return current.isoformat()
        if "T" in raw or ":" in raw:
            raise InvalidInput("error.day_has_time", day=raw[:40])
        if not _DAY.fullmatch(raw):
            raise InvalidInput("error.bad_day", day=raw[:40])
        try:
            day = date.fromisoformat(raw)
        except ValueError:  # 2026-02-30
            raise InvalidInput("error.bad_day", day=raw[:40]) from None
    if past and day > current + timedelta(days=1):
        raise InvalidInput("error.day_future", day=day.isoformat())
    return day.isoformat()


def check_stored_day(value: object, *, past: bool = False) -> str:
    """A day as an event stores it (a payload's ``check()``): exactly ``YYYY-MM-DD``, no blanks."""
    if not isinstance(value, str):
        raise InvalidInput("error.bad_day", day=repr(value)[:40])
    if check_day(value, required=True, past=past) != value:
        raise InvalidInput("error.bad_day", day=value[:40])
    return value


# ---------------------------------------------------------------------------- ids
def new_id(prefix: str = "", *, nbytes: int = ID_BYTES) -> str:
    """A random record id, ``3f9a…`` or with a prefix ``e-3f9a…``: no order, no time, nothing to
    link it to a device or a moment."""
    token = secrets.token_hex(nbytes)
    return f"{prefix}-{token}" if prefix else token


# ---------------------------------------------------------------------------- JSON columns
def json_text(value: Any) -> str:
    """A list, dict or struct as a JSON column holds it: canonical JSON (sorted keys), as
    :class:`~halqa.vault.RecordProjection` writes its list and dict fields."""
    return msgspec.json.encode(value, order="deterministic").decode()


def json_list(text: str | bytes | None) -> list[Any]:
    """A JSON list column as a list (NULL or empty: ``[]``)."""
    return list(msgspec.json.decode(text)) if text else []


def json_dict(text: str | bytes | None) -> dict[str, Any]:
    """A JSON object column as a dict (NULL or empty: ``{}``)."""
    return dict(msgspec.json.decode(text)) if text else {}
