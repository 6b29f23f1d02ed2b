"""Reading the places back: areas, households and the stored area boundaries.

With :mod:`halqa.places.events`, the only module whose SQL names the places' tables; every other
domain reads places through these functions.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.places.boundaries import DETAILS, FeatureCollection
from halqa.vault import Vault


class Area(msgspec.Struct, frozen=True, kw_only=True):
    """An area (neighbourhood) by its code: names in three languages, city, coarse H3 cell
    (``None`` when unset) and the number of households enrolled in it."""

    code: str
    name_ar: str | None
    name_ckb: str | None
    name_en: str | None
    city: str | None
    h3: str | None
    households: int


class Household(msgspec.Struct, frozen=True, kw_only=True):
    """An enrolled household: its pseudonym, area, size and the day it joined (``None`` when unset)."""

    id: str
    area: str | None
    size: int | None
    joined: str | None


def areas(vault: Vault) -> list[Area]:
    """All areas with their household counts."""
    rows = vault.query("SELECT a.code, a.name_ar, a.name_ckb, a.name_en, a.city, a.h3, "
                       "(SELECT count(*) FROM household h WHERE h.area = a.code) FROM area a ORDER BY a.code")
    return [Area(code=r[0], name_ar=r[1], name_ckb=r[2], name_en=r[3], city=r[4], h3=r[5], households=int(r[6]))
            for r in rows]


def area_codes(vault: Vault) -> list[str]:
    """Every area's code, sorted."""
    return [r[0] for r in vault.query("SELECT code FROM area ORDER BY code")]


def area_exists(vault: Vault, code: str) -> bool:
    """Whether an area with this (already normalised) code is recorded."""
    return vault.query_one("SELECT 1 FROM area WHERE code = ?", (code,)) is not None


def area_cells(vault: Vault) -> dict[str, str | None]:
    """Each area's coarse H3 cell (``None`` when it has none), by code."""
    return {r[0]: r[1] or None for r in vault.query("SELECT code, h3 FROM area ORDER BY code")}


def household_area(vault: Vault, household: str) -> str | None:
    """The area a household is enrolled in, or ``None`` for an unknown household."""
    row = vault.query_one("SELECT area FROM household WHERE id = ?", (household,))
    return None if row is None else str(row[0])


def household_areas(vault: Vault, area: str | None = None) -> dict[str, str]:
    """Every enrolled household's area (of one area only, when given), in household order."""
    sql, args = "SELECT id, area FROM household", []
    if area:
        sql, args = sql + " WHERE area = ?", [area]
    return {r[0]: r[1] for r in vault.query(sql + " ORDER BY id", args)}


_HOUSEHOLD = "SELECT id, area, size, joined FROM household"


def _household(row: Any) -> Household:
    return Household(id=row[0], area=row[1], size=row[2], joined=row[3])


def households(vault: Vault, area: str | None = None, limit: int | None = None) -> list[Household]:
    """Enrolled households by pseudonym (of one ``area``; the first ``limit`` only)."""
    sql = _HOUSEHOLD
    args: tuple[Any, ...] = ()
    if area:
        sql, args = sql + " WHERE area = ?", (area.upper(),)
    if limit is not None:
        sql, args = sql + " ORDER BY id LIMIT ?", (*args, int(limit))
    else:
        sql += " ORDER BY id"
    return [_household(r) for r in vault.query(sql, args)]


def find_household(vault: Vault, household: str) -> Household | None:
    """One enrolled household by pseudonym, or None (no list of every household needed)."""
    row = vault.query_one(_HOUSEHOLD + " WHERE id = ?", (household,))
    return _household(row) if row is not None else None


def boundaries(vault: Vault, detail: str = "screen") -> FeatureCollection:
    """The stored area shapes as a GeoJSON FeatureCollection with a ``frame`` (``wgs84``,
    ``schematic``, or ``none`` when nothing is stored). ``detail``: ``full``, ``screen`` or
    ``paper``. Imported (WGS84) shapes hide the demo's schematic ones."""
    if detail not in DETAILS:
        raise InvalidInput("error.invalid_input")
    column = "geometry" if detail == "full" else detail
    rows = vault.query(f'SELECT code, kind, frame, "{column}" AS g, label, name_ar, name_ckb, name_en '
                       "FROM area_boundary ORDER BY kind, code")
    frames = {r["frame"] for r in rows}
    frame = "wgs84" if "wgs84" in frames else ("schematic" if frames else "none")
    features = []
    for r in rows:
        if r["frame"] != frame:
            continue
        props: dict[str, Any] = {"code": r["code"], "kind": r["kind"], "label": json.loads(r["label"])}
        props.update({k: r[k] for k in ("name_ar", "name_ckb", "name_en") if r[k]})
        features.append({"type": "Feature", "properties": props, "geometry": json.loads(r["g"])})
    return {"type": "FeatureCollection", "frame": frame, "features": features}
