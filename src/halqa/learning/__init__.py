"""Learning sessions, care after risk, and circles that replicate by working.

This package owns every ``learning_*`` event kind and table (:mod:`~halqa.learning.events`):

- :mod:`~halqa.learning.write`: session records (movement, tactic, adaptation, who tries it, by
  when; a month later the outcome), the saved rotation and blackouts, high-risk actions and their
  decompression gatherings, private well-being check-ins; attendance is recorded by
  :mod:`halqa.circles` (``attend`` is an alias);
- :mod:`~halqa.learning.read`: the saved plan, sessions, the tactic archive with its trials across
  circles, care reminders and well-being (circle-level trends only unless a member opts in);
- :mod:`~halqa.learning.rotation`: a fair monthly rotation of study and report sessions across
  circles, respecting blackout months (OR-Tools CP-SAT);
- :mod:`~halqa.learning.library`: the starter library of historical cases (package data, Arabic and
  English, with sources);
- :mod:`~halqa.learning.health`: circle health from what is already recorded, replication
  readiness, a suggested split and a starter kit (never a command);
- :mod:`~halqa.learning.quiet`: synchronised quiet actions, each circle receiving only the time
  and its own action, written with its own codebook;
- :mod:`~halqa.learning.demo`: the learning part of ``halqa demo``.

It builds on :mod:`halqa.circles` (circles, members, meetings, the trust graph and its split),
:mod:`halqa.listening` (codebooks: fresh keys for starter kits, quiet-action cards) and, for
health, :mod:`halqa.mutual_aid`, only through their public functions.
"""

from __future__ import annotations

from halqa.learning.demo import decoy, demo
from halqa.learning.events import CARE_FORMS, MIN_CELL, OUTCOMES, THEMES
from halqa.learning.health import PARTS, Health, Replication, health, replicate, starter_kit
from halqa.learning.quiet import QuietCards, circle_key, open_card, quiet_action
from halqa.learning.read import (
    Care,
    CareStatus,
    Plan,
    Session,
    Tactic,
    care_status,
    saved_plan,
    sessions,
    tactic,
    tactics,
    wellbeing,
)
from halqa.learning.rotation import fairness_violations, greedy_rotation, rotation
from halqa.learning.write import (
    add_session,
    attend,
    blackout,
    care_held,
    care_plan,
    checkin,
    plan,
    report_session,
    set_circle_key,
)

__all__ = [
    "CARE_FORMS",
    "MIN_CELL",
    "OUTCOMES",
    "PARTS",
    "THEMES",
    "Care",
    "CareStatus",
    "Health",
    "Plan",
    "QuietCards",
    "Replication",
    "Session",
    "Tactic",
    "add_session",
    "attend",
    "blackout",
    "care_held",
    "care_plan",
    "care_status",
    "checkin",
    "circle_key",
    "decoy",
    "demo",
    "fairness_violations",
    "greedy_rotation",
    "health",
    "open_card",
    "plan",
    "quiet_action",
    "replicate",
    "report_session",
    "rotation",
    "saved_plan",
    "sessions",
    "set_circle_key",
    "starter_kit",
    "tactic",
    "tactics",
    "wellbeing",
]
