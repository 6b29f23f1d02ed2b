"""The lights-out ledger: household outage records turned into reliability evidence.

``halqa.ledger`` owns the outage intervals households record (start/stop, typed paper grids,
daily tallies), the water ledger beside them, official claims to compare against, imports from
real formats (halqa CSV, GridWatch phone logs, EAGLE-I customers-out series, UpNepa surveys),
and the evidence computed from them: daily supply hours, IEEE 1366 indices (SAIFI, SAIDI,
CAIDI, CAIFI, ASAI, MAIFI, CEMIn), Major Event Days (2.5-beta), area-wide outage detection and
blackout calendars. Households and areas themselves belong to :mod:`halqa.places`; the enrolled
households of an area are its customers served.

Modules: ``events`` (event kinds, tables, local time), ``write`` (recording and imports),
``read`` (the tables read back), ``analysis`` (pure vectorised computation), ``fused`` (its hot
loops, compiled with numba), ``evidence`` (reports, calendars and supply hours: reads run through
the analysis), ``importers`` (parsers), ``demo`` (the demo neighbourhood's summer).
"""

from __future__ import annotations

from halqa.ledger.demo import decoy, demo
from halqa.ledger.demo import decoy_bulk as decoy_bulk  # for halqa.domains, not public API
from halqa.ledger.demo import decoy_session as decoy_session  # for halqa.domains, not public API
from halqa.ledger.evidence import (
    AreaReport,
    AreaSupply,
    Calendar,
    Report,
    SupplyDay,
    calendar,
    household_supply,
    report,
    supply,
    supply_periods,
)
from halqa.ledger.importers import FORMATS
from halqa.ledger.params import Params
from halqa.ledger.read import (
    OpenInterval,
    OpenOutage,
    OutageDay,
    WaterMonth,
    WaterRecord,
    WaterSummary,
    extent,
    open_interval,
    open_outages,
    outage_days,
    water_records,
    water_spending,
    water_summary,
)
from halqa.ledger.write import (
    ImportReport,
    Outage,
    add_claim,
    add_interval,
    add_paper_grid,
    add_tally,
    add_water,
    delete_interval,
    enrol_households,
    import_file,
    start_outage,
    stop_outage,
)

__all__ = [
    "FORMATS",
    "AreaReport",
    "AreaSupply",
    "Calendar",
    "ImportReport",
    "OpenInterval",
    "OpenOutage",
    "Outage",
    "OutageDay",
    "Params",
    "Report",
    "SupplyDay",
    "WaterMonth",
    "WaterRecord",
    "WaterSummary",
    "add_claim",
    "add_interval",
    "add_paper_grid",
    "add_tally",
    "add_water",
    "calendar",
    "decoy",
    "delete_interval",
    "demo",
    "enrol_households",
    "extent",
    "household_supply",
    "import_file",
    "open_interval",
    "open_outages",
    "outage_days",
    "report",
    "start_outage",
    "stop_outage",
    "supply",
    "supply_periods",
    "water_records",
    "water_spending",
    "water_summary",
]
