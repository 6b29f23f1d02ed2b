"""Circle health from what is already recorded, and replication by imitation, never by command.

**Health parts**, each a number from 0 to 1, or ``None`` when nothing was recorded for it (a part
with no data never counts against a circle; the score is the mean of the parts that have data,
times 100):

==================  =========================================================================
part                from
==================  =========================================================================
``meetings``        meetings held (``halqa circles meeting held``) / meetings planned (``halqa
                    circles schedule``, plus unplanned ones recorded as held) whose day has passed
                    in the window; ``None`` until the circle records any
``attendance``      mean share of the circle present at held meetings with a list of who came
``tasks_on_time``   project tasks (``halqa circles task``) due in the window by today: done by
                    the due day (1), done later (0.5), not done (0); and tactic trials this
                    circle took on, due in the window: tried by the due day (1), partly (0.5),
                    late or not tried (0)
``learning``        learning duties in the saved rotation (study, report) delivered in their month
``care``            high-risk actions whose decompression was held by its last day (1), late
                    (0.5), not at all (0)
``pools``           rounds of jam'iyya pools mostly made of this circle's members, due in the
                    window: paid out within a week of the due day (1), later (0.5), not (0)
``funds``           months of the window in which a member of the circle gave to a fund
                    (only once any member has ever given)
``repairs``         repair jobs a member of the circle worked on, started in the window: done share
``wellbeing``       mean private check-in, ``(mean - 1) / 4``, when at least ``MIN_CELL`` came in
==================  =========================================================================

Pools, funds and repairs come from :mod:`halqa.mutual_aid`'s public functions.

**Replication readiness:** a circle whose monthly score was at least ``healthy`` (default 70) in
each of the last ``ready_months`` complete months (default 3) and that has at least ``near_max``
members (default 6, one under the usual maximum of 7). :func:`replicate` then suggests a split
along the circle's weakest trust cut (:func:`halqa.circles.split_circle`, every member keeping two
vouchers on their side) and a starter kit for the new circle: the practices that work here, the
tactics that worked, a fresh codebook. It is a suggestion; halqa never moves anyone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from typing import Any

import msgspec

from halqa.circles import attendance, circles, from_vault, meetings, split_circle, tasks
from halqa.circles import members as all_members
from halqa.errors import InvalidInput
from halqa.learning.events import MIN_CELL, iso_week, month_add, month_end
from halqa.learning.read import (
    all_sessions,
    care_records,
    checkin_count,
    checkin_scores,
    legacy_attendance,
    require_circle,
    saved_plan,
    worked_sessions,
)
from halqa.learning.write import record_kit
from halqa.listening import codebook_for_key, fresh_codebook_key
from halqa.mutual_aid import giving_months, list_repairs, pool_status, pools
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day

__all__ = ["PARTS", "CircleHealth", "FreshCodebook", "Health", "MonthScore", "Practices", "Replication", "Split",
           "StarterKit", "WorkedTactic", "health", "replicate", "starter_kit"]

PARTS: tuple[str, ...] = ("meetings", "attendance", "tasks_on_time", "learning", "care", "pools", "funds", "repairs",
                          "wellbeing")


class MonthScore(msgspec.Struct, kw_only=True, frozen=True):
    """A circle's health score over one complete month (``None``: nothing recorded)."""

    month: str
    score: float | None


class CircleHealth(msgspec.Struct, kw_only=True, frozen=True):
    """One circle's health: the score, its parts, and whether it is ready to replicate."""

    id: str
    score: float | None
    parts: dict[str, float | None]
    replication_ready: bool
    size: int
    monthly: list[MonthScore]


class Health(msgspec.Struct, kw_only=True, frozen=True):
    """Health of every circle (``halqa circles health --json``)."""

    circles: list[CircleHealth]


class Practices(msgspec.Struct, kw_only=True, frozen=True):
    """What a circle does that a new circle can imitate."""

    meeting_gap_days: float | None
    meeting_kinds: list[str]
    roles: list[str]
    care_forms: list[str]
    decompressions_held: int
    checkins: bool
    project: str | None


