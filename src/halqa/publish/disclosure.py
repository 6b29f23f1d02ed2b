"""Disclosure control for posters: every cell a poster draws passes the bridge's small-cell suppression.

Posters have no rule of their own. Each kind lists the cells it would draw, each with ``n``: the
number of units behind it (households for ledger cells, grievance records for listening cells,
payments for fund cells, members for pool rounds), and hands them to
:func:`halqa.bridge.aggregates.suppress` (the same function that filters the aggregate bundles
allies receive) with the bridge's default threshold (:data:`halqa.bridge.DEFAULT_THRESHOLD`, 5).
Only the cells it keeps reach the chart, the figure's
data, headlines and notes; the others are listed as hidden (by label, never by value).

Differential privacy: posters add no noise and spend no privacy budget. The bridge keeps no
published noisy table to reuse (:func:`halqa.bridge.publish_table` returns one and records only
the spend), a poster's statistics (hourly shares, reliability indices, monthly means) are not the
bridge's DP datasets, and noising every drawing would spend the budget on each render (a batch of
fifty would exhaust it). Counts meant for repeated, machine-readable publication go through
``publish_table``; posters show suppressed aggregates only, and no margin or total that would give
a hidden cell back by subtraction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from halqa.bridge import DEFAULT_THRESHOLD, suppress

T = TypeVar("T")


#: Smallest ``n`` behind a drawn cell: the bridge's default, not a rule of publish's own.
THRESHOLD = DEFAULT_THRESHOLD


def control(items: Sequence[T], n_of: Callable[[T], int], threshold: int = THRESHOLD) -> tuple[list[T], list[T]]:
    """Split ``items`` into (kept, withheld) by the bridge's :func:`~halqa.bridge.aggregates.suppress`.

    ``n_of(item)`` is the number of units behind the cell. Order is kept."""
    cells = [(str(i), "", "", 0.0, int(n_of(x))) for i, x in enumerate(items)]
    kept, _ = suppress(cells, threshold)
    keep = {int(c[0]) for c in kept}
    return [x for i, x in enumerate(items) if i in keep], [x for i, x in enumerate(items) if i not in keep]
