"""Irregular meetings with rotating hosts, and innocuous calendar export.

A fixed weekday and hour is a pattern anyone watching can learn. :func:`plan` draws meeting
days with gaps inside ``min_gap..max_gap`` days, a part of the day and a coarse hour, and a host
for each meeting: nobody twice in a row, only members available on that weekday and part of the
day (no availability recorded = any time), and the fewest hostings first so turns stay fair. It
draws many candidate schedules and keeps the least predictable one that is fair.

**The gap bounds always hold.** A backward pass over the window first works out, for every day
and host, how far a schedule can still get from a meeting there; the draw only takes days and
hosts from which the whole window can be covered, so it never runs into a day nobody can host.
When no schedule can cover the window (say everyone but the last host is away for two weeks),
the plan goes as far as any schedule can and reports the rest as ``unscheduled``: the window
``from``..``to`` where the next meeting would have to fall and the ``reason``
(``no_host_available``, or ``only_previous_host``). A gap is never stretched to get past it.
(If nobody can host in the first ``max_gap`` days, the first meeting is the first day someone
can, and those days are reported the same way.)

**Unpredictability** is the mean normalised Shannon entropy of four things an observer could
learn: weekday, hour, host and gap between meetings. Each entropy is divided by its largest
possible value for that many meetings (``log2(min(meetings, categories))``), so 1 means no
pattern at all and 0 a fixed routine. ``predictability = 1 - unpredictability``; a schedule
*meets the target* when unpredictability is at least ``target`` (default 0.75).

Calendar export (:func:`to_ics`) writes RFC 5545 events with a cover title ("Family visit"),
a floating local time (no time zone) and nothing else: no circle, no names, no place.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import secrets
from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path

import msgspec

from halqa.circles.events import PARTS, WEEKDAYS, MeetingPut
from halqa.circles.read import Meeting, Member, circle, meetings, members
from halqa.errors import InvalidInput, NotFound
from halqa.vault import Vault
from halqa.vault.values import check_day, today_date

__all__ = ["COVERS", "HOURS", "IcsExport", "Plan", "PlannedMeeting", "Schedule", "Unscheduled", "export_ics", "plan",
           "schedule", "to_ics", "unpredictability"]

#: Local hours that each part of the day may start at.
HOURS: dict[str, tuple[int, ...]] = {"morning": (8, 9, 10, 11), "afternoon": (13, 14, 15, 16),
                                     "evening": (17, 18, 19, 20, 21)}
#: Cover titles for calendar entries, by language.
COVERS: dict[str, tuple[str, ...]] = {
    "ar": ("زيارة عائلية", "شاي عند الجيران", "زيارة الخالة", "عزيمة غداء", "مساعدة في تصليح البيت", "عيد ميلاد"),
    "ckb": ("سەردانی خێزانی", "چا لای دراوسێ", "سەردانی پوور", "بانگهێشتی نانی نیوەڕۆ", "یارمەتی چاککردنەوەی ماڵ",
            "ڕۆژی لەدایکبوون"),
    "en": ("Family visit", "Tea at the neighbours'", "Visiting auntie", "Lunch invitation", "Helping with house repairs",
           "Birthday"),
}


class PlannedMeeting(msgspec.Struct, kw_only=True, frozen=True):
    """A planned meeting: day, part of the day and coarse hour, host, place code, kind and cover
    title (with its ``id`` and ``circle`` once planned for a recorded circle)."""

    day: str
    part: str
    hour: int
    host: str
    place: str | None
    kind: str
    cover: str
    id: str | msgspec.UnsetType = msgspec.UNSET
    circle: str | msgspec.UnsetType = msgspec.UNSET


class Unscheduled(msgspec.Struct, kw_only=True, frozen=True):
    """Days ``from_``..``to`` where the next meeting would have to fall but none can, and why."""

    from_: str = msgspec.field(name="from")
    to: str
    reason: str


class Plan(msgspec.Struct, kw_only=True, frozen=True):
    """What :func:`plan` draws (see the module docstring)."""

    meetings: list[PlannedMeeting]
    unscheduled: list[Unscheduled]
    complete: bool
    unpredictability: dict[str, float]
    target: float
    meets_target: bool
    fair: bool


class Schedule(Plan, kw_only=True, frozen=True):
    """A circle's plan (:func:`schedule`), and whether it was recorded."""

    circle: str
    saved: bool


