"""What the learning domain records, and the small checks every module shares.

Every record is an event folded by a :class:`~halqa.vault.RecordProjection`:

==========================  =========================  ===============================================
kind                        table                      key
==========================  =========================  ===============================================
``learning_slot.put``       ``learning_slot``          ``plan:month:kind`` (the saved rotation)
``learning_blackout.put``   ``learning_blackout``      ``circle:month`` (a circle cannot host)
``learning_session.put``    ``learning_session``       ``id`` (a study session, then its report)
``learning_tactic.put``     ``learning_tactic``        ``id`` (a tactic a circle brought back)
``learning_care.put``       ``learning_care``          ``action`` (a high-risk action and its care)
``learning_checkin.put``    ``learning_checkin``       ``id`` (random; see the privacy note)
``learning_attendance.put`` ``learning_attendance``    ``meeting`` (legacy: read only; see below)
``learning_kit.put``        ``learning_kit``           ``id`` (a replication suggestion offered)
``learning_circlekey.put``  ``learning_circlekey``     ``circle`` (a circle's codebook key, for cards)
==========================  =========================  ===============================================

**Privacy of check-ins.** A private check-in's event carries the circle, the ISO week, the score
and the word, and *no member at all*: not in the payload, not in the table. Only a member who
opts in (``share=True``) has their pseudonym stored with it. Views show private check-ins only as
circle-level weekly figures, and only for weeks with at least ``MIN_CELL`` check-ins, so one
person's score cannot be read off a thin week. (The event's device and clock remain, as for every
event: check in from the organiser's device, not a shared one, if even that is too much.)

**Attendance** now lives in :mod:`halqa.circles` (``circles_held``, :func:`halqa.circles.meeting_held`).
``learning_attendance`` stays registered so vaults that recorded attendance before keep their
events; health still reads those rows for meetings circles has no record of.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import msgspec

from halqa.circles import circle, circles
from halqa.errors import InvalidInput
from halqa.results import to_data
from halqa.vault import RecordProjection, Vault, register_kind, register_projection

__all__ = [
    "CARE_FORMS",
    "MIN_CELL",
    "OUTCOMES",
    "THEMES",
    "check_month",
    "month_add",
    "month_end",
]

UNSET = msgspec.UNSET

#: Tactic themes (the archive is searchable by these).
THEMES: tuple[str, ...] = ("water", "wages", "power", "repression", "housing", "health", "food", "documentation",
                           "mutual_aid", "education", "environment", "safety")
#: Outcomes of a tried tactic.
OUTCOMES: tuple[str, ...] = ("tried", "not_tried", "partly")
#: Kinds of decompression gathering.
CARE_FORMS: tuple[str, ...] = ("meal", "poetry", "prayer", "silence", "walk", "music")
#: The smallest number of private check-ins shown as a figure.
MIN_CELL = 3

_ID = re.compile(r"^[\w\-.:]{1,60}$", re.UNICODE)
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_WEEK = re.compile(r"^\d{4}-W\d{2}$")


class SlotPut(msgspec.Struct, kw_only=True):
    id: str
    month: str | msgspec.UnsetType = UNSET
    kind: str | msgspec.UnsetType = UNSET  # study / report
    circle: str | msgspec.UnsetType = UNSET


class BlackoutPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    month: str | msgspec.UnsetType = UNSET
    active: bool | msgspec.UnsetType = UNSET  # lifted blackouts stay as inactive records (no tombstone)


class SessionPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    month: str | msgspec.UnsetType = UNSET
    movement: str | msgspec.UnsetType = UNSET
    place: str | msgspec.UnsetType = UNSET
    years: str | msgspec.UnsetType = UNSET
    tactic: str | msgspec.UnsetType = UNSET  # the tactic as the circle put it
    tactic_id: str | msgspec.UnsetType = UNSET  # library or circle tactic
    themes: list[str] | msgspec.UnsetType = UNSET
    adaptation: str | msgspec.UnsetType = UNSET
    tries: str | msgspec.UnsetType = UNSET  # the circle that tries it
    due: str | msgspec.UnsetType = UNSET  # ISO day
    added: str | msgspec.UnsetType = UNSET
    outcome: str | msgspec.UnsetType | None = UNSET
    happened: str | msgspec.UnsetType | None = UNSET
    change: str | msgspec.UnsetType | None = UNSET
    keep: bool | msgspec.UnsetType | None = UNSET
    reported: str | msgspec.UnsetType | None = UNSET  # ISO day of the report


class TacticPut(msgspec.Struct, kw_only=True):
    id: str
    title: str | msgspec.UnsetType = UNSET
    themes: list[str] | msgspec.UnsetType = UNSET
    description: str | msgspec.UnsetType = UNSET
    place: str | msgspec.UnsetType = UNSET
    years: str | msgspec.UnsetType = UNSET
    circle: str | msgspec.UnsetType = UNSET
    added: str | msgspec.UnsetType = UNSET

    def check(self) -> None:
        check_id(self.id)
        for text, limit in ((self.title, 200), (self.description, 5000), (self.place, 200), (self.years, 40)):
            if isinstance(text, str) and len(text) > limit:
                raise InvalidInput("learning.too_long", limit=limit)


class CarePut(msgspec.Struct, kw_only=True):
    action: str
    circle: str | msgspec.UnsetType = UNSET
    kind: str | msgspec.UnsetType = UNSET  # meeting / action
    action_day: str | msgspec.UnsetType = UNSET
    within: int | msgspec.UnsetType = UNSET
    due: str | msgspec.UnsetType = UNSET  # last day for the gathering
    day: str | msgspec.UnsetType = UNSET  # planned day
    part: str | msgspec.UnsetType = UNSET
    form: str | msgspec.UnsetType = UNSET
    host: str | msgspec.UnsetType | None = UNSET
    held: str | msgspec.UnsetType | None = UNSET  # ISO day it was held


class CheckinPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    week: str | msgspec.UnsetType = UNSET  # ISO week "2026-W07"
    score: int | msgspec.UnsetType = UNSET
    word: str | msgspec.UnsetType = UNSET
    member: str | msgspec.UnsetType | None = UNSET  # only when shared

    def check(self) -> None:
        check_id(self.id)
        if isinstance(self.score, int) and not 1 <= self.score <= 5:
            raise InvalidInput("learning.bad_score", score=self.score)
        if isinstance(self.word, str) and (len(self.word.split()) > 1 or len(self.word) > 30):
            raise InvalidInput("learning.one_word", word=self.word[:40])
        if isinstance(self.week, str) and not _WEEK.match(self.week):
            raise InvalidInput("learning.bad_day", day=self.week[:40])
        if isinstance(self.member, str):
            check_id(self.member, "member")


class AttendancePut(msgspec.Struct, kw_only=True):
    meeting: str
    circle: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    held: bool | msgspec.UnsetType = UNSET
    present: list[str] | msgspec.UnsetType = UNSET
    size: int | msgspec.UnsetType = UNSET


class KitPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    kit: dict[str, Any] | msgspec.UnsetType = UNSET


class CircleKeyPut(msgspec.Struct, kw_only=True):
    circle: str
    key: bytes | msgspec.UnsetType = UNSET


_TABLES: list[tuple[str, type[msgspec.Struct], str, tuple[str, ...]]] = [
    ("learning_slot", SlotPut, "id", ("month",)),
    ("learning_blackout", BlackoutPut, "id", ()),
    ("learning_session", SessionPut, "id", ("circle", "tactic_id")),
    ("learning_tactic", TacticPut, "id", ()),
    ("learning_care", CarePut, "action", ("circle",)),
    ("learning_checkin", CheckinPut, "id", ("circle",)),
    ("learning_attendance", AttendancePut, "meeting", ("circle",)),
    ("learning_kit", KitPut, "id", ()),
    ("learning_circlekey", CircleKeyPut, "circle", ()),
]

for _name, _put, _key, _idx in _TABLES:
    register_kind(f"{_name}.put", _put)
    register_projection(RecordProjection(_name, _put, key=_key, indexes=_idx))


# --------------------------------------------------------------------------- small checks
def check_id(value: str, what: str = "id") -> str:
    text = (value or "").strip()
    if not _ID.match(text):
        raise InvalidInput("learning.bad_id", what=what, value=text)
    return text


def check_month(value: str) -> str:
    """``YYYY-MM``."""
    text = str(value).strip()
    if not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12:
        raise InvalidInput("learning.bad_month", month=value)
    return text


def month_add(month: str, n: int) -> str:
    """The month ``n`` months after ``month`` (``YYYY-MM``)."""
    y, m = int(month[:4]), int(month[5:])
    k = y * 12 + m - 1 + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_end(month: str) -> str:
    """The last day of a month, ISO."""
    y, m = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(y, m)[1]:02d}"


def iso_week(day: str) -> str:
    """``2026-W07`` for an ISO day."""
    y, w, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{y:04d}-W{w:02d}"


def circle_ids(vault: Vault) -> list[str]:
    """Ids of every recorded circle (through the circles package)."""

    return [c.id for c in circles(vault)]


def require_circle(vault: Vault, circle_id: str) -> dict[str, Any]:
    """The circle (members, roles, meetings); :class:`~halqa.errors.NotFound` if unknown."""

    return to_data(circle(vault, circle_id))  # the JSON shape: members, roles, meetings
