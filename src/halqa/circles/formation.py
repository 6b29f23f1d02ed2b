"""Forming circles: a constrained partition of the trust graph, then safe repair and local search.

The pipeline of :func:`form` (``halqa circles form``):

1. **Eligibility.** Members with fewer than two vouchers can never be placed safely; removing
   them can strand others, so the eligible set is the fixed point (a 2-core on incoming vouches).
2. **First pass.** Safe circles grown one at a time from the hardest-to-place members
   (:func:`_greedy_parts`, ``greedy``: every part already keeps the rules), and on networks up
   to 5,000 members also constrained Leiden (``leidenalg.Optimiser`` with ``min_comm_size``,
   ``max_comm_size`` and ``community_constraint_enforcement``) and METIS with ``k = n / 6`` on
   the eligible graph, weighted by tie strength.
3. **Repair.** Parts above the maximum are split along their weakest trust cut
   (:func:`split_circle`); members with fewer than two vouchers inside their part are taken
   out (repeatedly, since one leaving can strand another); parts below the minimum dissolve.
   Members taken out are offered every circle with room where two of their vouchers sit, and
   what is left forms new circles among themselves by the same steps.
4. **Local search.** Single moves and pairwise swaps between circles that raise the objective
   (:mod:`halqa.circles.objective`) and keep every rule: sizes within bounds and two vouchers
   inside for everyone, always.

Nobody is ever forced in: members that cannot be placed are returned with a reason.

Re-forming (``existing`` circles given) keeps valid circles as they are, splits those that grew
past the maximum along their weakest cut, drops members who lost their vouchers inside, forms
new circles among the unplaced first, and only then fills existing circles with room.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import leidenalg as la
import msgspec
import pymetis

from halqa.circles.events import CirclePut
from halqa.circles.graph import TrustGraph, from_vault
from halqa.circles.objective import ExactResult, Metrics, Objective, ObjectiveValue, Weights, cross_pairs, evaluate
from halqa.circles.read import circles as recorded_circles
from halqa.errors import InvalidInput
from halqa.vault import Vault
from halqa.vault.values import today

__all__ = ["METHODS", "REASONS", "FormResult", "Formation", "baseline_leiden", "baseline_metis", "eligible", "form",
           "form_circles", "split_circle"]

#: Why a member is left unplaced (codes in JSON; ``circles.reason.<code>`` for people).
#: First passes (``--method``): safe circles grown one by one, constrained Leiden, METIS.
METHODS: tuple[str, ...] = ("greedy", "leiden", "metis")
REASONS: tuple[str, ...] = ("no_vouchers", "one_voucher", "vouchers_unplaced", "group_too_small", "no_safe_circle")
_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"


class FormedCircle(msgspec.Struct, kw_only=True, frozen=True):
    """A circle as formed: its id and its members' pseudonyms."""

    id: str
    members: list[str]


class Unplaced(msgspec.Struct, kw_only=True, frozen=True):
    """A member left out, and why (a code of :data:`REASONS`)."""

    member: str
    reason: str


class FormMetrics(msgspec.Struct, kw_only=True, frozen=True):
    """The headline metrics of a formation (:class:`~halqa.circles.objective.Metrics`)."""

    placed_share: float
    ties_inside_share: float
    mixing: float | None
    mean_exposure: float
    worst_exposure: int


class FormDetails(msgspec.Struct, kw_only=True, frozen=True):
    """The other metrics of a formation: circles, strength inside and rule violations (none)."""

    circles: int
    strength_inside_share: float
    size_violations: int
    vouch_violations: int


class FormSettings(msgspec.Struct, kw_only=True, frozen=True):
    """Sizes, mixing label and first pass used (and the seed, to ask for the same circles again)."""

    min: int
    max: int
    mix: str | None
    method: str
    seed: int | msgspec.UnsetType = msgspec.UNSET


class Reform(msgspec.Struct, kw_only=True, frozen=True):
    """On re-forming: existing circles kept as they were, and those changed."""

    kept: list[str]
    changed: list[str]


class FormResult(msgspec.Struct, kw_only=True, frozen=True):
    """A formation by name (the shape of ``halqa circles form --json``)."""

    circles: list[FormedCircle]
    unplaced: list[Unplaced]
    metrics: FormMetrics
    objective: ObjectiveValue
    settings: FormSettings
    details: FormDetails
    reform: Reform | msgspec.UnsetType = msgspec.UNSET
    exact: ExactResult | msgspec.UnsetType = msgspec.UNSET
    seconds: float = 0.0
    applied: bool | msgspec.UnsetType = msgspec.UNSET