class IcsExport(msgspec.Struct, kw_only=True, frozen=True):
    """The calendar file written and how many entries it holds."""

    file: str
    events: int


def _norm_entropy(values: Sequence[Hashable], categories: int) -> float:
    n = len(values)
    top = math.log2(min(n, categories)) if n and categories else 0.0
    if top <= 0:
        return 1.0
    counts = Counter(values)
    h = -sum(c / n * math.log2(c / n) for c in counts.values())
    return min(1.0, h / top)


def unpredictability(meetings: Sequence[PlannedMeeting], hosts: int, min_gap: int, max_gap: int) -> dict[str, float]:
    """Normalised entropies of weekday, hour, host and gap, their mean (``score``) and ``1 - score``."""
    days = [dt.date.fromisoformat(m.day) for m in meetings]
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    parts = {
        "weekday": _norm_entropy([d.weekday() for d in days], 7),
        "hour": _norm_entropy([m.hour for m in meetings], sum(len(h) for h in HOURS.values())),
        "host": _norm_entropy([m.host for m in meetings], max(hosts, 1)),
        "gap": _norm_entropy(gaps, max_gap - min_gap + 1),
    }
    score = sum(parts.values()) / len(parts)
    return {**{k: round(v, 4) for k, v in parts.items()}, "score": round(score, 4), "predictability": round(1 - score, 4)}


def _available(member: Member, day: dt.date, part: str) -> bool:
    slots = member.availability
    return not slots or f"{WEEKDAYS[day.weekday()]}:{part}" in slots


class _Window:
    """Who can host on each day of the window, and how far a schedule can go from each meeting.

    ``reach[d][h]`` is the last day index a schedule can get to from a meeting on day ``d``
    hosted by ``h`` while keeping every gap inside ``min_gap..max_gap`` and never the same host
    twice running (a backward pass over the days)."""

    def __init__(self, members: Sequence[Member], start: dt.date, end: dt.date, min_gap: int, max_gap: int) -> None:
        self.start, self.n, self.min_gap, self.max_gap = start, (end - start).days + 1, min_gap, max_gap
        self.avail: list[dict[str, list[str]]] = []
        for i in range(self.n):
            day = start + dt.timedelta(days=i)
            hosts: dict[str, list[str]] = {}
            for m in members:
                parts = [part for part in PARTS if _available(m, day, part)]
                if parts:
                    hosts[m.pseudonym] = parts
            self.avail.append(hosts)
        self.reach: list[dict[str, int]] = [{} for _ in range(self.n)]
        top: list[list[tuple[int, str]]] = [[] for _ in range(self.n)]  # two best (reach, host) per day
        for d in range(self.n - 1, -1, -1):
            for h in self.avail[d]:
                best = d
                for nd in range(d + min_gap, min(d + max_gap, self.n - 1) + 1):
                    for r, other in top[nd]:
                        if other != h:
                            best = max(best, r)
                            break
                self.reach[d][h] = best
            top[d] = sorted(((r, h) for h, r in self.reach[d].items()), reverse=True)[:2]

    def day(self, i: int) -> dt.date:
        return self.start + dt.timedelta(days=i)

    def hosts(self, d: int, last: str | None, goal: int) -> dict[str, list[str]]:
        """Hosts on day ``d`` (not ``last``) from whom the schedule can still get to ``goal``."""
        return {h: parts for h, parts in self.avail[d].items() if h != last and self.reach[d][h] >= goal}


def _hole(w: _Window, lo: int, hi: int, last: str | None) -> Unscheduled:
    """A window in which no meeting could be placed, and why."""
    days = range(max(lo, 0), min(hi, w.n - 1) + 1)
    anyone = any(w.avail[d] for d in days)
    return Unscheduled(from_=w.day(lo).isoformat(), to=w.day(min(hi, w.n - 1)).isoformat(),
                       reason="only_previous_host" if anyone and last else "no_host_available")


