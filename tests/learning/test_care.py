"""Care after risk: decompression gatherings and reminders, private check-ins, attendance."""

from __future__ import annotations

import pytest

import halqa.learning as learning
from halqa.errors import InvalidInput, NotFound
from halqa.results import to_data
from tests.conftest import new_vault
from tests.learning.helpers import add_meetings, make_circles


def test_high_risk_meeting_gets_a_gathering_and_reminders_until_held(vault):
    make_circles(vault, sizes=(5, 5))
    [mid] = add_meetings(vault, "c0", ["2027-03-04"])
    care = learning.care_plan(vault, mid, within=3, form="poetry", today="2027-03-04")
    assert care.circle == "c0" and care.kind == "meeting" and care.action_day == "2027-03-04"
    g = care.gathering
    assert "2027-03-05" <= g.day <= "2027-03-07" == g.due and g.part == "evening"  # members free evenings only
    assert g.host in [f"c0m{i}" for i in range(5)] and g.form == "poetry"
    assert [r.action for r in learning.care_status(vault, today="2027-03-06").reminders] == [mid]
    assert learning.care_status(vault, today="2027-03-09").reminders[0].status == "overdue"
    held = learning.care_held(vault, mid, day="2027-03-06", today="2027-03-06")
    assert held.status == "held"
    assert learning.care_status(vault, today="2027-03-09").reminders == []
    with pytest.raises(InvalidInput):
        learning.care_plan(vault, mid)  # already held


def test_action_needs_circle_and_the_carer_hosts(vault):
    make_circles(vault, sizes=(5,))
    from halqa.circles import set_role

    set_role(vault, "c0", "c0m3", "carer")
    with pytest.raises(InvalidInput):
        learning.care_plan(vault, "act-sit-in")
    care = learning.care_plan(vault, "act-sit-in", circle="c0", day="2027-05-01", within=5, form="meal")
    assert care.kind == "action" and care.gathering.host == "c0m3"
    assert care.gathering.due == "2027-05-06"
    with pytest.raises(InvalidInput):
        learning.care_plan(vault, "act-2", circle="c0", day="2027-05-01", form="party")
    with pytest.raises(InvalidInput):
        learning.care_plan(vault, "act-2", circle="c0", day="2027-05-01", within=0)
    with pytest.raises(NotFound):
        learning.care_held(vault, "act-never")


def test_checkins_are_private_unless_shared(vault):
    make_circles(vault, sizes=(5,))
    learning.checkin(vault, "c0", 2, "tired", member="c0m1", day="2027-01-04")
    learning.checkin(vault, "c0", 4, "ok", member="c0m2", share=True, day="2027-01-05")
    # the private one carries no member anywhere: not in the table, not in the event
    rows = vault.query("SELECT member FROM learning_checkin ORDER BY score")
    assert [r[0] for r in rows] == [None, "c0m2"]
    payloads = [e.payload for e in vault.events(["learning_checkin.put"])]
    assert not any(getattr(p, "member", None) == "c0m1" for p in payloads)
    assert all(len(p.week) == 8 for p in payloads)  # a week, not a day
    w = learning.wellbeing(vault, "c0", today="2027-01-06")
    assert to_data(w.weeks[-1]) == {"week": "2027-W01", "checkins": 2, "mean": None, "strained_share": None}  # too few to show
    assert w.words == {} and to_data(w.shared) == [{"member": "c0m2", "week": "2027-W01", "score": 4, "word": "ok"}]
    with pytest.raises(InvalidInput):
        learning.checkin(vault, "c0", 6)
    with pytest.raises(InvalidInput):
        learning.checkin(vault, "c0", 3, "two words")
    with pytest.raises(InvalidInput):
        learning.checkin(vault, "c0", 3, share=True)
    with pytest.raises(InvalidInput):
        learning.checkin(vault, "c0", 3, member="stranger", share=True)


