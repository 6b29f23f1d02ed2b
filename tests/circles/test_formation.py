import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.circles import METHODS, REASONS, TrustGraph, baseline_leiden, baseline_metis, evaluate, form, split_circle
from halqa.circles.exact import solve
from halqa.errors import InvalidInput
from halqa.results import to_data

from .helpers import check_lattice, clustered


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 60), p_in=st.floats(0.2, 0.9), p_out=st.floats(0.0, 0.08), seed=st.integers(0, 10_000),
       lo=st.integers(3, 5), extra=st.integers(0, 3), method=st.sampled_from(METHODS))
def test_rules_always_hold(n, p_in, p_out, seed, lo, extra, method):
    g = clustered(n, 8, p_in, p_out, seed)
    f = form(g, lo, lo + extra, mix="sect", methods=[method], seed=seed, exact=False, time_limit=2)
    check_lattice(g, f.circles.values(), f.unplaced, lo, lo + extra)
    assert all(r in REASONS for _, r in f.unplaced)
    assert f.metrics.size_violations == 0 and f.metrics.vouch_violations == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_directed_vouches_are_respected(seed):
    import random

    rng = random.Random(seed)
    names = [f"d{i}" for i in range(14)]
    ties = [(names[i], names[j], 3) for i in range(14) for j in range(14) if i != j and rng.random() < 0.35]
    g = TrustGraph.build(names, ties, directed=True)
    f = form(g, 4, 6, seed=seed, exact=False, time_limit=2)
    check_lattice(g, f.circles.values(), f.unplaced, 4, 6)


def test_unplaced_reasons():
    names = ["a", "b", "c", "d", "e", "f", "lone", "one"]
    core = [(x, y, 4) for i, x in enumerate(names[:6]) for y in names[i + 1:6]]
    g = TrustGraph.build(names, [*core, ("a", "one", 3)])
    f = form(g, 5, 7, seed=1, exact=False)
    reasons = {g.names[v]: r for v, r in f.unplaced}
    assert reasons == {"lone": "no_vouchers", "one": "one_voucher"}
    small = TrustGraph.build(["x", "y", "z"], [("x", "y", 3), ("y", "z", 3), ("x", "z", 3)])
    assert {r for _, r in form(small, 5, 7, exact=False).unplaced} == {"group_too_small"}


def test_exact_bounds_the_heuristic_and_is_tight_on_small_graphs():
    g = clustered(16, 8, 0.8, 0.05, seed=3)
    f = form(g, 4, 6, mix="sect", seed=1, exact=True, exact_time=20)
    assert f.exact is not None and f.exact.status == "OPTIMAL"
    assert f.exact.bound >= f.objective.total - 1e-6
    assert f.exact.objective == pytest.approx(f.exact.bound, abs=1e-4)
    assert 0.0 <= f.exact.gap < 0.05
    # the exact solution obeys the same rules
    idx = [[g.index[p] for p in c] for c in f.exact.circles]
    placed = {v for c in idx for v in c}
    check_lattice(g, idx, [(v, "") for v in range(g.n) if v not in placed], 4, 6)


def test_exact_is_never_beaten():
    for seed in range(3):
        g = clustered(12, 6, 0.7, 0.1, seed=seed)
        sol = solve(g, 3, 5, "sect", time_limit=20)
        ev = evaluate(g, [[g.index[p] for p in c] for c in sol.circles], 3, 5, "sect")
        assert ev.objective.total == pytest.approx(sol.objective)
        f = form(g, 3, 5, mix="sect", seed=seed, exact=False)
        if sol.status == "OPTIMAL":
            assert f.objective.total <= sol.objective + 1e-6


def test_split_along_weakest_cut():
    # two strong cliques of 5 joined by weak ties: the split must follow the weak ties
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    ties = [(x, y, 5) for grp in (a, b) for i, x in enumerate(grp) for y in grp[i + 1:]]
    ties += [("a0", "b0", 1), ("a1", "b1", 1), ("a2", "b2", 1)]
    g = TrustGraph.build(a + b, ties)
    parts = split_circle(g, list(range(10)), 5, 7)
    assert sorted(sorted(g.names[v] for v in p) for p in parts) == [sorted(a), sorted(b)]
    assert split_circle(g, list(range(8)), 5, 7) is None  # 8 cannot make two circles of 5


def test_reform_changes_few_circles():
    g0 = clustered(40, 8, 0.85, 0.02, seed=11)
    first = form(g0, 5, 7, seed=2, exact=False)
    existing = {cid: [g0.names[v] for v in ms] for cid, ms in first.circles.items()}
    # growth: six newcomers who all know each other and two people in one circle
    names = g0.names + [f"new{i}" for i in range(6)]
    ties = [(g0.names[u], g0.names[v], w) for (u, v), w in g0.weight.items()]
    ties += [(f"new{i}", f"new{j}", 4) for i in range(6) for j in range(i + 1, 6)]
    g1 = TrustGraph.build(names, ties, labels={n: {"sect": "x"} for n in names})
    second = form(g1, 5, 7, existing=existing, seed=3, exact=False)
    check_lattice(g1, second.circles.values(), second.unplaced, 5, 7)
    assert second.changed == []
    assert set(second.kept) == set(existing)
    for cid, ms in existing.items():
        assert sorted(g1.names[v] for v in second.circles[cid]) == sorted(ms)


def test_reform_splits_a_circle_that_grew_past_max():
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    ties = [(x, y, 5) for grp in (a, b) for i, x in enumerate(grp) for y in grp[i + 1:]] + [("a0", "b0", 1)]
    g = TrustGraph.build(a + b, ties)
    f = form(g, 5, 7, existing={"c-big": a + b}, seed=1, exact=False)
    assert "c-big" in f.changed
    assert sorted(sorted(g.names[v] for v in ms) for ms in f.circles.values()) == [sorted(a), sorted(b)]


def test_baselines_and_bad_input():
    g = clustered(60, 6, 0.8, 0.03, seed=5)
    for parts in (baseline_metis(g), baseline_leiden(g)):
        assert sorted(v for p in parts for v in p) == list(range(60))
    with pytest.raises(InvalidInput):
        form(g, 8, 5)
    with pytest.raises(InvalidInput):
        form(g, 5, 7, mix="nope")
    with pytest.raises(InvalidInput):
        form(g, 5, 7, methods=["kmeans"])


def test_summary_json_shape():
    g = clustered(20, 7, 0.9, 0.05, seed=1)
    d = to_data(form(g, 5, 7, mix="sect", seed=1, exact=False).summary())
    assert list(d) == ["circles", "unplaced", "metrics", "objective", "settings", "details", "seconds"]
    assert d["settings"] == {"min": 5, "max": 7, "mix": "sect", "method": d["settings"]["method"]}
    assert set(d["details"]) == {"circles", "strength_inside_share", "size_violations", "vouch_violations"}
    assert set(d["objective"]) == {"total", "parts", "weights"}
    assert set(d) >= {"circles", "unplaced", "metrics"}
    assert set(d["metrics"]) == {"placed_share", "ties_inside_share", "mixing", "mean_exposure", "worst_exposure"}
    assert all(set(c) == {"id", "members"} for c in d["circles"])
    assert all(set(u) == {"member", "reason"} for u in d["unplaced"])
