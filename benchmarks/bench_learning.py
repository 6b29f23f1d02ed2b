"""Benchmark of halqa.learning (issue 7). The issue sets no speed targets; this measures:

1. **Planning a year of learning sessions** for 3 to 200 circles, with and without random
   blackouts (about 5% and 15% of circle-months), with the CP-SAT rotation against the baseline measured
   in the same run: the greedy rule (fewest turns first, in rotation order). Reported: seconds and
   the number of 12-month windows in which hosting is unfair (counts differ by more than one).
2. **Circle health** of every circle in a vault (default 100 circles of 6, 3 months of meetings,
   attendance, check-ins, sessions and care records): one ``health()`` call against the baseline of
   asking circle by circle (``health(circle=...)`` for each).

Run: ``.venv/bin/python benchmarks/bench_learning.py [--circles 100]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from halqa import domains
from halqa.errors import InvalidInput
from halqa.learning import fairness_violations, greedy_rotation, rotation
from halqa.learning.events import month_add
from halqa.vault import TEST_KDF


def _timed(fn):
    start = time.perf_counter()
    try:
        out = fn()
    except InvalidInput:
        out = None
    return out, time.perf_counter() - start


def bench_rotation(rng: random.Random) -> list[tuple]:
    rows = []
    months = [month_add("2027-01", i) for i in range(12)]
    for n in (3, 5, 8, 12, 50, 200):
        circles = [f"c{i:03d}" for i in range(n)]
        for share in (0.0, 0.05, 0.15):
            blackouts = {(c, m) for c in circles for m in months if rng.random() < share}
            greedy, tg = _timed(lambda: greedy_rotation(circles, months, blackouts))  # noqa: B023
            cp, tc = _timed(lambda: rotation(circles, months, blackouts, seed=1, time_limit=20))  # noqa: B023
            rows.append((n, f"{share:.0%}", f"{tg:.3f}", "-" if greedy is None else len(fairness_violations(greedy, circles)),
                         f"{tc:.3f}", "infeasible" if cp is None else len(fairness_violations(cp, circles))))
    return rows


def bench_health(n_circles: int, rng: random.Random) -> tuple:
    import halqa.learning as learning
    from halqa.circles.events import CirclePut, MeetingPut, MemberPut

    with tempfile.TemporaryDirectory() as tmp:
        vault = domains.create_vault(Path(tmp) / "b.halqa", "bench bench bench", TEST_KDF)
        with vault.transaction() as tx:
            for ci in range(n_circles):
                names = [f"c{ci}m{j}" for j in range(6)]
                for nm in names:
                    tx.append("circles_member.put", MemberPut(pseudonym=nm, labels={}, skills=[], availability=[]))
                tx.append("circles_circle.put", CirclePut(id=f"c{ci}", members=names, liaison=names[0]))
                for k in range(12):
                    day = f"2027-{1 + k // 4:02d}-{1 + 7 * (k % 4):02d}"
                    tx.append("circles_meeting.put", MeetingPut(id=f"c{ci}:{k}", circle=f"c{ci}", day=day, part="evening",
                                                                hour=19, host=names[k % 6], kind="regular"))
        for ci in range(n_circles):
            names = [f"c{ci}m{j}" for j in range(6)]
            with vault.transaction():
                for k in range(12):
                    learning.attend(vault, f"c{ci}:{k}", [m for m in names if rng.random() < 0.8])
                for week in range(12):
                    for _ in range(3):
                        day = f"2027-{1 + week // 4:02d}-{1 + 7 * (week % 4):02d}"
                        learning.checkin(vault, f"c{ci}", rng.randint(2, 5), day=day)
                learning.care_plan(vault, f"a{ci}", circle=f"c{ci}", day="2027-02-10", today="2027-02-10")
                if rng.random() < 0.7:
                    learning.care_held(vault, f"a{ci}", day="2027-02-12")
        learning.plan(vault, months=3, start="2027-01", seed=1)
        all_at_once, t_all = _timed(lambda: learning.health(vault, today="2027-04-01"))
        _, t_each = _timed(lambda: [learning.health(vault, circle=f"c{ci}", today="2027-04-01") for ci in range(n_circles)])
        events = vault.count_events()
        vault.close()
    ready = sum(c.replication_ready for c in all_at_once.circles)
    return n_circles, events, f"{t_each:.3f}", f"{t_all:.3f}", f"{t_each / t_all:.1f}x", ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--circles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    domains.load()
    rng = random.Random(args.seed)
    print("1. A year of learning sessions (12 months, study + report each month)")
    print(f"{'circles':>8} {'blackouts':>9} | {'greedy s':>9} {'unfair':>7} | {'CP-SAT s':>9} {'unfair':>10}")
    for row in bench_rotation(rng):
        print(f"{row[0]:>8} {row[1]:>9} | {row[2]:>9} {row[3]!s:>7} | {row[4]:>9} {row[5]!s:>10}")
    print()
    print("2. Circle health of every circle")
    n, events, t_each, t_all, speedup, ready = bench_health(args.circles, rng)
    print(f"{'circles':>8} {'events':>8} | {'per circle s':>12} | {'all at once s':>13} | {'speed-up':>8} | ready")
    print(f"{n:>8} {events:>8} | {t_each:>12} | {t_all:>13} | {speedup:>8} | {ready}")


if __name__ == "__main__":
    main()
