"""Typed reads of the learning domain: the only module besides :mod:`~halqa.learning.events`
whose SQL names the ``learning_*`` tables.

The result types are frozen msgspec structs; :func:`halqa.results.to_data` turns them into the
JSON that ``halqa ... --json`` and ``/api/learning`` show. A field that a record of one kind does
not have (a library case has no ``circle``, a single session no ``overdue``) is ``UNSET`` and
left out of that JSON, as the key was before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import msgspec

from halqa.circles import circle, circles
from halqa.errors import InvalidInput, NotFound
from halqa.learning import library
from halqa.learning.events import MIN_CELL, OUTCOMES, check_themes, iso_week
from halqa.listening import normalise
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list

__all__ = [
    "Blackout",
    "Care",
    "CareStatus",
    "Gathering",
    "Plan",
    "RecordedCheckin",
    "Session",
    "SharedCheckin",
    "Slot",
    "Tactic",
    "Trial",
    "WeekWellbeing",
    "Wellbeing",
    "care_status",
    "saved_plan",
    "session",
    "sessions",
    "tactic",
    "tactics",
    "wellbeing",
]

UNSET = msgspec.UNSET
UnsetType = msgspec.UnsetType

#: A circle is strained when its mean check-in stays at or under this.
STRAIN_MEAN = 2.5


class Slot(msgspec.Struct, kw_only=True, frozen=True):
    """One session of the rotation: in ``month``, ``circle`` hosts a ``study`` or a ``report``."""

    month: str
    circle: str
    kind: str


class Plan(msgspec.Struct, kw_only=True, frozen=True):
    """A planned rotation (``halqa learn plan --json``)."""

    sessions: list[Slot]


class Blackout(msgspec.Struct, kw_only=True, frozen=True):
    """Months marked (or, ``removed``, lifted) in which a circle cannot host."""

    circle: str
    months: list[str]
    removed: bool


class Session(msgspec.Struct, kw_only=True, frozen=True):
    """A study session and, once reported, how the trying circle's experiment went."""

    id: str
    circle: str | None
    month: str | None
    movement: str | None
    place: str | None
    years: str | None
    tactic: str | None
    tactic_id: str | None
    themes: list[str]
    adaptation: str | None
    tries: str | None
    due: str | None
    added: str | None
    outcome: str | None
    happened: str | None
    change: str | None
    keep: bool | None
    reported: str | None
    overdue: bool | UnsetType = UNSET  # only in lists: the report is late


class Trial(msgspec.Struct, kw_only=True, frozen=True):
    """One session about a tactic: who studied it, who tried it, and how it went."""

    session: str
    month: str | None
    studied_by: str | None
    tried_by: str | None
    outcome: str | None
    keep: bool | None
    happened: str | None
    change: str | None
    reported: str | None


class Tactic(msgspec.Struct, kw_only=True, frozen=True):
    """A tactic of the archive (``origin``: ``library`` or ``circle``) with its trials."""

    id: str
    title: str | None
    movement: str | UnsetType = UNSET  # library cases only
    place: str | None
    years: str | None
    themes: list[str]
    description: str | None
    sources: list[str]
    origin: str
    circle: str | UnsetType | None = UNSET  # the circle's own tactics only
    title_en: str | UnsetType = UNSET
    title_ar: str | UnsetType = UNSET
    description_en: str | UnsetType = UNSET
    description_ar: str | UnsetType = UNSET
    trials: list[Trial] = msgspec.field(default_factory=list)
    tried: int = 0
    kept: int = 0


class Gathering(msgspec.Struct, kw_only=True, frozen=True):
    """The decompression gathering after a high-risk action."""

    day: str | None
    part: str | None
    form: str | None
    host: str | None
    due: str | None


class Care(msgspec.Struct, kw_only=True, frozen=True):
    """A high-risk action and its gathering (``halqa care plan --json``); ``status``: due, overdue, held."""

    action: str | None
    circle: str | None
    kind: str | None
    action_day: str | None
    high_risk: bool
    within_days: int | None
    gathering: Gathering
    held: str | None
    status: str


class RecordedCheckin(msgspec.Struct, kw_only=True, frozen=True):
    """What a check-in left in the vault: the circle, the ISO week, and whether it names its member."""

    circle: str
    week: str
    shared: bool


class WeekWellbeing(msgspec.Struct, kw_only=True, frozen=True):
    """One week of a circle's check-ins: the count, and the figures only when the cell is thick enough."""

    week: str
    checkins: int
    mean: float | None
    strained_share: float | None


class SharedCheckin(msgspec.Struct, kw_only=True, frozen=True):
    """A check-in its member chose to share."""

    member: str
    week: str
    score: int
    word: str | None


