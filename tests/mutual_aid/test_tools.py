import pytest

import halqa.mutual_aid as ma
from halqa.errors import InvalidInput, NotFound
from halqa.results import to_data


def test_lend_return_overdue(vault):
    drill = ma.add_item(vault, "drill", "tool", keeper="hh-keep", day="2026-05-01")
    assert ma.list_items(vault, today="2026-05-01")[0].holder == "hh-keep"
    loan = ma.lend(vault, drill.id, "hh-borrow", days=3, day="2026-05-02")
    assert loan.due == "2026-05-05"
    with pytest.raises(InvalidInput) as err:
        ma.lend(vault, "drill", "hh-other")
    assert err.value.msg_id == "mutual_aid.error.item_out"
    assert ma.list_items(vault, today="2026-05-05", overdue_only=True) == []
    late = ma.list_items(vault, today="2026-05-08", overdue_only=True)
    assert late[0].holder == "hh-borrow" and late[0].days_overdue == 3
    back = ma.return_item(vault, "drill", day="2026-05-07", condition="ok")
    assert back.late
    with pytest.raises(InvalidInput):
        ma.return_item(vault, "drill")
    assert ma.list_items(vault, today="2026-06-01")[0].lent is False
    with pytest.raises(NotFound):
        ma.lend(vault, "saw", "hh-b")
    with pytest.raises(InvalidInput):
        ma.add_item(vault, "x", "weapon")


def test_repairs_use_up_parts_and_feed_stats(vault):
    f = ma.add_item(vault, "air filter", "filter", day="2026-05-01")
    panel = ma.add_item(vault, "solar panel", "solar-panel", day="2026-05-01")
    r = ma.log_repair(vault, "street generator", "nkh", ["hh-a", "hh-b"], parts=[f.id, "2m hose"], day="2026-05-03")
    assert r.area == "NKH" and r.done is None
    assert [i.id for i in ma.list_items(vault, today="2026-05-03")] == [panel.id]  # the filter was used up
    with pytest.raises(InvalidInput):
        ma.log_repair(vault, "again", "NKH", ["hh-a"], parts=[f.id])
    assert ma.finish_repair(vault, r.id, day="2026-05-06").days == 3
    with pytest.raises(InvalidInput):
        ma.finish_repair(vault, r.id)
    ma.log_repair(vault, "pump", "MNA", ["hh-c"], day="2026-06-01")
    stats = ma.repair_stats(vault)
    assert to_data(stats) == {"logged": 2, "done": 1, "open": 1, "median_days": 3, "people": 3,
                     "by_area": {"MNA": 1, "NKH": 1}, "by_month": {"2026-05": 1, "2026-06": 1}}
    assert [x.area for x in ma.list_repairs(vault, open_only=True)] == ["MNA"]
    with pytest.raises(InvalidInput):
        ma.log_repair(vault, "x", "no such area!", ["hh-a"])
    with pytest.raises(InvalidInput):
        ma.log_repair(vault, "x", "NKH", [])
    with pytest.raises(NotFound):
        ma.finish_repair(vault, "r-none")
