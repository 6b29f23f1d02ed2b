"""The commands, with the script interface kept exactly as the issue states."""

from __future__ import annotations

import json
import random
from collections import Counter

from halqa.learning import fairness_violations
from halqa.learning.read import Slot
from tests.learning.helpers import add_meetings, make_circles


def _ready(vault):
    make_circles(vault, sizes=(6, 5, 5, 5))
    [mid] = add_meetings(vault, "c0", ["2027-03-04"])
    vault.close()
    return mid


def test_learn_plan_json_is_exact_and_fair(vault, cli):
    _ready(vault)
    code, out = cli("learn", "plan", "--months", "12", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["sessions"]
    for s in data["sessions"]:
        assert set(s) == {"month", "circle", "kind"} and s["kind"] in ("study", "report")
        assert len(s["month"]) == 7 and s["month"][4] == "-"
    counts = Counter(s["circle"] for s in data["sessions"])
    assert max(counts.values()) - min(counts.get(c, 0) for c in ("c0", "c1", "c2", "c3")) <= 1
    assert not fairness_violations([Slot(**s) for s in data["sessions"]], ["c0", "c1", "c2", "c3"])
    code, out = cli("learn", "blackout", "c1", "2030-01", "2030-02", "--json")
    assert code == 0 and json.loads(out)["months"] == ["2030-01", "2030-02"]
    code, out = cli("learn", "plan", "--months", "2", "--start", "2030-01", "--dry-run", "--json")
    assert code == 0 and all(s["circle"] != "c1" for s in json.loads(out)["sessions"])
    code, out = cli("learn", "plan", "--months", "0", "--json")
    assert code == 2 and json.loads(out)["error"] == "learning.bad_months"


def test_sessions_and_archive_commands(vault, cli):
    _ready(vault)
    code, out = cli("learn", "session", "add", "--circle", "c0", "--movement", "Flint residents", "--from",
                    "lib-flint-water-testing", "--month", "2027-01", "--tries", "c1", "--adapt", "test 20 homes", "--json")
    assert code == 0, out
    sid = json.loads(out)["id"]
    code, out = cli("learn", "session", "report", sid, "--outcome", "tried", "--happened", "done", "--keep", "--json")
    assert code == 0 and json.loads(out)["keep"] is True
    code, out = cli("learn", "session", "list", "--circle", "c1", "--json")
    assert [s["id"] for s in json.loads(out)["sessions"]] == [sid]
    code, out = cli("learn", "tactics", "--theme", "water", "--outcome", "tried", "--json")
    assert [t["id"] for t in json.loads(out)["tactics"]] == ["lib-flint-water-testing"]
    code, out = cli("learn", "tactic", "lib-flint-water-testing", "--json")
    assert json.loads(out)["trials"][0]["tried_by"] == "c1"
    code, out = cli("learn", "tactics", "--search", "rent", "--json")
    assert code == 0 and "lib-glasgow-rent-strike" in {t["id"] for t in json.loads(out)["tactics"]}
    assert cli("learn", "tactics", "--search", "rent")[0] == 0
    code, out = cli("learn", "tactic", "lib-none", "--json")
    assert code == 2
    code, out = cli("learn", "session", "report", sid, "--outcome", "perhaps", "--json")
    assert code == 2 and json.loads(out)["error"] == "learning.bad_outcome"


def test_care_commands(vault, cli):
    mid = _ready(vault)
    code, out = cli("care", "plan", mid, "--json")
    assert code == 0, out
    care = json.loads(out)
    assert care["action"] == mid and care["circle"] == "c0" and care["high_risk"] is True
    assert "2027-03-05" <= care["gathering"]["day"] <= care["gathering"]["due"] == "2027-03-07"
    code, out = cli("care", "status", "--json")
    assert [r["action"] for r in json.loads(out)["reminders"]] == [mid]
    code, out = cli("care", "held", mid, "--day", "2027-03-06", "--json")
    assert json.loads(out)["status"] == "held"
    code, out = cli("care", "status", "--circle", "c0", "--json")
    assert json.loads(out)["reminders"] == []
    for score in ("2", "2", "3"):
        assert cli("care", "checkin", "--circle", "c0", "--score", score, "--word", "tired", "--json")[0] == 0
    code, out = cli("care", "checkin", "--circle", "c0", "--score", "4", "--member", "c0m1", "--share", "--json")
    assert json.loads(out)["shared"] is True
    code, out = cli("circles", "meeting", "held", mid, "--present", "c0m0,c0m1", "--json")
    assert code == 0 and json.loads(out)["present"] == ["c0m0", "c0m1"]
    code, out = cli("circles", "meeting", "list", "c0", "--json")
    assert [m["held"] for m in json.loads(out)["meetings"] if m["meeting"] == mid] == [True]
    code, out = cli("care", "plan", "act-x", "--json")
    assert code == 2 and json.loads(out)["error"] == "learning.care_needs_circle"
    code, out = cli("care", "checkin", "--circle", "c0", "--score", "9", "--json")
    assert code == 2


def test_circles_health_and_replicate(vault, cli):
    _ready(vault)
    code, out = cli("circles", "health", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["circles"] and [c["id"] for c in data["circles"]] == ["c0", "c1", "c2", "c3"]
    for c in data["circles"]:
        assert {"id", "score", "parts", "replication_ready"} <= set(c)
        assert isinstance(c["parts"], dict) and isinstance(c["replication_ready"], bool)
    code, out = cli("circles", "replicate", "c0", "--dry-run", "--json")
    assert code == 0, out
    rep = json.loads(out)
    assert rep["suggestion_only"] and rep["recorded"] is None and rep["split"] is not None
    code, out = cli("circles", "replicate", "nope", "--dry-run", "--json")
    assert code == 2
    code, out = cli("circles", "health")
    assert code == 0 and "c0" in out


def test_quiet_commands(vault, cli):
    _ready(vault)
    code, out = cli("learn", "quiet", "--day", "2027-04-01", "--hour", "12", "--instruction", "c0=silence",
                    "--instruction", "c1=cleanup", "--json")
    assert code == 0, out
    cards = {c["circle"]: c["card"] for c in json.loads(out)["cards"]}
    code, out = cli("learn", "card", "c1", cards["c1"], "--json")
    assert json.loads(out) == {"day": "2027-04-01", "hour": 12, "do": "cleanup"}
    assert cli("learn", "card", "c0", cards["c1"], "--json")[0] == 2
    code, out = cli("learn", "card", "c1", cards["c1"])
    assert code == 0 and "2027-04-01" in out
    assert cli("learn", "quiet", "--day", "2027-04-01", "--hour", "12", "--instruction", "c0=sweep", "--json")[0] == 2
    code, out = cli("learn", "circle-key", "c1", "--json")
    key = json.loads(out)["key"]
    assert code == 0 and len(key) == 64
    from halqa.listening import codebook_for_key

    assert codebook_for_key(key).decode_quiet(cards["c1"])["action"] == "cleanup"
    assert cli("learn", "circle-key", "c1", "--set", "00" * 32, "--json")[0] == 0
    assert cli("learn", "circle-key", "c1", "--set", "zz", "--json")[0] == 2


def test_demo_step(vault):
    from halqa import circles, learning, places

    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=2)
    circles.demo(vault, rng, per_area=8)
    out = learning.demo(vault, rng)
    assert out["learning_sessions_planned"] == 23 and out["learning_sessions_recorded"] == 2
    assert out["learning_health_mean"] is not None and out["learning_checkins"] > 0
    assert len(learning.tactics(vault, outcome="tried")) == 1 and len(learning.tactics(vault, outcome="partly")) == 1
    assert before_rebuild(vault)


def before_rebuild(vault) -> bool:
    before = vault.digests()
    return vault.rebuild() == before