@dataclass
class Formation:
    """The result of :func:`form`: circles (member indices), unplaced members with reasons,
    metrics and objective parts, and (on small networks) the CP-SAT optimum or bound."""

    graph: TrustGraph
    circles: dict[str, list[int]]
    unplaced: list[tuple[int, str]]
    metrics: Metrics
    objective: ObjectiveValue
    min_size: int
    max_size: int
    mix: str | None
    method: str
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    exact: ExactResult | None = None
    seconds: float = 0.0

    def summary(self, seed: int | None = None, applied: bool = False) -> FormResult:
        """By name, not index: the shape of ``halqa circles form --json`` (with the ``seed`` used,
        and ``applied`` once recorded)."""
        names = self.graph.names
        m = self.metrics
        return FormResult(
            circles=[FormedCircle(id=cid, members=sorted(names[v] for v in ms)) for cid, ms in self.circles.items()],
            unplaced=[Unplaced(member=names[v], reason=r) for v, r in self.unplaced],
            metrics=FormMetrics(placed_share=m.placed_share, ties_inside_share=m.ties_inside_share, mixing=m.mixing,
                                mean_exposure=m.mean_exposure, worst_exposure=m.worst_exposure),
            objective=self.objective,
            settings=FormSettings(min=self.min_size, max=self.max_size, mix=self.mix, method=self.method,
                                  seed=msgspec.UNSET if seed is None else seed),
            details=FormDetails(circles=m.circles, strength_inside_share=m.strength_inside_share,
                                size_violations=m.size_violations, vouch_violations=m.vouch_violations),
            reform=Reform(kept=self.kept, changed=self.changed) if self.kept or self.changed else msgspec.UNSET,
            exact=msgspec.UNSET if self.exact is None else self.exact,
            seconds=round(self.seconds, 3),
            applied=True if applied else msgspec.UNSET,
        )


