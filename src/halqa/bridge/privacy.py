"""Publishable tables with differential-privacy noise (OpenDP), under a tracked budget.

Each dataset has an explicit privacy budget (total epsilon) set by the circle; every publication
spends part of it and is recorded as an event, so the spend travels with the vault's other
records and survives a rebuild. A publication that would overspend is refused before any noise
is drawn. (Two devices that publish concurrently while apart can together exceed the budget; after
they merge, the spend shown is the honest total and further publications are refused.)

Mechanisms (OpenDP ``make_laplace`` on integer vectors, i.e. the discrete Laplace mechanism, over
the *whole* grid of cells, empty ones included, so which cells exist reveals nothing):

``grievances``  grievances per (area, theme, week). Privacy unit: one grievance record. A record
                counts towards at most ``max_themes`` themes (extra themes dropped, alphabetically
                last first), so the L1 sensitivity is ``max_themes`` and the scale is
                ``max_themes / epsilon``.
``outages``     per (area, day): total outage minutes (each household-day clipped to 1440
                minutes; half the epsilon, sensitivity 1440) and households reporting (the other
                half, sensitivity 1); the published mean is their ratio (post-processing).
                Privacy unit: one household-day.

After noise, cells whose noisy count falls below the suppression threshold are withheld
(post-processing: costs no budget). Each table reports the 95% bound of the added noise
(``error95``: |noise| stays below it with 95% probability) and that bound relative to the
median published count.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec

from halqa.bridge.events import UNSET, BudgetPut, SpendPut, Unset, now_iso
from halqa.bridge.read import DP_DATASETS as DATASETS
from halqa.bridge.read import Budget, budget, spent
from halqa.errors import InvalidInput
from halqa.ledger import outage_days
from halqa.listening import load_data, themes
from halqa.places import area_codes
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import new_id, today_date

__all__ = ["GrievanceCount", "OutageCount", "PublishedTable", "csv_cell", "publish_table", "set_budget", "table_csv"]

MAX_EPSILON = 10.0


class GrievanceCount(msgspec.Struct, kw_only=True, frozen=True):
    """A published grievance cell: noisy ``count`` per area, theme and week."""

    area: str
    theme: str
    week: str
    count: int


class OutageCount(msgspec.Struct, kw_only=True, frozen=True):
    """A published outage cell: noisy ``households`` and ``outage_minutes`` per area and day, and
    their ratio (None when no household remains)."""

    area: str
    day: str
    households: int
    outage_minutes: int
    minutes_per_household: float | None


class PublishedTable(msgspec.Struct, kw_only=True, frozen=True):
    """A differentially private table and what it cost (see the module docstring)."""

    dataset: str
    epsilon: float
    epsilon_used: float
    mechanism: str
    scale: float
    error95: float
    relative_error_typical: float | None
    typical_count: float | None
    threshold: int
    cells: list[GrievanceCount] | list[OutageCount]
    suppressed: int
    grid: int
    error95_minutes: float | Unset = UNSET  # outages only: the 95% bound of the minutes' noise
    budget: Budget


def _check_dataset(dataset: str) -> str:
    if dataset not in DATASETS:
        raise InvalidInput("bridge.bad_dataset", dataset=dataset, datasets=", ".join(DATASETS))
    return dataset


def set_budget(vault: Vault, dataset: str, epsilon: float) -> Budget:
    """Set a dataset's total privacy budget (epsilon). It cannot go below what was already spent."""
    _check_dataset(dataset)
    if not 0 < epsilon <= MAX_EPSILON:
        raise InvalidInput("bridge.bad_epsilon", epsilon=epsilon, max=MAX_EPSILON)
    used = spent(vault, dataset)
    if epsilon < used:
        raise InvalidInput("bridge.budget_below_spent", epsilon=epsilon, spent=round(used, 6))
    vault.append("bridge_budget.put", BudgetPut(dataset=dataset, epsilon=float(epsilon)))
    return budget(vault)[dataset]


