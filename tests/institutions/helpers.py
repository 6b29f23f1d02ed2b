"""Helpers for the institutions tests: a small neighbourhood with a circle and a fund."""

from __future__ import annotations

from halqa.circles import add_member
from halqa.circles.events import CirclePut
from halqa.mutual_aid import contribute, create_fund
from halqa.places import add_area, add_household

MEMBERS = ["m-a", "m-b", "m-c", "m-d", "m-e", "m-f"]


def neighbourhood(vault, homes: int = 6) -> dict[str, list[str]]:
    """Two areas with ``homes`` households each, six members (five in circle ``c0``), a fund holding 500,000 IQD."""
    add_area(vault, "NKH", "حي النخيل", "Palm Quarter")
    add_area(vault, "MNA", "حي الميناء", "Port Quarter")
    out = {"NKH": [add_household(vault, "NKH", f"hh-n{i}") for i in range(homes)],
           "MNA": [add_household(vault, "MNA", f"hh-m{i}") for i in range(homes)]}
    for m in MEMBERS:
        add_member(vault, m, area="NKH")
    vault.append("circles_circle.put", CirclePut(id="c0", members=MEMBERS[:5], formed="2026-01-01"))
    create_fund(vault, "coop", "IQD", day="2026-06-01")
    contribute(vault, "coop", "hh-n0", 500000, day="2026-06-01")
    return out