class Wellbeing(msgspec.Struct, kw_only=True, frozen=True):
    """A circle's well-being trend; in :class:`CareStatus` also whom to notify and the gatherings held."""

    circle: str
    weeks: list[WeekWellbeing]
    strained: bool
    words: dict[str, int]
    shared: list[SharedCheckin]
    notify: str | UnsetType | None = UNSET
    care_held: int | UnsetType = UNSET


class CareStatus(msgspec.Struct, kw_only=True, frozen=True):
    """Gatherings still to hold, and each circle's well-being (``halqa care status --json``)."""

    today: str
    reminders: list[Care]
    circles: list[Wellbeing]


# --------------------------------------------------------------------------- circles (through their package)
def circle_ids(vault: Vault) -> list[str]:
    """Ids of every recorded circle (through the circles package)."""
    return [c.id for c in circles(vault)]


def require_circle(vault: Vault, circle_id: str) -> dict[str, Any]:
    """The circle (members, roles, meetings) as its JSON shape; :class:`~halqa.errors.NotFound` if unknown."""
    return to_data(circle(vault, circle_id))


# --------------------------------------------------------------------------- rotation
def blackouts(vault: Vault) -> set[tuple[str, str]]:
    """``(circle, month)`` pairs in which a circle cannot host."""
    return {(r["circle"], r["month"]) for r in vault.query("SELECT circle, month FROM learning_blackout WHERE active = 1")}


def slot_host(vault: Vault, month: str, kind: str) -> str | None:
    """The circle the saved plan has host the ``kind`` session of ``month``, if any."""
    row = vault.query_one("SELECT circle FROM learning_slot WHERE kind = ? AND month = ?", (kind, month))
    return row[0] if row is not None else None


def slot_ids(vault: Vault, start: str) -> list[str]:
    """Ids of the saved slots from ``start`` on (a new plan replaces them)."""
    return [r[0] for r in vault.query("SELECT id FROM learning_slot WHERE month >= ?", (start,))]


def saved_plan(vault: Vault, start: str | None = None) -> list[Slot]:
    """The saved rotation (from ``start`` on), in month order."""
    rows = vault.query("SELECT month, circle, kind FROM learning_slot WHERE month >= ? ORDER BY month, kind DESC",
                       (start or "0000-00",))
    return [Slot(month=r["month"], circle=r["circle"], kind=r["kind"]) for r in rows]


# --------------------------------------------------------------------------- sessions
def _session(r: Any, overdue: bool | UnsetType = UNSET) -> Session:
    return Session(id=r["id"], circle=r["circle"], month=r["month"], movement=r["movement"], place=r["place"],
                   years=r["years"], tactic=r["tactic"], tactic_id=r["tactic_id"], themes=json_list(r["themes"]),
                   adaptation=r["adaptation"], tries=r["tries"], due=r["due"], added=r["added"],
                   outcome=r["outcome"], happened=r["happened"], change=r["change"],
                   keep=None if r["keep"] is None else bool(r["keep"]), reported=r["reported"], overdue=overdue)


def session(vault: Vault, session_id: str) -> Session:
    """One session; :class:`NotFound` if unknown."""
    r = vault.query_one("SELECT * FROM learning_session WHERE id = ?", (session_id,))
    if r is None:
        raise NotFound("learning.unknown_session", session=session_id)
    return _session(r)


def sessions(vault: Vault, circle: str | None = None, open_only: bool = False,
             today: str | None = None) -> list[Session]:
    """Sessions (of one circle, as host or trier), newest month first; ``open_only``: not yet
    reported. Each has ``overdue`` when its report is late."""
    sql, args = "SELECT * FROM learning_session WHERE 1 = 1", []
    if circle:
        sql += " AND (circle = ? OR tries = ?)"
        args += [circle, circle]
    if open_only:
        sql += " AND reported IS NULL"
    now = check_day(today)
    return [_session(r, overdue=r["reported"] is None and bool(r["due"]) and r["due"] < now)
            for r in vault.query(sql + " ORDER BY month DESC, added DESC, id", args)]


def all_sessions(vault: Vault) -> list[Session]:
    """Every session, in no particular order (what circle health weighs)."""
    return [_session(r) for r in vault.query("SELECT * FROM learning_session")]


def worked_sessions(vault: Vault, circle: str) -> list[Session]:
    """Sessions whose tactic ``circle`` tried (fully or partly) and did not drop, oldest report first."""
    return [_session(r) for r in vault.query(
        "SELECT * FROM learning_session WHERE tries = ? AND outcome IN ('tried', 'partly') "
        "AND (keep IS NULL OR keep = 1) ORDER BY reported", (circle,))]


