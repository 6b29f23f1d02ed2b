"""Learning sessions, the saved rotation and the tactic archive.

A **session** is what a circle brings back from studying a movement: the movement (place, years),
the tactic extracted, how it will be adapted here, which circle tries it and by when. A month
later the trying circle **reports**: tried / not tried / partly, what happened, what to change,
whether to keep it. Each session is one *trial* of a tactic; a tactic's history is its trials
across circles.

The **archive** is the starter library shipped with halqa (:mod:`halqa.learning.library`) plus
the tactics circles bring back themselves, searchable by theme, outcome, circle and words.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from halqa.errors import InvalidInput, NotFound
from halqa.learning import library
from halqa.learning.records import (
    OUTCOMES,
    THEMES,
    BlackoutPut,
    SessionPut,
    SlotPut,
    TacticPut,
    check_id,
    check_month,
    circle_ids,
    month_add,
    month_end,
    require_circle,
)
from halqa.learning.rotation import rotation, shuffled
from halqa.listening import normalise
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list, new_id

__all__ = [
    "add_session",
    "blackout",
    "plan",
    "report_session",
    "saved_plan",
    "sessions",
    "tactic",
    "tactics",
]

_TEXT_MAX = 2000


def _text(value: str | None, what: str, limit: int = _TEXT_MAX) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidInput("learning.text_too_long", what=what, max=limit)
    return text


def _themes(values: Iterable[str]) -> list[str]:
    out = []
    for v in values:
        for part in str(v).split(","):
            theme = part.strip().lower().replace("-", "_")
            if not theme:
                continue
            if theme not in THEMES:
                raise InvalidInput("learning.bad_theme", theme=theme, themes=", ".join(THEMES))
            out.append(theme)
    return sorted(set(out))


# --------------------------------------------------------------------------- rotation
def blackout(vault: Vault, circle: str, months: Sequence[str], remove: bool = False) -> dict[str, Any]:
    """Mark months in which ``circle`` cannot host a learning session (or, with ``remove``, lift them)."""
    require_circle(vault, circle)
    ms = [check_month(m) for m in months]
    if not ms:
        raise InvalidInput("learning.no_months")
    with vault.transaction() as tx:
        for m in ms:
            tx.append("learning_blackout.put", BlackoutPut(id=f"{circle}:{m}", circle=circle, month=m, active=not remove))
    return {"circle": circle, "months": ms, "removed": remove}


def _blackouts(vault: Vault) -> set[tuple[str, str]]:
    return {(r["circle"], r["month"]) for r in vault.query("SELECT circle, month FROM learning_blackout WHERE active = 1")}


def plan(vault: Vault, months: int = 12, start: str | None = None, save: bool = True, seed: int | None = None,
         today: str | None = None, time_limit: float = 10.0) -> dict[str, Any]:
    """Plan ``months`` of learning sessions across every recorded circle from ``start``
    (``YYYY-MM``, default next month), fair and respecting blackouts (:mod:`~halqa.learning.rotation`).

    With ``save`` the plan replaces any saved plan from ``start`` on. Returns exactly
    ``{"sessions": [{"month", "circle", "kind"}]}`` (the shape of ``halqa learn plan --json``).
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
    prev = vault.query_one("SELECT circle FROM learning_slot WHERE kind = 'study' AND month = ?", (month_add(start, -1),))
    prior = prev[0] if prev is not None and prev[0] in ids else None
    seed = seed if seed is not None else secrets.randbits(31)
    result = rotation(shuffled(ids, seed), span, _blackouts(vault), prior, seed=seed, time_limit=time_limit)
    if save:
        # Each saved plan has its own slot ids: a replaced slot is deleted (tombstoned) for good.
        plan_id = new_id()
        with vault.transaction() as tx:
            for r in vault.query("SELECT id FROM learning_slot WHERE month >= ?", (start,)):
                tx.append("learning_slot.delete", {"id": r[0]})
            for s in result:
                tx.append("learning_slot.put", SlotPut(id=f"{plan_id}:{s['month']}:{s['kind']}", month=s["month"],
                                                       kind=s["kind"], circle=s["circle"]))
    return {"sessions": result}


def saved_plan(vault: Vault, start: str | None = None) -> list[dict[str, Any]]:
    """The saved rotation (from ``start`` on), in month order."""
    rows = vault.query("SELECT month, circle, kind FROM learning_slot WHERE month >= ? ORDER BY month, kind DESC",
                       (start or "0000-00",))
    return [{"month": r["month"], "circle": r["circle"], "kind": r["kind"]} for r in rows]


# --------------------------------------------------------------------------- sessions
def _known_tactic(vault: Vault, tactic_id: str) -> dict[str, Any] | None:
    found = library.get(tactic_id)
    if found is not None:
        return found
    row = vault.query_one("SELECT * FROM learning_tactic WHERE id = ?", (tactic_id,))
    return dict(row) if row is not None else None


