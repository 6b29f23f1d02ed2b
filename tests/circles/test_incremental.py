"""The fast paths of exposure and the information measure against the plain computations.

The references below are the code these paths replaced (one breadth-first search per member
through igraph; one simulated compromise at a time): every figure must come out identical.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import igraph as ig
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import halqa.circles as circles
from halqa.circles import TrustGraph, analysis
from halqa.circles.analysis import AfterK, Comparison, Exposure, NetworkMeasures, OneCompromise, Structure
from halqa.circles.distances import INF, Distances, pair_codes
from halqa.circles.graph import TiedGraph


# --------------------------------------------------------------------------- the references
def plain_measures(g: ig.Graph) -> NetworkMeasures:
    g = g.simplify() if not g.is_simple() else g
    n, m = g.vcount(), g.ecount()
    if n == 0:
        return NetworkMeasures(n=0, m=0, information=0.0, secrecy_s1=0.0, secrecy_s3=0.0, balance=0.0,
                               balance_s3=0.0, connected=True, components=0)
    sizes = g.connected_components().sizes()
    reach = sum(s * (s - 1) for s in sizes)
    total = float(round(g.average_path_length(directed=False, unconn=True) * reach)) if reach else 0.0
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


def plain_exposure(g: TrustGraph, cs: Sequence[Sequence[int]], min_size: int = 5, k: int = 3, trials: int = 1000,
                   seed: int = 2026, extra: Sequence[tuple[int, int]] = ()) -> Exposure:
    n = g.n
    if n == 0:
        return Exposure(members=0, circles=0, one=OneCompromise(mean=0.0, worst=0), k=k, trials=trials,
                        after_k=AfterK(mean_exposed=0.0, p95_exposed=0.0, circles_working=0.0))
    sets = [set(c) for c in g.contacts]
    for ms in cs:
        for v in ms:
            sets[v].update(ms)
    for u, v in extra:
        sets[u].add(v)
        sets[v].add(u)
    known = [np.fromiter((u for u in s if u != v), dtype=np.int64) for v, s in enumerate(sets)]
    sizes = np.array([len(x) for x in known])
    circle_of = np.full(n, -1, dtype=np.int64)
    for ci, ms in enumerate(cs):
        circle_of[list(ms)] = ci
    n_circles = len(cs)
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
    return Exposure(members=n, circles=n_circles, one=OneCompromise(mean=round(float(sizes.mean()), 3),
                                                                     worst=int(sizes.max())),
                    k=k_eff, trials=trials,
                    after_k=AfterK(mean_exposed=round(float(exposed_counts.mean()), 3),
                                   p95_exposed=float(np.percentile(exposed_counts, 95)),
                                   circles_working=round(float(working.mean()), 4)))


def plain_compare(g: TrustGraph, cs: Sequence[Sequence[int]], min_size: int, k: int, trials: int,
                  seed: int) -> Comparison:
    placed = sorted({v for ms in cs for v in ms})
    links, _ = analysis._hierarchy(g, cs)
    out = {}
    for name, c, extra in (("lattice", cs, ()), ("one_group", [placed] if placed else [], ()), ("hierarchy", cs, links)):
        out[name] = Structure(exposure=plain_exposure(g, c, min_size, k, trials, seed, extra),
                              measures=plain_measures(analysis.structure_graph(g, c, extra)))
    return Comparison(**out)


def plain_distances(n: int, codes: np.ndarray) -> np.ndarray:
    u, v = np.divmod(codes, n)
    hops = np.array(ig.Graph(n=n, edges=list(zip(u.tolist(), v.tolist(), strict=True))).distances(), dtype=float)
    return np.where(np.isinf(hops), INF, hops).astype(np.int16)


# --------------------------------------------------------------------------- strategies
@st.composite
def graphs(draw: st.DrawFn, max_n: int = 24) -> TrustGraph:
    n = draw(st.integers(1, max_n))
    names = [f"m{i:02d}" for i in range(n)]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 5), st.booleans()),
                          max_size=3 * n))
    return TrustGraph.build_mixed(names, [(names[a], names[b], s, d) for a, b, s, d in pairs])


@st.composite
def graph_and_circles(draw: st.DrawFn) -> tuple[TrustGraph, list[list[int]]]:
    g = draw(graphs())
    order = draw(st.permutations(range(g.n)))
    cuts = sorted(draw(st.sets(st.integers(1, g.n), max_size=4)))
    parts = [list(order[a:b]) for a, b in zip([0, *cuts], cuts, strict=False)]
    return g, [p for p in parts if p]


# --------------------------------------------------------------------------- the distance matrix
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 20), st.data())
def test_distances_incremental_equal_from_scratch(n, data):
    """Ties added and removed at random: the kept matrix (grown in place when it can, computed
    again when not) is always the matrix from scratch, and its sums those of igraph."""
    every = [u * n + v for u in range(n) for v in range(u + 1, n)]
    held: set[int] = set(data.draw(st.sets(st.sampled_from(every), max_size=2 * n))) if every else set()
    dist = Distances.build(n, np.array(sorted(held), dtype=np.int64))
    for _ in range(data.draw(st.integers(1, 8))):
        if every and data.draw(st.booleans()):
            held |= data.draw(st.sets(st.sampled_from(every), max_size=4))
        elif held:
            held -= data.draw(st.sets(st.sampled_from(sorted(held)), max_size=2))
        codes = np.array(sorted(held), dtype=np.int64)
        if not dist.grown_to(n, codes):
            dist = Distances.build(n, codes)
        assert np.array_equal(dist.matrix, plain_distances(n, codes))
        assert np.array_equal(dist.codes, codes)
        graph = ig.Graph(n=n, edges=[divmod(c, n) for c in codes.tolist()])
        reach = sum(s * (s - 1) for s in graph.connected_components().sizes())
        assert dist.reachable == reach
        assert dist.total == (round(graph.average_path_length(unconn=True) * reach) if reach else 0)
        clique = data.draw(st.lists(st.integers(0, n - 1), max_size=5))
        with_it = plain_distances(n, np.union1d(codes, pair_codes(n, np.array(
            [(a, b) for a in clique for b in clique], dtype=np.int64))))
        unreached = int(np.count_nonzero(with_it == INF))
        assert dist.with_clique(np.array(sorted(set(clique)), dtype=np.int64)) == (
            int(with_it.sum(dtype=np.int64)) - INF * unreached, n * (n - 1) - unreached)


def test_distances_grow_in_place_after_one_tie():
    dist = Distances.build(6, pair_codes(6, np.array([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])))
    matrix = dist.matrix
    assert dist.grown_to(6, pair_codes(6, np.array([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 5)])))
    assert dist.matrix is matrix and dist.matrix[0, 5] == 1 and dist.matrix[1, 4] == 3
    assert not dist.grown_to(6, pair_codes(6, np.array([(0, 1)])))  # ties removed: computed again


# --------------------------------------------------------------------------- exposure and compare
@settings(max_examples=120, deadline=None)
@given(graph_and_circles(), st.integers(1, 6), st.integers(1, 600), st.integers(0, 2**31 - 1), st.integers(1, 7))
def test_exposure_equals_one_trial_at_a_time(gc, k, trials, seed, min_size):
    g, cs = gc
    extra = [(cs[0][0], cs[-1][-1])] if cs else []
    assert analysis.exposure(g, cs, min_size, k, trials, seed, extra) == plain_exposure(
        g, cs, min_size, k, trials, seed, extra)


@settings(max_examples=60, deadline=None)
@given(graph_and_circles(), st.integers(0, 2**31 - 1), st.data())
def test_compare_equals_measuring_each_structure(gc, seed, data):
    """The same people over several calls (the kept lattice matrix grows with each new vouch,
    or is computed again when a tie goes): every figure as measuring each graph from scratch."""
    g, cs = gc
    analysis._LATTICE.clear()
    for _ in range(data.draw(st.integers(1, 4))):
        assert analysis.compare(g, cs, 3, 2, 40, seed) == plain_compare(g, cs, 3, 2, 40, seed)
        names = g.names
        a, b = data.draw(st.integers(0, g.n - 1)), data.draw(st.integers(0, g.n - 1))
        ties = [(names[u], names[v], g.weight[(u, v)], False) for u, v in g.weight]
        if data.draw(st.booleans()) or not ties:
            ties.append((names[a], names[b], 3, data.draw(st.booleans())))
        else:
            ties.pop(data.draw(st.integers(0, len(ties) - 1)))
        g = TrustGraph.build_mixed(names, ties)


def test_compare_without_the_matrix_when_too_big(monkeypatch):
    rng = random.Random(4)
    names = [f"m{i}" for i in range(30)]
    g = TrustGraph.build(names, [(names[i], names[(i + d) % 30], rng.randint(1, 5)) for i in range(30) for d in (1, 4)])
    cs = [list(range(i, i + 5)) for i in range(0, 30, 5)]
    monkeypatch.setattr(analysis, "MAX_MEMBERS", 10)
    assert analysis.compare(g, cs, 3, 3, 50, 7) == plain_compare(g, cs, 3, 3, 50, 7)


# --------------------------------------------------------------------------- over the vault
def _people(vault, n=24):
    names = [f"p{i:02d}" for i in range(n)]
    for name in names:
        circles.add_member(vault, name)
    for i, name in enumerate(names):
        for d in (1, 2, 5):
            circles.add_vouch(vault, name, names[(i + d) % n], 1 + (i + d) % 5)
    return names


def test_revision_moves_with_the_graph_only_and_survives_a_rebuild(vault):
    from halqa.circles.read import graph_revision

    assert graph_revision(vault) == "0"
    names = _people(vault)
    first = graph_revision(vault)
    vault.append("circles_task.put", {"id": "t1", "title": "x"})  # not the graph: the same revision
    assert graph_revision(vault) == first
    circles.add_vouch(vault, names[0], names[9], 4)
    second = graph_revision(vault)
    assert second != first and int(second.split(":")[0]) == int(first.split(":")[0]) + 1
    before = vault.digests()
    assert vault.rebuild() == before
    assert graph_revision(vault) == second


def test_report_follows_the_revision(vault):
    names = _people(vault)
    circles.form_circles(vault, apply=True, min_size=3, max_size=6, seed=1, time_limit=2.0)
    first = circles.exposure_report(vault, trials=50, with_compare=True)
    assert circles.exposure_report(vault, trials=50, with_compare=True) is first  # drawn once per revision
    seeded = circles.exposure_report(vault, trials=50, with_compare=True, seed=3)
    g = circles.from_vault(vault)
    stored = [[g.index[p] for p in c.members] for c in circles.circles(vault)]
    assert seeded == compared_of(plain_compare(g, stored, 5, 3, 50, 3))
    circles.add_vouch(vault, names[0], names[13], 5)
    g = circles.from_vault(vault)
    assert circles.exposure_report(vault, trials=50, with_compare=True, seed=3) == compared_of(
        plain_compare(g, stored, 5, 3, 50, 3))
    assert circles.show(vault).ties == g.m
    assert circles.measure(vault, with_circles=True) == plain_measures(analysis.structure_graph(g, stored))


def compared_of(c: Comparison) -> analysis.ComparedExposure:
    return analysis.ComparedExposure(compare=c)


# --------------------------------------------------------------------------- the graph after a few changes
def _same_graph(a: TrustGraph, b: TrustGraph) -> None:
    assert a.names == b.names and a.index == b.index and a.labels == b.labels
    assert a.vouchers == b.vouchers and a.contacts == b.contacts and a.weight == b.weight


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.data())
def test_changed_ties_equal_building_again(n, data):
    names = [f"m{i}" for i in range(n)] + ["ghost"]  # ghost: a tie to someone not a member
    tie = st.tuples(st.sampled_from(names), st.sampled_from(names), st.integers(1, 5), st.booleans())
    ids = st.sampled_from([f"t{i}" for i in range(12)])
    ties = data.draw(st.dictionaries(ids, tie, max_size=10))
    members = names[:-1]
    tied = TiedGraph.build(members, dict(sorted(ties.items())))
    for _ in range(data.draw(st.integers(1, 4))):
        changes = data.draw(st.dictionaries(ids, st.none() | tie, max_size=4))
        tied = tied.changed(changes)
        for tie_id, now in changes.items():
            if now is None:
                ties.pop(tie_id, None)
            else:
                ties[tie_id] = now
        _same_graph(tied.graph, TrustGraph.build_mixed(members, [ties[i] for i in sorted(ties)]))


def test_graph_read_again_or_grown_equals_from_vault(vault, monkeypatch):
    from halqa.circles.graph import from_vault
    from halqa.circles.read import graph_revision

    grown = []
    real = analysis._grown
    monkeypatch.setattr(analysis, "_grown", lambda *a: grown.append(r := real(*a)) or r)
    rng = random.Random(11)
    names = _people(vault, 16)
    for step in range(60):
        op = rng.choice(("vouch", "vouch", "again", "delete", "member", "circle", "task"))
        a, b = rng.sample(names, 2)
        if op == "vouch":
            circles.add_vouch(vault, a, b, rng.randint(1, 5), directed=rng.random() < 0.3)
        elif op == "again":  # the same tie, another strength
            tie = rng.choice(circles.vouches(vault))
            circles.add_vouch(vault, tie.from_, tie.to, rng.randint(1, 5), directed=tie.directed)
        elif op == "delete" and circles.vouches(vault):
            vault.append("circles_vouch.delete", {"id": rng.choice(circles.vouches(vault)).id})
        elif op == "member":
            names.append(f"q{step:02d}")
            circles.add_member(vault, names[-1])
        elif op == "circle":
            vault.append("circles_circle.put", {"id": f"c{step % 3}", "members": rng.sample(names, 5)})
        else:
            vault.append("circles_task.put", {"id": f"t{step}", "title": "x"})
        g, stored = analysis._graph_and_circles(vault, graph_revision(vault))
        _same_graph(g, from_vault(vault))
        assert stored == analysis._stored_circles(vault, g)
    assert sum(r is not None for r in grown) >= 20  # most steps grew the last graph
    before = vault.digests()  # vouches (day clocks) and circles (full clocks) interleaved
    assert vault.rebuild() == before