# --------------------------------------------------------------------------- archive
def known_tactic(vault: Vault, tactic_id: str) -> tuple[str, list[str]] | None:
    """The (English) title and themes of a library case or a circle's tactic, or ``None``."""
    found = library.get(tactic_id)
    if found is not None:
        return found.get("title") or found.get("title_en") or "", list(found["themes"])
    row = vault.query_one("SELECT title, themes FROM learning_tactic WHERE id = ?", (tactic_id,))
    return (row["title"] or "", json_list(row["themes"])) if row is not None else None


def _trials(vault: Vault) -> dict[str, list[Trial]]:
    out: dict[str, list[Trial]] = {}
    for r in vault.query("SELECT * FROM learning_session WHERE tactic_id IS NOT NULL ORDER BY month, added, id"):
        out.setdefault(r["tactic_id"], []).append(Trial(
            session=r["id"], month=r["month"], studied_by=r["circle"], tried_by=r["tries"], outcome=r["outcome"],
            keep=None if r["keep"] is None else bool(r["keep"]), happened=r["happened"], change=r["change"],
            reported=r["reported"]))
    return out


def _all_tactics(vault: Vault, lang: str) -> list[dict[str, Any]]:
    out = [library.localised(item, lang) for item in library.cases()]
    for r in vault.query("SELECT * FROM learning_tactic ORDER BY added, id"):
        out.append({"id": r["id"], "title": r["title"], "themes": json_list(r["themes"]), "place": r["place"],
                    "years": r["years"], "description": r["description"], "sources": [], "origin": "circle",
                    "circle": r["circle"]})
    return out


def _fold(text: str) -> str:
    return normalise(text or "").lower()


def tactics(vault: Vault, theme: str | None = None, outcome: str | None = None, circle: str | None = None,
            text: str | None = None, lang: str = "en") -> list[Tactic]:
    """Search the archive (library cases and the circles' own tactics).

    ``theme``: one of :data:`~halqa.learning.events.THEMES`; ``outcome``: tactics with at least one
    trial of that outcome; ``circle``: tactics that circle studied or tried; ``text``: words in the
    title, place or description (Arabic spelling variants folded). Each tactic carries its
    ``trials`` across circles and counts of trials and keeps.
    """
    if theme:
        theme = check_themes([theme])[0]
    if outcome:
        outcome = outcome.strip().lower().replace("-", "_")
        if outcome not in OUTCOMES:
            raise InvalidInput("learning.bad_outcome", outcome=outcome, outcomes=", ".join(OUTCOMES))
    trials = _trials(vault)
    words = _fold(text).split() if text else []
    out = []
    for t in _all_tactics(vault, lang):
        ts = trials.get(t["id"], [])
        if theme and theme not in t["themes"]:
            continue
        if outcome and not any(x.outcome == outcome for x in ts):
            continue
        if circle and not (t.get("circle") == circle or any(circle in (x.studied_by, x.tried_by) for x in ts)):
            continue
        if words:
            hay = _fold(" ".join(str(t.get(k) or "") for k in ("title", "place", "years", "description", "title_en",
                                                                "title_ar", "description_en", "description_ar", "id")))
            if not all(w in hay for w in words):
                continue
        out.append(Tactic(**t, trials=ts, tried=sum(x.outcome in ("tried", "partly") for x in ts),
                          kept=sum(bool(x.keep) for x in ts)))
    return out


def tactic(vault: Vault, tactic_id: str, lang: str = "en") -> Tactic:
    """One tactic with its history of trials; :class:`NotFound` if unknown."""
    for t in tactics(vault, lang=lang):
        if t.id == tactic_id:
            return t
    raise NotFound("learning.unknown_tactic", tactic=tactic_id)


# --------------------------------------------------------------------------- care
def _care(r: Any, today: str) -> Care:
    status = "held" if r["held"] else ("overdue" if (r["due"] or "") < today else "due")
    return Care(action=r["action"], circle=r["circle"], kind=r["kind"], action_day=r["action_day"], high_risk=True,
                within_days=r["within"], gathering=Gathering(day=r["day"], part=r["part"], form=r["form"],
                                                             host=r["host"], due=r["due"]),
                held=r["held"], status=status)


def care(vault: Vault, action: str, today: str | None = None) -> Care | None:
    """The care record of ``action``, or ``None`` when it was never marked high-risk."""
    row = vault.query_one("SELECT * FROM learning_care WHERE action = ?", (action,))
    return _care(row, check_day(today)) if row is not None else None