class WorkedTactic(msgspec.Struct, kw_only=True, frozen=True):
    """A tactic the circle tried and kept."""

    tactic_id: str | None
    tactic: str | None
    outcome: str | None
    change: str | None
    keep: bool | None


class FreshCodebook(msgspec.Struct, kw_only=True, frozen=True):
    """A fresh codebook for a new circle: its key (hex), the place order to adopt it with, its tables."""

    key: str
    place_order: list[str]
    themes: dict[str, dict[str, str]]
    places: dict[str, dict[str, str]]


class StarterKit(msgspec.Struct, kw_only=True, frozen=True):
    """What a new circle can imitate from ``from_circle``."""

    from_circle: str
    made: str
    practices: Practices
    tactics_that_worked: list[WorkedTactic]
    codebook: FreshCodebook


class Split(msgspec.Struct, kw_only=True, frozen=True):
    """A suggested split along the weakest trust cut: who stays, who seeds the new circle."""

    stay: list[str]
    new: list[str]
    cut_strength: float


class Replication(msgspec.Struct, kw_only=True, frozen=True):
    """How a circle could replicate (a suggestion only; ``recorded``: the kit's id when recorded)."""

    circle: str
    ready: bool
    split_found: bool
    score: float | None
    monthly: list[MonthScore]
    reasons: list[str]
    split: Split | None
    kit: StarterKit
    suggestion_only: bool
    recorded: str | None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class _Data:
    """Everything health reads, loaded once."""

    def __init__(self, vault: Vault, now: str) -> None:
        self.now = now
        self.circles = [to_data(c) for c in circles(vault)]
        self.meetings = [to_data(m) for m in meetings(vault)]
        self.attendance = [to_data(a) for a in attendance(vault)]
        known = {a["meeting"] for a in self.attendance}
        # rows recorded with ``care attend`` before attendance moved to circles
        self.attendance += [a for a in legacy_attendance(vault) if a["meeting"] not in known]
        self.tasks = tasks(vault)
        self.sessions = all_sessions(vault)
        self.slots = saved_plan(vault)
        self.care = care_records(vault, today=now)
        self.checkins = checkin_scores(vault)
        self.pools = [pool_status(vault, p.name, now) for p in pools(vault)]
        # only circle members' giving is scored: not every giver's months (36,000 rows in a large vault)
        self.contributions = giving_months(vault, {m for c in self.circles for m in c["members"]})
        self.repairs = list_repairs(vault)