def _weeks(first: date, last: date) -> list[str]:
    start = first - timedelta(days=first.weekday())
    out = []
    while start <= last:
        out.append(start.isoformat())
        start += timedelta(days=7)
    return out


def _grievance_grid(vault: Vault, max_themes: int, first: str | None, last: str | None
                    ) -> tuple[list[tuple[str, str, str]], list[int]]:
    data = load_data(vault)
    g, th = data.grievances, data.themes
    areas = sorted(set(area_codes(vault)) | set(g["place"].astype(str)))
    theme_ids = sorted({t.id for t in themes(vault)} | set(th["theme"].astype(str)))
    days = g["day"].dt.date if len(g) else []
    d1 = date.fromisoformat(last) if last else (max(days) if len(g) else today_date())
    d0 = date.fromisoformat(first) if first else d1 - timedelta(days=7 * 12 - 1)
    weeks = _weeks(d0, d1)
    index = {(a, t, w): i for i, (a, t, w) in enumerate((a, t, w) for a in areas for t in theme_ids for w in weeks)}
    counts = [0] * len(index)
    if len(g):
        week_of = [(d - timedelta(days=d.weekday())).isoformat() for d in days]
        place = g["place"].astype(str).tolist()
        per_row: dict[int, list[str]] = {}
        for row, theme in zip(th["row"].tolist(), th["theme"].astype(str).tolist(), strict=True):
            per_row.setdefault(row, []).append(theme)
        for row, ts in per_row.items():
            for theme in sorted(ts)[:max_themes]:  # contribution bound: at most max_themes cells
                i = index.get((place[row], theme, week_of[row]))
                if i is not None:
                    counts[i] += 1
    return list(index), counts


def _outage_grid(vault: Vault, first: str | None, last: str | None
                 ) -> tuple[list[tuple[str, str, str]], list[int], list[int]]:
    epoch = date(1970, 1, 1)
    # Each household-day is bounded to 1,440 minutes by the ledger: the contribution bound.
    per = {(o.area, (date.fromisoformat(o.day) - epoch).days): (o.minutes, o.households) for o in outage_days(vault)}
    data_days = [d for _, d in per]
    d1 = (date.fromisoformat(last) - epoch).days if last else (max(data_days) if data_days else (today_date() - epoch).days)
    d0 = (date.fromisoformat(first) - epoch).days if first else d1 - 89
    if d1 - d0 > 3660 or d1 < d0:
        raise InvalidInput("bridge.bad_period", first=first or "", last=last or "")
    areas = sorted(set(area_codes(vault)) | {a for a, _ in per})
    keys, minutes, households = [], [], []
    for a in areas:
        for d in range(d0, d1 + 1):
            total, n = per.get((a, d), (0, 0))
            keys.append((a, "", (epoch + timedelta(days=d)).isoformat()))
            minutes.append(total)
            households.append(n)
    return keys, minutes, households


