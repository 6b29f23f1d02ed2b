"""Area boundaries from GeoJSON: every bad feature rejected with its reason, good ones kept, stored
as events (so they sync), simplified without gaps, and drawn by the maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

import halqa.places as places
from halqa.errors import InvalidInput
from halqa.i18n import LANGUAGES, t
from tests.conftest import new_vault

FILE = Path(__file__).parent / "data" / "neighbourhood.geojson"
CODES = ("JSR", "SUQ", "NKH", "MNA", "SHT", "MAM")


@pytest.fixture
def areas(vault):
    for code in CODES:
        places.add_area(vault, code, f"حي {code}", name_en=code)
    return vault


def test_the_hand_made_file_keeps_the_good_and_names_every_bad(areas):
    result = places.import_boundaries(areas, FILE)
    assert result.kept == ["JSR", "SUQ", "NKH"]
    why = {r.feature: (r.code, r.reason) for r in result.rejected}
    assert why == {
        4: ("ZZZ", "places.reject.unknown_area"),
        5: ("MNA", "places.reject.invalid.self_intersection"),
        6: ("SHT", "places.reject.not_polygon"),
        7: ("MAM", "places.reject.not_wgs84"),
        8: ("", "places.reject.no_code"),
        9: ("JSR", "places.reject.duplicate"),
        10: ("MAM", "places.reject.ring_not_closed"),
    }
    out = result.to_dict("ar")
    assert out["kept"] == 3 and len(out["rejected"]) == 7
    assert out["rejected"][0]["message"] == "لا توجد منطقة بالرمز 'ZZZ' (أضف المنطقة أولاً)"
    for lang in LANGUAGES:  # every reason is a sentence in every language, parameters filled
        for r in result.rejected:
            text = t(r.reason, lang=lang, **r.params)
            assert text != r.reason and "{" not in text


def test_boundaries_are_events_and_simplified_without_gaps(areas):
    before = areas.query_one("SELECT count(*) FROM events")[0]
    places.import_boundaries(areas, FILE)
    kinds = [r[0] for r in areas.query("SELECT kind FROM events")][before:]
    assert kinds == ["area_boundary.put"] * 3
    full, screen, paper = (places.boundaries(areas, d) for d in ("full", "screen", "paper"))
    assert full["frame"] == screen["frame"] == "wgs84"
    src = {f["properties"]["code"].upper(): shape(f["geometry"]) for f in json.loads(FILE.read_text())["features"][:3]}
    for geo in (full, screen, paper):
        shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in geo["features"]}
        assert set(shapes) == {"JSR", "SUQ", "NKH"}
        for code, s in shapes.items():
            assert s.is_valid and abs(s.area - src[code].area) / src[code].area < 0.05
        # the two districts still share one border: no gap, no overlap
        assert shapes["JSR"].intersection(shapes["SUQ"]).area < 1e-12
        assert shapes["JSR"].buffer(1e-9).intersects(shapes["SUQ"])
        assert shapes["JSR"].intersection(shapes["SUQ"]).length > 0.015
    nkh = next(f for f in screen["features"] if f["properties"]["code"] == "NKH")
    assert nkh["geometry"]["type"] == "MultiPolygon"
    assert shape(nkh["geometry"]).contains(shapely.Point(nkh["properties"]["label"]))


def test_dense_shapes_are_lighter_on_a_screen_than_on_paper(areas):
    """A traced border of 2,000 points: the phone gets a fraction of them, print more, and the
    drawing stays within a pixel of the original."""
    circle = shapely.Point(44.4, 33.3).buffer(0.01, quad_segs=500)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "JSR"}, "geometry": json.loads(shapely.to_geojson(circle))}]}
    assert places.import_boundaries(areas, doc).kept == ["JSR"]
    n = {d: len(shapely.get_coordinates(shape(places.boundaries(areas, d)["features"][0]["geometry"])))
         for d in ("full", "screen", "paper")}
    assert n["full"] > 2000 and n["screen"] < n["paper"] < n["full"] and n["screen"] < 400
    screen = shape(places.boundaries(areas, "screen")["features"][0]["geometry"])
    assert screen.hausdorff_distance(circle) < 0.02 / 600 * 2  # about a pixel of a 600-unit drawing


def test_boundaries_travel_in_a_bundle(areas, tmp_path):
    """Stored as events, the shapes reach the circle's other device like any record."""
    from halqa.vault import export_commits

    from ..conftest import ingest_from_devices as ingest

    places.import_boundaries(areas, FILE)
    other = new_vault(tmp_path, "other")
    try:
        ingest(other, export_commits(areas))
        assert places.boundaries(other) == places.boundaries(areas)
    finally:
        other.close()


def test_a_real_import_hides_the_demo_map(areas):
    from halqa.places.write import store_schematic

    store_schematic(areas, places.demo_map())
    assert places.boundaries(areas)["frame"] == "schematic"
    places.import_boundaries(areas, FILE)
    geo = places.boundaries(areas)
    assert geo["frame"] == "wgs84" and {f["properties"]["code"] for f in geo["features"]} == {"JSR", "SUQ", "NKH"}


