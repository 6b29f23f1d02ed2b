"""Parsers: bad rows reported with reasons, good rows kept; the three real datasets."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.ledger import importers
from halqa.ledger.events import parse_time

CSV = """household,area,start,end,source
hh-aaaa,NKH,2026-07-01T10:00,2026-07-01T12:00,grid
hh-aaaa,NKH,2026-07-01T10:00,2026-07-01T12:00,grid
 hh-bbbb ,NKH,2026-07-01 10:05:00+03:00,,grid
hh-cccc,NKH,2004-12-31T10:00,2004-12-31T11:00,grid
hh-dddd,NKH,yesterday,2026-07-01T11:00,grid
hh-eeee,NKH,2026-07-01T12:00,2026-07-01T11:00,grid
hh-ffff,N K H,2026-07-01T12:00,2026-07-01T13:00,grid
hh-gggg,NKH,2026-07-01T12:00,2026-07-01T13:00,solar
hh-hhhh,NKH
hh-iiii,NKH,2026-07-01T09:00Z,2026-07-01T10:00Z,generator
"""


def test_csv_rows_and_reasons():
    res = importers.parse_csv(CSV)
    assert [r.household for r in res.rows] == ["hh-aaaa", "hh-bbbb", "hh-iiii"]
    reasons = dict(res.rejected)
    assert "duplicate of line 2" in reasons[3]
    assert "clock" in reasons[5]
    assert "ISO 8601" in reasons[6]
    assert "before start" in reasons[7]
    assert "area" in reasons[8]
    assert "source" in reasons[9]
    assert "columns" in reasons[10]
    assert (4, "stray whitespace removed") in res.fixed
    open_row = res.rows[1]
    assert open_row.end is None and open_row.start == parse_time("2026-07-01T10:05")
    assert res.rows[2].start == parse_time("2026-07-01T12:00")  # UTC converted to Baghdad time
    assert res.rows[2].source == "generator"


def test_csv_bad_header():
    res = importers.parse_csv("who,where\nx,y\n")
    assert res.rows == [] and res.rejected[0][0] == 1


def test_households_csv():
    res = importers.parse_households("household,area\nhh-a1,nkh\nhh-a1,MNA\nbad name,NKH\nhh-b2,MNA\n")
    assert res.households == {"hh-a1": "NKH", "hh-b2": "MNA"}
    assert [ln for ln, _ in res.rejected] == [3, 4]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="hN-K0123456789:T ,.x\"", max_size=25), min_size=0, max_size=6), max_size=12))
def test_csv_never_crashes_and_accounts_for_every_line(cells):
    body = "\n".join(",".join(c.replace("\n", " ").replace(",", "") for c in row) for row in cells)
    res = importers.parse_csv("household,area,start,end,source\n" + body)
    seen = {r.line for r in res.rows} | {ln for ln, _ in res.rejected}
    assert seen <= set(range(1, len(cells) + 2))
    assert {r.line for r in res.rows}.isdisjoint({ln for ln, _ in res.rejected})


def test_gridwatch_pairs_and_repeated_states():
    text = ("time, id, type\n"
            "1104485658,6cad15226bf1c195,unplugged\n"       # 2005: unset clock
            "1400000000,8eeeb4d35e39e4,unplugged\n"         # 14 hex digits: zero-padded
            "1400000600,8eeeb4d35e39e4,unplugged\n"         # repeated state
            "1400001200,8eeeb4d35e39e4,plugged\n"
            "1400001300,8eeeb4d35e39e4,plugged\n")          # plugged twice
    res = importers.parse_gridwatch(text, area="GW")
    assert len(res.rows) == 1 and res.rows[0].household == "gw-008eeeb4d35e39e4"
    assert res.rows[0].end - res.rows[0].start == 1200
    reasons = dict(res.rejected)
    assert "clock" in reasons[2] and "repeated state" in reasons[4] and "repeated state" in reasons[6]


def test_real_gridwatch(shared_data):
    folder = shared_data / "outages" / "gridwatch-kenya"
    res = importers.parse_gridwatch((folder / "gw_kenya_sanitized.csv").read_bytes())
    reasons = Counter(r.split(":")[0].split(" (")[0] for _, r in res.rejected)
    assert reasons["time is in 2005"] + reasons["time is in 2004"] == 35  # unset phone clocks
    assert reasons["repeated state"] >= 800  # PROVENANCE: 840 repeated states
    assert len(res.rows) > 1500
    assert len(res.households) == 10
    assert all(len(h) == 19 for h in res.households)  # gw- + 16 hex digits after zero-padding
    raw = importers.parse_gridwatch((folder / "events.csv").read_bytes())
    raw_reasons = Counter(r.split(" (")[0].split(" of line")[0] for _, r in raw.rejected)
    assert raw_reasons["watchdog row"] >= 240
    assert raw_reasons["duplicate"] >= 59
    assert len(raw.rows) > 1000


def test_real_eaglei(shared_data):
    res = importers.parse_eaglei((shared_data / "outages" / "eaglei-harris" /
                                  "eaglei_outages_2024_harris_beryl_slice.csv").read_bytes())
    above = [ln for ln, r in res.rejected if "above total_customers" in r]
    dropouts = [ln for ln, r in res.rejected if "dropout" in r]
    assert len(above) == 81  # PROVENANCE: 81 rows above the stated total
    assert len(dropouts) == 10  # 3161 x2, 2323..2339 x5, 2339 x3
    s = res.series
    assert s["area"] == "FIPS-48201" and len(s["times"]) == 768
    assert sum(s["filled"]) == 91 and s["total_customers"][0] == 1344930


def test_eaglei_bad_rows():
    text = ("48201,Harris,Texas,10,2024-07-05 00:00:00,100\n48201,Harris,Texas,,2024-07-05 00:15:00,100\n"
            "48201,Harris,Texas,10,2024-07-05 00:00:00,100\n48453,Travis,Texas,1,2024-07-05 00:30:00,100\nbroken\n")
    res = importers.parse_eaglei(text)
    reasons = dict(res.rejected)
    assert "empty" in reasons[2] and "duplicate key" in reasons[3] and "another county" in reasons[4]
    assert "expected 6 fields" in reasons[5]


def test_real_upnepa(shared_data):
    res = importers.parse_upnepa((shared_data / "outages" / "upnepa-nigeria" / "electricity_data.json").read_bytes())
    assert len(res.rows) == 240  # PROVENANCE: OFF 240 after stripping
    assert res.rejected == []
    value_fixes = [f for f in res.fixed if "read as" in f[1]]
    key_fixes = [f for f in res.fixed if "second reporter" in f[1]]
    assert len(value_fixes) == 16  # " OFF" x10, "OFF " x4, " ON" x2
    assert len(key_fixes) == 14  # " Asadam" on every day
    assert sorted(set(res.households.values())) == ["ADEWOLE", "AL-HIKMAH", "ASADAM", "ATIKU", "EGBEJILA",
                                                    "EYENKORIN", "LAO", "SAW-MILL", "SOJ"]
    assert list(res.households.values()).count("ASADAM") == 2
    assert all(ln > 0 for ln, _ in res.fixed)


def test_upnepa_bad_values_and_duplicate_keys():
    text = '{"2024-04-25": {"A": {"morning": "ON", "afternoon": "maybe", "evening": "OFF"}, ' \
           '"B": {"morning": "OFF"}, "A": {"morning": "OFF", "afternoon": "OFF", "evening": "OFF"}}}'
    res = importers.parse_upnepa(text)
    reasons = [r for _, r in res.rejected]
    assert any("duplicate key 'A'" in r for r in reasons)
    assert any("not ON or OFF" in r for r in reasons)
    assert any("missing 'afternoon', 'evening'" in r for r in reasons)
    assert res.rows == []
