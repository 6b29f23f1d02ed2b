"""Proposals, positions, in-person counts, closing, links and the log; merges from several devices."""

from __future__ import annotations

import pytest

from halqa.errors import InvalidInput, NotFound
from halqa.institutions import (
    ProposalLink,
    close,
    count_in_person,
    decision_log,
    link,
    position,
    proposal,
    proposals,
    propose,
)
from halqa.vault import export_commits

from ..conftest import ingest_from_devices as ingest
from ..conftest import new_vault
from .helpers import MEMBERS, neighbourhood


def test_consent_with_named_positions_and_a_hand_count(vault):
    neighbourhood(vault)
    p = propose(vault, "Water filter station", mode="consent", circles=["c0"], closes="2026-06-07", quorum=6,
                day="2026-06-01")
    assert p.options == ["agree", "abstain", "disagree", "block"] and p.outcome is None
    for m in MEMBERS[:4]:
        position(vault, p.id, m, "agree", day="2026-06-02")
    position(vault, p.id, MEMBERS[4], "Disagree", day="2026-06-02")
    position(vault, p.id, MEMBERS[4], "abstain", day="2026-06-03")  # changed their mind
    count_in_person(vault, p.id, {"agree": 3, "disagree": 1}, day="2026-06-05")
    assert proposal(vault, p.id).counts is None  # no running counts before the close
    res = close(vault, p.id, day="2026-06-08")
    assert res.outcome == "agreed" and res.participants == 9 and res.in_person == 4
    assert res.counts == {"agree": 7, "abstain": 1, "disagree": 1, "block": 0}
    assert res.took_part == sorted(MEMBERS[:5])
    with pytest.raises(InvalidInput) as err:
        position(vault, p.id, MEMBERS[0], "block", day="2026-06-07")
    assert err.value.msg_id == "institutions.closed"
    with pytest.raises(InvalidInput):
        close(vault, p.id)


def test_in_person_counts_keep_no_names(vault):
    neighbourhood(vault)
    p = propose(vault, "Secret ballot", ["yes", "no"], members=MEMBERS, day="2026-06-01")
    count_in_person(vault, p.id, {"yes": 5, "no": 2}, day="2026-06-02")
    [event] = [e for e in vault.events(["institutions_count.put"])]
    assert set(event.payload.__struct_fields__) == {"id", "proposal", "day", "counts"}
    row = vault.query_one("SELECT * FROM institutions_count")
    assert not any(m in str(tuple(row)) for m in MEMBERS)
    assert close(vault, p.id, day="2026-06-03").took_part == []


def test_ranked_with_positions_and_counts(vault):
    neighbourhood(vault)
    p = propose(vault, "Where first", ["Port", "Riverside", "Market"], mode="ranked", members=MEMBERS, day="2026-06-01")
    position(vault, p.id, "m-a", ["Market", "Port"], day="2026-06-02")
    position(vault, p.id, "m-b", ["Riverside", "Port"], day="2026-06-02")
    position(vault, p.id, "m-c", ["Port"], day="2026-06-02")
    count_in_person(vault, p.id, {"Port>Market": 2, "Riverside > Market": 1}, day="2026-06-02")
    res = close(vault, p.id, day="2026-06-03")
    # round 1: Port 3, Riverside 2, Market 1 (of 6) -> Market out, its ballot goes to Port -> 4 of 6
    assert res.outcome == "Port" and res.rounds[-1] == {"Port": 4, "Riverside": 2}
    assert res.counts == {"Port": 3, "Riverside": 2, "Market": 1}


