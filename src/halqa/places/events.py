"""The places' event kinds: areas, households and area boundaries, their payloads and tables.

Also the checks every domain applies to the ids it stores: area codes, household pseudonyms and
stored days.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.vault import RecordProjection, register_kind, register_projection
from halqa.vault.values import check_stored_day

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
    """``area.put``: an area by its code, with its names, city and coarse H3 cell."""

    code: str
    name_ar: str | msgspec.UnsetType = UNSET
    name_ckb: str | msgspec.UnsetType = UNSET
    name_en: str | msgspec.UnsetType = UNSET
    city: str | msgspec.UnsetType = UNSET
    h3: str | msgspec.UnsetType | None = UNSET

    def check(self) -> None:
        check_area_code(self.code)


class HouseholdPut(msgspec.Struct, kw_only=True):
    """``household.put``: a household by its pseudonym, with its area, size and the day it joined."""

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


class BoundaryPut(msgspec.Struct, kw_only=True):
    """``area_boundary.put``: an area's shape in three levels of detail, and where its name goes."""

    code: str
    kind: str = "district"  # "water" only in the demo's schematic map
    frame: str = "wgs84"  # or "schematic" (the demo's drawing units)
    geometry: dict[str, Any]
    screen: dict[str, Any]
    paper: dict[str, Any]
    label: list[float]  # a point well inside the shape, for its name
    name_ar: str = ""
    name_ckb: str = ""
    name_en: str = ""


# in the order the kinds were first declared (boundaries, then areas and households)
register_kind("area_boundary.put", BoundaryPut)
register_projection(RecordProjection("area_boundary", BoundaryPut, key="code"))
register_kind("area.put", AreaPut)
register_kind("household.put", HouseholdPut)
register_projection(RecordProjection("area", AreaPut, key="code"))
register_projection(RecordProjection("household", HouseholdPut, indexes=("area",)))