def test_strain_for_several_weeks_is_flagged_to_the_liaison(vault):
    make_circles(vault, sizes=(5, 5))
    for day in ("2027-01-04", "2027-01-11", "2027-01-18"):
        for score in (2, 2, 3):
            learning.checkin(vault, "c0", score, "worried", day=day)
        for score in (4, 5, 4):
            learning.checkin(vault, "c1", score, day=day)
    status = learning.care_status(vault, today="2027-01-20")
    by = {c.circle: c for c in status.circles}
    assert by["c0"].strained and by["c0"].notify == "c0m0"
    assert not by["c1"].strained and by["c1"].notify is None
    assert by["c0"].weeks[-1].mean == 2.33 and by["c0"].words == {"worried": 9}
    # two strained weeks are not yet "several"
    assert not learning.wellbeing(vault, "c0", today="2027-01-13").strained


def test_attendance_is_an_alias_of_circles_meeting_held(vault):
    from halqa.circles import attendance

    make_circles(vault, sizes=(5,))
    [mid] = add_meetings(vault, "c0", ["2027-02-02"])
    out = learning.attend(vault, mid, ["c0m0", "c0m1", "c0m2"])
    assert out.attendance == 0.6 and out.day == "2027-02-02"
    with pytest.raises(InvalidInput):
        learning.attend(vault, mid, ["outsider"])
    with pytest.raises(InvalidInput):
        learning.attend(vault, mid, ["c0m1"], held=False)
    with pytest.raises(InvalidInput):
        learning.attend(vault, "unplanned-1", ["c0m1"])
    assert learning.attend(vault, "unplanned-1", [], held=False, circle="c0", day="2027-02-09").held is False
    assert [(a.meeting, a.held, a.present) for a in attendance(vault, "c0")] == [
        (mid, True, ["c0m0", "c0m1", "c0m2"]), ("unplanned-1", False, [])]


def test_quiet_action_cards_hold_only_time_and_own_instruction(vault, tmp_path):
    import halqa.listening as listening

    make_circles(vault, sizes=(5, 5))
    out = learning.quiet_action(vault, "2027-04-01", 12, {"c0": "silence", "c1": "cleanup"})
    cards = {c.circle: c.card for c in out.cards}
    assert to_data(learning.open_card(vault, "c0", cards["c0"])) == {"day": "2027-04-01", "hour": 12, "do": "silence"}
    assert "c1" not in cards["c1"] and "cleanup" not in cards["c1"] and "2027-04-01" not in cards["c1"]  # an errand line
    with pytest.raises(InvalidInput):
        learning.open_card(vault, "c1", cards["c0"])  # not for that circle
    # each card is written with its circle's codebook: circle B's codebook cannot read circle A's card
    key_a, key_b = learning.circle_key(vault, "c0"), learning.circle_key(vault, "c1")
    assert key_a != key_b
    assert listening.codebook_for_key(key_b).decode_quiet(cards["c0"]) == {"not_a_code": True}
    assert listening.codebook_for_key(key_a).decode_quiet(cards["c0"])["action"] == "silence"
    # circle A's own vault, once it adopted its key, reads its card and nothing else
    with new_vault(tmp_path, "a") as own:
        listening.adopt_codebook(own, key_a)
        make_circles(own, sizes=(5,))
        assert learning.open_card(own, "c0", cards["c0"]).do == "silence"
        with pytest.raises(InvalidInput):
            learning.open_card(own, "c0", cards["c1"])
    # a key the circle already uses can be recorded instead
    theirs = listening.fresh_codebook_key()
    learning.set_circle_key(vault, "c1", theirs.hex())
    card = learning.quiet_action(vault, "2027-04-02", 9, {"c1": "candles"}, lang="ar").cards[0].card
    assert listening.codebook_for_key(theirs).decode_quiet(card) == {"day": "2027-04-02", "hour": 9, "action": "candles"}
    with pytest.raises(InvalidInput):
        learning.quiet_action(vault, "2027-04-01", 25, {"c0": "silence"})
    with pytest.raises(InvalidInput):
        learning.quiet_action(vault, "2027-04-01", 12, {"c0": "burn the office"})
