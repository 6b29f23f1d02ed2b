"""The learning and care part of ``halqa demo`` (after :func:`halqa.circles.demo`), and decoy content."""

from __future__ import annotations

import datetime as dt
import random

from halqa.circles import circles, meeting_held, meetings, task_done, tasks
from halqa.i18n import t
from halqa.learning.health import health
from halqa.learning.write import add_session, blackout, care_held, care_plan, checkin, plan, report_session
from halqa.results import to_data
from halqa.vault import Vault

__all__ = ["decoy", "demo"]

#: What the demo step reports: counts, a few lines of text, the mean health and each circle's.
Summary = dict[str, int | float | str | dict[str, float | None] | None]


def demo(vault: Vault, rng: random.Random) -> Summary:
    """A year's rotation for the demo circles, two sessions with outcomes, a high-risk action with
    its decompression gathering, which meetings were held and who came, project tasks done (on
    time, late or not), a few weeks of check-ins, and circle health."""
    cs = circles(vault)
    if not cs:
        return {"learning_circles": 0}
    start = "2026-11"
    # the circles meet from 2026-11-01 (halqa.circles.demo); one circle is away in the spring
    blackout(vault, cs[0].id, ["2027-03", "2027-04"])
    rota = plan(vault, months=12, start=start, seed=rng.randrange(2**31), time_limit=5.0).sessions
    first = next(s for s in rota if s.kind == "study")
    second = next(s for s in rota if s.kind == "study" and s.month > first.month)
    s1 = add_session(vault, first.circle, "Flint water crisis residents", month=first.month, place="Flint, USA",
                     years="2014-2016", tactic_id="lib-flint-water-testing",
                     adaptation="Test tap water in twenty homes with strips bought together; log results by area code.",
                     day=f"{first.month}-20")
    report_session(vault, s1.id, "tried", happened="Eighteen homes tested; murky water clustered in two areas.",
                   change="Test at the same hour each day.", keep=True, day=f"{second.month}-18")
    s2 = add_session(vault, second.circle, "Beirut generator-cost campaigns", month=second.month,
                     place="Beirut, Lebanon", years="2019-2022", tactic_id="lib-lebanon-generator-tariffs",
                     adaptation="Compare what each household pays the generator owner per ampere.",
                     day=f"{second.month}-22")
    report_session(vault, s2.id, "partly", happened="Half the streets collected prices; the owner found out.",
                   change="Collect prices only through trusted neighbours.", keep=True, day="2027-01-25")
    # a high-risk action and its decompression gathering
    c0 = cs[-1]
    risky = next(iter(meetings(vault, c0.id)), None)
    action = risky.id if risky is not None else "act-sit-in"
    care = care_plan(vault, action, circle=c0.id, day=None if risky is not None else "2026-11-20", within=3,
                     form="meal", today="2026-11-21")
    care_held(vault, action, day=care.gathering.day, today="2026-11-25")
    pending = care_plan(vault, "act-petition-delivery", circle=cs[0].id, day="2027-01-28", within=4, form="poetry",
                        today="2027-01-28")
    # meetings held, attendance, project tasks and check-ins over the first three months; circles differ
    # in how steady they are (most keep most meetings; a few struggle), so only the steadiest are ready to replicate
    n_checkins, n_held, n_tasks_on_time = 0, 0, 0
    for c in cs:
        base = 4.2 if c is not cs[1 % len(cs)] else 2.2
        steady = rng.betavariate(2.5, 2)
        for mt in map(to_data, meetings(vault, c.id)):
            if mt["day"] >= "2027-02-01":
                continue
            held = rng.random() < 0.35 + 0.65 * steady
            came = [p for p in c.members if rng.random() < 0.35 + 0.6 * steady] if held else []
            meeting_held(vault, mt["id"], came, held=held)
            n_held += held
        for task in map(to_data, tasks(vault, c.id)):
            due = dt.date.fromisoformat(task["due"])
            x = rng.random()
            if x < steady * 0.75:  # on time
                task_done(vault, task["id"], (due - dt.timedelta(days=rng.randint(0, 5))).isoformat())
                n_tasks_on_time += 1
            elif x < 0.85 + 0.1 * steady:  # late
                task_done(vault, task["id"], (due + dt.timedelta(days=rng.randint(3, 20))).isoformat())
        day = dt.date(2026, 11, 2)
        while day < dt.date(2027, 2, 1):
            for _ in range(rng.randint(3, len(c.members))):
                score = max(1, min(5, round(rng.gauss(base, 0.8))))
                checkin(vault, c.id, score, rng.choice(("tired", "hopeful", "steady", "worried", "ok")),
                        day=day.isoformat())
                n_checkins += 1
            day += dt.timedelta(days=7)
    h = health(vault, today="2027-02-01").circles
    scores = [c.score for c in h if c.score is not None]
    return {
        "learning_sessions_planned": len(rota),
        "learning_sessions_recorded": 2,
        "learning_first_study": f"{first.month} {first.circle}",
        "learning_decompression": (f"{action} -> {care.gathering.day} "
                                   f"({t('learning.form_' + str(care.gathering.form))}), {t('learning.held')}"),
        "learning_decompression_pending": f"{pending.action} -> {pending.gathering.day}",
        "learning_checkins": n_checkins,
        "meetings_held": n_held,
        "project_tasks_on_time": n_tasks_on_time,
        "learning_health_mean": round(sum(scores) / len(scores), 1) if scores else None,
        "learning_health": {c.id: c.score for c in h},
        "learning_replication_ready": sum(c.replication_ready for c in h),
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """Nothing: a tea-and-cards group keeps no learning records (an empty table is the most plausible)."""
    return None
