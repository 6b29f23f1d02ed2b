"""In Arabic and Sorani, the demo shows no English word: labels, headings and values are translated.

What may stay in Latin letters (the allow-list):

- codes and ids: any word with a digit or one of ``- _ . / : @ =`` (pseudonyms such as ``hh-dhzs``,
  circle ids, fund and pool names, record kinds, dates, file names, paths, URLs, options);
- upper-case codes of two to five letters (area codes such as ``NKH``, currencies such as ``IQD``);
- the vault's own table names, as ``halqa info`` lists them (schema codes);
- units: ``KiB``, ``MiB``;
- ``halqa`` and the command ``serve`` (what to type to open the app), and a whole command quoted to be
  typed (``'halqa ledger stop hh-1'``).

Values a person typed (the seed's theme, group, tool and repair ids) are excluded by their exact words.
"""

from __future__ import annotations

import json
import re

import pytest

from halqa.cli import common
from tests.cli_seed import SEEDED_IDS, read_commands, run_human, seed_read_vault

#: A word in Latin letters (two or more), as a person would read it.
LATIN = re.compile(r"[A-Za-z]{2,}")
SEPARATORS = re.compile(r"[\s,;()\[\]{}،؛«»]+")
CODE = re.compile(r"[0-9\-_./:@=]|^[A-Z]{2,5}$")
WORDS = {"halqa", "serve", "KiB", "MiB"}
#: A command shown to be typed, in quotes.
TYPED_COMMAND = re.compile(r"'halqa [^']*'")


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """The words of ``text`` a reader would see in Latin letters, outside the allow-list."""
    words = (w.rstrip(":") for w in SEPARATORS.split(TYPED_COMMAND.sub(" ", text)))  # "family: 3" names a purpose, not a code
    return [w for w in words if LATIN.search(w) and not CODE.search(w) and w not in WORDS | allowed]


def test_the_allow_list():
    assert latin_words("الحلقات: hh-dhzs c-9r65 NKH IQD a4.pdf /tmp/x 2026-06-09T13:07", set()) == []
    assert latin_words("halqa serve --vault /tmp/demo.halqa", set()) == []
    assert latin_words("shared causes: electricity 0.29", set()) == ["shared", "causes", "electricity"]
    assert latin_words("(meal), held; family: 3 IQD", set()) == ["meal", "held", "family"]
    assert latin_words("نفّذ 'halqa ledger stop hh-1' عند", set()) == []
    assert latin_words("نفّذ halqa ledger stop", set()) == ["ledger", "stop"]


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


#: What the seed types into every free-text field: a person's words, in Arabic.
TYPED = "نص كتبه أحد الجيران"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_read_commands_speak_only_the_chosen_language(cli, vault, wide, monkeypatch, tmp_path, lang):
    ids = seed_read_vault(cli, vault, tmp_path, TYPED, TYPED)
    tables = set(json.loads(cli("info", "--json")[1])["projections"])
    found = {}
    for command, argv, code, out in read_commands(cli, monkeypatch, ids, "--lang", lang):
        assert code == 0, (argv, out)
        words = latin_words(out, tables | SEEDED_IDS)
        if words:
            found[command] = sorted(set(words))
    total = sum(len(words) for words in found.values())
    assert not found, f"{total} Latin words in {len(found)} commands:\n" + "\n".join(
        f"{command}: {' '.join(words)}" for command, words in found.items())


#: Write commands that print a confirmation, run in order on the seeded vault ({circle}, {proposal} filled in).
WRITE = [
    ["listen", "add", "--theme", "water", "--place", "NKH", "--day", "2026-01-07", "--text", TYPED],
    ["listen", "suggest", "--text", "ما عندنا كهرباء من أسبوع والمولدة غالية"],
    ["listen", "theme", "add", "mk2", "--name-ar", TYPED, "--name-ckb", TYPED],
    ["listen", "group", "add", "origin"],
    ["listen", "encode", "--theme", "water", "--count", "3", "--place", "NKH", "--line-lang", "ar"],
    ["listen", "border", "NKH", "NKH2"],
    ["ledger", "start", "hh-1", "--at", "2026-01-07T10:00"],
    ["ledger", "stop", "hh-1", "--at", "2026-01-07T11:00"],
    ["ledger", "tally", "hh-1", "2", "3", "--from", "2026-01-08"],
    ["ledger", "water", "hh-1", "--day", "2026-01-08", "--litres", "20", "--spent", "1000"],
    ["fund", "pledge", "f1", "--from", "a2", "--amount", "5"],
    ["fund", "disburse", "f1", "--to", "a3", "--amount", "5", "--purpose", "medicine"],
    ["fund", "rate", "USD", "1310"],
    ["pool", "draw", "p1", "--seed", "x"],
    ["pool", "pay", "p1", "--member", "a1", "--round", "1"],
    ["tools", "lend", "drill", "--to", "a2"],
    ["tools", "return", "drill"],
    ["circles", "task", "add", "{circle}", TYPED, "--due", "2026-03-01"],
    ["circles", "form", "--min", "3", "--max", "6", "--seed", "1"],
    ["circles", "schedule", "{circle}", "--weeks", "2"],
    ["circles", "role", "{circle}", "m1", "host"],
    ["learn", "plan", "--months", "2"],
    ["care", "checkin", "--circle", "{circle}", "--score", "3"],
    ["decide", "position", "{proposal}", "--member", "m1", "--choice", "b"],
    ["decide", "close", "{proposal}"],
    ["contacts", "add", "حليف", "--age-recipient", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
]


@pytest.mark.slow
def test_write_commands_confirm_in_arabic(cli, vault, wide, monkeypatch, tmp_path):
    ids = seed_read_vault(cli, vault, tmp_path, TYPED, TYPED)
    found = {}
    for step in WRITE:
        argv = ["--lang", "ar", "--yes", *(a.format(**ids) for a in step)]
        code, out = run_human(cli, monkeypatch, *argv)
        assert code == 0, (argv, out)
        if words := latin_words(out, SEEDED_IDS):
            found[" ".join(step[:2])] = words
    assert not found, found
