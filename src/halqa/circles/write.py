"""Writing the circles domain: members, vouches, roles, meetings held and project tasks.

Each function checks its input (:class:`~halqa.errors.InvalidInput` with a message id, nothing
written) and appends events (:mod:`~halqa.circles.events`); what it returns is typed.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from halqa.circles.events import PARTS, ROLES, WEEKDAYS, CirclePut, HeldPut, MemberPut, RolePut, TaskPut, VouchPut, vouch_id
from halqa.circles.read import Task, circle, member_exists, planned_meeting, pseudonyms, task, task_exists
from halqa.errors import InvalidInput, NotFound
from halqa.places import area_exists
from halqa.vault import Vault
from halqa.vault.values import check_day, new_id

__all__ = [
    "Held",
    "ImportReport",
    "RowError",
    "add_member",
    "add_task",
    "add_vouch",
    "import_members",
    "import_vouches",
    "meeting_held",
    "parse_availability",
    "set_role",
    "task_done",
]

_PSEUDONYM = re.compile(r"^[\w\-.]{1,40}$", re.UNICODE)
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
_ID = re.compile(r"^[\w\-.:]{1,60}$", re.UNICODE)


class RowError(msgspec.Struct, kw_only=True, frozen=True):
    """A row of an imported file that was not kept: its line, a reason code and the detail."""

    line: int
    reason: str
    detail: str


class ImportReport(msgspec.Struct, kw_only=True, frozen=True):
    """How many rows an import kept, and every row it did not."""

    imported: int
    errors: list[RowError]


class Held(msgspec.Struct, kw_only=True, frozen=True):
    """A meeting recorded as held or not: who came and the share of the circle present."""

    meeting: str
    circle: str
    day: str
    held: bool
    present: list[str]
    attendance: float | None


# --------------------------------------------------------------------------- validation
def _pseudonym(value: str) -> str:
    value = (value or "").strip()
    if not _PSEUDONYM.match(value):
        raise InvalidInput("circles.bad_pseudonym", pseudonym=value)
    return value


def _labels(labels: dict[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, val in (labels or {}).items():
        k = key.strip().lower()
        v = (val or "").strip()
        if not _LABEL_KEY.match(k):
            raise InvalidInput("circles.bad_label", label=key)
        if len(v) > 40:
            raise InvalidInput("circles.label_too_long", label=key)
        if v:
            out[k] = v
    return out


def parse_availability(items: Iterable[str]) -> list[str]:
    """Normalise ``sat:evening``, ``fri`` (whole day) or ``any:evening`` to ``day:part`` slots."""
    slots: set[str] = set()
    for item in items:
        text = item.strip().lower()
        if not text:
            continue
        day, _, part = text.partition(":")
        days = WEEKDAYS if day in ("any", "*") else (day,)
        parts = PARTS if part in ("", "any", "*") else (part,)
        for d in days:
            for p in parts:
                if d not in WEEKDAYS or p not in PARTS:
                    raise InvalidInput("circles.bad_availability", value=item)
                slots.add(f"{d}:{p}")
    return sorted(slots, key=lambda s: (WEEKDAYS.index(s.split(":")[0]), PARTS.index(s.split(":")[1])))


def _check_area(vault: Vault, area: str | None) -> str | None:
    if not area:
        return None
    code = area.strip().upper()
    if not area_exists(vault, code):
        raise NotFound("circles.unknown_area", code=code)
    return code


# --------------------------------------------------------------------------- writing
def add_member(vault: Vault, pseudonym: str | None = None, labels: dict[str, str] | None = None,
               skills: Iterable[str] = (), availability: Iterable[str] = (), area: str | None = None,
               joined: str = "") -> str:
    """Record (or update) a member by pseudonym; returns the pseudonym (a new random one if none).

    On an update only the fields given change.

    ``labels`` are optional coarse group labels (``{"sect": "..", "sector": "port"}``);
    ``availability`` lists ``day:part`` slots (empty = any time); ``area`` is a place code.
    """
    pid = _pseudonym(pseudonym) if pseudonym else "m-" + secrets.token_hex(3)
    new = not member_exists(vault, pid)
    payload = MemberPut(pseudonym=pid)
    if labels is not None or new:
        payload.labels = _labels(labels)
    skills, availability = list(skills), list(availability)
    if skills or new:
        payload.skills = sorted({s.strip() for s in skills if s.strip()})
    if availability or new:
        payload.availability = parse_availability(availability)
    if area is not None or new:
        payload.area = _check_area(vault, area)
    if joined:
        payload.joined = joined
    vault.append("circles_member.put", payload)
    return pid


def _vouch_payload(voucher: str, vouchee: str, strength: int, years: int | None, directed: bool) -> VouchPut:
    if voucher == vouchee:
        raise InvalidInput("circles.self_vouch", member=voucher)
    if not isinstance(strength, int) or not 1 <= strength <= 5:
        raise InvalidInput("circles.bad_strength", strength=strength)
    if years is not None and not 0 <= years <= 100:
        raise InvalidInput("circles.bad_years", years=years)
    return VouchPut(id=vouch_id(voucher, vouchee, directed), voucher=voucher, vouchee=vouchee,
                    strength=strength, years=years, directed=directed)


def add_vouch(vault: Vault, voucher: str, vouchee: str, strength: int = 3, years: int | None = None,
              directed: bool = False) -> str:
    """Record that ``voucher`` vouches for ``vouchee`` (both ways unless ``directed``); returns the tie id."""
    for m in (voucher, vouchee):
        if not member_exists(vault, m):
            raise NotFound("circles.unknown_member", member=m)
    payload = _vouch_payload(voucher, vouchee, strength, years, directed)
    vault.append("circles_vouch.put", payload)
    return payload.id


def _read_csv(path: Path | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput("circles.file_unreadable", path=str(path)) from None
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if row and any(c.strip() for c in row)]
    if not rows:
        raise InvalidInput("circles.file_empty", path=str(path))
    header = [h.strip().lower() for h in rows[0][1]]
    return header, rows[1:]


def import_members(vault: Vault, path: Path | str, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import members from a CSV with header ``pseudonym`` then any group-label columns.

    Every bad row is reported (line number, reason); the good ones are kept, all in one
    transaction.
    """
    header, rows = _read_csv(path)
    if not header or header[0] != "pseudonym":
        raise InvalidInput("circles.bad_member_header", header=",".join(header))
    label_cols = header[1:]
    for col in label_cols:
        if not _LABEL_KEY.match(col) or label_cols.count(col) > 1:
            raise InvalidInput("circles.bad_label", label=col)
    errors: list[RowError] = []
    seen: set[str] = set()
    good: list[MemberPut] = []
    for line, row in rows:
        if len(row) != len(header):
            errors.append(RowError(line=line, reason="columns", detail=f"{len(row)} != {len(header)}"))
            continue
        name = row[0].strip()
        if not _PSEUDONYM.match(name):
            errors.append(RowError(line=line, reason="bad_pseudonym", detail=name))
            continue
        if name in seen:
            errors.append(RowError(line=line, reason="duplicate", detail=name))
            continue
        try:
            labels = _labels(dict(zip(label_cols, row[1:], strict=True)))
        except InvalidInput as exc:
            errors.append(RowError(line=line, reason="bad_label", detail=str(exc.params.get("label", ""))))
            continue
        seen.add(name)
        good.append(MemberPut(pseudonym=name, labels=labels))
    with vault.transaction() as tx:
        for i, payload in enumerate(good):
            if progress is not None and i % 1000 == 0:
                progress(i, len(good))
            tx.append("circles_member.put", payload)
    return ImportReport(imported=len(good), errors=errors)


