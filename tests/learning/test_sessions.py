"""Sessions, the saved plan and the tactic archive with its starter library."""

from __future__ import annotations

import pytest

import halqa.learning as learning
from halqa.errors import InvalidInput, NotFound
from halqa.learning import library
from halqa.results import to_data
from tests.learning.helpers import make_circles


def test_public_api_is_pinned():
    assert sorted(learning.__all__) == sorted([
        "CARE_FORMS", "MIN_CELL", "OUTCOMES", "PARTS", "THEMES", "add_session", "attend", "blackout", "care_held",
        "care_plan", "care_status", "checkin", "decoy", "demo", "fairness_violations", "greedy_rotation", "health",
        "open_card", "plan", "quiet_action", "replicate", "report_session", "rotation", "saved_plan", "sessions",
        "starter_kit", "tactic", "tactics", "wellbeing", "circle_key", "set_circle_key",
        "Care", "CareStatus", "Health", "Plan", "QuietCards", "Replication", "Session", "Tactic"])
    for name in learning.__all__:
        obj = getattr(learning, name)
        assert not callable(obj) or obj.__doc__, name


def test_starter_library_is_bilingual_with_sources():
    cases = library.cases()
    assert 30 <= len(cases) <= 45
    assert len({c["id"] for c in cases}) == len(cases)
    for c in cases:
        assert c["id"].startswith("lib-")
        for field in ("title", "movement", "place", "description"):
            assert c[field]["en"].strip() and c[field]["ar"].strip(), (c["id"], field)
            assert any("\u0600" <= ch <= "\u06ff" for ch in c[field]["ar"]), (c["id"], field)
        assert c["sources"] and all(len(s) > 10 for s in c["sources"])
        assert c["themes"] and set(c["themes"]) <= set(learning.THEMES)
    themes = {t for c in cases for t in c["themes"]}
    assert {"water", "wages", "power", "repression", "mutual_aid", "documentation"} <= themes


def test_plan_saves_and_blackouts_are_kept(vault):
    make_circles(vault, sizes=(5, 5, 5, 5))
    learning.blackout(vault, "c1", ["2027-02", "2027-03"])
    out = learning.plan(vault, months=12, start="2027-01", seed=3)
    assert list(to_data(out)) == ["sessions"]
    assert len(out.sessions) == 23
    assert not any(s.circle == "c1" and s.month in ("2027-02", "2027-03") for s in out.sessions)
    assert learning.saved_plan(vault) == sorted(out.sessions, key=lambda s: (s.month, s.kind != "study"))
    # re-planning from a later month keeps the months before, and the report after a recorded study
    again = learning.plan(vault, months=6, start="2027-07", seed=4).sessions
    assert again[0].kind == "study" and again[1].kind == "report"
    assert len(learning.saved_plan(vault)) == 12 + 11
    with pytest.raises(InvalidInput):
        learning.plan(vault, months=0)
    with pytest.raises(InvalidInput):
        learning.blackout(vault, "c1", ["2027-13"])


def test_session_report_and_archive(vault):
    make_circles(vault, sizes=(5, 5, 5))
    learning.plan(vault, months=3, start="2027-01", seed=1)
    study = learning.saved_plan(vault)[0]
    report_host = next(s.circle for s in learning.saved_plan(vault) if s.month == "2027-02" and s.kind == "report")
    s = learning.add_session(vault, study.circle, "Mazdoor Kisan Shakti Sangathan", month="2027-01",
                             tactic_id="lib-mkss-public-hearings", adaptation="Read the muster rolls aloud", day="2027-01-15")
    assert s.tries == report_host and s.due == "2027-02-28" and "wages" in s.themes
    own = learning.add_session(vault, "c2", "Our neighbours", tactic="Count generator hours on a shared sheet",
                               themes=["power"], month="2027-01", tries="c2", due="2027-02-10", day="2027-01-20")
    assert own.tactic_id.startswith("t-")
    learning.report_session(vault, s.id, "tried", happened="Three hearings", change="Invite fewer", keep=True, day="2027-02-20")
    learning.report_session(vault, own.id, "not-tried", keep=False, day="2027-02-12")
    t = learning.tactic(vault, "lib-mkss-public-hearings")
    assert [x.outcome for x in t.trials] == ["tried"] and t.kept == 1
    assert [x.id for x in learning.tactics(vault, outcome="tried")] == ["lib-mkss-public-hearings"]
    assert [x.id for x in learning.tactics(vault, outcome="not_tried")] == [own.tactic_id]
    assert own.tactic_id in {x.id for x in learning.tactics(vault, theme="power")}
    assert {x.id for x in learning.tactics(vault, circle="c2")} == {own.tactic_id}
    water = learning.tactics(vault, theme="water")
    assert "lib-flint-water-testing" in {x.id for x in water} and all("water" in x.themes for x in water)
    # words, in English and in Arabic (spelling variants folded)
    assert "lib-basra-water-documentation" in {x.id for x in learning.tactics(vault, text="basra")}
    assert "lib-basra-water-documentation" in {x.id for x in learning.tactics(vault, text="البصره", lang="ar")}
    assert learning.tactics(vault, text="no such words anywhere") == []
    assert [x.id for x in learning.sessions(vault, open_only=True)] == []
    with pytest.raises(NotFound):
        learning.add_session(vault, "c0", "x", tactic_id="lib-nothing")
    with pytest.raises(InvalidInput):
        learning.add_session(vault, "c0", "x", tactic="y", themes=["weather"])
    with pytest.raises(InvalidInput):
        learning.report_session(vault, s.id, "maybe")
    with pytest.raises(NotFound):
        learning.report_session(vault, "s-none", "tried")
    with pytest.raises(NotFound):
        learning.add_session(vault, "nope", "x", tactic="y")


def test_overdue_sessions_are_marked(vault):
    make_circles(vault, sizes=(5, 5))
    s = learning.add_session(vault, "c0", "m", tactic="t", tries="c1", due="2027-02-01", month="2027-01")
    assert learning.sessions(vault, today="2027-02-02")[0].overdue
    assert not learning.sessions(vault, today="2027-01-30")[0].overdue
    learning.report_session(vault, s.id, "partly", day="2027-02-03")
    assert not learning.sessions(vault, today="2027-03-01")[0].overdue
