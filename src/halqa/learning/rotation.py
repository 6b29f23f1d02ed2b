"""The monthly learning rotation: who studies a movement, who reports an experiment, month by month.

Each month has a **study** session (a circle studies a foreign movement and brings back one
tactic) and, from the second month on (or the first, when a study was recorded before the plan),
a **report** session: another circle, the one that tried the previous month's tactic, reports how
its experiment went. Knowledge so travels between circles instead of staying where it was found.

The rules a plan keeps (hard constraints, solved with OR-Tools CP-SAT):

* every session has exactly one host, never a circle blacked out that month;
* a circle hosts at most one session a month (with two or more circles);
* the report in month *m* is never hosted by the circle that studied in month *m-1* (with two or
  more circles): the one who learns is not the one who tries;
* **fairness:** over any 12 consecutive months of the plan (the whole plan when shorter), the
  number of sessions hosted by any two circles differs by at most one.

Among plans keeping these rules the solver prefers ones where no circle hosts in two consecutive
months. :func:`greedy_rotation` (fewest turns first, in rotation order) gives the starting hint
and is the baseline the benchmark compares against; it often breaks fairness when blackouts bite.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.learning.read import Slot

__all__ = ["WINDOW", "Unfairness", "fairness_violations", "greedy_rotation", "rotation"]

#: Months over which hosting must be fair.
WINDOW = 12


class Unfairness(msgspec.Struct, kw_only=True, frozen=True):
    """A window of months (``from`` .. ``to``) in which hosting counts range from ``min`` to ``max``."""

    first: str = msgspec.field(name="from")
    to: str
    min: int
    max: int


def _sessions(months: Sequence[str], prior_study: str | None) -> list[tuple[int, str]]:
    out = []
    for i, _ in enumerate(months):
        out.append((i, "study"))
        if i > 0 or prior_study is not None:
            out.append((i, "report"))
    return out


def fairness_violations(plan: Sequence[Slot], circles: Sequence[str], window: int = WINDOW) -> list[Unfairness]:
    """Windows of ``window`` consecutive months (the whole plan if shorter) in which two circles'
    session counts differ by more than one; empty when the plan is fair."""
    months = sorted({s.month for s in plan})
    if not months:
        return []
    starts = range(max(1, len(months) - window + 1))
    out = []
    for s in starts:
        inside = set(months[s:s + window])
        counts = Counter(x.circle for x in plan if x.month in inside)
        values = [counts.get(c, 0) for c in circles]
        if values and max(values) - min(values) > 1:
            out.append(Unfairness(first=months[s], to=months[min(len(months), s + window) - 1],
                                  min=min(values), max=max(values)))
    return out


def greedy_rotation(circles: Sequence[str], months: Sequence[str], blackouts: Iterable[tuple[str, str]] = (),
                    prior_study: str | None = None) -> list[Slot]:
    """The simple rule: each session goes to the available circle with the fewest turns so far,
    ties broken by rotation order. Fast, but not fair under blackouts. Raises when a session has
    no possible host."""
    blocked = set(blackouts)
    counts = Counter({c: 0 for c in circles})
    order = {c: i for i, c in enumerate(circles)}
    last = 0
    out: list[Slot] = []
    study_host: dict[int, str] = {}
    for i, kind in _sessions(months, prior_study):
        month = months[i]
        banned = {x.circle for x in out if x.month == month}
        if kind == "report":
            before = study_host.get(i - 1, prior_study if i == 0 else None)
            if before:
                banned.add(before)
        options = [c for c in circles if (c, month) not in blocked and (len(circles) < 2 or c not in banned)]
        if not options:
            raise InvalidInput("learning.rotation_infeasible", month=month)
        pick = min(options, key=lambda c: (counts[c], (order[c] - last) % len(circles)))
        counts[pick] += 1
        last = order[pick] + 1
        if kind == "study":
            study_host[i] = pick
        out.append(Slot(month=month, circle=pick, kind=kind))
    return out


def rotation(circles: Sequence[str], months: Sequence[str], blackouts: Iterable[tuple[str, str]] = (),
             prior_study: str | None = None, window: int = WINDOW, seed: int = 0,
             time_limit: float = 10.0) -> list[Slot]:
    """A fair rotation (see the module docstring) for ``circles`` over ``months`` (``YYYY-MM``,
    consecutive). ``blackouts`` holds ``(circle, month)`` pairs; ``prior_study`` is the circle that
    studied the month before the plan, if any. Returns ``[{"month", "circle", "kind"}]`` in month
    order (study before report). Raises :class:`InvalidInput` when no fair plan exists."""
    from ortools.sat.python import cp_model

    circles = list(dict.fromkeys(circles))
    months = list(months)
    if not circles:
        raise InvalidInput("learning.no_circles")
    if not months:
        return []
    blocked = set(blackouts)
    n = len(circles)
    sessions = _sessions(months, prior_study)
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for s, (i, _kind) in enumerate(sessions):
        options = []
        for c, name in enumerate(circles):
            if (name, months[i]) in blocked:
                continue
            x[s, c] = model.new_bool_var(f"x{s}_{c}")
            options.append(x[s, c])
        if not options:
            raise InvalidInput("learning.rotation_infeasible", month=months[i])
        model.add_exactly_one(options)
    by_month: dict[int, list[int]] = {}
    for s, (i, _kind) in enumerate(sessions):
        by_month.setdefault(i, []).append(s)
    host: dict[tuple[int, int], Any] = {}  # circle c hosts something in month i
    for i, ss in by_month.items():
        for c in range(n):
            vs = [x[s, c] for s in ss if (s, c) in x]
            if not vs:
                continue
            if n >= 2:
                model.add_at_most_one(vs)
                host[i, c] = sum(vs)
            else:
                host[i, c] = sum(vs)
    if n >= 2:
        study_of = {i: s for s, (i, k) in enumerate(sessions) if k == "study"}
        for s, (i, kind) in enumerate(sessions):
            if kind != "report":
                continue
            for c, name in enumerate(circles):
                if (s, c) not in x:
                    continue
                if i == 0:
                    if prior_study == name:
                        model.add(x[s, c] == 0)
                elif (study_of[i - 1], c) in x:
                    model.add_bool_or([~x[s, c], ~x[study_of[i - 1], c]])
    # fairness over every window
    span = min(window, len(months))
    for start in range(len(months) - span + 1):
        inside = [s for s, (i, _k) in enumerate(sessions) if start <= i < start + span]
        lo = model.new_int_var(0, len(inside), f"lo{start}")
        for c in range(n):
            count = sum(x[s, c] for s in inside if (s, c) in x)
            model.add(count >= lo)
            model.add(count <= lo + 1)
    # prefer no circle hosting in two consecutive months
    penalties = []
    if n >= 4:  # with three circles or fewer, consecutive months cannot be avoided
        for i in range(len(months) - 1):
            for c in range(n):
                if (i, c) in host and (i + 1, c) in host:
                    z = model.new_bool_var(f"z{i}_{c}")
                    model.add(host[i, c] + host[i + 1, c] <= 1 + z)
                    penalties.append(z)
    if penalties:
        model.minimize(sum(penalties))
    try:
        hint = greedy_rotation(circles, months, blocked, prior_study)
        index = {name: c for c, name in enumerate(circles)}
        for s, item in enumerate(hint):
            for c in range(n):
                if (s, c) in x:
                    model.add_hint(x[s, c], int(index[item.circle] == c))
    except InvalidInput:
        pass
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed % (2**31)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InvalidInput("learning.rotation_infeasible", month=f"{months[0]}..{months[-1]}")
    out = []
    for s, (i, kind) in enumerate(sessions):
        chosen = next(circles[c] for c in range(n) if (s, c) in x and solver.value(x[s, c]))
        out.append(Slot(month=months[i], circle=chosen, kind=kind))
    return out


def shuffled(circles: Sequence[str], seed: int) -> list[str]:
    """A seeded rotation order (so the first hosts are not always the alphabetically first)."""
    order = sorted(circles)
    random.Random(seed).shuffle(order)
    return order
