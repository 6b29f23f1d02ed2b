"""The JSON of the ledger's typed results (``to_data``: what ``--json`` and the web API print):
the keys scripts read, pinned as they were when the results were dicts."""

from __future__ import annotations

import halqa.ledger as ledger
from halqa.places import add_area, add_household
from halqa.results import to_data

HOUSEHOLDS = "household,area\nhh-a1,NKH\nhh-a2,NKH\nhh-a3,NKH\n"
INTERVALS = ("household,area,start,end,source\n"
             "hh-a1,NKH,2026-07-01T10:00,2026-07-01T12:00,grid\n"
             "hh-a2,NKH, 2026-07-01T10:05,2026-07-01T12:10,grid\n"
             "hh-a3,NKH,2026-07-01T10:02,,grid\n"
             "hh-a3,NKH,nonsense,,grid\n")
SERIES = "\n".join(f"48201,Harris,Texas,{10 * i},2026-07-01 {i // 4:02d}:{15 * (i % 4):02d}:00,200" for i in range(12))
AREA = {"households", "saifi", "saidi_minutes", "caidi_minutes", "caifi", "asai", "maifi", "supply_hours_per_day",
        "major_event_days", "cemi", "t_med_minutes", "interruptions", "momentary", "open_intervals",
        "households_interrupted", "source"}
HOUSEHOLD_AREA = AREA | {"cemi_n", "households_reporting_per_day", "supply_hours_per_day_reporting", "trend_hours_per_week"}


def test_imports_and_typing_in(vault):
    enrolled = to_data(ledger.enrol_households(vault, HOUSEHOLDS))
    assert enrolled == {"kept": 3, "rejected": [], "fixed": [], "areas_created": ["NKH"]}
    res = to_data(ledger.import_file(vault, INTERVALS))
    assert set(res) == {"kept", "rejected", "fixed", "households_enrolled", "areas_created"}
    assert res["rejected"][0].keys() == {"line", "reason", "error", "params"} and res["rejected"][0]["line"] == 5
    assert res["fixed"][0].keys() == {"line", "note", "error", "params"} and res["fixed"][0]["line"] == 3
    series = to_data(ledger.import_file(vault, SERIES, "eaglei"))
    assert set(series) == {"kept", "rejected", "fixed", "households_enrolled", "areas_created", "area", "series_steps"}
    assert series["area"] == "FIPS-48201" and series["series_steps"] == 12
    add_area(vault, "MNA", "حي الميناء")
    hid = add_household(vault, "MNA", "hh-m1")
    assert to_data(ledger.add_paper_grid(vault, hid, "2026-07-01", ["xx" + "." * 22])) == {
        "household": hid, "days": 1, "intervals": 1, "hours_off": 2.0}
    assert to_data(ledger.add_tally(vault, hid, "2026-07-02", [3, 4.5])) == {"household": hid, "days": 2, "hours_off": 7.5}
    iid = ledger.start_outage(vault, hid, "2026-07-03T09:00").id
    assert to_data(ledger.open_interval(vault, hid)) == {"id": iid, "start": "2026-07-03T09:00:00", "source": "grid"}


def test_report_calendar_water(vault):
    ledger.enrol_households(vault, HOUSEHOLDS)
    ledger.import_file(vault, INTERVALS)
    ledger.import_file(vault, SERIES, "eaglei")
    ledger.add_water(vault, "hh-a1", "2026-07-01", no_water=True, spent="1500")
    ledger.add_claim(vault, 20, "2026-07-01", "2026-07-01", area="NKH")
    rep = to_data(ledger.report(vault, "2026-07-01", "2026-07-01", daily=True, as_of=0))
    assert list(rep) == ["period", "areas", "events", "claims"]
    assert set(rep["period"]) == {"from", "to", "as_of"}
    nkh, harris = rep["areas"]["NKH"], rep["areas"]["FIPS-48201"]
    assert set(nkh) == HOUSEHOLD_AREA | {"daily", "water"} and set(harris) == AREA | {"daily"}
    assert set(nkh["daily"][0]) == {"day", "supply_hours", "supply_hours_reporting", "households_reporting", "saidi_minutes"}
    assert set(harris["daily"][0]) == {"day", "saidi_minutes"}
    assert nkh["water"] == {"days": 1, "no_water_days": 1, "contaminated_days": 0, "smell_days": 0, "illness": 0,
                            "litres_bought": 0, "spent": {"IQD": "1500"}}
    assert set(rep["events"][0]) == {"area", "start", "end", "households", "confidence"}
    assert set(rep["claims"][0]) == {"id", "area", "claimant", "from", "to", "claimed_hours", "measured_hours", "gap_hours"}
    plain = to_data(ledger.report(vault, "2026-07-01", "2026-07-01", as_of=0))
    assert "daily" not in plain["areas"]["NKH"] and "water" in plain["areas"]["NKH"]
    cal = to_data(ledger.calendar(vault, "NKH", "2026-07-01", "2026-07-01", as_of=0))
    assert set(cal) == {"area", "households", "days"} and set(cal["days"][0]) == {"day", "hours"}
    assert to_data(ledger.water_summary(vault, "2026-07-01", "2026-07-01")) == {"NKH": nkh["water"]}
