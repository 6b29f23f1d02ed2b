"""Known-answer tests of the evidence computation (hand-worked IEEE 1366 examples) and merge properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.ledger.analysis import compute, merge_intervals
from halqa.ledger.detection import detect_events, med_threshold, poisson_sf
from halqa.ledger.events import DAY, parse_day, parse_time
from halqa.ledger.params import Params

D1 = parse_day("2026-07-01")


def T(s: str) -> int:
    return parse_time(s)


def worked_example(params: Params = Params(cemi_n=1)):
    # area 0: four households; h3 never loses power
    rows = [
        (0, "2026-07-01T10:00", "2026-07-01T12:00"),  # 120 min sustained
        (0, "2026-07-01T11:00", "2026-07-01T11:30"),  # duplicate inside the first: merged away
        (0, "2026-07-01T13:00", "2026-07-01T13:03"),  # 3 min: momentary
        (1, "2026-07-01T10:00", "2026-07-01T11:00"),  # 60 min
        (1, "2026-07-02T08:00", "2026-07-02T08:30"),  # 30 min
        (2, "2026-07-02T23:00", "2026-07-03T01:00"),  # 120 min, 60 inside the period
    ]
    hh = np.array([r[0] for r in rows])
    s = np.array([T(r[1]) for r in rows])
    e = np.array([T(r[2]) for r in rows])
    return compute(hh, s, e, np.zeros(len(rows), bool), np.zeros(4, dtype=np.int64), np.array([4]),
                   D1, D1 + 1, params)


def test_ieee_1366_worked_example():
    a = worked_example().areas[0]
    assert a.households == 4
    assert a.interruptions == 4 and a.momentary == 1
    assert a.saifi == pytest.approx(1.0)
    assert a.saidi_minutes == pytest.approx(270 / 4)
    assert a.caidi_minutes == pytest.approx(67.5)
    assert a.caifi == pytest.approx(4 / 3)
    assert a.asai == pytest.approx(1 - 270 / (4 * 2880))
    assert a.maifi == pytest.approx(0.25)
    assert a.cemi == pytest.approx(0.25)  # only h1 had more than one sustained interruption
    assert a.supply_hours_per_day == pytest.approx(((24 - 3.05 / 4) + (24 - 1.5 / 4)) / 2)


def test_daily_supply_and_reporting():
    r = worked_example()
    assert r.daily_supply[0].tolist() == pytest.approx([24 - 3.05 / 4, 24 - 1.5 / 4])
    assert r.daily_reporting[0].tolist() == [2, 2]
    assert r.household_off_hours[2].tolist() == pytest.approx([0, 1])
    # daily SAIDI accrues to the start day with the whole duration (120 min for h2)
    assert r.daily_saidi[0].tolist() == pytest.approx([180 / 4, 150 / 4])


def test_momentary_limit_is_configurable():
    a = worked_example(Params(momentary_seconds=0)).areas[0]
    assert a.momentary == 0 and a.interruptions == 5


def test_med_threshold_known_answer():
    vals = np.array([0.0, 1.0, math.e, math.e ** 2])  # zero days are left out of the logs
    assert med_threshold(vals) == pytest.approx(math.exp(1 + 2.5 * 1.0))  # sample sd of (0, 1, 2) = 1
    assert med_threshold(vals, ddof=0) == pytest.approx(math.exp(1 + 2.5 * math.sqrt(2 / 3)))
    assert med_threshold(np.array([0.0, 5.0])) is None


def test_major_event_day_found():
    # 30 days of ~1 hour outages for 10 households, one day of 20 hours for all of them
    hh, s, e = [], [], []
    rng = np.random.default_rng(4)
    for d in range(30):
        for h in range(10):
            start = (D1 + d) * DAY + int(rng.integers(0, 20 * 3600))
            hours = 20 if d == 17 else float(rng.uniform(0.5, 1.5))
            hh.append(h), s.append(start), e.append(start + int(hours * 3600))
    r = compute(np.array(hh), np.array(s), np.array(e), np.zeros(len(hh), bool), np.zeros(10, dtype=np.int64),
                np.array([10]), D1, D1 + 29)
    assert r.areas[0].major_event_days == [D1 + 17]


def test_open_interval_ends_at_as_of():
    r = compute(np.array([0]), np.array([T("2026-07-01T20:00")]), np.array([T("2026-07-01T22:00")]),
                np.array([True]), np.array([0]), np.array([1]), D1, D1)
    assert r.areas[0].open_intervals == 1
    assert r.areas[0].saidi_minutes == pytest.approx(120)


def test_area_event_detected_with_noise():
    rng = np.random.default_rng(1)
    n = 30
    base = T("2026-07-01T14:00")
    hh = list(range(8))
    s = [base + int(x) for x in rng.integers(0, 180, 8)]  # 8 households within 3 minutes
    e = [base + 3 * 3600 + int(x) for x in rng.integers(0, 600, 8)]
    for _ in range(40):  # scattered fuses over ten days
        h = int(rng.integers(0, n))
        t0 = (D1 + int(rng.integers(0, 10))) * DAY + int(rng.integers(0, DAY))
        hh.append(h), s.append(t0), e.append(t0 + 1800)
    area = np.zeros(len(hh), dtype=np.int64)
    ev = detect_events(area, np.array(hh), np.array(s), np.array(e), np.zeros(len(hh), bool),
                       (D1 * DAY, (D1 + 10) * DAY), Params())
    assert len(ev) == 1
    assert ev[0]["households"] == 8
    assert abs(ev[0]["start"] - base) < 180
    assert abs(ev[0]["end"] - (base + 3 * 3600 + 300)) < 600
    assert ev[0]["confidence"] > 0.9


def test_no_event_below_min_households():
    s = np.array([T("2026-07-01T14:00"), T("2026-07-01T14:01")])
    ev = detect_events(np.zeros(2, dtype=np.int64), np.array([0, 1]), s, s + 3600, np.zeros(2, bool),
                       (D1 * DAY, (D1 + 1) * DAY), Params(event_min_households=3))
    assert ev == []


def test_poisson_sf():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_sf(3, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 0.5))


intervals = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 500), st.integers(0, 120)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(intervals)
def test_merge_is_the_union(rows):
    hh = np.array([r[0] for r in rows], dtype=np.int64)
    s = np.array([r[1] for r in rows], dtype=np.int64)
    e = s + np.array([r[2] for r in rows], dtype=np.int64)
    mh, ms, me = merge_intervals(hh, s, e)
    for h in range(5):
        covered = set()
        for hi, a, b in rows:
            if hi == h:
                covered.update(range(a, a + b))
        got = set()
        mine = [(a, b) for x, a, b in zip(mh, ms, me, strict=True) if x == h]
        for a, b in mine:
            got.update(range(a, b))
        assert got == covered
        # disjoint, not touching, sorted: nothing is double-counted
        assert all(mine[i][1] < mine[i + 1][0] for i in range(len(mine) - 1))
    again = merge_intervals(mh, ms, me)
    assert [x.tolist() for x in again] == [mh.tolist(), ms.tolist(), me.tolist()]


@settings(max_examples=60, deadline=None)
@given(intervals, st.permutations(list(range(40))))
def test_indices_do_not_depend_on_order_or_duplicates(rows, perm):
    if not rows:
        return
    idx = [p for p in perm if p < len(rows)]
    rows2 = [rows[i] for i in idx] + rows[: len(rows) // 2]  # shuffled, with duplicates
    def run(rs):
        hh = np.array([r[0] for r in rs])
        s = D1 * DAY + np.array([r[1] for r in rs]) * 60
        e = s + np.array([r[2] for r in rs]) * 60
        a = compute(hh, s, e, np.zeros(len(rs), bool), np.zeros(5, dtype=np.int64), np.array([5]), D1, D1 + 1).areas[0]
        return (a.saifi, a.saidi_minutes, a.maifi, a.supply_hours_per_day)
    assert run(rows) == pytest.approx(run(rows2))
