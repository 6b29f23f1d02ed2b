"""Maps from a circle's own boundaries: the hotspots page and the map posters draw the imported
GeoJSON; a vault without shapes gets a note, never the demo's schematic city."""

from __future__ import annotations

import re

import halqa.publish as publish
from halqa.web import geo


def test_hotspots_page_draws_the_imported_districts(client, filled):
    client.get("/lang?to=ar")
    html = client.get("/listen/hotspots").text
    paths = re.findall(r'<path d="(M[^"]+)" fill-rule="evenodd"', html)
    assert len(paths) == 2  # JSR and SUQ from tests/places/data/neighbourhood.geojson
    assert "حي الجسر" in html and "حي السوق" in html
    assert "تخطيطية" not in html  # not the demo's schematic map
    assert "أحياء بلا حدود" not in html  # both test districts have a shape
    drawing = geo.shapes(publish.boundaries(filled, "screen"))
    assert drawing["frame"] == "wgs84" and 100 < drawing["height"] < 2000
    for s in drawing["shapes"]:
        xs = [float(v) for v in re.findall(r"[ML](-?[\d.]+),", s["d"])]
        assert min(xs) >= 0 and max(xs) <= geo.WIDTH


def test_no_shapes_no_map_but_a_way_to_add_them(vault):
    from starlette.testclient import TestClient

    import halqa.places as places
    from halqa.web import create_app
    from halqa.web.security import COOKIE_DEVICE
    from halqa.web.state import WebState

    places.add_area(vault, "JSR", "حي الجسر")
    places.add_area(vault, "SUQ", "حي السوق")
    own = WebState(vault.path)
    c = TestClient(create_app(vault.path, state=own, vault=vault), base_url="http://127.0.0.1:8765")
    c.cookies.set(COOKIE_DEVICE, own.devices.issue("t", role="organiser"))
    html = c.get("/listen/hotspots").text
    assert "<figure class=\"map\">" not in html and "halqa places import-boundaries" in html
    one = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "JSR"}, "geometry": {
        "type": "Polygon", "coordinates": [[[44.0, 33.0], [44.01, 33.0], [44.01, 33.01], [44.0, 33.0]]]}}]}
    assert places.import_boundaries(vault, one).kept == ["JSR"]
    html = c.get("/listen/hotspots").text
    assert "<figure class=\"map\">" in html and "أحياء بلا حدود على الخريطة: حي السوق" in html


def test_map_posters_use_the_imported_shapes(filled):
    fig = publish.figure(filled, "hotspots", lang="ar,en")
    layer = fig.spec["layer"][0]
    assert fig.spec["projection"]["type"] == "mercator"
    codes = {s["properties"]["code"] for s in layer["data"]["values"]}
    assert codes == {"JSR", "SUQ"}
