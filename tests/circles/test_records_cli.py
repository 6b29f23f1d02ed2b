import json

import pytest

import halqa.circles as circles
from halqa.errors import InvalidInput, NotFound
from halqa.results import to_data


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_public_api_is_pinned():
    assert sorted(circles.__all__) == sorted(set(circles.__all__))
    for name in circles.__all__:
        obj = getattr(circles, name)
        assert getattr(obj, "__doc__", None), name


def test_member_import_reports_bad_rows_keeps_good(vault, tmp_path):
    f = _write(tmp_path / "m.csv", "pseudonym,caste,religion\nm1,OBC,HINDUISM\nm2,,\n,OBC,X\nm1,GEN,X\nbad name,a,b\nm3,a\n")
    report = circles.import_members(vault, f)
    assert report.imported == 2
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "bad_pseudonym"), (5, "duplicate"), (6, "bad_pseudonym"), (7, "columns")]
    people = {m.pseudonym: m for m in circles.members(vault)}
    assert people["m1"].labels == {"caste": "OBC", "religion": "HINDUISM"}
    assert people["m2"].labels == {}
    with pytest.raises(InvalidInput):
        circles.import_members(vault, _write(tmp_path / "h.csv", "name,caste\nx,y\n"))


def test_vouch_import_and_validation(vault, tmp_path):
    for m in ("a", "b", "c"):
        circles.add_member(vault, m)
    f = _write(tmp_path / "v.csv", "from,to,strength\na,b,5\nb,c,9\na,zz,3\na,a,3\nb,c,x\nc,a,2\n")
    report = circles.import_vouches(vault, f)
    assert report.imported == 2
    assert [e.reason for e in report.errors] == ["bad_strength", "unknown_member", "self_vouch", "not_a_number"]
    ties = {t.id: t for t in circles.vouches(vault)}
    assert set(ties) == {"a~b", "a~c"} and not ties["a~b"].directed
    circles.import_vouches(vault, _write(tmp_path / "d.csv", "from,to,strength,years\nb,c,4,12\n"), directed=True)
    g = circles.from_vault(vault)
    assert g.index["b"] in g.vouchers[g.index["c"]] and g.index["c"] not in g.vouchers[g.index["b"]]
    with pytest.raises(NotFound):
        circles.add_vouch(vault, "a", "ghost")
    with pytest.raises(InvalidInput):
        circles.add_vouch(vault, "a", "b", strength=0)
    with pytest.raises(InvalidInput):
        circles.add_member(vault, "has space")
    with pytest.raises(InvalidInput):
        circles.add_member(vault, "ok", availability=["someday"])
    with pytest.raises(NotFound):
        circles.add_member(vault, "ok", area="NOWHERE")


def test_projections_rebuild_identically(vault):
    rng = __import__("random").Random(3)
    from halqa.places import demo as places_demo

    places_demo(vault, rng, households_per_area=2)
    circles.demo(vault, rng, per_area=8)
    before = vault.digests()
    assert vault.rebuild() == before


def _setup(cli, tmp_path, n=14):
    assert cli("init", "--kdf-memory", "8", "--kdf-time", "1")[0] == 0
    rows = "\n".join(f"m{i},{'a' if i % 2 else 'b'}" for i in range(n))
    code, out = cli("circles", "member", "import", str(_write(tmp_path / "m.csv", "pseudonym,sect\n" + rows + "\n")), "--json")
    assert code == 0 and json.loads(out)["imported"] == n
    ties = "\n".join(f"m{i},m{(i + d) % n},{1 + (i + d) % 5}" for i in range(n) for d in (1, 2, 3))
    code, out = cli("circles", "vouch", "import", str(_write(tmp_path / "v.csv", "from,to,strength\n" + ties + "\n")), "--json")
    assert code == 0 and json.loads(out)["errors"] == []


