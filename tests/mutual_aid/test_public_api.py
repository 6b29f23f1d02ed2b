import inspect

import halqa.mutual_aid as ma


def test_public_api_is_pinned():
    assert ma.__all__ == sorted(ma.__all__, key=lambda n: (not n.isupper(), n))
    assert set(ma.__all__) == {
        "CURRENCIES", "PURPOSES", "add_item", "balances", "cancel_pledge", "cash_months", "close_pool", "contribute", "cover",
        "create_fund", "create_pool", "decoy", "demo", "disburse", "draw", "draw_order", "exchange", "export_beancount",
        "finish_repair", "format_minor", "funds", "giving_months", "lend", "list_items", "list_repairs", "log_repair",
        "month_flows", "parse_amount",
        "pay", "payout", "pledge", "pool_status", "pools", "rate_on", "reminders", "repair_stats", "repay",
        "return_item", "set_rate", "statement", "statement_lines", "swap", "transfer", "void",
        # result types
        "Covered", "Debt", "Drawn", "Entry", "Exchanged", "Fund", "FundCreated", "Item", "ItemStatus", "Loan",
        "OwedDue", "Payment", "PoolClosed", "PoolCreated", "PoolEvent", "PoolStatus", "PoolSummary", "Posted",
        "RateSet", "Reminder", "Repaid", "Repair", "RepairDone", "RepairStats", "Returned", "RoundPaidOut",
        "ScheduledRound", "Statement", "StatementLine", "ThisRound", "Turn"}
    for name in ma.__all__:
        obj = getattr(ma, name)
        if callable(obj):
            assert inspect.getdoc(obj), name
            if inspect.isfunction(obj):
                assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, name


def test_demo_and_decoy(vault):
    import random

    from halqa.places import demo as places_demo

    places_demo(vault, random.Random(1), households_per_area=10)
    report = ma.demo(vault, random.Random(7))
    assert report["pool_round"] == 2 and report["pool_paid_out"] == 1
    assert report["tools_overdue"] == 1 and report["repair_jobs"] == 3
    st_ = ma.statement(vault, "arrested-families")
    assert int(st_.balance) > 0 and st_.by_purpose["family"]
    assert ma.pool_status(vault, "port-jamiya", today_="2026-10-07").this_round.ready is False
    before = vault.digests()
    assert vault.rebuild() == before
    ma.decoy(vault, random.Random(3))
    assert ma.pool_status(vault, "family-savings").round == 2
