"""The ledger through the vault (Python API) and the CLI, with the script interface kept exactly."""

from __future__ import annotations

import json
import random

import pytest

import halqa.ledger as ledger
from halqa.errors import InvalidInput, NotFound
from halqa.places import add_area, add_household

FAST = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1"]
HOUSEHOLDS = "household,area\nhh-a1,NKH\nhh-a2,NKH\nhh-a3,NKH\nhh-a4,NKH\nhh-b1,MNA\n"
INTERVALS = """household,area,start,end,source
hh-a1,NKH,2026-07-01T10:00,2026-07-01T12:00,grid
hh-a1,NKH,2026-07-01T11:00,2026-07-01T11:30,grid
hh-a1,NKH,2026-07-01T13:00,2026-07-01T13:03,grid
hh-a2,NKH,2026-07-01T10:00,2026-07-01T11:00,grid
hh-a2,NKH,2026-07-02T08:00,2026-07-02T08:30,grid
hh-a3,NKH,2026-07-02T23:00,2026-07-03T01:00,grid
hh-a3,MNA,2026-07-02T10:00,2026-07-02T11:00,grid
hh-a4,NKH,2004-12-31T10:00,2004-12-31T11:00,grid
"""


def test_public_api_pinned():
    assert sorted(ledger.__all__) == sorted([
        "FORMATS", "Params", "add_claim", "add_interval", "add_paper_grid", "add_tally", "add_water", "calendar",
        "decoy", "delete_interval", "demo", "enrol_households", "extent", "household_supply", "import_file",
        "open_interval", "report", "start_outage", "stop_outage", "water_spending", "water_summary",
        "OpenOutage", "Outage", "OutageDay", "SupplyDay", "WaterMonth", "WaterRecord", "open_outages", "outage_days",
        "water_records", "AreaReport", "Calendar", "ImportReport", "OpenInterval", "Report", "WaterSummary",
        "AreaSupply", "supply", "supply_periods"])
    for name in ledger.__all__:
        assert getattr(ledger, name).__doc__, name


def test_import_and_report_known_answer(vault):
    assert ledger.enrol_households(vault, HOUSEHOLDS).areas_created == ["MNA", "NKH"]
    res = ledger.import_file(vault, INTERVALS)
    assert res.kept == 6
    assert [r.line for r in res.rejected] == [8, 9]
    assert "enrolled in NKH" in res.rejected[0].reason
    rep = ledger.report(vault, "2026-07-01", "2026-07-02", params=ledger.Params(cemi_n=1))
    nkh = rep.areas["NKH"]
    assert nkh.households == 4
    assert nkh.saifi == 1.0 and nkh.saidi_minutes == 67.5 and nkh.caifi == pytest.approx(1.3333)
    assert nkh.maifi == 0.25 and nkh.asai == pytest.approx(1 - 270 / 11520, abs=1e-6)
    assert nkh.cemi == 0.25
    assert rep.areas["MNA"].saifi == 0.0
    # rebuilding the projections from the log gives identical tables
    before = vault.digests()
    assert vault.rebuild() == before


def test_start_stop_add_delete(vault):
    add_area(vault, "NKH", "حي النخيل")
    hid = add_household(vault, "NKH", "hh-x1")
    iid = ledger.start_outage(vault, hid, "2026-07-01T10:00").id
    with pytest.raises(InvalidInput):
        ledger.start_outage(vault, hid, "2026-07-01T10:05")
    assert ledger.open_interval(vault, hid).id == iid
    done = ledger.stop_outage(vault, hid, "2026-07-01T12:30")
    assert done.minutes == 150 and done.id == iid and ledger.open_interval(vault, hid) is None
    with pytest.raises(InvalidInput):
        ledger.stop_outage(vault, hid)
    with pytest.raises(NotFound):
        ledger.add_interval(vault, "hh-nobody", "2026-07-01T10:00")
    with pytest.raises(InvalidInput):
        ledger.add_interval(vault, hid, "2026-07-01T10:00", "2026-07-01T09:00")
    extra = ledger.add_interval(vault, hid, "2026-07-01T11:00", "2026-07-01T14:00")  # overlaps: merged
    rep = ledger.report(vault, "2026-07-01", "2026-07-01").areas["NKH"]
    assert rep.saidi_minutes == 240 and rep.saifi == 1
    ledger.delete_interval(vault, extra)
    assert ledger.report(vault, "2026-07-01", "2026-07-01").areas["NKH"].saidi_minutes == 150
    assert vault.rebuild() == vault.digests()


def test_open_interval_counts_until_as_of(vault):
    add_area(vault, "NKH", "x")
    hid = add_household(vault, "NKH", "hh-x1")
    ledger.start_outage(vault, hid, "2026-07-01T20:00")
    rep = ledger.report(vault, "2026-07-01", "2026-07-01").areas["NKH"]  # now is later: ends at period end
    assert rep.open_intervals == 1 and rep.saidi_minutes == 240


