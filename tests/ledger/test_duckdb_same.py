"""The ledger's indices equal DuckDB's SQL for the same conventions (benchmarks/ledger_sql.py), on small random
cities with overlapping, touching, momentary and multi-day intervals (skipped without the ``bench`` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.ledger.analysis import Params, compute
from halqa.ledger.events import DAY

pytest.importorskip("duckdb")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from ledger_sql import indices

FIRST = 20_600


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), n_hh=st.integers(1, 30), n_areas=st.integers(1, 4),
       days=st.integers(1, 5), in_order=st.booleans())
def test_same_indices_as_sql(seed, n, n_hh, n_areas, days, in_order):
    rng = np.random.default_rng(seed)
    hh_area = rng.integers(0, n_areas, n_hh)
    hh_area[:n_areas] = np.arange(min(n_areas, n_hh))
    n_customers = np.maximum(np.bincount(hh_area, minlength=n_areas), 1)
    hh = rng.integers(0, n_hh, n)
    start = (FIRST - 1) * DAY + rng.integers(0, (days + 2) * DAY, n)
    end = start + rng.choice([0, 60, 300, 301, 3600, 2 * DAY], n) - rng.integers(0, 2, n) * 30
    if in_order:  # as the vault's read gives them: the compiled pass then needs no sort
        order = np.lexsort((end, start, hh))
        hh, start, end = hh[order], start[order], end[order]
    r = compute(hh, start, end, np.zeros(n, bool), hh_area, n_customers, FIRST, FIRST + days - 1, Params(), events=False)
    sql = indices(hh, start, end, hh_area, n_customers, FIRST, days)
    for name, attr in (("saifi", "saifi"), ("saidi", "saidi_minutes"), ("caidi", "caidi_minutes"), ("caifi", "caifi"),
                       ("asai", "asai"), ("maifi", "maifi"), ("cemi", "cemi"), ("supply", "supply_hours_per_day")):
        ours = np.array([np.nan if getattr(a, attr) is None else getattr(a, attr) for a in r.areas], dtype=float)
        np.testing.assert_allclose(ours, sql[name], rtol=1e-12, atol=1e-12, err_msg=name)
