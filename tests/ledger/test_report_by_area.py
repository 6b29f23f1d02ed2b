"""A report, and the supply hours, reuse what each area's households gave while their intervals,
enrolment and tallies are unchanged (issue 19): the areas and events equal one computation over
every area, for any content, period, ``as_of``, daily figures and T_MED history, whichever areas
were reused."""

from __future__ import annotations

import datetime as dt
import functools
import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import halqa.ledger as ledger
from halqa.ledger import evidence, read
from halqa.ledger.analysis import Params
from halqa.ledger.events import DAY, IntervalPut, check_period
from halqa.vault import Vault, redact
from tests.conftest import PASSPHRASE

from .test_day_summary import AREAS, BASE, _apply, _city, op, times

DEFAULT_TZ = "Asia/Baghdad"
# periods over the intervals, and weeks after them (reached only by intervals still open, or longer
# than LONG_SECONDS, that began before a household's own index range is read)
reports = st.lists(st.tuples(st.one_of(st.integers(-3, 12), st.integers(38, 52)), st.integers(1, 9),
                             st.one_of(st.none(), times), st.booleans(), st.sampled_from([0, 4])), min_size=1, max_size=3)


def _same_as_at_once(vault, asked):
    for d0, n, cut, daily, history in asked:
        first = (dt.date(2026, 7, 1) + dt.timedelta(days=d0)).isoformat()
        last = (dt.date(2026, 7, 1) + dt.timedelta(days=d0 + n - 1)).isoformat()
        as_of = None if cut is None else BASE + cut
        p0, p1 = check_period(first, last)
        args = (vault, p0, p1, Params(), as_of, DEFAULT_TZ, daily, history)
        at_once = evidence._households_at_once(vault, p0, p1, None, *args[3:])
        by_area = evidence._households_by_area(*args)
        assert by_area == at_once
        if not history:  # the supply of each area, as the report over the same days gives it
            want = {c: (a.households, a.supply_hours_per_day) for c, a in at_once[0].items()}
            assert {c: (a.households, a.supply_hours_per_day) for c, a in ledger.supply(vault, first, last, as_of).items()} \
                == want
            both = ledger.supply_periods(vault, [("2026-07-01", "2026-07-04"), (first, last)], as_of)
            assert {c: (a.households, a.supply_hours_per_day) for c, a in both[1].items()} == want


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(op, max_size=6), reports), min_size=1, max_size=5))
def test_a_report_by_area_equals_one_computation_over_every_area(vault, steps):
    _city(vault)  # examples add up in one vault, and so does what is kept by area: reuse across writes
    seen: list = []
    for ops, asked in steps:
        _apply(vault, ops)
        seen = (asked + seen)[:6]  # the periods asked before too: after a write, some areas are reused
        _same_as_at_once(vault, seen)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(op, max_size=12), st.sets(st.integers(0, 6)), st.one_of(st.integers(-3, 12), st.integers(38, 52)),
       st.integers(1, 9))
# long ago: one still open, one closed and longer than LONG_SECONDS, both reaching the period
@example([("add", 1, 0, 40 * DAY), ("add", 2, 3600, None), ("add", 1, 30 * DAY, 3600)], {1, 2}, 45, 3)
def test_some_households_intervals_are_theirs_among_the_periods(vault, ops, some, d0, n):
    """One area's households' intervals (read from their own index ranges, the open and long ones
    apart) are theirs among the period's intervals (read from the period's whole index range)."""
    _city(vault)
    _apply(vault, ops)
    p0, p1 = (check_period("2026-07-01", "2026-07-01")[0] + d0) * DAY, (check_period("2026-07-01", "2026-07-01")[0] + d0 + n) * DAY
    since = p0 - 7 * DAY
    names = sorted({r[0] for r in vault.query("SELECT household FROM ledger_interval")} | {f"hh-s{h}" for h in some})
    index = {h: i for i, h in enumerate(names)}
    mine = [h for h in names if int(h[len("hh-s"):]) in some]
    every = read.intervals_of(vault, since, p1, None, index, p1)
    theirs = read.intervals_of(vault, since, p1, mine, index, p1)
    keep = np.isin(every[0], [index[h] for h in mine])
    assert all(np.array_equal(a[keep], b) for a, b in zip(every, theirs, strict=True))