def test_paper_grid_tally_water_claim(vault):
    add_area(vault, "NKH", "x")
    hid = add_household(vault, "NKH", "hh-x1")
    other = add_household(vault, "NKH", "hh-x2")
    res = ledger.add_paper_grid(vault, hid, "2026-07-01", ["xx...... xxxx.... ......xx", "x....... ........ ........"])
    assert res.intervals == 3 and res.hours_off == 9  # 22:00-01:00 runs over midnight: one interval
    with pytest.raises(InvalidInput):
        ledger.add_paper_grid(vault, hid, "2026-07-01", ["xx"])
    ledger.add_tally(vault, other, "2026-07-01", [12, 6])
    supply = ledger.household_supply(vault, other, "2026-07-01", "2026-07-02")
    assert [d.supply_hours for d in supply] == [12, 18]
    assert [d.supply_hours for d in ledger.household_supply(vault, hid, "2026-07-01", "2026-07-02")] == [16, 23]
    ledger.add_water(vault, hid, "2026-07-01", no_water=True, litres_bought=40, spent="2500.5")
    ledger.add_water(vault, other, "2026-07-01", smell=True, illness=1, spent="1000")
    w = ledger.water_summary(vault, "2026-07-01", "2026-07-02")["NKH"]
    assert w.no_water_days == 1 and w.smell_days == 1 and w.spent == {"IQD": "3500.5"}
    with pytest.raises(InvalidInput):
        ledger.add_water(vault, hid, "2026-07-01", spent="lots")
    ledger.add_claim(vault, 20, "2026-07-01", "2026-07-02", area="NKH")
    rep = ledger.report(vault, "2026-07-01", "2026-07-02")
    claim = rep.claims[0]
    nkh = rep.areas["NKH"]
    assert claim.claimed_hours == 20 and claim.measured_hours == nkh.supply_hours_per_day
    assert nkh.supply_hours_per_day == pytest.approx((16 + 23 + 12 + 18) / 4, abs=1e-3)
    cal = ledger.calendar(vault, "NKH", "2026-07-01", "2026-07-01")
    assert cal.days[0].hours[:3] == [0.5, 0.5, 0.0]


def test_extent_and_water_spending(vault):
    from datetime import date

    assert ledger.extent(vault) is None
    assert ledger.water_spending(vault) == []
    add_area(vault, "NKH", "x")
    add_area(vault, "MNA", "y")
    a = add_household(vault, "NKH", "hh-x1")
    b = add_household(vault, "MNA", "hh-y1")
    ledger.add_interval(vault, a, "2026-07-03T22:00", "2026-07-04T00:00")  # ends at midnight: 3 July only
    assert ledger.extent(vault) == (date(2026, 7, 3), date(2026, 7, 3))
    ledger.add_interval(vault, a, "2026-07-05T23:00", "2026-07-06T01:00")
    assert ledger.extent(vault) == (date(2026, 7, 3), date(2026, 7, 6))
    ledger.start_outage(vault, b, "2026-07-08T10:00")  # open: its start day counts
    ledger.add_tally(vault, b, "2026-06-30", [5])
    ledger.add_claim(vault, 20, "2026-01-01", "2026-12-31")  # claims are not records
    assert ledger.extent(vault) == (date(2026, 6, 30), date(2026, 7, 8))
    ledger.add_water(vault, a, "2026-06-29", litres_bought=20, spent="1000.25")
    ledger.add_water(vault, a, "2026-06-30", spent="500", currency="USD")
    ledger.add_water(vault, a, "2026-07-09", litres_bought=10, spent="750")
    ledger.add_water(vault, a, "2026-07-10", spent="0.75")
    ledger.add_water(vault, b, "2026-07-01", no_water=True, spent="2000")
    assert ledger.extent(vault) == (date(2026, 6, 29), date(2026, 7, 10))
    rows = ledger.water_spending(vault)
    assert [(r.household, r.month) for r in rows] == [("hh-x1", "2026-06"), ("hh-x1", "2026-07"), ("hh-y1", "2026-07")]
    assert rows[0] == ledger.WaterMonth(household="hh-x1", area="NKH", month="2026-06", days=2, litres_bought=20,
                                        spent={"IQD": "1000.25", "USD": "500"})
    assert rows[1].spent == {"IQD": "750.75"} and rows[1].days == 2
    assert ledger.water_spending(vault, area="mna") == [rows[2]]
    assert ledger.water_spending(vault, household="hh-x1", first="2026-07-10") == [
        ledger.WaterMonth(household="hh-x1", area="NKH", month="2026-07", days=1, litres_bought=0, spent={"IQD": "0.75"})]
    with pytest.raises(InvalidInput):
        ledger.water_spending(vault, first="2026-07-02", last="2026-07-01")