def import_vouches(vault: Vault, path: Path | str, directed: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import vouching ties from a CSV ``from,to,strength`` (optional fourth column ``years``).

    Both members must already exist. A tie counts both ways unless ``directed``. Bad rows are
    reported with their line number and skipped; good ones are kept in one transaction.
    """
    header, rows = _read_csv(path)
    if header[:3] != ["from", "to", "strength"] or any(h not in ("years",) for h in header[3:]):
        raise InvalidInput("circles.bad_vouch_header", header=",".join(header))
    known = pseudonyms(vault)
    errors: list[RowError] = []
    good: dict[str, VouchPut] = {}
    for line, row in rows:
        if len(row) != len(header):
            errors.append(RowError(line=line, reason="columns", detail=f"{len(row)} != {len(header)}"))
            continue
        a, b, s = (c.strip() for c in row[:3])
        missing = [m for m in (a, b) if m not in known]
        if missing:
            errors.append(RowError(line=line, reason="unknown_member", detail=missing[0]))
            continue
        try:
            strength = int(s)
            years = int(row[3]) if len(row) > 3 and row[3].strip() else None
        except ValueError:
            errors.append(RowError(line=line, reason="not_a_number", detail=",".join(row[2:])))
            continue
        try:
            payload = _vouch_payload(a, b, strength, years, directed)
        except InvalidInput as exc:
            errors.append(RowError(line=line, reason=exc.msg_id.split(".", 1)[1], detail=",".join(row)))
            continue
        good[payload.id] = payload
    with vault.transaction() as tx:
        for i, payload in enumerate(good.values()):
            if progress is not None and i % 1000 == 0:
                progress(i, len(good))
            tx.append("circles_vouch.put", payload)
    return ImportReport(imported=len(good), errors=errors)


def set_role(vault: Vault, circle_id: str, member: str, role: str) -> dict[str, str]:
    """Give ``member`` a role (liaison, host, treasurer, carer, learning, member) in a circle."""
    c = circle(vault, circle_id)
    if member not in c.members:
        raise InvalidInput("circles.not_in_circle", member=member, circle=circle_id)
    if role not in ROLES:
        raise InvalidInput("circles.bad_role", role=role, roles=", ".join(ROLES))
    with vault.transaction() as tx:
        tx.append("circles_role.put", RolePut(id=f"{circle_id}:{member}", circle=circle_id, member=member, role=role))
        if role == "liaison":
            tx.append("circles_circle.put", CirclePut(id=circle_id, liaison=member))
    return {"circle": circle_id, "member": member, "role": role}


# --------------------------------------------------------------------------- meetings held, project tasks
def _record_id(value: str, what: str) -> str:
    text = (value or "").strip()
    if not _ID.match(text):
        raise InvalidInput("circles.bad_id", what=what, value=text)
    return text


def meeting_held(vault: Vault, meeting: str, present: Iterable[str] = (), held: bool = True,
                 circle_id: str | None = None, day: str | None = None) -> Held:
    """Record whether a meeting took place and who of the circle came (recording again corrects it).

    ``meeting`` is a planned meeting id (``halqa circles schedule``), or a new id for a meeting
    that was not planned in halqa (then with ``circle_id`` and ``day``). ``attendance`` is the
    share of the circle present (``None`` when not held or the circle is empty).
    """
    meeting = _record_id(meeting, "meeting")
    planned = planned_meeting(vault, meeting)
    if planned is not None and circle_id and circle_id != planned.circle:
        raise InvalidInput("circles.meeting_other_circle", meeting=meeting, circle=planned.circle)
    circle_id = circle_id or (planned.circle if planned is not None else None)
    if not circle_id:
        raise InvalidInput("circles.held_needs_circle", meeting=meeting)
    c = circle(vault, circle_id)
    who = sorted({p.strip() for p in present if p and p.strip()})
    strangers = [p for p in who if p not in c.members]
    if strangers:
        raise InvalidInput("circles.not_in_circle", member=strangers[0], circle=circle_id)
    if not held and who:
        raise InvalidInput("circles.not_held_but_present")
    the_day = check_day(day or (planned.day if planned is not None else None))
    vault.append("circles_held.put", HeldPut(meeting=meeting, circle=circle_id, day=the_day, held=bool(held),
                                             present=who, size=len(c.members)))
    return Held(meeting=meeting, circle=circle_id, day=the_day, held=bool(held), present=who,
                attendance=round(len(who) / len(c.members), 3) if c.members and held else None)


def add_task(vault: Vault, circle_id: str, title: str, due: str, task_id: str | None = None) -> Task:
    """Add a task of the circle's project, due on ``due`` (ISO day); returns the task."""
    circle(vault, circle_id)
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise InvalidInput("circles.bad_task_title")
    tid = _record_id(task_id, "task") if task_id else new_id("t")
    if task_id and task_exists(vault, tid):
        raise InvalidInput("circles.task_exists", task=tid)
    vault.append("circles_task.put", TaskPut(id=tid, circle=circle_id, title=title, due=check_day(due), done=None))
    return task(vault, tid)


def task_done(vault: Vault, task_id: str, day: str | None = None) -> Task:
    """Mark a project task done on ``day`` (default today); returns the task."""
    if not task_exists(vault, task_id):
        raise NotFound("circles.unknown_task", task=task_id)
    vault.append("circles_task.put", TaskPut(id=task_id, done=check_day(day)))
    return task(vault, task_id)