def test_cli_journey(cli, tmp_path):
    _setup(cli, tmp_path)
    code, out = cli("circles", "form", "--min", "5", "--max", "7", "--mix", "sect", "--apply", "--seed", "1", "--json")
    assert code == 0
    d = json.loads(out)
    assert set(d["metrics"]) == {"placed_share", "ties_inside_share", "mixing", "mean_exposure", "worst_exposure"}
    assert d["metrics"]["placed_share"] == 1.0 and d["exact"]["gap"] is not None
    cid = d["circles"][0]["id"]
    code, out = cli("circles", "measure", "--json")
    m = json.loads(out)
    assert code == 0 and {"n", "m", "information", "secrecy_s1", "secrecy_s3", "balance"} <= set(m)
    assert m["n"] == 14 and m["m"] == 42
    code, out = cli("circles", "measure", "--circles", "--json")
    assert json.loads(out)["m"] > 42
    code, out = cli("circles", "exposure", "--compare", "--trials", "50", "--json")
    assert code == 0 and set(json.loads(out)["compare"]) == {"lattice", "one_group", "hierarchy"}
    ics = tmp_path / "c.ics"
    code, out = cli("circles", "schedule", cid, "--weeks", "8", "--start", "2026-11-01", "--ics", str(ics), "--json")
    assert code == 0 and json.loads(out)["meetings"]
    assert ics.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
    assert cli("circles", "calendar", cid, "-o", str(tmp_path / "d.ics"))[0] == 0
    assert cli("circles", "role", cid, d["circles"][0]["members"][0], "liaison")[0] == 0
    code, out = cli("circles", "show", cid, "--json")
    assert json.loads(out)["liaison"] == d["circles"][0]["members"][0]
    code, out = cli("circles", "show")
    assert code == 0 and cid in out
    assert cli("circles", "member", "add", "newbie", "--label", "sect=a", "--available", "sat:evening")[0] == 0


def test_cli_bad_input_exit_codes(cli, tmp_path):
    _setup(cli, tmp_path)
    assert cli("circles", "vouch", "m1", "nobody")[0] == 2
    assert cli("circles", "vouch", "m1", "m2", "--strength", "7")[0] == 2
    assert cli("circles", "vouch", "m1")[0] == 2
    assert cli("circles", "form", "--min", "9", "--max", "3")[0] == 2
    assert cli("circles", "form", "--mix", "caste")[0] == 2
    assert cli("circles", "exposure")[0] == 2  # no circles recorded yet
    assert cli("circles", "schedule", "c-none")[0] == 2
    bad = _write(tmp_path / "bad.csv", "from,to,strength\nm1,m2,3\nm1,ghost,3\n")
    code, out = cli("circles", "vouch", "import", str(bad), "--json")
    assert code == 2 and json.loads(out)["errors"][0]["line"] == 3
    code, out = cli("circles", "member", "import", str(tmp_path / "missing.csv"), "--json")
    assert code == 2 and json.loads(out)["error"] == "circles.file_unreadable"


def _small_circle(vault):
    from halqa.circles.events import CirclePut, MeetingPut

    for m in ("a", "b", "c", "d", "e"):
        circles.add_member(vault, m)
    with vault.transaction() as tx:
        tx.append("circles_circle.put", CirclePut(id="k1", members=["a", "b", "c", "d", "e"], project="tool library"))
        tx.append("circles_meeting.put", MeetingPut(id="k1:2027-01-05:0", circle="k1", day="2027-01-05", part="evening",
                                                    hour=19, host="a", kind="regular", cover="Family visit"))