def _parts(d: _Data, c: dict[str, Any], first: str, last: str) -> dict[str, float | None]:
    cid, members = c["id"], set(c["members"])
    now = d.now
    end = min(last, now)
    inside = lambda day: bool(day) and first <= day <= end  # noqa: E731
    parts: dict[str, float | None] = dict.fromkeys(PARTS)
    # meetings and attendance
    att = [a for a in d.attendance if a["circle"] == cid]
    if att:
        recorded = [a for a in att if inside(a["day"])]
        planned = {m["id"] for m in d.meetings if m["circle"] == cid and inside(m["day"])}
        planned |= {a["meeting"] for a in recorded}
        held = sum(1 for a in recorded if a["held"])
        parts["meetings"] = held / len(planned) if planned else None
        shares = [len(a["present"]) / a["size"] for a in recorded if a["held"] and a["size"] and a["present"]]
        parts["attendance"] = _mean(shares)
    # project tasks due by today, and the tactic trials this circle took on
    trials = []
    for task in d.tasks:
        if task.circle == cid and task.due and inside(task.due):
            finished = task.done if task.done and task.done <= now else None
            trials.append(0.0 if not finished else 1.0 if finished <= task.due else 0.5)
    for s in d.sessions:
        if s.tries == cid and s.due and inside(s.due):
            on_time = s.reported is not None and s.reported <= s.due
            trials.append((1.0 if s.outcome == "tried" else 0.5 if s.outcome == "partly" else 0.0) if on_time else 0.0)
    parts["tasks_on_time"] = _mean(trials)
    # learning duties in the rotation
    duties = []
    for slot in d.slots:
        if slot.circle != cid or not (first[:7] <= slot.month <= end[:7]) or month_end(slot.month) > now:
            continue
        m = slot.month
        if slot.kind == "study":
            done = any(s.circle == cid and s.month == m for s in d.sessions)
        else:
            done = any(s.tries == cid and (s.reported or "")[:7] == m for s in d.sessions)
        duties.append(1.0 if done else 0.0)
    parts["learning"] = _mean(duties)
    # care after risk
    care = []
    for r in d.care:
        due = r.gathering.due or ""
        if r.circle != cid or (not inside(due) and not inside(r.held)):
            continue
        if r.held:
            care.append(1.0 if r.held <= due else 0.5)
        elif due < now:
            care.append(0.0)
    parts["care"] = _mean(care)
    # pools
    rounds = []
    for p in d.pools:
        ms = p.members
        if not ms or len(members & set(ms)) * 2 < len(ms):
            continue
        for turn in p.schedule:
            due = turn.due
            if not inside(due):
                continue
            paid = turn.paid_out_day
            limit = (dt.date.fromisoformat(due) + dt.timedelta(days=7)).isoformat()
            rounds.append(1.0 if paid and paid <= limit else 0.5 if paid else 0.0)
    parts["pools"] = _mean(rounds)
    # funds
    given = set().union(*(d.contributions.get(p, ()) for p in members))
    if any(p in d.contributions for p in members):
        months = []
        m = first[:7]
        while m <= end[:7]:
            months.append(m)
            m = month_add(m, 1)
        parts["funds"] = sum(m in given for m in months) / len(months) if months else None
    # repairs
    jobs = [r for r in d.repairs if members & set(r.who) and inside(r.day)]
    parts["repairs"] = _mean([1.0 if r.done else 0.0 for r in jobs])
    # well-being (only thick enough cells)
    weeks = (iso_week(first), iso_week(end))
    scores = [score for circle, week, score in d.checkins if circle == cid and weeks[0] <= week <= weeks[1]]
    parts["wellbeing"] = (sum(scores) / len(scores) - 1) / 4 if len(scores) >= MIN_CELL else None
    return {k: (None if v is None else round(v, 3)) for k, v in parts.items()}


def _score(parts: dict[str, float | None]) -> float | None:
    values = [v for v in parts.values() if v is not None]
    return round(100 * sum(values) / len(values), 1) if values else None


def health(vault: Vault, circle: str | None = None, today: str | None = None, months: int = 3, healthy: float = 70.0,
           ready_months: int = 3, near_max: int = 6) -> Health:
    """Health of every circle (or one) over the last ``months`` months up to ``today``.

    Returns ``{"circles": [{"id", "score", "parts", "replication_ready", "size", "monthly"}]}``
    (``halqa circles health --json``): ``score`` 0..100 or ``None`` when nothing is recorded,
    ``monthly`` the scores of the last ``ready_months`` complete months that readiness reads.
    """
    if not 1 <= int(months) <= 24 or not 1 <= int(ready_months) <= 24:
        raise InvalidInput("learning.bad_months", months=months)
    now = check_day(today)
    if circle:
        require_circle(vault, circle)
    d = _Data(vault, now)
    first = f"{month_add(now[:7], -(int(months) - 1))}-01"
    out = []
    for c in d.circles:
        if circle and c["id"] != circle:
            continue
        parts = _parts(d, c, first, now)
        monthly = []
        for i in range(int(ready_months), 0, -1):
            m = month_add(now[:7], -i)
            monthly.append(MonthScore(month=m, score=_score(_parts(d, c, f"{m}-01", month_end(m)))))
        ready = len(c["members"]) >= near_max and all(x.score is not None and x.score >= healthy for x in monthly)
        out.append(CircleHealth(id=c["id"], score=_score(parts), parts=parts, replication_ready=ready,
                                size=len(c["members"]), monthly=monthly))
    return Health(circles=out)


