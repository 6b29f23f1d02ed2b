"""Circle health from recorded facts, replication readiness, split and starter kit."""

from __future__ import annotations

import halqa.learning as learning
from halqa.circles import circles
from halqa.results import to_data
from tests.conftest import new_vault
from tests.learning.helpers import add_meetings, make_circles


def _healthy_months(vault, circle: str, members: list[str]) -> None:
    days = ["2027-01-05", "2027-01-15", "2027-01-25", "2027-02-05", "2027-02-15", "2027-02-25", "2027-03-05",
            "2027-03-15", "2027-03-25"]
    for mid in add_meetings(vault, circle, days):
        learning.attend(vault, mid, members[:-1])
    for day in days:
        for score in (4, 4, 5):
            learning.checkin(vault, circle, score, day=day)


def test_health_parts_and_replication(vault):
    cs = make_circles(vault, sizes=(7, 5))
    _healthy_months(vault, "c0", cs[0]["members"])
    # c1: meetings planned but mostly not held, a late decompression, a trial reported late
    for i, mid in enumerate(add_meetings(vault, "c1", ["2027-03-02", "2027-03-09", "2027-03-16", "2027-03-23"])):
        learning.attend(vault, mid, ["c1m0", "c1m1"] if i == 0 else [], held=i == 0)
    learning.care_plan(vault, "act-1", circle="c1", day="2027-03-01", within=3, today="2027-03-01")
    learning.care_held(vault, "act-1", day="2027-03-10")
    s = learning.add_session(vault, "c0", "Flint", tactic_id="lib-flint-water-testing", month="2027-02", tries="c1",
                             due="2027-03-10")
    learning.report_session(vault, s.id, "tried", day="2027-03-20")
    # project tasks: c0 delivers on time; c1 one late, one not done, one not yet due
    from halqa.circles import add_task, task_done

    for i, due in enumerate(["2027-01-20", "2027-02-20", "2027-03-20"]):
        task_done(vault, add_task(vault, "c0", f"step {i}", due).id, due)
    task_done(vault, add_task(vault, "c1", "late step", "2027-03-05").id, "2027-03-12")
    add_task(vault, "c1", "forgotten step", "2027-03-15")
    add_task(vault, "c1", "next step", "2027-04-20")
    out = learning.health(vault, today="2027-04-01")
    assert set(to_data(out)) == {"circles"}
    by = {c.id: c for c in out.circles}
    assert set(to_data(by["c0"])) >= {"id", "score", "parts", "replication_ready"}
    assert set(by["c0"].parts) == set(learning.PARTS)
    c0, c1 = by["c0"], by["c1"]
    assert c0.parts["meetings"] == 1.0 and c0.parts["attendance"] == round(6 / 7, 3)
    assert c0.parts["wellbeing"] == round((13 / 3 - 1) / 4, 3) and c0.parts["pools"] is None
    assert c1.parts["meetings"] == 0.25 and c1.parts["care"] == 0.5
    assert c1.parts["tasks_on_time"] == round((0.5 + 0.0 + 0.0) / 3, 3)  # late task, forgotten task, late trial
    assert c0.parts["tasks_on_time"] == 1.0
    assert c0.score > 80 > c1.score
    assert c0.replication_ready and not c1.replication_ready
    assert [m.month for m in c0.monthly] == ["2027-01", "2027-02", "2027-03"]

    before = circles(vault)
    rep = learning.replicate(vault, "c0", today="2027-04-01")
    assert rep.ready and rep.suggestion_only and rep.recorded is None
    stay, new = rep.split.stay, rep.split.new
    assert sorted(stay + new) == sorted(cs[0]["members"]) and len(new) >= 3 and "c0m0" in stay  # the liaison stays
    kit = rep.kit
    assert kit.practices.meeting_gap_days == 10 and len(kit.codebook.key) == 64
    assert kit.codebook.themes and kit.codebook.places == {"NKH": kit.codebook.places["NKH"]}
    assert kit.codebook.place_order == ["NKH"]
    assert circles(vault) == before  # nothing about the circles changed
    small = learning.replicate(vault, "c1", today="2027-04-01")
    assert not small.ready and "too_small" in small.reasons
    recorded = learning.replicate(vault, "c0", dry_run=False, today="2027-04-01")
    assert vault.query_one("SELECT circle FROM learning_kit WHERE id = ?", (recorded.recorded,))[0] == "c0"
    assert circles(vault) == before


def test_tactics_that_worked_travel_in_the_kit(vault):
    make_circles(vault, sizes=(6, 5))
    s = learning.add_session(vault, "c1", "Orangi", tactic_id="lib-orangi-lane-sewers", month="2027-01", tries="c0")
    learning.report_session(vault, s.id, "tried", keep=True, change="Start with one lane")
    dropped = learning.add_session(vault, "c1", "x", tactic="A tactic that failed", month="2027-01", tries="c0")
    learning.report_session(vault, dropped.id, "tried", keep=False)
    kit = learning.starter_kit(vault, "c0")
    assert [t.tactic_id for t in kit.tactics_that_worked] == ["lib-orangi-lane-sewers"]


def test_rebuild_gives_identical_tables(vault):
    make_circles(vault, sizes=(5, 5, 5))
    learning.plan(vault, months=4, start="2027-01", seed=2)
    learning.plan(vault, months=2, start="2027-03", seed=5)
    learning.blackout(vault, "c0", ["2027-08"])
    learning.blackout(vault, "c0", ["2027-08"], remove=True)
    learning.blackout(vault, "c0", ["2027-08"])
    s = learning.add_session(vault, "c0", "m", tactic="t", month="2027-01")
    learning.report_session(vault, s.id, "partly")
    learning.care_plan(vault, "a1", circle="c1", day="2027-01-01")
    learning.checkin(vault, "c2", 3, "ok")
    before = vault.digests()
    assert vault.rebuild() == before
    assert vault.query("SELECT count(*) FROM learning_blackout WHERE active = 1")[0][0] == 1


def test_kit_codebook_reads_the_new_circles_lines(vault, tmp_path):
    import halqa.listening as listening

    make_circles(vault, sizes=(6,))
    kit = learning.starter_kit(vault, "c0").codebook
    with new_vault(tmp_path, "new") as new:
        listening.adopt_codebook(new, kit.key, kit.place_order)
        lines = [listening.encode_line(new, "water", 4, "NKH"), listening.encode_line(new, "wages", 2, "NKH", lang="ar")]
    book = listening.codebook_for_key(kit.key, kit.place_order)
    assert book.table() == {"themes": kit.themes, "places": kit.places}
    assert [book.decode(x) for x in lines] == [{"theme": "water", "count": 4, "place": "NKH"},
                                               {"theme": "wages", "count": 2, "place": "NKH"}]
    # a fresh key each time, unrelated to this vault's own codebook
    again = learning.starter_kit(vault, "c0").codebook
    assert again.key != kit.key and kit.key != listening.codebook(vault).key.hex()