def test_real_data_into_vault(vault, shared_data):
    out = shared_data / "outages"
    gw = ledger.import_file(vault, out / "gridwatch-kenya" / "gw_kenya_sanitized.csv", "gridwatch")
    ea = ledger.import_file(vault, out / "eaglei-harris" / "eaglei_outages_2024_harris_beryl_slice.csv", "eaglei")
    up = ledger.import_file(vault, out / "upnepa-nigeria" / "electricity_data.json", "upnepa")
    assert gw.kept > 1500 and ea.kept == 677 and up.kept == 240
    assert gw.households_enrolled == 10 and up.households_enrolled == 10
    # GridWatch: multi-phone outages (at least 2 phones unplugged within 90 s)
    rep = ledger.report(vault, "2014-02-01", "2014-12-31", area="GW",
                        params=ledger.Params(event_min_households=2, event_window_seconds=90))
    assert rep.areas["GW"].households == 10
    assert len(rep.events) >= 20
    assert all(e.households >= 2 for e in rep.events)
    # EAGLE-I: Hurricane Beryl
    harris = ledger.report(vault, "2024-07-05", "2024-07-12", area="FIPS-48201")
    h = harris.areas["FIPS-48201"]
    assert h.households == 1344930 and h.source == "series"
    assert h.saidi_minutes > 1440  # days without power for the average customer
    assert "2024-07-08" not in h.major_event_days or h.major_event_days
    assert harris.events[0].start == "2024-07-08T14:15:00"
    # UpNepa: 14 days, three parts a day
    rep = ledger.report(vault, "2024-04-25", "2024-05-08")
    assert rep.areas["ASADAM"].households == 2
    assert 0 < rep.areas["EYENKORIN"].supply_hours_per_day < 24


def test_demo_and_decoy(vault):
    from halqa import places

    places.demo(vault, random.Random(3), households_per_area=12)
    summary = ledger.demo(vault, random.Random(4), days=20)
    assert set(summary.supply_hours_per_day) == {"NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"}
    assert all(8 < v < 23 for v in summary.supply_hours_per_day.values())
    assert summary.area_events > 10


# ------------------------------------------------------------------------- CLI (script interface)
def test_cli_interface(cli, tmp_path):
    assert cli("init", *FAST)[0] == 0
    hh = tmp_path / "hh.csv"
    hh.write_text(HOUSEHOLDS)
    code, out = cli("ledger", "households", "import", str(hh), "--json")
    assert code == 0 and json.loads(out)["kept"] == 5
    f = tmp_path / "iv.csv"
    f.write_text(INTERVALS)
    code, out = cli("ledger", "import", str(f), "--format", "csv")
    assert code == 0 and "line 9" in out and "clock" in out
    code, out = cli("ledger", "report", "--area", "NKH", "--from", "2026-07-01", "--to", "2026-07-02", "--json")
    assert code == 0
    data = json.loads(out)
    area = data["areas"]["NKH"]
    for key in ("households", "saifi", "saidi_minutes", "caidi_minutes", "caifi", "asai", "maifi",
                "supply_hours_per_day", "major_event_days"):
        assert key in area
    assert area["households"] == 4 and area["saidi_minutes"] == 67.5
    assert isinstance(data["events"], list)
    bad = tmp_path / "bad.csv"
    bad.write_text("household,area,start,end,source\nhh-a1,NKH,nonsense,,grid\n")
    code, out = cli("ledger", "import", str(bad))
    assert code == 2 and "nonsense" in out
    code, out = cli("ledger", "report", "--from", "2026-07-02", "--to", "2026-07-01", "--json")
    assert code == 2 and json.loads(out)["error"] == "ledger.error.bad_period"


def test_cli_recording(cli, tmp_path):
    cli("init", *FAST)
    hh = tmp_path / "hh.csv"
    hh.write_text("household,area\nhh-a1,NKH\n")
    cli("ledger", "households", "import", str(hh))
    assert cli("ledger", "start", "hh-a1", "--at", "2026-07-01T10:00")[0] == 0
    code, out = cli("ledger", "start", "hh-a1")
    assert code == 2  # the message goes to stderr
    code, out = cli("ledger", "stop", "hh-a1", "--at", "2026-07-01T11:00", "--json")
    assert code == 0 and json.loads(out)["minutes"] == 60
    assert cli("ledger", "add", "hh-a1", "2026-07-02T10:00", "2026-07-02T10:30")[0] == 0
    assert cli("ledger", "paper", "hh-a1", "--from", "2026-07-03", "xxxx....................")[0] == 0
    assert cli("ledger", "tally", "hh-a1", "--from", "2026-07-04", "5", "6")[0] == 0
    assert cli("ledger", "water", "hh-a1", "--day", "2026-07-01", "--no-water", "--spent", "1500")[0] == 0
    assert cli("ledger", "claim", "--hours", "20", "--from", "2026-07-01", "--to", "2026-07-05")[0] == 0
    code, out = cli("ledger", "supply", "hh-a1", "--from", "2026-07-01", "--to", "2026-07-05", "--json")
    assert [d["supply_hours"] for d in json.loads(out)] == [23, 23.5, 20, 19, 18]
    code, out = cli("ledger", "report", "--from", "2026-07-01", "--to", "2026-07-05")
    assert code == 0 and "NKH" in out
    code, out = cli("ledger", "calendar", "--area", "NKH", "--from", "2026-07-01", "--to", "2026-07-03")
    assert code == 0 and "2026-07-03" in out
