"""What we provide ourselves: the monthly account per area, the network beside the state.

For each area and month, side by side:

- **water**: clean litres the network delivered and to how many households, against the water
  ledger's household-days without tap water (:func:`halqa.ledger.water_summary`);
- **power**: co-op power hours delivered (per served household per day), against grid supply
  hours per household per day from the outage ledger (:func:`halqa.ledger.supply`, the report's figures
  from the hours off per household-day the ledger keeps);
- every other service's units (rides, child-care shifts, food baskets, repairs) and households
  served; repairs done in the area (:func:`halqa.mutual_aid.list_repairs`).

Network-wide (funds and pools have no area): money that circulated through funds (in and out)
and pools (pots paid out), and decisions taken. :func:`account_trend` gives the headline figures
month over month.

The counting core, :func:`tabulate`, is vectorised (numpy): deliveries as integer codes in,
per area, month and kind out, with distinct households counted by sorting once. The vault
functions load a span of months into arrays and call it; the benchmark measures it against a
straightforward pandas ``groupby`` on the same numbers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np

from halqa.errors import InvalidInput
from halqa.institutions.events import KINDS, UNITS
from halqa.institutions.read import SEP, check_month, decision_log, delivery_columns, delivery_span, service_kinds
from halqa.ledger import extent, supply_periods, water_summary
from halqa.mutual_aid import list_repairs, month_flows, pool_status, pools
from halqa.results import to_data
from halqa.vault import Vault

__all__ = ["Account", "AreaAccount", "AreaTrend", "Money", "Network", "PowerSide", "Served", "Tabulation", "Trend",
           "WaterSide", "account", "account_and_trend", "account_trend", "delivery_cells", "tabulate"]


class Served(msgspec.Struct, kw_only=True, frozen=True):
    """A service kind's deliveries in an area and month."""

    unit: str
    quantity: float
    deliveries: int
    households: int


class WaterSide(msgspec.Struct, kw_only=True, frozen=True):
    """Clean water from the network beside the state's tap water (``None`` where it has no figures)."""

    network_litres: float
    network_households: int
    state_no_water_days: int | None
    state_days_recorded: int | None
    state_no_water_share: float | None


class PowerSide(msgspec.Struct, kw_only=True, frozen=True):
    """Co-op power hours beside the grid's supply hours."""

    network_hours: float
    network_households: int
    network_hours_per_household_day: float | None
    state_grid_hours_per_day: float | None
    state_households: int | None


