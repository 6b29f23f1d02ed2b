"""The demo city's places: six districts of a fictional city, their households and its schematic
map; and the harmless places of a decoy vault."""

from __future__ import annotations

import json
import random
from datetime import datetime
from functools import cache
from importlib import resources

from halqa.places.boundaries import FeatureCollection
from halqa.places.events import AreaPut, HouseholdPut
from halqa.places.read import household_areas
from halqa.places.write import new_pseudonym, store_schematic
from halqa.vault import Vault

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


def demo_map() -> FeatureCollection:
    """The schematic district map of the fictional demo city (GeoJSON in drawing units, frame
    ``schematic``): drawn only for the demo vault, never for a real circle's areas."""
    geo: FeatureCollection = json.loads(_demo_map_text())
    return geo


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
    rows = list(household_areas(vault).items())
    if not rows:
        return
    hid, code = rows[rng.randrange(len(rows))]
    if rng.random() < 0.3:
        hid = new_pseudonym(rng=rng)
    vault.append("household.put", HouseholdPut(id=hid, area=code, size=rng.randint(2, 8),
                                               joined=when.date().isoformat()))