# ----------------------------------------------------------------------------- the lattice state
class Lattice:
    """Circles under construction, with the counts that make moves cheap to score."""

    def __init__(self, g: TrustGraph, obj: Objective, min_size: int, max_size: int) -> None:
        self.g, self.obj, self.lo, self.hi = g, obj, min_size, max_size
        self.circle_of = [-1] * g.n
        self.members: dict[int, set[int]] = {}
        self.e: dict[int, int] = {}
        self.ew: dict[int, float] = {}
        self.lab: dict[int, Counter[int]] = {}
        self.vin = [0] * g.n  # vouchers of v inside v's circle
        self.locked: set[int] = set()
        self._next = 0

    def new_circle(self, nodes: Iterable[int] = ()) -> int:
        c = self._next
        self._next += 1
        self.members[c], self.e[c], self.ew[c], self.lab[c] = set(), 0, 0.0, Counter()
        for v in nodes:
            self.add(v, c)
        return c

    def add(self, v: int, c: int) -> None:
        g, ms = self.g, self.members[c]
        cv, vv = g.contacts[v], g.vouchers[v]
        k, kw, vin = 0, 0.0, 0
        for u in ms:
            if u in cv:
                k += 1
                kw += g.w(u, v)
            if u in vv:
                vin += 1
            if v in g.vouchers[u]:
                self.vin[u] += 1
        ms.add(v)
        self.e[c] += k
        self.ew[c] += kw
        self.lab[c][self.obj.labels[v]] += 1
        self.vin[v] = vin
        self.circle_of[v] = c

    def remove(self, v: int) -> int:
        c = self.circle_of[v]
        g, ms = self.g, self.members[c]
        ms.discard(v)
        cv = g.contacts[v]
        for u in ms:
            if u in cv:
                self.e[c] -= 1
                self.ew[c] -= g.w(u, v)
            if v in g.vouchers[u]:
                self.vin[u] -= 1
        self.lab[c][self.obj.labels[v]] -= 1
        self.circle_of[v] = -1
        self.vin[v] = 0
        return c

    def dissolve(self, c: int) -> list[int]:
        out = list(self.members[c])
        for v in out:
            self.circle_of[v] = -1
            self.vin[v] = 0
        for d in (self.members, self.e, self.ew, self.lab):
            del d[c]
        self.locked.discard(c)
        return out

    def value(self, c: int) -> float:
        return self.obj.value(len(self.members[c]), self.e[c], self.ew[c], cross_pairs(self.lab[c]))

    def total(self) -> float:
        return sum(self.value(c) for c in self.members)

    def _gain_in(self, v: int, c: int, without: int = -1) -> tuple[int, float, int, int]:
        """``(ties, strength, cross pairs, vouchers)`` that ``v`` brings into circle ``c`` (minus ``without``)."""
        g = self.g
        cv, vv = g.contacts[v], g.vouchers[v]
        k, kw, vin = 0, 0.0, 0
        for u in self.members[c]:
            if u == without:
                continue
            if u in cv:
                k += 1
                kw += g.w(u, v)
            if u in vv:
                vin += 1
        lab = self.obj.labels[v]
        cnt = self.lab[c]
        known = sum(x for key, x in cnt.items() if key >= 0)
        cross = 0
        if lab >= 0:
            same = cnt[lab]
            if without >= 0 and self.obj.labels[without] >= 0:
                known -= 1
                if self.obj.labels[without] == lab:
                    same -= 1
            cross = known - same
        return k, kw, cross, vin

    def can_leave(self, v: int) -> bool:
        """Whether ``v`` may leave its circle without breaking the size or voucher rule."""
        c = self.circle_of[v]
        ms = self.members[c]
        if len(ms) - 1 < self.lo:
            return False
        g = self.g
        return all(self.vin[u] >= 3 or v not in g.vouchers[u] for u in ms if u != v)

    def delta_move(self, v: int, b: int) -> float | None:
        """Objective change if ``v`` moves to circle ``b`` (``None`` if not allowed)."""
        a = self.circle_of[v]
        if len(self.members[b]) >= self.hi:
            return None
        kb, kwb, crb, vinb = self._gain_in(v, b)
        if vinb < 2:
            return None
        before = self.value(b)
        after_b = self.obj.value(len(self.members[b]) + 1, self.e[b] + kb, self.ew[b] + kwb,
                                 cross_pairs(self.lab[b]) + crb)
        if a < 0:
            return after_b - before
        ka, kwa, cra, _ = self._gain_in(v, a, without=v)
        after_a = self.obj.value(len(self.members[a]) - 1, self.e[a] - ka, self.ew[a] - kwa,
                                 cross_pairs(self.lab[a]) - cra)
        return after_a + after_b - self.value(a) - before

    def delta_swap(self, v: int, u: int) -> float | None:
        """Objective change if ``v`` (circle A) and ``u`` (circle B) trade places, ``None`` if unsafe."""
        g = self.g
        a, b = self.circle_of[v], self.circle_of[u]
        ma, mb = self.members[a], self.members[b]
        # the newcomers' vouchers in their new circles
        if len(g.vouchers[u] & ma) - (v in g.vouchers[u]) < 2:
            return None
        if len(g.vouchers[v] & mb) - (u in g.vouchers[v]) < 2:
            return None
        vv, vu = g.vouchers, g.vouchers
        for w in ma:
            if w != v and self.vin[w] - (v in vv[w]) + (u in vu[w]) < 2:
                return None
        for w in mb:
            if w != u and self.vin[w] - (u in vv[w]) + (v in vu[w]) < 2:
                return None
        kav, kwav, crav, _ = self._gain_in(v, a, without=v)
        kau, kwau, crau, _ = self._gain_in(u, a, without=v)
        kbu, kwbu, crbu, _ = self._gain_in(u, b, without=u)
        kbv, kwbv, crbv, _ = self._gain_in(v, b, without=u)
        sa, sb = len(ma), len(mb)
        xa, xb = cross_pairs(self.lab[a]), cross_pairs(self.lab[b])
        new_a = self.obj.value(sa, self.e[a] - kav + kau, self.ew[a] - kwav + kwau, xa - crav + crau)
        new_b = self.obj.value(sb, self.e[b] - kbu + kbv, self.ew[b] - kwbu + kwbv, xb - crbu + crbv)
        return new_a + new_b - self.value(a) - self.value(b)

    def circles(self) -> list[list[int]]:
        return [sorted(ms) for ms in self.members.values()]


# ----------------------------------------------------------------------------- eligibility
def eligible(g: TrustGraph, min_size: int = 5) -> tuple[set[int], dict[int, str]]:
    """Members who could ever be placed safely, and the reason for each one who could not."""
    reasons: dict[int, str] = {}
    alive = set(range(g.n))
    count = [len(g.vouchers[v]) for v in range(g.n)]
    for v in range(g.n):
        if count[v] == 0:
            reasons[v] = "no_vouchers"
        elif count[v] == 1:
            reasons[v] = "one_voucher"
    queue = list(reasons)
    alive -= set(queue)
    vouches_for: list[list[int]] = [[] for _ in range(g.n)]
    for v in range(g.n):
        for u in g.vouchers[v]:
            vouches_for[u].append(v)
    while queue:
        u = queue.pop()
        for v in vouches_for[u]:
            if v in alive:
                count[v] -= 1
                if count[v] < 2:
                    alive.discard(v)
                    reasons[v] = "vouchers_unplaced"
                    queue.append(v)
    # connected groups (through ties among the eligible) smaller than a circle
    seen: set[int] = set()
    for s in sorted(alive):
        if s in seen:
            continue
        comp, stack = [s], [s]
        seen.add(s)
        while stack:
            x = stack.pop()
            for y in g.vouchers[x]:
                if y in alive and y not in seen:
                    seen.add(y)
                    comp.append(y)
                    stack.append(y)
        if len(comp) < min_size:
            for x in comp:
                alive.discard(x)
                reasons[x] = "group_too_small"
    return alive, reasons