class AreaAccount(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """An area's month: households served, each service kind, repairs done, and water and power
    beside the state's (left out where neither side has figures)."""

    households_served: int
    services: dict[str, Served]
    repairs_done: int
    water: WaterSide | None = None
    power: PowerSide | None = None


class Money(msgspec.Struct, kw_only=True, frozen=True):
    """Money that circulated in a month, per currency (decimal strings)."""

    funds_in: dict[str, str]
    funds_out: dict[str, str]
    pools_paid_out: dict[str, str]


class Network(msgspec.Struct, kw_only=True, frozen=True):
    """Network-wide figures of a month."""

    households_served: int
    decisions: int
    money: Money


class Account(msgspec.Struct, kw_only=True, frozen=True):
    """The account of one month, per area and network-wide."""

    month: str
    areas: dict[str, AreaAccount]
    network: Network


class AreaTrend(msgspec.Struct, kw_only=True, frozen=True):
    """An area's headline figures of a month."""

    households_served: int
    litres: float
    power_hours: float
    repairs_done: int
    state_no_water_share: float | None
    state_grid_hours_per_day: float | None


class Trend(msgspec.Struct, kw_only=True, frozen=True):
    """One month of :func:`account_trend`."""

    month: str
    areas: dict[str, AreaTrend]
    decisions: int


@dataclass
class Tabulation:
    """Deliveries counted per area, month and kind (arrays indexed ``[area, month, kind]``) and
    distinct households served per area and month by any service (``[area, month]``)."""

    quantity: np.ndarray
    deliveries: np.ndarray
    households: np.ndarray
    households_any: np.ndarray


def _distinct(cell: np.ndarray, household: np.ndarray, n_cells: int) -> np.ndarray:
    """How many distinct households fall in each cell (one sort of ``cell * H + household``)."""
    if not len(cell):
        return np.zeros(n_cells, dtype=np.int64)
    width = int(household.max()) + 1
    keys = np.sort(cell.astype(np.int64) * width + household)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    # sort + neighbour comparison, not np.unique: numpy 2.4's unique took 0.7 s for 1M keys here, this 0.02 s
    return np.bincount(keys[first] // width, minlength=n_cells)


def tabulate(area: np.ndarray, month: np.ndarray, kind: np.ndarray, household: np.ndarray, quantity: np.ndarray,
             n_areas: int, n_months: int, n_kinds: int = len(KINDS)) -> Tabulation:
    """Count deliveries given as parallel arrays of integer codes (area, month index, kind,
    household) and quantities."""
    cell = (area.astype(np.int64) * n_months + month) * n_kinds + kind
    size = n_areas * n_months * n_kinds
    qty = np.bincount(cell, weights=quantity, minlength=size)
    count = np.bincount(cell, minlength=size)
    homes = _distinct(cell, household.astype(np.int64), size)
    homes_any = _distinct(cell // n_kinds, household.astype(np.int64), n_areas * n_months)
    shape = (n_areas, n_months, n_kinds)
    return Tabulation(qty.reshape(shape), count.reshape(shape), homes.reshape(shape),
                      homes_any.reshape(n_areas, n_months))


def _months(last: str, n: int) -> list[str]:
    y, m = int(last[:4]), int(last[5:])
    out = []
    for k in range(n - 1, -1, -1):
        t = y * 12 + m - 1 - k
        out.append(f"{t // 12:04d}-{t % 12 + 1:02d}")
    return out


def _bounds(month: str) -> tuple[str, str, int]:
    y, m = int(month[:4]), int(month[5:])
    days = calendar.monthrange(y, m)[1]
    return f"{month}-01", f"{month}-{days:02d}", days


def _codes(values: list[str], sort: bool = True) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a column and its distinct values (sorted unless ``sort=False``)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=sort)
    return codes.astype(np.int64), list(uniques)


def _load(vault: Vault, months: list[str]) -> tuple[list[str], Tabulation]:
    """Deliveries of ``months`` counted by :func:`tabulate`, from :func:`~halqa.institutions.read.delivery_columns`."""
    first, last = _bounds(months[0])[0], _bounds(months[-1])[1]
    row = delivery_columns(vault, first, last)
    if not row[0]:
        empty = np.zeros(0, dtype=np.int64)
        return [], tabulate(empty, empty, empty, empty, np.zeros(0), 0, len(months))
    a, codes = _codes(row[1].split(SEP))
    m, seen = _codes(row[2].split(SEP))
    k, names = _codes(row[3].split(SEP))
    h, _ = _codes(row[4].split(SEP), sort=False)
    quantity = np.array(row[5].split(SEP), dtype=np.float64)
    kind_of = service_kinds(vault)
    m_ix = np.array([months.index(x) for x in seen], dtype=np.int64)
    k_ix = np.array([KINDS.index(kind_of[x]) for x in names], dtype=np.int64)
    return codes, tabulate(a, m_ix[m], k_ix[k], h, quantity, len(codes), len(months))


def _state(vault: Vault, months: list[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The ledger's water summary and power supply for each month (empty where it holds nothing);
    the supply of all of them at once (:func:`halqa.ledger.supply_periods`: the households read once)."""
    span = extent(vault)
    bounds = [_bounds(m)[:2] for m in months]
    held = [span is not None and span[1].isoformat() >= first and span[0].isoformat() <= last for first, last in bounds]
    power = iter(supply_periods(vault, [b for b, h in zip(bounds, held, strict=True) if h]))
    return [(to_data(water_summary(vault, first, last)), to_data(next(power))) if h else ({}, {})
            for (first, last), h in zip(bounds, held, strict=True)]


def _money(vault: Vault, month: str) -> Money:
    flows = month_flows(vault, month)  # every fund's month at once
    inflow = {cur: Decimal(0) + Decimal(amt) for cur, amt in flows["contributions"].items()}
    outflow = {cur: Decimal(0) + Decimal(amt) for cur, amt in flows["disbursements"].items()}
    pots: dict[str, Decimal] = {}
    for p in pools(vault):
        st = pool_status(vault, p.name)
        for r in st.schedule:
            if r.paid_out and (r.paid_out_day or "").startswith(month):
                pots[st.currency] = pots.get(st.currency, Decimal(0)) + Decimal(r.paid_out)
    return Money(funds_in={c: str(v) for c, v in sorted(inflow.items())},
                 funds_out={c: str(v) for c, v in sorted(outflow.items())},
                 pools_paid_out={c: str(v) for c, v in sorted(pots.items())})


def _served(lists: tuple[list[Any], ...], a: int, m: int) -> dict[str, Served]:
    """An area-month's services from the tabulation as nested lists (numpy scalar indexing per
    cell cost more than the whole count at 400 areas x 24 months)."""
    quantity, deliveries, households = (x[a][m] for x in lists)
    return {kind: Served(unit=UNITS[kind], quantity=round(quantity[k], 2), deliveries=deliveries[k],
                         households=households[k]) for k, kind in enumerate(KINDS) if deliveries[k]}


def _area_entry(served: dict[str, Served], households: int, days: int, water: dict[str, Any] | None,
                power: dict[str, Any] | None, repairs: int) -> AreaAccount:
    wet = dry = None
    w = served.get("water")
    if w or water:
        wet = WaterSide(
            network_litres=w.quantity if w else 0.0, network_households=w.households if w else 0,
            state_no_water_days=water["no_water_days"] if water else None,
            state_days_recorded=water["days"] if water else None,
            state_no_water_share=round(water["no_water_days"] / water["days"], 4) if water and water["days"] else None)
    p = served.get("power")
    if p or power:
        grid = power.get("supply_hours_per_day") if power else None
        dry = PowerSide(
            network_hours=p.quantity if p else 0.0, network_households=p.households if p else 0,
            network_hours_per_household_day=round(p.quantity / (p.households * days), 3) if p else None,
            state_grid_hours_per_day=grid, state_households=power.get("households") if power else None)
    return AreaAccount(households_served=households, services=served, repairs_done=repairs, water=wet, power=dry)


def _account(vault: Vault, months: list[str], alone: list[set[str]] | None = None) -> list[Account]:
    """The accounts of ``months``; into ``alone``, for each month, the areas its account would
    list if it were counted on its own (the others here had deliveries in another of ``months``
    only: an entry of zeros)."""
    codes, tab = _load(vault, months)
    repairs: dict[tuple[str, str], int] = {}
    for r in list_repairs(vault):
        if r.done:
            repairs[(r.area, r.done[:7])] = repairs.get((r.area, r.done[:7]), 0) + 1
    decided = [(d.closed or "")[:7] for d in decision_log(vault, since=_bounds(months[0])[0])]
    lists = (tab.quantity.tolist(), tab.deliveries.tolist(), tab.households.tolist())
    reach = tab.households_any.tolist()
    index = {c: i for i, c in enumerate(codes)}
    out = []
    for m, (month, (water, power)) in enumerate(zip(months, _state(vault, months), strict=True)):
        days = _bounds(month)[2]
        others = set(water) | set(power) | {a for a, mm in repairs if mm == month}
        areas = sorted(set(codes) | others)
        if alone is not None:
            alone.append({c for a, c in enumerate(codes) if any(lists[1][a][m])} | others)
        entries = {}
        for code in areas:
            a = index.get(code)
            entries[code] = _area_entry(_served(lists, a, m) if a is not None else {}, reach[a][m] if a is not None else 0,
                                        days, water.get(code), power.get(code), repairs.get((code, month), 0))
        out.append(Account(month=month, areas=entries, network=Network(
            households_served=int(sum(e.households_served for e in entries.values())),
            decisions=decided.count(month), money=_money(vault, month))))
    return out


def account(vault: Vault, month: str) -> Account:
    """The account of one month (``YYYY-MM``): ``{"month", "areas": {AREA: {"households_served",
    "services": {kind: {unit, quantity, deliveries, households}}, "repairs_done", "water": {...},
    "power": {...}}}, "network": {"households_served", "decisions", "money"}}``. ``water`` and
    ``power`` appear where the network or the state has figures, each side ``None`` or 0 where it
    has none."""
    return _account(vault, [check_month(month)])[0]


def account_trend(vault: Vault, month: str, months: int = 6) -> list[Trend]:
    """Headline figures of the ``months`` months up to ``month``, oldest first, per area:
    ``{"month", "areas": {AREA: {households_served, litres, power_hours, repairs_done,
    state_no_water_share, state_grid_hours_per_day}}, "decisions"}``."""
    return account_and_trend(vault, month, months)[1]


def account_and_trend(vault: Vault, month: str, months: int = 6) -> tuple[Account, list[Trend]]:
    """``(account(month), account_trend(month, months))``, the same values, with ``month`` counted
    once (a page that shows both counts each month's deliveries, supply and money once)."""
    if not 1 <= int(months) <= 36:
        raise InvalidInput("institutions.bad_months", months=months)
    alone: list[set[str]] = []
    accounts = _account(vault, _months(check_month(month), int(months)), alone)
    last = accounts[-1]
    return (Account(month=last.month, areas={c: e for c, e in last.areas.items() if c in alone[-1]}, network=last.network),
            _trend(accounts))


def _trend(accounts: list[Account]) -> list[Trend]:
    out = []
    for acc in accounts:
        areas = {}
        for code, e in acc.areas.items():
            water, power = e.services.get("water"), e.services.get("power")
            areas[code] = AreaTrend(
                households_served=e.households_served, litres=water.quantity if water else 0.0,
                power_hours=power.quantity if power else 0.0, repairs_done=e.repairs_done,
                state_no_water_share=e.water.state_no_water_share if e.water else None,
                state_grid_hours_per_day=e.power.state_grid_hours_per_day if e.power else None)
        out.append(Trend(month=acc.month, areas=areas, decisions=acc.network.decisions))
    return out


def delivery_cells(vault: Vault) -> list[tuple[str, str, str, float, int]]:
    """Every recorded month as ``(area, kind, month, units delivered, households served)`` cells,
    the shape of the bridge's aggregates (unsuppressed: the bridge suppresses)."""
    days = delivery_span(vault)
    if days is None:
        return []
    first, last = days[0][:7], days[1][:7]
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    months = _months(last, span)
    codes, tab = _load(vault, months)
    a, m, k = np.nonzero(tab.deliveries)
    return [(codes[i], KINDS[j], months[mm], round(float(tab.quantity[i, mm, j]), 2), int(tab.households[i, mm, j]))
            for i, mm, j in zip(a.tolist(), m.tolist(), k.tolist(), strict=True)]
