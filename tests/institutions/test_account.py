"""The monthly account: the vectorised core against a plain count, and the vault's account and trend."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest

from halqa.errors import InvalidInput
from halqa.institutions import (
    account,
    account_trend,
    close,
    create_service,
    deliver,
    position,
    propose,
    tabulate,
)
from halqa.ledger import add_interval, add_water
from halqa.mutual_aid import log_repair
from halqa.results import to_data

from .helpers import neighbourhood


def test_tabulate_matches_a_plain_count():
    rng = random.Random(3)
    n = 5000
    rows = [(rng.randrange(7), rng.randrange(5), rng.randrange(6), rng.randrange(300), rng.choice((1.0, 2.5, 40.0)))
            for _ in range(n)]
    area, month, kind, hh, qty = (np.array(c) for c in zip(*rows, strict=True))
    tab = tabulate(area, month, kind, hh, qty.astype(float), 7, 5, 6)
    q: dict = defaultdict(float)
    c: dict = defaultdict(int)
    homes: dict = defaultdict(set)
    homes_any: dict = defaultdict(set)
    for a, m, k, h, x in rows:
        q[(a, m, k)] += x
        c[(a, m, k)] += 1
        homes[(a, m, k)].add(h)
        homes_any[(a, m)].add(h)
    for (a, m, k), v in q.items():
        assert tab.quantity[a, m, k] == pytest.approx(v)
        assert tab.deliveries[a, m, k] == c[(a, m, k)]
        assert tab.households[a, m, k] == len(homes[(a, m, k)])
    assert int(tab.deliveries.sum()) == n
    for (a, m), s in homes_any.items():
        assert tab.households_any[a, m] == len(s)
    empty = tabulate(*(np.zeros(0, dtype=np.int64) for _ in range(4)), np.zeros(0), 2, 2, 6)
    assert empty.quantity.sum() == 0 and empty.households_any.shape == (2, 2)


def test_account_sets_network_beside_state(vault):
    homes = neighbourhood(vault)
    create_service(vault, "w", "water", areas=["NKH"])
    create_service(vault, "g", "power", areas=["MNA"])
    for i, h in enumerate(homes["NKH"][:4]):
        deliver(vault, "w", h, 40, day=f"2026-08-0{i + 1}")
    deliver(vault, "w", homes["NKH"][0], 20, day="2026-08-20")
    deliver(vault, "w", homes["NKH"][0], 20, day="2026-07-20")
    for h in homes["MNA"][:2]:
        deliver(vault, "g", h, 31 * 4, day="2026-08-10")
    for h in homes["NKH"]:  # the state: a tap that ran dry on 2 of 3 recorded days
        for d, dry in (("2026-08-02", True), ("2026-08-03", True), ("2026-08-04", False)):
            add_water(vault, h, d, no_water=dry)
    for h in homes["MNA"]:  # the grid: off 12 hours every day of August
        for d in range(1, 32):
            add_interval(vault, h, f"2026-08-{d:02d}T06:00", f"2026-08-{d:02d}T18:00")
    log_repair(vault, "generator belt", "MNA", ["m-a"], day="2026-08-11", done=True)
    p = propose(vault, "x", ["a", "b"], day="2026-08-01")
    position(vault, p.id, "m-a", "a", day="2026-08-02")
    close(vault, p.id, day="2026-08-03")
    acc = account(vault, "2026-08")
    nkh, mna = acc.areas["NKH"], acc.areas["MNA"]
    assert nkh.water.network_litres == 180.0 and nkh.water.network_households == 4
    assert nkh.water.state_no_water_days == 12 and nkh.water.state_no_water_share == pytest.approx(2 / 3, abs=1e-4)
    assert nkh.households_served == 4 and nkh.services["water"].deliveries == 5
    assert mna.power.network_hours_per_household_day == pytest.approx(4.0)
    assert mna.power.state_grid_hours_per_day == pytest.approx(12.0, abs=0.01)
    assert mna.repairs_done == 1 and acc.network.decisions == 1
    assert acc.network.money.funds_in == {}  # the fund's money came in June
    trend = account_trend(vault, "2026-08", months=3)
    assert [m.month for m in trend] == ["2026-06", "2026-07", "2026-08"]
    assert trend[1].areas["NKH"].litres == 20.0 and trend[2].areas["NKH"].litres == 180.0
    assert account_trend(vault, "2026-06", 1)[0].areas == {}
    for bad in ("2026-13", "August"):
        with pytest.raises(InvalidInput):
            account(vault, bad)
    with pytest.raises(InvalidInput):
        account_trend(vault, "2026-08", months=0)


def test_account_of_an_empty_vault(vault):
    assert to_data(account(vault, "2026-08")) == {"month": "2026-08", "areas": {}, "network": {
        "households_served": 0, "decisions": 0, "money": {"funds_in": {}, "funds_out": {}, "pools_paid_out": {}}}}
