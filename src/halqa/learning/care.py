"""Care after risk: decompression gatherings, private well-being check-ins, attendance.

**High-risk actions.** Any meeting (a recorded ``halqa circles`` meeting id) or action (any id the
circle chooses, with its circle and day) can be marked high-risk. halqa then plans a
decompression gathering (a shared meal, poetry, prayer, silence...) within ``within`` days:
the day and part of the day when most of the circle is available, hosted by the circle's carer
if it has one (else by whoever has hosted care least). :func:`care_status` reminds about every
gathering not yet held: ``due`` until its last day, ``overdue`` after.

**Check-ins** are private and optional: a score from 1 (very strained) to 5 (well) and one word.
See :mod:`halqa.learning.records` for how they are stored without the member. A circle is
**strained** when, for ``strain_weeks`` consecutive weeks (default 3), at least ``MIN_CELL``
check-ins came in and their mean was at most 2.5; it is then flagged to its own organiser (the
circle's liaison), nobody else.

**Attendance** (held or not, who came) is recorded by :mod:`halqa.circles`
(:func:`halqa.circles.meeting_held`); :func:`attend` remains as an alias.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from halqa.circles import attendance, meeting_held, meetings
from halqa.circles import circles as all_circles
from halqa.circles import members as all_members
from halqa.errors import InvalidInput, NotFound
from halqa.learning.records import (
    CARE_FORMS,
    MIN_CELL,
    CarePut,
    CheckinPut,
    check_id,
    iso_week,
    require_circle,
)
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day, new_id

__all__ = ["attend", "care_held", "care_plan", "care_status", "checkin", "wellbeing"]

_PARTS = ("morning", "afternoon", "evening")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STRAIN_MEAN = 2.5


def _find_meeting(vault: Vault, meeting_id: str) -> dict[str, Any] | None:
    for m in meetings(vault):
        if m.id == meeting_id:
            return to_data(m)
    return None


def _care_row(vault: Vault, action: str) -> dict[str, Any] | None:
    row = vault.query_one("SELECT * FROM learning_care WHERE action = ?", (action,))
    return dict(row) if row is not None else None


def _choose_slot(members: list[dict[str, Any]], first: dt.date, last: dt.date) -> tuple[str, str, list[str]]:
    """The (day, part) between ``first`` and ``last`` when most members are available, earliest on ties;
    and who is available then."""
    best: tuple[int, str, str, list[str]] | None = None
    day = first
    while day <= last:
        for part in _PARTS:
            slot = f"{_WEEKDAYS[day.weekday()]}:{part}"
            free = [m["pseudonym"] for m in members if not m.get("availability") or slot in m["availability"]]
            if best is None or len(free) > best[0]:
                best = (len(free), day.isoformat(), part, free)
        day += dt.timedelta(days=1)
    if best is None:
        raise InvalidInput("learning.bad_within", within=(last - first).days + 1)
    return best[1], best[2], best[3]


def care_plan(vault: Vault, action: str, circle: str | None = None, day: str | None = None, within: int = 3,
              form: str = "meal", today: str | None = None) -> dict[str, Any]:
    """Mark ``action`` high-risk and plan its decompression gathering within ``within`` days.

    ``action`` is a recorded meeting id (its circle and day are taken from it) or any id of an
    action, then with ``circle`` and ``day``. Planning again re-plans a gathering not yet held.
    Returns the care record (the shape of ``halqa care plan --json``).
    """
    action = check_id(action, "action")
    if not 1 <= int(within) <= 30:
        raise InvalidInput("learning.bad_within", within=within)
    form = (form or "meal").strip().lower()
    if form not in CARE_FORMS:
        raise InvalidInput("learning.bad_form", form=form, forms=", ".join(CARE_FORMS))
    existing = _care_row(vault, action)
    if existing is not None and existing["held"]:
        raise InvalidInput("learning.care_already_held", action=action, day=existing["held"])
    meeting = _find_meeting(vault, action)
    kind = "meeting" if meeting is not None else "action"
    if meeting is not None:
        circle = circle or meeting["circle"]
        day = day or meeting["day"]
    elif existing is not None:
        circle = circle or existing["circle"]
        day = day or existing["action_day"]
    if not circle:
        raise InvalidInput("learning.care_needs_circle", action=action)
    c = require_circle(vault, circle)
    action_day = check_day(day)

    people = [to_data(m) for m in all_members(vault) if m.pseudonym in set(c["members"])]
    first = dt.date.fromisoformat(action_day) + dt.timedelta(days=1)
    last = dt.date.fromisoformat(action_day) + dt.timedelta(days=int(within))
    gday, part, free = _choose_slot(people, first, last)
    carers = [m for m, role in c["roles"].items() if role == "carer"]
    hosted = Counter(r[0] for r in vault.query("SELECT host FROM learning_care WHERE circle = ? AND host IS NOT NULL",
                                               (circle,)))
    pool = [m for m in carers if m in free] or [m for m in c["members"] if m in free] or list(c["members"])
    host = min(pool, key=lambda m: (hosted.get(m, 0), m)) if pool else None
    vault.append("learning_care.put", CarePut(action=action, circle=circle, kind=kind, action_day=action_day,
                                              within=int(within), due=last.isoformat(), day=gday, part=part, form=form,
                                              host=host, held=None))
    return _care_view(_care_row(vault, action) or {}, check_day(today))


def care_held(vault: Vault, action: str, day: str | None = None, form: str | None = None,
              today: str | None = None) -> dict[str, Any]:
    """Record that the decompression gathering after ``action`` was held (stops the reminders)."""
    row = _care_row(vault, check_id(action, "action"))
    if row is None:
        raise NotFound("learning.unknown_action", action=action)
    payload = CarePut(action=action, held=check_day(day))
    if form:
        form = form.strip().lower()
        if form not in CARE_FORMS:
            raise InvalidInput("learning.bad_form", form=form, forms=", ".join(CARE_FORMS))
        payload.form = form
    vault.append("learning_care.put", payload)
    return _care_view(_care_row(vault, action) or {}, check_day(today))


def _care_view(row: dict[str, Any], today: str) -> dict[str, Any]:
    status = "held" if row.get("held") else ("overdue" if row.get("due", "") < today else "due")
    return {"action": row.get("action"), "circle": row.get("circle"), "kind": row.get("kind"),
            "action_day": row.get("action_day"), "high_risk": True, "within_days": row.get("within"),
            "gathering": {"day": row.get("day"), "part": row.get("part"), "form": row.get("form"),
                          "host": row.get("host"), "due": row.get("due")},
            "held": row.get("held"), "status": status}


# --------------------------------------------------------------------------- check-ins
def checkin(vault: Vault, circle: str, score: int, word: str = "", member: str | None = None, share: bool = False,
            day: str | None = None) -> dict[str, Any]:
    """A private well-being check-in: ``score`` 1 (very strained) .. 5 (well) and one ``word``.

    The member is never stored unless ``share`` is true (then ``member`` is required and must be in
    the circle). Only the ISO week is kept, not the day.
    """
    c = require_circle(vault, circle)
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise InvalidInput("learning.bad_score", score=score) from None
    word = (word or "").strip()
    if share:
        if not member:
            raise InvalidInput("learning.share_needs_member")
        if member not in c["members"]:
            raise InvalidInput("learning.not_in_circle", member=member, circle=circle)
    week = iso_week(check_day(day))
    vault.append("learning_checkin.put", CheckinPut(id=new_id("k"), circle=circle, week=week,
                                                    score=score, word=word.lower(), member=member if share else None))
    return {"circle": circle, "week": week, "shared": bool(share)}


def _weeks_back(today: str, weeks: int) -> list[str]:
    d = dt.date.fromisoformat(today)
    return [iso_week((d - dt.timedelta(weeks=i)).isoformat()) for i in range(weeks - 1, -1, -1)]


def wellbeing(vault: Vault, circle: str, weeks: int = 8, today: str | None = None, strain_weeks: int = 3,
              min_cell: int = MIN_CELL) -> dict[str, Any]:
    """Circle-level well-being: per week the number of check-ins and, when at least ``min_cell``,
    their mean and the share at 1-2; the words of the window when it holds at least ``min_cell``
    check-ins; whether the circle is strained; and the check-ins members chose to share."""
    now = check_day(today)
    span = _weeks_back(now, max(int(weeks), int(strain_weeks)))
    rows = vault.query("SELECT week, score, word, member FROM learning_checkin WHERE circle = ? AND week >= ? "
                       "ORDER BY week", (circle, span[0]))
    by_week: dict[str, list[int]] = {w: [] for w in span}
    words: Counter[str] = Counter()
    shared = []
    for r in rows:
        if r["week"] in by_week:
            by_week[r["week"]].append(int(r["score"]))
            if r["word"]:
                words[r["word"]] += 1
        if r["member"]:
            shared.append({"member": r["member"], "week": r["week"], "score": r["score"], "word": r["word"]})
    trend = []
    for w in span[-int(weeks):]:
        s = by_week[w]
        enough = len(s) >= min_cell
        trend.append({"week": w, "checkins": len(s), "mean": round(sum(s) / len(s), 2) if enough else None,
                      "strained_share": round(sum(x <= 2 for x in s) / len(s), 2) if enough else None})
    recent = [by_week[w] for w in span[-int(strain_weeks):]]
    strained = all(len(s) >= min_cell and sum(s) / len(s) <= STRAIN_MEAN for s in recent)
    total = sum(len(s) for s in by_week.values())
    return {"circle": circle, "weeks": trend, "strained": strained,
            "words": dict(words.most_common(8)) if total >= min_cell else {}, "shared": shared}


# --------------------------------------------------------------------------- attendance
def attend(vault: Vault, meeting: str, present: Iterable[str] = (), held: bool = True,
           circle: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Record whether a meeting was held and who came: an alias of
    :func:`halqa.circles.meeting_held` (the command is ``halqa circles meeting held``)."""

    return to_data(meeting_held(vault, meeting, present, held=held, circle_id=circle, day=day))