def _one(members: Sequence[Member], w: _Window, rng: random.Random, places: Sequence[str],
         lang: str) -> tuple[list[PlannedMeeting], list[Unscheduled]]:
    """One random schedule that never breaks the gap bounds, and the windows it could not fill."""
    out: list[PlannedMeeting] = []
    holes: list[Unscheduled] = []
    counts = Counter({m.pseudonym: 0 for m in members})
    covers = COVERS.get(lang, COVERS["en"])
    # the first meeting: within the first max_gap days if anyone can host there, else the first day someone can
    first = next((d for d in range(w.n) if w.avail[d]), None)
    if first is None:
        return out, [_hole(w, 0, w.n - 1, None)]
    if first >= w.max_gap:
        holes.append(_hole(w, 0, first - 1, None))
    opening = range(first, min(max(first, w.max_gap - 1), w.n - 1) + 1)
    best = max(r for d in opening for r in w.reach[d].values())
    goal = min(best, w.n - w.max_gap)  # reaching it covers the window; else as far as any schedule can go
    day: int | None = rng.choice([d for d in opening if w.hosts(d, None, goal)])
    last = None
    while day is not None:
        hosts = w.hosts(day, last, goal)
        by_part = {part: [h for h, ps in hosts.items() if part in ps] for part in PARTS}
        part = rng.choice([p for p, hs in by_part.items() if hs])
        fewest = min(counts[h] for h in by_part[part])
        host = rng.choice(sorted(h for h in by_part[part] if counts[h] == fewest))
        counts[host] += 1
        index = len(out)
        member = next(m for m in members if m.pseudonym == host)
        kind = "learning" if index % 4 == 3 else ("care" if index % 6 == 5 else "regular")
        place = member.area or (places[index % len(places)] if places else None)
        out.append(PlannedMeeting(day=w.day(day).isoformat(), part=part, hour=rng.choice(HOURS[part]), host=host,
                                  place=place, kind=kind, cover=rng.choice(covers)))
        last = host
        gaps = [g for g in range(w.min_gap, w.max_gap + 1)
                if day + g >= w.n or w.hosts(day + g, last, goal)]
        if not gaps:
            if day + w.max_gap < w.n:  # the window is not covered: say where it breaks, never stretch a gap
                holes.append(_hole(w, day + w.min_gap, day + w.max_gap, last))
            break
        g = rng.choice(gaps)
        day = day + g if day + g < w.n else None
    return out, holes


def _fair(meetings: Sequence[PlannedMeeting], members: Sequence[Member]) -> bool:
    """Turns differ by at most one among members who could host (and no one hosts twice running)."""
    counts = Counter(m.host for m in meetings)
    hosts = [counts.get(m.pseudonym, 0) for m in members]
    repeat = any(a.host == b.host for a, b in itertools.pairwise(meetings))
    return not repeat and (max(hosts) - min(hosts) <= 1 if len(meetings) >= len(members) else max(hosts) <= 1)


def plan(members: Sequence[Member], start: dt.date, weeks: int = 8, min_gap: int = 4, max_gap: int = 11,
         rng: random.Random | None = None, places: Sequence[str] = (), target: float = 0.75, candidates: int = 300,
         lang: str = "en") -> Plan:
    """Plan ``weeks`` of irregular meetings for one circle's ``members`` (their ``pseudonym``,
    ``availability`` and ``area``) from ``start``; see the module docstring."""
    if not 1 <= weeks <= 52:
        raise InvalidInput("circles.bad_weeks", weeks=weeks)
    if not 1 <= min_gap <= max_gap <= 28:
        raise InvalidInput("circles.bad_gaps", min=min_gap, max=max_gap)
    if len(members) < 2:
        raise InvalidInput("circles.too_few_to_schedule", n=len(members))
    if not 0.0 <= target <= 1.0:
        raise InvalidInput("circles.bad_target", target=target)
    rng = rng or random.Random(secrets.randbits(64))
    end = start + dt.timedelta(days=7 * weeks - 1)
    window = _Window(members, start, end, min_gap, max_gap)
    best: tuple[tuple[bool, float], list[PlannedMeeting], list[Unscheduled], dict[str, float]] | None = None
    for _ in range(candidates):
        drawn, holes = _one(members, window, rng, places, lang)
        if not drawn:
            break
        score = unpredictability(drawn, len(members), min_gap, max_gap)
        key = (_fair(drawn, members), score["score"])
        if best is None or key > best[0]:
            best = (key, drawn, holes, score)
    if best is None:
        raise InvalidInput("circles.no_host_available")
    (fair, _), drawn, holes, score = best
    return Plan(meetings=drawn, unscheduled=holes, complete=not holes, unpredictability=score, target=target,
                meets_target=score["score"] >= target, fair=fair)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    cur, size = "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(cur)
            cur, size = "", 0
        cur += ch
        size += n
    out.append(cur)
    return [out[0]] + [" " + part for part in out[1:]]


