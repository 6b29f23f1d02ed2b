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
through a new tie is no shorter than one through ``c2``): blocks of rows without one are skipped.

The lattice of recorded circles is the vouching graph plus a clique per circle; one big group
adds a clique of everyone placed, and the hierarchy a clique of the heads and leader: both are
the lattice's matrix plus one clique, measured without being stored.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

__all__ = ["INF", "MAX_MEMBERS", "Distances", "pair_codes"]

#: "No path" in the matrix: ``INF + 1 + INF`` still fits in ``int16``, and every finite
#: distance (under :data:`MAX_MEMBERS`) is smaller.
INF = 16_000
#: Above this many members the matrix (``n^2`` two-byte cells, 50 MB at 5,000) is not kept.
MAX_MEMBERS = 5_000
#: Rows of the matrix updated at once (about 1.5 MB at 3,000 members).
_ROWS = 256
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
        self._memo: dict[bytes, tuple[int, int]] = {}  # with_clique's answers for this matrix

    @classmethod
    def build(cls, n: int, codes: np.ndarray) -> Distances:
        """From scratch: a breadth-first search from every member (in C, scipy)."""
        u, v = np.divmod(codes, n) if n else (codes, codes)
        adj = csr_matrix((np.ones(len(codes), dtype=np.int8), (u, v)), shape=(n, n))
        matrix = np.empty((n, n), dtype=np.int16)
        for first in range(0, n, _ROWS):  # a block of sources at a time: scipy answers in float64
            hops = shortest_path(adj, method="D", directed=False, unweighted=True,
                                 indices=np.arange(first, min(first + _ROWS, n)))
            hops[np.isinf(hops)] = INF
            matrix[first:first + len(hops)] = hops
        return cls(n, codes, matrix)

    @property
    def total(self) -> int:
        """Sum of hops over the ordered pairs that reach each other."""
        return self.raw - INF * self.unreached

    @property
    def reachable(self) -> int:
        """Ordered pairs of two different members that reach each other."""
        return self.n * (self.n - 1) - self.unreached

    def _apply(self, clique: np.ndarray, write: bool) -> tuple[int, int]:
        """``(raw, unreached)`` after a clique on ``clique`` (and with ``write``, the matrix too).

        Row blocks in turn (a block stays in the cache), skipping those where no row can change."""
        cols = self.matrix[:, clique]
        near = cols.min(axis=1)
        changes = (cols.max(axis=1).astype(np.int32) - near) >= 2
        raw, unreached = self.raw, self.unreached
        if not changes.any():
            return raw, unreached
        step = near + np.int16(1)
        buffer = np.empty((_ROWS, self.n), dtype=np.int16)
        for first in range(0, self.n, _ROWS):
            if not changes[first:first + _ROWS].any():
                continue
            block = self.matrix[first:first + _ROWS]
            after = buffer[:len(block)]
            np.add(step[first:first + _ROWS, None], near[None, :], out=after)
            np.minimum(block, after, out=after)
            raw -= int(block.sum(dtype=np.int64)) - int(after.sum(dtype=np.int64))
            if unreached:  # a connected graph has no INF to lose
                unreached -= int(np.count_nonzero(block == INF)) - int(np.count_nonzero(after == INF))
            if write:
                block[...] = after  # later blocks read only ``near``, taken before any change
        return raw, unreached

    def with_clique(self, clique: np.ndarray) -> tuple[int, int]:
        """``(total, reachable)`` of this graph plus a clique on ``clique``, left unchanged.

        The matrix is symmetric: each block of rows is read from its diagonal on, the square on
        the diagonal counted once and the rest twice (half the work of every row in full)."""
        if len(clique) < 2:
            return self.total, self.reachable
        key = np.asarray(clique, dtype=np.int64).tobytes()
        if key in self._memo:
            return self._memo[key]
        cols = self.matrix[:, np.asarray(clique, dtype=np.int64)]
        near = cols.min(axis=1)
        changes = (cols.max(axis=1).astype(np.int32) - near) >= 2
        raw, unreached = self.raw, self.unreached
        step = near + np.int16(1)
        buffer = np.empty((_ROWS, self.n), dtype=np.int16)
        for first in range(0, self.n, _ROWS):
            last = min(first + _ROWS, self.n)
            if not changes[first:].any():
                break  # no later row can change, nor (by symmetry) any later column
            block = self.matrix[first:last, first:]
            after = buffer[:last - first, :self.n - first]
            np.add(step[first:last, None], near[None, first:], out=after)
            np.minimum(block, after, out=after)
            square = last - first
            less = int(block.sum(dtype=np.int64) - after.sum(dtype=np.int64))
            diagonal = int(block[:, :square].sum(dtype=np.int64) - after[:, :square].sum(dtype=np.int64))
            raw -= 2 * less - diagonal
            if unreached:  # a connected graph has no INF to lose
                found = np.count_nonzero(block == INF) - np.count_nonzero(after == INF)
                on_diagonal = np.count_nonzero(block[:, :square] == INF) - np.count_nonzero(after[:, :square] == INF)
                unreached -= 2 * int(found) - int(on_diagonal)
        out = raw - INF * unreached, self.n * (self.n - 1) - unreached
        self._memo[key] = out
        return out

    def add_ties(self, codes: np.ndarray) -> None:
        """Add ties (codes not held yet), one clique of two each, in place."""
        for code in codes.tolist():
            self.raw, self.unreached = self._apply(np.array(divmod(code, self.n), dtype=np.int64), write=True)
        self.codes = np.union1d(self.codes, codes)
        self._memo.clear()

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
