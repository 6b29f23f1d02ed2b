"""Typed public writes of the learning domain: each validates its input and appends events.

**Sessions.** A session is what a circle brings back from studying a movement: the movement
(place, years), the tactic extracted, how it will be adapted here, which circle tries it and by
when. A month later the trying circle reports: tried / not tried / partly, what happened, what to
change, whether to keep it. Each session is one *trial* of a tactic (:func:`halqa.learning.tactics`).

**High-risk actions.** Any meeting (a recorded ``halqa circles`` meeting id) or action (any id the
circle chooses, with its circle and day) can be marked high-risk. halqa then plans a
decompression gathering (a shared meal, poetry, prayer, silence...) within ``within`` days:
the day and part of the day when most of the circle is available, hosted by the circle's carer
if it has one (else by whoever has hosted care least). :func:`halqa.learning.care_status` reminds
about every gathering not yet held: ``due`` until its last day, ``overdue`` after.

**Check-ins** are private and optional: a score from 1 (very strained) to 5 (well) and one word.
See :mod:`halqa.learning.events` for how they are stored without the member. A circle is
**strained** when, for ``strain_weeks`` consecutive weeks (default 3), at least ``MIN_CELL``
check-ins came in and their mean was at most 2.5; it is then flagged to its own organiser (the
circle's liaison), nobody else.

**Attendance** (held or not, who came) is recorded by :mod:`halqa.circles`
(:func:`halqa.circles.meeting_held`); :func:`attend` remains as an alias.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from halqa.circles import meeting_held, meetings
from halqa.circles import members as all_members
from halqa.errors import InvalidInput, NotFound
from halqa.learning.events import (
    CARE_FORMS,
    OUTCOMES,
    BlackoutPut,
    CarePut,
    CheckinPut,
    CircleKeyPut,
    KitPut,
    SessionPut,
    SlotPut,
    TacticPut,
    check_id,
    check_month,
    check_themes,
    iso_week,
    month_add,
    month_end,
)
from halqa.learning.read import (
    Blackout,
    Care,
    Plan,
    RecordedCheckin,
    Session,
    blackouts,
    care,
    care_hosts,
    circle_ids,
    known_tactic,
    require_circle,
    session,
    slot_host,
    slot_ids,
)
from halqa.learning.rotation import rotation, shuffled
from halqa.listening import codebook_for_key
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day, new_id

__all__ = ["Attendance", "CircleKeyRecorded", "add_session", "attend", "blackout", "care_held", "care_plan", "checkin", "plan",
           "report_session", "set_circle_key"]

_TEXT_MAX = 2000
_PARTS = ("morning", "afternoon", "evening")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Attendance(msgspec.Struct, kw_only=True, frozen=True):
    """A meeting recorded as held or not, and who came (:func:`halqa.circles.meeting_held`)."""

    meeting: str
    circle: str
    day: str
    held: bool
    present: list[str]
    attendance: float | None


class CircleKeyRecorded(msgspec.Struct, kw_only=True, frozen=True):
    """The codebook key of ``circle`` was recorded."""

    circle: str
    recorded: bool


def _text(value: str | None, what: str, limit: int = _TEXT_MAX) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput("learning.text_too_long", what=what, max=limit)
    return text


# --------------------------------------------------------------------------- rotation
def blackout(vault: Vault, circle: str, months: Sequence[str], remove: bool = False) -> Blackout:
    """Mark months in which ``circle`` cannot host a learning session (or, with ``remove``, lift them)."""
    require_circle(vault, circle)
    ms = [check_month(m) for m in months]
    if not ms:
        raise InvalidInput("learning.no_months")
    with vault.transaction() as tx:
        for m in ms:
            tx.append("learning_blackout.put", BlackoutPut(id=f"{circle}:{m}", circle=circle, month=m, active=not remove))
    return Blackout(circle=circle, months=ms, removed=remove)


def plan(vault: Vault, months: int = 12, start: str | None = None, save: bool = True, seed: int | None = None,
         today: str | None = None, time_limit: float = 10.0) -> Plan:
    """Plan ``months`` of learning sessions across every recorded circle from ``start``
    (``YYYY-MM``, default next month), fair and respecting blackouts (:mod:`~halqa.learning.rotation`).

    With ``save`` the plan replaces any saved plan from ``start`` on. Returns the sessions
    (``{"sessions": [{"month", "circle", "kind"}]}`` as ``halqa learn plan --json``).
    """
    if not 1 <= int(months) <= 60:
        raise InvalidInput("learning.bad_months", months=months)
    ids = circle_ids(vault)
    if not ids:
        raise InvalidInput("learning.no_circles")
    if start is None:
        start = month_add(check_day(None, now=today)[:7], 1)
    start = check_month(start)
    span = [month_add(start, i) for i in range(int(months))]
    prev = slot_host(vault, month_add(start, -1), "study")
    prior = prev if prev in ids else None
    seed = seed if seed is not None else secrets.randbits(31)
    result = rotation(shuffled(ids, seed), span, blackouts(vault), prior, seed=seed, time_limit=time_limit)
    if save:
        # Each saved plan has its own slot ids: a replaced slot is deleted (tombstoned) for good.
        plan_id = new_id()
        with vault.transaction() as tx:
            for old in slot_ids(vault, start):
                tx.append("learning_slot.delete", {"id": old})
            for s in result:
                tx.append("learning_slot.put", SlotPut(id=f"{plan_id}:{s.month}:{s.kind}", month=s.month,
                                                       kind=s.kind, circle=s.circle))
    return Plan(sessions=result)


# --------------------------------------------------------------------------- sessions
def add_session(vault: Vault, circle: str, movement: str, tactic: str = "", month: str | None = None,
                place: str = "", years: str = "", themes: Iterable[str] = (), adaptation: str = "",
                tries: str | None = None, due: str | None = None, tactic_id: str | None = None,
                day: str | None = None) -> Session:
    """Record a study session of ``circle``: the movement studied (``place``, ``years``), the
    tactic extracted, how it will be adapted, which circle ``tries`` it (default: the circle that
    reports next month in the saved plan, else the circle itself) and by when (``due``, default
    the end of the following month).

    ``tactic_id`` links the session to a tactic already in the archive (a library case such as
    ``lib-flint-water`` or a circle's own); without it a new circle tactic is added. Returns the
    session with its id.
    """
    require_circle(vault, circle)
    added = check_day(day)
    month = check_month(month) if month else added[:7]
    movement = _text(movement, "movement", 200)
    if not movement:
        raise InvalidInput("learning.missing", what="movement")
    tactic_text = _text(tactic, "tactic", 400)
    theme_list = check_themes(themes)
    if tactic_id:
        found = known_tactic(vault, check_id(tactic_id, "tactic"))
        if found is None:
            raise NotFound("learning.unknown_tactic", tactic=tactic_id)
        title, found_themes = found
        if not theme_list:
            theme_list = found_themes
        tactic_text = tactic_text or title
    elif not tactic_text:
        raise InvalidInput("learning.missing", what="tactic")
    if tries is None:
        tries = slot_host(vault, month_add(month, 1), "report") or circle
    require_circle(vault, tries)
    due_day = check_day(due) if due else month_end(month_add(month, 1))
    sid = new_id("s")
    with vault.transaction() as tx:
        if not tactic_id:
            tactic_id = new_id("t")
            tx.append("learning_tactic.put", TacticPut(
                id=tactic_id, title=tactic_text, themes=theme_list, description=_text(adaptation, "adaptation"),
                place=_text(place, "place", 120), years=_text(years, "years", 40), circle=circle, added=added))
        tx.append("learning_session.put", SessionPut(
            id=sid, circle=circle, month=month, movement=movement, place=_text(place, "place", 120),
            years=_text(years, "years", 40), tactic=tactic_text, tactic_id=tactic_id, themes=theme_list,
            adaptation=_text(adaptation, "adaptation"), tries=tries, due=due_day, added=added))
    return session(vault, sid)


def report_session(vault: Vault, session_id: str, outcome: str, happened: str = "", change: str = "",
                   keep: bool | None = None, day: str | None = None) -> Session:
    """Record how the experiment went: ``outcome`` (tried, not_tried, partly), what happened, what to
    change, whether to keep the tactic. A later report replaces an earlier one."""
    session(vault, check_id(session_id, "session"))  # NotFound when unknown
    outcome = (outcome or "").strip().lower().replace("-", "_").replace(" ", "_")
    if outcome not in OUTCOMES:
        raise InvalidInput("learning.bad_outcome", outcome=outcome, outcomes=", ".join(OUTCOMES))
    vault.append("learning_session.put", SessionPut(
        id=session_id, outcome=outcome, happened=_text(happened, "happened"), change=_text(change, "change"),
        keep=keep, reported=check_day(day)))
    return session(vault, session_id)


# --------------------------------------------------------------------------- care after risk
def _find_meeting(vault: Vault, meeting_id: str) -> dict[str, Any] | None:
    for m in meetings(vault):
        if m.id == meeting_id:
            return to_data(m)
    return None


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


def _care_now(vault: Vault, action: str, today: str | None) -> Care:
    found = care(vault, action, today)
    assert found is not None  # just appended
    return found


def care_plan(vault: Vault, action: str, circle: str | None = None, day: str | None = None, within: int = 3,
              form: str = "meal", today: str | None = None) -> Care:
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
    existing = care(vault, action)
    if existing is not None and existing.held:
        raise InvalidInput("learning.care_already_held", action=action, day=existing.held)
    meeting = _find_meeting(vault, action)
    kind = "meeting" if meeting is not None else "action"
    if meeting is not None:
        circle = circle or meeting["circle"]
        day = day or meeting["day"]
    elif existing is not None:
        circle = circle or existing.circle
        day = day or existing.action_day
    if not circle:
        raise InvalidInput("learning.care_needs_circle", action=action)
    c = require_circle(vault, circle)
    action_day = check_day(day)

    people = [to_data(m) for m in all_members(vault) if m.pseudonym in set(c["members"])]
    first = dt.date.fromisoformat(action_day) + dt.timedelta(days=1)
    last = dt.date.fromisoformat(action_day) + dt.timedelta(days=int(within))
    gday, part, free = _choose_slot(people, first, last)
    carers = [m for m, role in c["roles"].items() if role == "carer"]
    hosted = care_hosts(vault, circle)
    pool = [m for m in carers if m in free] or [m for m in c["members"] if m in free] or list(c["members"])
    host = min(pool, key=lambda m: (hosted.get(m, 0), m)) if pool else None
    vault.append("learning_care.put", CarePut(action=action, circle=circle, kind=kind, action_day=action_day,
                                              within=int(within), due=last.isoformat(), day=gday, part=part, form=form,
                                              host=host, held=None))
    return _care_now(vault, action, today)


def care_held(vault: Vault, action: str, day: str | None = None, form: str | None = None,
              today: str | None = None) -> Care:
    """Record that the decompression gathering after ``action`` was held (stops the reminders)."""
    if care(vault, check_id(action, "action")) is None:
        raise NotFound("learning.unknown_action", action=action)
    payload = CarePut(action=action, held=check_day(day))
    if form:
        form = form.strip().lower()
        if form not in CARE_FORMS:
            raise InvalidInput("learning.bad_form", form=form, forms=", ".join(CARE_FORMS))
        payload.form = form
    vault.append("learning_care.put", payload)
    return _care_now(vault, action, today)


def checkin(vault: Vault, circle: str, score: int, word: str = "", member: str | None = None, share: bool = False,
            day: str | None = None) -> RecordedCheckin:
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
    return RecordedCheckin(circle=circle, week=week, shared=bool(share))


def attend(vault: Vault, meeting: str, present: Iterable[str] = (), held: bool = True,
           circle: str | None = None, day: str | None = None) -> Attendance:
    """Record whether a meeting was held and who came: an alias of
    :func:`halqa.circles.meeting_held` (the command is ``halqa circles meeting held``)."""
    done = meeting_held(vault, meeting, present, held=held, circle_id=circle, day=day)
    return msgspec.convert(done, Attendance, from_attributes=True)


# --------------------------------------------------------------------------- quiet actions, replication
def set_circle_key(vault: Vault, circle: str, key: bytes | str) -> CircleKeyRecorded:
    """Record the codebook key circle ``circle`` uses (32 bytes or their hex): cards for it are then
    written with that key."""
    require_circle(vault, circle)
    book = codebook_for_key(key)  # checks the key
    vault.append("learning_circlekey.put", CircleKeyPut(circle=circle, key=book.key))
    return CircleKeyRecorded(circle=circle, recorded=True)


def record_kit(vault: Vault, circle: str, day: str, kit: dict[str, Any]) -> str:
    """Record a replication suggestion (split and starter kit) offered to ``circle``; its id."""
    kid = new_id("kit")
    vault.append("learning_kit.put", KitPut(id=kid, circle=circle, day=day, kit=kit))
    return kid
