"""The JSON shapes of mutual aid's typed results (``--json`` and the web API serialise them with
:func:`halqa.results.to_data`): the same keys the dicts had before the results were typed."""

import halqa.mutual_aid as ma
from halqa.results import to_data


def test_fund_results_keep_their_keys(vault):
    assert to_data(ma.create_fund(vault, "families", "IQD", day="2026-05-01")) == {
        "name": "families", "currency": "IQD", "created": "2026-05-01"}
    given = to_data(ma.contribute(vault, "families", "hh-aaaa", "25000", day="2026-05-02"))
    assert list(given) == ["id", "day", "type", "amount", "currency"] and given["amount"] == "25000"
    ma.contribute(vault, "families", "hh-aaaa", "100", currency="USD", day="2026-05-02")
    changed = to_data(ma.exchange(vault, "families", "50", "USD", "IQD", rate="1300", day="2026-05-03"))
    assert list(changed) == ["id", "day", "type", "amount", "currency", "received", "to_currency", "rate"]
    assert list(to_data(ma.void(vault, given["id"], day="2026-05-04"))) == ["id", "day", "type"]
    month = to_data(ma.statement(vault, "families", month="2026-05", entries=False))
    assert month["from"] == "2026-05-01" and month["to"] == "2026-05-31" and "entries" not in month
    assert set(month) == {"fund", "currency", "balance", "month", "from", "to", "opening", "holdings", "value",
                          "contributions", "disbursements", "by_purpose", "transfers_in", "transfers_out", "exchanges",
                          "corrections", "pledges_outstanding", "overdrawn"}
    line = to_data(ma.statement(vault, "families"))["entries"][0]
    assert list(line) == ["id", "day", "type", "amount", "currency", "purpose", "party", "hidden", "overdraft", "note"]
    assert to_data(ma.funds(vault)) == [{"name": "families", "currency": "IQD", "created": "2026-05-01",
                                         "balance": "65000", "holdings": {"IQD": "65000", "USD": "50.00"}}]


def test_pool_and_tool_results_keep_their_keys(vault):
    ma.create_pool(vault, "p", ["a1", "a2", "a3"], "100", method="agreed", start="2026-01-01")
    drawn = to_data(ma.draw(vault, "p", order=["a1", "a2", "a3"]))
    assert drawn["order"][0] == {"round": 1, "member": "a1", "due": "2026-01-01"} and drawn["discount"] == "0"
    assert ma.swap(vault, "p", "a2", "a3", day="2026-01-01") == {"pool": "p", "a2": 3, "a3": 2}
    status = to_data(ma.pool_status(vault, "p", today_="2026-01-02"))
    assert list(status["this_round"]) == ["round", "due", "recipient", "drawn", "owes", "ready"]
    assert list(status["schedule"][0]) == ["round", "due", "recipient", "discount", "pot", "paid", "paid_out",
                                           "paid_out_day"]
    item = to_data(ma.add_item(vault, "drill", "tool", day="2026-01-01"))
    assert set(item) == {"id", "name", "category", "keeper", "added", "note", "retired"} and item["keeper"] == ""
    assert to_data(ma.repair_stats(vault)) == {"logged": 0, "done": 0, "open": 0, "median_days": None, "people": 0,
                                               "by_area": {}, "by_month": {}}
