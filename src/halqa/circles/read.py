"""Reading the circles domain: members, vouching ties, circles, meetings, attendance, tasks.

The only module (with :mod:`~halqa.circles.events`) whose SQL names the circles tables; writes,
formation, scheduling and the other domains read through these functions.
"""

from __future__ import annotations

from typing import Any

import msgspec

from halqa.errors import NotFound
from halqa.vault import Vault
from halqa.vault.values import json_dict, json_list

__all__ = [
    "Attendance",
    "Circle",
    "CircleDetail",
    "GraphChange",
    "Meeting",
    "Member",
    "Task",
    "Vouch",
    "attendance",
    "circle",
    "circles",
    "graph_revision",
    "meetings",
    "member_exists",
    "member_labels",
    "member_names",
    "members",
    "newest_graph_events",
    "planned_meeting",
    "pseudonyms",
    "task",
    "task_exists",
    "tasks",
    "vouch_ties",
    "vouches",
]


class Member(msgspec.Struct, kw_only=True, frozen=True):
    """A member: pseudonym, coarse group labels, skills, ``day:part`` availability (empty = any
    time), the area code where they can host and the day they joined."""

    pseudonym: str
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    skills: list[str] = msgspec.field(default_factory=list)
    availability: list[str] = msgspec.field(default_factory=list)
    area: str | None = None
    joined: str | None = None


class Vouch(msgspec.Struct, kw_only=True, frozen=True):
    """A vouching tie ``from_`` -> ``to`` (``directed`` False: it counts both ways)."""

    id: str
    from_: str = msgspec.field(name="from")
    to: str
    strength: int | None
    years: int | None
    directed: bool


class Circle(msgspec.Struct, kw_only=True, frozen=True):
    """A recorded circle with its members, project and liaison."""

    id: str
    members: list[str]
    project: str | None
    liaison: str | None
    formed: str | None


class Meeting(msgspec.Struct, kw_only=True, frozen=True):
    """A recorded (planned) meeting of a circle."""

    id: str
    circle: str | None
    day: str | None
    part: str | None
    hour: int | None
    host: str | None
    place: str | None
    kind: str | None
    cover: str | None


class CircleDetail(msgspec.Struct, kw_only=True, frozen=True):
    """One circle with its members' roles and its meetings."""

    id: str
    members: list[str]
    project: str | None
    liaison: str | None
    formed: str | None
    roles: dict[str, str]
    meetings: list[Meeting]


class Attendance(msgspec.Struct, kw_only=True, frozen=True):
    """A meeting recorded as held or not, who came and the circle's size then."""

    meeting: str
    circle: str | None
    day: str | None
    held: bool
    present: list[str]
    size: int | None


class Task(msgspec.Struct, kw_only=True, frozen=True):
    """A task of a circle's project (``on_time`` is ``None`` until done)."""

    id: str
    circle: str | None
    title: str | None
    due: str | None
    done: str | None
    on_time: bool | None


def members(vault: Vault) -> list[Member]:
    """Every member with labels, skills, availability and area."""
    return [Member(pseudonym=r["pseudonym"], labels=json_dict(r["labels"]), skills=json_list(r["skills"]),
                   availability=json_list(r["availability"]), area=r["area"], joined=r["joined"])
            for r in vault.query("SELECT * FROM circles_member ORDER BY pseudonym")]


def member_exists(vault: Vault, pseudonym: str) -> bool:
    return vault.query_one("SELECT 1 FROM circles_member WHERE pseudonym = ?", (pseudonym,)) is not None


def pseudonyms(vault: Vault) -> set[str]:
    """Every member's pseudonym (imports check thousands of rows against it)."""
    return {r[0] for r in vault.query("SELECT pseudonym FROM circles_member")}


def vouches(vault: Vault) -> list[Vouch]:
    """Every vouching tie (``directed`` False: counts both ways)."""
    return [Vouch(id=r["id"], from_=r["voucher"], to=r["vouchee"], strength=r["strength"], years=r["years"],
                  directed=bool(r["directed"]))
            for r in vault.query("SELECT * FROM circles_vouch ORDER BY id")]


def graph_revision(vault: Vault) -> str:
    """Names the set of member, vouch and circle events folded (``"0"`` for none): equal
    revisions, equal members, vouches and circles (:class:`~halqa.circles.events.GraphRevision`)."""
    row = vault.query_one("SELECT events, mix FROM circles_graph_rev WHERE id = 0")
    return "0" if row is None else f"{row[0]}:{row[1]}"


class GraphChange(msgspec.Struct, frozen=True):
    """A member, vouch or circle event as the graph revision holds it: its kind, clock, id (hex)
    and the record it wrote."""

    kind: str
    hlc: int
    id: str
    record: str


def newest_graph_events(vault: Vault, kind: str, limit: int) -> list[GraphChange]:
    """The newest ``limit`` member, vouch or circle events of ``kind``, newest first."""
    return [GraphChange(kind, r[0], r[1], r[2]) for r in vault.query(
        "SELECT hlc, id, record FROM circles_graph_log WHERE kind = ? ORDER BY hlc DESC, id DESC LIMIT ?",
        (kind, limit))]


