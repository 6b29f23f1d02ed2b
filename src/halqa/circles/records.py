"""What the circles domain records: members, vouching ties, circles, meetings and roles.

Every record is an event folded by a :class:`~halqa.vault.RecordProjection`:

========================  ===========================  =========================================
kind                      table                        key
========================  ===========================  =========================================
``circles_member.put``    ``circles_member``           ``pseudonym``
``circles_vouch.put``     ``circles_vouch``            ``id`` (``a>b`` directed, ``a~b`` both ways)
``circles_circle.put``    ``circles_circle``           ``id``
``circles_meeting.put``   ``circles_meeting``          ``id``
``circles_role.put``      ``circles_role``             ``id`` (``circle:member``)
``circles_held.put``      ``circles_held``             ``meeting`` (held or not, who came)
``circles_task.put``      ``circles_task``             ``id`` (a task of the circle's project)
========================  ===========================  =========================================

Members are pseudonyms, never names. Group labels (sect, origin, job sector) are optional and
coarse; they stay in the circle's vault. Meetings carry a day, a part of the day and a coarse
hour, and a place *code* (an area from :mod:`halqa.places`), never an address.

A meeting recorded as **held** (:func:`meeting_held`) keeps whether it took place, who of the
circle came, and the circle's size that day (attendance is read against it). **Project tasks**
(:func:`add_task`, :func:`task_done`) are the steps of a circle's concrete project, each with the
day it is due and the day it was done; circle health (:mod:`halqa.learning`) reads both through
:func:`attendance` and :func:`tasks`.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.places import area_exists
from halqa.vault import RecordProjection, Vault, register_kind, register_projection
from halqa.vault.values import check_day, json_dict, json_list, new_id

__all__ = [
    "PARTS",
    "WEEKDAYS",
    "CirclePut",
    "HeldPut",
    "MeetingPut",
    "MemberPut",
    "RolePut",
    "TaskPut",
    "VouchPut",
    "add_member",
    "add_task",
    "add_vouch",
    "attendance",
    "circle",
    "circles",
    "import_members",
    "import_vouches",
    "meeting_held",
    "meetings",
    "members",
    "parse_availability",
    "set_role",
    "task_done",
    "tasks",
    "vouches",
]

UNSET = msgspec.UNSET

#: Weekdays as stored (ISO order, Monday first) and the three parts of a day.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: tuple[str, ...] = ("morning", "afternoon", "evening")
MEETING_KINDS: tuple[str, ...] = ("regular", "learning", "care")
ROLES: tuple[str, ...] = ("liaison", "host", "treasurer", "carer", "learning", "member")

_PSEUDONYM = re.compile(r"^[\w\-.]{1,40}$", re.UNICODE)
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class MemberPut(msgspec.Struct, kw_only=True):
    pseudonym: str
    labels: dict[str, str] | msgspec.UnsetType = UNSET
    skills: list[str] | msgspec.UnsetType = UNSET
    availability: list[str] | msgspec.UnsetType = UNSET  # "sat:evening"; empty = any time
    area: str | msgspec.UnsetType | None = UNSET  # a halqa.places area code
    joined: str | msgspec.UnsetType = UNSET  # ISO day


class VouchPut(msgspec.Struct, kw_only=True):
    id: str
    voucher: str | msgspec.UnsetType = UNSET
    vouchee: str | msgspec.UnsetType = UNSET
    strength: int | msgspec.UnsetType = UNSET  # 1..5
    years: int | msgspec.UnsetType | None = UNSET  # years known
    directed: bool | msgspec.UnsetType = UNSET  # False: the tie counts both ways


class CirclePut(msgspec.Struct, kw_only=True):
    id: str
    members: list[str] | msgspec.UnsetType = UNSET
    project: str | msgspec.UnsetType | None = UNSET
    liaison: str | msgspec.UnsetType | None = UNSET
    formed: str | msgspec.UnsetType = UNSET  # ISO day


class MeetingPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET  # ISO day
    part: str | msgspec.UnsetType = UNSET  # morning / afternoon / evening
    hour: int | msgspec.UnsetType = UNSET  # coarse local hour
    host: str | msgspec.UnsetType | None = UNSET
    place: str | msgspec.UnsetType | None = UNSET  # area code
    kind: str | msgspec.UnsetType = UNSET  # regular / learning / care
    cover: str | msgspec.UnsetType = UNSET  # innocuous calendar title


class RolePut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    member: str | msgspec.UnsetType = UNSET
    role: str | msgspec.UnsetType = UNSET


class HeldPut(msgspec.Struct, kw_only=True):
    meeting: str
    circle: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    held: bool | msgspec.UnsetType = UNSET
    present: list[str] | msgspec.UnsetType = UNSET
    size: int | msgspec.UnsetType = UNSET  # members of the circle that day


class TaskPut(msgspec.Struct, kw_only=True):
    id: str
    circle: str | msgspec.UnsetType = UNSET
    title: str | msgspec.UnsetType = UNSET
    due: str | msgspec.UnsetType = UNSET  # ISO day
    done: str | msgspec.UnsetType | None = UNSET  # ISO day it was done


register_kind("circles_held.put", HeldPut)
register_kind("circles_task.put", TaskPut)

for _name, _put in (("circles_member", MemberPut), ("circles_vouch", VouchPut), ("circles_circle", CirclePut),
                    ("circles_meeting", MeetingPut), ("circles_role", RolePut)):
    register_kind(f"{_name}.put", _put)

register_projection(RecordProjection("circles_member", MemberPut, key="pseudonym"))
register_projection(RecordProjection("circles_vouch", VouchPut, indexes=("voucher", "vouchee")))
register_projection(RecordProjection("circles_circle", CirclePut))
register_projection(RecordProjection("circles_meeting", MeetingPut, indexes=("circle",)))
register_projection(RecordProjection("circles_role", RolePut, indexes=("circle",)))

register_projection(RecordProjection("circles_held", HeldPut, key="meeting", indexes=("circle",)))
register_projection(RecordProjection("circles_task", TaskPut, indexes=("circle",)))

_ID = re.compile(r"^[\w\-.:]{1,60}$", re.UNICODE)


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


def _member_exists(vault: Vault, pseudonym: str) -> bool:
    return vault.query_one("SELECT 1 FROM circles_member WHERE pseudonym = ?", (pseudonym,)) is not None


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
    new = not _member_exists(vault, pid)
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


def vouch_id(voucher: str, vouchee: str, directed: bool) -> str:
    """Record key of a tie: ``a>b`` when directed, ``a~b`` (sorted) when it counts both ways."""
    if directed:
        return f"{voucher}>{vouchee}"
    a, b = sorted((voucher, vouchee))
    return f"{a}~{b}"


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
        if not _member_exists(vault, m):
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


def import_members(vault: Vault, path: Path | str, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import members from a CSV with header ``pseudonym`` then any group-label columns.

    Every bad row is reported (line number, reason); the good ones are kept, all in one
    transaction. Returns ``{"imported": n, "errors": [{"line": .., "reason": ..}]}``.
    """
    header, rows = _read_csv(path)
    if not header or header[0] != "pseudonym":
        raise InvalidInput("circles.bad_member_header", header=",".join(header))
    label_cols = header[1:]
    for col in label_cols:
        if not _LABEL_KEY.match(col) or label_cols.count(col) > 1:
            raise InvalidInput("circles.bad_label", label=col)
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    good: list[MemberPut] = []
    for line, row in rows:
        if len(row) != len(header):
            errors.append({"line": line, "reason": "columns", "detail": f"{len(row)} != {len(header)}"})
            continue
        name = row[0].strip()
        if not _PSEUDONYM.match(name):
            errors.append({"line": line, "reason": "bad_pseudonym", "detail": name})
            continue
        if name in seen:
            errors.append({"line": line, "reason": "duplicate", "detail": name})
            continue
        try:
            labels = _labels(dict(zip(label_cols, row[1:], strict=True)))
        except InvalidInput as exc:
            errors.append({"line": line, "reason": "bad_label", "detail": str(exc.params.get("label", ""))})
            continue
        seen.add(name)
        good.append(MemberPut(pseudonym=name, labels=labels))
    with vault.transaction() as tx:
        for i, payload in enumerate(good):
            if progress is not None and i % 1000 == 0:
                progress(i, len(good))
            tx.append("circles_member.put", payload)
    return {"imported": len(good), "errors": errors}


