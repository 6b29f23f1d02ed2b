"""Exact formation with OR-Tools CP-SAT, for small networks (up to about 40 members).

The model is the formation problem itself, not a relaxation: ``x[v, c]`` puts member ``v`` in
candidate circle ``c``; a used circle has ``min..max`` members; a member in a circle has at
least two of their vouchers in it; ``z[e, c]`` marks a tie inside circle ``c``; squared sizes and
label counts come from CP-SAT's multiplication constraints, so the objective is exactly
:class:`halqa.circles.objective.Objective`. The solver returns the optimum, or within its time
limit the best solution and a proven upper bound; the heuristic's gap is measured against it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from halqa.circles.graph import TrustGraph
from halqa.circles.objective import ExactResult, Objective, Weights, evaluate

__all__ = ["solve", "split_exact"]


def solve(g: TrustGraph, min_size: int, max_size: int, mix: str | None = None, weights: Weights | None = None,
          time_limit: float = 10.0, workers: int = 2) -> ExactResult:
    """Optimum (or best found and bound) of the formation objective by CP-SAT."""
    obj = Objective(g, max_size, mix, weights)
    n = g.n
    k_max = n // min_size
    if k_max == 0:
        return ExactResult(status="OPTIMAL", objective=0.0, bound=0.0, circles=[])
    m = cp_model.CpModel()
    x = {(v, c): m.new_bool_var(f"x{v}_{c}") for v in range(n) for c in range(min(k_max, v + 1))}
    used = [m.new_bool_var(f"y{c}") for c in range(k_max)]
    for v in range(n):
        m.add(sum(x[v, c] for c in range(min(k_max, v + 1))) <= 1)
    sizes, squares, terms = [], [], []
    labels = obj.labels
    label_values = sorted({lab for lab in labels if lab >= 0})
    for c in range(k_max):
        members = [v for v in range(c, n)]
        size = m.new_int_var(0, max_size, f"s{c}")
        m.add(size == sum(x[v, c] for v in members))
        m.add(size >= min_size).only_enforce_if(used[c])
        m.add(size == 0).only_enforce_if(~used[c])
        if c > 0:
            m.add(used[c] <= used[c - 1])
        sq = m.new_int_var(0, max_size * max_size, f"q{c}")
        m.add_multiplication_equality(sq, [size, size])
        sizes.append(size)
        squares.append(sq)
        for v in members:
            vouchers = [u for u in g.vouchers[v] if u >= c]
            if len(vouchers) < 2:
                m.add(x[v, c] == 0)
            else:
                m.add(sum(x[u, c] for u in vouchers) >= 2).only_enforce_if(x[v, c])
        ties = []
        for (u, v), w in g.weight.items():
            if u >= c and v >= c:
                z = m.new_bool_var(f"z{u}_{v}_{c}")
                m.add_implication(z, x[u, c])
                m.add_implication(z, x[v, c])
                ties.append((z, w))
        cross: cp_model.LinearExprT = 0
        if obj.c_mix and label_values:
            known = m.new_int_var(0, max_size, f"k{c}")
            m.add(known == sum(x[v, c] for v in members if labels[v] >= 0))
            ksq = m.new_int_var(0, max_size * max_size, f"kq{c}")
            m.add_multiplication_equality(ksq, [known, known])
            lab_sq = []
            for lab in label_values:
                cnt = m.new_int_var(0, max_size, f"l{lab}_{c}")
                m.add(cnt == sum(x[v, c] for v in members if labels[v] == lab))
                lsq = m.new_int_var(0, max_size * max_size, f"lq{lab}_{c}")
                m.add_multiplication_equality(lsq, [cnt, cnt])
                lab_sq.append(lsq)
            cross = 0.5 * (ksq - sum(lab_sq))
        # value(size, e, ew, cross) = cp*size + ct*ew - cx*(size^2 - size - 2e) + cm*cross
        terms.append(obj.c_placed * size + obj.c_ties * sum(w * z for z, w in ties)
                     - obj.c_exposure * (sq - size) + 2 * obj.c_exposure * sum(z for z, _ in ties)
                     + (obj.c_mix * cross if obj.c_mix and label_values else 0))
    m.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(m)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(status=name, objective=None, bound=None, circles=[])
    parts = []
    for c in range(k_max):
        members = [v for v in range(c, n) if solver.value(x[v, c])]
        if members:
            parts.append(members)
    check = evaluate(g, parts, min_size, max_size, mix, weights).objective.total
    return ExactResult(status=name, objective=round(check, 6), bound=round(solver.best_objective_bound, 6),
                       circles=[sorted(g.names[v] for v in p) for p in parts], seconds=round(solver.wall_time, 3))


def split_exact(g: TrustGraph, members: Sequence[int], k: int, min_size: int, max_size: int,
                time_limit: float = 5.0) -> list[list[int]] | None:
    """Split ``members`` into ``k`` parts of ``min..max`` where everyone keeps two vouchers inside,
    cutting the least tie strength; ``None`` when impossible (or not found in time)."""
    ms = list(members)
    pos = {v: i for i, v in enumerate(ms)}
    m = cp_model.CpModel()
    x = {(i, c): m.new_bool_var(f"x{i}_{c}") for i in range(len(ms)) for c in range(k)}
    for i in range(len(ms)):
        m.add_exactly_one(x[i, c] for c in range(k))
    m.add(x[0, 0] == 1)
    for c in range(k):
        m.add(sum(x[i, c] for i in range(len(ms))) >= min_size)
        m.add(sum(x[i, c] for i in range(len(ms))) <= max_size)
        for i, v in enumerate(ms):
            vs = [pos[u] for u in g.vouchers[v] if u in pos]
            if len(vs) < 2:
                return None
            m.add(sum(x[j, c] for j in vs) >= 2).only_enforce_if(x[i, c])
    kept = []
    for i, v in enumerate(ms):
        for u in g.contacts[v]:
            j = pos.get(u)
            if j is not None and i < j:
                for c in range(k):
                    z = m.new_bool_var("")
                    m.add_implication(z, x[i, c])
                    m.add_implication(z, x[j, c])
                    kept.append(g.w(u, v) * z)
    m.maximize(sum(kept))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [[v for i, v in enumerate(ms) if solver.value(x[i, c])] for c in range(k)]