def care_records(vault: Vault, circle: str | None = None, today: str | None = None) -> list[Care]:
    """Every care record (of one circle), by action day."""
    sql, args = "SELECT * FROM learning_care", []
    if circle:
        sql, args = sql + " WHERE circle = ?", [circle]
    now = check_day(today)
    return [_care(r, now) for r in vault.query(sql + " ORDER BY action_day, action", args)]


def care_hosts(vault: Vault, circle: str) -> Counter[str]:
    """How often each member of ``circle`` hosted a gathering."""
    return Counter(r[0] for r in vault.query("SELECT host FROM learning_care WHERE circle = ? AND host IS NOT NULL",
                                             (circle,)))


def _weeks_back(today: str, weeks: int) -> list[str]:
    d = dt.date.fromisoformat(today)
    return [iso_week((d - dt.timedelta(weeks=i)).isoformat()) for i in range(weeks - 1, -1, -1)]


def wellbeing(vault: Vault, circle: str, weeks: int = 8, today: str | None = None, strain_weeks: int = 3,
              min_cell: int = MIN_CELL) -> Wellbeing:
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
            shared.append(SharedCheckin(member=r["member"], week=r["week"], score=r["score"], word=r["word"]))
    trend = []
    for w in span[-int(weeks):]:
        s = by_week[w]
        enough = len(s) >= min_cell
        trend.append(WeekWellbeing(week=w, checkins=len(s), mean=round(sum(s) / len(s), 2) if enough else None,
                                   strained_share=round(sum(x <= 2 for x in s) / len(s), 2) if enough else None))
    recent = [by_week[w] for w in span[-int(strain_weeks):]]
    strained = all(len(s) >= min_cell and sum(s) / len(s) <= STRAIN_MEAN for s in recent)
    total = sum(len(s) for s in by_week.values())
    return Wellbeing(circle=circle, weeks=trend, strained=strained,
                     words=dict(words.most_common(8)) if total >= min_cell else {}, shared=shared)


def care_status(vault: Vault, circle: str | None = None, today: str | None = None, weeks: int = 8,
                strain_weeks: int = 3) -> CareStatus:
    """Reminders for decompression gatherings not yet held, and each circle's well-being trend
    (strained circles flagged to their own liaison)."""
    now = check_day(today)
    if circle:
        require_circle(vault, circle)
    sql, args = "SELECT * FROM learning_care WHERE held IS NULL", []
    if circle:
        sql += " AND circle = ?"
        args.append(circle)
    reminders = [_care(r, now) for r in vault.query(sql + " ORDER BY due, action", args)]
    out = []
    for c in circles(vault):
        if circle and c.id != circle:
            continue
        w = wellbeing(vault, c.id, weeks=weeks, today=now, strain_weeks=strain_weeks)
        # flagged to the circle's own organiser: its liaison, else its carer, else whoever organises it
        carer = next((m for m, role in sorted(require_circle(vault, c.id)["roles"].items()) if role == "carer"), None)
        held = vault.query("SELECT count(*) FROM learning_care WHERE circle = ? AND held IS NOT NULL", (c.id,))[0][0]
        out.append(msgspec.structs.replace(w, notify=(c.liaison or carer or "organiser") if w.strained else None,
                                           care_held=held))
    return CareStatus(today=now, reminders=reminders, circles=out)


def checkin_scores(vault: Vault) -> list[tuple[str, str, int]]:
    """``(circle, week, score)`` of every check-in (no member: what circle health weighs)."""
    return [(r[0], r[1], int(r[2])) for r in vault.query("SELECT circle, week, score FROM learning_checkin")]


def checkin_count(vault: Vault, circle: str) -> int:
    """How many check-ins ``circle`` ever recorded."""
    return int(vault.query("SELECT count(*) FROM learning_checkin WHERE circle = ?", (circle,))[0][0])


def legacy_attendance(vault: Vault) -> list[dict[str, Any]]:
    """Attendance recorded with ``care attend`` before it moved to :mod:`halqa.circles`, in the shape
    of :func:`halqa.circles.attendance`."""
    return [{**dict(r), "held": bool(r["held"]), "present": json_list(r["present"])}
            for r in vault.query("SELECT * FROM learning_attendance")]


# --------------------------------------------------------------------------- quiet actions
def recorded_circle_key(vault: Vault, circle: str) -> bytes | None:
    """The codebook key recorded for ``circle`` (:func:`~halqa.learning.set_circle_key`), if any."""
    row = vault.query_one("SELECT key FROM learning_circlekey WHERE circle = ?", (circle,))
    return bytes(row[0]) if row is not None and row[0] else None