def add_session(vault: Vault, circle: str, movement: str, tactic: str = "", month: str | None = None,
                place: str = "", years: str = "", themes: Iterable[str] = (), adaptation: str = "",
                tries: str | None = None, due: str | None = None, tactic_id: str | None = None,
                day: str | None = None) -> dict[str, Any]:
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
    theme_list = _themes(themes)
    if tactic_id:
        found = _known_tactic(vault, check_id(tactic_id, "tactic"))
        if found is None:
            raise NotFound("learning.unknown_tactic", tactic=tactic_id)
        if not theme_list:
            theme_list = list(found["themes"]) if isinstance(found["themes"], list) else json_list(found["themes"])
        tactic_text = tactic_text or found.get("title") or found.get("title_en") or ""
    elif not tactic_text:
        raise InvalidInput("learning.missing", what="tactic")
    if tries is None:
        slot = vault.query_one("SELECT circle FROM learning_slot WHERE month = ? AND kind = 'report'",
                               (month_add(month, 1),))
        tries = slot[0] if slot is not None else circle
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
                   keep: bool | None = None, day: str | None = None) -> dict[str, Any]:
    """Record how the experiment went: ``outcome`` (tried, not_tried, partly), what happened, what to
    change, whether to keep the tactic. A later report replaces an earlier one."""
    row = vault.query_one("SELECT id FROM learning_session WHERE id = ?", (check_id(session_id, "session"),))
    if row is None:
        raise NotFound("learning.unknown_session", session=session_id)
    outcome = (outcome or "").strip().lower().replace("-", "_").replace(" ", "_")
    if outcome not in OUTCOMES:
        raise InvalidInput("learning.bad_outcome", outcome=outcome, outcomes=", ".join(OUTCOMES))
    vault.append("learning_session.put", SessionPut(
        id=session_id, outcome=outcome, happened=_text(happened, "happened"), change=_text(change, "change"),
        keep=keep, reported=check_day(day)))
    return session(vault, session_id)


def _session_dict(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "circle": r["circle"], "month": r["month"], "movement": r["movement"], "place": r["place"],
            "years": r["years"], "tactic": r["tactic"], "tactic_id": r["tactic_id"], "themes": json_list(r["themes"]),
            "adaptation": r["adaptation"], "tries": r["tries"], "due": r["due"], "added": r["added"],
            "outcome": r["outcome"], "happened": r["happened"], "change": r["change"],
            "keep": None if r["keep"] is None else bool(r["keep"]), "reported": r["reported"]}


def session(vault: Vault, session_id: str) -> dict[str, Any]:
    """One session; :class:`NotFound` if unknown."""
    r = vault.query_one("SELECT * FROM learning_session WHERE id = ?", (session_id,))
    if r is None:
        raise NotFound("learning.unknown_session", session=session_id)
    return _session_dict(r)


def sessions(vault: Vault, circle: str | None = None, open_only: bool = False,
             today: str | None = None) -> list[dict[str, Any]]:
    """Sessions (of one circle, as host or trier), newest month first; ``open_only``: not yet
    reported. Each has ``overdue`` when its report is late."""
    sql, args = "SELECT * FROM learning_session WHERE 1 = 1", []
    if circle:
        sql += " AND (circle = ? OR tries = ?)"
        args += [circle, circle]
    if open_only:
        sql += " AND reported IS NULL"
    now = check_day(today)
    out = []
    for r in vault.query(sql + " ORDER BY month DESC, added DESC, id", args):
        s = _session_dict(r)
        s["overdue"] = s["reported"] is None and bool(s["due"]) and s["due"] < now
        out.append(s)
    return out


# --------------------------------------------------------------------------- archive
def _trials(vault: Vault) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in vault.query("SELECT * FROM learning_session WHERE tactic_id IS NOT NULL ORDER BY month, added, id"):
        out.setdefault(r["tactic_id"], []).append({
            "session": r["id"], "month": r["month"], "studied_by": r["circle"], "tried_by": r["tries"],
            "outcome": r["outcome"], "keep": None if r["keep"] is None else bool(r["keep"]), "happened": r["happened"],
            "change": r["change"], "reported": r["reported"]})
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
            text: str | None = None, lang: str = "en") -> list[dict[str, Any]]:
    """Search the archive (library cases and the circles' own tactics).

    ``theme``: one of :data:`~halqa.learning.records.THEMES`; ``outcome``: tactics with at least one
    trial of that outcome; ``circle``: tactics that circle studied or tried; ``text``: words in the
    title, place or description (Arabic spelling variants folded). Each tactic carries its
    ``trials`` across circles and counts of trials and keeps.
    """
    if theme:
        theme = _themes([theme])[0]
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
        if outcome and not any(x["outcome"] == outcome for x in ts):
            continue
        if circle and not (t.get("circle") == circle or any(circle in (x["studied_by"], x["tried_by"]) for x in ts)):
            continue
        if words:
            hay = _fold(" ".join(str(t.get(k) or "") for k in ("title", "place", "years", "description", "title_en",
                                                                "title_ar", "description_en", "description_ar", "id")))
            if not all(w in hay for w in words):
                continue
        out.append({**t, "trials": ts, "tried": sum(x["outcome"] in ("tried", "partly") for x in ts),
                    "kept": sum(bool(x["keep"]) for x in ts)})
    return out


def tactic(vault: Vault, tactic_id: str, lang: str = "en") -> dict[str, Any]:
    """One tactic with its history of trials; :class:`NotFound` if unknown."""
    for t in tactics(vault, lang=lang):
        if t["id"] == tactic_id:
            return t
    raise NotFound("learning.unknown_tactic", tactic=tactic_id)


def due_reports(vault: Vault, today: str | None = None) -> list[dict[str, Any]]:
    """Sessions whose report is due within a week or late."""
    now = check_day(today)
    horizon = (dt.date.fromisoformat(now) + dt.timedelta(days=7)).isoformat()
    return [s for s in sessions(vault, open_only=True, today=now) if s["due"] and s["due"] <= horizon]
