"""Real labelled complaints (../shared/data): classifier evaluation, importer and hotspots on NYC 311."""

from __future__ import annotations

import csv
import io
import re

import halqa.listening as L
from halqa.listening.evaluation import evaluate, load_cfpb, load_nyc311


def test_cfpb_is_deduplicated_and_learnable(shared_data):
    texts, labels, stats = load_cfpb(shared_data / "complaints" / "cfpb-sample")
    assert stats["rows"] == 1000 and stats["duplicates"] == 313 and stats["conflicting_texts"] == 1
    assert len(set(texts)) == len(texts) == stats["kept"]
    res = evaluate(texts, labels, per_class=(10,))
    # Far above the majority-class baseline even with 10 labels per class (fixed split, seed 0).
    assert res["majority_baseline"] < 0.2
    assert res["curve"][0]["labels"] == 50 and res["curve"][0]["macro_f1"] > 0.5
    assert res["full"] > 0.7


NYC_THEMES = {"HEAT/HOT WATER": "heat", "Noise - Residential": "noise", "Illegal Parking": "parking",
              "Noise - Street/Sidewalk": "noise", "Blocked Driveway": "parking", "UNSANITARY CONDITION": "sanitation",
              "Water System": "water", "Street Condition": "roads"}


def _nyc_as_halqa_csv(rows: list[dict[str, str]], known: set[str]) -> tuple[str, int, int, int]:
    """Convert 311 rows to halqa's import CSV: text = descriptor + the raw multi-line location,
    themes from complaint type (unknown types keep their raw slug, to be rejected), place = H3
    res-7 cell (empty when the request has no coordinates), day = the date part."""
    import h3

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["text", "themes", "place", "day", "groups", "tone", "count"])
    expect_kept = no_place = unknown = 0
    for r in rows:
        theme = NYC_THEMES.get(r["complaint_type"]) or re.sub(r"[^a-z0-9]+", "_", r["complaint_type"].lower()).strip("_")
        lat, lon = r["latitude"], r["longitude"]
        place = h3.latlng_to_cell(float(lat), float(lon), 7) if lat and lon else ""
        borough = r["borough"].lower().replace(" ", "_")
        groups = f"borough={borough}" if borough and borough != "unspecified" else ""
        w.writerow([f"{r['descriptor']} {r['location']}", theme, place, r["created_date"][:10], groups, "", ""])
        if not place:
            no_place += 1
        elif theme not in known:
            unknown += 1
        else:
            expect_kept += 1
    return out.getvalue(), expect_kept, no_place, unknown


def test_nyc311_import_and_hotspots(shared_data, vault):
    from datetime import date

    rows = load_nyc311(shared_data / "complaints" / "nyc311-sample")
    assert len(rows) == 1000
    for theme in sorted(set(NYC_THEMES.values()) - {t.id for t in L.themes(vault)}):
        L.add_theme(vault, theme, name_en=theme.title())
    text, expect_kept, no_place, unknown = _nyc_as_halqa_csv(rows, {t.id for t in L.themes(vault)})
    assert text.count("\n") > 1001  # embedded newlines survive the round trip
    assert unknown > 100
    L.add_group_key(vault, "borough")
    report = L.import_grievances(vault, text, fmt="csv", today=date(2024, 4, 17))
    assert report.kept == expect_kept
    reasons = [r["error"] for r in report.rejected]
    assert no_place == 23 and len(reasons) == no_place + unknown
    assert set(reasons) == {"listening.place_missing", "listening.unknown_theme"}
    # Line numbers are physical lines where each record starts (records span several lines).
    lines = text.split("\n")
    for bad in report.rejected:
        assert lines[bad["line"] - 1].split(",")[0] != ""
    assert len(L.list_grievances(vault, theme="noise")) > 100
    spots = L.hotspots(vault, weeks=None)
    assert spots.places and spots.places[0].z > 2
    # Heat complaints (HPD) cluster: the hottest heat cell is significant after FDR.
    heat = L.hotspots(vault, theme="heat", weeks=None)
    assert heat.hot, heat.places[:3]
    shared = L.shared_causes(vault, by=["borough"], min_n=20)
    assert shared.themes[0].theme in {"noise", "parking", "heat"}
    assert "borough=staten_island" in shared.too_few
