"""The trust graph: members as integer nodes, who vouches for whom, and undirected contact.

Two relations matter and are kept apart:

* ``vouchers[v]``: the members who vouch for ``v`` (a tie given once counts both ways unless
  it was recorded as directed). The safety rule of a circle reads this: every member needs at
  least two vouchers inside their circle.
* ``contacts[v]``: everyone ``v`` knows through a tie in either direction. Exposure reads this:
  an arrested member can name everyone they know.

``weight[(u, v)]`` (``u < v``) is the strongest vouch between the two (1..5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig

from halqa.circles.read import member_labels, vouch_ties
from halqa.vault import Vault

__all__ = ["TrustGraph", "from_vault"]


@dataclass
class TrustGraph:
    """Members ``0..n-1`` (``names[i]`` is the pseudonym), vouchers, contacts, tie strengths, labels."""

    names: list[str]
    vouchers: list[set[int]]
    contacts: list[set[int]]
    weight: dict[tuple[int, int], float]
    labels: dict[str, list[str | None]] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {name: i for i, name in enumerate(self.names)}

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def m(self) -> int:
        """Number of undirected contact pairs."""
        return len(self.weight)

    @classmethod
    def build(cls, names: Sequence[str], ties: Iterable[tuple[str, str, float]], directed: bool = False,
              labels: dict[str, dict[str, str]] | None = None) -> TrustGraph:
        """From pseudonyms and ``(from, to, strength)`` ties (both ways unless ``directed``).

        ``labels`` maps a pseudonym to its group labels, e.g. ``{"m1": {"caste": "OBC"}}``.
        Ties naming unknown members or a member twice are ignored.
        """
        return cls.build_mixed(names, ((a, b, s, directed) for a, b, s in ties), labels)

    @classmethod
    def build_mixed(cls, names: Sequence[str], ties: Iterable[tuple[str, str, float, bool]],
                    labels: dict[str, dict[str, str]] | None = None) -> TrustGraph:
        """Like :meth:`build`, each tie carrying its own ``directed`` flag."""
        names = list(names)
        index = {name: i for i, name in enumerate(names)}
        n = len(names)
        vouchers: list[set[int]] = [set() for _ in range(n)]
        contacts: list[set[int]] = [set() for _ in range(n)]
        weight: dict[tuple[int, int], float] = {}
        for a, b, s, directed in ties:
            u, v = index.get(a), index.get(b)
            if u is None or v is None or u == v:
                continue
            vouchers[v].add(u)
            if not directed:
                vouchers[u].add(v)
            contacts[u].add(v)
            contacts[v].add(u)
            key = (u, v) if u < v else (v, u)
            weight[key] = max(weight.get(key, 0.0), float(s))
        keys = sorted({k for d in (labels or {}).values() for k in d})
        lab = {k: [(labels or {}).get(name, {}).get(k) for name in names] for k in keys}
        return cls(names, vouchers, contacts, weight, lab, index)

    def w(self, u: int, v: int) -> float:
        """Strength of the tie between ``u`` and ``v`` (0 when they have none)."""
        return self.weight.get((u, v) if u < v else (v, u), 0.0)

    def subgraph(self, nodes: Sequence[int]) -> tuple[TrustGraph, list[int]]:
        """The graph induced on ``nodes``; returns it with the map new index -> old index."""
        keep = list(nodes)
        pos = {v: i for i, v in enumerate(keep)}
        vouchers = [{pos[u] for u in self.vouchers[v] if u in pos} for v in keep]
        contacts = [{pos[u] for u in self.contacts[v] if u in pos} for v in keep]
        weight = {}
        for v in keep:
            for u in self.contacts[v]:
                if u in pos and pos[v] < pos[u]:
                    weight[(pos[v], pos[u])] = self.w(u, v)
        labels = {k: [vals[v] for v in keep] for k, vals in self.labels.items()}
        return TrustGraph([self.names[v] for v in keep], vouchers, contacts, weight, labels), keep

    def igraph(self, weighted: bool = True) -> ig.Graph:
        """The undirected contact graph as an :class:`igraph.Graph` (weights = tie strength)."""
        edges = list(self.weight)
        g = ig.Graph(n=self.n, edges=edges)
        if weighted:
            g.es["weight"] = [self.weight[e] for e in edges]
        return g

    def degree(self) -> list[int]:
        return [len(c) for c in self.contacts]

    def summary(self) -> dict[str, Any]:
        deg = self.degree()
        return {"members": self.n, "ties": self.m, "mean_degree": round(sum(deg) / self.n, 2) if self.n else 0.0}


def from_vault(vault: Vault) -> TrustGraph:
    """The trust graph of every member and vouch recorded in the vault."""
    people = member_labels(vault)
    return TrustGraph.build_mixed([name for name, _ in people], vouch_ties(vault), dict(people))