def test_a_write_computes_again_only_its_area(vault, monkeypatch):
    _city(vault)
    _apply(vault, [("add", h, h * 3600, 7200) for h in range(6)] + [("add", 6, 4 * DAY, 600)])
    computed: list[list[str]] = []
    real = evidence._area_reports

    def spy(res, codes, *a):
        computed.append(list(codes))
        return real(res, codes, *a)

    monkeypatch.setattr(evidence, "_area_reports", spy)
    first, last = "2026-06-28", "2026-07-10"
    before = ledger.report(vault, first, last, as_of=BASE + 11 * DAY)
    ledger.report(vault, first, last, as_of=BASE + 11 * DAY)
    assert computed == [sorted(before.areas)]  # once, together; then nothing
    _apply(vault, [("add", 1, 2 * DAY, 900)])  # hh-s1 lives in MNA
    after = ledger.report(vault, first, last, as_of=BASE + 11 * DAY)
    assert computed[1:] == [[AREAS[1]]]
    assert after.areas[AREAS[0]] == before.areas[AREAS[0]]
    assert after.areas[AREAS[1]].interruptions == before.areas[AREAS[1]].interruptions + 1


def test_a_write_counts_the_supply_again_only_in_its_area(vault, monkeypatch):
    _city(vault)
    _apply(vault, [("add", h, h * 3600, 7200) for h in range(6)])
    counted: list[list[str]] = []
    real = evidence._supply

    def spy(data, *a):
        counted.append(list(data.codes))
        return real(data, *a)

    monkeypatch.setattr(evidence, "_supply", spy)
    for _ in range(2):
        before = ledger.supply(vault, "2026-06-28", "2026-07-10", BASE + 20 * DAY)
    assert counted == [sorted(before)]
    _apply(vault, [("add", 0, 2 * DAY, 7200)])  # hh-s0 lives in NKH
    after = ledger.supply(vault, "2026-06-28", "2026-07-10", BASE + 20 * DAY)
    assert counted[1:] == [[AREAS[0]]]
    assert after[AREAS[1]] == before[AREAS[1]] and after[AREAS[0]] != before[AREAS[0]]


def _version_of_rows(vault):
    rows: dict[str, list] = {}
    for r in vault.query("SELECT id, household, area, start_at, end_at FROM ledger_interval ORDER BY id"):
        rows.setdefault(r[1], []).append(tuple(r))
    versions = read.households_now(vault).versions
    return rows, versions


def test_the_household_version_follows_every_interval(vault):
    """Whenever a household's intervals differ, so does its ``(intervals, changes)``: a new one,
    a batch, a close, a move (both households), a delete, an edit."""
    _city(vault)
    rows, versions = _version_of_rows(vault)
    for ops in ([("add", 1, 0, 600), ("add", 1, DAY, None)], [("batch", [(2, 100, 60, 20), (1, 300, 60, 3)])],
                [("close", 1, 2 * DAY)], [("move", 0, 3)], [("delete", 2)], [("edit", 1, 50, 70)]):
        _apply(vault, ops)  # a commit each: every change of an interval already folded
        now_rows, now_versions = _version_of_rows(vault)
        changed = {h for h in {*rows, *now_rows} if rows.get(h) != now_rows.get(h)}
        assert changed
        assert all(versions.get(h) != now_versions.get(h) for h in changed), ops
        assert {h: v[0] for h, v in now_versions.items()} == {h: len(r) for h, r in now_rows.items() if h}
        rows, versions = now_rows, now_versions


def _old_digest(iid, household, area, start_at, end_at) -> int:
    """The per-household digest of interval projection v5 (an XOR of these over its intervals),
    which the web app's figures by area were reused on: what the attacker below works against."""
    import hashlib

    text = f"{iid}\x1f{household}\x1f{area}\x1f{start_at}\x1f{end_at}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little", signed=True)


