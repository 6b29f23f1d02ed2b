"""Exact hop distances between every two members, kept up to date as ties are added.

The information measure (:mod:`halqa.circles.analysis`) needs ``T``, the sum of shortest-path
hops over every ordered pair that can reach each other, and ``R``, how many pairs can. From
scratch that is a breadth-first search from every member (0.2–0.6 s at 3,000 members). Here the
distance matrix ``D`` of a graph is kept (``int16``; :data:`INF` where there is no path), and
adding a *clique* on a set ``C`` (every two of ``C`` joined; one new tie is the clique of its two
ends) updates it exactly:

    ``D'[s, t] = min(D[s, t], g[s] + 1 + g[t])`` with ``g[s] = min over c in C of D[s, c]``.

A shortest path that uses new ties enters ``C`` first at some ``c1`` (over old ties only, so at
least ``g[s]`` hops), leaves it last at some ``c2`` (at least ``g[t]``) and spends at least one
hop in between; and that length is reached. Only the rows ``s`` whose distances to ``C``
spread by two or more can change (if ``|D[s, c1] - D[s, c2]| <= 1`` for all of ``C``, a path
through a new tie is no shorter than one through ``c2``), and by symmetry only their columns:
the update touches ``D[A, A]`` for those ``A`` alone.

The lattice of recorded circles is the vouching graph plus a clique per circle; one big group
adds a clique of everyone placed, and the hierarchy a clique of the heads and leader: both are
the lattice's matrix plus one clique, measured without being stored.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

__all__ = ["INF", "MAX_MEMBERS", "Distances", "pair_codes"]

#: "No path" in the matrix: ``INF + 1 + INF`` still fits in ``int16``, and every finite
#: distance (under :data:`MAX_MEMBERS`) is smaller.
INF = 16_000
#: Above this many members the matrix (``n^2`` two-byte cells, 50 MB at 5,000) is not kept.
MAX_MEMBERS = 5_000
#: More new ties than this at once (a formation, an import) and the matrix is computed again.
MAX_ADDED = 64


def pair_codes(n: int, edges: np.ndarray) -> np.ndarray:
    """Undirected ties ``(u, v)`` as sorted unique codes ``min * n + max`` (no self-ties)."""
    if len(edges) == 0:
        return np.zeros(0, dtype=np.int64)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    lo, hi = e.min(axis=1), e.max(axis=1)
    keep = lo != hi
    return np.unique(lo[keep] * n + hi[keep])


class Distances:
    """The hop-distance matrix of an undirected graph on ``n`` members with the ties ``codes``
    (:func:`pair_codes`), with the sums the information measure reads."""

    def __init__(self, n: int, codes: np.ndarray, matrix: np.ndarray) -> None:
        self.n = n
        self.codes = codes
        self.matrix = matrix
        self.raw = int(matrix.sum(dtype=np.int64))  # INF cells included
        self.unreached = int(np.count_nonzero(matrix == INF))
        self.lock = threading.Lock()  # updated in place: one thread at a time

    @classmethod
    def build(cls, n: int, codes: np.ndarray) -> Distances:
        """From scratch: a breadth-first search from every member (in C, scipy)."""
        u, v = np.divmod(codes, n) if n else (codes, codes)
        adj = csr_matrix((np.ones(len(codes), dtype=np.int8), (u, v)), shape=(n, n))
        hops = shortest_path(adj, method="D", directed=False, unweighted=True)
        matrix = np.where(np.isinf(hops), INF, hops).astype(np.int16)
        return cls(n, codes, matrix)

    @property
    def total(self) -> int:
        """Sum of hops over the ordered pairs that reach each other."""
        return self.raw - INF * self.unreached

    @property
    def reachable(self) -> int:
        """Ordered pairs of two different members that reach each other."""
        return self.n * (self.n - 1) - self.unreached

    def _change(self, clique: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The rows ``A`` a clique on ``clique`` can change, with ``D[A, A]`` before and after."""
        cols = self.matrix[:, clique]
        near, far = cols.min(axis=1), cols.max(axis=1)
        rows = np.flatnonzero(far.astype(np.int32) - near >= 2)
        if len(rows) == 0:
            return None
        block = self.matrix[np.ix_(rows, rows)]
        g = near[rows]
        after = np.minimum(block, g[:, None] + np.int16(1) + g[None, :])
        return rows, block, after

    def with_clique(self, clique: np.ndarray) -> tuple[int, int]:
        """``(total, reachable)`` of this graph plus a clique on ``clique``, left unchanged."""
        change = self._change(np.asarray(clique, dtype=np.int64)) if len(clique) > 1 else None
        if change is None:
            return self.total, self.reachable
        _, block, after = change
        raw = self.raw - int(block.sum(dtype=np.int64) - after.sum(dtype=np.int64))
        unreached = self.unreached - int(np.count_nonzero((block == INF) & (after < INF)))
        return raw - INF * unreached, self.n * (self.n - 1) - unreached

    def add_ties(self, codes: np.ndarray) -> None:
        """Add ties (codes not held yet), one clique of two each, in place."""
        for code in codes.tolist():
            u, v = divmod(code, self.n)
            change = self._change(np.array([u, v], dtype=np.int64))
            if change is not None:
                rows, block, after = change
                self.matrix[np.ix_(rows, rows)] = after
                self.raw -= int(block.sum(dtype=np.int64) - after.sum(dtype=np.int64))
                self.unreached -= int(np.count_nonzero((block == INF) & (after < INF)))
        self.codes = np.union1d(self.codes, codes)

    def grown_to(self, n: int, codes: np.ndarray) -> bool:
        """Bring this matrix to the graph on ``n`` members with ``codes`` if it only gains a
        few ties; ``False`` (unchanged) when it must be computed again."""
        if n != self.n or len(codes) < len(self.codes):
            return False
        added = np.setdiff1d(codes, self.codes, assume_unique=True)
        if len(added) > MAX_ADDED or len(codes) - len(added) != len(self.codes):
            return False  # too many new ties, or some were removed
        if len(added):
            self.add_ties(added)
        return True
