"""Benchmark of halqa.mutual_aid: a fund with 100,000 entries and a 60-member pool.

The issue sets no speed target, so this measures what an organiser waits for on a big fund:
recording entries, a full and a monthly statement, balances, and the Beancount export. The
baseline, measured in the same run on the same vault, is the floor any statement must pay: one
SQL pass summing every posting of the fund. Run: ``.venv/bin/python benchmarks/bench_mutual_aid.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from halqa import domains
from halqa.vault import TEST_KDF

ENTRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def timed(fn, repeat: int = 3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    import halqa.mutual_aid as ma

    rng = random.Random(2026)
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as d:
        vault = domains.create_vault(Path(d) / "bench.halqa", "benchmark passphrase", TEST_KDF)
        ma.create_fund(vault, "families", "IQD", day="2025-01-01")
        ma.set_rate(vault, "USD", "1310", day="2025-01-01")
        start = time.perf_counter()
        balance = 0
        with vault.transaction():
            for i in range(ENTRIES):
                day = f"{2025 + i * 2 // ENTRIES}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                amount = rng.randint(1, 50) * 1000
                if i % 3 == 2 and balance > amount:
                    ma.disburse(vault, "families", f"hh-{i % 997:04d}", amount, purpose=rng.choice(ma.PURPOSES), day=day)
                    balance -= amount
                elif i % 50 == 0:
                    ma.contribute(vault, "families", f"hh-{i % 991:04d}", "100", currency="USD", day=day)
                else:
                    ma.contribute(vault, "families", f"hh-{i % 991:04d}", amount, day=day)
                    balance += amount
        write_s = time.perf_counter() - start
        rows.append((f"record {ENTRIES:,} entries (one transaction)", write_s, f"{ENTRIES / write_s:,.0f} entries/s"))

        base_s, _ = timed(lambda: vault.query(
            "SELECT currency, sum(amount) FROM mutual_aid_posting WHERE fund = 'families' GROUP BY currency"))
        rows.append(("baseline: one SQL pass summing the fund's postings", base_s, "1.0x"))
        for label, fn in (
            ("balances (running totals)", lambda: ma.balances(vault, "families")),
            ("statement, one month, with entries", lambda: ma.statement(vault, "families", month="2025-06")),
            ("statement, all time, totals only", lambda: ma.statement(vault, "families", entries=False)),
            ("statement, all time, with entries", lambda: ma.statement(vault, "families")),
            ("export to Beancount text", lambda: ma.export_beancount(vault)),
        ):
            secs, _ = timed(fn)
            rows.append((label, secs, f"{secs / base_s:.2f}x baseline"))

        members = [f"m-{i:02d}" for i in range(60)]
        ma.create_pool(vault, "big", members, "50000", method="random", start="2025-01-01")
        ma.draw(vault, "big", seed="bench")
        start = time.perf_counter()
        with vault.transaction():
            for r in range(1, 31):
                for m in members:
                    ma.pay(vault, "big", m, r, day="2025-01-01")
                ma.payout(vault, "big", day="2025-01-02")
        pool_s = time.perf_counter() - start
        rows.append(("60-member pool: 1,800 payments + 30 payouts", pool_s, f"{1830 / pool_s:,.0f} ops/s"))
        secs, _ = timed(lambda: ma.pool_status(vault, "big"))
        rows.append(("60-member pool status (30 rounds in)", secs, ""))
        secs, _ = timed(lambda: vault.rebuild(["mutual_aid_ledger"]), repeat=1)
        rows.append((f"rebuild the ledger projection from {ENTRIES:,} events", secs, f"{ENTRIES / secs:,.0f} events/s"))
        vault.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'mutual_aid benchmark':<{width}}  {'seconds':>9}  note")
    print("-" * (width + 30))
    for label, secs, note in rows:
        print(f"{label:<{width}}  {secs:>9.4f}  {note}")


if __name__ == "__main__":
    main()