def test_meetings_held_and_project_tasks(vault):
    _small_circle(vault)
    out = circles.meeting_held(vault, "k1:2027-01-05:0", ["a", "b", "c"])
    assert to_data(out) == {"meeting": "k1:2027-01-05:0", "circle": "k1", "day": "2027-01-05", "held": True,
                   "present": ["a", "b", "c"], "attendance": 0.6}
    circles.meeting_held(vault, "extra-1", [], held=False, circle_id="k1", day="2027-01-12")
    circles.meeting_held(vault, "k1:2027-01-05:0", ["a", "b", "c", "d"])  # corrected
    assert [(a.meeting, a.held, len(a.present), a.size) for a in circles.attendance(vault, "k1")] == [
        ("k1:2027-01-05:0", True, 4, 5), ("extra-1", False, 0, 5)]
    for bad in (lambda: circles.meeting_held(vault, "k1:2027-01-05:0", ["zz"]),
                lambda: circles.meeting_held(vault, "k1:2027-01-05:0", ["a"], held=False),
                lambda: circles.meeting_held(vault, "nowhere", ["a"]),
                lambda: circles.meeting_held(vault, "bad id!", circle_id="k1", day="2027-01-01"),
                lambda: circles.meeting_held(vault, "x2", circle_id="k1", day="2027-13-01")):
        with pytest.raises(InvalidInput):
            bad()
    t1 = circles.add_task(vault, "k1", "find a storage room", "2027-02-01", task_id="k1-t1")
    t2 = circles.add_task(vault, "k1", "  first   lending day ", "2027-03-01")
    assert to_data(t1) == {"id": "k1-t1", "circle": "k1", "title": "find a storage room", "due": "2027-02-01", "done": None,
                  "on_time": None}
    assert t2.title == "first lending day" and t2.id.startswith("t-")
    assert circles.task_done(vault, "k1-t1", "2027-01-30").on_time is True
    assert circles.task_done(vault, t2.id, "2027-03-04").on_time is False
    assert [t.id for t in circles.tasks(vault, "k1")] == ["k1-t1", t2.id]
    assert circles.tasks(vault, open_only=True) == []
    with pytest.raises(InvalidInput):
        circles.add_task(vault, "k1", "", "2027-02-01")
    with pytest.raises(InvalidInput):
        circles.add_task(vault, "k1", "again", "2027-02-01", task_id="k1-t1")
    with pytest.raises(NotFound):
        circles.add_task(vault, "nope", "x", "2027-02-01")
    with pytest.raises(NotFound):
        circles.task_done(vault, "t-none")
    before = vault.digests()
    assert vault.rebuild() == before


def test_task_and_meeting_commands(vault, cli):
    _small_circle(vault)
    code, out = cli("circles", "task", "add", "k1", "collect used books", "--due", "2027-02-01", "--id", "k1-t1", "--json")
    assert code == 0 and json.loads(out)["due"] == "2027-02-01"
    code, out = cli("circles", "task", "done", "k1-t1", "--day", "2027-02-03", "--json")
    assert code == 0 and json.loads(out)["on_time"] is False
    code, out = cli("circles", "task", "list", "--circle", "k1", "--json")
    assert [t["id"] for t in json.loads(out)["tasks"]] == ["k1-t1"]
    assert cli("circles", "task", "list")[0] == 0
    assert cli("circles", "task", "done", "k1-none", "--json")[0] != 0
    code, out = cli("circles", "meeting", "held", "m-1", "--circle", "k1", "--day", "2027-01-02", "--present", "a,b",
                    "--present", "c", "--json")
    assert code == 0 and json.loads(out)["present"] == ["a", "b", "c"]
    code, out = cli("circles", "meeting", "list", "k1", "--json")
    assert [(m["meeting"], m["held"]) for m in json.loads(out)["meetings"]] == [("m-1", True), ("k1:2027-01-05:0", None)]
    assert cli("circles", "meeting", "list", "k1")[0] == 0
    assert cli("circles", "meeting", "held", "m-2", "--json")[0] == 2


def test_typed_reads_keep_their_json_shape(vault, tmp_path):
    """What --json and the web API print for the reads: the keys they had as dicts (``from`` included)."""
    _small_circle(vault)
    circles.add_vouch(vault, "a", "b", 4)
    assert to_data(circles.members(vault)[0]) == {"pseudonym": "a", "labels": {}, "skills": [], "availability": [],
                                                  "area": None, "joined": None}
    assert to_data(circles.vouches(vault)) == [{"id": "a~b", "from": "a", "to": "b", "strength": 4, "years": None,
                                                "directed": False}]
    detail = to_data(circles.circle(vault, "k1"))
    assert list(detail) == ["id", "members", "project", "liaison", "formed", "roles", "meetings"]
    assert list(detail["meetings"][0]) == ["id", "circle", "day", "part", "hour", "host", "place", "kind", "cover"]
    overview = to_data(circles.show(vault))
    assert list(overview) == ["members", "ties", "labels", "circles", "unplaced"]
    assert list(overview["circles"][0]) == ["id", "size", "project", "liaison", "meetings"]
    assert to_data(circles.export_ics(vault, "k1", tmp_path / "k1.ics")) == {"file": str(tmp_path / "k1.ics"), "events": 1}
    exposed = to_data(circles.exposure_report(vault, k=1, trials=5, seed=1))
    assert list(exposed) == ["members", "circles", "one", "k", "trials", "after_k"]
    assert list(exposed["after_k"]) == ["mean_exposed", "p95_exposed", "circles_working"]
