"""Aggregate-only bundles (no member, household or text; small cells suppressed) and DP publication."""

from __future__ import annotations

import random

import pytest

from halqa import listening, places
from halqa.bridge import (
    BundleInvalid,
    aggregate_tables,
    budget,
    export_bundle,
    import_bundle,
    publish_table,
    received_aggregates,
    set_budget,
)
from halqa.bridge.aggregates import suppress
from halqa.bridge.bundle import read_inner, seal, write_inner
from halqa.bridge.keys import age_identity
from halqa.errors import InvalidInput
from halqa.results import to_data
from halqa.vault import export_commits


def _fill(v, seed=3, n=150):
    rng = random.Random(seed)
    places.demo(v, rng, households_per_area=2)
    listening.demo(v, rng, n=n)
    for i in range(12):  # one distinctive, identifying text that must never leave
        listening.add_grievance(v, themes=["water"], place="NKH", day="2026-03-02", text=f"أم حسين قالت {i}")
    v.append("ledger_interval.put", {"id": "iv-1", "household": "hh-secret", "area": "NKH",
                                     "start_at": 20_600 * 86400 + 3600, "end_at": 20_600 * 86400 + 7200, "source": "grid"})


def test_suppression_threshold():
    cells = [("A", "t", "w", 4.0, 4), ("A", "u", "w", 5.0, 5), ("B", "t", "w", 9.0, 9)]
    assert suppress(cells, 5) == ([cells[1], cells[2]], 1)
    with pytest.raises(InvalidInput):
        suppress(cells, 0)


def test_aggregate_bundle_carries_no_member_household_or_text(devices):
    x, y, _ = devices
    _fill(x)
    sent = export_bundle(x, ["y"], None, aggregate_only=True, threshold=5)
    assert sent.kind == "aggregates" and sent.commits == 1
    import pyrage

    inner = pyrage.decrypt(sent.data, [age_identity(y)])
    _header, records = read_inner(inner)
    assert {e.kind for r in records for e in r.events} == {"bridge_aggregate.put"}
    for needle in ("أم حسين".encode(), b"hh-", "حي النخيل".encode(), b"sect", b"sunni", b"shia"):
        assert needle not in inner
    tables = aggregate_tables(x, 5)
    assert all(c[4] >= 5 for t in tables.values() for c in t.cells)
    assert tables["grievances"].suppressed > 0 and sent.aggregates["grievances"].suppressed > 0
    res = import_bundle(y, sent.data)
    assert res.events_new == 2
    got = received_aggregates(y, "grievances", ("area", "theme", "period"))
    assert got and all(r.n >= 5 and r.circles == 1 for r in got)
    water = [r for r in got if r.theme == "water" and r.area == "NKH" and r.period == "2026-03-02"]
    assert water and water[0].value >= 12
    # a newer snapshot from the same circle replaces the older one (no double counting)
    import_bundle(y, export_bundle(x, ["y"], None, aggregate_only=True).data)
    assert received_aggregates(y, "grievances", ("area", "theme", "period")) == got
    assert received_aggregates(y, "grievances", (), own=False)[0].circles == 1


def test_aggregate_bundle_smuggling_records_is_refused(devices):
    x, y, _ = devices
    _fill(x, n=20)
    rec = str(age_identity(y).to_public())
    _, inner = write_inner(x, export_commits(x), [rec], kind="aggregates")
    with pytest.raises(BundleInvalid) as err:
        import_bundle(y, seal(inner, [rec]))
    assert err.value.msg_id == "bridge.bundle_not_aggregate"
    assert y.query("SELECT count(*) FROM household")[0][0] == 0


def test_dp_budget_is_explicit_tracked_and_never_overspent(vault):
    _fill(vault)
    with pytest.raises(InvalidInput) as err:
        publish_table(vault, "grievances", 0.5)
    assert err.value.msg_id == "bridge.no_budget"
    set_budget(vault, "grievances", 1.0)
    t1 = publish_table(vault, "grievances", 0.6)
    assert t1.budget.spent == pytest.approx(0.6) and t1.epsilon_used <= 0.6 + 1e-9
    assert t1.error95 > 0 and "OpenDP" in t1.mechanism
    assert t1.grid >= t1.suppressed + len(t1.cells)
    assert all(c.count >= 5 for c in t1.cells)
    with pytest.raises(InvalidInput) as err:
        publish_table(vault, "grievances", 0.5)
    assert err.value.msg_id == "bridge.budget_exhausted"
    assert budget(vault)["grievances"].publications == 1  # the refusal spent nothing
    publish_table(vault, "grievances", 0.4)
    assert budget(vault)["grievances"].remaining == pytest.approx(0.0)
    with pytest.raises(InvalidInput):
        set_budget(vault, "grievances", 0.5)  # below what is spent
    with pytest.raises(InvalidInput):
        publish_table(vault, "nothing", 0.1)


def test_dp_noise_is_calibrated(vault):
    """Over many cells, the spread of the noise matches the documented error bound."""
    _fill(vault)
    set_budget(vault, "grievances", 10.0)
    res = publish_table(vault, "grievances", 1.0, threshold=0, max_themes=2)
    # scale = sensitivity / epsilon = 2; 95% bound of discrete Laplace(2) is about 6.4
    assert res.scale == pytest.approx(2.0) and 5 < res.error95 < 8
    assert res.relative_error_typical is None or res.relative_error_typical > 0


def test_dp_outages(vault):
    _fill(vault)
    set_budget(vault, "outages", 2.0)
    res = publish_table(vault, "outages", 1.0, threshold=0, first="2026-05-25", last="2026-05-31")
    assert res.grid == 7 * 6 and res.error95_minutes > 1000
    assert set(to_data(res.cells[0])) == {"area", "day", "households", "outage_minutes", "minutes_per_household"}