@pytest.mark.parametrize("kwargs,msg", [
    ({"title": "x", "options": ["a"]}, "institutions.need_options"),
    ({"title": "x", "options": ["a", "a"]}, "institutions.need_options"),
    ({"title": "x", "options": ["a>b", "c"]}, "institutions.bad_option"),
    ({"title": "x", "options": ["a", "b"], "mode": "vote"}, "institutions.bad_mode"),
    ({"title": "x", "options": ["a", "b"], "mode": "consent"}, "institutions.consent_options"),
    ({"title": "", "options": ["a", "b"]}, "institutions.bad_text"),
    ({"title": "x", "options": ["a", "b"], "quorum": -1}, "institutions.bad_quorum"),
    ({"title": "x", "options": ["a", "b"], "closes": "2026-05-01", "day": "2026-06-01"}, "institutions.closes_before"),
    ({"title": "x", "options": ["a", "b"], "closes": "June"}, "error.bad_day"),
    ({"title": "x", "options": ["a", "b"], "circles": ["nope"]}, "circles.unknown_circle"),
])
def test_bad_proposals_write_nothing(vault, kwargs, msg):
    neighbourhood(vault)
    with pytest.raises(InvalidInput) as err:
        propose(vault, **kwargs)
    assert err.value.msg_id == msg
    assert proposals(vault) == []


def test_bad_positions_write_nothing(vault):
    neighbourhood(vault)
    p = propose(vault, "x", ["a", "b"], circles=["c0"], closes="2026-06-05", day="2026-06-01")
    cases = [(("m-f", "a"), "institutions.not_eligible"), (("m-a", "c"), "institutions.bad_choice"),
             (("m-a", ["a", "b"]), "institutions.one_choice"), (("m-a", []), "institutions.bad_choice"),
             (("0770 123 4567", "a"), "mutual_aid.error.name")]
    for (who, choice), msg in cases:
        with pytest.raises(InvalidInput) as err:
            position(vault, p.id, who, choice, day="2026-06-02")
        assert err.value.msg_id == msg
    with pytest.raises(InvalidInput) as err:
        position(vault, p.id, "m-a", "a", day="2026-06-06")
    assert err.value.msg_id == "institutions.past_closing"
    with pytest.raises(NotFound):
        position(vault, "p-nothing", "m-a", "a")
    for counts, msg in (({"c": 2}, "institutions.bad_choice"), ({"a": -1}, "institutions.bad_count"),
                        ({"a": 0}, "institutions.empty_count"), ({"a>b": 1}, "institutions.bad_choice")):
        with pytest.raises(InvalidInput) as err:
            count_in_person(vault, p.id, counts, day="2026-06-02")
        assert err.value.msg_id == msg
    assert vault.query_one("SELECT count(*) FROM institutions_position")[0] == 0
    assert vault.query_one("SELECT count(*) FROM institutions_count")[0] == 0
    rp = propose(vault, "r", ["a", "b", "c"], mode="ranked", day="2026-06-01")
    with pytest.raises(InvalidInput) as err:
        position(vault, rp.id, "m-a", ["a", "a"], day="2026-06-02")
    assert err.value.msg_id == "institutions.repeated_choice"


def test_links_and_the_decision_log(vault):
    neighbourhood(vault)
    from halqa.circles import add_task
    from halqa.institutions import create_service

    p = propose(vault, "x", ["a", "b"], circles=["c0"], day="2026-06-01")
    other = propose(vault, "y", ["a", "b"], day="2026-06-01")
    position(vault, p.id, "m-a", "a", day="2026-06-02")
    close(vault, p.id, day="2026-06-03")
    close(vault, other.id, day="2026-06-03")
    task = add_task(vault, "c0", "buy the filter", "2026-06-20")
    svc = create_service(vault, "water", "water", areas=["NKH"])
    link(vault, p.id, "task", task.id, day="2026-06-04")
    link(vault, p.id, "service", svc.id, day="2026-06-05")
    for kind, ref, msg in (("task", "t-none", "institutions.unknown_task"), ("service", "nope", "institutions.unknown_service"),
                           ("poem", "x", "institutions.bad_link")):
        with pytest.raises(InvalidInput) as err:
            link(vault, p.id, kind, ref)
        assert err.value.msg_id == msg
    log = decision_log(vault, circle="c0")
    assert [d.id for d in log] == [p.id] and log[0].outcome == "a"
    assert [ln.kind for ln in log[0].links] == ["task", "service"]
    assert len(decision_log(vault)) == 2 and decision_log(vault, since="2026-07-01") == []
    assert [x.id for x in proposals(vault, circle="c0")] == [p.id]


