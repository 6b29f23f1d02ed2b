"""Exposure and resilience of a circle network, and the measures of Lindelauf, Borm & Hamers.

**Secrecy and information** (R. Lindelauf, P. Borm, H. Hamers, "The influence of secrecy on the
communication structure of covert networks", *Social Networks* 31(2), 2009), for an undirected
graph with ``n`` members, ``m`` ties and degrees ``d_i``:

* information ``I = n(n-1) / T``, with ``T`` the sum of shortest-path distances over ordered
  pairs (the inverse mean distance);
* secrecy ``S1 = (n^2 - n - 2m) / n^2``: each member equally likely to be caught, and a caught
  member exposes themselves and their neighbours, so ``S1 = sum_i (1/n) (n - d_i - 1) / n``;
* secrecy ``S3``: the chance of being caught grows with one's ties, ``a_i = (d_i + 1)/(2m + n)``,
  so ``S3 = sum_i a_i (n - d_i - 1) / n``;
* balance ``I * S1`` (the product the paper maximises); ``balance_s3 = I * S3``.

Known answers on 7 members: star ``S1 = 0.612, I = 0.583``; ring ``0.571, 0.500``; wheel
``0.367, 0.700``; complete ``0, 1``.

**Disconnected graphs** (the convention here): ``T`` sums distances over the ``R`` ordered
pairs that can reach each other, and ``I = (R / T) * (R / (n(n-1)))``: the mean inverse distance
of reachable pairs times the share of pairs that are reachable at all. It equals
``n(n-1)/T`` on a connected graph, and falls to 0 as the graph falls apart (no information
flows between parts). ``connected`` and ``components`` are reported beside it.

**Exposure** (:func:`exposure`): a compromised member names everyone they know, their vouching
contacts and their circle mates. Reported: the expected number of others exposed when one
random member is compromised, the worst case, and Monte Carlo estimates after ``k`` random
compromises (``trials`` runs): members exposed and circles still working, where a circle works
while at least ``min`` of its members are neither compromised nor exposed.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence

import igraph as ig
import msgspec
import numpy as np

from halqa.circles.graph import TrustGraph, from_vault
from halqa.circles.read import CircleDetail, circle, circles, meetings
from halqa.errors import InvalidInput
from halqa.vault import Vault

__all__ = [
    "AfterK",
    "CircleSummary",
    "ComparedExposure",
    "Comparison",
    "Exposure",
    "NetworkMeasures",
    "OneCompromise",
    "Overview",
    "Structure",
    "compare",
    "exposure",
    "exposure_report",
    "measure",
    "network_measures",
    "show",
    "structure_graph",
]


class NetworkMeasures(msgspec.Struct, kw_only=True, frozen=True):
    """Size, information, secrecy (S1, S3) and balance of an undirected graph, and whether it is
    connected (see the module docstring)."""

    n: int
    m: int
    information: float
    secrecy_s1: float
    secrecy_s3: float
    balance: float
    balance_s3: float
    connected: bool
    components: int


class OneCompromise(msgspec.Struct, kw_only=True, frozen=True):
    """Others exposed when one random member is compromised: the mean and the worst case."""

    mean: float
    worst: int


class AfterK(msgspec.Struct, kw_only=True, frozen=True):
    """After ``k`` random compromises: members exposed (mean, 95th percentile), circles working."""

    mean_exposed: float
    p95_exposed: float
    circles_working: float


class Exposure(msgspec.Struct, kw_only=True, frozen=True):
    """Exposure of a circle network (:func:`exposure`)."""

    members: int
    circles: int
    one: OneCompromise
    k: int
    trials: int
    after_k: AfterK


class Structure(msgspec.Struct, kw_only=True, frozen=True):
    """One structure of the same people: its exposure and its network measures."""

    exposure: Exposure
    measures: NetworkMeasures


class Comparison(msgspec.Struct, kw_only=True, frozen=True):
    """The formed lattice, one big group and a leader-centred hierarchy (:func:`compare`)."""

    lattice: Structure
    one_group: Structure
    hierarchy: Structure


class ComparedExposure(msgspec.Struct, kw_only=True, frozen=True):
    """:func:`exposure_report` with ``with_compare``."""

    compare: Comparison


class CircleSummary(msgspec.Struct, kw_only=True, frozen=True):
    """A recorded circle in the overview: its size, project, liaison and meetings recorded."""

    id: str
    size: int
    project: str | None
    liaison: str | None
    meetings: int


class Overview(msgspec.Struct, kw_only=True, frozen=True):
    """Members, ties, group labels in use, the circles and how many are in none."""

    members: int
    ties: int
    labels: list[str]
    circles: list[CircleSummary]
    unplaced: int


#: Measures of the last few graphs, by their edges: a page's first view after a write that left
#: the trust graph as it was (a grievance, a payment) does not search it again.
_MEASURED: OrderedDict[tuple[int, bytes], NetworkMeasures] = OrderedDict()
_MEASURED_LOCK = threading.Lock()


def network_measures(g: ig.Graph) -> NetworkMeasures:
    """``n, m, information, secrecy_s1, secrecy_s3, balance`` (and helpers) of an undirected graph."""
    g = g.simplify() if not g.is_simple() else g
    edges = np.asarray(g.get_edgelist(), dtype=np.int64)
    key = (g.vcount(), hashlib.blake2b(np.sort(edges, axis=1).tobytes() if len(edges) else b"", digest_size=16).digest())
    with _MEASURED_LOCK:
        if key in _MEASURED:
            _MEASURED.move_to_end(key)
            return _MEASURED[key]
    out = _measure(g)
    with _MEASURED_LOCK:
        _MEASURED[key] = out
        while len(_MEASURED) > 8:
            _MEASURED.popitem(last=False)
    return out


def _measure(g: ig.Graph) -> NetworkMeasures:
    n, m = g.vcount(), g.ecount()
    if n == 0:
        return NetworkMeasures(n=0, m=0, information=0.0, secrecy_s1=0.0, secrecy_s3=0.0, balance=0.0,
                               balance_s3=0.0, connected=True, components=0)
    # The reachable ordered pairs are those inside a component; their summed distance is their
    # count times igraph's mean over them (one breadth-first search per member in C, never a
    # distance matrix: the matrix as Python lists cost seconds at a few thousand members).
    sizes = g.connected_components().sizes()
    reach = sum(s * (s - 1) for s in sizes)
    total = float(round(g.average_path_length(directed=False, unconn=True) * reach)) if reach else 0.0  # hops: whole
    pairs = n * (n - 1)
    info = (reach / total) * (reach / pairs) if total > 0 else (1.0 if n == 1 else 0.0)
    deg = np.asarray(g.degree(), dtype=float)
    s1 = (n * n - n - 2 * m) / (n * n)
    alpha = (deg + 1) / (2 * m + n)
    s3 = float((alpha * (n - deg - 1) / n).sum())
    comps = len(sizes)
    return NetworkMeasures(n=n, m=m, information=round(info, 6), secrecy_s1=round(s1, 6), secrecy_s3=round(s3, 6),
                           balance=round(info * s1, 6), balance_s3=round(info * s3, 6), connected=comps == 1,
                           components=comps)


def structure_graph(g: TrustGraph, circles: Sequence[Sequence[int]] = (), extra: Sequence[tuple[int, int]] = ()) -> ig.Graph:
    """Vouching ties plus full links inside each circle (and ``extra`` links)."""
    edges = set(g.weight)
    for ms in circles:
        ms = sorted(ms)
        for i, u in enumerate(ms):
            for v in ms[i + 1:]:
                edges.add((u, v))
    for u, v in extra:
        if u != v:
            edges.add((min(u, v), max(u, v)))
    return ig.Graph(n=g.n, edges=sorted(edges))


def _known(g: TrustGraph, circles: Sequence[Sequence[int]], extra: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """Whom each member can name: contacts, circle mates and extra links (self excluded)."""
    sets = [set(c) for c in g.contacts]
    for ms in circles:
        for v in ms:
            sets[v].update(ms)
    for u, v in extra:
        sets[u].add(v)
        sets[v].add(u)
    return [np.fromiter((u for u in s if u != v), dtype=np.int64) for v, s in enumerate(sets)]


def exposure(g: TrustGraph, circles: Sequence[Sequence[int]], min_size: int = 5, k: int = 3, trials: int = 1000,
             seed: int = 2026, extra: Sequence[tuple[int, int]] = ()) -> Exposure:
    """Exposure of a circle network (see the module docstring).

    Returns the expected and worst number exposed by one compromise, and for ``k`` random
    compromises (``trials`` simulations) the mean and 95th percentile exposed and the mean
    share of circles still working.
    """
    n = g.n
    if n == 0:
        return Exposure(members=0, circles=0, one=OneCompromise(mean=0.0, worst=0), k=k, trials=trials,
                        after_k=AfterK(mean_exposed=0.0, p95_exposed=0.0, circles_working=0.0))
    known = _known(g, circles, extra)
    sizes = np.array([len(x) for x in known])
    circle_of = np.full(n, -1, dtype=np.int64)
    for ci, ms in enumerate(circles):
        circle_of[list(ms)] = ci
    n_circles = len(circles)
    rng = np.random.default_rng(seed)
    k_eff = max(0, min(k, n))
    exposed_counts = np.empty(trials)
    working = np.empty(trials)
    in_circle = circle_of >= 0
    for t in range(trials):
        caught = rng.choice(n, size=k_eff, replace=False)
        hit = np.zeros(n, dtype=bool)
        hit[caught] = True
        for v in caught:
            hit[known[v]] = True
        exposed_counts[t] = hit.sum() - k_eff
        if n_circles:
            free = np.bincount(circle_of[in_circle & ~hit], minlength=n_circles)
            working[t] = (free >= min_size).sum() / n_circles
        else:
            working[t] = 0.0
    return Exposure(
        members=n,
        circles=n_circles,
        one=OneCompromise(mean=round(float(sizes.mean()), 3), worst=int(sizes.max())),
        k=k_eff,
        trials=trials,
        after_k=AfterK(mean_exposed=round(float(exposed_counts.mean()), 3),
                       p95_exposed=float(np.percentile(exposed_counts, 95)),
                       circles_working=round(float(working.mean()), 4)),
    )


def _hierarchy(g: TrustGraph, circles: Sequence[Sequence[int]]) -> tuple[list[tuple[int, int]], int]:
    """A leader-centred hierarchy of the same people and circles: each circle's best-connected
    member heads it and sits in a council with the other heads and one leader."""
    deg = g.degree()
    heads = [max(ms, key=lambda v: (deg[v], -v)) for ms in circles if ms]
    if not heads:
        return [], -1
    leader = max(heads, key=lambda v: (deg[v], -v))
    links = [(leader, h) for h in heads if h != leader]
    links += [(a, b) for i, a in enumerate(heads) for b in heads[i + 1:]]
    return links, leader


def compare(g: TrustGraph, circles: Sequence[Sequence[int]], min_size: int = 5, k: int = 3, trials: int = 1000,
            seed: int = 2026) -> Comparison:
    """The formed lattice against one big group and a leader-centred hierarchy of the same people.

    *One big group*: everyone placed meets together (one circle of them all). *Hierarchy*: the
    same circles, each headed by its best-connected member; heads meet the leader and each other.
    Each structure keeps the vouching ties. Returns exposure and network measures for each.
    """
    placed = sorted({v for ms in circles for v in ms})
    links, _ = _hierarchy(g, circles)
    out: dict[str, Structure] = {}
    for name, cs, extra in (("lattice", circles, ()), ("one_group", [placed] if placed else [], ()),
                            ("hierarchy", circles, links)):
        out[name] = Structure(exposure=exposure(g, cs, min_size, k, trials, seed, extra),
                              measures=network_measures(structure_graph(g, cs, extra)))
    return Comparison(**out)


def lindelauf_known_answers() -> dict[str, dict[str, float]]:
    """S1 and I of the four 7-member graphs quoted in the paper (used by the tests)."""
    graphs = {"star": ig.Graph.Star(7), "ring": ig.Graph.Ring(7), "complete": ig.Graph.Full(7)}
    wheel = ig.Graph.Ring(6)
    wheel.add_vertices(1)
    wheel.add_edges([(6, i) for i in range(6)])
    graphs["wheel"] = wheel
    return {name: {"secrecy_s1": round(network_measures(gr).secrecy_s1, 3),
                   "information": round(network_measures(gr).information, 3)} for name, gr in graphs.items()}


# --------------------------------------------------------------------------- over the vault
def _stored_circles(vault: Vault, g: TrustGraph) -> list[list[int]]:
    return [[g.index[p] for p in c.members if p in g.index] for c in circles(vault)]


def measure(vault: Vault, with_circles: bool = False) -> NetworkMeasures:
    """Information, secrecy and balance of the vouching graph (with ``with_circles``: plus full
    links inside each recorded circle)."""
    g = from_vault(vault)
    stored = _stored_circles(vault, g) if with_circles else []
    if with_circles and not stored:
        raise InvalidInput("circles.none_formed")
    return network_measures(structure_graph(g, stored))


def exposure_report(vault: Vault, k: int = 3, trials: int = 1000, with_compare: bool = False, min_size: int = 5,
                    seed: int | None = None) -> Exposure | ComparedExposure:
    """Exposure of the recorded circles (and with ``with_compare``: one big group and a hierarchy)."""
    if not 1 <= k <= 1000 or not 1 <= trials <= 1_000_000:
        raise InvalidInput("circles.bad_trials", k=k, trials=trials)
    g = from_vault(vault)
    stored = _stored_circles(vault, g)
    if not stored:
        raise InvalidInput("circles.none_formed")
    seed = seed if seed is not None else secrets.randbits(31)
    if with_compare:
        return ComparedExposure(compare=compare(g, stored, min_size, k, trials, seed))
    return exposure(g, stored, min_size, k, trials, seed)


def show(vault: Vault, circle_id: str | None = None) -> Overview | CircleDetail:
    """Overview (counts, circles and their sizes) or one circle in detail."""
    if circle_id:
        return circle(vault, circle_id)
    g = from_vault(vault)
    recorded = circles(vault)
    placed = {p for c in recorded for p in c.members}
    return Overview(members=g.n, ties=g.m, labels=sorted(g.labels), circles=[
        CircleSummary(id=c.id, size=len(c.members), project=c.project, liaison=c.liaison,
                      meetings=len(meetings(vault, c.id))) for c in recorded],
        unplaced=len(set(g.names) - placed))
