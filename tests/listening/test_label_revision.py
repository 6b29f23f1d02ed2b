"""The label revision the grievance projection keeps, and the index of unconfirmed grievances.

The references are the plain computations over the stored rows: the labels are the rows the
training query reads (confirmed, with a text and a theme); the revision is their count and the
count of events that changed one, so it must count them and never name two sets of labels
(between rebuilds, which empty the model cache: a test in tests/test_lock_forgets.py); the
newest unconfirmed grievances are every row filtered and sorted in Python. For random histories
(puts of any subset of fields, confirmations, deletions, batches, redactions) the kept revision
must hold to that and a rebuild must give the same tables.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.listening as L
import halqa.listening.read as read
from halqa.listening.events import GrievanceBatch, GrievanceDelete, GrievancePut, is_label
from halqa.vault import redact

IDS = [f"g-{i}" for i in range(10)]
DAYS = ["2026-01-01", "2026-01-02", "2026-02-10"]

put_st = st.fixed_dictionaries({}, optional={
    "text": st.sampled_from([None, "", " ", "الماي مقطوع", "no power"]),
    "themes": st.lists(st.sampled_from(["water", "rent", "electricity"]), max_size=2),
    "day": st.sampled_from(DAYS),
    "place": st.just("NKH"),
    "confirmed": st.booleans(),
    "count": st.integers(1, 3),
})
op_st = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(IDS), put_st),
    st.tuples(st.just("put"), st.sampled_from(IDS), put_st),
    st.tuples(st.just("delete"), st.sampled_from(IDS)),
    st.tuples(st.just("batch"), st.lists(st.tuples(st.sampled_from(IDS), put_st), min_size=1, max_size=5)),
    st.tuples(st.just("redact"), st.integers(0, 1000)),
)


def _labels(vault) -> frozenset:
    labels = frozenset(tuple(r) for r in vault.query("SELECT id, text, themes, day, confirmed FROM listening_grievance")
                       if is_label(r[1], r[2], r[3], r[4]))
    # the same rows as the training query's filter
    assert len(labels) == vault.query_one("SELECT count(*) FROM listening_grievance WHERE confirmed = 1 AND "
                                          "coalesce(text, '') != '' AND coalesce(themes, '[]') != '[]'")[0]
    return labels


def _check_revision(vault, seen: dict[str, frozenset]) -> None:
    """The revision counts the labels, and names one set of them (``seen``: revision -> labels)."""
    labels, revision = _labels(vault), read.label_revision(vault)
    assert int(revision.split(":")[0]) == len(labels)
    assert seen.setdefault(revision, labels) == labels


def _unconfirmed(vault) -> list[str]:
    rows = [(r[0], r[1]) for r in vault.query("SELECT id, day, confirmed FROM listening_grievance") if not r[2]]
    rows.sort(key=lambda r: r[0])  # by id, then (stable) by day, newest first
    rows.sort(key=lambda r: r[1] or "", reverse=True)
    return [r[0] for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op_st, min_size=1, max_size=20))
def test_label_revision_follows_the_rows_and_equals_a_rebuild(areas_vault, ops):
    log: list[bytes] = []
    seen: dict[str, frozenset] = {}
    for op in ops:
        if op[0] == "put":
            log.append(areas_vault.append("listening_grievance.put", GrievancePut(id=op[1], **op[2])).id)
        elif op[0] == "delete":
            log.append(areas_vault.append("listening_grievance.delete", GrievanceDelete(id=op[1])).id)
        elif op[0] == "batch":
            items = [GrievancePut(id=gid, **fields) for gid, fields in op[1]]
            log.append(areas_vault.append("listening_grievance.batch", GrievanceBatch(id="b", items=items)).id)
        elif log:
            redact(areas_vault, [log.pop(op[1] % len(log))])
            seen = {}  # a rebuild counts again from the log (and empties the vault's memos)
        _check_revision(areas_vault, seen)
    found = [g.id for g in L.list_grievances(areas_vault, unconfirmed=True)]
    assert found == _unconfirmed(areas_vault)
    assert [g.id for g in L.list_grievances(areas_vault, unconfirmed=True, limit=3)] == found[:3]
    before = areas_vault.digests()
    assert areas_vault.rebuild() == before


def test_revision_moves_only_with_labels(areas_vault):
    assert read.label_revision(areas_vault) == "0"
    L.add_grievance(areas_vault, place="NKH", day="2026-01-01", text="لا شي")  # no theme: no label
    assert read.label_revision(areas_vault) == "0"
    g = L.add_grievance(areas_vault, themes=["water"], place="NKH", day="2026-01-01", text="الماي مقطوع")
    one = read.label_revision(areas_vault)
    assert one.startswith("1:")
    L.add_grievance(areas_vault, place="SUQ", day="2026-01-02", text="الكهرباء")
    assert read.label_revision(areas_vault) == one
    L.confirm_themes(areas_vault, g.id, ["water", "electricity"])  # a changed label
    two = read.label_revision(areas_vault)
    assert two.startswith("1:") and two != one
    L.delete_grievance(areas_vault, g.id)
    gone = read.label_revision(areas_vault)
    assert gone.startswith("0:") and gone not in (one, two)


def test_unconfirmed_reads_use_the_partial_index(areas_vault):
    plan = " ".join(str(tuple(r)) for r in areas_vault.query(
        "EXPLAIN QUERY PLAN SELECT g.* FROM listening_grievance g WHERE 1 = 1 AND coalesce(g.confirmed, 0) = 0 "
        "ORDER BY g.day DESC, g.id LIMIT 20"))
    assert "listening_grievance_unconfirmed" in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize("seed", [0, 1])
def test_import_counts_its_labels(areas_vault, seed):
    rng = random.Random(seed)
    lines = ["text,themes,place,day"]
    for _ in range(30):
        lines.append(f"{rng.choice(['', 'الماي مقطوع', 'rent'])},{rng.choice(['', 'water', 'water|rent'])},NKH,"
                     f"{rng.choice(DAYS)}")
    L.import_grievances(areas_vault, "\n".join(lines) + "\n")
    _check_revision(areas_vault, {})
    before = areas_vault.digests()
    assert areas_vault.rebuild() == before



@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from([None, *DAYS]), st.booleans()), max_size=25),
       piece=st.integers(1, 7), cap=st.integers(1, 30))
def test_training_rows_in_pieces_equal_one_read(areas_vault, rows, piece, cap, monkeypatch):
    """The pieces, newest day first and the grievances without a day last, are the one query's rows."""
    monkeypatch.setattr(read, "MAX_TRAIN", cap)
    areas_vault.query("DELETE FROM listening_grievance")  # a fresh set for each example (the fixture is shared)
    items = [GrievancePut(id=f"g-{i:03d}", text="الماي مقطوع", themes=["water"], confirmed=confirmed,
                          **({"day": day} if day else {}))
             for i, (day, confirmed) in enumerate(rows)]
    if items:
        areas_vault.append("listening_grievance.batch", GrievanceBatch(id="b", items=items))
    assert read.training_rows_in_pieces(areas_vault, piece) == read.training_rows(areas_vault)


def test_training_rows_in_pieces_refuse_a_write_in_between(areas_vault, monkeypatch):
    for i in range(5):
        L.add_grievance(areas_vault, themes=["water"], place="NKH", day=DAYS[i % 3], text=f"الماي {i}")
    real = areas_vault.query
    calls = []

    def query(sql, params=()):
        calls.append(sql)
        if len(calls) == 2:
            L.add_grievance(areas_vault, themes=["rent"], place="NKH", day=DAYS[0], text="الإيجار")
        return real(sql, params)

    monkeypatch.setattr(areas_vault, "query", query)
    assert read.training_rows_in_pieces(areas_vault, 2) is None
