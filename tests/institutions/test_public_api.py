import inspect
import random

import halqa.institutions as inst


def test_public_api_is_pinned():
    assert inst.__all__ == sorted(inst.__all__, key=lambda n: (not n.isupper(), n))
    assert set(inst.__all__) == {
        "CONSENT", "KINDS", "LINK_KINDS", "MODES", "UNITS", "Tabulation", "account", "account_and_trend", "account_trend",
        "add_asset", "adopt_tactic", "choose_tactic", "close", "count_in_person", "create_service", "decision_log", "decoy",
        "deliver", "deliveries", "delivery_cells", "delivery_span", "demo", "import_deliveries", "irv", "link", "log_asset_repair",
        "pay_cost", "plan_rota", "position", "proposal", "proposals", "propose", "service", "services", "shifts",
        "tabulate", "tally",
        # result types
        "Account", "AreaAccount", "AreaTrend", "Asset", "AssetAdded", "AssetRepair", "Cost", "CostPaid", "Delivery",
        "Imported", "InPersonCount", "Linked", "Money", "MonthDelivered", "Network", "PositionTaken", "PowerSide",
        "Proposal", "ProposalLink", "Rota", "RowError", "Served", "Service", "ServiceSummary", "Shift",
        "Tally", "Trend", "WaterSide"}
    for name in inst.__all__:
        obj = getattr(inst, name)
        if callable(obj):
            assert inspect.getdoc(obj), name
            if inspect.isfunction(obj):
                assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, name


def test_demo_and_decoy(vault):
    from halqa import circles, ledger, places

    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=20)
    ledger.demo(vault, rng, days=92)
    circles.demo(vault, rng, per_area=8)
    report = inst.demo(vault, rng)
    assert report["institutions_water_decision"].startswith("agreed")
    assert report["institutions_services"] == 3 and report["institutions_rota_fair"] is True
    assert report["institutions_august_litres"] > 0 and report["institutions_august_grid_hours"] > 0
    log = inst.decision_log(vault)
    assert len(log) == 2 and {ln.kind for ln in log[0].links} == {"service", "fund_entry"}
    before = vault.digests()
    assert vault.rebuild() == before
    inst.decoy(vault, rng)
    assert len(inst.decision_log(vault)) == 3
