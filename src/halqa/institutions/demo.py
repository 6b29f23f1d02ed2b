"""The demo step of institutions (one part of ``halqa demo``) and the decoy vault's harmless content."""

from __future__ import annotations

import calendar
import random

from halqa.circles import circles
from halqa.i18n import t
from halqa.institutions.analysis import account
from halqa.institutions.read import services
from halqa.institutions.write import (
    add_asset,
    close,
    count_in_person,
    create_service,
    import_deliveries,
    link,
    log_asset_repair,
    pay_cost,
    plan_rota,
    position,
    propose,
)
from halqa.mutual_aid import contribute, create_fund
from halqa.places import households, new_pseudonym
from halqa.vault import Vault

__all__ = ["decoy", "demo"]


def _days(month: str) -> list[str]:
    n = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
    return [f"{month}-{d:02d}" for d in range(1, n + 1)]


def _outcome_name(outcome: str) -> str:
    """An outcome by its name in the chosen language; a winning option (a person's word) as it is."""
    key = f"institutions.outcome.{outcome}"
    return t(key) if t(key) != key else outcome


def demo(vault: Vault, rng: random.Random) -> dict[str, str | int | float | bool | None]:
    """A cooperative deciding, serving and reporting, in the demo city's summer of 2026: the Palm
    Quarter decides by consent to run a water filter station (in-person count beside named
    positions) and by ranked choice where the generator share starts; the station, the generator
    share and a child-care rotation run from June to August with a fund paying their costs, a
    repaired filter, and shifts planned fairly. Returns the decisions and August's account."""

    homes = {h.id: h.area for h in households(vault)}
    nkh = sorted(h for h, a in homes.items() if a == "NKH") or sorted(homes)
    mna = sorted(h for h, a in homes.items() if a == "MNA") or sorted(homes)
    circle = next((c for c in circles(vault) if len(c.members) >= 5), None)
    members = list(circle.members) if circle else [f"m-demo{i}" for i in range(6)]
    taking_part = [circle.id] if circle else []

    # what an organiser in Basra would type: the proposals and options in Arabic
    water = propose(vault, "نشغّل محطة فلترة ماء في ساحة الجامع", mode="consent", circles=taking_part,
                    members=[] if circle else members, closes="2026-06-07", quorum=8, day="2026-06-01",
                    text="فلتر تناضح عكسي، حنفيتان، تفتح الصبح؛ الكلفة من صندوق تعاوني.")
    for i, m in enumerate(members):
        position(vault, water.id, m, "agree" if i else "abstain", day="2026-06-03")
    position(vault, water.id, members[-1], "disagree", day="2026-06-04")
    position(vault, water.id, members[-1], "agree", day="2026-06-06")  # changed their mind
    count_in_person(vault, water.id, {"agree": 9, "abstain": 2, "disagree": 1}, day="2026-06-06")
    water = close(vault, water.id, day="2026-06-08")

    port, shore, market = "حي الميناء", "حي الشط", "حي السوق"
    where = propose(vault, "وين تشتغل المولدة المشتركة أول", [port, shore, market],
                    mode="ranked", circles=taking_part, members=[] if circle else members, quorum=5, day="2026-06-02")
    orders = ([port, market], [shore, port], [market, port])
    for i, m in enumerate(members):
        position(vault, where.id, m, orders[i % 3], day="2026-06-05")
    count_in_person(vault, where.id, {f"{shore}>{market}": 3, f"{market}>{port}": 2}, day="2026-06-06")
    where = close(vault, where.id, day="2026-06-09")

    create_fund(vault, "water-coop", "IQD", note="the Palm Quarter water cooperative", day="2026-06-01")
    with vault.transaction():
        for month in ("06", "07", "08"):
            for h in nkh[:30]:
                contribute(vault, "water-coop", h, rng.choice((3000, 5000, 5000, 10000)), day=f"2026-{month}-0{rng.randint(1, 5)}")
    station = create_service(vault, "nakheel-water", "water", areas=["NKH"], circles=taking_part, fund="water-coop",
                             day="2026-06-10", note="filter station, mosque courtyard")
    share = create_service(vault, "port-generator", "power", areas=["MNA"], circles=taking_part, fund="water-coop",
                           day="2026-06-12", note="a shared 100 kVA generator, evening hours")
    care = create_service(vault, "action-childcare", "childcare", areas=["NKH"], rota=members[:6], day="2026-06-10")
    link(vault, water.id, "service", station.id, "the station the decision created", day="2026-06-10")
    link(vault, where.id, "service", share.id, day="2026-06-12")
    filt = add_asset(vault, station.id, "reverse-osmosis filter (5 stage)", day="2026-06-10")
    add_asset(vault, station.id, "1,000 litre tank", day="2026-06-10")
    add_asset(vault, share.id, "100 kVA diesel generator", day="2026-06-12")
    cost = pay_cost(vault, station.id, 150000, purpose="repairs", day="2026-06-10", note="filter and taps")
    link(vault, water.id, "fund_entry", cost.entry, "filter and taps bought", day="2026-06-10")
    pay_cost(vault, station.id, 25000, purpose="repairs", day="2026-07-15", note="replacement cartridges")
    pay_cost(vault, share.id, 90000, purpose="fuel", day="2026-07-01")
    log_asset_repair(vault, filt.id, "filter station: membrane replaced", members[:2], day="2026-07-14", done=True)
    rota = plan_rota(vault, care.id, "2026-06-15", weeks=10, min_gap=2, max_gap=5, seed=rng.randrange(2**31))

    lines = ["service,day,household,quantity,worker"]
    for month in ("2026-06", "2026-07", "2026-08"):
        for day in _days(month):
            if day >= "2026-06-11":
                lines += [f"{station.id},{day},{h},{rng.choice((20, 40, 40, 60))},"
                          for h in rng.sample(nkh, min(len(nkh), rng.randint(8, 16)))]
            if day >= "2026-06-13":
                lines += [f"{share.id},{day},{h},{rng.choice((4, 5, 5, 6))}," for h in rng.sample(mna, min(len(mna), 30))]
    for s in rota.shifts:
        lines += [f"{care.id},{s.day},{h},1,{s.member}" for h in rng.sample(nkh, min(len(nkh), rng.randint(2, 4)))]
    import_deliveries(vault, "\n".join(lines) + "\n")
    august = account(vault, "2026-08")
    nk, mn = august.areas.get("NKH"), august.areas.get("MNA")
    nk_water, mn_power = nk.water if nk else None, mn.power if mn else None
    return {
        "institutions_water_decision": f"{_outcome_name(water.outcome or '')} ({water.participants})",
        "institutions_generator_decision": f"{_outcome_name(where.outcome or '')} ({where.participants})",
        "institutions_services": len(services(vault)),
        "institutions_rota_fair": rota.fair,
        "institutions_august_litres": nk_water.network_litres if nk_water else None,
        "institutions_august_no_tap_water": nk_water.state_no_water_share if nk_water else None,
        "institutions_august_coop_hours": mn_power.network_hours_per_household_day if mn_power else None,
        "institutions_august_grid_hours": mn_power.state_grid_hours_per_day if mn_power else None,
        "institutions_august_households": august.network.households_served,
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """Harmless content for the decoy vault: a building's vote on repainting the stairwell."""

    neighbours = sorted({new_pseudonym("nb", rng) for _ in range(5)})
    p = propose(vault, "Repaint the stairwell", ["green", "white"], members=neighbours, day="2026-03-01")
    for n in neighbours:
        position(vault, p.id, n, rng.choice(("green", "white")), day="2026-03-02")
    close(vault, p.id, day="2026-03-03")
