"""Benchmark of halqa.institutions: tallying decisions and the monthly account.

Targets (issue 17): tally 10,000 proposals with 50 positions each in at most 2 s; the monthly
account for 400 areas over 24 months of deliveries (1,000,000 deliveries) in at most 2 s,
measured against a straightforward pandas version of the same computation in the same run, with
the same numbers checked. Baselines: for tallying, a pandas ``groupby`` counting first choices
(the floor any tally pays, without consent rules or runoff rounds); for the account, pandas
``groupby(...).agg(sum, size, nunique)``. The end-to-end rows go through a vault: closing
proposals (reading positions, tallying, recording the result) and the account read back from
recorded deliveries. Run: ``.venv/bin/python benchmarks/bench_institutions.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from halqa import domains
from halqa.institutions import CONSENT, KINDS, tabulate, tally
from halqa.vault import TEST_KDF

PROPOSALS, POSITIONS = 10_000, 50
AREAS, MONTHS, DELIVERIES, HOUSEHOLDS = 400, 24, 1_000_000, 40_000
VAULT_DELIVERIES = int(sys.argv[1]) if len(sys.argv) > 1 else DELIVERIES


def timed(fn, repeat: int = 3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_proposals(rng: random.Random) -> list[tuple[str, list[str], dict[str, list[str]]]]:
    out = []
    for i in range(PROPOSALS):
        mode = ("consent", "majority", "ranked")[i % 3]
        options = list(CONSENT) if mode == "consent" else [f"o{k}" for k in range(rng.randint(2, 6))]
        positions = {}
        for j in range(POSITIONS):
            if mode == "ranked":
                positions[f"m{j}"] = rng.sample(options, rng.randint(1, len(options)))
            else:
                positions[f"m{j}"] = [rng.choice(options[:3] if mode == "consent" else options)]
        out.append((mode, options, positions))
    return out


def pandas_first_choices(proposals) -> dict[int, dict[str, int]]:
    frame = pd.DataFrame([(i, c[0]) for i, (_, _, pos) in enumerate(proposals) for c in pos.values()],
                         columns=["proposal", "choice"])
    counts = frame.groupby(["proposal", "choice"]).size()
    out: dict[int, dict[str, int]] = {}
    for (p, c), n in counts.items():
        out.setdefault(int(p), {})[c] = int(n)
    return out


def make_deliveries(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"area": rng.integers(0, AREAS, DELIVERIES), "month": rng.integers(0, MONTHS, DELIVERIES),
            "kind": rng.integers(0, len(KINDS), DELIVERIES), "household": rng.integers(0, HOUSEHOLDS, DELIVERIES),
            "quantity": rng.choice(np.array([1.0, 4.0, 20.0, 40.0, 60.0]), DELIVERIES)}


def pandas_account(d: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.DataFrame(d)
    cells = frame.groupby(["area", "month", "kind"]).agg(quantity=("quantity", "sum"), deliveries=("quantity", "size"),
                                                         households=("household", "nunique"))
    served = frame.groupby(["area", "month"])["household"].nunique()
    return cells, served


def same_numbers(tab, cells: pd.DataFrame, served: pd.Series) -> bool:
    a, m, k = (cells.index.get_level_values(n).to_numpy() for n in ("area", "month", "kind"))
    ok = np.allclose(tab.quantity[a, m, k], cells["quantity"].to_numpy())
    ok &= bool((tab.deliveries[a, m, k] == cells["deliveries"].to_numpy()).all())
    ok &= bool((tab.households[a, m, k] == cells["households"].to_numpy()).all())
    ok &= int(tab.deliveries.sum()) == DELIVERIES
    sa, sm = (served.index.get_level_values(n).to_numpy() for n in ("area", "month"))
    ok &= bool((tab.households_any[sa, sm] == served.to_numpy()).all())
    return bool(ok)


def vault_rows(rows: list[tuple[str, float, str]]) -> None:
    import halqa.institutions as inst
    from halqa.places import AreaPut, HouseholdPut

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        vault = domains.create_vault(Path(d) / "bench.halqa", "benchmark passphrase", TEST_KDF)
        codes = [f"A{i:03d}" for i in range(AREAS)]
        homes = [(f"hh-{i:05d}", codes[i % len(codes)]) for i in range(HOUSEHOLDS)]
        with vault.transaction() as tx:
            for c in codes:
                tx.append("area.put", AreaPut(code=c, name_ar=c))
            for h, c in homes:
                tx.append("household.put", HouseholdPut(id=h, area=c))
        members = [f"m-{j:03d}" for j in range(POSITIONS)]
        n_close = 200
        ids = []
        start = time.perf_counter()
        with vault.transaction():
            for i in range(n_close):
                p = inst.propose(vault, f"proposal {i}", ["a", "b", "c"], mode=("majority", "ranked")[i % 2],
                                 members=members, day="2026-06-01")
                ids.append(p.id)
                for m in members:
                    inst.position(vault, p.id, m, rng.sample(["a", "b", "c"], 2 if i % 2 else 1), day="2026-06-02")
        write_s = time.perf_counter() - start
        rows.append((f"record {n_close} proposals x {POSITIONS} positions (vault)", write_s,
                     f"{n_close * POSITIONS / write_s:,.0f} positions/s"))
        start = time.perf_counter()
        for pid in ids:
            inst.close(vault, pid, day="2026-06-03")
        close_s = time.perf_counter() - start
        rows.append((f"close {n_close} proposals (read, tally, record)", close_s, f"{close_s / n_close * 1000:.1f} ms each"))

        kinds = {k: inst.create_service(vault, f"s-{k}", k, areas=codes, day="2026-01-01").id for k in KINDS}
        lines = ["service,day,household,quantity"]
        for _ in range(VAULT_DELIVERIES):
            h, _c = homes[rng.randrange(len(homes))]
            lines.append(f"{kinds[rng.choice(KINDS)]},{2025 + rng.randrange(2)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d},{h},{rng.choice((1, 4, 20, 40))}")
        start = time.perf_counter()
        res = inst.import_deliveries(vault, "\n".join(lines) + "\n")
        import_s = time.perf_counter() - start
        assert res.kept == VAULT_DELIVERIES, res.errors[:3]
        rows.append((f"import {VAULT_DELIVERIES:,} deliveries (checked, one commit)", import_s,
                     f"{VAULT_DELIVERIES / import_s:,.0f} rows/s"))
        acc_s, trend = timed(lambda: inst.account_trend(vault, "2026-12", months=24), repeat=2)
        assert len(trend) == 24
        rows.append((f"account, {AREAS} areas x {MONTHS} months, from the vault (read + count + ledger + funds)", acc_s,
                     f"{VAULT_DELIVERIES:,} deliveries; target <= 2 s: " + ("met" if acc_s <= 2 else "MISSED")))
        one_s, _ = timed(lambda: inst.account(vault, "2026-06"))
        rows.append(("account of one month, from the vault", one_s, ""))
        vault.close()


def main() -> None:
    rows: list[tuple[str, float, str]] = []
    proposals = make_proposals(random.Random(2026))
    tally_s, results = timed(lambda: [tally(mode, opts, pos) for mode, opts, pos in proposals])
    rows.append((f"tally {PROPOSALS:,} proposals x {POSITIONS} positions (halqa)", tally_s,
                 "target <= 2 s: " + ("met" if tally_s <= 2 else "MISSED")))
    base_s, firsts = timed(lambda: pandas_first_choices(proposals))
    agree = all({k: v for k, v in r.counts.items() if v} == firsts[i] for i, r in enumerate(results))
    rows.append(("baseline: pandas groupby of first choices", base_s, f"same first-choice counts: {agree}"))

    d = make_deliveries(np.random.default_rng(2026))
    acc_s, tab = timed(lambda: tabulate(d["area"], d["month"], d["kind"], d["household"], d["quantity"], AREAS, MONTHS))
    rows.append((f"monthly account, {AREAS} areas x {MONTHS} months, {DELIVERIES:,} deliveries (halqa, numpy)", acc_s,
                 "target <= 2 s: " + ("met" if acc_s <= 2 else "MISSED")))
    pd_s, (cells, served) = timed(lambda: pandas_account(d))
    rows.append(("baseline: pandas groupby agg(sum, size, nunique)", pd_s,
                 f"same numbers: {same_numbers(tab, cells, served)}; halqa {pd_s / acc_s:.1f}x faster"))
    vault_rows(rows)

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'seconds':>8}  note")
    for name, secs, note in rows:
        print(f"{name.ljust(width)}  {secs:8.3f}  {note}")


if __name__ == "__main__":
    main()
