"""Learning sessions, care after risk, and circles that replicate by working.

This package owns every ``learning_*`` event kind and table (:mod:`~halqa.learning.records`):

- :mod:`~halqa.learning.rotation`: a fair monthly rotation of study and report sessions across
  circles, respecting blackout months (OR-Tools CP-SAT);
- :mod:`~halqa.learning.sessions`: session records (movement, tactic, adaptation, who tries it, by
  when; a month later the outcome) and the tactic archive with its trials across circles;
- :mod:`~halqa.learning.library`: the starter library of historical cases (package data, Arabic and
  English, with sources);
- :mod:`~halqa.learning.care`: high-risk actions and their decompression gatherings, private
  well-being check-ins (circle-level trends only unless a member opts in); attendance is
  recorded by :mod:`halqa.circles` (``attend`` is an alias);
- :mod:`~halqa.learning.health`: circle health from what is already recorded, replication
  readiness, a suggested split and a starter kit (never a command);
- :mod:`~halqa.learning.quiet`: synchronised quiet actions, each circle receiving only the time
  and its own action, written with its own codebook.

It builds on :mod:`halqa.circles` (circles, members, meetings, the trust graph and its split),
:mod:`halqa.listening` (codebooks: fresh keys for starter kits, quiet-action cards) and, for
health, :mod:`halqa.mutual_aid`, only through their public functions.
"""

from __future__ import annotations

from halqa.learning.care import attend, care_held, care_plan, care_status, checkin, wellbeing
from halqa.learning.demo import decoy, demo
from halqa.learning.health import PARTS, health, replicate, starter_kit
from halqa.learning.quiet import circle_key, open_card, quiet_action, set_circle_key
from halqa.learning.records import CARE_FORMS, MIN_CELL, OUTCOMES, THEMES
from halqa.learning.rotation import fairness_violations, greedy_rotation, rotation
from halqa.learning.sessions import (
    add_session,
    blackout,
    plan,
    report_session,
    saved_plan,
    sessions,
    tactic,
    tactics,
)

__all__ = [
    "CARE_FORMS",
    "MIN_CELL",
    "OUTCOMES",
    "PARTS",
    "THEMES",
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
