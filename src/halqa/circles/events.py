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

A meeting recorded as **held** (:func:`~halqa.circles.write.meeting_held`) keeps whether it took
place, who of the circle came, and the circle's size that day (attendance is read against it).
**Project tasks** (:func:`~halqa.circles.write.add_task`, :func:`~halqa.circles.write.task_done`)
are the steps of a circle's concrete project, each with the day it is due and the day it was
done; circle health (:mod:`halqa.learning`) reads both through
:func:`~halqa.circles.read.attendance` and :func:`~halqa.circles.read.tasks`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from halqa.vault import Event, Projection, RecordProjection, register_kind, register_projection

__all__ = [
    "GRAPH_KINDS",
    "MEETING_KINDS",
    "PARTS",
    "ROLES",
    "WEEKDAYS",
    "CirclePut",
    "GraphRevision",
    "HeldPut",
    "MeetingPut",
    "MemberPut",
    "RolePut",
    "TaskPut",
    "VouchPut",
    "vouch_id",
]

UNSET = msgspec.UNSET

#: Weekdays as stored (ISO order, Monday first) and the three parts of a day.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: tuple[str, ...] = ("morning", "afternoon", "evening")
MEETING_KINDS: tuple[str, ...] = ("regular", "learning", "care")
ROLES: tuple[str, ...] = ("liaison", "host", "treasurer", "carer", "learning", "member")



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

#: The kinds that change the trust graph or the recorded circles (members, vouches, circles).
GRAPH_KINDS: frozenset[str] = frozenset(f"{name}.{op}" for name in ("circles_member", "circles_vouch", "circles_circle")
                                        for op in ("put", "delete"))


class GraphRevision(Projection):
    """``circles_graph_rev``: one row naming the set of member, vouch and circle events folded;
    ``circles_graph_log``: one row per such event, numbered in the order folded.

    ``events`` counts them and ``mix`` is the XOR of their (random 128-bit) ids, so the row is a
    function of the set alone (any order of arrival and a rebuild give the same row; a redaction
    takes its events out of it, and empties the caches: :meth:`~halqa.vault.Vault.memo`) and
    changes with every such event, and with no other: caches of what the trust graph gives
    (:mod:`halqa.circles.analysis`) key on it, so a grievance or a payment never invalidates
    them. The log holds each event's clock, id, kind and record (a set too, not an order): the
    newest events of a kind say which records changed since a cached revision (a new vouch:
    one tie to add, not 12,000 to read). Portable SQL (the hub folds projections too)."""

    name = "circles_graph_rev"
    version = 3  # 3: circles_graph_log, a set of (kind, clock, id)
    kinds = GRAPH_KINDS
    tables = ("circles_graph_rev", "circles_graph_log")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS circles_graph_rev (id INTEGER PRIMARY KEY, events BIGINT NOT NULL, "
                     "mix TEXT NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS circles_graph_log (kind TEXT NOT NULL, hlc BIGINT NOT NULL, "
                     "id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (kind, hlc, id))")

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        if not events:
            return
        row = conn.execute("SELECT events, mix FROM circles_graph_rev WHERE id = 0").fetchone()
        count, mix = (int(row[0]), int(row[1], 16)) if row else (0, 0)
        log = []
        for event in events:
            mix ^= int.from_bytes(event.id, "big")
            p = event.payload
            record = p.pseudonym if event.kind.startswith("circles_member.") else p.id
            log.append((event.kind, event.hlc, event.id.hex(), str(record)))
        count += len(events)
        conn.executemany("INSERT INTO circles_graph_log (kind, hlc, id, record) VALUES (?, ?, ?, ?)", log)
        conn.execute("INSERT INTO circles_graph_rev (id, events, mix) VALUES (0, ?, ?) ON CONFLICT (id) "
                     "DO UPDATE SET events = excluded.events, mix = excluded.mix", (count, f"{mix:032x}"))


register_projection(GraphRevision())


def vouch_id(voucher: str, vouchee: str, directed: bool) -> str:
    """Record key of a tie: ``a>b`` when directed, ``a~b`` (sorted) when it counts both ways."""
    if directed:
        return f"{voucher}>{vouchee}"
    a, b = sorted((voucher, vouchee))
    return f"{a}~{b}"
