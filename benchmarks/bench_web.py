"""Web face: the *first view after a write* of every page, at 1,000,000 events (issue 19).

Every ``GET`` route of the app's route table is measured (:func:`halqa.web.app.views`: a new page
is measured without editing this file), served by real uvicorn on loopback with an organiser's
token. Before each timed view one write goes into the vault (in turn: a grievance, a theme
confirmation, power off/on for a household, a vouch, a fund contribution), so the web layer's
per-vault cache is empty and the domains' own caches see a real change: that view is "cold".
Reported per page: p50/p95 of ``--repeats`` cold views, the warm p50 (the same page again, no
write), bytes, and the peak RSS while the page was measured (the kernel's high-water mark, reset
before each page through ``/proc/self/clear_refs``). The baseline in the same run is the same page
on the plain demo vault (``--baseline``, about 30,000 events) and, for the server itself, the icon.
Target: p95 of the cold view at most 200 ms at 1,000,000 events; no process above 2 GB.

The big vault is the demo vault grown through the domains' bulk paths (see :func:`build_big`);
it is made once (a few minutes) and cached in ``--cache`` (default: a folder in the system's
temporary directory). ``--households N`` measures instead the demo vault with ``N`` more
enrolled households (the case of a city-wide household list).

With ``--write-cost`` it also measures, in the same run, the ledger's writes with and without the
indexes this issue added (:func:`write_cost`).

``--writes`` measures only the writes whose derived data the pages read (:func:`writes`): run it
with the code before and after a change to see what the change costs them.

    python benchmarks/bench_web.py [--repeats 8] [--events 1000000] [--households 0] [--only /ledger ...] [--write-cost]
    python benchmarks/bench_web.py --writes
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import shutil
import socket
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore")

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from halqa.domains import run_demo  # noqa: E402
from halqa.vault import TEST_KDF, Vault  # noqa: E402
from halqa.web import create_app  # noqa: E402
from halqa.web.state import WebState  # noqa: E402

PASSPHRASE = "bench passphrase"
TARGET = 1_000_000
BIG_VERSION = "2"  # bump when the recipe changes: the cached vault is rebuilt


def _csv(header: list[str], rows: Any) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _cached(folder: Path, done: Path) -> bool:
    """Whether ``folder`` holds a finished build (``done`` written last); if not, empty it."""
    if done.exists():
        return True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return False


def build_big(folder: Path, target: int = TARGET) -> Path:
    """The demo vault grown to ``target`` events through the domains' bulk paths, made once and
    cached in ``folder`` (a temporary folder by default): a year of outage records for 2,000 more
    households (ledger CSV import, 5,000 intervals per event), 3,000 more members with 12,000
    vouches, fund contributions, and grievances (CSV import, one event each) for the rest."""
    import halqa.circles as circles
    import halqa.ledger as ledger
    import halqa.listening as listening
    import halqa.mutual_aid as aid

    path, done = folder / "demo.halqa", folder / f"built-{BIG_VERSION}-{target}"
    if _cached(folder, done):
        return path
    t0 = time.perf_counter()
    run_demo(folder, PASSPHRASE, kdf=TEST_KDF)
    rng = random.Random(2026)
    with Vault.open(path, PASSPHRASE) as vault:
        areas = [r[0] for r in vault.query("SELECT code FROM area ORDER BY code")]
        themes = [th.id for th in listening.themes(vault)]
        # ledger: a year of evening and morning cuts for 2,000 households, 100,000 rows per import
        last = dt.date(2026, 8, 29)
        days = [last - dt.timedelta(days=i) for i in range(365)]
        rows: list[list[str]] = []

        def flush_ledger() -> None:
            if rows:
                ledger.import_file(vault, _csv(["household", "area", "start", "end", "source"], rows).encode(), fmt="csv")
                rows.clear()

        for h in range(2000):
            hh, area = f"hh-big{h:04d}", areas[h % len(areas)]
            for day in days:
                for _ in range(rng.choice((1, 2, 2, 3))):
                    start = dt.datetime.combine(day, dt.time(rng.randrange(0, 22), rng.choice((0, 15, 30, 45))))
                    end = start + dt.timedelta(minutes=rng.randrange(20, 120))
                    if end.date() == day:
                        rows.append([hh, area, start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes"), "grid"])
            if len(rows) >= 100_000:
                flush_ledger()
        flush_ledger()
        print(f"  ledger: {vault.query_one('SELECT count(*) FROM ledger_interval')[0]:,} intervals "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        # circles: 3,000 members, 12,000 vouches
        with vault.transaction():
            names = [f"m-big{i:04d}" for i in range(3000)]
            for i, name in enumerate(names):
                circles.add_member(vault, name, labels={"sect": rng.choice(("shia", "sunni", "christian")),
                                                        "sector": rng.choice(("oil", "construction", "transport"))},
                                   area=areas[i % len(areas)])
            for i, name in enumerate(names):
                for k in (1, 2, 7, 31):
                    circles.add_vouch(vault, name, names[(i + k) % len(names)], rng.randrange(1, 6))
        # mutual aid: contributions to the demo's funds
        funds = [f.name for f in aid.funds(vault)]
        with vault.transaction():
            for i in range(150_000):
                aid.contribute(vault, funds[i % len(funds)], f"m-big{i % 3000:04d}", str(rng.randrange(1, 50) * 1000),
                               day=rng.choice(days).isoformat())
        print(f"  circles and funds: {vault.info()['events']:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
        # listening: the rest as grievances, 50,000 per import
        texts = ["الكهرباء ما تجي من الصبح", "الماي مقطوع", "الأسعار نار", "ماكو شغل", "المولدة غالية", "الإيجار زاد"]
        g_days = [dt.date(2026, 11, 24) - dt.timedelta(days=i) for i in range(365)]
        # An import writes its grievances as batch events of 5,000, so the vault's event count no
        # longer says how many were imported: the recipe fixes the rows (as many grievances as
        # events were missing, which is what the recipe imported when each grievance was an event).
        left = target - vault.info()["events"]
        while left > 0:
            n = min(left, 50_000)
            left -= n
            listening.import_grievances(vault, _csv(list(listening.COLUMNS), (
                [rng.choice(texts), rng.choice(themes), rng.choice(areas), rng.choice(g_days).isoformat(), "", "",
                 rng.randrange(1, 4)] for _ in range(n))), fmt="csv")
        print(f"  grievances: {vault.query_one('SELECT count(*) FROM listening_grievance')[0]:,} in "
              f"{vault.info()['events']:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
    done.write_text("ok")
    return path


def build_households(folder: Path, extra: int) -> Path:
    """The demo vault with ``extra`` more enrolled households (100,000 per commit), cached."""
    import halqa.places as places

    path, done = folder / "demo.halqa", folder / f"built-{BIG_VERSION}-hh{extra}"
    if _cached(folder, done):
        return path
    run_demo(folder, PASSPHRASE, kdf=TEST_KDF)
    with Vault.open(path, PASSPHRASE) as vault:
        areas = [a.code for a in places.areas(vault)]
        for start in range(0, extra, 100_000):
            with vault.transaction():
                for i in range(start, min(extra, start + 100_000)):
                    places.add_household(vault, areas[i % len(areas)], f"hh-x{i:07d}")
    done.write_text("ok")
    return path


# ---------------------------------------------------------------------------- measuring
#: Query strings for pages that need one to show anything (filled from the vault).
NEEDS = {"/ledger/household": "household={household}"}
#: GET routes that are not pages to time: they only redirect or serve a fixed file.
SKIP = {"/lang", "/ca.crt"}


def pages() -> list[str]:
    """Every GET route of the app (from its route table), static files aside."""
    from halqa.web.app import views

    return [v.path for v in views() if "GET" in (v.methods or ()) and v.path not in SKIP and "{" not in v.path]


def _rss_reset() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        pass


def _rss_peak_mb() -> float:
    import resource

    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Writer:
    """One small write of a different domain each time (what a circle does all day)."""

    def __init__(self, state: WebState) -> None:
        import halqa.ledger as ledger
        import halqa.listening as listening
        import halqa.mutual_aid as aid
        import halqa.places as places

        self.state, self.n = state, 0
        with state.use() as vault:
            self.areas = [a.code for a in places.areas(vault)]
            self.themes = [th.id for th in listening.themes(vault)]
            self.household = vault.query_one("SELECT id FROM household ORDER BY id")[0]
            self.members = [r[0] for r in vault.query("SELECT pseudonym FROM circles_member ORDER BY pseudonym LIMIT 40")]
            self.fund = aid.funds(vault)[0].name
            span = ledger.extent(vault)
            self.last_day = dt.datetime.combine(span[1] if span else dt.date.today(), dt.time(0))

    def write(self) -> str:
        import halqa.circles as circles
        import halqa.ledger as ledger
        import halqa.listening as listening
        import halqa.mutual_aid as aid

        kinds = ("grievance", "confirm", "power", "vouch", "contribution")
        kind = kinds[self.n % len(kinds)]
        self.n += 1
        today = dt.date.today().isoformat()
        with self.state.use() as vault:
            if kind == "grievance":
                listening.add_grievance(vault, themes=None, place=self.areas[self.n % len(self.areas)], day=today,
                                        text=f"الكهرباء مقطوعة من الصبح {self.n}")
            elif kind == "confirm":
                row = listening.list_grievances(vault, unconfirmed=True, limit=1)
                if row:
                    listening.confirm_themes(vault, row[0].id, [self.themes[self.n % len(self.themes)]])
            elif kind == "power":  # inside the recorded period: "now" would move the pages' default period
                at = (self.last_day + dt.timedelta(minutes=self.n)).isoformat(timespec="minutes")
                if ledger.open_interval(vault, self.household) is None:
                    ledger.start_outage(vault, self.household, at=at)
                else:
                    ledger.stop_outage(vault, self.household, at=at)
            elif kind == "vouch":
                a, b = self.members[self.n % len(self.members)], self.members[(self.n * 7 + 3) % len(self.members)]
                circles.add_vouch(vault, a, b if b != a else self.members[(self.n + 1) % len(self.members)], 3)
            else:
                aid.contribute(vault, self.fund, self.members[self.n % len(self.members)], "1000", day=today)
        return kind


def measure(path: Path, repeats: int, warm: int, only: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Serve the vault at ``path`` and measure every page; returns per page figures and the vault's."""
    vault = Vault.open(path, PASSPHRASE)
    info = {"events": vault.query_one("SELECT count(*) FROM events")[0],
            "households": vault.query_one("SELECT count(*) FROM household")[0]}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = WebState(path, port=port)  # the server answers only to its own host and port
    app = create_app(path, vault=vault, state=state)
    token = state.devices.issue("bench", role="organiser")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    writer = Writer(state)
    fill = {"household": writer.household}
    out: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies={"sid": token}, timeout=900) as client:
        for page in [*(p for p in pages() if not only or p in only)]:
            url = page + ("?" + NEEDS[page].format(**fill) if page in NEEDS else "")
            _rss_reset()
            client.get(url)  # the first ever: imports, templates, the vault's pages into memory
            cold: list[float] = []
            for _ in range(repeats):
                writer.write()
                start = time.perf_counter()
                r = client.get(url)
                cold.append((time.perf_counter() - start) * 1000)
            warm_times = []
            for _ in range(warm):
                start = time.perf_counter()
                client.get(url)
                warm_times.append((time.perf_counter() - start) * 1000)
            out[page] = {"status": r.status_code, "bytes": len(r.content), "p50": statistics.median(cold),
                         "p95": _p95(cold), "warm": statistics.median(warm_times), "rss_mb": _rss_peak_mb()}
            print(f"  {page:28} {r.status_code} p50 {out[page]['p50']:8.1f}  p95 {out[page]['p95']:8.1f} ms  "
                  f"{len(r.content) / 1024:7.1f} KB  {out[page]['rss_mb']:6.0f} MB", flush=True)
    server.should_exit = True
    time.sleep(0.3)
    state.lock("stopped")
    return out, info


