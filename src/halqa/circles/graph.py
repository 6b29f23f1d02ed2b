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

__all__ = ["Tie", "TiedGraph", "TrustGraph", "from_vault"]

#: A vouching tie as read: ``(from, to, strength, directed)``.
Tie = tuple[str, str, int, bool]


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


@dataclass(frozen=True)
class TiedGraph:
    """A trust graph with the ties it was built from, by record id, and which ties each pair of
    members has: a few ties changed give a new graph (:meth:`changed`) equal to building it
    again from every tie, without reading them all. Neither is ever changed in place."""

    graph: TrustGraph
    ties: dict[str, Tie]
    pairs: dict[tuple[int, int], frozenset[str]]

    @classmethod
    def build(cls, names: Sequence[str], ties: dict[str, Tie],
              labels: dict[str, dict[str, str]] | None = None) -> TiedGraph:
        g = TrustGraph.build_mixed(names, ties.values(), labels)
        pairs: dict[tuple[int, int], set[str]] = {}
        for tie_id, tie in ties.items():
            key = cls._pair(g, tie)
            if key is not None:
                pairs.setdefault(key, set()).add(tie_id)
        return cls(g, dict(ties), {k: frozenset(v) for k, v in pairs.items()})

    @staticmethod
    def _pair(g: TrustGraph, tie: Tie) -> tuple[int, int] | None:
        u, v = g.index.get(tie[0]), g.index.get(tie[1])
        if u is None or v is None or u == v:
            return None  # ignored by the graph, as in TrustGraph.build_mixed
        return (u, v) if u < v else (v, u)

    def changed(self, changes: dict[str, Tie | None]) -> TiedGraph:
        """The graph after the ties ``changes`` (id: the tie now, ``None``: gone); the members
        stay. Each pair a change touches is worked out again from all the ties it has now."""
        g = self.graph
        ties, pairs = dict(self.ties), dict(self.pairs)
        touched: set[tuple[int, int]] = set()
        for tie_id, tie in changes.items():
            before = ties.pop(tie_id, None)
            if before is not None and (key := self._pair(g, before)) is not None:
                pairs[key] = pairs[key] - {tie_id}
                touched.add(key)
            if tie is not None:
                ties[tie_id] = tie
                if (key := self._pair(g, tie)) is not None:
                    pairs[key] = pairs.get(key, frozenset()) | {tie_id}
                    touched.add(key)
        vouchers, contacts, weight = list(g.vouchers), list(g.contacts), dict(g.weight)
        copied: set[int] = set()
        for u, v in touched:
            for x in (u, v):
                if x not in copied:  # copy on write: the old graph keeps its sets
                    vouchers[x], contacts[x] = set(vouchers[x]), set(contacts[x])
                    copied.add(x)
            on_pair = [ties[i] for i in pairs[(u, v)]]
            if not on_pair:
                del pairs[(u, v)]
            names = g.names
            # v's vouchers hold u if a tie runs u -> v or counts both ways; and the other way
            for a, b in ((u, v), (v, u)):
                if any(not t[3] or (t[0] == names[a] and t[1] == names[b]) for t in on_pair):
                    vouchers[b].add(a)
                else:
                    vouchers[b].discard(a)
            if on_pair:
                contacts[u].add(v)
                contacts[v].add(u)
                weight[(u, v)] = max(float(t[2]) for t in on_pair)
            else:
                contacts[u].discard(v)
                contacts[v].discard(u)
                weight.pop((u, v), None)
        return TiedGraph(TrustGraph(g.names, vouchers, contacts, weight, g.labels, g.index), ties, pairs)


def from_vault(vault: Vault) -> TrustGraph:
    """The trust graph of every member and vouch recorded in the vault."""
    people = member_labels(vault)
    return TrustGraph.build_mixed([name for name, _ in people], vouch_ties(vault).values(), dict(people))
