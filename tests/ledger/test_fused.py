"""The compiled pass (halqa.ledger.fused) gives exactly the numbers of the numpy passes it replaces (kept in
halqa.ledger.analysis as the fallback without numba): every index, day array and event, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.ledger import analysis
from halqa.ledger.analysis import Params, compute
from halqa.ledger.events import DAY

from .test_fast_path import same_result

fused = pytest.importorskip("halqa.ledger.fused")

FIRST = 20_600


def both(*args, **kwargs) -> tuple[analysis.Result, analysis.Result]:
    """``compute`` through the compiled pass, then through the numpy passes."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(analysis, "_FUSED", [fused])
        got = compute(*args, **kwargs)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(analysis, "_FUSED", [None])
        want = compute(*args, **kwargs)
    return got, want


def city(seed: int, n: int, n_hh: int, n_areas: int, days: int, sort: bool, by_area: bool = False):
    """Random intervals: overlapping, touching, momentary, zero-length, ending before they start, multi-day,
    before and after the period, open; in (household, start) order as the vault gives them, or shuffled;
    households numbered by area (as the vault's read numbers them) when ``by_area``."""
    rng = np.random.default_rng(seed)
    hh_area = rng.integers(0, n_areas, n_hh)
    hh_area[:min(n_areas, n_hh)] = np.arange(min(n_areas, n_hh))
    if by_area:
        hh_area.sort()
    n_customers = np.maximum(np.bincount(hh_area, minlength=n_areas), 1)
    hh = rng.integers(0, n_hh, n)
    start = (FIRST - 1) * DAY + rng.integers(0, (days + 2) * DAY, n)
    start[: n // 3] = (FIRST + rng.integers(0, days, n // 3)) * DAY + rng.integers(0, 4, n // 3) * 300  # clustered
    end = start + rng.choice([0, 60, 300, 301, 3600, DAY, 2 * DAY + 7], n) - rng.integers(0, 2, n) * 30
    touch = rng.random(n) < 0.1  # some start exactly where another of theirs ends
    start[1:][touch[1:]] = end[:-1][touch[1:]]
    hh[1:][touch[1:]] = hh[:-1][touch[1:]]
    end[1:][touch[1:]] = np.maximum(end[1:][touch[1:]], start[1:][touch[1:]])
    is_open = rng.random(n) < 0.1
    if sort:
        order = np.lexsort((end, start, hh))
        hh, start, end, is_open = hh[order], start[order], end[order], is_open[order]
    return hh, start, end, is_open, hh_area, n_customers


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), n_hh=st.integers(1, 40), n_areas=st.integers(1, 5),
       days=st.integers(1, 6), sort=st.booleans(), momentary=st.sampled_from([0, 300, 3600]),
       with_tallies=st.booleans(), with_history=st.booleans(), events=st.booleans(), by_area=st.booleans())
def test_compiled_equals_numpy(seed, n, n_hh, n_areas, days, sort, momentary, with_tallies, with_history,
                               events, by_area):
    hh, start, end, is_open, hh_area, n_customers = city(seed, n, n_hh, n_areas, days, sort, by_area)
    rng = np.random.default_rng(seed + 1)
    tallies = (rng.integers(0, n_hh, 6), FIRST - 1 + rng.integers(0, days + 2, 6), rng.uniform(-2, 30, 6)) \
        if with_tallies else None
    med = (FIRST - 3, FIRST + days + 1) if with_history else None
    params = Params(momentary_seconds=momentary, event_min_households=2, event_min_confidence=0.0)
    got, want = both(hh, start, end, is_open, hh_area, n_customers, FIRST, FIRST + days - 1, params,
                     tallies=tallies, med_days=med, events=events)
    same_result(got, want)


@pytest.mark.parametrize("per_area", [1, 7, 8, 9, 17, 129, 300, 1100])
@pytest.mark.parametrize("days", [1, 2, 31])
def test_area_sums_equal_reduceat_for_large_areas(per_area, days):
    """The hours off of an area's households are summed in numpy's pairwise order (blocks of 8 and of 128)."""
    n_areas = 3
    n_hh = per_area * n_areas
    rng = np.random.default_rng(per_area * 100 + days)
    hh = np.repeat(np.arange(n_hh), 3)
    start = (FIRST + rng.integers(0, days, len(hh))) * DAY + rng.integers(0, DAY, len(hh))
    end = start + rng.integers(1, 5 * 3600, len(hh))
    for hh_area in (rng.permutation(np.arange(n_hh) % n_areas), np.repeat(np.arange(n_areas), per_area)):  # by area
        got, want = both(hh, start, end, np.zeros(len(hh), bool), hh_area, np.bincount(hh_area), FIRST,
                         FIRST + days - 1, Params(), events=False)
        same_result(got, want)


