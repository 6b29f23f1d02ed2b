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
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import igraph as ig
import msgspec
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from halqa.circles.distances import MAX_MEMBERS, Distances, pair_codes
from halqa.circles.graph import TiedGraph, TrustGraph
from halqa.circles.read import (
    CircleDetail,
    GraphChange,
    circle,
    circles,
    graph_revision,
    meetings,
    member_labels,
    newest_graph_events,
    vouch_ties,
)
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


_T = TypeVar("_T")

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
    n = g.vcount()
    sizes = g.connected_components().sizes() if n else []
    # The reachable ordered pairs are those inside a component; their summed distance is their
    # count times igraph's mean over them (one breadth-first search per member in C, never a
    # distance matrix: the matrix as Python lists cost seconds at a few thousand members).
    reach = sum(s * (s - 1) for s in sizes)
    total = round(g.average_path_length(directed=False, unconn=True) * reach) if reach else 0  # hops: whole
    return _summarise(n, g.ecount(), np.asarray(g.degree(), dtype=float), len(sizes), total, reach)


def _summarise(n: int, m: int, deg: np.ndarray, comps: int, total: int, reach: int) -> NetworkMeasures:
    """The measures of a simple graph: ``n`` members, ``m`` ties, degrees ``deg``, ``comps``
    components, and ``reach`` ordered pairs that reach each other, ``total`` hops apart in all."""
    if n == 0:
        return NetworkMeasures(n=0, m=0, information=0.0, secrecy_s1=0.0, secrecy_s3=0.0, balance=0.0,
                               balance_s3=0.0, connected=True, components=0)
    pairs = n * (n - 1)
    info = (reach / total) * (reach / pairs) if total > 0 else (1.0 if n == 1 else 0.0)
    s1 = (n * n - n - 2 * m) / (n * n)
    alpha = (deg + 1) / (2 * m + n)
    s3 = float((alpha * (n - deg - 1) / n).sum())
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


def _tie_codes(g: TrustGraph) -> np.ndarray:
    """The vouching ties as codes ``u * n + v`` (``u < v``), sorted."""
    n = g.n
    return np.sort(np.fromiter((u * n + v for u, v in g.weight), dtype=np.int64, count=len(g.weight)))


def _structure_codes(g: TrustGraph, circles: Sequence[Sequence[int]], extra: Sequence[tuple[int, int]],
                     ties: np.ndarray | None = None) -> np.ndarray:
    """The ties of :func:`structure_graph` as sorted codes ``u * n + v`` (``u < v``, no self-ties);
    ``ties``: :func:`_tie_codes` of ``g`` when already at hand."""
    n = g.n
    parts = [_tie_codes(g) if ties is None else ties]
    for ms in circles:
        ms_ = np.asarray(sorted(set(ms)), dtype=np.int64)
        lo, hi = np.triu_indices(len(ms_), 1)
        parts.append(ms_[lo] * n + ms_[hi])
    if extra:
        parts.append(pair_codes(n, np.asarray(extra, dtype=np.int64)))
    if len(parts) == 1:
        return parts[0]
    codes = np.sort(np.concatenate(parts))
    return codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes


