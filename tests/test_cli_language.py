"""In Arabic and Sorani, the demo shows no English word: labels, headings and values are translated.

What may stay in Latin letters (the allow-list):

- codes and ids: any word with a digit or one of ``- _ . / : @ =`` (pseudonyms such as ``hh-dhzs``,
  circle ids, fund and pool names, record kinds, dates, file names, paths, URLs, options);
- upper-case codes of two to five letters (area codes such as ``NKH``, currencies such as ``IQD``);
- the vault's own table names, as ``halqa info`` lists them (schema codes);
- units: ``KiB``, ``MiB``;
- ``halqa`` and the command ``serve`` (what to type to open the app).
"""

from __future__ import annotations

import json
import re

import pytest

from halqa.cli import common

#: A word in Latin letters (two or more), as a person would read it.
LATIN = re.compile(r"[A-Za-z]{2,}")
SEPARATORS = re.compile(r"[\s,;()\[\]{}،؛«»]+")
CODE = re.compile(r"[0-9\-_./:@=]|^[A-Z]{2,5}$")
WORDS = {"halqa", "serve", "KiB", "MiB"}


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """The words of ``text`` a reader would see in Latin letters, outside the allow-list."""
    words = (w.rstrip(":") for w in SEPARATORS.split(text))  # "family: 3" names a purpose, not a code
    return [w for w in words if LATIN.search(w) and not CODE.search(w) and w not in WORDS | allowed]


def test_the_allow_list():
    assert latin_words("الحلقات: hh-dhzs c-9r65 NKH IQD a4.pdf /tmp/x 2026-06-09T13:07", set()) == []
    assert latin_words("halqa serve --vault /tmp/demo.halqa", set()) == []
    assert latin_words("shared causes: electricity 0.29", set()) == ["shared", "causes", "electricity"]
    assert latin_words("(meal), held; family: 3 IQD", set()) == ["meal", "held", "family"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_demo_speaks_only_the_chosen_language(cli, monkeypatch, tmp_path, lang):
    monkeypatch.setattr(common.console, "width", 1000)  # no cell cut short with an ellipsis
    code, out = cli("--lang", lang, "demo", "--path", str(tmp_path), "--kdf-memory", "8")
    assert code == 0, out
    code, info = cli("--vault", str(tmp_path / "demo.halqa"), "info", "--json")
    tables = set(json.loads(info)["projections"])
    found = latin_words(out, tables)
    assert not found, " ".join(sorted(set(found)))
