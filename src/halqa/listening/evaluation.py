"""Honest evaluation of the theme classifier on real labelled complaints.

Used by the tests and by ``benchmarks/bench_listening.py``; the numbers go to docs/performance.md.

* :func:`load_cfpb` reads the CFPB sample (``../shared/data/complaints/cfpb-sample``), removes
  exact duplicate rows (313) and narratives that carry conflicting labels, so no text is both in
  the training and the test set.
* :func:`evaluate` makes one fixed, stratified split (seed 0, 30 % test), trains the same model
  the circle uses (:func:`halqa.listening.suggest.train_model`) on 10, 25, 50, 100 labels per
  class (fewer when a class has fewer) and on the whole training set, and reports macro-F1 on the
  same test set, next to a majority-class baseline.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from halqa.listening.suggest import train_model

__all__ = ["evaluate", "load_cfpb", "load_nyc311"]


def load_cfpb(folder: Path) -> tuple[list[str], list[str], dict[str, int]]:
    """``(texts, labels, stats)`` from the CFPB sample, deduplicated."""
    path = Path(folder) / "complaints.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [(r["narrative"].strip(), r["product"].strip()) for r in csv.DictReader(fh)]
    unique = list(dict.fromkeys(rows))
    labels_of: dict[str, set[str]] = {}
    for text, label in unique:
        labels_of.setdefault(text, set()).add(label)
    conflicting = {t for t, ls in labels_of.items() if len(ls) > 1}
    kept = [(t, lab) for t, lab in unique if t not in conflicting]
    stats = {"rows": len(rows), "duplicates": len(rows) - len(unique), "conflicting_texts": len(conflicting),
             "kept": len(kept)}
    return [t for t, _ in kept], [lab for _, lab in kept], stats


def load_nyc311(folder: Path) -> list[dict[str, str]]:
    """The NYC 311 sample as dicts (a real CSV parser: quoted fields hold newlines)."""
    path = Path(folder) / "311_Service_Requests.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _predict(model: Any, texts: Sequence[str], fallback: str) -> list[str]:
    if model is None:
        return [fallback] * len(texts)
    proba = model.predict_proba(texts)
    return [model.labels[int(i)] for i in np.argmax(proba, axis=1)]


def evaluate(texts: Sequence[str], labels: Sequence[str], per_class: Sequence[int] = (10, 25, 50, 100),
             method: str = "tfidf", seed: int = 0, test_size: float = 0.3) -> dict[str, Any]:
    """Macro-F1 on a fixed stratified split: learning curve and full-training score."""
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(list(texts), list(labels), test_size=test_size,
                                                        random_state=seed, stratify=list(labels))
    majority = Counter(y_train).most_common(1)[0][0]
    result: dict[str, Any] = {"train": len(x_train), "test": len(x_test), "classes": sorted(set(labels)),
                              "method": method, "majority_baseline": round(_macro_f1(y_test, [majority] * len(y_test)), 4),
                              "curve": []}
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for i, lab in enumerate(y_train):
        by_class.setdefault(lab, []).append(i)
    for lists in by_class.values():
        rng.shuffle(lists)
    for k in per_class:
        idx = sorted(i for lists in by_class.values() for i in lists[:k])
        model = train_model([x_train[i] for i in idx], [[y_train[i]] for i in idx], method=method)
        result["curve"].append({"per_class": k, "labels": len(idx),
                                "macro_f1": round(_macro_f1(y_test, _predict(model, x_test, majority)), 4)})
    model = train_model(x_train, [[y] for y in y_train], method=method)
    result["full"] = round(_macro_f1(y_test, _predict(model, x_test, majority)), 4)
    return result
