"""The circles' step of ``halqa demo`` (members, vouches, circles, meetings and projects of the demo
neighbourhood) and the decoy vault's harmless circle."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from halqa.circles.analysis import ComparedExposure, exposure_report
from halqa.circles.events import CirclePut, MemberPut, TaskPut, VouchPut, vouch_id
from halqa.circles.formation import form_circles
from halqa.circles.schedule import schedule
from halqa.circles.write import parse_availability
from halqa.places import area_codes
from halqa.vault import Vault

__all__ = ["decoy", "demo"]

_SECTS = (("shia", 0.6), ("sunni", 0.3), ("christian", 0.05), ("sabean", 0.05))
_SECTORS = ("port", "oil", "market", "teaching", "construction", "daily_labour")
_SKILLS = ("first_aid", "electrics", "accounts", "driving", "legal", "cooking", "phones")
_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"
_PROJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("water testing on our streets", ("buy test strips together", "test twenty homes", "map results by area",
                                      "share the map with neighbours")),
    ("generator price survey", ("agree on the questions", "collect prices on four streets", "compare per ampere",
                                "present to the neighbourhood")),
    ("school supplies library", ("collect used books", "sort by grade", "open the lending shelf", "first return day")),
    ("tool library", ("list tools members can lend", "find a storage room", "first lending day", "repair broken tools")),
    ("street clean-up rota", ("map the worst corners", "borrow brooms and bags", "first clean-up morning",
                              "agree a monthly rota")),
    ("ration card help desk", ("learn the card rules", "write a one-page guide", "open a weekly help hour",
                               "follow up missing rations")),
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x, acc = rng.random(), 0.0
    for value, p in weighted:
        acc += p
        if x < acc:
            return value
    return weighted[-1][0]


def demo(vault: Vault, rng: random.Random, per_area: int = 16) -> dict[str, int | float | None]:
    """Add the demo neighbourhood's circles: ~100 pseudonymous members across the areas made by
    :func:`halqa.places.demo` (sect and sector labels, availability, a vouching network with
    neighbourhood, workplace and sect homophily), then form circles mixing sects, plan eight
    weeks of meetings for each and give each a project in four tasks due over its first three
    months (:func:`halqa.learning.demo` records which meetings were held and which tasks got done).
    Returns headline figures."""
    areas = area_codes(vault) or ["NKH"]
    people: list[dict[str, Any]] = []
    seen: set[str] = set()
    for area in areas:
        for _ in range(per_area):
            pid = "m-" + "".join(rng.choice(_ALPHABET) for _ in range(4))
            while pid in seen:
                pid = "m-" + "".join(rng.choice(_ALPHABET) for _ in range(4))
            seen.add(pid)
            slots = [f"{rng.choice(('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'))}:"
                     f"{rng.choice(('morning', 'afternoon', 'evening'))}" for _ in range(rng.randint(4, 9))]
            people.append({"pseudonym": pid, "area": area, "sect": _pick(rng, _SECTS), "sector": rng.choice(_SECTORS),
                           "skills": sorted(set(rng.sample(_SKILLS, rng.randint(0, 2)))),
                           "availability": parse_availability(slots)})
    ties = []
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            p = 0.006 + 0.22 * (a["area"] == b["area"]) + 0.12 * (a["sector"] == b["sector"]) \
                + 0.05 * (a["sect"] == b["sect"])
            if rng.random() < p:
                strength = min(5, 1 + rng.randint(0, 2) + (a["area"] == b["area"]) + (a["sect"] == b["sect"]))
                ties.append(VouchPut(id=vouch_id(a["pseudonym"], b["pseudonym"], False), voucher=a["pseudonym"],
                                     vouchee=b["pseudonym"], strength=strength, years=rng.randint(1, 30),
                                     directed=False))
    with vault.transaction() as tx:
        for p in people:
            tx.append("circles_member.put", MemberPut(
                pseudonym=p["pseudonym"], labels={"sect": p["sect"], "sector": p["sector"]}, skills=p["skills"],
                availability=p["availability"], area=p["area"], joined=f"2026-{rng.randint(1, 10):02d}-01"))
        for t in ties:
            tx.append("circles_vouch.put", t)
    formed = form_circles(vault, 5, 7, mix="sect", apply=True, seed=rng.randrange(2**31), exact=False, time_limit=10)
    start = dt.date(2026, 11, 1)
    n_meetings, scores, n_tasks = 0, [], 0
    for i, c in enumerate(formed.circles):
        plan_ = schedule(vault, c.id, weeks=8, start=start.isoformat(), seed=rng.randrange(2**31), lang="ar")
        n_meetings += len(plan_.meetings)
        scores.append(plan_.unpredictability["score"])
        # each circle has a concrete project, in steps with due days over its first three months
        project, steps = _PROJECTS[i % len(_PROJECTS)]
        with vault.transaction() as tx:
            tx.append("circles_circle.put", CirclePut(id=c.id, project=project))
            for j, title in enumerate(steps):
                due = start + dt.timedelta(days=12 + 22 * j + rng.randint(-4, 4))
                tx.append("circles_task.put", TaskPut(id=f"{c.id}-t{j + 1}", circle=c.id, title=title,
                                                      due=due.isoformat(), done=None))
                n_tasks += 1
    report = exposure_report(vault, k=3, trials=300, with_compare=True, seed=rng.randrange(2**31))
    assert isinstance(report, ComparedExposure)
    cmp = report.compare
    return {
        "circle_members": len(people),
        "vouches": len(ties),
        "circles": len(formed.circles),
        "placed_share": formed.metrics.placed_share,
        "sect_mixing": formed.metrics.mixing,
        "mean_exposure": cmp.lattice.exposure.one.mean,
        "mean_exposure_one_group": cmp.one_group.exposure.one.mean,
        "worst_exposure": cmp.lattice.exposure.one.worst,
        "worst_exposure_hierarchy": cmp.hierarchy.exposure.one.worst,
        "meetings_8_weeks": n_meetings,
        "project_tasks": n_tasks,
        "meeting_unpredictability": round(sum(scores) / len(scores), 3) if scores else None,
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """Harmless content for the decoy vault: a handful of neighbours in a tea-and-cards group."""
    names = sorted({"m-" + "".join(rng.choice(_ALPHABET) for _ in range(4)) for _ in range(rng.randint(5, 6))})
    with vault.transaction() as tx:
        for name in names:
            tx.append("circles_member.put", MemberPut(pseudonym=name, labels={}, skills=[], availability=[]))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                tx.append("circles_vouch.put", VouchPut(id=vouch_id(a, b, False), voucher=a, vouchee=b,
                                                        strength=rng.randint(3, 5), directed=False))
        tx.append("circles_circle.put", CirclePut(id="c-" + "".join(rng.choice(_ALPHABET) for _ in range(4)),
                                                  members=names, project="tea and cards"))
