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