def test_households_numbered_by_area_make_the_table_only_when_read(monkeypatch):
    """Households numbered by area and no tallies: one pass, no household-day table until household_off_hours is
    read, and then the same table as the pass that writes it (households numbered otherwise, or with tallies)."""
    hh, start, end, is_open, hh_area, n_customers = city(11, 2000, 60, 4, 5, sort=True, by_area=True)
    monkeypatch.setattr(analysis, "_FUSED", [fused])
    lazy = compute(hh, start, end, is_open, hh_area, n_customers, FIRST, FIRST + 4, events=False)
    assert lazy.off_hours is None and lazy.make_off_hours is not None
    before = (np.array([0]), np.array([FIRST - 10]), np.array([5.0]))  # a tally before the period: no effect
    eager = compute(hh, start, end, is_open, hh_area, n_customers, FIRST, FIRST + 4, events=False, tallies=before)
    assert eager.off_hours is not None
    interleaved = np.argsort(np.argsort(hh_area % 2, kind="stable"), kind="stable")  # households renumbered
    order = np.lexsort((start, interleaved[hh]))
    table_path = compute(interleaved[hh][order], start[order], end[order], is_open[order],
                         hh_area[np.argsort(interleaved)], n_customers, FIRST, FIRST + 4, events=False)
    assert table_path.off_hours is not None
    assert np.array_equal(lazy.household_off_hours, eager.household_off_hours)
    assert np.array_equal(lazy.household_off_hours[np.argsort(interleaved)], table_path.household_off_hours)
    assert lazy.make_off_hours is None  # made once, and the input arrays are no longer held
    same_result(lazy, eager)


def test_kernels_load_back_from_numba_cache(tmp_path):
    """A second process loads the compiled kernels from numba's cache and gets the same numbers (a kernel whose
    signatures numba's cache could not load back crashed the process)."""
    script = (
        "import numpy as np\n"
        "from halqa.ledger.analysis import compute\n"
        "from halqa.ledger.events import DAY\n"
        "s = 20600 * DAY + np.arange(300) * 3000\n"
        "hh = np.repeat(np.arange(30), 10)\n"
        "r = compute(hh, s, s + 4000, np.zeros(300, bool), np.arange(30) // 7, np.bincount(np.arange(30) // 7), 20600, 20612,"
        " events=False)\n"
        "print(repr([a.saidi_minutes for a in r.areas]), r.daily_supply.sum().hex(), r.household_off_hours.sum().hex())\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(Path(analysis.__file__).parents[2]))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-2000:]
    assert any(tmp_path.rglob("*merge_and_sum_areas*.nbc"))  # the second run could load from there
    assert runs[0].stdout == runs[1].stdout


def test_unsorted_input_is_sorted_and_sorted_input_is_not():
    hh, start, end, is_open, hh_area, n_customers = city(5, 3000, 200, 4, 5, sort=False)
    order = np.lexsort((start, hh))
    a, b = both(hh, start, end, is_open, hh_area, n_customers, FIRST, FIRST + 4)
    c, d = both(hh[order], start[order], end[order], is_open[order], hh_area, n_customers, FIRST, FIRST + 4)
    same_result(a, b)
    same_result(c, d)
    same_result(a, c)


def test_household_out_of_range_raises(monkeypatch):
    monkeypatch.setattr(analysis, "_FUSED", [fused])
    s = FIRST * DAY + np.array([0, 100])
    for hh in (np.array([0, 2]), np.array([-1, 0]), np.array([2, 0])):  # sorted and unsorted
        with pytest.raises(IndexError):
            compute(hh, s, s + 600, np.zeros(2, bool), np.array([0, 0]), np.array([2]), FIRST, FIRST)
    with pytest.raises(IndexError):
        compute(np.array([0]), s[:1], s[:1] + 600, np.zeros(1, bool), np.array([1]), np.array([2]), FIRST, FIRST)
