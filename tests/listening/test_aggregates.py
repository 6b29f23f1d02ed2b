"""The aggregate path (vault -> ``listening_agg_*`` tables) against the row path (``load_data``).

The row path is the reference: for random histories of adds, edits that move grievances between
themes, groups, places and days, deletions (tombstones, puts after them), batches and redactions,
every analysis read from the aggregates must equal the same analysis on :func:`load_data`, and a
rebuild must give identical tables.
"""

from __future__ import annotations

import random
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.listening as L
import halqa.listening.analysis as analysis
import halqa.listening.read as read
import halqa.places as places
from halqa.errors import HalqaError
from halqa.listening.events import AGG_TABLES, GrievanceDelete, GrievancePut
from halqa.vault import redact

THEMES = ["water", "rent", "wages", "electricity"]
PLACES = ["NKH", "MNA", "SHT", "SUQ", "ZZZ"]
IDS = [f"g-{i}" for i in range(14)]
DAYS = [(pd.Timestamp("2026-01-01") + pd.Timedelta(days=d)).date().isoformat() for d in range(0, 84, 3)]

themes_st = st.lists(st.sampled_from(THEMES), max_size=3)
groups_st = st.dictionaries(st.sampled_from(["sect", "sector", "origin"]), st.sampled_from(["a", "b", "c"]), max_size=3)
add_st = st.tuples(st.just("add"), st.sampled_from(IDS), themes_st, groups_st, st.sampled_from(PLACES),
                   st.sampled_from(DAYS), st.integers(1, 5))
# An edit sets any subset of the counted fields (None = not set), or only a voice note.
edit_st = st.tuples(st.just("edit"), st.sampled_from(IDS), st.none() | themes_st, st.none() | groups_st,
                    st.none() | st.sampled_from(PLACES), st.none() | st.sampled_from(DAYS), st.none() | st.integers(1, 5))
delete_st = st.tuples(st.just("delete"), st.sampled_from(IDS))
one_st = st.one_of(add_st, add_st, edit_st, edit_st, delete_st)
batch_st = st.tuples(st.just("batch"), st.lists(one_st, min_size=2, max_size=6))
regular_batch_st = st.tuples(st.just("batch"), st.lists(st.one_of(add_st, add_st, delete_st), min_size=2, max_size=6))
redact_st = st.tuples(st.just("redact"), st.integers(0, 1000))


def _event(op: tuple) -> tuple[str, object]:
    if op[0] == "delete":
        return "listening_grievance.delete", GrievanceDelete(id=op[1])
    _, gid, themes, groups, place, day, count = op
    put = GrievancePut(id=gid)
    for field, value in (("themes", themes), ("groups", groups), ("place", place), ("day", day), ("count", count)):
        if value is not None:
            setattr(put, field, value)
    if op[0] == "edit" and all(v is None for v in op[2:]):
        put.voice = "v-" + gid
    return "listening_grievance.put", put


def _run(vault, ops: list[tuple], log: list[bytes]) -> None:
    for op in ops:
        if op[0] == "batch":
            with vault.transaction() as tx:
                for inner in op[1]:
                    log.append(tx.append(*_event(inner)).id)
        elif op[0] == "redact":
            if log:
                eid = log.pop(op[1] % len(log))
                redact(vault, [eid])
        else:
            log.append(vault.append(*_event(op)).id)


def _outcome(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except HalqaError as err:
        return ("error", type(err).__name__, err.msg_id, err.params)
    except Exception as err:  # the row path's own failures must be reproduced, not hidden
        return ("raised", type(err).__name__)


def _same_frames(a, b) -> None:
    assert a[0] == b[0]
    if a[0] == "ok":
        pd.testing.assert_frame_equal(a[1], b[1])
    else:
        assert a == b


def _check(vault, rng: random.Random, must_aggregate: bool) -> None:
    rows = L.load_data(vault)  # the reference
    irregular = read.agg_totals(vault)[2]
    if must_aggregate:
        assert irregular == 0
    guard = mock.patch.object(analysis, "load_data", side_effect=AssertionError("row path used")) if not irregular \
        else mock.patch.object(analysis, "load_data", analysis.load_data)
    calls = []
    for by in (["district"], ["sect", "sector"], ["sect", "district", "origin"], ["place", "sector"], ["caste"]):
        calls.append((L.shared_causes, {"by": by, "min_n": rng.choice([0, 1, 2, 3, 10])}))
    for theme in (None, "water", rng.choice(THEMES), "nope"):
        calls.append((L.hotspots, {"theme": theme, "weeks": rng.choice([8, None, 2, 1]),
                                   "until": rng.choice([None, "2026-02-15", "2026-02-15T13:00", "2025-12-01"])}))
    for weeks, until in ((12, None), (4, "2026-03-01"), (3, rng.choice(DAYS))):
        calls.append((L.theme_trends, {"weeks": weeks, "until": until}))
    for fn, kwargs in calls:
        expected = _outcome(fn, rows, **kwargs)
        with guard:
            got = _outcome(fn, vault, **kwargs)
        assert got == expected, (fn.__name__, kwargs)
    for theme in (None, "rent", "nope"):
        expected = _outcome(L.place_week_counts, rows, theme=theme)
        with guard:
            got = _outcome(L.place_week_counts, vault, theme=theme)
        _same_frames(got, expected)
    before = vault.digests()
    assert vault.rebuild() == before


@pytest.fixture
def agg_vault(vault):
    places.demo(vault, random.Random(0), households_per_area=1)
    L.set_border(vault, "NKH", "SUQ")
    return vault


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(add_st, add_st, add_st, delete_st, regular_batch_st), min_size=1, max_size=25),
       edits=st.lists(edit_st, max_size=10), batched=st.booleans(), seed=st.integers(0, 2**16))
