"""Area boundaries: a circle's own neighbourhood shapes, checked from GeoJSON and simplified.

A boundary file comes from QGIS, an OpenStreetMap export or a ministry's shapefile converted with
``ogr2ogr -f GeoJSON -t_srs EPSG:4326``. Each feature names one existing area by its code (the
``code`` property, or another named one); its geometry must be a valid Polygon or MultiPolygon in
WGS84 longitude/latitude. Every feature that fails is reported with its reason and the others are
kept (:func:`read_boundaries` checks, :func:`halqa.places.write.import_boundaries` stores).

Each kept shape is stored as an ``area_boundary.put`` event, so it travels to the circle's other
devices like any record, in three levels of detail: as drawn (to about a centimetre), simplified
for a phone's screen and simplified for print. Simplification treats the districts as one
coverage (shapely's ``coverage_simplify``), so neighbours keep one shared border, without gaps.

The packaged schematic map of the fictional demo city is stored the same way by the demo only
(frame ``schematic``); a real import (frame ``wgs84``) hides it.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Required, TypeAlias, TypedDict

import msgspec
from shapely.errors import ShapelyError

from halqa.errors import InvalidInput

if TYPE_CHECKING:
    from shapely.geometry import MultiPolygon, Polygon

__all__ = ["FeatureCollection", "GeoJSON", "ImportResult", "Rejected", "label", "read_boundaries", "simplified"]

#: A GeoJSON object (RFC 7946) as parsed JSON: a geometry, or a FeatureCollection whose features
#: carry ``code``, ``kind``, ``label`` and the three names in their properties, with a ``frame``
#: (``wgs84``, ``schematic`` or ``none``). Kept as the JSON it is, not a struct: shapely, the map
#: drawings of listening and publish, the web API and the browser all read it as that JSON.
GeoJSON: TypeAlias = dict[str, Any]


class FeatureCollection(TypedDict, total=False):
    """District shapes as a GeoJSON FeatureCollection (a mapping, as GeoJSON is everywhere):
    ``frame`` (``wgs84``, ``h3``, ``schematic``) and the area codes ``missing`` a shape; the
    packaged demo map carries its ``name`` and ``halqa`` (frame, units, note) instead."""

    type: Required[str]
    features: Required[list[dict[str, Any]]]
    frame: str
    missing: list[str]
    name: str
    halqa: dict[str, str]

#: Levels of detail a reader may ask for.
DETAILS = ("full", "screen", "paper")
#: Simplification tolerance as a share of the map's extent: about a pixel of a phone's 600-unit
#: drawing, and about a dot of an A3 poster at 300 dpi.
TOLERANCE = {"screen": 1 / 1200, "paper": 1 / 6000}
#: The stored shape keeps coordinates on a grid of 1e-7 degrees (about a centimetre).
GRID = 1e-7
#: CRS names that mean WGS84 longitude/latitude (RFC 7946 has no ``crs`` member; older files do).
WGS84_NAMES = frozenset({"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "epsg:4326",
                         "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:6.6:4326", "crs84", "wgs84",
                         "http://www.opengis.net/def/crs/ogc/1.3/crs84",
                         "http://www.opengis.net/def/crs/epsg/0/4326"})


class Rejected(msgspec.Struct, kw_only=True):
    """A feature left out: its place in the file (1 = first), the code it named, and why
    (a message id of ``places.reject.*`` with its parameters)."""

    feature: int
    code: str
    reason: str
    params: dict[str, str] = msgspec.field(default_factory=dict)


class ImportResult(msgspec.Struct, kw_only=True):
    """What a boundary import kept (area codes) and rejected (each feature with its reason)."""

    kept: list[str]
    rejected: list[Rejected]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """For ``--json`` and pages: each rejection also as a sentence in ``lang``."""
        from halqa.i18n import t

        return {"kept": len(self.kept), "codes": self.kept,
                "rejected": [{**msgspec.structs.asdict(r), "message": t(r.reason, lang=lang, **r.params)}
                             for r in self.rejected]}


class _Bad(Exception):
    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, {k: str(v) for k, v in params.items()}


def _check_crs(doc: dict[str, Any]) -> None:
    crs = doc.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(crs.get("properties"), dict) else None
    if not isinstance(name, str) or name.strip().lower() not in WGS84_NAMES:
        raise InvalidInput("places.error.crs", crs=str(name if name is not None else crs)[:80])


def _position(p: Any) -> tuple[float, float]:
    if not isinstance(p, list) or len(p) not in (2, 3) or \
            not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in p):
        raise _Bad("places.reject.bad_coordinates")
    return float(p[0]), float(p[1])


def _ring(raw: Any) -> list[tuple[float, float]]:
    if not isinstance(raw, list):
        raise _Bad("places.reject.bad_coordinates")
    ring = [_position(p) for p in raw]
    if len(ring) < 4:
        raise _Bad("places.reject.too_few_points")
    if ring[0] != ring[-1]:
        raise _Bad("places.reject.ring_not_closed")
    return ring


def _polygon(raw: Any) -> list[list[tuple[float, float]]]:
    if not isinstance(raw, list) or not raw:
        raise _Bad("places.reject.bad_coordinates")
    return [_ring(r) for r in raw]


#: GEOS's reasons (``shapely.is_valid_reason``) as message ids.
_INVALID = (("Ring Self-intersection", "self_intersection"), ("Self-intersection", "self_intersection"),
            ("Hole lies outside shell", "hole_outside"), ("Holes are nested", "nested"),
            ("Nested shells", "nested"), ("Interior is disconnected", "disconnected"),
            ("Duplicate Rings", "duplicate_rings"), ("Too few points", "too_few_points"))


def _shape(geometry: Any) -> Any:
    """The feature's geometry as a valid shapely (Multi)Polygon in WGS84, or :class:`_Bad`."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        raise _Bad("places.reject.not_polygon", type=kind or "-")
    coords = geometry.get("coordinates")
    polygons = [_polygon(coords)] if geometry["type"] == "Polygon" else (
        [_polygon(p) for p in coords] if isinstance(coords, list) and coords else None)
    if polygons is None:
        raise _Bad("places.reject.bad_coordinates")
    for poly in polygons:
        for lon, lat in (p for ring in poly for p in ring):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise _Bad("places.reject.not_wgs84", lon=f"{lon:.10g}", lat=f"{lat:.10g}")
    shape = MultiPolygon([Polygon(p[0], p[1:]) for p in polygons]) if len(polygons) > 1 or \
        geometry["type"] == "MultiPolygon" else Polygon(polygons[0][0], polygons[0][1:])
    if not shape.is_valid:
        reason = shapely.is_valid_reason(shape)
        where = reason[reason.find("[") + 1:reason.find("]")] if "[" in reason else ""
        msg = next((m for prefix, m in _INVALID if reason.startswith(prefix)), "other")
        raise _Bad(f"places.reject.invalid.{msg}", at=where)
    if shape.is_empty or shape.area <= 0:
        raise _Bad("places.reject.empty")
    return shape


