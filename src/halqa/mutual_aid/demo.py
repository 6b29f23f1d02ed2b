"""The demo step of mutual aid (one part of ``halqa demo``) and the decoy vault's harmless content."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from halqa.i18n import t
from halqa.mutual_aid.read import list_items, pool_status, repair_stats, statement
from halqa.mutual_aid.write import (
    add_item,
    contribute,
    create_fund,
    create_pool,
    disburse,
    draw,
    exchange,
    finish_repair,
    lend,
    log_repair,
    pay,
    payout,
    pledge,
    return_item,
    set_rate,
    transfer,
)
from halqa.places import household_areas, new_pseudonym
from halqa.vault import Vault

__all__ = ["decoy", "demo"]


def _people(vault: Vault, rng: random.Random, n: int) -> list[str]:
    """``n`` distinct household pseudonyms from the demo's places (or fresh ones)."""
    have = list(household_areas(vault))
    if len(have) >= n:
        return rng.sample(have, n)
    seen: set[str] = set(have)
    while len(seen) < n:
        seen.add(new_pseudonym(rng=rng))
    return rng.sample(sorted(seen), n)


def demo(vault: Vault, rng: random.Random) -> dict[str, str | int | dict[str, str] | None]:
    """Two months of care in the demo neighbourhood: a fund for arrested workers' families (IQD,
    with some USD from relatives abroad, changed at a dated rate), a ten-member jam'iyya two rounds
    in, a tool library with loans (one overdue) and generator repairs. Returns headline figures."""
    people = _people(vault, rng, 40)
    donors, families, members, hands = people[:20], people[20:24], people[24:34], people[34:]
    fund = "arrested-families"
    create_fund(vault, fund, "IQD", note="for the families of detained port workers", day="2026-09-01")
    create_fund(vault, "fuel-share", "IQD", note="generator fuel in the summer shortage", day="2026-09-01")
    set_rate(vault, "USD", "1310", day="2026-09-01")
    set_rate(vault, "USD", "1325", day="2026-10-01")
    with vault.transaction():
        for month in ("09", "10"):
            for donor in donors:
                amount = rng.choice((5000, 10000, 10000, 15000, 25000))
                contribute(vault, fund, donor, amount, day=f"2026-{month}-{rng.randint(1, 10):02d}")
            contribute(vault, fund, donors[0], rng.choice(("100", "150", "200")), currency="USD",
                       day=f"2026-{month}-05", note="from relatives abroad")
            contribute(vault, "fuel-share", donors[1], 60000, day=f"2026-{month}-02")
        promise = pledge(vault, fund, donors[2], 60000, day="2026-09-03")
        contribute(vault, fund, donors[2], 30000, pledge_id=promise.id, day="2026-10-03")
        exchange(vault, fund, "100", "USD", "IQD", day="2026-09-20")
        for month in ("09", "10"):
            for fam in families:
                disburse(vault, fund, fam, rng.choice((25000, 30000, 40000)), purpose="family",
                         day=f"2026-{month}-{rng.randint(15, 25):02d}", private=True)
            disburse(vault, fund, families[0], 35000, purpose="medicine", day=f"2026-{month}-12")
            disburse(vault, fund, families[1], 20000, purpose="legal", day=f"2026-{month}-18")
            disburse(vault, "fuel-share", hands[0], 45000, purpose="fuel", day=f"2026-{month}-08")
        transfer(vault, "fuel-share", fund, 10000, day="2026-10-28", note="fuel left over")

    pool = "port-jamiya"
    create_pool(vault, pool, members, 50000, period="monthly", method="random", start="2026-09-05",
                cover="organiser", organiser=members[0])
    draw(vault, pool, seed="النخيل 2026-09-05 / 4417")
    late = members[rng.randrange(1, len(members))]
    with vault.transaction():
        for m in members:
            pay(vault, pool, m, 1, day=f"2026-09-0{rng.randint(1, 5)}" if m != late else "2026-09-09")
        payout(vault, pool, 1, day="2026-09-10")
        partial = members[3]
        for m in members[:7]:
            if m == partial:
                pay(vault, pool, m, 2, amount=20000, day="2026-10-04")
            else:
                pay(vault, pool, m, 2, day="2026-10-05")
        pay(vault, pool, members[7], 2, payer=members[8], day="2026-10-06")
    status = pool_status(vault, pool, today_="2026-10-07")

    with vault.transaction():
        kit = [add_item(vault, name, cat, keeper=hands[i % len(hands)], day="2026-09-01")
               for i, (name, cat) in enumerate((
                   ("generator air filter", "filter"), ("generator air filter", "filter"),
                   ("spark plug set", "generator-part"), ("solar panel 330W", "solar-panel"),
                   ("12V battery", "battery"), ("socket spanner set", "tool"), ("multimeter", "tool"),
                   ("water pump 1HP", "pump"), ("extension cable 30m", "cable")))]
        lend(vault, kit[5].id, members[2], days=5, day="2026-09-20")
        return_item(vault, kit[5].id, day="2026-09-24")
        lend(vault, kit[6].id, members[4], days=7, day="2026-10-01")
        lend(vault, kit[3].id, families[2], days=30, day="2026-10-10")
        log_repair(vault, "neighbourhood generator: clogged air intake", "NKH", [hands[0], hands[1]],
                         parts=[kit[0].id], day="2026-09-14", done=True)
        log_repair(vault, "water pump of the Port Quarter school", "MNA", [hands[2]], parts=["pump seal"],
                   day="2026-10-02", done=True)
        open_job = log_repair(vault, "street light cabling", "SHT", [hands[3], hands[4]], day="2026-10-20")
        finish_repair(vault, open_job.id, day="2026-10-26", parts=[kit[8].id])
    st = statement(vault, fund, month="2026-10", entries=False)
    return {
        "fund_name": fund,
        "fund_balance": f"{st.balance} {st.currency}",
        "fund_value": f"{st.value} {st.currency}" if st.value is not None else "-",
        "fund_contributions_oct": st.contributions,
        "fund_by_purpose_oct": {t(f"mutual_aid.purpose.{k}"): ", ".join(f"{a} {c}" for c, a in v.items())
                                for k, v in st.by_purpose.items()},
        "pool_name": pool,
        "pool_round": status.round,
        "pool_paid_out": sum(1 for s in status.schedule if s.paid_out),
        "pool_owing": {o.member: o.left for o in (status.this_round.owes if status.this_round else []) if o.left != "0"},
        "tool_items": len(list_items(vault, today="2026-10-31")),
        "tools_overdue": len(list_items(vault, today="2026-10-31", overdue_only=True)),
        "repair_jobs": repair_stats(vault).logged,
    }


def decoy(vault: Vault, rng: random.Random) -> None:
    """Harmless content for the decoy vault: a family savings pool and a shared ladder."""
    cousins = sorted({new_pseudonym("fam", rng) for _ in range(6)})
    # Dated by the vault's own clock (a decoy is built with a past): never after the day it is written.
    today = datetime.fromtimestamp(vault.hlc.now_ms() / 1000, UTC).date()
    start = today - timedelta(days=rng.randint(3, 20))
    days = [(start + timedelta(days=i)).isoformat() for i in range(3)]
    create_pool(vault, "family-savings", cousins, rng.choice((25000, 50000)), period="monthly", method="agreed",
                start=days[0], organiser=cousins[0])
    draw(vault, "family-savings")
    for m in cousins:
        pay(vault, "family-savings", m, 1, day=days[1])
    payout(vault, "family-savings", 1, day=days[2])
    add_item(vault, "ladder", "tool", keeper=cousins[0], day=days[0])