# --------------------------------------------------------------------------- status
def care_status(vault: Vault, circle: str | None = None, today: str | None = None, weeks: int = 8,
                strain_weeks: int = 3) -> dict[str, Any]:
    """Reminders for decompression gatherings not yet held, and each circle's well-being trend
    (strained circles flagged to their own liaison)."""

    now = check_day(today)
    if circle:
        require_circle(vault, circle)
    sql, args = "SELECT * FROM learning_care WHERE held IS NULL", []
    if circle:
        sql += " AND circle = ?"
        args.append(circle)
    reminders = [_care_view(dict(r), now) for r in vault.query(sql + " ORDER BY due, action", args)]
    out = []
    for c in map(to_data, all_circles(vault)):
        if circle and c["id"] != circle:
            continue
        w = wellbeing(vault, c["id"], weeks=weeks, today=now, strain_weeks=strain_weeks)
        # flagged to the circle's own organiser: its liaison, else its carer, else whoever organises it
        carer = next((m for m, role in sorted(require_circle(vault, c["id"])["roles"].items()) if role == "carer"), None)
        w["notify"] = (c["liaison"] or carer or "organiser") if w["strained"] else None
        held = vault.query("SELECT count(*) FROM learning_care WHERE circle = ? AND held IS NOT NULL", (c["id"],))[0][0]
        w["care_held"] = held
        out.append(w)
    return {"today": now, "reminders": reminders, "circles": out}


def care_rows(vault: Vault, circle: str | None = None) -> list[dict[str, Any]]:
    """Every care record (of one circle), as views."""
    sql, args = "SELECT * FROM learning_care", []
    if circle:
        sql, args = sql + " WHERE circle = ?", [circle]
    now = check_day(None)
    return [_care_view(dict(r), now) for r in vault.query(sql + " ORDER BY action_day, action", args)]


def attendance_rows(vault: Vault, circle: str) -> list[dict[str, Any]]:
    """A circle's meetings recorded as held or not (from :mod:`halqa.circles`)."""

    return [{k: getattr(a, k) for k in ("meeting", "day", "held", "present", "size")} for a in attendance(vault, circle)]
