"""The JSON shapes ``--json`` and ``/api/learning`` give (keys, in order, and the kinds of values),
pinned so typed results keep them exactly."""

from __future__ import annotations

import halqa.learning as learning
from halqa.results import to_data
from tests.learning.helpers import add_meetings, make_circles


def shape(value):
    """Keys in order (first item of each list), with the type name of each leaf."""
    data = to_data(value)
    if isinstance(data, dict):
        return {k: shape(v) for k, v in data.items()}
    if isinstance(data, list):
        return [shape(data[0])] if data else []
    return type(data).__name__


SESSION = {"id": "str", "circle": "str", "month": "str", "movement": "str", "place": "str", "years": "str",
           "tactic": "str", "tactic_id": "str", "themes": ["str"], "adaptation": "str", "tries": "str", "due": "str",
           "added": "str", "outcome": "str", "happened": "str", "change": "str", "keep": "bool", "reported": "str"}
TRIAL = {"session": "str", "month": "str", "studied_by": "str", "tried_by": "str", "outcome": "str", "keep": "bool",
         "happened": "str", "change": "str", "reported": "str"}
CARE = {"action": "str", "circle": "str", "kind": "str", "action_day": "str", "high_risk": "bool", "within_days": "int",
        "gathering": {"day": "str", "part": "str", "form": "str", "host": "str", "due": "str"}, "held": "NoneType",
        "status": "str"}
WEEK = {"week": "str", "checkins": "int", "mean": "float", "strained_share": "float"}


def test_learning_results_keep_their_json_shape(vault):
    make_circles(vault, sizes=(6, 5, 5))
    [mid] = add_meetings(vault, "c0", ["2027-03-04"])
    assert shape(learning.blackout(vault, "c1", ["2027-02"])) == {"circle": "str", "months": ["str"], "removed": "bool"}
    assert shape(learning.plan(vault, months=3, start="2027-01", seed=1)) == {
        "sessions": [{"month": "str", "circle": "str", "kind": "str"}]}
    assert shape(learning.saved_plan(vault)) == [{"month": "str", "circle": "str", "kind": "str"}]
    s = learning.add_session(vault, "c0", "Flint", tactic_id="lib-flint-water-testing", month="2027-01", tries="c1",
                             place="Flint", years="2014", adaptation="strips", day="2027-01-10")
    own = learning.add_session(vault, "c2", "Ours", tactic="Count hours", themes=["power"], month="2027-01", tries="c2",
                               day="2027-01-11")
    reported = learning.report_session(vault, s.id, "tried", happened="done", change="less", keep=True, day="2027-02-01")
    assert shape(reported) == SESSION
    assert shape(learning.sessions(vault, circle="c1", today="2027-02-02")) == [{**SESSION, "overdue": "bool"}]
    library_case = learning.tactic(vault, "lib-flint-water-testing")
    assert shape(library_case) == {
        "id": "str", "title": "str", "movement": "str", "place": "str", "years": "str", "themes": ["str"],
        "description": "str", "sources": ["str"], "origin": "str", "title_en": "str", "title_ar": "str",
        "description_en": "str", "description_ar": "str", "trials": [TRIAL], "tried": "int", "kept": "int"}
    assert set(to_data(learning.tactic(vault, own.tactic_id))) == {
        "id", "title", "themes", "place", "years", "description", "sources", "origin", "circle", "trials", "tried",
        "kept"}
    care = learning.care_plan(vault, mid, within=3, today="2027-03-04")
    assert shape(care) == CARE
    assert shape(learning.care_held(vault, mid, day="2027-03-06", today="2027-03-06")) == {**CARE, "held": "str"}
    for score in (2, 3, 4):
        assert shape(learning.checkin(vault, "c0", score, "ok", day="2027-03-08")) == {
            "circle": "str", "week": "str", "shared": "bool"}
    learning.checkin(vault, "c0", 4, "fine", member="c0m1", share=True, day="2027-03-08")
    wellbeing = {"circle": "str", "weeks": [WEEK], "strained": "bool", "words": {"ok": "int", "fine": "int"},
                 "shared": [{"member": "str", "week": "str", "score": "int", "word": "str"}]}
    assert shape(learning.wellbeing(vault, "c0", weeks=1, today="2027-03-09")) == wellbeing
    learning.care_plan(vault, "act-1", circle="c1", day="2027-03-10", today="2027-03-10")
    status = learning.care_status(vault, circle="c0", weeks=1, today="2027-03-09")
    assert shape(status) == {"today": "str", "reminders": [], "circles": [{**wellbeing, "notify": "NoneType",
                                                                           "care_held": "int"}]}
    assert shape(learning.care_status(vault, today="2027-03-20"))["reminders"] == [{**CARE, "status": "str"}]
    health = learning.health(vault, today="2027-04-01")
    assert list(to_data(health)) == ["circles"]
    assert list(to_data(health)["circles"][0]) == ["id", "score", "parts", "replication_ready", "size", "monthly"]
    assert list(to_data(health)["circles"][0]["parts"]) == list(learning.PARTS)
    assert shape(health)["circles"][0]["monthly"] == [{"month": "str", "score": "NoneType"}]
    kit = {"from_circle": "str", "made": "str",
           "practices": {"meeting_gap_days": "NoneType", "meeting_kinds": ["str"], "roles": [], "care_forms": ["str"],
                         "decompressions_held": "int", "checkins": "bool", "project": "NoneType"},
           "tactics_that_worked": [], "codebook": {"key": "str", "place_order": ["str"]}}
    got = shape(learning.starter_kit(vault, "c0", today="2027-04-01"))
    assert list(got["codebook"]) == ["key", "place_order", "themes", "places"]
    assert {**got, "codebook": {k: got["codebook"][k] for k in ("key", "place_order")}} == kit
    rep = to_data(learning.replicate(vault, "c0", today="2027-04-01"))
    assert list(rep) == ["circle", "ready", "split_found", "score", "monthly", "reasons", "split", "kit",
                         "suggestion_only", "recorded"]
    assert list(rep["split"]) == ["stay", "new", "cut_strength"]
    cards = learning.quiet_action(vault, "2027-04-01", 12, {"c0": "silence"})
    assert shape(cards) == {"day": "str", "hour": "int", "cards": [{"circle": "str", "card": "str"}]}
    assert shape(learning.set_circle_key(vault, "c1", "00" * 32)) == {"circle": "str", "recorded": "bool"}
    assert shape(learning.attend(vault, mid, ["c0m0"])) == {"meeting": "str", "circle": "str", "day": "str",
                                                            "held": "bool", "present": ["str"], "attendance": "float"}
    assert [v.get("from") for v in to_data(learning.fairness_violations(
        learning.greedy_rotation(["a", "b", "c"], [f"2027-{m:02d}" for m in range(1, 13)]), ["a", "b", "c"]))][:1] == \
        ["2027-01"]
