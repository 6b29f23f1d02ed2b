"""Property: for random bundles from random roles, the receiving vault gains exactly the sent events
when every one is permitted to its author's role, and is byte-identical when any one is not.

The oracle below is written from the roles table in docs/threat-model.md, independently of
``halqa.vault.authz``."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.bridge import import_bundle
from halqa.errors import InvalidInput
from halqa.places import add_area, add_household
from halqa.vault import Vault
from tests.conftest import new_vault

from .test_roles import add, files, forge, own_commits

_COUNTER = itertools.count()
ROLE = st.sampled_from(["device", "member", "ally", "circle", "hub"])
# (what the sender writes, the roles that may write it)
ACTIONS = {
    "own_tally": {"device", "member"},
    "other_tally": {"device"},
    "grievance": {"device", "member"},
    "new_tactic": {"device", "ally"},
    "circle_tactic": {"device"},
    "aggregate": {"device", "circle", "hub"},
    "contact": {"device"},
    "redact": {"device"},
    "area": {"device"},
}


def _write(sender: Vault, action: str, i: int, ctx: dict) -> None:
    if action in ("own_tally", "other_tally"):
        hh = ctx["own"] if action == "own_tally" else ctx["other"]
        sender.append("ledger_tally.put", {"id": f"{hh}|2026-01-{i + 1:02d}", "household": hh, "area": "NKH",
                                           "day": f"2026-01-{i + 1:02d}", "hours_off": 3.5})
    elif action == "grievance":
        sender.append("listening_grievance.put", {"id": f"g-{i}", "text": "no water for three days", "place": "NKH",
                                                  "day": "2026-01-05", "themes": ["water"]})
    elif action == "new_tactic":
        sender.append("learning_tactic.put", {"id": f"t-{i}", "title": "a sit-in"})
    elif action == "circle_tactic":
        sender.append("learning_tactic.put", {"id": "t-circle", "title": "changed"})
    elif action == "aggregate":
        sender.append("bridge_aggregate.put", {"id": f"a-{i}", "dataset": "grievances", "created": "2026-01-05",
                                               "threshold": 5, "cells": [["NKH", "water", "2026-01-05", 7.0, 7]]})
    elif action == "contact":
        sender.append("bridge_contact.put", {"id": f"c-{i}", "name": f"new-{i}"})
    elif action == "redact":
        sender.append("vault.redact", {"targets": [ctx["target"]]})
    elif action == "area":
        sender.append("area.put", {"code": f"A{i}", "name_ar": "x"})


def _foreign_events(v: Vault) -> set[bytes]:
    return {bytes(r[0]) for r in v.query("SELECT e.eid FROM events e JOIN devices d ON d.id = e.device WHERE d.local = 0")}


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="halqa-roles-") as d:
        yield Path(d)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=ROLE, actions=st.lists(st.sampled_from(sorted(ACTIONS)), min_size=1, max_size=5))
def test_import_adds_exactly_the_permitted_events_or_nothing(folder, role, actions):
    n = next(_COUNTER)
    receiver, sender = new_vault(folder, f"r{n}"), new_vault(folder, f"s{n}")
    try:
        add_area(receiver, "NKH", "حي النخيل")
        own, other = add_household(receiver, "NKH"), add_household(receiver, "NKH")
        receiver.append("learning_tactic.put", {"id": "t-circle", "title": "ours"})
        target = next(receiver.events(["area.put"]))
        scope = {"household": own} if role == "member" else {}
        add(receiver, "sender", sender, role, **scope)
        start = int(sender.meta("seq"))
        ctx = {"own": own, "other": other, "target": (target.hlc, target.id)}
        for i, action in enumerate(actions):
            _write(sender, action, i, ctx)
        records = own_commits(sender, start)
        sent = {e.id for r in records for e in r.events}
        before_files, before_events = files(receiver), _foreign_events(receiver)
        permitted = all(role in ACTIONS[a] for a in actions)
        if permitted:
            import_bundle(receiver, forge(sender, receiver, records))
            assert _foreign_events(receiver) == before_events | sent
        else:
            with pytest.raises(InvalidInput):
                import_bundle(receiver, forge(sender, receiver, records))
            assert files(receiver) == before_files
    finally:
        receiver.close()
        sender.close()