# ----------------------------------------------------------------------------- first passes
def _leiden_parts(g: TrustGraph, nodes: Sequence[int], min_size: int, max_size: int, seed: int) -> list[list[int]]:
    sub, keep = g.subgraph(nodes)
    if sub.n == 0:
        return []
    ig_graph = sub.igraph()
    opt = la.Optimiser()
    opt.set_rng_seed(seed)
    opt.min_comm_size = min_size
    opt.max_comm_size = max_size
    opt.community_constraint_enforcement = 1
    part = la.ModularityVertexPartition(ig_graph, weights="weight" if sub.m else None)
    opt.optimise_partition(part, n_iterations=-1)
    return [[keep[i] for i in comm] for comm in part if comm]


def _metis_parts(g: TrustGraph, nodes: Sequence[int], k: int, seed: int) -> list[list[int]]:
    sub, keep = g.subgraph(nodes)
    if sub.n == 0:
        return []
    k = max(1, min(k, sub.n))
    if k == 1:
        return [list(keep)]
    xadj, adjncy, eweights = [0], [], []
    for v in range(sub.n):
        for u in sorted(sub.contacts[v]):
            adjncy.append(u)
            eweights.append(round(sub.w(u, v)) or 1)
        xadj.append(len(adjncy))
    opts = pymetis.Options(seed=seed)
    _, membership = pymetis.part_graph(k, adjacency=pymetis.CSRAdjacency(xadj, adjncy), eweights=eweights, options=opts)
    parts: dict[int, list[int]] = {}
    for i, p in enumerate(membership):
        parts.setdefault(p, []).append(keep[i])
    return list(parts.values())


def _greedy_parts(g: TrustGraph, nodes: Sequence[int], min_size: int, max_size: int, seed: int) -> list[list[int]]:
    """Grow safe circles one at a time, hardest-to-place members first.

    From a seed (fewest vouchers first), take in the free contact who best completes the circle:
    first who brings vouchers to members still short of two and has two of their own inside,
    then most ties inside, then fewest other free vouchers (the one who would be stranded
    otherwise). Once every member has two vouchers inside and the circle has ``min_size``,
    only newcomers with two vouchers inside join, up to ``max_size``. A circle that cannot be
    completed is peeled and, if too small, given up: its members stay free for later seeds.
    Every part returned already satisfies the rules; this is what makes the first pass fast
    on large networks, where partitioners optimise modularity and most of their parts fail
    the voucher rule.
    """
    free = set(nodes)
    rng = random.Random(seed)
    vouchers, contacts = g.vouchers, g.contacts
    order = sorted(nodes, key=lambda v: (len(vouchers[v]), rng.random()))
    parts: list[list[int]] = []
    for s in order:
        if s not in free:
            continue
        circle, inside, vin = [s], {s}, {s: 0}
        cand = {y for y in contacts[s] if y in free}
        while len(circle) < max_size and cand:
            short = [m for m in circle if vin[m] < 2]
            best, best_key = -1, (-1, -1, 0)
            for x in cand:
                vx = vouchers[x]
                brings = min(len(vx & inside), 2) + sum(1 for m in short if x in vouchers[m])
                key = (brings, len(contacts[x] & inside), -sum(1 for y in vx if y in free))
                if key > best_key:
                    best, best_key = x, key
            if not short and len(circle) >= min_size and len(vouchers[best] & inside) < 2:
                break
            cand.discard(best)
            vin[best] = len(vouchers[best] & inside)
            for m in circle:
                if best in vouchers[m]:
                    vin[m] += 1
            circle.append(best)
            inside.add(best)
            cand |= {y for y in contacts[best] if y in free and y not in inside}
        changed = True
        while changed:
            drop = {m for m in inside if len(vouchers[m] & inside) < 2}
            changed = bool(drop) and len(inside) - len(drop) >= min_size
            inside -= drop
        if len(inside) >= min_size:
            parts.append([m for m in circle if m in inside])
            free -= inside
    return parts


def _first_pass(g: TrustGraph, nodes: Sequence[int], method: str, min_size: int, max_size: int,
                seed: int) -> list[list[int]]:
    if method == "greedy":
        return _greedy_parts(g, nodes, min_size, max_size, seed)
    if method == "metis":
        return _metis_parts(g, nodes, max(1, round(len(nodes) / ((min_size + max_size) / 2))), seed)
    return _leiden_parts(g, nodes, min_size, max_size, seed)


def baseline_metis(g: TrustGraph, size: int = 6, seed: int = 1) -> list[list[int]]:
    """Baseline: METIS alone with ``k = n / size`` on the whole graph (no safety repair)."""
    return _metis_parts(g, range(g.n), max(1, round(g.n / size)), seed)


