"""Writing the places: areas, households, imported boundaries and the demo's schematic map."""

from __future__ import annotations

import os
import random
import secrets

from halqa.errors import InvalidInput, NotFound
from halqa.places.boundaries import FeatureCollection, GeoJSON, ImportResult, label, read_boundaries, simplified
from halqa.places.events import AreaPut, BoundaryPut, HouseholdPut, check_area_code
from halqa.places.read import area_codes, area_exists
from halqa.vault import Vault

_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"


def new_pseudonym(prefix: str = "hh", rng: random.Random | None = None) -> str:
    """A short random pseudonym such as ``hh-7qk2`` (no names, nothing to link to a person)."""
    pick = rng.choice if rng is not None else secrets.choice
    return f"{prefix}-" + "".join(pick(_ALPHABET) for _ in range(4))


def add_area(vault: Vault, code: str, name_ar: str, name_en: str = "", name_ckb: str = "",
             city: str = "", h3: str | None = None) -> None:
    """Record (or update) an area by its code."""
    code = check_area_code(code.strip().upper())
    vault.append("area.put", AreaPut(code=code, name_ar=name_ar, name_en=name_en or code,
                                     name_ckb=name_ckb or name_ar, city=city, h3=h3))


def add_household(vault: Vault, area: str, pseudonym: str | None = None, size: int | None = None,
                  joined: str = "") -> str:
    """Record a household in a known area; returns its pseudonym."""
    area = area.strip().upper()
    if not area_exists(vault, area):
        raise NotFound("error.unknown_area", code=area)
    hid = pseudonym or new_pseudonym()
    vault.append("household.put", HouseholdPut(id=hid, area=area, size=size, joined=joined))
    return hid


def import_boundaries(vault: Vault, source: str | os.PathLike[str] | bytes | GeoJSON,
                      code_field: str = "code") -> ImportResult:
    """Import area shapes from a GeoJSON file (a path, its bytes or the parsed object): every
    good feature replaces its area's boundary, every bad one is reported with its reason."""
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as fh:
                source = fh.read()
        except OSError:
            raise InvalidInput("error.file_missing", path=str(source)) from None
    shapes, rejected = read_boundaries(source, set(area_codes(vault)), code_field)
    if shapes:
        detail = simplified(shapes)
        with vault.transaction() as tx:
            for code, shape in shapes.items():
                tx.append("area_boundary.put", BoundaryPut(
                    code=code, geometry=detail[code]["full"], screen=detail[code]["screen"],
                    paper=detail[code]["paper"], label=label(shape)))
    return ImportResult(kept=list(shapes), rejected=rejected)


def store_schematic(vault: Vault, geo: FeatureCollection) -> None:
    """Store the demo's schematic map (drawing units, not WGS84; already simple)."""
    from shapely.geometry import shape as to_shape

    with vault.transaction() as tx:
        for f in geo["features"]:
            p = f["properties"]
            tx.append("area_boundary.put", BoundaryPut(
                code=p["code"], kind=p.get("kind", "district"), frame="schematic", geometry=f["geometry"],
                screen=f["geometry"], paper=f["geometry"], label=label(to_shape(f["geometry"])),
                name_ar=p.get("name_ar", ""), name_ckb=p.get("name_ckb", ""), name_en=p.get("name_en", "")))
