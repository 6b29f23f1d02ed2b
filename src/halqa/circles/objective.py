"""The formation objective and the metrics of a partition into circles.

A *lattice* is a set of disjoint circles; members outside every circle are *unplaced*. The
objective to maximise is a weighted sum of four parts, each scaled to about ``[0, 1]``:

``placed``
    share of members placed (``w_placed``, default 2: placing everyone who can be placed safely
    comes first);
``ties``
    share of the total vouching strength that lies inside circles (``w_ties``, default 1);
``exposure``
    *new* exposure the circles create: for every member, the circle mates they did not
    already know, over ``n * (max - 1)`` (subtracted, ``w_exposure``, default 1). An arrested
    member names their vouching contacts anyway; a circle adds only the mates beyond those;
``mix``
    pairs of circle mates with different values of the chosen label (sect, caste...), over
    ``n * (max - 1) / 2`` (``w_mix``, default 0.5, 0 without ``--mix``).

Every part is a sum over circles of a function of the circle's size, its internal ties and its
label counts, so local moves are scored exactly and cheaply, and the same objective is what the
CP-SAT model in :mod:`halqa.circles.exact` maximises.

The *metrics* reported for any partition (formed lattices and baselines alike):

``placed_share``
    members placed safely, over all members. For a formed lattice that is everyone in a circle;
    for a baseline partition it is what remains after repeatedly removing members with fewer
    than two vouchers inside their part and parts that fall below the minimum (a member whose
    vouchers must leave is not safe either); parts above the maximum place nobody;
``ties_inside_share``
    undirected ties with both ends in one circle, over all ties;
``mixing``
    share of circle-mate pairs (both labelled) whose labels differ, over the same share among
    all labelled pairs of members: 1 means as mixed as the whole membership, 0 segregated;
``mean_exposure`` / ``worst_exposure``
    if one member is arrested and names everyone they know (their vouching contacts and circle
    mates), how many others are exposed: the mean over all members, and the maximum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import msgspec

from halqa.circles.graph import TrustGraph

__all__ = ["Evaluation", "ExactResult", "Metrics", "Objective", "ObjectiveValue", "Weights", "evaluate", "label_codes"]


@dataclass(frozen=True)
class Weights:
    """Weights of the objective's parts (see the module docstring)."""

    placed: float = 2.0
    ties: float = 1.0
    exposure: float = 1.0
    mix: float = 0.5

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def label_codes(g: TrustGraph, label: str | None) -> list[int]:
    """Each member's value of ``label`` as a small integer, -1 when unknown (or no label)."""
    if not label:
        return [-1] * g.n
    if label not in g.labels and g.n:
        from halqa.errors import InvalidInput

        raise InvalidInput("circles.unknown_label", label=label, labels=", ".join(sorted(g.labels)) or "-")
    if label not in g.labels:
        return []
    codes: dict[str, int] = {}
    return [-1 if v is None else codes.setdefault(v, len(codes)) for v in g.labels[label]]


class Metrics(msgspec.Struct, kw_only=True, frozen=True):
    """The metrics of a partition (see the module docstring), with its counts of rule violations."""

    placed_share: float
    ties_inside_share: float
    mixing: float | None
    mean_exposure: float
    worst_exposure: int
    circles: int
    strength_inside_share: float
    size_violations: int
    vouch_violations: int


class ObjectiveValue(msgspec.Struct, kw_only=True, frozen=True):
    """The objective's total, its parts (each scaled to about ``[0, 1]``) and their weights."""

    total: float
    parts: dict[str, float]
    weights: dict[str, float]


class Evaluation(msgspec.Struct, kw_only=True, frozen=True):
    """What :func:`evaluate` finds: the partition's metrics and its objective."""

    metrics: Metrics
    objective: ObjectiveValue


class ExactResult(msgspec.Struct, kw_only=True, frozen=True):
    """The CP-SAT solver's status, the objective of its solution and its proven bound, the
    circles (pseudonym lists) and its wall time; :func:`~halqa.circles.formation.form` adds the
    heuristic's objective and its gap to the bound."""

    status: str
    objective: float | None
    bound: float | None
    circles: list[list[str]]
    seconds: float | msgspec.UnsetType = msgspec.UNSET
    heuristic: float | msgspec.UnsetType = msgspec.UNSET
    gap: float | msgspec.UnsetType | None = msgspec.UNSET


