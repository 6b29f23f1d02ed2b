"""Aggregates for allies: counts that carry no member, household or text, with small cells suppressed.

Three datasets leave a circle:

``grievances``  grievance records per (area, theme, ISO week): value = n = number of grievances
                (from :func:`halqa.listening.place_week_counts`).
``outages``     outage minutes per (area, day): value = the day's SAIDI in minutes (outage minutes
                per enrolled household), n = households that reported that day (from
                :func:`halqa.ledger.report` with ``daily=True``).

``services``    units delivered per (area, service kind, month) by the circle's own services: value =
                units (litres, hours, rides...), n = households served (from
                :func:`halqa.institutions.delivery_cells`). Sent only by circles that run services.

A cell is *suppressed* (withheld, not published as zero) when its ``n`` is below the threshold
(default 5). No margins or totals travel, so suppressed cells cannot be recovered by subtraction.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from halqa.bridge.events import AggregatePut, now_iso
from halqa.bridge.read import DATASETS
from halqa.errors import InvalidInput
from halqa.institutions import delivery_cells
from halqa.ledger import extent, report
from halqa.listening import load_data, place_week_counts
from halqa.vault import Vault
from halqa.vault.values import new_id

__all__ = ["DATASETS", "AggregateTable", "CellCount", "Snapshot", "aggregate_tables", "grievance_cells", "outage_cells",
           "service_cells", "snapshot", "suppress"]

Cell = tuple[str, str, str, float, int]  # area, theme, period, value, n


class AggregateTable(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset after small-cell suppression: the ``cells`` kept, and how many were ``suppressed``."""

    cells: list[Cell]
    suppressed: int


class CellCount(msgspec.Struct, kw_only=True, frozen=True):
    """How many cells of a dataset were sent, and how many withheld."""

    cells: int
    suppressed: int


class Snapshot(msgspec.Struct, kw_only=True, frozen=True):
    """One dataset's recorded snapshot: its ``dataset``, the ``event`` holding it, how many cells
    it carries and how many were withheld."""

    dataset: str
    event: bytes  # the event's id
    cells: int
    suppressed: int


def grievance_cells(vault: Vault) -> list[Cell]:
    """True (unsuppressed) grievance counts per area, theme and week (Monday, ISO day)."""
    data = load_data(vault)
    if not len(data.grievances):
        return []
    out: list[Cell] = []
    for theme in sorted(set(data.themes["theme"])):
        frame = place_week_counts(data, theme)
        for place, week, n in zip(frame["place"], frame["week"], frame["grievances"], strict=True):
            out.append((str(place), str(theme), str(week), float(n), int(n)))
    out.sort()
    return out


def outage_cells(vault: Vault) -> list[Cell]:
    """Outage minutes per area and day: ``(area, "", day, saidi_minutes, households_reporting)``,
    from the ledger's :func:`halqa.ledger.report` over the days its records span (at most ten years)."""
    span = extent(vault)
    if span is None:
        return []
    first, last = span
    first = max(first, last - timedelta(days=3650))
    rep = report(vault, first.isoformat(), last.isoformat(), daily=True)
    out: list[Cell] = []
    for area, entry in rep.areas.items():
        if entry.source != "households" or not entry.daily:  # an imported customers-out series is not the circle's own record
            continue
        for d in entry.daily:
            minutes = d.saidi_minutes
            if minutes is None:
                continue
            out.append((str(area), "", str(d.day), round(float(minutes), 1), int(d.households_reporting or 0)))
    out.sort()
    return out


def service_cells(vault: Vault) -> list[Cell]:
    """Units delivered per area, service kind and month: ``(area, kind, month, units, households)``."""
    return sorted(delivery_cells(vault))


#: Cells counting fewer than this many households or records are withheld by default.
DEFAULT_THRESHOLD = 5


def suppress(cells: list[Cell], threshold: int = DEFAULT_THRESHOLD) -> tuple[list[Cell], int]:
    """Cells whose ``n`` reaches ``threshold``, and how many were withheld."""
    if threshold < 1 or threshold > 1000:
        raise InvalidInput("bridge.bad_threshold", threshold=threshold)
    kept = [c for c in cells if c[4] >= threshold]
    return kept, len(cells) - len(kept)


def aggregate_tables(vault: Vault, threshold: int = DEFAULT_THRESHOLD) -> dict[str, AggregateTable]:
    """Every dataset after suppression (nothing written).
    ``services`` only for a circle that runs services: the others neither show nor send it."""
    out: dict[str, AggregateTable] = {}
    for name, fn in (("grievances", grievance_cells), ("outages", outage_cells), ("services", service_cells)):
        kept, dropped = suppress(fn(vault), threshold)
        if name == "services" and not kept and not dropped:
            continue
        out[name] = AggregateTable(cells=kept, suppressed=dropped)
    return out


def snapshot(vault: Vault, threshold: int = DEFAULT_THRESHOLD, label: str = "") -> list[Snapshot]:
    """Record a signed aggregate snapshot of each dataset (one commit, ``bridge_aggregate.put``
    events authored by this device); return one :class:`Snapshot` per dataset."""
    tables = aggregate_tables(vault, threshold)
    created = now_iso()
    out = []
    with vault.transaction() as tx:
        for name, table in tables.items():
            ev = tx.append("bridge_aggregate.put", AggregatePut(
                id=new_id(), dataset=name, created=created, threshold=threshold, cells=table.cells,
                suppressed=table.suppressed, label=label))
            out.append(Snapshot(dataset=name, event=ev.id, cells=len(table.cells), suppressed=table.suppressed))
    return out