def test_a_real_circle_without_shapes_gets_no_demo_map(areas):
    """The schematic map is the demo's: a circle whose areas share the demo's codes sees none of it."""
    import halqa.publish as publish

    assert places.boundaries(areas) == {"type": "FeatureCollection", "frame": "none", "features": []}
    geo = publish.boundaries(areas)
    assert geo["features"] == [] and geo["missing"] == sorted(CODES)
    places.import_boundaries(areas, FILE)
    geo = publish.boundaries(areas)
    assert geo["frame"] == "wgs84" and geo["missing"] == ["MAM", "MNA", "SHT"]
    for f in geo["features"]:  # wound clockwise for d3's spherical maps
        polys = shape(f["geometry"]).geoms if f["geometry"]["type"] == "MultiPolygon" else [shape(f["geometry"])]
        assert all(not p.exterior.is_ccw for p in polys)


@pytest.mark.parametrize("doc, msg", [
    (b"{not json", "places.error.not_json"),
    (b'{"type": "Feature"}', "places.error.not_collection"),
    (b'{"type": "FeatureCollection", "features": [], "crs": {"type": "name", "properties": {"name": "EPSG:32638"}}}',
     "places.error.crs"),
])
def test_a_file_that_is_not_wgs84_geojson_is_refused(areas, doc, msg):
    with pytest.raises(InvalidInput) as err:
        places.import_boundaries(areas, doc)
    assert err.value.msg_id == msg


def test_cli_import_boundaries(areas, cli):
    areas.close()
    code, out = cli("places", "import-boundaries", str(FILE), "--json")
    assert code == 0
    d = json.loads(out)
    assert d["kept"] == 3 and d["codes"] == ["JSR", "SUQ", "NKH"]
    assert [(r["feature"], r["reason"]) for r in d["rejected"]][:2] == [
        (4, "places.reject.unknown_area"), (5, "places.reject.invalid.self_intersection")]
    code, out = cli("--lang", "ar", "places", "import-boundaries", str(FILE))
    assert code == 0
    assert out.splitlines()[0] == "الحدود المحفوظة: 3. المعالم المرفوضة: 7."
    assert "المعلم 4 (ZZZ): لا توجد منطقة بالرمز 'ZZZ' (أضف المنطقة أولاً)" in out
    bad = json.loads(FILE.read_text())
    bad["features"] = [f for f in bad["features"][3:] if f["properties"].get("code") != "JSR"]
    (Path(areas.path).parent / "bad.geojson").write_text(json.dumps(bad))
    code, out = cli("places", "import-boundaries", str(Path(areas.path).parent / "bad.geojson"), "--json")
    assert code == 2 and json.loads(out)["kept"] == 0


# ---------------------------------------------------------------------------- the parser, fuzzed
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 1000), st.booleans(),
                    st.text(max_size=3), st.none())
positions = st.one_of(st.lists(numbers, max_size=4), numbers)
rings = st.one_of(st.lists(positions, max_size=8), positions)
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                           max_leaves=20)
geometries = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]),
                           "coordinates": st.one_of(st.lists(rings, max_size=3), st.lists(st.lists(rings, max_size=3), max_size=3),
                                                    json_values)}),
    json_values)
features = st.one_of(
    st.fixed_dictionaries({"type": st.just("Feature"),
                           "properties": st.one_of(st.fixed_dictionaries({"code": st.sampled_from(["JSR", "suq", "X", 7, ""])}),
                                                   json_values),
                           "geometry": geometries}),
    json_values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(features, max_size=6))
def test_every_feature_is_kept_or_rejected_with_a_known_reason(feats):
    doc = {"type": "FeatureCollection", "features": feats}
    kept, rejected = places.read_boundaries(json.dumps(doc), {"JSR", "SUQ"})
    assert len(kept) + len(rejected) == len(feats)
    assert [r.feature for r in rejected] == sorted(r.feature for r in rejected)
    for r in rejected:
        assert r.reason.startswith("places.reject.") and t(r.reason, lang="en") != r.reason
    for code, geom in kept.items():
        assert code in {"JSR", "SUQ"} and geom.is_valid and geom.area > 0


squares = st.tuples(st.floats(-179, 178), st.floats(-89, 88), st.floats(1e-4, 1.0))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(squares, min_size=1, max_size=4))
def test_good_squares_are_always_kept(boxes):
    feats = []
    for i, (x, y, d) in enumerate(boxes):
        ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
        feats.append({"type": "Feature", "properties": {"code": f"A{i}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    kept, rejected = places.read_boundaries({"type": "FeatureCollection", "features": feats}, {f"A{i}" for i in range(4)})
    assert not rejected and len(kept) == len(boxes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(44.0, 44.05), st.floats(33.0, 33.05), st.floats(1e-4, 0.03)), min_size=1, max_size=4))
def test_whatever_is_kept_is_stored_valid_at_every_detail(areas, boxes):
    """Overlapping or tiny shapes (not a clean coverage) still simplify to valid shapes."""
    feats = [{"type": "Feature", "properties": {"code": CODES[i]}, "geometry": {"type": "Polygon", "coordinates": [
        [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}} for i, (x, y, d) in enumerate(boxes)]
    result = places.import_boundaries(areas, {"type": "FeatureCollection", "features": feats})
    assert len(result.kept) == len(boxes)
    for detail in ("full", "screen", "paper"):
        geo = places.boundaries(areas, detail)
        assert {f["properties"]["code"] for f in geo["features"]} >= set(result.kept)
        assert all(shape(f["geometry"]).is_valid for f in geo["features"])


@given(st.text(max_size=50) | st.binary(max_size=50))
def test_any_bytes_are_geojson_or_a_clear_error(data):
    try:
        places.read_boundaries(data, {"JSR"})
    except InvalidInput as err:
        assert err.msg_id.startswith("places.error.")
