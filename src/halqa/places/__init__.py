"""Places and households: the coarse, pseudonymous vocabulary every domain shares.

An *area* is a neighbourhood code (``NKH``) with names in Arabic, Sorani and English and an
optional coarse H3 cell; never a street address or GPS point. A *household* is a pseudonym
(``hh-7qk2``) living in an area. Listening, the ledger, circles and mutual aid all refer to
these ids, so they live here, one level above the vault. An area may have a *boundary*, its
shape imported from GeoJSON (:mod:`halqa.places.boundaries`), drawn by every map.
"""

from __future__ import annotations

import json
import random
import re
import secrets
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.places.boundaries import ImportResult, Rejected, boundaries, import_boundaries, read_boundaries, store_schematic
from halqa.vault import RecordProjection, Vault, register_kind, register_projection
from halqa.vault.values import check_stored_day

__all__ = [
    "AreaPut",
    "HouseholdPut",
    "ImportResult",
    "Rejected",
    "add_area",
    "add_household",
    "area_cells",
    "area_codes",
    "area_exists",
    "areas",
    "boundaries",
    "check_area_code",
    "check_iso_day",
    "check_pseudonym",
    "decoy",
    "decoy_session",
    "demo",
    "demo_map",
    "find_household",
    "household_area",
    "household_areas",
    "households",
    "import_boundaries",
    "new_pseudonym",
    "read_boundaries",
]

UNSET = msgspec.UNSET


# Letters of any script, digits and '-': an area code becomes part of file names (posters), so
# no dot, slash or space can ever be in one.
_PSEUDONYM = re.compile(r"^\w[\w.-]{0,39}$")


def check_area_code(code: str) -> str:
    """An area code as stored: upper case letters or digits and '-', 1 to 16 characters."""
    if not isinstance(code, str) or not 0 < len(code) <= 16 or code != code.upper() \
            or not code.replace("-", "").isalnum() or code.startswith("-"):
        raise InvalidInput("error.bad_area_code", code=str(code)[:40])
    return code


def check_pseudonym(value: str) -> str:
    """A pseudonym (``hh-7qk2``): letters of any script, digits, '.', '_', '-'; up to 40."""
    if not isinstance(value, str) or not _PSEUDONYM.match(value) or ".." in value:
        raise InvalidInput("error.bad_pseudonym", value=str(value)[:40])
    return value


def check_iso_day(value: str) -> str:
    """A day as stored: ``YYYY-MM-DD`` (:func:`halqa.vault.values.check_stored_day`)."""
    return check_stored_day(value)


class AreaPut(msgspec.Struct, kw_only=True):
    code: str
    name_ar: str | msgspec.UnsetType = UNSET
    name_ckb: str | msgspec.UnsetType = UNSET
    name_en: str | msgspec.UnsetType = UNSET
    city: str | msgspec.UnsetType = UNSET
    h3: str | msgspec.UnsetType | None = UNSET

    def check(self) -> None:
        check_area_code(self.code)


class HouseholdPut(msgspec.Struct, kw_only=True):
    id: str
    area: str | msgspec.UnsetType = UNSET
    size: int | msgspec.UnsetType | None = UNSET
    joined: str | msgspec.UnsetType = UNSET  # ISO day

    def check(self) -> None:
        check_pseudonym(self.id)
        if isinstance(self.area, str):
            check_area_code(self.area)
        if isinstance(self.size, int) and not 0 <= self.size <= 1000:
            raise InvalidInput("error.bad_household_size", size=self.size)
        if self.joined:
            check_iso_day(self.joined)


register_kind("area.put", AreaPut)
register_kind("household.put", HouseholdPut)
register_projection(RecordProjection("area", AreaPut, key="code"))
register_projection(RecordProjection("household", HouseholdPut, indexes=("area",)))

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


def areas(vault: Vault) -> list[dict]:
    """All areas with their household counts."""
    rows = vault.query("SELECT a.*, (SELECT count(*) FROM household h WHERE h.area = a.code) AS households "
                       "FROM area a ORDER BY a.code")
    return [dict(r) for r in rows]


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


