"""Trust circles: who vouches for whom, circles of five to seven, exposure, irregular meetings.

This package owns the circles domain: members (pseudonyms with optional coarse group labels,
skills, availability and an area code), vouching ties, circles, roles and meetings
(kinds in :mod:`~halqa.circles.events`, writes in :mod:`~halqa.circles.write`, reads in
:mod:`~halqa.circles.read`); forming circles from the trust graph with constrained Leiden
or METIS, safe repair, local search and a CP-SAT optimum or bound on small networks
(:mod:`~halqa.circles.formation`, :mod:`~halqa.circles.exact`, :mod:`~halqa.circles.objective`);
exposure, resilience and the secrecy/information measures of Lindelauf, Borm & Hamers
(:mod:`~halqa.circles.analysis`); irregular meetings with rotating hosts exported as innocuous
calendar entries (:mod:`~halqa.circles.schedule`); and the demo step (:mod:`~halqa.circles.demo`).
Group labels never leave the vault.
"""

from __future__ import annotations

from halqa.circles.analysis import (
    ComparedExposure,
    Exposure,
    compare,
    exposure,
    exposure_report,
    measure,
    network_measures,
    show,
    structure_graph,
)
from halqa.circles.demo import decoy, demo
from halqa.circles.formation import (
    METHODS,
    REASONS,
    Formation,
    baseline_leiden,
    baseline_metis,
    eligible,
    form,
    form_circles,
    split_circle,
)
from halqa.circles.graph import TrustGraph, from_vault
from halqa.circles.objective import Weights, evaluate
from halqa.circles.read import Circle, Member, Task, attendance, circle, circles, meetings, member_names, members, tasks, vouches
from halqa.circles.schedule import export_ics, plan, schedule, to_ics, unpredictability
from halqa.circles.write import (
    Held,
    ImportReport,
    add_member,
    add_task,
    add_vouch,
    import_members,
    import_vouches,
    meeting_held,
    set_role,
    task_done,
)

__all__ = [
    "METHODS",
    "REASONS",
    "Circle",
    "ComparedExposure",
    "Exposure",
    "Formation",
    "Held",
    "ImportReport",
    "Member",
    "Task",
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
    "member_names",
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
