"""Trust circles: who vouches for whom, circles of five to seven, exposure, irregular meetings.

This package owns the circles domain: members (pseudonyms with optional coarse group labels,
skills, availability and an area code), vouching ties, circles, roles and meetings
(:mod:`~halqa.circles.records`); forming circles from the trust graph with constrained Leiden
or METIS, safe repair, local search and a CP-SAT optimum or bound on small networks
(:mod:`~halqa.circles.formation`, :mod:`~halqa.circles.exact`, :mod:`~halqa.circles.objective`);
exposure, resilience and the secrecy/information measures of Lindelauf, Borm & Hamers
(:mod:`~halqa.circles.measures`); and irregular meetings with rotating hosts exported as
innocuous calendar entries (:mod:`~halqa.circles.schedule`). Group labels never leave the vault.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from halqa.circles.formation import METHODS, REASONS, Formation, baseline_leiden, baseline_metis, eligible, form, split_circle
from halqa.circles.graph import TrustGraph, from_vault
from halqa.circles.measures import compare, exposure, network_measures, structure_graph
from halqa.circles.objective import Weights, evaluate
from halqa.circles.ops import export_ics, exposure_report, form_circles, measure, schedule, show
from halqa.circles.records import (
    add_member,
    add_task,
    add_vouch,
    attendance,
    circle,
    circles,
    import_members,
    import_vouches,
    meeting_held,
    meetings,
    members,
    set_role,
    task_done,
    tasks,
    vouches,
)
from halqa.circles.schedule import plan, to_ics, unpredictability
from halqa.places import area_codes
from halqa.vault import Vault

__all__ = [
    "METHODS",
    "REASONS",
    "Formation",
    "TrustGraph",
    "Weights",
    "add_member",
    "add_task",
    "add_vouch",
    "attendance",
    "baseline_leiden",
    "baseline_metis",
    "circle",
    "circles",
    "compare",
    "decoy",
    "demo",
    "eligible",
    "evaluate",
    "export_ics",
    "exposure",
    "exposure_report",
    "form",
    "form_circles",
    "from_vault",
    "import_members",
    "import_vouches",
    "measure",
    "meeting_held",
    "meetings",
    "members",
    "network_measures",
    "plan",
    "schedule",
    "set_role",
    "show",
    "split_circle",
    "structure_graph",
    "task_done",
    "tasks",
    "to_ics",
    "unpredictability",
    "vouches",
]

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


def demo(vault: Vault, rng: random.Random, per_area: int = 16) -> dict[str, Any]:
    """Add the demo neighbourhood's circles: ~100 pseudonymous members across the areas made by
    :func:`halqa.places.demo` (sect and sector labels, availability, a vouching network with
    neighbourhood, workplace and sect homophily), then form circles mixing sects, plan eight
    weeks of meetings for each and give each a project in four tasks due over its first three
    months (:func:`halqa.learning.demo` records which meetings were held and which tasks got done).
    Returns headline figures."""
    from halqa.circles.records import MemberPut, VouchPut, parse_availability, vouch_id

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
    from halqa.circles.records import CirclePut, TaskPut

    for i, c in enumerate(formed["circles"]):
        plan_ = schedule(vault, c["id"], weeks=8, start=start.isoformat(), seed=rng.randrange(2**31), lang="ar")
        n_meetings += len(plan_["meetings"])
        scores.append(plan_["unpredictability"]["score"])
        # each circle has a concrete project, in steps with due days over its first three months
        project, steps = _PROJECTS[i % len(_PROJECTS)]
        with vault.transaction() as tx:
            tx.append("circles_circle.put", CirclePut(id=c["id"], project=project))
            for j, title in enumerate(steps):
                due = start + dt.timedelta(days=12 + 22 * j + rng.randint(-4, 4))
                tx.append("circles_task.put", TaskPut(id=f"{c['id']}-t{j + 1}", circle=c["id"], title=title,
                                                      due=due.isoformat(), done=None))
                n_tasks += 1
    cmp = exposure_report(vault, k=3, trials=300, with_compare=True, seed=rng.randrange(2**31))["compare"]
    return {
        "circle_members": len(people),
        "vouches": len(ties),
        "circles": len(formed["circles"]),
        "placed_share": formed["metrics"]["placed_share"],
        "sect_mixing": formed["metrics"]["mixing"],
        "mean_exposure": cmp["lattice"]["exposure"]["one"]["mean"],
        "mean_exposure_one_group": cmp["one_group"]["exposure"]["one"]["mean"],
        "worst_exposure": cmp["lattice"]["exposure"]["one"]["worst"],
        "worst_exposure_hierarchy": cmp["hierarchy"]["exposure"]["one"]["worst"],
        "meetings_8_weeks": n_meetings,
        "project_tasks": n_tasks,
        "meeting_unpredictability": round(sum(scores) / len(scores), 3) if scores else None,
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """Harmless content for the decoy vault: a handful of neighbours in a tea-and-cards group."""
    from halqa.circles.records import CirclePut, MemberPut, VouchPut, vouch_id

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
