"""Synthetic ledgers for the demo neighbourhood: a Basra-like summer of load-shedding."""

from __future__ import annotations

import random
from datetime import datetime

import msgspec

from halqa.ledger.events import DAY, day_iso, parse_day
from halqa.ledger.evidence import report
from halqa.ledger.importers import Row
from halqa.ledger.write import add_claim, add_water, store_rows
from halqa.places import household_areas
from halqa.vault import Vault

DEMO_FIRST = "2026-06-01"
DEMO_DAYS = 90


def _area_cuts(rng: random.Random, code: str, k: int, days: int, d0: int) -> list[tuple[int, int, str]]:
    """Area-level cuts: a rotating load-shedding rota (two hours off after every four, later
    rotas more cuts as the heat climbs), grid collapses on the hottest afternoons, plus one
    transformer failure and one feeder trip."""
    cuts = []
    for d in range(days):
        day0 = (d0 + d) * DAY
        heat = min(1.0, d / 45)  # July-August is worse than June
        h: float = k % 3  # areas on different rota phases
        while h < 24:
            off = 1.5 + heat + rng.uniform(-0.3, 0.5)
            if rng.random() < 0.92:
                s = day0 + int(h * 3600 + rng.uniform(-300, 300))
                cuts.append((s, s + int(off * 3600), "rota"))
            h += 4 + off - heat
        if rng.random() < 0.08 + 0.1 * heat:  # the national grid collapses on a hot afternoon
            s = day0 + int(rng.uniform(13, 16) * 3600)
            cuts.append((s, s + int(rng.uniform(3, 6) * 3600), "collapse"))
    if code == "MNA":  # a transformer burns out: 19 hours without power
        s = (d0 + 52) * DAY + 14 * 3600
        cuts.append((s, s + 19 * 3600, "transformer"))
    if code == "MAM":
        s = (d0 + 30) * DAY + 22 * 3600 + 1200
        cuts.append((s, s + 7 * 3600, "feeder"))
    return cuts


class DemoSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The demo's headline figures: per district supply hours, SAIDI (hours), SAIFI and major event
    days; the strong area events, the largest one, and the mean gap to the ministry's claim."""

    days: int
    intervals: int
    supply_hours_per_day: dict[str, float]
    saidi_hours: dict[str, float]
    saifi: dict[str, float]
    major_event_days: dict[str, int]
    area_events: int
    largest_event: str
    ministry_claim_gap_hours: float


def demo(vault: Vault, rng: random.Random, days: int = DEMO_DAYS) -> DemoSummary:
    """Add ``days`` days of ledgers for the demo households (made by halqa.places.demo) and return
    headline figures per district: supply hours, SAIDI (hours), SAIFI, major event days, and the
    area events the detector found."""
    d0 = parse_day(DEMO_FIRST)
    households = sorted(household_areas(vault).items(), key=lambda item: (item[1], item[0]))
    codes = sorted({a for _, a in households})
    rows: list[Row] = []
    for k, code in enumerate(codes):
        members = [h for h, a in households if a == code]
        keepers = [h for h in members if rng.random() < 0.85]  # some households never keep a ledger
        for s, e, _why in _area_cuts(rng, code, k, days, d0):
            for h in keepers:
                if rng.random() < 0.1:  # forgot to write this one down
                    continue
                lag = int(abs(rng.gauss(0, 240)))
                rows.append(Row(0, h, code, s + lag, e + int(rng.gauss(0, 300)), "grid", ""))
        for h in keepers:  # household noise: a blown fuse, a tripped breaker, a flicker
            for _ in range(rng.randint(1, 6)):
                s = (d0 + rng.randrange(days)) * DAY + rng.randrange(DAY)
                rows.append(Row(0, h, code, s, s + rng.choice((60, 180, 1800, 5400)), "grid", ""))
            if rng.random() < 0.1:
                s = (d0 + rng.randrange(days)) * DAY + rng.randrange(DAY)
                rows.append(Row(0, h, code, s, s + 3 * 3600, "generator", ""))
    for r in rows:
        r.end = max(r.end or r.start, r.start + 60)
    store_rows(vault, rows, "demo")
    first, last = DEMO_FIRST, day_iso(d0 + days - 1)
    add_claim(vault, 20.0, first, last, claimant="ministry")
    for h, _ in households[:: max(1, len(households) // 40)]:
        for d in range(0, days, 9):
            add_water(vault, h, day_iso(d0 + d), no_water=rng.random() < 0.4, contaminated=rng.random() < 0.2,
                      smell=rng.random() < 0.3, illness=int(rng.random() < 0.05), litres_bought=rng.choice((0, 20, 40)),
                      spent=str(rng.choice((0, 1000, 2000, 3000))))
    rep = report(vault, first, last, as_of=(d0 + days) * DAY)
    areas = rep.areas
    strong = [e for e in rep.events if e.confidence >= 0.99]
    biggest = max(strong, key=lambda e: e.households, default=None)
    return DemoSummary(
        days=days, intervals=len(rows),
        supply_hours_per_day={c: a.supply_hours_per_day for c, a in areas.items()},
        saidi_hours={c: round((a.saidi_minutes or 0) / 60, 1) for c, a in areas.items()},
        saifi={c: round(a.saifi or 0, 1) for c, a in areas.items()},
        major_event_days={c: len(a.major_event_days) for c, a in areas.items()},
        area_events=len(strong),
        largest_event=(f"{biggest.area} {biggest.start} ({biggest.households})" if biggest else "-"),
        ministry_claim_gap_hours=round(sum(c.gap_hours or 0 for c in rep.claims) / max(len(rep.claims), 1), 1),
    )


def decoy(vault: Vault, rng: random.Random) -> None:
    """A few ordinary outage notes for the decoy vault's households (harmless, plausible)."""
    households = list(household_areas(vault).items())
    # The last three weeks by the vault's own clock (a decoy is built with a past).
    d0 = vault.hlc.now_ms() // 1000 // DAY - 21
    rows = []
    for h, code in households:
        for _ in range(rng.randint(2, 5)):
            s = (d0 + rng.randrange(20)) * DAY + rng.randrange(8, 20) * 3600
            rows.append(Row(0, h, code, s, s + rng.randint(1, 3) * 3600, "grid", ""))
    if rows:
        store_rows(vault, rows, "paper")


def decoy_session(vault: Vault, rng: random.Random, when: datetime) -> None:
    """A moment of a decoy's life: sometimes an ordinary power cut noted for a household that day."""
    households = list(household_areas(vault).items())
    if not households or rng.random() < 0.4:
        return
    h, code = households[rng.randrange(len(households))]
    s = parse_day(when.date().isoformat()) * DAY + rng.randrange(8, 20) * 3600
    store_rows(vault, [Row(0, h, code, s, s + rng.randint(1, 3) * 3600, "grid", "")], "paper")


def decoy_bulk(vault: Vault, rng: random.Random, when: datetime, rows: int) -> None:
    """A big moment of a decoy's life: the street's generator log typed in at once, about
    ``rows`` ordinary cuts over the three months before ``when`` (what a large import in the real
    vault is matched with, so the decoy grows by content rather than free pages)."""
    households = list(household_areas(vault).items())
    if not households:
        return
    d_end = parse_day(when.date().isoformat())
    out = []
    for _ in range(rows):
        h, code = households[rng.randrange(len(households))]
        s = (d_end - 1 - rng.randrange(90)) * DAY + rng.randrange(6, 23) * 3600 + rng.randrange(3600)
        out.append(Row(0, h, code, s, s + rng.randint(1, 4) * 3600, "generator", ""))
    store_rows(vault, out, "paper")
