"""The ledger's period reads through its indexes give exactly what the former table scans gave
(issue 19: the first view of the ledger after a write at a million intervals)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.ledger as ledger
from halqa.ledger.events import DAY, EPOCH
from halqa.ledger.read import load_intervals
from halqa.places import add_area, add_household

BASE = int((dt.datetime(2026, 7, 1) - EPOCH).total_seconds())


def _old_extent(vault):
    """The former extent of the intervals alone: one scan of every interval."""
    row = vault.query_one("SELECT MIN(start_at), MAX(CASE WHEN end_at > start_at THEN end_at - 1 ELSE start_at END) "
                          "FROM ledger_interval")
    return None if row[0] is None else (int(row[0]) // DAY, int(row[1]) // DAY)


def _old_rows(vault, since, until, area=None):
    """The former period query (every column through Python rows), in one canonical order."""
    rows = vault.query("SELECT household, area, start_at, end_at FROM ledger_interval WHERE start_at < ? "
                       "AND (end_at IS NULL OR end_at >= ?)" + (" AND area = ?" if area else ""),
                       [until, since, *([area] if area else [])])
    return sorted((r[0], r[1], r[2], -1 if r[3] is None else r[3]) for r in rows)


def _fill(vault, intervals):
    add_area(vault, "NKH", "حي النخيل")
    add_area(vault, "MNA", "حي الميناء")
    for h in range(6):
        add_household(vault, "NKH" if h % 2 else "MNA", f"hh-p{h}")
    with vault.transaction():
        for h, s, length, is_open in intervals:
            iid = ledger.add_interval(vault, f"hh-p{h}", BASE + s, BASE + s + length)
            if is_open:  # an interval still running: its end is unknown
                vault.append("ledger_interval.put", {"id": iid, "end_at": None})


intervals = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40 * DAY), st.sampled_from([0, 1, 60, 3600, 5 * DAY]),
                               st.booleans()), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(intervals)
def test_extent_and_period_rows_match_the_scans(vault, data):
    _fill(vault, data)  # examples add up in one vault: the comparison holds for any content
    span = ledger.extent(vault)
    old = _old_extent(vault)
    if old is None:
        assert span is None
    else:
        base = EPOCH.date().toordinal()
        assert (span[0].toordinal() - base, span[1].toordinal() - base) == old
    from halqa.ledger.read import _period_intervals

    for first, last, area in ((5, 12, None), (0, 45, None), (20, 21, "NKH"), (30, 39, "MNA")):
        since, until = (BASE // DAY + first - 7) * DAY, (BASE // DAY + last + 1) * DAY
        names, of, start, end = _period_intervals(vault, since, until, area)
        got = list(zip((names[i] for i in of), start.tolist(), end.tolist(), strict=True))
        assert got == [(h, s, e) for h, _, s, e in _old_rows(vault, since, until, area)]


def test_report_numbers_unchanged_on_a_seeded_ledger(vault):
    """Every figure of the report, calendar and household supply, against the arrays the former
    row-by-row load gave (same intervals, same order once sorted)."""
    rng = random.Random(19)
    data = [(rng.randrange(6), rng.randrange(30 * DAY), rng.choice([30, 600, 3600, 7200, 2 * DAY]), rng.random() < 0.05)
            for _ in range(400)]
    _fill(vault, data)
    first, last = "2026-07-05", "2026-07-25"
    d0 = (dt.date(2026, 7, 5) - EPOCH.date()).days
    d1 = d0 + 20
    new = load_intervals(vault, d0, d1, as_of=BASE + 40 * DAY)
    old = _old_rows(vault, (d0 - 7) * DAY, (d1 + 1) * DAY)
    got = sorted(zip((new.households[i] for i in new.hh), new.start.tolist(), new.end.tolist(),
                     new.is_open.tolist(), strict=True))
    as_of = new.as_of  # open intervals end there (never after the period)
    want = sorted((h, s, as_of if e < 0 else e, e < 0) for h, _, s, e in old if s <= (as_of if e < 0 else e))
    assert got == want
    assert np.array_equal(new.n_customers, np.bincount(new.hh_area, minlength=len(new.codes)))
    report = ledger.report(vault, first, last, as_of=BASE + 40 * DAY)
    assert report.areas["NKH"].households == 3
    assert ledger.report(vault, first, last, as_of=BASE + 40 * DAY) == report  # one order whatever the index's