def _p95(times: list[float]) -> float:
    """The 95th percentile (nearest rank: with under 20 views, the slowest one)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1)]


#: Indexes this issue added to the ledger's interval table (the write cost below is theirs).
NEW_INDEXES = ("ledger_interval_end", "ledger_interval_start")


def _write_input(intervals: int) -> tuple[list[bytes], str]:
    """The write benchmarks' input: ``intervals`` outage rows of 2,000 households over 300 days as
    CSV files of 100,000 rows each, and the CSV that enrols those households."""
    rng = random.Random(19)
    day0 = dt.datetime(2026, 1, 1)
    rows = []
    for i in range(intervals):
        start = day0 + dt.timedelta(minutes=rng.randrange(0, 300 * 1440))
        rows.append([f"hh-w{i % 2000:04d}", f"A{i % 2000 % 40:02d}", start.isoformat(timespec="minutes"),
                     (start + dt.timedelta(minutes=rng.randrange(5, 180))).isoformat(timespec="minutes"), "grid"])
    chunks = [_csv(["household", "area", "start", "end", "source"], rows[i:i + 100_000]).encode()
              for i in range(0, intervals, 100_000)]
    return chunks, _csv(["household", "area"], [[f"hh-w{h:04d}", f"A{h % 40:02d}"] for h in range(2000)])


def write_cost(intervals: int = 200_000, rounds: int = 2) -> list[tuple[str, float, float]]:
    """What the period indexes cost on writes, both ways in the same run (alternating, best of
    ``rounds``): the ledger's bulk import (``intervals`` rows, 100,000 per import) and single
    power off/on writes (the page's own write, 300 of them), with and without the indexes."""
    import halqa.ledger as ledger
    from halqa.domains import create_vault

    chunks, enrol = _write_input(intervals)
    best: dict[bool, tuple[float, float]] = {}
    for _ in range(rounds):
        for with_indexes in (False, True):
            folder = Path(tempfile.mkdtemp(prefix="bench-write-"))
            with create_vault(folder / "w.halqa", PASSPHRASE, TEST_KDF) as vault:
                ledger.enrol_households(vault, enrol)
                if not with_indexes:
                    for name in NEW_INDEXES:
                        vault.conn.execute(f"DROP INDEX {name}")
                t0 = time.perf_counter()
                for chunk in chunks:
                    ledger.import_file(vault, chunk, fmt="csv")
                imported = intervals / (time.perf_counter() - t0)
                t0 = time.perf_counter()
                for k in range(150):
                    at = dt.datetime(2026, 12, 1) + dt.timedelta(minutes=2 * k)
                    ledger.start_outage(vault, "hh-w0001", at=at.isoformat(timespec="minutes"))
                    ledger.stop_outage(vault, "hh-w0001", at=(at + dt.timedelta(minutes=1)).isoformat(timespec="minutes"))
                single = 300 / (time.perf_counter() - t0)
            shutil.rmtree(folder, ignore_errors=True)
            old = best.get(with_indexes, (0.0, 0.0))
            best[with_indexes] = (max(old[0], imported), max(old[1], single))
    return [("without the new indexes", *best[False]), ("with them", *best[True])]


def summary_cost(intervals: int = 200_000, rounds: int = 2) -> list[tuple[str, float, float]]:
    """What keeping ``ledger_day`` (hours off per household-day) costs on writes: the bulk import
    and single power off/on writes of :func:`write_cost`, with the projection's summary upkeep and
    with it skipped (the interval table alone), alternating, best of ``rounds``."""
    import halqa.ledger as ledger
    from halqa.domains import create_vault
    from halqa.ledger.events import IntervalProjection

    keep = IntervalProjection.__dict__["apply_many"]

    def bare(self: Any, conn: Any, events: list[Any]) -> None:  # the interval table alone
        for event in events:
            self._fold_interval(conn, event)

    chunks, enrol = _write_input(intervals)
    best: dict[bool, tuple[float, float]] = {}
    for _ in range(rounds):
        for with_summary in (False, True):
            IntervalProjection.apply_many = keep if with_summary else bare  # type: ignore[method-assign]
            folder = Path(tempfile.mkdtemp(prefix="bench-summary-"))
            try:
                with create_vault(folder / "w.halqa", PASSPHRASE, TEST_KDF) as vault:
                    ledger.enrol_households(vault, enrol)
                    t0 = time.perf_counter()
                    for chunk in chunks:
                        ledger.import_file(vault, chunk, fmt="csv")
                    imported = intervals / (time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    for k in range(150):
                        at = dt.datetime(2026, 12, 1) + dt.timedelta(minutes=2 * k)
                        ledger.start_outage(vault, "hh-w0001", at=at.isoformat(timespec="minutes"))
                        ledger.stop_outage(vault, "hh-w0001", at=(at + dt.timedelta(minutes=1)).isoformat(timespec="minutes"))
                    single = 300 / (time.perf_counter() - t0)
            finally:
                IntervalProjection.apply_many = keep  # type: ignore[method-assign]
                shutil.rmtree(folder, ignore_errors=True)
            old = best.get(with_summary, (0.0, 0.0))
            best[with_summary] = (max(old[0], imported), max(old[1], single))
    return [("without the ledger_day upkeep", *best[False]), ("with it", *best[True])]


def giving_cost(contributions: int = 5000, rounds: int = 2, step: str = "giving") -> list[tuple[str, float]]:
    """What one step of the ledger projection costs (``giving``: ``mutual_aid_giving``; ``lines``:
    ``mutual_aid_line``): contributions per second (one commit each, the page's own write) with
    the step and with it skipped, alternating."""
    import halqa.mutual_aid as aid
    from halqa.domains import create_vault
    from halqa.mutual_aid.events import LedgerProjection

    keep = LedgerProjection.__dict__[step]  # the staticmethod itself
    best = {False: 0.0, True: 0.0}
    for _ in range(rounds):
        for with_step in (False, True):
            setattr(LedgerProjection, step, keep if with_step else staticmethod(lambda *a: None))
            folder = Path(tempfile.mkdtemp(prefix="bench-giving-"))
            try:
                with create_vault(folder / "g.halqa", PASSPHRASE, TEST_KDF) as vault:
                    aid.create_fund(vault, "families", "IQD", day="2026-01-01")
                    t0 = time.perf_counter()
                    for i in range(contributions):
                        aid.contribute(vault, "families", f"m-{i % 300:03d}", "1000", day=f"2026-{1 + i % 12:02d}-15")
                    best[with_step] = max(best[with_step], contributions / (time.perf_counter() - t0))
            finally:
                setattr(LedgerProjection, step, keep)
                shutil.rmtree(folder, ignore_errors=True)
    table = {"giving": "the giving table", "lines": "the statement lines"}[step]
    return [(f"without {table}", best[False]), ("with it", best[True])]


def writes(intervals: int = 200_000, singles: int = 300, contributions: int = 1000) -> list[tuple[str, float, float]]:
    """The writes the pages' derived data follow, as the code at hand keeps them (run it with one
    code and then another to compare): the ledger's bulk import (the intervals of
    :func:`write_cost`, 100,000 per import), single power off/on writes and fund contributions,
    one commit each. ``(what, per second of wall time, per second of CPU time)``."""
    import halqa.ledger as ledger
    import halqa.mutual_aid as aid
    from halqa.domains import create_vault

    chunks, enrol = _write_input(intervals)
    out = []
    folder = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    try:
        with create_vault(folder / "w.halqa", PASSPHRASE, TEST_KDF) as vault:
            ledger.enrol_households(vault, enrol)
            aid.create_fund(vault, "families", "IQD", day="2026-01-01")

            def timed(what: str, n: int, run: Any) -> None:
                t0, c0 = time.perf_counter(), time.process_time()
                run()
                out.append((what, n / (time.perf_counter() - t0), n / (time.process_time() - c0)))

            timed("ledger bulk import, intervals", intervals, lambda: [ledger.import_file(vault, c, fmt="csv") for c in chunks])

            def power() -> None:
                for k in range(singles // 2):
                    at = dt.datetime(2026, 12, 1) + dt.timedelta(minutes=2 * k)
                    ledger.start_outage(vault, "hh-w0001", at=at.isoformat(timespec="minutes"))
                    ledger.stop_outage(vault, "hh-w0001", at=(at + dt.timedelta(minutes=1)).isoformat(timespec="minutes"))

            timed("power off/on, writes", singles, power)
            timed("contributions, writes", contributions, lambda: [
                aid.contribute(vault, "families", f"m-{i % 300:03d}", "1000", day=f"2026-{1 + i % 12:02d}-15")
                for i in range(contributions)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=8, help="cold views per page (each after a write)")
    ap.add_argument("--warm", type=int, default=3, help="warm views per page (no write between)")
    ap.add_argument("--events", type=int, default=TARGET, help="events in the big vault")
    ap.add_argument("--households", type=int, default=0, help="instead: the demo vault with this many more households")
    ap.add_argument("--no-baseline", action="store_true", help="skip the demo vault baseline")
    ap.add_argument("--write-cost", action="store_true", help="also measure what the new indexes cost on writes")
    ap.add_argument("--only", nargs="*", default=[], help="measure only these paths")
    ap.add_argument("--writes", action="store_true", help="only measure the writes (see writes()) and stop")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "halqa-bench-web"))
    args = ap.parse_args()
    if args.writes:
        print("| write | per s (wall) | per s (CPU) |\n|---|---|---|")
        for what, wall, cpu in writes():
            print(f"| {what} | {wall:,.1f} | {cpu:,.1f} |", flush=True)
        return
    t0 = time.perf_counter()
    if args.households:
        big = build_households(Path(args.cache) / f"hh{args.households}", args.households)
    else:
        big = build_big(Path(args.cache) / str(args.events), args.events)
    t1 = time.perf_counter()
    Vault.open(big, PASSPHRASE).close()  # projections changed by this code are rebuilt here, once
    print(f"projections up to date in {time.perf_counter() - t1:.1f} s", flush=True)
    # each run writes into a copy: the cached vault stays as built, so runs measure the same data
    run = big.parent.with_name(big.parent.name + "-run") / big.name
    shutil.rmtree(run.parent, ignore_errors=True)
    shutil.copytree(big, run)
    big = run
    print(f"big vault ready in {time.perf_counter() - t0:.1f} s", flush=True)
    base: dict[str, dict[str, Any]] = {}
    if not args.no_baseline:
        small, _ = run_demo(tempfile.mkdtemp(prefix="bench-web-"), PASSPHRASE, kdf=TEST_KDF)
        print("baseline: the demo vault", flush=True)
        base, base_info = measure(small, args.repeats, args.warm, args.only)
        print(f"  ({base_info['events']:,} events, {base_info['households']:,} households)")
    print("big vault", flush=True)
    res, info = measure(big, args.repeats, args.warm, args.only)
    print(f"\n{info['events']:,} events, {info['households']:,} households; cold = first view after a write, "
          f"{args.repeats} per page; RSS = peak while the page was measured ({dt.date.today().isoformat()})\n")
    print(f"| {'path':28} | status | base p95 ms | cold p50 ms | cold p95 ms | x base | warm p50 ms | KB | peak RSS MB | ≤200 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst, peak = 0.0, 0.0
    for page, r in res.items():
        b = base.get(page)
        ratio = f"{r['p95'] / b['p95']:.1f}" if b else ""
        worst, peak = max(worst, r["p95"]), max(peak, r["rss_mb"])
        print(f"| `{page}` | {r['status']} | {b['p95'] if b else 0:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {ratio} | "
              f"{r['warm']:.1f} | {r['bytes'] / 1024:.1f} | {r['rss_mb']:.0f} | {'yes' if r['p95'] <= 200 else 'NO'} |")
    print(f"\nworst cold p95: {worst:.0f} ms; peak RSS: {peak:.0f} MB")
    if args.write_cost:
        print("\n| ledger interval table | bulk import, intervals/s | power off/on, writes/s |\n|---|---|---|")
        for name, imported, single in write_cost():
            print(f"| {name} | {imported:,.0f} | {single:,.1f} |")
        print("\n| ledger_day summary | bulk import, intervals/s | power off/on, writes/s |\n|---|---|---|")
        for name, imported, single in summary_cost():
            print(f"| {name} | {imported:,.0f} | {single:,.1f} |")
        print("\n| mutual aid ledger projection | contributions/s (one commit each) |\n|---|---|")
        for step in ("giving", "lines"):
            for name, rate in giving_cost(step=step):
                print(f"| {name} | {rate:,.1f} |")


if __name__ == "__main__":
    main()