def test_aggregates_equal_rows_for_edits_and_deletes(agg_vault, ops, edits, batched, seed):
    """Adds, edits of grievances that exist (one by one or in one batch, several per grievance),
    deletions and batches: the aggregates must answer, without reading the rows."""
    _run(agg_vault, ops, [])
    existing = [r[0] for r in agg_vault.query("SELECT id FROM listening_grievance ORDER BY id")]
    moved = [(e[0], existing[i % len(existing)], *e[2:]) for i, e in enumerate(edits)] if existing else []
    _run(agg_vault, [("batch", moved)] if batched and moved else moved, [])
    _check(agg_vault, random.Random(seed), must_aggregate=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(add_st, add_st, edit_st, delete_st, batch_st, redact_st), min_size=1, max_size=25),
       seed=st.integers(0, 2**16))
def test_aggregates_equal_rows_with_redactions_and_partial_puts(agg_vault, ops, seed):
    """Anything goes, including partial puts to unknown ids and redactions (rebuilds)."""
    _run(agg_vault, ops, [])
    _check(agg_vault, random.Random(seed), must_aggregate=False)


def test_edit_moves_the_counts_and_delete_removes_them(areas_vault):
    g = L.add_grievance(areas_vault, themes=["water"], place="NKH", day="2026-02-02", groups={"sect": "shia"}, count=2)
    agg = lambda sql: sorted(tuple(r) for r in areas_vault.query(sql))  # noqa: E731
    assert agg("SELECT place, theme, n FROM listening_agg_place_theme") == [("NKH", "water", 1)]
    assert agg("SELECT day, place, n, hearings FROM listening_agg_place_day") == [("2026-02-02", "NKH", 1, 2)]
    areas_vault.append("listening_grievance.put", GrievancePut(id=g.id, themes=["rent", "wages"], place="SUQ",
                                                               groups={"sect": "sunni"}, day="2026-02-09", count=3))
    assert agg("SELECT place, theme, n FROM listening_agg_place_theme") == [("SUQ", "rent", 1), ("SUQ", "wages", 1)]
    assert agg("SELECT key, value, theme, n FROM listening_agg_group_theme") == [("sect", "sunni", "rent", 1),
                                                                                 ("sect", "sunni", "wages", 1)]
    assert agg("SELECT day, place, n, hearings FROM listening_agg_place_day") == [("2026-02-09", "SUQ", 1, 3)]
    L.confirm_themes(areas_vault, g.id, ["water"])
    assert agg("SELECT theme, n FROM listening_agg_theme") == [("water", 1)]
    L.delete_grievance(areas_vault, g.id)
    for table in AGG_TABLES:
        assert agg(f"SELECT * FROM {table}") == [], table
    before = areas_vault.digests()
    assert areas_vault.rebuild() == before


def test_irregular_grievances_fall_back_to_rows(areas_vault):
    """A put to an unknown id (e.g. its first put was redacted) has no place and no day: the
    place/day views then read the rows; shared causes still read the aggregates."""
    L.add_grievance(areas_vault, themes=["water"], place="NKH", day="2026-02-02", groups={"sect": "shia"})
    areas_vault.append("listening_grievance.put", GrievancePut(id="g-orphan", themes=["rent"], confirmed=True))
    assert read.agg_totals(areas_vault) == (2, 2, 1)
    rows = L.load_data(areas_vault)
    assert L.hotspots(areas_vault) == L.hotspots(rows)
    assert L.theme_trends(areas_vault, weeks=4) == L.theme_trends(rows, weeks=4)
    with mock.patch.object(analysis, "load_data", side_effect=AssertionError("row path used")):
        assert L.shared_causes(areas_vault, by=["sect", "district"], min_n=0) == L.shared_causes(rows, by=["sect", "district"],
                                                                                                  min_n=0)


def test_empty_vault_paths_agree(areas_vault):
    rows = L.load_data(areas_vault)
    assert L.shared_causes(areas_vault) == L.shared_causes(rows)
    assert L.theme_trends(areas_vault) == L.theme_trends(rows) == []
    assert L.hotspots(areas_vault, weeks=None) == L.hotspots(rows, weeks=None)
    pd.testing.assert_frame_equal(L.place_week_counts(areas_vault), L.place_week_counts(rows))


gbatch_st = st.tuples(st.just("gbatch"), st.lists(add_st, min_size=1, max_size=6))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(add_st, edit_st, delete_st, gbatch_st, gbatch_st), min_size=1, max_size=15))
def test_import_batches_equal_the_same_puts_one_by_one(tmp_path_factory, ops):
    """``listening_grievance.batch`` (what an import writes) gives the same tables and aggregates as
    its puts appended one at a time, also when a batch names a grievance already stored, deleted
    (tombstoned) or twice."""
    from halqa.listening.events import GrievanceBatch

    from ..conftest import new_vault

    folder = tmp_path_factory.mktemp("batches")
    with new_vault(folder, "a") as batched, new_vault(folder, "b") as single:
        for v in (batched, single):
            places.demo(v, random.Random(0), households_per_area=1)
        for op in ops:
            if op[0] == "gbatch":
                puts = [_event(inner)[1] for inner in op[1]]
                batched.append("listening_grievance.batch", GrievanceBatch(id="b", items=puts))
                with single.transaction() as tx:
                    for put in puts:
                        tx.append("listening_grievance.put", put)
            else:
                batched.append(*_event(op))
                single.append(*_event(op))
        assert batched.digests()["listening_grievance"] == single.digests()["listening_grievance"]
        _check(batched, random.Random(0), must_aggregate=False)