def _xor_zero_subset(deltas: list[int]) -> list[int]:
    """Indices of a non-empty subset of 64-bit values whose XOR is zero (Gaussian elimination over
    GF(2): any 65 values have one): what a member needs to change intervals and keep the digest."""
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (value, the subset that makes it, as a mask)
    for i, d in enumerate(deltas):
        value, made = d & (2**64 - 1), 1 << i
        while value:
            top = value.bit_length() - 1
            if top not in basis:
                basis[top] = (value, made)
                break
            value, made = value ^ basis[top][0], made ^ basis[top][1]
        else:
            return [k for k in range(len(deltas)) if made >> k & 1]
    raise AssertionError("65 values always have a dependent subset")


def test_edits_crafted_to_keep_the_digest_still_show(vault):
    """Attack (an informant's phone): change one's own intervals so that the per-household digest
    the figures by area were reused on (an XOR of row hashes: linear over GF(2), so 65 candidate
    edits always hold a subset that leaves it as it was) stays the same. The organiser's open web
    app must still show the new figures, not those of the intervals before the edits (it showed a
    SAIDI of 700 minutes for 1,880 before the version replaced the digest)."""
    _city(vault)
    _apply(vault, [("add", 1, k * 5400, 1800) for k in range(70)])  # hh-s1, in MNA
    first, last, as_of = "2026-06-28", "2026-07-10", BASE + 11 * DAY
    ledger.report(vault, first, last, as_of=as_of)  # the web app has shown the area: kept by area
    rows = vault.query("SELECT id, household, area, start_at, end_at FROM ledger_interval WHERE household = 'hh-s1' "
                       "ORDER BY id")
    longer = [(iid, h, a, s, e + 3 * 3600) for iid, h, a, s, e in rows]
    deltas = [_old_digest(*old) ^ _old_digest(*new) for old, new in zip(rows, longer, strict=True)]
    subset = _xor_zero_subset(deltas)
    assert subset and functools.reduce(operator.xor, (deltas[k] for k in subset)) == 0  # the old digest is kept
    with vault.transaction():
        for k in subset:
            vault.append("ledger_interval.put", IntervalPut(id=longer[k][0], end_at=longer[k][4]))
    shown = ledger.report(vault, first, last, as_of=as_of).areas[AREAS[1]]
    p0, p1 = check_period(first, last)
    fresh = evidence._households_at_once(vault, p0, p1, None, Params(), as_of, DEFAULT_TZ, False, 0)[0][AREAS[1]]
    assert shown == fresh


@pytest.mark.parametrize("where", ["here", "another process"])
def test_figures_kept_before_a_redaction_are_not_reused(vault, vault_path, where):
    """A redaction rebuilds the projection, and its counts start again from the log: hh-s1 with
    only its second interval has the version it had with only its first. What the open vault
    kept for that version must not be shown for the other interval (the memos are emptied when a
    projection is rebuilt here, and when another connection, which may have rebuilt one, wrote)."""
    _city(vault)
    first, last, as_of = "2026-06-28", "2026-07-10", BASE + 11 * DAY
    put = vault.append("ledger_interval.put", IntervalPut(id="r1", household="hh-s1", area=AREAS[1],
                                                          start_at=BASE, end_at=BASE + 600))
    shown = ledger.report(vault, first, last, as_of=as_of).areas[AREAS[1]]
    vault.append("ledger_interval.put", IntervalPut(id="r2", household="hh-s1", area=AREAS[1], start_at=BASE + DAY,
                                                    end_at=BASE + DAY + 7200))
    ledger.report(vault, first, last, as_of=as_of)
    if where == "here":
        redact(vault, [put.id])
    else:
        with Vault.open(vault_path, PASSPHRASE) as other:
            redact(other, [put.id])
    now = ledger.report(vault, first, last, as_of=as_of).areas[AREAS[1]]
    assert now.saidi_minutes != shown.saidi_minutes  # 120 minutes off, not the redacted 10
    p0, p1 = check_period(first, last)
    assert now == evidence._households_at_once(vault, p0, p1, None, Params(), as_of, DEFAULT_TZ, False, 0)[0][AREAS[1]]