def baseline_leiden(g: TrustGraph, min_size: int = 5, max_size: int = 7, seed: int = 1) -> list[list[int]]:
    """Baseline: constrained Leiden alone on the whole graph (no safety repair)."""
    return _leiden_parts(g, range(g.n), min_size, max_size, seed)


# ----------------------------------------------------------------------------- splitting
def _feasible(g: TrustGraph, part: Sequence[int]) -> bool:
    s = set(part)
    return all(len(g.vouchers[v] & s) >= 2 for v in part)


def _cut(g: TrustGraph, a: Sequence[int], b: set[int]) -> float:
    return sum(g.w(u, v) for u in a for v in g.contacts[u] if v in b)


def split_circle(g: TrustGraph, members: Sequence[int], min_size: int, max_size: int,
                 time_limit: float = 5.0) -> list[list[int]] | None:
    """Split a circle that grew past ``max_size`` along its weakest trust cut.

    Returns parts of ``min_size..max_size`` in which everyone keeps two vouchers inside, with
    the least tie strength cut between parts; ``None`` when no such split exists. Two parts are
    found by exhaustive search; more by CP-SAT.
    """
    ms = sorted(members)
    s = len(ms)
    if s <= max_size:
        return [ms] if _feasible(g, ms) else None
    k = math.ceil(s / max_size)
    if k * min_size > s:
        return None
    if k == 2 and s <= 18:
        best: tuple[float, list[int], list[int]] | None = None
        first, rest = ms[0], ms[1:]
        for size in range(max(min_size, s - max_size), min(max_size, s - min_size) + 1):
            for combo in itertools.combinations(rest, size - 1):
                a = [first, *combo]
                sa = set(a)
                b = [v for v in ms if v not in sa]
                if not (_feasible(g, a) and _feasible(g, b)):
                    continue
                cut = _cut(g, a, set(b))
                if best is None or cut < best[0]:
                    best = (cut, a, b)
        return None if best is None else [best[1], best[2]]
    from halqa.circles.exact import split_exact

    return split_exact(g, ms, k, min_size, max_size, time_limit)


def _trim(g: TrustGraph, ms: list[int], max_size: int) -> tuple[list[int], list[int]]:
    """Drop the most weakly tied members until ``ms`` fits, keeping everyone else's vouchers."""
    keep, out = list(ms), []
    while len(keep) > max_size:
        s = set(keep)
        options = []
        for v in keep:
            rest = s - {v}
            if all(len(g.vouchers[u] & rest) >= 2 for u in rest):
                options.append((sum(g.w(u, v) for u in g.contacts[v] if u in rest), v))
        if not options:
            return [], list(ms)
        _, v = min(options)
        keep.remove(v)
        out.append(v)
    return keep, out


# ----------------------------------------------------------------------------- repair and search
def _install(lat: Lattice, parts: Iterable[Sequence[int]]) -> list[int]:
    """Add parts as circles, splitting or trimming oversize ones; returns members left over."""
    pool: list[int] = []
    g = lat.g
    for part in parts:
        part = list(part)
        if len(part) > lat.hi:
            pieces = split_circle(g, part, lat.lo, lat.hi) if len(part) <= 4 * lat.hi else None
            if pieces is None:
                # too large to split exactly: cut into size-bounded chunks by METIS, then repair
                if len(part) > 2 * lat.hi:
                    sub_parts = _metis_parts(g, part, math.ceil(len(part) / ((lat.lo + lat.hi) / 2)), 1)
                    pool += _install(lat, sub_parts)
                    continue
                keep, out = _trim(g, part, lat.hi)
                pool += out
                pieces = [keep] if keep else []
            part_list = pieces
        else:
            part_list = [part]
        for p in part_list:
            if len(p) >= lat.lo:
                lat.new_circle(p)
            else:
                pool += p
    return pool


def _peel(lat: Lattice) -> list[int]:
    """Take out members with fewer than two vouchers inside, repeatedly; dissolve small circles."""
    pool: list[int] = []
    queue = [v for v in range(lat.g.n) if lat.circle_of[v] >= 0 and lat.vin[v] < 2]
    while queue:
        v = queue.pop()
        c = lat.circle_of[v]
        if c < 0 or lat.vin[v] >= 2:
            continue
        lat.remove(v)
        pool.append(v)
        for u in lat.members[c]:
            if lat.vin[u] < 2:
                queue.append(u)
        if len(lat.members[c]) < lat.lo:
            pool += lat.dissolve(c)
            queue = [u for u in queue if lat.circle_of[u] >= 0]
    return pool