def _code_of(props: Any, code_field: str) -> str:
    if not isinstance(props, dict):
        return ""
    wanted = code_field.lower()
    value = next((v for k, v in props.items() if isinstance(k, str) and k.lower() == wanted), None)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip().upper()


def read_boundaries(data: str | bytes | GeoJSON, known: set[str], code_field: str = "code"
                    ) -> tuple[dict[str, Polygon | MultiPolygon], list[Rejected]]:
    """Check a GeoJSON FeatureCollection: ``({code: shapely shape}, rejected)``. ``known`` are
    the area codes that exist. A file that is not GeoJSON, or whose CRS is not WGS84, raises
    :class:`InvalidInput`; a bad feature is only rejected (the others are kept)."""
    if isinstance(data, str | bytes):
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            raise InvalidInput("places.error.not_json") from None
    else:
        doc = data
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InvalidInput("places.error.not_collection")
    _check_crs(doc)
    kept: dict[str, Polygon | MultiPolygon] = {}
    first: dict[str, int] = {}
    rejected: list[Rejected] = []
    for number, feature in enumerate(doc["features"], 1):
        code = _code_of(feature.get("properties"), code_field) if isinstance(feature, dict) else ""
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise _Bad("places.reject.not_feature")
            if not code:
                raise _Bad("places.reject.no_code", field=code_field)
            if code not in known:
                raise _Bad("places.reject.unknown_area", code=code)
            if code in first:
                raise _Bad("places.reject.duplicate", code=code, first=first[code])
            kept[code] = _shape(feature.get("geometry"))
            first[code] = number
        except _Bad as bad:
            rejected.append(Rejected(feature=number, code=code, reason=bad.reason, params=bad.params))
        except (ValueError, TypeError, RecursionError, ShapelyError):  # what the checks above did not foresee
            rejected.append(Rejected(feature=number, code=code, reason="places.reject.bad_coordinates"))
    return kept, rejected


def simplified(shapes: dict[str, Polygon | MultiPolygon]) -> dict[str, dict[str, GeoJSON]]:
    """For each level of detail, every shape as a GeoJSON geometry (shared borders kept shared)."""
    import shapely

    codes = list(shapes)
    geoms = [shapely.set_precision(shapes[c], GRID) for c in codes]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    kx = math.cos(math.radians((miny + maxy) / 2))
    extent = max((maxx - minx) * kx, maxy - miny, 1e-6)
    out: dict[str, dict[str, Any]] = {c: {"full": json.loads(shapely.to_geojson(g))} for c, g in zip(codes, geoms, strict=True)}
    for detail, share in TOLERANCE.items():
        simple = list(shapely.coverage_simplify(geoms, extent * share))
        for i, (code, geom) in enumerate(zip(codes, geoms, strict=True)):
            if simple[i].is_empty or not simple[i].is_valid:  # not a clean coverage: each on its own
                simple[i] = geom.simplify(extent * share, preserve_topology=True)
            out[code][detail] = json.loads(shapely.to_geojson(simple[i]))
    return out


def label(shape: Any) -> list[float]:
    """A point well inside ``shape`` (of its largest part), for its name."""
    from shapely.ops import polylabel

    part = max(getattr(shape, "geoms", [shape]), key=lambda g: g.area)
    point = polylabel(part, tolerance=max(math.sqrt(part.area) / 100, 1e-9))
    return [round(point.x, 7), round(point.y, 7)]
