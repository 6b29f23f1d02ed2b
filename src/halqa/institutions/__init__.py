"""Autonomous institutions: deciding together, running shared services, and what the network provides.

This package owns every ``institutions_*`` event kind and table (:mod:`~halqa.institutions.events`):

- :mod:`~halqa.institutions.tally`: consent (Loomio's agree / abstain / disagree / block), majority
  and ranked choice (instant runoff), as pure functions of the ballots;
- decisions (:mod:`~halqa.institutions.write` and :mod:`~halqa.institutions.read`): proposals,
  positions that merge from several devices, in-person counts that carry no names, the result
  recorded at close with who took part, what followed, and each circle's decision log;
- services (the same two modules): shared services (water, power, repairs, child care, shuttle,
  food) with the households they serve, assets and their repairs, running costs paid from a fund,
  shifts planned with the circles' fair irregular scheduling, and deliveries;
- :mod:`~halqa.institutions.analysis`: the monthly account per area, network beside state;
- :mod:`~halqa.institutions.demo`: the demo step.

It builds on :mod:`halqa.places`, :mod:`halqa.circles`, :mod:`halqa.mutual_aid` and
:mod:`halqa.ledger`, only through their public functions.
"""

from __future__ import annotations

from halqa.institutions.analysis import (
    Account,
    AreaAccount,
    AreaTrend,
    Money,
    Network,
    PowerSide,
    Served,
    Tabulation,
    Trend,
    WaterSide,
    account,
    account_and_trend,
    account_trend,
    delivery_cells,
    tabulate,
)
from halqa.institutions.demo import decoy, demo
from halqa.institutions.events import KINDS, UNITS
from halqa.institutions.read import (
    Asset,
    Cost,
    Delivery,
    MonthDelivered,
    Proposal,
    ProposalLink,
    Service,
    ServiceSummary,
    Shift,
    decision_log,
    deliveries,
    delivery_span,
    proposal,
    proposals,
    service,
    services,
    shifts,
)
from halqa.institutions.tally import CONSENT, MODES, Tally, irv, tally
from halqa.institutions.write import (
    LINK_KINDS,
    AssetAdded,
    AssetRepair,
    CostPaid,
    Imported,
    InPersonCount,
    Linked,
    PositionTaken,
    Rota,
    RowError,
    add_asset,
    adopt_tactic,
    choose_tactic,
    close,
    count_in_person,
    create_service,
    deliver,
    import_deliveries,
    link,
    log_asset_repair,
    pay_cost,
    plan_rota,
    position,
    propose,
)

__all__ = [
    "CONSENT",
    "KINDS",
    "LINK_KINDS",
    "MODES",
    "UNITS",
    "Account",
    "AreaAccount",
    "AreaTrend",
    "Asset",
    "AssetAdded",
    "AssetRepair",
    "Cost",
    "CostPaid",
    "Delivery",
    "Imported",
    "InPersonCount",
    "Linked",
    "Money",
    "MonthDelivered",
    "Network",
    "PositionTaken",
    "PowerSide",
    "Proposal",
    "ProposalLink",
    "Rota",
    "RowError",
    "Served",
    "Service",
    "ServiceSummary",
    "Shift",
    "Tabulation",
    "Tally",
    "Trend",
    "WaterSide",
    "account",
    "account_and_trend",
    "account_trend",
    "add_asset",
    "adopt_tactic",
    "choose_tactic",
    "close",
    "count_in_person",
    "create_service",
    "decision_log",
    "decoy",
    "deliver",
    "deliveries",
    "delivery_cells",
    "delivery_span",
    "demo",
    "import_deliveries",
    "irv",
    "link",
    "log_asset_repair",
    "pay_cost",
    "plan_rota",
    "position",
    "proposal",
    "proposals",
    "propose",
    "service",
    "services",
    "shifts",
    "tabulate",
    "tally",
]
