import igraph as ig
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.circles import TrustGraph, exposure, network_measures
from halqa.circles.analysis import compare, lindelauf_known_answers


@pytest.mark.parametrize(("name", "s1", "info"), [("star", 0.612, 0.583), ("ring", 0.571, 0.500),
                                                   ("wheel", 0.367, 0.700), ("complete", 0.0, 1.0)])
def test_known_answers_lindelauf(name, s1, info):
    got = lindelauf_known_answers()[name]
    assert got["secrecy_s1"] == pytest.approx(s1, abs=5e-4)
    assert got["information"] == pytest.approx(info, abs=5e-4)


def test_s3_and_balance_by_hand():
    # star on 7: centre d=6, leaves d=1; m=6; alpha_i=(d_i+1)/(2m+n)=(d+1)/19
    m = network_measures(ig.Graph.Star(7))
    s3 = (7 / 19) * (0 / 7) + 6 * (2 / 19) * (5 / 7)
    assert m.secrecy_s3 == pytest.approx(s3, abs=1e-6)
    assert m.balance == pytest.approx(m.information * m.secrecy_s1, abs=1e-6)
    assert m.connected and m.components == 1


def test_disconnected_convention():
    # two disjoint triangles: R = 12 reachable ordered pairs at distance 1, n(n-1) = 30
    g = ig.Graph(n=6, edges=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)])
    m = network_measures(g)
    assert m.information == pytest.approx((12 / 12) * (12 / 30))
    assert not m.connected and m.components == 2
    assert network_measures(ig.Graph(n=3)).information == 0.0


def _line(n):
    names = [f"p{i}" for i in range(n)]
    return TrustGraph.build(names, [(names[i], names[i + 1], 3) for i in range(n - 1)])


def test_exposure_counts_contacts_and_mates():
    g = _line(6)  # p0-p1-...-p5; circle of p0..p4
    e = exposure(g, [[0, 1, 2, 3, 4]], min_size=3, k=1, trials=200, seed=1)
    # p0..p4 expose their 4 mates (p3 and p4 also know a neighbour: p4 knows p5 -> 5); p5 exposes p4 only
    expected = [4, 4, 4, 4, 5, 1]
    assert e.one.mean == pytest.approx(sum(expected) / 6, abs=1e-3)
    assert e.one.worst == 5
    assert 0.0 <= e.after_k.circles_working <= 1.0


def test_compare_one_group_is_worst():
    names = [f"p{i}" for i in range(20)]
    ties = [(names[i], names[j], 3) for i in range(20) for j in range(i + 1, 20) if j - i <= 2 or (i % 5 == 0 and j % 5 == 0)]
    g = TrustGraph.build(names, ties)
    circles = [list(range(k, k + 5)) for k in range(0, 20, 5)]
    out = compare(g, circles, min_size=3, k=2, trials=300, seed=2)
    assert out.one_group.exposure.one.mean == 19
    assert out.lattice.exposure.one.mean < out.one_group.exposure.one.mean
    assert out.hierarchy.exposure.one.worst >= out.lattice.exposure.one.worst
    assert out.one_group.measures.secrecy_s1 == 0.0


def _information_from_matrix(g):
    """The information measure from the full distance matrix (how it was computed before issue 19)."""
    import numpy as np

    n = g.vcount()
    d = np.asarray(g.distances(), dtype=float)
    finite = np.isfinite(d) & (d > 0)
    reach, total = int(finite.sum()), float(d[finite].sum())
    return (reach / total) * (reach / (n * (n - 1))) if total > 0 else (1.0 if n == 1 else 0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))))
def test_information_without_the_distance_matrix(case):
    n, edges = case
    g = ig.Graph(n=n, edges=[(u, v) for u, v in edges if u != v]).simplify()
    got = network_measures(g)
    assert got.information == round(_information_from_matrix(g), 6)
    assert got.components == len(g.connected_components())
