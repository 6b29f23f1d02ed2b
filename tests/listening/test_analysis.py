"""Shared causes, hotspots and trends on data built so that the right answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import halqa.listening as L
from halqa.errors import InvalidInput
from halqa.listening.analysis import ListeningData


def _data(rows: list[tuple[str, str, str, list[str], int]], borders=None, areas=None) -> ListeningData:
    """rows: (place, day, sect, themes, count)."""
    g = pd.DataFrame({"id": [f"g{i}" for i in range(len(rows))], "place": [r[0] for r in rows],
                      "day": pd.to_datetime([r[1] for r in rows]), "count": [r[4] for r in rows],
                      "tone": None, "group.sect": [r[2] for r in rows]})
    t = pd.DataFrame([(i, th) for i, r in enumerate(rows) for th in r[3]], columns=["row", "theme"])
    return ListeningData(g, t, areas, borders)


def test_shared_beats_loud_but_local():
    rng = np.random.default_rng(0)
    rows = []
    for place in ["A", "B", "C", "D"]:
        for sect in ["x", "y"]:
            for _ in range(40):
                themes = []
                if rng.random() < 0.35:
                    themes.append("electricity")  # everywhere, moderately
                if place == "A" and rng.random() < 0.95:
                    themes.append("wages")  # very loud in A only
                rows.append((place, "2026-01-05", sect, themes or ["prices"], 1))
    rows += [("E", "2026-01-05", "z", ["electricity"], 1)] * 3  # a tiny group
    res = L.shared_causes(_data(rows), by=["district", "sect"], min_n=10)
    assert next(t.theme for t in res.themes) == "electricity"
    wages = next(t for t in res.themes if t.theme == "wages")
    elec = res.themes[0]
    assert wages.score == 0.0 and wages.groups["district=A"].prevalence > 0.9
    assert elec.score > 0.1
    assert sorted(res.too_few) == ["district=E", "sect=z"]
    for g in elec.groups.values():
        assert 0 <= g.low <= g.prevalence <= g.high <= 1 and g.n >= 10
        # The score is a joint lower bound: never above any group's own 95% lower bound.
        assert elec.score <= g.low + 1e-9
    assert set(elec.groups) == {f"district={p}" for p in "ABCD"} | {"sect=x", "sect=y"}


def test_intervals_shrink_with_more_records():
    small = [("A", "2026-01-05", "x", ["water"] if i % 2 else ["rent"], 1) for i in range(20)]
    big = [("A", "2026-01-05", "x", ["water"] if i % 2 else ["rent"], 1) for i in range(2000)]
    w_small = next(t for t in L.shared_causes(_data(small)).themes if t.theme == "water").groups["district=A"]
    w_big = next(t for t in L.shared_causes(_data(big)).themes if t.theme == "water").groups["district=A"]
    assert w_big.high - w_big.low < (w_small.high - w_small.low) / 5
    assert abs(w_big.prevalence - 0.5) < 1e-9


def test_shared_bad_input():
    d = _data([("A", "2026-01-05", "x", ["water"], 1)])
    with pytest.raises(InvalidInput):
        L.shared_causes(d, by=["caste"])
    with pytest.raises(InvalidInput):
        L.shared_causes(d, by=[])


def test_gi_star_finds_a_cluster_of_h3_cells():
    import h3

    centre = h3.latlng_to_cell(30.51, 47.81, 7)
    ring = set(h3.grid_disk(centre, 1))
    far = [c for c in h3.grid_disk(centre, 6) if h3.grid_distance(centre, c) >= 4]
    rows = []
    for c in ring:
        rows += [(c, "2026-03-02", "x", ["water"], 3)] * 10
    for c in far:
        rows += [(c, "2026-03-02", "x", ["water"], 1)]
    res = L.hotspots(_data(rows), weeks=None, ring=1)
    assert centre in res.hot
    assert set(res.hot) <= ring
    assert all(p not in res.hot for p in far)
    top = res.places[0]
    assert top.place in ring and top.z > 3 and top.q < 0.05


def test_hotspots_use_declared_borders_and_the_window():
    rows = [("A", "2026-03-02", "x", ["water"], 1)] * 30 + [("Z", "2025-01-01", "x", ["water"], 1)] * 50
    rows += [("B", "2025-01-01", "x", ["water"], 1)]
    d = _data(rows, borders=[("A", "B"), ("A", "Q")])
    res = L.hotspots(d, weeks=4)
    by = {p.place: p for p in res.places}
    assert by["A"].hearings == 30 and by["Z"].hearings == 0 and by["B"].hearings == 0
    assert by["A"].neighbours == ["B"] and by["B"].neighbours == ["A"] and "Z" in res.isolated
    assert res.window == {"from": "2026-02-03", "until": "2026-03-02"}


def test_place_week_counts_and_trends():
    rows = []
    for week in range(8):
        day = (pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * week + 2)).date().isoformat()
        rows += [("A", day, "x", ["water"], 1)] * (2 + 3 * week)
        rows += [("A", day, "x", ["rent"], 1)] * 5
    d = _data(rows)
    pw = L.place_week_counts(d, theme="water")
    assert list(pw["week"])[:2] == ["2026-01-05", "2026-01-12"] and list(pw["hearings"])[:2] == [2, 5]
    trends = {t.theme: t for t in L.theme_trends(d, weeks=8)}
    assert trends["water"].direction == "rising" and trends["water"].weekly == [2 + 3 * w for w in range(8)]
    assert trends["rent"].direction == "flat"


def test_from_the_vault(areas_vault):
    for place, sect in [("NKH", "shia"), ("SUQ", "sunni")] * 12:
        L.add_grievance(areas_vault, themes=["electricity"], place=place, day="2026-02-02", groups={"sect": sect})
    L.set_border(areas_vault, "NKH", "SUQ")
    data = L.load_data(areas_vault)
    assert len(data.grievances) == 24 and list(data.grievances["group.sect"].unique()) in (["shia", "sunni"], ["sunni", "shia"])
    res = L.shared_causes(areas_vault, by=["sect", "district"])
    assert res.themes[0].theme == "electricity" and res.themes[0].score > 0.7
    spots = L.hotspots(areas_vault)
    assert {p.place for p in spots.places} == {"NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"}
    assert next(p for p in spots.places if p.place == "NKH").neighbours == ["SUQ"]
