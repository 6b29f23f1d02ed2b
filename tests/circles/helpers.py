"""Small graphs for the circles tests."""

from __future__ import annotations

import random

from halqa.circles import TrustGraph


def clustered(n: int, size: int, p_in: float, p_out: float, seed: int, labels: int = 3) -> TrustGraph:
    """A random clustered trust graph with one group label ``sect``."""
    rng = random.Random(seed)
    names = [f"m{i:03d}" for i in range(n)]
    ties = []
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < (p_in if i // size == j // size else p_out):
                ties.append((names[i], names[j], rng.randint(1, 5)))
    return TrustGraph.build(names, ties, labels={nm: {"sect": f"s{rng.randrange(labels)}"} for nm in names})


def check_lattice(g: TrustGraph, circles, unplaced, lo: int, hi: int) -> None:
    """The rules that must always hold: sizes, two vouchers inside, everyone accounted once."""
    seen = set()
    for ms in circles:
        assert lo <= len(ms) <= hi
        s = set(ms)
        for v in ms:
            assert len(g.vouchers[v] & s) >= 2, (g.names[v], sorted(g.names[u] for u in s))
            assert v not in seen
            seen.add(v)
    left = {v for v, _ in unplaced}
    assert not (left & seen)
    assert left | seen == set(range(g.n))