def to_ics(meetings: Sequence[Meeting | PlannedMeeting], hours: int = 2) -> str:
    """Meetings as an iCalendar file of innocuous entries (cover title and local time only)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calendar//EN", "CALSCALE:GREGORIAN"]
    for m in meetings:
        day = dt.date.fromisoformat(m.day or "")
        stamp = day.strftime("%Y%m%d")
        lines += ["BEGIN:VEVENT", f"UID:{secrets.token_hex(12)}@local", f"DTSTAMP:{stamp}T000000Z",
                  f"DTSTART:{stamp}T{int(m.hour or 0):02d}0000", f"DURATION:PT{hours}H",
                  f"SUMMARY:{_escape(m.cover or COVERS['en'][0])}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))


# --------------------------------------------------------------------------- a recorded circle's meetings
def schedule(vault: Vault, circle_id: str, weeks: int = 8, start: str | None = None, min_gap: int = 4,
             max_gap: int = 11, target: float = 0.75, save: bool = True, seed: int | None = None,
             lang: str = "en") -> Schedule:
    """Plan irregular meetings for one circle (replacing its planned meetings from ``start`` on)."""
    c = circle(vault, circle_id)
    people = {m.pseudonym: m for m in members(vault)}
    hosts = [people[p] for p in c.members if p in people]
    first = dt.date.fromisoformat(check_day(start, required=True)) if start else today_date() + dt.timedelta(days=1)
    places = sorted({m.area for m in hosts if m.area})
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    drawn = plan(hosts, first, weeks, min_gap, max_gap, rng, places, target, lang=lang)
    ids = [f"{circle_id}:{m.day}:{i}" for i, m in enumerate(drawn.meetings)]
    planned = [msgspec.structs.replace(m, id=mid, circle=circle_id) for m, mid in zip(drawn.meetings, ids, strict=True)]
    if save:
        with vault.transaction() as tx:
            for old in meetings(vault, circle_id):
                if (old.day or "") >= first.isoformat():
                    tx.append("circles_meeting.delete", {"id": old.id})
            for m, mid in zip(drawn.meetings, ids, strict=True):
                tx.append("circles_meeting.put", MeetingPut(id=mid, circle=circle_id, day=m.day, part=m.part,
                                                            hour=m.hour, host=m.host, place=m.place, kind=m.kind,
                                                            cover=m.cover))
    return Schedule(meetings=planned, unscheduled=drawn.unscheduled, complete=drawn.complete,
                    unpredictability=drawn.unpredictability, target=drawn.target, meets_target=drawn.meets_target,
                    fair=drawn.fair, circle=circle_id, saved=save)


def export_ics(vault: Vault, circle_id: str, path: Path | str) -> IcsExport:
    """Write a circle's recorded meetings as innocuous calendar entries (.ics)."""
    circle(vault, circle_id)
    recorded = meetings(vault, circle_id)
    if not recorded:
        raise NotFound("circles.no_meetings", circle=circle_id)
    Path(path).write_text(to_ics(recorded), encoding="utf-8", newline="")
    return IcsExport(file=str(path), events=len(recorded))