def _laplace(values: list[int], sensitivity: int, epsilon: float) -> tuple[list[int], float, float]:
    """Discrete Laplace noise through OpenDP; returns (noisy, scale, epsilon actually used)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    scale = sensitivity / epsilon
    meas = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale)
    used = float(meas.map(sensitivity))
    if used > epsilon * (1 + 1e-9):
        raise InvalidInput("bridge.bad_epsilon", epsilon=epsilon, max=MAX_EPSILON)
    return list(meas(values)) if values else [], scale, used


def _error95(scale: float) -> float:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return float(dp.discrete_laplacian_scale_to_accuracy(scale, 0.05))


def publish_table(vault: Vault, dataset: str, epsilon: float, threshold: int = 5, max_themes: int = 3,
                  first: str | None = None, last: str | None = None) -> PublishedTable:
    """A publishable table of ``dataset`` with DP noise costing ``epsilon`` from its budget.

    Refuses (nothing spent) when no budget is set or the remaining budget is too small. The
    cells carry the noisy values only."""
    _check_dataset(dataset)
    if not 0 < epsilon <= MAX_EPSILON:
        raise InvalidInput("bridge.bad_epsilon", epsilon=epsilon, max=MAX_EPSILON)
    if not 1 <= max_themes <= 20:
        raise InvalidInput("bridge.bad_max_themes", n=max_themes)
    if not 0 <= threshold <= 1000:
        raise InvalidInput("bridge.bad_threshold", threshold=threshold)
    total = budget(vault)[dataset]
    if total.total is None:
        raise InvalidInput("bridge.no_budget", dataset=dataset)
    if total.remaining is None or epsilon > total.remaining + 1e-12:
        raise InvalidInput("bridge.budget_exhausted", dataset=dataset, epsilon=epsilon, remaining=total.remaining)
    kept: list[GrievanceCount] | list[OutageCount]
    error95_minutes: float | Unset = UNSET
    if dataset == "grievances":
        keys, counts = _grievance_grid(vault, max_themes, first, last)
        noisy, scale, used = _laplace(counts, max_themes, epsilon)
        grievances = [GrievanceCount(area=area, theme=theme, week=week, count=max(0, int(v)))
                      for (area, theme, week), v in zip(keys, noisy, strict=True)]
        mechanism = f"discrete Laplace (OpenDP), L1 sensitivity {max_themes}, scale {scale:.3g}"
        err = _error95(scale)
        kept = [c for c in grievances if c.count >= max(threshold, 1)]
        grid = len(grievances)
        typical = statistics.median([c.count for c in kept]) if kept else None
    else:
        keys, minutes, households = _outage_grid(vault, first, last)
        noisy_min, scale, used_a = _laplace(minutes, 1440, epsilon / 2)
        noisy_hh, scale_hh, used_b = _laplace(households, 1, epsilon / 2)
        used = used_a + used_b
        outages = []
        for (area, _, day), m, h in zip(keys, noisy_min, noisy_hh, strict=True):
            h = max(0, int(h))
            outages.append(OutageCount(area=area, day=day, households=h, outage_minutes=max(0, int(m)),
                                       minutes_per_household=round(max(0, int(m)) / h, 1) if h else None))
        mechanism = (f"discrete Laplace (OpenDP): minutes L1 sensitivity 1440, scale {scale:.3g}; "
                     f"households L1 sensitivity 1, scale {scale_hh:.3g}")
        err = _error95(scale_hh)
        scale = scale_hh
        kept = [c for c in outages if c.households >= max(threshold, 1)]
        grid = len(outages)
        typical = statistics.median([c.households for c in kept]) if kept else None
        error95_minutes = round(_error95(1440 / (epsilon / 2)), 1)
    vault.append("bridge_spend.put", SpendPut(id=new_id(), dataset=dataset, epsilon=float(epsilon),
                                              what=f"publish table {dataset}", at=now_iso()))
    return PublishedTable(
        dataset=dataset, epsilon=epsilon, epsilon_used=round(used, 6), mechanism=mechanism, scale=round(scale, 4),
        error95=round(err, 2), relative_error_typical=round(err / typical, 3) if typical else None,
        typical_count=typical, threshold=threshold, cells=kept, suppressed=grid - len(kept), grid=grid,
        error95_minutes=error95_minutes, budget=budget(vault)[dataset])


def csv_cell(value: Any) -> Any:
    """A value safe for a spreadsheet: text starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or
    carriage return) would run as a formula when opened, so it gets a leading apostrophe. Numbers
    stay numbers (a negative noisy count is data, not a formula)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_csv(cells: Sequence[GrievanceCount | OutageCount | dict[str, Any]]) -> bytes:
    """A published table as CSV (UTF-8), every text cell neutralised with :func:`csv_cell`."""
    import csv
    import io

    rows: list[dict[str, Any]] = to_data(cells)
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return buf.getvalue().encode("utf-8")
