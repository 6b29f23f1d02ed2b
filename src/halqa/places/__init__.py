"""Places and households: the coarse, pseudonymous vocabulary every domain shares.

An *area* is a neighbourhood code (``NKH``) with names in Arabic, Sorani and English and an
optional coarse H3 cell; never a street address or GPS point. A *household* is a pseudonym
(``hh-7qk2``) living in an area. Listening, the ledger, circles and mutual aid all refer to
these ids, so they live here, one level above the vault. An area may have a *boundary*, its
shape imported from GeoJSON (:mod:`halqa.places.boundaries`), drawn by every map.

Modules: ``events`` (kinds, tables and the id checks), ``write``, ``read``, ``boundaries``
(checking and simplifying GeoJSON shapes), ``demo`` (the demo city and the decoy's street).
"""

from __future__ import annotations

from halqa.places.boundaries import FeatureCollection, ImportResult, Rejected, read_boundaries
from halqa.places.demo import decoy, decoy_session, demo, demo_map
from halqa.places.events import AreaPut, HouseholdPut, check_area_code, check_iso_day, check_pseudonym
from halqa.places.read import (
    Area,
    Household,
    area_cells,
    area_codes,
    area_exists,
    areas,
    boundaries,
    find_household,
    household_area,
    household_areas,
    households,
)
from halqa.places.write import add_area, add_household, import_boundaries, new_pseudonym

__all__ = [
    "Area",
    "AreaPut",
    "FeatureCollection",
    "Household",
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
