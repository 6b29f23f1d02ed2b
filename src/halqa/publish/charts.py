"""Vega-Lite building blocks shaped by a print style: configuration, class colours, maps."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from halqa.places import area_cells
from halqa.places import boundaries as stored_boundaries
from halqa.publish.common import Boundaries, Request, area_names
from halqa.publish.style import font_family

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def config(req: Request) -> dict[str, Any]:
    """Chart configuration: fonts of the language, inks of the style, big type for print."""
    st, s = req.style, req.scale
    font = font_family(req.lang, "ui")
    big = 1.0 if st.name == "screen" else 1.25
    stroke = st.min_stroke
    axis = {"labelFont": font, "titleFont": font, "labelFontSize": 11 * s * big, "titleFontSize": 12 * s * big,
            "labelColor": st.ink, "titleColor": st.ink, "domainColor": st.ink, "tickColor": st.ink,
            "domainWidth": stroke, "tickWidth": stroke, "grid": st.grid, "gridColor": "#d5dde3",
            "gridWidth": 0.8, "titleFontWeight": "bold", "labelFontWeight": "normal" if st.name == "screen" else "bold"}
    return {
        "background": st.paper, "font": font, "view": {"stroke": None},
        "axis": axis,
        "legend": {"labelFont": font, "titleFont": font, "labelFontSize": 11 * s * big, "titleFontSize": 11 * s * big,
                   "labelColor": st.ink, "titleColor": st.ink, "symbolStrokeWidth": stroke, "orient": "bottom",
                   "direction": "horizontal"},
        "header": {"labelFont": font, "titleFont": font, "labelFontSize": 13 * s * big, "labelColor": st.ink,
                   "labelFontWeight": "bold", "title": None},
        "text": {"font": font, "fill": st.ink, "fontSize": 12 * s * big},
        "bar": {"fill": st.ink, "stroke": None},
        "rule": {"stroke": st.accent, "strokeWidth": max(stroke * 1.2, 2.0)},
        "line": {"strokeWidth": max(stroke * 1.2, 2.5), "stroke": st.ink},
        "point": {"filled": True, "size": 90 * s * s * big, "fill": st.ink},
        "geoshape": {"stroke": st.ink, "strokeWidth": max(stroke, 1.5)},
        "range": {"category": list(_category(req))},
    }


def _category(req: Request) -> tuple[str, ...]:
    if req.style.name == "screen":
        return ("#1f5f8b", "#c8102e", "#e08e0b", "#2e8540", "#6a3d9a", "#8c564b", "#4d4d4d", "#17becf")
    if req.style.name == "print2":
        return (req.style.ink, req.style.accent)
    return (req.style.ink,)


def classes(req: Request, values: list[float], breaks: list[float]) -> tuple[list[int], list[str]]:
    """Put values into ``len(breaks)+1`` classes and give each class a solid ink (no gradients)."""
    idx = [sum(v >= b for b in breaks) for v in values]
    n = len(breaks) + 1
    scheme = req.style.scheme
    if req.style.name == "screen":
        step = (len(scheme) - 1) / max(n - 1, 1)
        colours = [scheme[round(i * step)] for i in range(n)]
    elif req.style.name == "print2":
        colours = [scheme[min(round(i * (len(scheme) - 1) / max(n - 1, 1)), len(scheme) - 1)] for i in range(n)]
    else:
        colours = [req.style.paper] * (n - 1) + [req.style.ink] if n <= 2 else \
            [req.style.paper] + [req.style.ink] * (n - 1)
    return idx, colours


def boundaries(req: Request, detail: str = "paper") -> Boundaries:
    """District shapes for the vault's areas, simplified for print (or ``detail``): the shapes stored with the
    areas (imported from GeoJSON, or the demo's schematic map), else areas with an H3 cell drawn
    as that hexagon. Areas with neither are listed in ``missing``."""
    names = area_names(req.vault)
    geo = stored_boundaries(req.vault, detail)
    features: list[dict[str, Any]] = list(geo["features"])
    frame = geo["frame"]
    if frame == "wgs84":
        import shapely
        from shapely.geometry import shape

        for f in features:  # d3's spherical maps fill the complement of a counter-clockwise ring
            f["geometry"] = json.loads(shapely.to_geojson(shapely.orient_polygons(shape(f["geometry"]), exterior_cw=True)))
    h3_cells = {code: cell for code, cell in area_cells(req.vault).items() if cell}
    if not features and h3_cells:
        import h3

        for code, cell in sorted(h3_cells.items()):
            ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
            ring.append(ring[0])
            ring.reverse()  # GeoJSON/d3: clockwise outer rings on the sphere
            features.append({"type": "Feature", "properties": {"code": code, "kind": "district"},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})
        frame = "h3"
    drawn = {f["properties"]["code"] for f in features}
    for f in features:
        p = f["properties"]
        if p["code"] in names:
            p.update({f"name_{k}": v for k, v in names[p["code"]].items() if k in ("ar", "en", "ckb")})
    return {"type": "FeatureCollection", "features": features, "frame": frame,
            "missing": sorted(set(names) - drawn)}


def centroid(feature: dict[str, Any]) -> tuple[float, float]:
    """Where a district's name goes: its stored label point, else the area-weighted centroid of
    its outer ring."""
    if feature["properties"].get("label"):
        x, y = feature["properties"]["label"]
        return float(x), float(y)
    ring = feature["geometry"]["coordinates"][0]
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return cx / (3 * a), cy / (3 * a)


def legend_entries(labels: list[str], colours: list[str]) -> list[tuple[str, str]]:
    """Class labels and their inks, adjacent classes of the same ink merged (``"8–12 h"`` and
    ``"12–16 h"`` in one ink read ``"8–16 h"``, in either order): labels are ``"low–high…"``."""
    out: list[tuple[str, str]] = []
    for label, colour in zip(labels, colours, strict=True):
        if out and out[-1][1] == colour and "–" in label and "–" in out[-1][0]:
            old, new = out[-1][0].split("–", 1), label.split("–", 1)
            merged = new[0] + "–" + old[1] if new[1].startswith(old[0]) else old[0] + "–" + new[1]
            out[-1] = (merged, colour)
        else:
            out.append((label, colour))
    return out


def _extent(feature: dict[str, Any]) -> tuple[float, float]:
    xs, ys = zip(*feature["geometry"]["coordinates"][0], strict=True)
    return max(xs) - min(xs), max(ys) - min(ys)


def map_layers(req: Request, geo: Boundaries, values: dict[str, dict[str, Any]], width: float, height: float,
               fill_field: str = "fill", label_field: str = "label", legend: list[tuple[str, str]] | None = None,
               legend_title: str | None = None) -> dict[str, Any]:
    """A district map: filled shapes (fill colour per district given in ``values``), water, and
    two-line labels at centroids; with ``legend`` (class label, ink) pairs, a legend of the
    classes (every fill in ``values`` should be one of its inks). No basemap, no tiles."""
    projection: dict[str, Any] = ({"type": "identity", "reflectY": True} if geo["frame"] == "schematic"
                                  else {"type": "mercator"})
    shapes = []
    labels = []
    for f in geo["features"]:
        p = f["properties"]
        v = values.get(p["code"], {})
        is_water = p.get("kind") == "water"
        colour = ("#cfe3f0" if req.style.name == "screen" else req.style.paper) if is_water else v.get(fill_field, req.style.paper)
        shapes.append({"type": "Feature", "geometry": f["geometry"],
                       "properties": {"code": p["code"], "fill": colour, "water": is_water}})
        x, y = centroid(f)
        name = p.get(f"name_{req.lang}", p["code"])
        w, h = _extent(f) if geo["frame"] == "schematic" else (1.0, 1.0)
        labels.append({"lon": x, "lat": y, "name": name, "value": "" if is_water else v.get(label_field, ""),
                       "dark": bool(v.get("dark", False)), "water": is_water,
                       "angle": -90 if is_water and h > 2 * w else 0})  # thin water: along its length
    s = req.scale * (1.0 if req.style.name == "screen" else 1.2)
    stroke = max(req.style.min_stroke * 1.4, 2.5)
    fill: dict[str, Any] = {"field": "properties.fill", "type": "nominal", "scale": None}
    if legend:
        names: dict[str, str] = {}
        for lab, c in legend:
            names.setdefault(c, lab)
        for shape in shapes:
            v = values.get(shape["properties"]["code"], {})
            shape["properties"]["class"] = v.get("class") or names.get(shape["properties"]["fill"], "")
        fill = {"condition": {"test": "datum.properties.water", "value": next(
                    (x["properties"]["fill"] for x in shapes if x["properties"]["water"]), req.style.paper)},
                "field": "properties.class", "type": "nominal", "title": legend_title,
                "scale": {"domain": [lab for lab, _ in legend], "range": [c for _, c in legend]},
                "legend": {"symbolType": "square", "symbolSize": 260 * s * s, "symbolStrokeColor": req.style.ink,
                           "symbolStrokeWidth": max(req.style.min_stroke, 1.2), "symbolFillColor": None,
                           "labelFontSize": 12 * s, "titleFontSize": 12 * s, "orient": "bottom", "direction": "horizontal",
                           "columns": min(len(legend), 3), "columnPadding": 18 * s, "rowPadding": 6 * s,
                           "labelLimit": 400, "titleLimit": 600}}
    return {
        "width": width, "height": height, "projection": projection,
        "layer": [
            {"data": {"values": shapes}, "mark": {"type": "geoshape", "stroke": req.style.ink, "strokeWidth": stroke},
             "encoding": {"fill": fill,
                          "strokeDash": {"condition": {"test": "datum.properties.water", "value": [6, 6]}, "value": []}}},
            {"data": {"values": [x for x in labels if x["water"]]}, "mark": {"type": "text", "fontSize": 12 * s},
             "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                          "latitude": {"field": "lat", "type": "quantitative"},
                          "text": {"field": "name"}, "angle": {"field": "angle", "type": "quantitative", "scale": None},
                          "fill": {"value": req.style.ink}}},
            {"data": {"values": [x for x in labels if not x["water"]]},
             "mark": {"type": "text", "fontSize": 13 * s, "fontWeight": "bold", "dy": -9 * s},
             "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                          "latitude": {"field": "lat", "type": "quantitative"},
                          "text": {"field": "name"},
                          "fill": {"condition": {"test": "datum.dark", "value": req.style.paper},
                                   "value": req.style.ink}}},
            {"data": {"values": [x for x in labels if not x["water"]]},
             "mark": {"type": "text", "fontSize": 16 * s, "fontWeight": "bold", "dy": 12 * s},
             "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                          "latitude": {"field": "lat", "type": "quantitative"},
                          "text": {"field": "value"},
                          "fill": {"condition": {"test": "datum.dark", "value": req.style.paper},
                                   "value": req.style.ink}}},
        ],
    }


def is_dark(colour: str) -> bool:
    """Whether text on this fill should be paper-coloured."""
    c = colour.lstrip("#")
    if len(c) != 6:
        return False
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b < 120


def chart_spec(body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "padding": 4, **body}