def test_positions_merge_from_several_devices(tmp_path):
    a, b = new_vault(tmp_path, "a"), new_vault(tmp_path, "b")
    try:
        neighbourhood(a)
        p = propose(a, "Generator share", ["yes", "no"], members=MEMBERS, day="2026-06-01")
        ingest(b, export_commits(a))
        position(a, p.id, "m-a", "yes", day="2026-06-02")
        position(b, p.id, "m-b", "no", day="2026-06-02")
        position(a, p.id, "m-c", "no", day="2026-06-02")
        position(b, p.id, "m-c", "yes", day="2026-06-03")  # the later change, on the other phone
        count_in_person(b, p.id, {"yes": 2}, day="2026-06-03")
        ingest(a, export_commits(b))
        ingest(b, export_commits(a))
        assert a.digests() == b.digests()
        res = close(a, p.id, day="2026-06-04")
        assert res.counts == {"yes": 4, "no": 1} and res.took_part == ["m-a", "m-b", "m-c"]
        ingest(b, export_commits(a))
        assert proposal(b, p.id).outcome == "yes"
        assert a.rebuild() == b.rebuild()
    finally:
        a.close()
        b.close()


def test_choosing_the_one_tactic_to_test_makes_the_session(vault):
    neighbourhood(vault)
    from halqa.institutions import adopt_tactic, choose_tactic
    from halqa.learning import sessions

    tactics = ["lib-flint-water-testing", "lib-cape-town-day-zero", "lib-kor-workers-defence"]
    p = choose_tactic(vault, "c0", tactics, "2026-09", day="2026-08-20", lang="en")
    assert p.mode == "ranked" and p.circles == ["c0"] and set(p.refs.values()) == set(tactics)
    flint, cape = ({r: o for o, r in p.refs.items()}[t] for t in tactics[:2])
    with pytest.raises(InvalidInput) as err:
        adopt_tactic(vault, p.id)
    assert err.value.msg_id == "institutions.still_open"
    for m in MEMBERS[:3]:
        position(vault, p.id, m, [flint, cape], day="2026-08-21")
    position(vault, p.id, MEMBERS[3], [cape], day="2026-08-21")
    close(vault, p.id, day="2026-08-28")
    session = adopt_tactic(vault, p.id, month="2026-09", day="2026-08-28")
    assert session.tactic_id == "lib-flint-water-testing" and session.circle == "c0" and session.month == "2026-09"
    assert [s.id for s in sessions(vault)] == [session.id]
    [entry] = decision_log(vault, circle="c0")
    assert entry.links == [ProposalLink(id=entry.links[0].id, kind="session", ref=session.id, note="",
                                        day="2026-08-28")]
    tie = choose_tactic(vault, "c0", tactics[:2], "2026-10", day="2026-09-20")
    position(vault, tie.id, "m-a", [tie.options[0]], day="2026-09-21")
    position(vault, tie.id, "m-b", [tie.options[1]], day="2026-09-21")
    close(vault, tie.id, day="2026-09-22")
    with pytest.raises(InvalidInput) as err:
        adopt_tactic(vault, tie.id)
    assert err.value.msg_id == "institutions.no_tactic_chosen"


def test_counts_come_back_in_the_order_of_the_options(vault):
    neighbourhood(vault)
    p = propose(vault, "x", ["zeta", "alpha", "mu"], mode="ranked", day="2026-06-01")
    position(vault, p.id, "m-a", ["mu", "alpha"], day="2026-06-02")
    res = close(vault, p.id, day="2026-06-03")
    assert list(res.counts) == ["zeta", "alpha", "mu"] and list(res.rounds[0]) == ["zeta", "alpha", "mu"]