class Objective:
    """Coefficients of the objective for one graph, size bound and mixing label."""

    def __init__(self, g: TrustGraph, max_size: int, mix: str | None = None, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        n = max(g.n, 1)
        total = sum(g.weight.values()) or 1.0
        span = n * max(max_size - 1, 1)
        self.c_placed = self.weights.placed / n
        self.c_ties = self.weights.ties / total
        self.c_exposure = self.weights.exposure / span
        self.c_mix = (self.weights.mix * 2.0 / span) if mix else 0.0
        self.labels = label_codes(g, mix)

    def value(self, size: int, e: int, ew: float, cross: int, safe: int | None = None) -> float:
        """Value of one circle: ``size`` members, ``e`` internal ties of total strength ``ew``,
        ``cross`` pairs with different labels; ``safe`` placed members (default all)."""
        placed = size if safe is None else safe
        return (self.c_placed * placed + self.c_ties * ew - self.c_exposure * (size * (size - 1) - 2 * e)
                + self.c_mix * cross)

    def parts(self, size: int, e: int, ew: float, cross: int, safe: int) -> dict[str, float]:
        return {"placed": self.c_placed * safe / self.weights.placed if self.weights.placed else 0.0,
                "ties": self.c_ties * ew / self.weights.ties if self.weights.ties else 0.0,
                "exposure": self.c_exposure * (size * (size - 1) - 2 * e) / self.weights.exposure
                if self.weights.exposure else 0.0,
                "mix": self.c_mix * cross / self.weights.mix if self.c_mix else 0.0}


def cross_pairs(counts: Counter[int]) -> int:
    """Unordered pairs with different known labels, from per-label counts (key -1 = unknown)."""
    known = sum(c for k, c in counts.items() if k >= 0)
    return (known * known - sum(c * c for k, c in counts.items() if k >= 0)) // 2


def circle_stats(g: TrustGraph, members: Sequence[int], labels: Sequence[int]) -> tuple[int, float, int]:
    """``(internal ties, their total strength, cross-label pairs)`` of one circle."""
    e, ew = 0, 0.0
    ms = list(members)
    for i, u in enumerate(ms):
        cu = g.contacts[u]
        for v in ms[i + 1:]:
            if v in cu:
                e += 1
                ew += g.w(u, v)
    return e, ew, cross_pairs(Counter(labels[v] for v in ms))


def _safe_members(g: TrustGraph, parts: Sequence[Sequence[int]], min_size: int, max_size: int) -> set[int]:
    """Members a partition places safely: what is left after repeatedly removing members with
    fewer than two vouchers inside their part and parts that fall below ``min_size`` (parts above
    ``max_size`` place nobody safely)."""
    safe: set[int] = set()
    for part in parts:
        if len(part) > max_size:
            continue
        keep = set(part)
        changed = True
        while changed and len(keep) >= min_size:
            drop = {v for v in keep if len(g.vouchers[v] & keep) < 2}
            changed = bool(drop)
            keep -= drop
        if len(keep) >= min_size:
            safe |= keep
    return safe


def evaluate(g: TrustGraph, parts: Sequence[Sequence[int]], min_size: int, max_size: int, mix: str | None = None,
             weights: Weights | None = None) -> Evaluation:
    """Metrics and objective parts of any partition (see the module docstring).

    ``parts`` are lists of member indices; members in no part are unplaced. Parts outside
    ``min_size..max_size`` and members with fewer than two vouchers inside their part are
    counted as violations and not as safely placed.
    """
    obj = Objective(g, max_size, mix, weights)
    labels = obj.labels
    n = g.n
    circle_of = [-1] * n
    for ci, part in enumerate(parts):
        for v in part:
            circle_of[v] = ci
    safe_set = _safe_members(g, parts, min_size, max_size)
    safe = 0
    size_viol = vouch_viol = 0
    inside = 0
    inside_w = 0.0
    total_obj = 0.0
    agg = {"placed": 0.0, "ties": 0.0, "exposure": 0.0, "mix": 0.0}
    cross_total = labelled_pairs = 0
    for part in parts:
        ok_size = min_size <= len(part) <= max_size
        if not ok_size:
            size_viol += 1
        members = set(part)
        n_safe = sum(1 for v in part if v in safe_set)
        vouch_viol += sum(1 for v in part if len(g.vouchers[v] & members) < 2)
        safe += n_safe
        e, ew, cross = circle_stats(g, part, labels)
        inside += e
        inside_w += ew
        total_obj += obj.value(len(part), e, ew, cross, n_safe)
        for name, val in obj.parts(len(part), e, ew, cross, n_safe).items():
            agg[name] += val
        known = sum(1 for v in part if labels[v] >= 0)
        cross_total += cross
        labelled_pairs += known * (known - 1) // 2
    # exposure of each member: contacts plus circle mates
    exposure = []
    sizes = Counter(c for c in circle_of if c >= 0)
    for v in range(n):
        c = circle_of[v]
        if c < 0:
            exposure.append(len(g.contacts[v]))
        else:
            mates_known = sum(1 for u in g.contacts[v] if circle_of[u] == c)
            exposure.append(len(g.contacts[v]) + sizes[c] - 1 - mates_known)
    pop = Counter(x for x in labels if x >= 0)
    k = sum(pop.values())
    pop_cross = 1.0 - sum(c * (c - 1) for c in pop.values()) / (k * (k - 1)) if k > 1 else 0.0
    mixing = None
    if mix and labelled_pairs and pop_cross > 0:
        mixing = round(cross_total / labelled_pairs / pop_cross, 4)
    return Evaluation(
        metrics=Metrics(
            placed_share=round(safe / n, 4) if n else 0.0,
            ties_inside_share=round(inside / g.m, 4) if g.m else 0.0,
            mixing=mixing,
            mean_exposure=round(sum(exposure) / n, 3) if n else 0.0,
            worst_exposure=max(exposure, default=0),
            circles=len(parts),
            strength_inside_share=round(inside_w / sum(g.weight.values()), 4) if g.weight else 0.0,
            size_violations=size_viol,
            vouch_violations=vouch_viol,
        ),
        objective=ObjectiveValue(total=round(total_obj, 6), parts={k2: round(v2, 6) for k2, v2 in agg.items()},
                                 weights=obj.weights.as_dict() | ({} if mix else {"mix": 0.0})),
    )