def households(vault: Vault, area: str | None = None, limit: int | None = None) -> list[dict]:
    """Enrolled households by pseudonym (of one ``area``; the first ``limit`` only)."""
    sql = "SELECT * FROM household"
    args: tuple[Any, ...] = ()
    if area:
        sql, args = sql + " WHERE area = ?", (area.upper(),)
    if limit is not None:
        sql, args = sql + " ORDER BY id LIMIT ?", (*args, int(limit))
    else:
        sql += " ORDER BY id"
    return [dict(r) for r in vault.query(sql, args)]


def find_household(vault: Vault, household: str) -> dict | None:
    """One enrolled household by pseudonym, or None (no list of every household needed)."""
    row = vault.query_one("SELECT * FROM household WHERE id = ?", (household,))
    return dict(row) if row is not None else None


#: A fictional Basra-like city for the demo: the names are invented on purpose, so synthetic
#: figures can never be mistaken for evidence about a real neighbourhood.
DEMO_AREAS = [
    ("NKH", "حي النخيل", "Palm Quarter", "گەڕەکی خورما"),
    ("MNA", "حي الميناء", "Port Quarter", "گەڕەکی بەندەر"),
    ("SHT", "حي الشط", "Riverside", "گەڕەکی کەناراو"),
    ("SUQ", "حي السوق", "Market Quarter", "گەڕەکی بازاڕ"),
    ("MAM", "حي المعامل", "Factories Quarter", "گەڕەکی کارگەکان"),
    ("JSR", "حي الجسر", "Bridge Quarter", "گەڕەکی پرد"),
]


@cache
def _demo_map_text() -> str:
    return resources.files("halqa.places").joinpath("data", "demo-districts.geojson").read_text(encoding="utf-8")


def demo_map() -> dict[str, Any]:
    """The schematic district map of the fictional demo city (GeoJSON in drawing units, frame
    ``schematic``): drawn only for the demo vault, never for a real circle's areas."""
    return json.loads(_demo_map_text())


def demo(vault: Vault, rng: random.Random, households_per_area: int = 50) -> dict[str, int]:
    """Fill the demo vault: six districts of a fictional city, a few hundred households, and
    the city's schematic map."""
    with vault.transaction() as tx:
        for code, ar, en, ckb in DEMO_AREAS:
            tx.append("area.put", AreaPut(code=code, name_ar=ar, name_en=en, name_ckb=ckb,
                                          city="مدينة النخيل"))
        seen: set[str] = set()
        for code, *_ in DEMO_AREAS:
            for _ in range(households_per_area):
                hid = new_pseudonym(rng=rng)
                while hid in seen:
                    hid = new_pseudonym(rng=rng)
                seen.add(hid)
                tx.append("household.put", HouseholdPut(
                    id=hid, area=code, size=rng.randint(2, 9),
                    joined=f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"))
    store_schematic(vault, demo_map())
    return {"areas": len(DEMO_AREAS), "households": len(seen)}


def decoy(vault: Vault, rng: random.Random) -> None:
    """Harmless content for a decoy vault: one street and a handful of households."""
    code, ar, en, ckb = DEMO_AREAS[rng.randrange(len(DEMO_AREAS))]
    vault.append("area.put", AreaPut(code=code, name_ar=ar, name_en=en, name_ckb=ckb))
    vault.append_many(("household.put", HouseholdPut(id=new_pseudonym(rng=rng), area=code,
                                                     size=rng.randint(3, 7)))
                      for _ in range(rng.randint(3, 6)))


def decoy_session(vault: Vault, rng: random.Random, when: datetime) -> None:
    """A moment of a decoy's life: now and then a household joins the street or changes size."""
    if rng.random() < 0.5:
        return
    rows = vault.query("SELECT id, area FROM household ORDER BY id")
    if not rows:
        return
    hid, code = rows[rng.randrange(len(rows))]
    if rng.random() < 0.3:
        hid = new_pseudonym(rng=rng)
    vault.append("household.put", HouseholdPut(id=hid, area=code, size=rng.randint(2, 8),
                                               joined=when.date().isoformat()))