def _insert(lat: Lattice, pool: Iterable[int], allow_locked: bool = True) -> list[int]:
    """Place pool members into circles with room where two of their vouchers sit (best first)."""
    left = []
    for v in pool:
        best: tuple[float, int] | None = None
        for c in {lat.circle_of[u] for u in lat.g.vouchers[v]}:
            if c < 0 or (not allow_locked and c in lat.locked):
                continue
            d = lat.delta_move(v, c)
            if d is not None and (best is None or d > best[0]):
                best = (d, c)
        if best is None:
            left.append(v)
        else:
            lat.add(v, best[1])
    return left


def _absorb(lat: Lattice, pool: list[int], deadline: float) -> list[int]:
    """Take pool members into circles in groups: a circle plus the unplaced who lean on it either
    fit together, or split into two safe circles along the weakest cut (which places more)."""
    g = lat.g
    left = set(pool)
    for c in sorted(lat.members, key=lambda c: len(lat.members[c])):
        if time.monotonic() > deadline or not left:
            break
        if c not in lat.members or c in lat.locked:
            continue
        ms = lat.members[c]
        near = {v for u in ms for v in g.contacts[u] if v in left}
        if not near:
            continue
        near |= {v for u in near for v in g.contacts[u] if v in left and len(g.vouchers[v] & near) >= 2}
        union = set(ms) | near
        # drop newcomers who would not have two vouchers inside, repeatedly
        changed = True
        while changed:
            changed = False
            for v in list(near):
                if len(g.vouchers[v] & union) < 2:
                    near.discard(v)
                    union.discard(v)
                    changed = True
        if not near:
            continue
        if len(union) <= lat.hi:
            for v in near:
                lat.add(v, c)
            left -= near
            continue
        if len(union) < 2 * lat.lo:
            continue
        if len(union) > 2 * lat.hi:
            ranked = sorted(near, key=lambda v: -len(g.vouchers[v] & union))
            near = set(ranked[:2 * lat.hi - len(ms)])
            union = set(ms) | near
            if any(len(g.vouchers[v] & union) < 2 for v in near):
                continue
        pieces = split_circle(g, sorted(union), lat.lo, lat.hi)
        if pieces is None or len(pieces) != 2:
            continue
        lat.dissolve(c)
        for p in pieces:
            lat.new_circle(p)
        left -= near
    return [v for v in pool if v in left]


def _eject(lat: Lattice, pool: list[int]) -> list[int]:
    """Place pool members into full circles by moving out a member who is safe elsewhere."""
    g = lat.g
    left = []
    for v in pool:
        placed = False
        for c in {lat.circle_of[u] for u in g.vouchers[v]} - {-1}:
            if placed or c in lat.locked or len(lat.members[c]) < lat.hi:
                continue
            ms = lat.members[c]
            for u in list(ms):
                rest = ms - {u}
                if len(g.vouchers[v] & rest) < 2:
                    continue
                if any(lat.vin[w] - (u in g.vouchers[w]) + (v in g.vouchers[w]) < 2 for w in rest):
                    continue
                target = None
                for d in {lat.circle_of[x] for x in g.vouchers[u]} - {-1, c}:
                    if d not in lat.locked and len(lat.members[d]) < lat.hi and len(g.vouchers[u] & lat.members[d]) >= 2:
                        target = d
                        break
                if target is None:
                    continue
                lat.remove(u)
                lat.add(v, c)
                lat.add(u, target)
                placed = True
                break
        if not placed:
            left.append(v)
    return left


def _local_search(lat: Lattice, rng: random.Random, deadline: float, rounds: int = 8) -> int:
    """Moves and swaps that raise the objective, never breaking a rule; returns how many."""
    g = lat.g
    done = 0
    eps = 1e-12
    for _ in range(rounds):
        improved = 0
        order = [v for v in range(g.n) if lat.circle_of[v] >= 0 and lat.circle_of[v] not in lat.locked]
        rng.shuffle(order)
        for v in order:
            if time.monotonic() > deadline:
                return done + improved
            a = lat.circle_of[v]
            targets = {lat.circle_of[u] for u in g.contacts[v]} - {a, -1}
            targets -= lat.locked
            if not targets:
                continue
            best: tuple[float, str, int] | None = None
            if lat.can_leave(v):
                for b in targets:
                    d = lat.delta_move(v, b)
                    if d is not None and d > eps and (best is None or d > best[0]):
                        best = (d, "move", b)
            for b in targets:
                for u in lat.members[b]:
                    if g.contacts[u].isdisjoint(lat.members[a]):
                        continue
                    d = lat.delta_swap(v, u)
                    if d is not None and d > eps and (best is None or d > best[0]):
                        best = (d, "swap", u)
            if best is None:
                continue
            if best[1] == "move":
                lat.remove(v)
                lat.add(v, best[2])
            else:
                u = best[2]
                b = lat.circle_of[u]
                lat.remove(v)
                lat.remove(u)
                lat.add(v, b)
                lat.add(u, a)
            improved += 1
        done += improved
        if not improved:
            break
    return done


