"""Real networks: Banerjee et al. (2013) Karnataka villages 1 and 2 (skipped without ../shared/data)."""

import csv

import numpy as np
import pytest

from halqa.circles import TrustGraph, baseline_leiden, baseline_metis, evaluate, form

from .helpers import check_lattice


def load_village(shared_data, vil: int) -> TrustGraph:
    folder = shared_data / "networks" / "karnataka-villages"
    adj = np.loadtxt(folder / f"adj_allVillageRelationships_vilno_{vil}.csv", delimiter=",", dtype=np.int8)
    np.fill_diagonal(adj, 0)  # the matrices carry a few self-loops (PROVENANCE.md)
    keys = [line.strip() for line in (folder / f"key_vilno_{vil}.csv").read_text().split() if line.strip()]
    labels = {}
    with (folder / "india_village_individual_characteristics.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["village"] == str(vil) and row["caste"]:
                labels[f"p{row['pid']}"] = {"caste": row["caste"]}
    names = [f"p{k}" for k in keys]
    rows, cols = np.nonzero(np.triu(adj, 1))
    return TrustGraph.build(names, [(names[i], names[j], 3) for i, j in zip(rows, cols, strict=True)], labels=labels)


@pytest.mark.shared_data
@pytest.mark.parametrize("vil", [1, 2])
def test_village_beats_baselines(shared_data, vil):
    g = load_village(shared_data, vil)
    assert g.n == {1: 843, 2: 877}[vil] and g.m == {1: 3398, 2: 3057}[vil]
    f = form(g, 5, 7, mix="caste", seed=1, exact=False, time_limit=20)
    check_lattice(g, f.circles.values(), f.unplaced, 5, 7)
    ours = f.objective.total
    for parts in (baseline_metis(g), baseline_leiden(g)):
        base = evaluate(g, parts, 5, 7, "caste")
        assert ours > base.objective.total
        assert f.metrics.placed_share >= base.metrics.placed_share - 0.01 or ours > base.objective.total
    assert f.metrics.placed_share > 0.8
    assert f.metrics.ties_inside_share > 0.3
