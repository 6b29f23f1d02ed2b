"""Importing CSV and JSON: bad rows reported with line numbers, good rows kept, atomically."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import halqa.listening as L
from halqa.errors import InvalidInput
from halqa.listening.write import parse_groups

CSV = """text,themes,place,day,groups,tone,count
"ماي الاسالة مالح",water,SHT,2026-03-01,sect=shia|origin=resident,angry,3
,electricity|generator,NKH,2026-03-02,,,
"two lines
of text",wages,MNA,2026-03-03,sector=port,,2
bad theme,weather,NKH,2026-03-03,,,
no place,water,,2026-03-03,,,
no day,water,NKH,,,,
,water,NKH,2026-03-04,sect,,
,water,NKH,2026-03-04,,,-4
,,SUQ,2026-03-05,,hopeful,
"""


def test_csv_import_reports_every_bad_row(vault, tmp_path: Path):
    path = tmp_path / "notes.csv"
    path.write_text(CSV, encoding="utf-8")
    report = L.import_grievances(vault, path)
    assert report.kept == 4
    assert [(r["line"], r["error"]) for r in report.rejected] == [
        (6, "listening.unknown_theme"), (7, "listening.place_missing"), (8, "error.day_missing"),
        (9, "listening.bad_group_pair"), (10, "listening.bad_count")]
    assert "weather" in report.rejected[0]["reason"]
    rows = {g.day: g for g in L.list_grievances(vault)}
    assert rows["2026-03-03"].text == "two lines\nof text"
    assert rows["2026-03-01"].groups == {"origin": "resident", "sect": "shia"}
    assert rows["2026-03-02"].themes == ["electricity", "generator"] and rows["2026-03-02"].count == 1
    assert rows["2026-03-05"].themes == [] and rows["2026-03-05"].confirmed is False


def test_import_is_one_commit(vault):
    commits = vault.query_one("SELECT count(*) FROM commits")[0]
    report = L.import_grievances(vault, CSV)
    assert report.kept == 4
    assert vault.query_one("SELECT count(*) FROM commits")[0] == commits + 1


def test_nothing_half_written_when_the_commit_fails(vault, monkeypatch):
    from halqa.vault.writer import Writer

    real = Writer.append
    calls = {"n": 0}

    def flaky(self, kind, payload):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, kind, payload)

    monkeypatch.setattr(Writer, "append", flaky)
    monkeypatch.setattr("halqa.listening.importer.BATCH", 1)  # one batch event per row: the third one fails
    with pytest.raises(OSError):
        L.import_grievances(vault, CSV)
    monkeypatch.setattr(Writer, "append", real)
    assert L.list_grievances(vault) == []


def test_header_errors_stop_before_anything(vault):
    with pytest.raises(InvalidInput) as exc:
        L.import_grievances(vault, "text,theme,place,day\nx,water,NKH,2026-01-01\n", fmt="csv")
    assert exc.value.msg_id == "listening.import_header"
    with pytest.raises(InvalidInput):
        L.import_grievances(vault, "", fmt="csv")


def test_wrong_cell_count_reported(vault):
    report = L.import_grievances(vault, "place,day\nNKH,2026-01-01,extra\nNKH,2026-01-02\n", fmt="csv")
    assert report.kept == 1 and report.rejected[0]["line"] == 2 and report.rejected[0]["error"] == "listening.import_cells"


def test_json_array_and_lines(vault):
    doc = json.dumps([
        {"text": "power cut", "themes": ["electricity"], "place": "NKH", "day": "2026-02-01"},
        {"themes": "water|bogus", "place": "SHT", "day": "2026-02-01"},
        {"place": "SHT", "day": "2026-02-02", "groups": {"sect": "sunni"}, "count": 2},
        {"place": "SHT", "day": "2026-02-02", "colour": "red"},
        [1, 2],
    ], indent=1)
    report = L.import_grievances(vault, doc)
    assert report.kept == 2
    lines = doc.splitlines()
    for bad in report.rejected:
        assert lines[bad["line"] - 1].strip() in ("{", "[")
    assert [b["error"] for b in report.rejected] == ["listening.unknown_theme", "listening.import_unknown_keys",
                                                    "listening.import_not_object"]
    jsonl = '{"place": "NKH", "day": "2026-02-03"}\n{"place": "NKH", "day": "bad"}\n'
    report = L.import_grievances(vault, jsonl, fmt="json")
    assert report.kept == 1 and report.rejected[0]["line"] == 2


def test_today_decides_the_future(vault):
    report = L.import_grievances(vault, "place,day\nNKH,2026-05-01\n", today=date(2026, 4, 1))
    assert report.kept == 0 and report.rejected[0]["error"] == "error.day_future"


_key = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_value = st.from_regex(r"[a-z0-9_]{1,10}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_key, _value, max_size=5))
def test_groups_cell_round_trip(groups):
    cell = "|".join(f"{k}={v}" for k, v in groups.items())
    assert parse_groups(cell) == groups


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_groups_parser_never_crashes(cell):
    try:
        parsed = parse_groups(cell)
    except InvalidInput:
        return
    assert all("=" not in k for k in parsed)


def test_a_cell_checked_once_is_judged_the_same_on_every_row(vault):
    """Cells are checked once per import and remembered, errors too: every row still gets its own verdict."""
    rows = "".join(f"x{i},{theme},{place},2026-01-0{1 + i % 3},sect=shia,,\n"
                   for i, (theme, place) in enumerate([("water", "NKH"), ("nope", "NKH"), ("water", "33.3,44.4"),
                                                       ("nope", "NKH"), ("water", "NKH"), ("water", "33.3,44.4")]))
    text = "text,themes,place,day,groups,tone,count\n" + rows.replace("33.3,44.4", '"33.3,44.4"')
    report = L.import_grievances(vault, text)
    assert report.kept == 2
    assert [(r["line"], r["error"]) for r in report.rejected] == [
        (3, "listening.unknown_theme"), (4, "listening.place_gps"), (5, "listening.unknown_theme"), (7, "listening.place_gps")]
    # JSON cells may be lists (unhashable): checked without being remembered
    report = L.import_grievances(vault, json.dumps([{"themes": ["water"], "place": "NKH", "day": "2026-01-02"}] * 2), fmt="json")
    assert report.kept == 2 and len(set(report.ids)) == 2


_cell = st.sampled_from
_csv_row_st = st.tuples(
    _cell(["", "n/a", " الماي مقطوع ", "no power again", "x" * 2001, "NULL", "كارەبا نییە"]),
    _cell(["", "water", "water|rent", "Weather", "rent| water", "none", "-"]),
    _cell(["", "NKH", "nkh", "SHT", "33.3,44.4", "bad place!", "8828308281fffff"]),
    _cell(["", "2026-03-01", "2026-02-30", "2026-03-01T10:00", "٢٠٢٦-٠٣-٠١", "2099-01-01", "na"]),
    _cell(["", "sect=shia", "sect=shia|origin=resident", "sect", "caste=x", "origin=alien", "sect=a|sect=b"]),
    _cell(["", "angry", "Bitter humour", "furious", "غاضب"]),
    _cell(["", "1", "3", "-4", "x", "10001", " 2 "]),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_csv_row_st, max_size=30), header=st.permutations(list(L.COLUMNS)),
       drop=st.sets(st.sampled_from(["text", "themes", "groups", "tone", "count"])))
def test_csv_columns_check_like_rows(rows, header, drop):
    """The CSV path checks column by column, each distinct cell once: the same grievances and the
    same error for each bad row (with its line) as checking row by row."""
    import csv
    import io

    from halqa import domains
    from halqa.listening import importer
    from halqa.listening.write import Vocabulary
    from halqa.vault import TEST_KDF

    names = [c for c in header if c not in drop]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(names)
    for row in rows:
        cells = dict(zip(L.COLUMNS, row, strict=True))
        writer.writerow([cells[c] for c in names])
    text = buf.getvalue()
    import tempfile

    with tempfile.TemporaryDirectory() as d, domains.create_vault(Path(d) / "v", "pass phrase here", TEST_KDF) as vault:
        parsed = importer.parse_rows(text, "csv")[0]
        ids = [f"g-{i:010d}" for i in range(len(parsed))]
        by_rows = importer._build_rows(Vocabulary(vault), parsed, ids, date(2026, 6, 1), None)
        by_columns = importer._build_columns(Vocabulary(vault), *importer._csv_cells(text)[:3], ids, date(2026, 6, 1), None)
    assert by_columns == by_rows