def import_vouches(vault: Vault, path: Path | str, directed: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import vouching ties from a CSV ``from,to,strength`` (optional fourth column ``years``).

    Both members must already exist. A tie counts both ways unless ``directed``. Bad rows are
    reported with their line number and skipped; good ones are kept in one transaction.
    """
    header, rows = _read_csv(path)
    if header[:3] != ["from", "to", "strength"] or any(h not in ("years",) for h in header[3:]):
        raise InvalidInput("circles.bad_vouch_header", header=",".join(header))
    known = {r[0] for r in vault.query("SELECT pseudonym FROM circles_member")}
    errors: list[dict[str, Any]] = []
    good: dict[str, VouchPut] = {}
    for line, row in rows:
        if len(row) != len(header):
            errors.append({"line": line, "reason": "columns", "detail": f"{len(row)} != {len(header)}"})
            continue
        a, b, s = (c.strip() for c in row[:3])
        missing = [m for m in (a, b) if m not in known]
        if missing:
            errors.append({"line": line, "reason": "unknown_member", "detail": missing[0]})
            continue
        try:
            strength = int(s)
            years = int(row[3]) if len(row) > 3 and row[3].strip() else None
        except ValueError:
            errors.append({"line": line, "reason": "not_a_number", "detail": ",".join(row[2:])})
            continue
        try:
            payload = _vouch_payload(a, b, strength, years, directed)
        except InvalidInput as exc:
            errors.append({"line": line, "reason": exc.msg_id.split(".", 1)[1], "detail": ",".join(row)})
            continue
        good[payload.id] = payload
    with vault.transaction() as tx:
        for i, payload in enumerate(good.values()):
            if progress is not None and i % 1000 == 0:
                progress(i, len(good))
            tx.append("circles_vouch.put", payload)
    return {"imported": len(good), "errors": errors}


def set_role(vault: Vault, circle_id: str, member: str, role: str) -> dict[str, str]:
    """Give ``member`` a role (liaison, host, treasurer, carer, learning, member) in a circle."""
    c = circle(vault, circle_id)
    if member not in c["members"]:
        raise InvalidInput("circles.not_in_circle", member=member, circle=circle_id)
    if role not in ROLES:
        raise InvalidInput("circles.bad_role", role=role, roles=", ".join(ROLES))
    with vault.transaction() as tx:
        tx.append("circles_role.put", RolePut(id=f"{circle_id}:{member}", circle=circle_id, member=member, role=role))
        if role == "liaison":
            tx.append("circles_circle.put", CirclePut(id=circle_id, liaison=member))
    return {"circle": circle_id, "member": member, "role": role}


# --------------------------------------------------------------------------- reading
def members(vault: Vault) -> list[dict[str, Any]]:
    """Every member with labels, skills, availability and area."""
    return [{"pseudonym": r["pseudonym"], "labels": json_dict(r["labels"]), "skills": json_list(r["skills"]),
             "availability": json_list(r["availability"]), "area": r["area"], "joined": r["joined"]}
            for r in vault.query("SELECT * FROM circles_member ORDER BY pseudonym")]


def vouches(vault: Vault) -> list[dict[str, Any]]:
    """Every vouching tie (``directed`` False: counts both ways)."""
    return [{"id": r["id"], "from": r["voucher"], "to": r["vouchee"], "strength": r["strength"],
             "years": r["years"], "directed": bool(r["directed"])}
            for r in vault.query("SELECT * FROM circles_vouch ORDER BY id")]


def circles(vault: Vault) -> list[dict[str, Any]]:
    """Every recorded circle with its members, project and liaison."""
    return [{"id": r["id"], "members": json_list(r["members"]), "project": r["project"], "liaison": r["liaison"],
             "formed": r["formed"]} for r in vault.query("SELECT * FROM circles_circle ORDER BY id")]


def circle(vault: Vault, circle_id: str) -> dict[str, Any]:
    """One circle, with roles and meetings; :class:`NotFound` if there is none by that id."""
    row = vault.query_one("SELECT * FROM circles_circle WHERE id = ?", (circle_id,))
    if row is None:
        raise NotFound("circles.unknown_circle", circle=circle_id)
    roles = {r["member"]: r["role"] for r in vault.query("SELECT * FROM circles_role WHERE circle = ?", (circle_id,))}
    return {"id": row["id"], "members": json_list(row["members"]), "project": row["project"],
            "liaison": row["liaison"], "formed": row["formed"], "roles": roles,
            "meetings": meetings(vault, circle_id)}


def meetings(vault: Vault, circle_id: str | None = None) -> list[dict[str, Any]]:
    """Recorded meetings (of one circle, or all), by day."""
    sql = "SELECT * FROM circles_meeting"
    args: tuple[str, ...] = ()
    if circle_id:
        sql, args = sql + " WHERE circle = ?", (circle_id,)
    return [dict(r) for r in vault.query(sql + " ORDER BY day, hour, id", args)]


# --------------------------------------------------------------------------- meetings held, project tasks
def _record_id(value: str, what: str) -> str:
    text = (value or "").strip()
    if not _ID.match(text):
        raise InvalidInput("circles.bad_id", what=what, value=text)
    return text


def meeting_held(vault: Vault, meeting: str, present: Iterable[str] = (), held: bool = True,
                 circle_id: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Record whether a meeting took place and who of the circle came (recording again corrects it).

    ``meeting`` is a planned meeting id (``halqa circles schedule``), or a new id for a meeting
    that was not planned in halqa (then with ``circle_id`` and ``day``). Returns
    ``{"meeting", "circle", "day", "held", "present", "attendance"}``.
    """
    meeting = _record_id(meeting, "meeting")
    planned = vault.query_one("SELECT circle, day FROM circles_meeting WHERE id = ?", (meeting,))
    if planned is not None and circle_id and circle_id != planned["circle"]:
        raise InvalidInput("circles.meeting_other_circle", meeting=meeting, circle=planned["circle"])
    circle_id = circle_id or (planned["circle"] if planned is not None else None)
    if not circle_id:
        raise InvalidInput("circles.held_needs_circle", meeting=meeting)
    c = circle(vault, circle_id)
    who = sorted({p.strip() for p in present if p and p.strip()})
    strangers = [p for p in who if p not in c["members"]]
    if strangers:
        raise InvalidInput("circles.not_in_circle", member=strangers[0], circle=circle_id)
    if not held and who:
        raise InvalidInput("circles.not_held_but_present")
    the_day = check_day(day or (planned["day"] if planned is not None else None))
    vault.append("circles_held.put", HeldPut(meeting=meeting, circle=circle_id, day=the_day, held=bool(held),
                                             present=who, size=len(c["members"])))
    return {"meeting": meeting, "circle": circle_id, "day": the_day, "held": bool(held), "present": who,
            "attendance": round(len(who) / len(c["members"]), 3) if c["members"] and held else None}


def attendance(vault: Vault, circle_id: str | None = None) -> list[dict[str, Any]]:
    """Meetings recorded as held or not (of one circle, or all), by day: ``{"meeting", "circle",
    "day", "held", "present", "size"}`` (``size``: members of the circle when recorded)."""
    sql = "SELECT * FROM circles_held"
    args: tuple[str, ...] = ()
    if circle_id:
        sql, args = sql + " WHERE circle = ?", (circle_id,)
    return [{"meeting": r["meeting"], "circle": r["circle"], "day": r["day"], "held": bool(r["held"]),
             "present": json_list(r["present"]), "size": r["size"]}
            for r in vault.query(sql + " ORDER BY day, meeting", args)]


def add_task(vault: Vault, circle_id: str, title: str, due: str, task_id: str | None = None) -> dict[str, Any]:
    """Add a task of the circle's project, due on ``due`` (ISO day); returns the task."""
    circle(vault, circle_id)
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise InvalidInput("circles.bad_task_title")
    tid = _record_id(task_id, "task") if task_id else new_id("t")
    if task_id and vault.query_one("SELECT 1 FROM circles_task WHERE id = ?", (tid,)) is not None:
        raise InvalidInput("circles.task_exists", task=tid)
    vault.append("circles_task.put", TaskPut(id=tid, circle=circle_id, title=title, due=check_day(due), done=None))
    return _task(vault, tid)


def task_done(vault: Vault, task_id: str, day: str | None = None) -> dict[str, Any]:
    """Mark a project task done on ``day`` (default today); returns the task."""
    if vault.query_one("SELECT 1 FROM circles_task WHERE id = ?", (task_id,)) is None:
        raise NotFound("circles.unknown_task", task=task_id)
    vault.append("circles_task.put", TaskPut(id=task_id, done=check_day(day)))
    return _task(vault, task_id)


def _task_view(r: Any) -> dict[str, Any]:
    done = r["done"]
    return {"id": r["id"], "circle": r["circle"], "title": r["title"], "due": r["due"], "done": done,
            "on_time": None if not done else done <= r["due"]}


def _task(vault: Vault, task_id: str) -> dict[str, Any]:
    return _task_view(vault.query_one("SELECT * FROM circles_task WHERE id = ?", (task_id,)))


def tasks(vault: Vault, circle_id: str | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    """Project tasks (of one circle, or all), by due day: ``{"id", "circle", "title", "due", "done",
    "on_time"}`` (``on_time`` is ``None`` until done)."""
    sql, args = "SELECT * FROM circles_task", []
    where = []
    if circle_id:
        where.append("circle = ?")
        args.append(circle_id)
    if open_only:
        where.append("done IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_task_view(r) for r in vault.query(sql + " ORDER BY due, id", args)]
