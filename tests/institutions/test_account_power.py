"""The monthly account's grid figures come from the ledger's hours off per household-day
(:func:`halqa.ledger.supply_periods`, issue 19): the account is the one the full ledger report gave."""

from __future__ import annotations

import random

import halqa.institutions as inst
import halqa.institutions.analysis as analysis
from halqa import circles, ledger, places
from halqa.results import to_data


def test_account_equals_the_one_from_the_full_report(vault, monkeypatch):
    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=20)
    ledger.demo(vault, rng, days=92)
    circles.demo(vault, rng, per_area=8)
    inst.demo(vault, rng)
    hh = sorted(places.household_areas(vault))
    ledger.start_outage(vault, hh[0], at="2026-08-20T10:00")  # still open: cut at each month's end
    ledger.add_interval(vault, hh[1], "2026-07-31T22:00", "2026-08-02T03:00")  # across months
    months = ("2026-06", "2026-07", "2026-08", "2026-09")
    fast = [to_data(inst.account_trend(vault, m, 4)) for m in months] + [to_data(inst.account(vault, m)) for m in months]
    monkeypatch.setattr(analysis, "supply_periods", lambda v, periods: [ledger.report(v, a, b).areas for a, b in periods])
    full = [to_data(inst.account_trend(vault, m, 4)) for m in months] + [to_data(inst.account(vault, m)) for m in months]
    assert fast == full
    assert any(a["state_grid_hours_per_day"] is not None for t in fast[:4] for m in t for a in m["areas"].values())