def _grow(lat: Lattice, pool: list[int], method: str, seed: int, depth: int = 0) -> list[int]:
    """Form new circles among pool members (same steps, restricted to them)."""
    g = lat.g
    if len(pool) < lat.lo:
        return pool
    sub, keep = g.subgraph(pool)
    ok, _ = eligible(sub, lat.lo)
    nodes = [keep[i] for i in sorted(ok)]
    placeable = set(nodes)
    rest = [v for v in pool if v not in placeable]
    if not nodes:
        return pool
    parts = _first_pass(g, nodes, method, lat.lo, lat.hi, seed)
    before = set(lat.members)
    left = _install(lat, parts)
    left += _peel(lat)
    # members peeled from the new circles only
    left = _insert(lat, left, allow_locked=False)
    if left and depth < 2 and set(lat.members) != before:
        left = _grow(lat, left, method, seed + 1, depth + 1)
    return rest + left


def _new_ids(rng: random.Random, taken: set[str], count: int) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        cid = "c-" + "".join(rng.choice(_ALPHABET) for _ in range(4))
        if cid not in taken:
            taken.add(cid)
            out.append(cid)
    return out


def _reasons(g: TrustGraph, unplaced: Iterable[int], min_size: int) -> list[tuple[int, str]]:
    _, why = eligible(g, min_size)
    return [(v, why.get(v, "no_safe_circle")) for v in sorted(unplaced, key=lambda x: g.names[x])]


def _run(g: TrustGraph, obj: Objective, min_size: int, max_size: int, method: str, seed: int,
         existing: dict[str, list[int]], deadline: float) -> tuple[Lattice, dict[int, str], list[str]]:
    lat = Lattice(g, obj, min_size, max_size)
    rng = random.Random(seed)
    ok, _ = eligible(g, min_size)
    ids: dict[int, str] = {}
    changed: list[str] = []
    placed: set[int] = set()
    pool: list[int] = []
    # existing circles first: kept whole when valid, split or trimmed when not
    for cid, ms in existing.items():
        ms = [v for v in ms if v not in placed]
        placed.update(ms)
        if min_size <= len(ms) <= max_size and _feasible(g, ms):
            c = lat.new_circle(ms)
            lat.locked.add(c)
            ids[c] = cid
            continue
        changed.append(cid)
        before = set(lat.members)
        pool += _install(lat, [ms])
        new = [c for c in lat.members if c not in before]
        for i, c in enumerate(new):
            lat.locked.add(c)
            ids[c] = cid if i == 0 else f"{cid}-{i + 1}"
    if existing:
        peeled = _peel(lat)
        changed += [ids[c] for c in {lat.circle_of[v] for v in peeled} if c >= 0 and c in ids]
        changed += [cid for c, cid in ids.items() if c not in lat.members]
        pool += peeled
        pool += [v for v in sorted(ok) if v not in placed]
        pool = [v for v in dict.fromkeys(pool) if lat.circle_of[v] < 0]
        pool = _grow(lat, pool, method, seed)
        sizes = {c: len(ms) for c, ms in lat.members.items()}
        pool = _insert(lat, pool)
        changed += [ids[c] for c, size in sizes.items() if c in ids and len(lat.members[c]) != size]
    else:
        nodes = sorted(ok)
        parts = _first_pass(g, nodes, method, min_size, max_size, seed)
        pool = _install(lat, parts)
        pool += _peel(lat)
        pool = _insert(lat, pool)
        pool = _grow(lat, pool, method, seed)
        pool = _absorb(lat, pool, deadline)
        pool = _eject(lat, pool)
    _local_search(lat, rng, deadline)
    _eject(lat, _absorb(lat, [v for v in range(g.n) if lat.circle_of[v] < 0 and v in ok], deadline))
    # a last chance for anyone left: room may have opened
    _insert(lat, [v for v in range(g.n) if lat.circle_of[v] < 0 and v in ok])
    return lat, ids, sorted(set(changed))


