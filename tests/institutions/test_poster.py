"""The "what we built this month" poster: drawn from the account, under the bridge's disclosure control."""

from __future__ import annotations

import json

import pytest

from halqa import publish
from halqa.errors import InvalidInput
from halqa.institutions import create_service, deliver
from halqa.places import add_area, add_household

from .helpers import neighbourhood


def _vault(vault):
    homes = neighbourhood(vault, homes=8)
    add_area(vault, "TNY", "حي صغير", "Tiny Lane")
    tiny = [add_household(vault, "TNY", f"hh-t{i}") for i in range(3)]
    create_service(vault, "w", "water", areas=["NKH", "TNY"])
    create_service(vault, "food", "food", areas=["MNA"])
    for h in homes["NKH"]:
        deliver(vault, "w", h, 40, day="2026-08-02")
    for h in tiny:
        deliver(vault, "w", h, 777, day="2026-08-02")
    for h in homes["MNA"][:2]:  # two households: a cell to withhold
        deliver(vault, "food", h, 1, day="2026-08-03")
    return homes


def test_built_poster_withholds_small_cells(vault):
    _vault(vault)
    fig = publish.figure(vault, "built", lang="ar,en")
    data = json.dumps(fig.data, ensure_ascii=False) + json.dumps(fig.spec, ensure_ascii=False)
    assert fig.data == [{"code": "NKH", "kind": "water", "households": 8, "quantity": 320.0}]
    assert "TNY" not in data and "777" not in data and "حي صغير" not in data and "MNA" not in data
    assert "777" not in " ".join(fig.notes) + fig.headline
    assert sorted(fig.suppressed) == ["MNA food", "TNY water"]
    assert fig.title == "ما بنيناه هذا الشهر"
    with pytest.raises(InvalidInput) as err:
        publish.figure(vault, "built", area="TNY")
    assert err.value.msg_id == "publish.error.suppressed"


def test_built_poster_needs_deliveries(vault):
    neighbourhood(vault)
    with pytest.raises(InvalidInput) as err:
        publish.figure(vault, "built")
    assert err.value.msg_id == "publish.error.no_deliveries"