def _neighbours(n: int, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whom each member can name (the ties ``codes`` both ways), as ``(start, names)``: member
    ``v`` knows ``names[start[v]:start[v + 1]]``."""
    u, v = np.divmod(codes, n)
    src, dst = np.concatenate([u, v]), np.concatenate([v, u])
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=start[1:])
    return start, dst[np.argsort(src, kind="stable")]


def _draws(n: int, k: int, trials: int, seed: int) -> np.ndarray:
    """The ``k`` members caught in each trial (a row each), drawn as :func:`exposure` always has."""
    rng = np.random.default_rng(seed)
    caught = np.empty((trials, k), dtype=np.int64)
    for t in range(trials):
        caught[t] = rng.choice(n, size=k, replace=False)
    return caught


#: Trials counted at once by :func:`exposure` (a block's marks: ``_BLOCK * n`` bytes).
_BLOCK = 256


def exposure(g: TrustGraph, circles: Sequence[Sequence[int]], min_size: int = 5, k: int = 3, trials: int = 1000,
             seed: int = 2026, extra: Sequence[tuple[int, int]] = (), *, _codes: np.ndarray | None = None,
             _caught: np.ndarray | None = None) -> Exposure:
    """Exposure of a circle network (see the module docstring).

    Returns the expected and worst number exposed by one compromise, and for ``k`` random
    compromises (``trials`` simulations) the mean and 95th percentile exposed and the mean
    share of circles still working.
    """
    n = g.n
    if n == 0:
        return Exposure(members=0, circles=0, one=OneCompromise(mean=0.0, worst=0), k=k, trials=trials,
                        after_k=AfterK(mean_exposed=0.0, p95_exposed=0.0, circles_working=0.0))
    start, names = _neighbours(n, _structure_codes(g, circles, extra) if _codes is None else _codes)
    sizes = np.diff(start)
    circle_of = np.full(n, -1, dtype=np.int64)
    for ci, ms in enumerate(circles):
        circle_of[list(ms)] = ci
    n_circles = len(circles)
    k_eff = max(0, min(k, n))
    # The draws one by one, as ever (the same seed, the same compromises); what they expose is
    # counted for a block of trials at once: a trial's row of ``hit`` marks the caught and
    # everyone they know, and a circle works while ``min_size`` of its members are unmarked.
    caught = _draws(n, k_eff, trials, seed) if _caught is None else _caught
    placed = np.flatnonzero(circle_of >= 0)
    member_of = np.zeros((len(placed), max(n_circles, 1)), dtype=np.float32)
    member_of[np.arange(len(placed)), circle_of[placed]] = 1.0  # counts stay exact in float32
    exposed_counts = np.empty(trials)
    working = np.zeros(trials)
    for first in range(0, trials, _BLOCK):
        block = caught[first:first + _BLOCK]
        rows = len(block)
        hit = np.zeros((rows, n), dtype=bool)
        hit[np.arange(rows)[:, None], block] = True
        # every name the block's caught know, with the trial it belongs to
        counts = sizes[block].ravel()
        offsets = np.repeat(start[block].ravel() - np.cumsum(counts) + counts, counts)
        hit[np.repeat(np.arange(rows), counts.reshape(rows, k_eff).sum(axis=1)),
            names[offsets + np.arange(int(counts.sum()))]] = True
        exposed_counts[first:first + rows] = hit.sum(axis=1) - k_eff
        if n_circles:
            free = (~hit[:, placed]).astype(np.float32) @ member_of
            working[first:first + rows] = (free >= min_size).sum(axis=1) / n_circles
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
    structures = (("lattice", circles, ()), ("one_group", [placed] if placed else [], ()), ("hierarchy", circles, links))
    ties = _tie_codes(g)
    codes = {name: _structure_codes(g, cs, extra, ties) for name, cs, extra in structures}
    measures = _compared_measures(g, codes, placed, links)
    caught = _draws(g.n, max(0, min(k, g.n)), trials, seed) if g.n else None  # the same draws for all three
    return Comparison(**{name: Structure(exposure=exposure(g, cs, min_size, k, trials, seed, extra, _codes=codes[name],
                                                           _caught=caught),
                                         measures=measures[name]) for name, cs, extra in structures})


def _graph_of(n: int, codes: np.ndarray) -> ig.Graph:
    """The graph of the ties ``codes``: :func:`structure_graph`'s, edge for edge."""
    u, v = np.divmod(codes, n)
    return ig.Graph(n=n, edges=list(zip(u.tolist(), v.tolist(), strict=True)))


#: The distance matrix of the last lattice measured (:func:`_compared_measures`), updated in
#: place when the next lattice only gains ties (a vouch), and its lock.
_LATTICE: list[Distances] = []
_LATTICE_LOCK = threading.Lock()


def _compared_measures(g: TrustGraph, codes: dict[str, np.ndarray], placed: Sequence[int],
                       links: Sequence[tuple[int, int]]) -> dict[str, NetworkMeasures]:
    """:func:`network_measures` of the three structures of :func:`compare`, from one distance
    matrix (:mod:`halqa.circles.distances`): the lattice's, and the other two as the lattice plus
    one clique (everyone placed; the heads, leader among them). The same figures as measuring
    each graph from scratch; with too many members, or links that are not one clique, it does."""
    n = g.n
    heads = sorted({v for link in links for v in link})
    clique = {(a, b) for i, a in enumerate(heads) for b in heads[i + 1:]}
    if n > MAX_MEMBERS or {(min(u, v), max(u, v)) for u, v in links if u != v} != clique:
        return {name: network_measures(_graph_of(n, ties)) for name, ties in codes.items()}
    with _LATTICE_LOCK:
        dist = _LATTICE[0] if _LATTICE else None
        if dist is None or not dist.grown_to(n, codes["lattice"]):
            dist = Distances.build(n, codes["lattice"])
            _LATTICE[:] = [dist]
        sums = {"lattice": (dist.total, dist.reachable), "one_group": dist.with_clique(np.asarray(placed, dtype=np.int64)),
                "hierarchy": dist.with_clique(np.asarray(heads, dtype=np.int64))}
    out = {}
    for name, ties in codes.items():
        u, v = np.divmod(ties, n)
        comps = connected_components(csr_matrix((np.ones(len(ties), dtype=np.int8), (u, v)), shape=(n, n)),
                                     directed=False, return_labels=False) if n else 0
        deg = np.bincount(np.concatenate([u, v]), minlength=n).astype(float)
        out[name] = _summarise(n, len(ties), deg, int(comps), *sums[name])
    return out


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
#: What the members, vouches and circles alone give, by their revision (``graph_revision``):
#: writes elsewhere (a grievance, a payment) leave it, the next member, vouch or circle event
#: names a new revision. Kept for the last few revisions, in the open vault's memo (dropped when it
#: closes or locks); the values are never changed.
_BY_REVISION_LOCK = threading.Lock()


def _by_revision(vault: Vault, revision: str, what: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    memo = vault.memo("circles.by_revision")
    key = (revision, *what)
    with _BY_REVISION_LOCK:
        if key in memo:
            memo.move_to_end(key)
            return cast(_T, memo[key])
    value = compute()
    with _BY_REVISION_LOCK:
        memo[key] = value
        while len(memo) > 16:
            memo.popitem(last=False)
    return value


def _graph_and_circles(vault: Vault, revision: str) -> tuple[TrustGraph, list[list[int]]]:
    """The trust graph and the recorded circles as its members' indexes, read once per revision
    (shared: callers only read them)."""
    def load() -> tuple[TrustGraph, list[list[int]]]:
        tied, stored = _load(vault, revision)
        return tied.graph, stored
    return _by_revision(vault, revision, ("graph",), load)


#: The last graph read (its revision, the graph with its ties, the recorded circles): the next
#: revision, if only vouches and circles changed since, is this one with those changes. In the
#: open vault's memo (dropped when it closes or locks).
_LAST_LOCK = threading.Lock()


def _load(vault: Vault, revision: str) -> tuple[TiedGraph, list[list[int]]]:
    memo = vault.memo("circles.last")
    with _LAST_LOCK:
        last: tuple[str, TiedGraph, list[list[int]]] | None = memo.get("last")
    loaded = _grown(vault, revision, last) if last is not None else None
    if loaded is None:
        people = member_labels(vault)
        tied = TiedGraph.build([name for name, _ in people], vouch_ties(vault), dict(people))
        loaded = tied, _stored_circles(vault, tied.graph)
    with _LAST_LOCK:
        memo["last"] = (revision, *loaded)
    return loaded


def _grown(vault: Vault, revision: str,
           last: tuple[str, TiedGraph, list[list[int]]]) -> tuple[TiedGraph, list[list[int]]] | None:
    """The graph at ``revision`` from the ``last`` one read, when the events since changed only
    vouches and circles; ``None`` when it must be read again (members changed, many events, or
    the events since are not the newest of their clocks: :func:`_since`)."""
    before, tied, stored = last
    if revision == "0" or before == "0":
        return None
    (old_count, old_mix), (count, mix) = (_revision_parts(r) for r in (before, revision))
    if not old_count < count <= old_count + _MAX_CHANGES:
        return None  # many changes at once (an import): reading every tie is as quick
    changes = _since(vault, count - old_count, old_mix ^ mix)
    if changes is None:
        return None
    if any(c.kind.startswith("circles_member.") for c in changes):
        return None
    ties = sorted({c.record for c in changes if c.kind.startswith("circles_vouch.")})
    if ties:
        now = vouch_ties(vault, ties)
        tied = tied.changed({tie_id: now.get(tie_id) for tie_id in ties})
    if any(c.kind.startswith("circles_circle.") for c in changes):
        stored = _stored_circles(vault, tied.graph)
    return tied, stored


_MAX_CHANGES = 500
#: The kinds of the revision by clock: members and vouches take day-precision clocks, circles
#: full ones (``halqa.vault.events.DAY_PRECISION``); on one device each class's clock only grows.
_CLOCKS = (("circles_member.put", "circles_member.delete", "circles_vouch.put", "circles_vouch.delete"),
           ("circles_circle.put", "circles_circle.delete"))


def _since(vault: Vault, added: int, mix: int) -> list[GraphChange] | None:
    """The ``added`` events a revision holds beyond an earlier one whose ids XOR to ``mix``
    with them, or ``None`` if they are not the newest of their clocks (from another device).

    Written here, they are the newest of their class of clock: some of the newest day-precision
    events and the rest of the newest others. Of those splits, the one whose ids XOR to ``mix``
    is the answer (another set doing so by chance: odds of about 2^-128)."""
    newest = []
    for kinds in _CLOCKS:
        rows = sorted((e for kind in kinds for e in newest_graph_events(vault, kind, added)),
                      key=lambda e: (e.hlc, e.id), reverse=True)[:added]
        prefix = [0]
        for e in rows:
            prefix.append(prefix[-1] ^ int(e.id, 16))
        newest.append((rows, prefix))
    (day, day_mix), (full, full_mix) = newest
    for a in range(min(added, len(day)) + 1):
        b = added - a
        if b <= len(full) and day_mix[a] ^ full_mix[b] == mix:
            return day[:a] + full[:b]
    return None


def _revision_parts(revision: str) -> tuple[int, int]:
    count, mix = revision.split(":")
    return int(count), int(mix, 16)


def _stored_circles(vault: Vault, g: TrustGraph) -> list[list[int]]:
    return [[g.index[p] for p in c.members if p in g.index] for c in circles(vault)]


def measure(vault: Vault, with_circles: bool = False) -> NetworkMeasures:
    """Information, secrecy and balance of the vouching graph (with ``with_circles``: plus full
    links inside each recorded circle)."""
    revision = graph_revision(vault)
    g, recorded = _graph_and_circles(vault, revision)
    stored = recorded if with_circles else []
    if with_circles and not stored:
        raise InvalidInput("circles.none_formed")
    return _by_revision(vault, revision, ("measure", with_circles), lambda: network_measures(structure_graph(g, stored)))


def exposure_report(vault: Vault, k: int = 3, trials: int = 1000, with_compare: bool = False, min_size: int = 5,
                    seed: int | None = None) -> Exposure | ComparedExposure:
    """Exposure of the recorded circles (and with ``with_compare``: one big group and a hierarchy).

    Without a ``seed`` the simulation draws one at random, once per revision of the members,
    vouches and circles: asked again before any of them changes, the same report comes back."""
    if not 1 <= k <= 1000 or not 1 <= trials <= 1_000_000:
        raise InvalidInput("circles.bad_trials", k=k, trials=trials)
    revision = graph_revision(vault)
    g, stored = _graph_and_circles(vault, revision)
    if not stored:
        raise InvalidInput("circles.none_formed")

    def report() -> Exposure | ComparedExposure:
        drawn = seed if seed is not None else secrets.randbits(31)
        if with_compare:
            return ComparedExposure(compare=compare(g, stored, min_size, k, trials, drawn))
        return exposure(g, stored, min_size, k, trials, drawn)
    return _by_revision(vault, revision, ("exposure", k, trials, with_compare, min_size, seed), report)


def show(vault: Vault, circle_id: str | None = None) -> Overview | CircleDetail:
    """Overview (counts, circles and their sizes) or one circle in detail."""
    if circle_id:
        return circle(vault, circle_id)
    g, _ = _graph_and_circles(vault, graph_revision(vault))
    recorded = circles(vault)
    placed = {p for c in recorded for p in c.members}
    return Overview(members=g.n, ties=g.m, labels=sorted(g.labels), circles=[
        CircleSummary(id=c.id, size=len(c.members), project=c.project, liaison=c.liaison,
                      meetings=len(meetings(vault, c.id))) for c in recorded],
        unplaced=len(set(g.names) - placed))
