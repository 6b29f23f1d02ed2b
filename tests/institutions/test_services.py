"""Services: whom they serve, assets and repairs, costs from a fund, fair shifts, deliveries, imports."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.errors import InvalidInput, NotFound
from halqa.institutions import (
    add_asset,
    create_service,
    deliver,
    deliveries,
    import_deliveries,
    log_asset_repair,
    pay_cost,
    plan_rota,
    service,
    services,
    shifts,
)
from halqa.mutual_aid import list_repairs, log_repair, statement
from tests.conftest import fresh_vault

from .helpers import MEMBERS, neighbourhood


def test_service_assets_repairs_and_costs(vault):
    homes = neighbourhood(vault)
    old = log_repair(vault, "pump seal", "NKH", ["m-a"], day="2026-05-20", done=True)
    create_service(vault, "nakheel-water", "water", areas=["NKH"], households=[homes["MNA"][0]], fund="coop",
                   day="2026-06-01")
    tank = add_asset(vault, "nakheel-water", "1,000 litre tank", repairs=[old.id], day="2026-06-01")
    rep = log_asset_repair(vault, tank.id, "tank valve replaced", ["m-b", "m-c"], day="2026-06-10", done=True)
    cost = pay_cost(vault, "nakheel-water", 120000, purpose="repairs", day="2026-06-02")
    s = service(vault, "nakheel-water")
    assert s.unit == "litres" and s.households == [homes["MNA"][0]]
    assert [r.id for r in s.assets[0].repairs] == [old.id, rep.id]
    assert rep.id in {r.id for r in list_repairs(vault, area="NKH")}  # logged in mutual aid, not copied
    assert s.costs[0].entry == cost.entry and s.costs[0].amount == "120000"
    st = statement(vault, "coop", month="2026-06")
    assert st.by_purpose["repairs"] == {"IQD": "120000"}
    with pytest.raises(InvalidInput) as err:
        pay_cost(vault, "nakheel-water", 10**6, day="2026-06-03")
    assert err.value.msg_id == "mutual_aid.error.insufficient"
    assert len(service(vault, "nakheel-water").costs) == 1


@pytest.mark.parametrize("kwargs,msg", [
    ({"name": "x", "kind": "magic", "areas": ["NKH"]}, "institutions.bad_kind"),
    ({"name": "x", "kind": "water"}, "institutions.serves_nobody"),
    ({"name": "x", "kind": "water", "areas": ["ZZZ"]}, "error.unknown_area"),
    ({"name": "x", "kind": "water", "households": ["hh-nobody"]}, "institutions.unknown_household"),
    ({"name": "x", "kind": "water", "areas": ["NKH"], "fund": "nofund"}, "mutual_aid.error.no_fund"),
    ({"name": "x", "kind": "water", "areas": ["NKH"], "pool": "nopool"}, "institutions.unknown_pool"),
    ({"name": "x y", "kind": "water", "areas": ["NKH"]}, "mutual_aid.error.name"),
])
def test_bad_services_write_nothing(vault, kwargs, msg):
    neighbourhood(vault)
    with pytest.raises(InvalidInput) as err:
        create_service(vault, **kwargs)
    assert err.value.msg_id == msg
    assert services(vault) == []


def test_deliveries_refuse_bad_input_and_write_nothing(vault):
    homes = neighbourhood(vault)
    create_service(vault, "w", "water", areas=["NKH"], day="2026-06-01")
    ok = deliver(vault, "w", homes["NKH"][0], "40", day="2026-06-02")
    assert ok.quantity == 40.0 and ok.area == "NKH"
    cases = [(homes["MNA"][0], 40, "institutions.not_served"), (homes["NKH"][1], -5, "institutions.negative_quantity"),
             (homes["NKH"][1], 0, "institutions.negative_quantity"), (homes["NKH"][1], "lots", "institutions.bad_quantity"),
             (homes["NKH"][1], float("nan"), "institutions.bad_quantity"), ("hh-ghost", 5, "institutions.unknown_household")]
    for hh, q, msg in cases:
        with pytest.raises(InvalidInput) as err:
            deliver(vault, "w", hh, q, day="2026-06-03")
        assert err.value.msg_id == msg
    with pytest.raises(NotFound):
        deliver(vault, "nope", homes["NKH"][0], 5)
    assert len(deliveries(vault)) == 1


def test_rota_uses_fair_irregular_scheduling_and_shifts_are_enforced(vault):
    homes = neighbourhood(vault)
    create_service(vault, "care", "childcare", areas=["NKH"], rota=MEMBERS, day="2026-06-01")
    plan = plan_rota(vault, "care", "2026-06-01", weeks=8, min_gap=1, max_gap=3, seed=4)
    days = [s.day for s in plan.shifts]
    assert plan.fair and plan.complete and days == sorted(days)
    turns = Counter(s.member for s in plan.shifts)
    assert max(turns.values()) - min(turns.values()) <= 1 and set(turns) == set(MEMBERS)
    assert all(a.member != b.member for a, b in itertools.pairwise(plan.shifts))
    assert shifts(vault, "care") == plan.shifts
    first = plan.shifts[0]
    deliver(vault, "care", homes["NKH"][0], 1, day=first.day, worker=first.member)
    other = next(m for m in MEMBERS if m != first.member)
    with pytest.raises(InvalidInput) as err:
        deliver(vault, "care", homes["NKH"][0], 1, day=first.day, worker=other)
    assert err.value.msg_id == "institutions.not_on_shift"
    off_day = "2026-12-25"
    with pytest.raises(InvalidInput):
        deliver(vault, "care", homes["NKH"][0], 1, day=off_day, worker=first.member)
    # planning the same weeks again replaces the shifts rather than adding to them
    again = plan_rota(vault, "care", "2026-06-01", weeks=8, min_gap=1, max_gap=3, seed=5)
    assert shifts(vault, "care") == again.shifts
    create_service(vault, "solo", "childcare", areas=["NKH"], rota=["m-a"])
    with pytest.raises(InvalidInput) as err:
        plan_rota(vault, "solo", "2026-06-01")
    assert err.value.msg_id == "institutions.rota_too_small"


def test_import_reports_every_bad_row_and_keeps_the_good(vault, tmp_path):
    homes = neighbourhood(vault)
    create_service(vault, "w", "water", areas=["NKH"])
    n0, n1, m0 = homes["NKH"][0], homes["NKH"][1], homes["MNA"][0]
    text = ("service,day,household,quantity\n"
            f"w,2026-06-01,{n0},40\n"
            f"w,2026-06-01,{m0},40\n"
            f"w,2026-06-02,{n1},-3\n"
            f"w,June,{n1},20\n"
            f"nope,2026-06-02,{n1},20\n"
            f"w,2026-06-02,{n1},20.5\n")
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    res = import_deliveries(vault, path)
    assert res.kept == 2 and res.rejected == 4
    assert [(e.line, e.error) for e in res.errors] == [
        (3, "institutions.not_served"), (4, "institutions.negative_quantity"), (5, "error.bad_day"),
        (6, "institutions.unknown_service")]
    assert sorted(d.quantity for d in deliveries(vault)) == [20.5, 40.0]
    with pytest.raises(InvalidInput) as err:
        import_deliveries(vault, "day,quantity\n2026-06-01,3\n")
    assert err.value.msg_id == "institutions.bad_header"
    res = import_deliveries(vault, f"day,household,quantity\n2026-06-03,{n0},10\n", svc="w")
    assert res.kept == 1


ROWS = st.lists(st.tuples(st.sampled_from(["w", "nope"]), st.sampled_from(["2026-06-01", "2026-13-01", ""]),
                          st.sampled_from(["hh-n0", "hh-n1", "hh-m0", "hh-ghost"]),
                          st.sampled_from(["40", "0", "-2", "x", "2.5", "1e309"])), max_size=25)


@settings(max_examples=25, deadline=None)
@given(rows=ROWS)
def test_import_keeps_every_good_row_and_reports_every_bad_one(rows):
    with fresh_vault() as vault:
        neighbourhood(vault)
        create_service(vault, "w", "water", areas=["NKH"])
        text = "service,day,household,quantity\n" + "".join(",".join(r) + "\n" for r in rows)
        res = import_deliveries(vault, text)
        good = [r for r in rows if r[0] == "w" and r[1] == "2026-06-01" and r[2] in ("hh-n0", "hh-n1")
                and r[3] in ("40", "2.5")]
        assert res.kept == len(good) and res.kept + res.rejected == len(rows)
        assert sorted(e.line for e in res.errors) == [i + 2 for i, r in enumerate(rows) if r not in good]
        assert len(deliveries(vault)) == len(good)
