"""District shapes (GeoJSON from :func:`halqa.publish.boundaries`) as SVG paths for inline maps.

Presentation only: a projection of the polygons onto a fixed-size drawing, the label point of
each, and the colour class of a Gi* z-score. The schematic demo map is drawn as it is meant to be
(identity, y up); imported boundaries and H3 hexagons, in longitude/latitude, get an
equirectangular projection with the longitude scaled by the cosine of the latitude, which is
exact enough at a city's scale. Holes are drawn by the even-odd rule (the templates set it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from halqa.listening import HotspotPlace

__all__ = ["WIDTH", "shapes", "z_class"]

WIDTH = 600.0
PAD = 6.0

#: Fill and text colours per class: diverging red (hot) to blue (cold), readable in greyscale too.
FILLS = {"hot": ("#b91c1c", "#ffffff"), "warm": ("#fca5a5", "#1f2937"), "none": ("#f3f4f6", "#1f2937"),
         "cool": ("#bfdbfe", "#1f2937"), "cold": ("#1d4ed8", "#ffffff"), "empty": ("#ffffff", "#6b7280")}
WATER = "#e0f2fe"


def z_class(place: HotspotPlace | None) -> str:
    """``hot``/``cold`` when significant (as the domain decided), ``warm``/``cool`` for |z| > 1, else ``none``."""
    if place is None:
        return "empty"
    if place.hot:
        return "hot"
    if place.cold:
        return "cold"
    z = place.z or 0.0
    return "warm" if z > 1 else ("cool" if z < -1 else "none")


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for poly in geometry["coordinates"] for ring in poly]
    return []


def _centroid(ring: list[list[float]]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        c = x0 * y1 - x1 * y0
        a, cx, cy = a + c, cx + (x0 + x1) * c, cy + (y0 + y1) * c
    if abs(a) < 1e-12:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return cx / (3 * a), cy / (3 * a)


def shapes(geo: Mapping[str, Any]) -> dict[str, Any]:
    """``{"width", "height", "frame", "missing", "shapes": [{"code", "kind", "d", "x", "y", "names"}]}``
    in drawing units (y down); no shapes (height 0) if nothing can be drawn. ``missing``: the area
    codes without a shape."""
    features = [f for f in geo.get("features", []) if f.get("geometry") and _rings(f["geometry"])]
    if not features:
        return {"width": WIDTH, "height": 0.0, "frame": geo.get("frame", "none"), "missing": geo.get("missing", []),
                "shapes": []}
    points = [p for f in features for ring in _rings(f["geometry"]) for p in ring]
    if geo.get("frame") in ("h3", "wgs84"):
        lat0 = math.radians(sum(p[1] for p in points) / len(points))
        kx = math.cos(lat0)
    else:
        kx = 1.0
    xs, ys = [p[0] * kx for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = (WIDTH - 2 * PAD) / max(x1 - x0, 1e-9)
    height = (y1 - y0) * scale + 2 * PAD

    def xy(p: list[float]) -> tuple[float, float]:
        return PAD + (p[0] * kx - x0) * scale, PAD + (y1 - p[1]) * scale  # y up on the map, down in SVG

    out = []
    for f in features:
        rings = _rings(f["geometry"])
        d = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, ring)) + " Z" for ring in rings)
        props = f.get("properties", {})
        cx, cy = xy(list(props["label"]) if props.get("label") else list(_centroid(rings[0])))
        out.append({"code": props.get("code", ""), "kind": props.get("kind", "district"), "d": d,
                    "x": round(cx, 1), "y": round(cy, 1),
                    "names": {"code": props.get("code", ""), **{k: v for k, v in props.items() if k.startswith("name_")}}})
    return {"width": WIDTH, "height": round(height, 1), "frame": geo.get("frame", "none"),
            "missing": geo.get("missing", []), "shapes": out}
