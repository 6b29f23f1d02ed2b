"""The JSON of the places' typed reads (``to_data``: the web API's ``/api/places`` and scripts),
pinned as it was when they were rows as dicts."""

from __future__ import annotations

import halqa.places as places
from halqa.results import to_data


def test_areas_and_households(vault):
    places.add_area(vault, "NKH", "حي النخيل", name_en="Palm Quarter", h3=None)
    hid = places.add_household(vault, "NKH", "hh-a1", size=4, joined="2026-01-02")
    places.add_household(vault, "NKH", "hh-a2")
    assert to_data(places.areas(vault)) == [{"code": "NKH", "name_ar": "حي النخيل", "name_ckb": "حي النخيل",
                                              "name_en": "Palm Quarter", "city": "", "h3": None, "households": 2}]
    assert to_data(places.find_household(vault, hid)) == {"id": "hh-a1", "area": "NKH", "size": 4, "joined": "2026-01-02"}
    assert places.find_household(vault, "hh-nobody") is None
    assert [h["id"] for h in to_data(places.households(vault, "nkh", limit=1))] == ["hh-a1"]
    assert to_data(places.households(vault))[1] == {"id": "hh-a2", "area": "NKH", "size": None, "joined": ""}


def test_boundaries_are_a_feature_collection(vault):
    assert places.boundaries(vault) == {"type": "FeatureCollection", "frame": "none", "features": []}
    geo = places.demo_map()
    assert geo["type"] == "FeatureCollection" and {"code", "kind"} <= set(geo["features"][0]["properties"])


def test_public_api_pinned():
    """Nearly every domain imports places: its names change only by decision."""
    assert sorted(places.__all__) == sorted([
        "Area", "AreaPut", "FeatureCollection", "Household", "HouseholdPut", "ImportResult", "Rejected", "add_area",
        "add_household",
        "area_cells", "area_codes", "area_exists", "areas", "boundaries", "check_area_code", "check_iso_day",
        "check_pseudonym", "decoy", "decoy_session", "demo", "demo_map", "find_household", "household_area",
        "household_areas", "households", "import_boundaries", "new_pseudonym", "read_boundaries"])
    for name in places.__all__:
        assert getattr(places, name).__doc__, name