# --------------------------------------------------------------------------- replication
def _fresh_codebook(places: list[str]) -> FreshCodebook:
    """A fresh codebook for the new circle (:func:`halqa.listening.fresh_codebook_key`): its key,
    the places in the order to adopt them, and the theme -> item and place -> shop-keeper tables.
    The new circle's vault takes it with ``halqa listen adopt-codebook KEY --place P1,P2,...``
    (:func:`halqa.listening.adopt_codebook`) and then writes exactly these codes."""

    key = fresh_codebook_key()
    order = sorted(places)
    table = codebook_for_key(key, order).table()
    return FreshCodebook(key=key.hex(), place_order=order, themes=table["themes"], places=table["places"])


def starter_kit(vault: Vault, circle: str, today: str | None = None) -> StarterKit:
    """What a new circle can imitate from ``circle``: its practices (meeting rhythm, roles, care
    forms, check-ins, pools), the tactics that worked for it, and a fresh codebook."""

    c = require_circle(vault, circle)
    now = check_day(today)
    days = sorted(dt.date.fromisoformat(m["day"]) for m in c["meetings"])
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    care = care_records(vault, circle)
    worked = [WorkedTactic(tactic_id=s.tactic_id, tactic=s.tactic, outcome=s.outcome, change=s.change, keep=s.keep)
              for s in worked_sessions(vault, circle)]
    places = sorted({m.area for m in all_members(vault) if m.pseudonym in set(c["members"]) and m.area})
    return StarterKit(
        from_circle=circle, made=now,
        practices=Practices(
            meeting_gap_days=statistics.median(gaps) if gaps else None,
            meeting_kinds=sorted({m["kind"] for m in c["meetings"] if m.get("kind")}),
            roles=sorted(set(c["roles"].values())),
            care_forms=sorted({r.gathering.form for r in care if r.held and r.gathering.form}),
            decompressions_held=sum(1 for r in care if r.held),
            checkins=checkin_count(vault, circle) > 0,
            project=c["project"],
        ),
        tactics_that_worked=worked,
        codebook=_fresh_codebook(places),
    )


def _cut_weight(g: Any, a: list[int], b: set[int]) -> float:
    return float(sum(g.weight.get((min(u, v), max(u, v)), 0.0) for u in a for v in g.contacts[u] if v in b))


def replicate(vault: Vault, circle: str, dry_run: bool = True, today: str | None = None, seed_min: int = 3,
              **health_options: Any) -> Replication:
    """Suggest how ``circle`` could replicate: its readiness (and why not), a split along its
    weakest trust cut into the circle that stays and the seed of a new one (at least ``seed_min``
    members, everyone keeping two vouchers on their side), and a starter kit.

    Nothing about the circles changes. Without ``dry_run`` the suggestion and kit are recorded
    (``learning_kit``) so they can travel with the vault to the circle; it stays a suggestion.
    """

    c = require_circle(vault, circle)
    h = health(vault, circle=circle, today=today, **health_options).circles[0]
    near_max = health_options.get("near_max", 6)
    reasons = []
    if len(c["members"]) < near_max:
        reasons.append("too_small")
    if not all(x.score is not None and x.score >= health_options.get("healthy", 70.0) for x in h.monthly):
        reasons.append("not_healthy_long_enough")
    split = None
    if len(c["members"]) >= 2 * seed_min:
        g = from_vault(vault)
        idx = [g.index[p] for p in c["members"] if p in g.index]
        parts = split_circle(g, idx, seed_min, len(idx) - seed_min) if len(idx) >= 2 * seed_min else None
        if parts and len(parts) == 2:
            liaison = g.index.get(c["liaison"] or "")
            stay, new = sorted(parts, key=lambda p: (liaison not in p, -len(p)))
            split = Split(stay=sorted(g.names[v] for v in stay), new=sorted(g.names[v] for v in new),
                          cut_strength=_cut_weight(g, stay, set(new)))
    if split is None:
        reasons.append("no_safe_split")
    kit = starter_kit(vault, circle, today)
    recorded = None if dry_run else record_kit(vault, circle, check_day(today), {"split": to_data(split), "kit": to_data(kit)})
    return Replication(circle=circle, ready=h.replication_ready, split_found=split is not None, score=h.score,
                       monthly=h.monthly, reasons=reasons, split=split, kit=kit, suggestion_only=True,
                       recorded=recorded)
