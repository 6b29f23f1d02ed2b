"""The services aggregate allies receive: units and households per area, kind and month, small cells withheld."""

from __future__ import annotations

from halqa.bridge import aggregate_tables, received_aggregates, snapshot
from halqa.bridge.aggregates import AggregateTable
from halqa.institutions import create_service, deliver, delivery_cells
from halqa.places import add_area, add_household

from .helpers import neighbourhood


def test_services_aggregate_withholds_small_cells_and_names_nobody(vault):
    homes = neighbourhood(vault, homes=6)
    add_area(vault, "TNY", "حي صغير", "Tiny Lane")
    tiny = [add_household(vault, "TNY", f"hh-t{i}") for i in range(2)]
    create_service(vault, "w", "water", areas=["NKH", "TNY"])
    for h in homes["NKH"]:
        deliver(vault, "w", h, 40, day="2026-08-02")
        deliver(vault, "w", h, 20, day="2026-09-02")
    for h in tiny:
        deliver(vault, "w", h, 40, day="2026-08-02")
    assert sorted(delivery_cells(vault)) == [("NKH", "water", "2026-08", 240.0, 6), ("NKH", "water", "2026-09", 120.0, 6),
                                             ("TNY", "water", "2026-08", 80.0, 2)]
    table = aggregate_tables(vault, 5)["services"]
    assert table == AggregateTable(cells=[("NKH", "water", "2026-08", 240.0, 6), ("NKH", "water", "2026-09", 120.0, 6)],
                                   suppressed=1)
    assert not any(h in str(table) for h in homes["NKH"])
    snaps = snapshot(vault, 5)
    assert {s.dataset for s in snaps} == {"grievances", "outages", "services"}
    got = received_aggregates(vault, "services", ("area", "theme", "period"), own=True)
    assert [(r.area, r.theme, r.period, r.value, r.n) for r in got] == [
        ("NKH", "water", "2026-08", 240.0, 6), ("NKH", "water", "2026-09", 120.0, 6)]


def test_no_services_snapshot_without_services(vault):
    neighbourhood(vault)
    assert {s.dataset for s in snapshot(vault, 5)} == {"grievances", "outages"}