def member_names(vault: Vault) -> list[str]:
    """Every member's pseudonym, in order (a form's list to pick from)."""
    return [r[0] for r in vault.query("SELECT pseudonym FROM circles_member ORDER BY pseudonym")]


def member_labels(vault: Vault) -> list[tuple[str, dict[str, str]]]:
    """Every member's pseudonym and group labels, by pseudonym (what the trust graph needs)."""
    return [(r[0], json_dict(r[1])) for r in vault.query("SELECT pseudonym, labels FROM circles_member ORDER BY pseudonym")]


def vouch_ties(vault: Vault, ids: list[str] | None = None) -> dict[str, tuple[str, str, int, bool]]:
    """Every vouching tie (or those of ``ids``: a few, one statement) as ``id: (from, to, strength,
    directed)``, by id as :func:`vouches` (a missing strength counts 1): the trust graph reads
    12,000 of them without a struct each."""
    sql, args = "SELECT id, voucher, vouchee, strength, directed FROM circles_vouch", list(ids or ())
    if ids is not None:
        sql += f" WHERE id IN ({', '.join('?' * len(ids))})"
    return {i: (a, b, s or 1, bool(d)) for i, a, b, s, d in vault.query(sql + " ORDER BY id", args)}


def circles(vault: Vault) -> list[Circle]:
    """Every recorded circle with its members, project and liaison."""
    return [Circle(id=r["id"], members=json_list(r["members"]), project=r["project"], liaison=r["liaison"],
                   formed=r["formed"]) for r in vault.query("SELECT * FROM circles_circle ORDER BY id")]


def circle(vault: Vault, circle_id: str) -> CircleDetail:
    """One circle, with roles and meetings; :class:`NotFound` if there is none by that id."""
    row = vault.query_one("SELECT * FROM circles_circle WHERE id = ?", (circle_id,))
    if row is None:
        raise NotFound("circles.unknown_circle", circle=circle_id)
    roles = {r["member"]: r["role"] for r in vault.query("SELECT * FROM circles_role WHERE circle = ?", (circle_id,))}
    return CircleDetail(id=row["id"], members=json_list(row["members"]), project=row["project"],
                        liaison=row["liaison"], formed=row["formed"], roles=roles,
                        meetings=meetings(vault, circle_id))


def _meeting(r: Any) -> Meeting:
    return Meeting(id=r["id"], circle=r["circle"], day=r["day"], part=r["part"], hour=r["hour"], host=r["host"],
                   place=r["place"], kind=r["kind"], cover=r["cover"])


def meetings(vault: Vault, circle_id: str | None = None) -> list[Meeting]:
    """Recorded meetings (of one circle, or all), by day."""
    sql = "SELECT * FROM circles_meeting"
    args: tuple[str, ...] = ()
    if circle_id:
        sql, args = sql + " WHERE circle = ?", (circle_id,)
    return [_meeting(r) for r in vault.query(sql + " ORDER BY day, hour, id", args)]


def planned_meeting(vault: Vault, meeting_id: str) -> Meeting | None:
    """A recorded meeting by id, or ``None``."""
    row = vault.query_one("SELECT * FROM circles_meeting WHERE id = ?", (meeting_id,))
    return None if row is None else _meeting(row)


def attendance(vault: Vault, circle_id: str | None = None) -> list[Attendance]:
    """Meetings recorded as held or not (of one circle, or all), by day (``size``: members of the
    circle when recorded)."""
    sql = "SELECT * FROM circles_held"
    args: tuple[str, ...] = ()
    if circle_id:
        sql, args = sql + " WHERE circle = ?", (circle_id,)
    return [Attendance(meeting=r["meeting"], circle=r["circle"], day=r["day"], held=bool(r["held"]),
                       present=json_list(r["present"]), size=r["size"])
            for r in vault.query(sql + " ORDER BY day, meeting", args)]


def _task(r: Any) -> Task:
    done = r["done"]
    return Task(id=r["id"], circle=r["circle"], title=r["title"], due=r["due"], done=done,
                on_time=None if not done else done <= r["due"])


def task_exists(vault: Vault, task_id: str) -> bool:
    return vault.query_one("SELECT 1 FROM circles_task WHERE id = ?", (task_id,)) is not None


def task(vault: Vault, task_id: str) -> Task:
    """One project task; :class:`NotFound` if there is none by that id."""
    row = vault.query_one("SELECT * FROM circles_task WHERE id = ?", (task_id,))
    if row is None:
        raise NotFound("circles.unknown_task", task=task_id)
    return _task(row)


def tasks(vault: Vault, circle_id: str | None = None, open_only: bool = False) -> list[Task]:
    """Project tasks (of one circle, or all), by due day."""
    sql, args = "SELECT * FROM circles_task", []
    where = []
    if circle_id:
        where.append("circle = ?")
        args.append(circle_id)
    if open_only:
        where.append("done IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_task(r) for r in vault.query(sql + " ORDER BY due, id", args)]