def form(g: TrustGraph, min_size: int = 5, max_size: int = 7, mix: str | None = None, *,
         existing: Mapping[str, Sequence[str]] | None = None, methods: Sequence[str] | None = None,
         weights: Weights | None = None, seed: int = 2026, time_limit: float = 25.0,
         exact: bool | None = None, exact_time: float = 10.0, restarts: int | None = None,
         progress: Callable[[int, int], None] | None = None) -> Formation:
    """Partition members into circles of ``min_size..max_size`` (see the module docstring).

    ``mix`` names a group label to mix inside circles; ``existing`` maps circle ids to member
    pseudonyms (re-forming after growth); ``methods`` picks first passes among :data:`METHODS`
    (default all three up to 5,000 members, ``"greedy"`` beyond), each run ``restarts`` times with
    different seeds (default 6 up to 1,000 members, 4 up to 5,000, else 1); the best result is kept.
    ``exact`` (default: up to 40 members) also solves the CP-SAT model for the optimum or a bound.
    ``progress(done, total)`` is told after each run.
    """
    if not 2 <= min_size <= max_size or max_size > 50:
        raise InvalidInput("circles.bad_sizes", min=min_size, max=max_size)
    start = time.monotonic()
    obj = Objective(g, max_size, mix, weights)
    methods = list(methods or (("greedy", "leiden", "metis") if g.n <= 5000 else ("greedy",)))
    for m in methods:
        if m not in METHODS:
            raise InvalidInput("circles.bad_method", method=m)
    idx_existing: dict[str, list[int]] = {}
    for cid, ms in (existing or {}).items():
        idx_existing[cid] = [g.index[p] for p in ms if p in g.index]
    best: tuple[float, Lattice, dict[int, str], list[str], str] | None = None
    if restarts is None:
        restarts = 1 if idx_existing or g.n > 5000 else (4 if g.n > 1000 else 6)
    runs = [(m, r) for r in range(restarts) for m in methods]
    for i, (method, r) in enumerate(runs):
        if i and time.monotonic() - start > time_limit / 2:
            break  # keep time for the last runs' local search
        share = (time_limit - (time.monotonic() - start)) / (len(runs) - i)
        lat, ids, changed = _run(g, obj, min_size, max_size, method, seed + 101 * r + i, idx_existing,
                                 time.monotonic() + max(share, 0.5))
        score = lat.total()
        if progress is not None:
            progress(i + 1, len(runs))
        if best is None or score > best[0] + 1e-12:
            best = (score, lat, ids, changed, method)
    assert best is not None
    _, lat, ids, changed, method = best
    rng = random.Random(seed)
    taken = set(idx_existing) | set(ids.values())
    fresh = [c for c in lat.members if c not in ids]
    for c, cid in zip(fresh, _new_ids(rng, taken, len(fresh)), strict=True):
        ids[c] = cid
    circles = {ids[c]: sorted(lat.members[c]) for c in sorted(lat.members, key=lambda c: ids[c])}
    ev = evaluate(g, list(circles.values()), min_size, max_size, mix, weights)
    unplaced = _reasons(g, [v for v in range(g.n) if lat.circle_of[v] < 0], min_size)
    result = Formation(g, circles, unplaced, ev.metrics, ev.objective, min_size, max_size, mix, method,
                       changed=[c for c in changed if c in circles or c in idx_existing],
                       kept=sorted(c for c in idx_existing if c in circles and c not in changed))
    if exact is None:
        exact = g.n <= 40
    if exact and g.n:
        from halqa.circles.exact import solve  # OR-Tools loads only when an optimum is asked for

        sol = solve(g, min_size, max_size, mix, weights, time_limit=exact_time)
        heur = ev.objective.total
        bound = sol.bound
        result.exact = msgspec.structs.replace(
            sol, heuristic=heur, gap=round(max(0.0, bound - heur) / max(abs(bound), 1e-9), 6) if bound is not None else None)
    result.seconds = time.monotonic() - start
    return result


def form_circles(vault: Vault, min_size: int = 5, max_size: int = 7, mix: str | None = None, apply: bool = False,
                 fresh: bool = False, method: str | None = None, seed: int | None = None,
                 weights: Weights | None = None, exact: bool | None = None, time_limit: float = 25.0,
                 progress: Callable[[int, int], None] | None = None) -> FormResult:
    """Form (or re-form) circles from the vault's members and vouches; with ``apply`` record them.

    Existing circles are kept where they are still valid unless ``fresh``. Without ``seed`` a
    random one is drawn; the seed used is in ``settings`` so the same formation can be asked for
    again (a preview, then the same circles recorded).
    """
    g = from_vault(vault)
    if g.n == 0:
        raise InvalidInput("circles.no_members")
    existing = {} if fresh else {c.id: c.members for c in recorded_circles(vault)}
    seed = seed if seed is not None else secrets.randbits(31)
    result = form(g, min_size, max_size, mix, existing=existing, methods=[method] if method else None,
                  weights=weights, seed=seed, exact=exact, time_limit=time_limit, progress=progress)
    if apply:
        formed = today()
        with vault.transaction() as tx:
            for cid in sorted(set(existing) - set(result.circles)):
                tx.append("circles_circle.delete", {"id": cid})
            for cid, ms in result.circles.items():
                names = sorted(g.names[v] for v in ms)
                if existing.get(cid) is not None and sorted(existing[cid]) == names:
                    continue
                payload = CirclePut(id=cid, members=names)
                if cid not in existing:
                    payload.formed = formed
                tx.append("circles_circle.put", payload)
    return result.summary(seed, applied=apply)
