"""In Arabic and Sorani, no command shows an English word: labels, headings, values, confirmations and
each rejected row's reason are translated. The demo and every command the CLI has are run (a test
lists them through Typer and fails on one left out), and every message of the two catalogues is read.

What may stay in Latin letters (the allow-list):

- codes and ids: any word with a digit or one of ``- _ . / : @ =`` (pseudonyms such as ``hh-dhzs``,
  circle ids, fund and pool names, record kinds, dates, file names, paths, URLs, options);
- upper-case codes of two to five letters (area codes such as ``NKH``, currencies such as ``IQD``);
- the vault's own table names, as ``halqa info`` lists them (schema codes);
- units: ``KiB``, ``MiB``;
- a program's, a format's or a statistic's own name: ``halqa``, ``Fava`` (where a fund export opens),
  ``PostgreSQL``, ``GeoJSON`` and its ``FeatureCollection``, ``Polygon``, ``MultiPolygon``, ``Gi*``
  (Getis-Ord), and ``English`` (how the language switch names English);
- an upper-case code with a Sorani suffix (``IQDی``: "of IQD");
- the command ``serve`` (what to type to open the app), and a whole command quoted to be
  typed (``'halqa ledger stop hh-1'``, or set off by left-to-right marks inside right-to-left text);
- a word in quotes (``'code'``, ``'MAM'``, ``"role"``): a file's or a request's own field name or value,
  shown as written;
- the key to press to stop the server, ``Ctrl+C``.

Values a person typed (the seed's theme, group, tool and repair ids) are excluded by their exact words.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from halqa import places
from halqa.cli import common
from halqa.i18n import catalogue
from tests.cli_seed import READ, SEED, SEEDED_IDS, leaf_commands, read_commands, run_human, seed_read_vault
from tests.conftest import PASSPHRASE

#: A word in Latin letters (two or more), as a person would read it.
LATIN = re.compile(r"[A-Za-z]{2,}")
SEPARATORS = re.compile(r"[\s,;()\[\]{}،؛«»\u200e\u200f]+")
#: A word in quotes: a literal from a file (a field name, a value as written).
QUOTED = re.compile(r"'[^'\s]+'|\"[^\"\s]+\"")
CODE = re.compile(r"[0-9\-_./:@=]|^[A-Z]{2,5}$")
WORDS = {"halqa", "Fava", "PostgreSQL", "GeoJSON", "FeatureCollection", "Polygon", "MultiPolygon", "Gi*", "English",
         "serve", "Ctrl+C", "KiB", "MiB"}
#: Arabic-script letters written onto the end of a code (Sorani's ``IQDی``).
SUFFIX = re.compile(r"[\u0600-\u06ff]+$")
#: A command shown to be typed, in quotes or between left-to-right marks.
TYPED_COMMAND = re.compile(r"'halqa [^']*'|\u200ehalqa [^\u200e]*\u200e")


def latin_words(text: str, allowed: set[str]) -> list[str]:
    """The words of ``text`` a reader would see in Latin letters, outside the allow-list."""
    # "family: 3" names a purpose, not a code
    words = (w.rstrip(":") for w in SEPARATORS.split(QUOTED.sub(" ", TYPED_COMMAND.sub(" ", text))))
    words = (SUFFIX.sub("", w) if CODE.search(SUFFIX.sub("", w)) else w for w in words)
    return [w for w in words if LATIN.search(w) and not CODE.search(w) and w not in WORDS | allowed]


def test_the_allow_list():
    assert latin_words("الحلقات: hh-dhzs c-9r65 NKH IQD a4.pdf /tmp/x 2026-06-09T13:07", set()) == []
    assert latin_words("halqa serve --vault /tmp/demo.halqa", set()) == []
    assert latin_words("shared causes: electricity 0.29", set()) == ["shared", "causes", "electricity"]
    assert latin_words("(meal), held; family: 3 IQD", set()) == ["meal", "held", "family"]
    assert latin_words("نفّذ 'halqa ledger stop hh-1' عند", set()) == []
    assert latin_words("نفّذ halqa ledger stop", set()) == ["ledger", "stop"]
    assert latin_words("التالي: \u200ehalqa pool draw p1\u200e.", set()) == []
    assert latin_words("10 IQDی", set()) == [] and latin_words("poolی", set()) == ["poolی"]
    assert latin_words("السطر 3: قيمة 'maybe'، field 'code'", set()) == ["field"]


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_every_message_speaks_only_its_language(lang):
    """Every message of the Arabic and Sorani catalogues, errors included (each one a command may
    print, whether or not a test below reaches it), with its placeholders left out."""
    found = {key: words for key, text in catalogue(lang).items()
             if (words := latin_words(re.sub(r"{[^{}]*}", " ", text), set()))}
    assert not found, "\n".join(f"{key}: {' '.join(words)}" for key, words in found.items())


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


# ---------------------------------------------------------------------------- every other command
#: Write commands run in order on the seeded vault, after SEED. ``{name}`` is filled from the seed's
#: ids, or on first use from a ``--json`` look-up in CAPTURE. ``{tmp}`` is the test's folder, where
#: :func:`_inputs` wrote the files the importers read.
WRITE = [
    ["listen", "add", "--theme", "water", "--place", "NKH", "--day", "2026-01-07", "--text", TYPED],
    ["listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-03", "--voice", "{tmp}/voice.ogg"],
    ["listen", "voice", "{voiced}", "-o", "{tmp}/heard.ogg"],
    ["listen", "delete", "{voiced}"],
    ["listen", "import", "{tmp}/grievances.csv"],
    ["listen", "suggest", "--text", "ما عندنا كهرباء من أسبوع والمولدة غالية"],
    ["listen", "confirm", "{grievance}", "--theme", "mk"],
    ["listen", "theme", "add", "mk2", "--name-ar", TYPED, "--name-ckb", TYPED],
    ["listen", "group", "add", "origin"],
    ["listen", "encode", "--theme", "water", "--count", "3", "--place", "NKH", "--line-lang", "ar"],
    ["listen", "border", "NKH", "NKH2"],
    ["ledger", "import", "{tmp}/outages.csv"],
    ["ledger", "import", "{tmp}/gridwatch.csv", "--format", "gridwatch", "--area", "GW"],
    ["ledger", "import", "{tmp}/eaglei.csv", "--format", "eaglei"],
    ["ledger", "import", "{tmp}/upnepa.json", "--format", "upnepa", "--area", "UPN"],
    ["ledger", "households", "import", "{tmp}/households.csv"],
    ["ledger", "start", "hh-1", "--at", "2026-01-07T10:00"],
    ["ledger", "stop", "hh-1", "--at", "2026-01-07T11:00"],
    ["ledger", "delete", "{interval}"],
    ["ledger", "paper", "hh-1", "xxxx....................", "--from", "2026-01-09"],
    ["ledger", "tally", "hh-1", "2", "3", "--from", "2026-01-08"],
    *[["ledger", "water", f"hh-{i}", "--day", "2026-01-08", "--litres", "20", "--spent", "1000"] for i in range(1, 6)],
    ["fund", "create", "f2", "--note", TYPED],
    ["fund", "pledge", "f1", "--from", "a2", "--amount", "5"],
    ["fund", "disburse", "f1", "--to", "a3", "--amount", "5", "--purpose", "medicine"],
    ["fund", "rate", "USD", "1310"],
    ["fund", "transfer", "f1", "f2", "--amount", "1"],
    ["fund", "exchange", "f1", "--amount", "2", "--currency", "IQD", "--to", "USD", "--rate", "0.5"],
    ["fund", "void", "{entry}"],
    ["fund", "export", "-o", "{tmp}/funds.csv"],
    ["pool", "draw", "p1", "--seed", "x"],
    ["pool", "pay", "p1", "--member", "a1", "--round", "1"],
    ["pool", "cover", "p1", "--member", "a2", "--round", "1", "--by", "organiser"],
    ["pool", "pay", "p1", "--member", "a3", "--round", "1"],
    ["pool", "payout", "p1", "--round", "1"],
    ["pool", "repay", "p1", "--member", "a2", "--to", "a1"],
    ["pool", "swap", "p1", "a2", "a3"],
    ["pool", "close", "p1", "--reason", TYPED],
    ["tools", "lend", "drill", "--to", "a2"],
    ["tools", "return", "drill"],
    ["repairs", "done", "{repair}"],
    ["circles", "member", "import", "{tmp}/members.csv"],
    ["circles", "vouch", "import", "{tmp}/vouches.csv"],
    ["circles", "task", "add", "{circle}", TYPED, "--due", "2026-03-01"],
    ["circles", "task", "done", "{task}"],
    ["circles", "form", "--min", "3", "--max", "6", "--seed", "1"],
    ["circles", "schedule", "{circle}", "--weeks", "2"],
    ["circles", "calendar", "{circle}", "-o", "{tmp}/meetings.ics"],
    ["circles", "meeting", "held", "{meeting}", "--present", "m1"],
    ["circles", "role", "{circle}", "m1", "host"],
    ["learn", "plan", "--months", "2"],
    ["learn", "blackout", "{circle}", "2026-04"],
    ["learn", "quiet", "--day", "2026-02-01", "--hour", "9", "--instruction", "{circle}=candles", "--line-lang", "ar"],
    ["learn", "card", "{circle}", "{card}"],
    ["learn", "circle-key", "{circle}", "--set", "ab" * 32],
    ["learn", "session", "report", "{session}", "--outcome", "tried", "--change", TYPED, "--keep"],
    ["care", "plan", "{meeting}", "--form", "meal"],
    ["care", "held", "{meeting}", "--form", "meal"],
    ["care", "checkin", "--circle", "{circle}", "--score", "3"],
    ["decide", "position", "{proposal}", "--member", "m1", "--choice", "b"],
    ["decide", "count", "{proposal}", "--tally", "b=3"],
    ["decide", "close", "{proposal}"],
    ["decide", "link", "{proposal}", "--kind", "task", "--ref", "{task}"],
    ["decide", "propose", "--title", TYPED, "--option", TYPED, "--option", "b", "--mode", "ranked"],
    ["decide", "tactic", "--circle", "{circle}", "--tactic", "{tactic1}", "--tactic", "{tactic2}", "--month", "2026-03"],
    ["decide", "position", "{tactic_vote}", "--member", "m1", "--choice", "{tactic_choice}"],
    ["decide", "close", "{tactic_vote}"],
    ["decide", "adopt", "{tactic_vote}"],
    ["services", "asset", "w1", "--name", TYPED],
    ["services", "repair", "{asset}", "--what", TYPED, "--who", "a1", "--done"],
    ["services", "add", "w2", "--kind", "water", "--area", "NKH", "--fund", "f2", "--rota", "m1", "--rota", "m2"],
    ["services", "cost", "w2", "1", "--purpose", "repair"],
    ["services", "rota", "w2", "--weeks", "2"],
    ["services", "import", "{tmp}/deliveries.csv", "--service", "w1"],
    ["contacts", "add", "حليف", "--age-recipient", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
    ["contacts", "set-role", "حليف", "ally"],
    ["contacts", "confirm-roles"],
    ["contacts", "rekey", "حليف", "--age-recipient", "age1rxg8vsygm8406jmn787dq9frn9quedn2wk7gzn6jxsqltpjj3q6qnpkfw2"],
    ["id", "export-age-identity", "-o", "{tmp}/identity.txt"],
    ["sync", "export", "--to", "حليف", "--aggregate-only", "-o", "{tmp}/ally.age"],
    ["sync", "qr", "{tmp}/ally.age", "-o", "{tmp}/qr"],
    ["sync", "unqr", "{qr_images}", "-o", "{tmp}/again.age"],
    ["contacts", "remove", "حليف"],
    ["publish", "budget", "grievances", "--set", "2"],
    ["publish", "table", "grievances", "--epsilon", "0.5", "--threshold", "1"],
    ["places", "import-boundaries", "{boundaries}"],
    ["poster", "batch", "-o", "{tmp}/posters", "--kind", "blackouts", "--format", "pdf"],  # districts too few to show are skipped
    ["pool", "create", "p2", "--members", "a1,a2,a3,a4,a5", "--amount", "10"],
    ["poster", "pool", "--name", "p2", "-o", "{tmp}/pool.pdf"],
    *[["poster", kind, "--area", "NKH", "-o", f"{{tmp}}/{kind}.pdf"]
      for kind in ("blackouts", "supply", "reliability", "map", "water", "grievances", "hotspots", "fund",
                   "compare", "built")],
]

#: How a ``{name}`` not known from the seed is found: a ``--json`` command and what to take from it.
CAPTURE = {
    "voiced": (["listen", "list"], lambda d: next(g["id"] for g in d if g.get("voice"))),
    "grievance": (["listen", "list"], lambda d: d[0]["id"]),
    "interval": (["ledger", "add", "hh-1", "2026-01-06T10:00", "2026-01-06T11:00"], lambda d: d["id"]),
    "entry": (["fund", "statement", "f1"], lambda d: d["entries"][0]["id"]),
    "repair": (["repairs", "list"], lambda d: d[0]["id"]),
    "task": (["circles", "task", "list", "--open"], lambda d: d["tasks"][0]["id"]),
    "meeting": (["circles", "meeting", "list", "{circle}"], lambda d: d["meetings"][0]["meeting"]),
    "card": (["learn", "quiet", "--day", "2026-02-02", "--hour", "9", "--instruction", "{circle}=candles"],
             lambda d: d["cards"][0]["card"]),
    "session": (["learn", "session", "list"], lambda d: d["sessions"][0]["id"]),
    "tactic1": (["learn", "tactics"], lambda d: d["tactics"][0]["id"]),
    "tactic2": (["learn", "tactics"], lambda d: d["tactics"][1]["id"]),
    "tactic_vote": (["decide", "list", "--open"], lambda d: next(p["id"] for p in d["proposals"] if p["circles"])),
    "tactic_choice": (["decide", "list", "--open"],
                      lambda d: next(p["options"][0] for p in d["proposals"] if p["circles"])),
    "asset": (["services", "show", "w1"], lambda d: d["assets"][0]["id"]),
}

#: The vault's own commands, on a vault of their own (``{tmp}`` as above, ``{share}`` from the split).
VAULT = [
    ["init", "--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1"],
    ["listen", "adopt-codebook", "cd" * 32, "--place", "NKH"],
    ["unlock"],
    ["rebuild"],
    ["config", "max-clock-ahead", "12"],
    ["config", "wipe-after", "5"],
    ["duress", "set", "--duress-passphrase-file", "{tmp}/duress.txt"],
    ["recovery", "split", "--shares", "3", "--threshold", "2"],
    ["recovery", "combine", "{share1}", "{share2}", "--new-passphrase-file", "{tmp}/pass.txt"],
    ["passwd", "--new-passphrase-file", "{tmp}/pass.txt"],
    ["backup", "-o", "{tmp}/vault.bak"],
    ["panic"],  # shreds the backup too: the copy carried away is restored
    ["restore", "{tmp}/carried.bak"],
]

#: Between two vaults: a device pushes to another over the network, a hub collects aggregates.
BETWEEN = [
    ["sync", "export", "--to", "y", "-o", "{tmp}/to-y.age"],
    ["sync", "import", "{tmp}/to-y.age"],
    ["sync", "listen", "--port", "{port}", "--timeout", "60"],
    ["sync", "push", "y", "--address", "127.0.0.1:{port}"],
]
HUB = [
    ["hub", "init", "{url}"],
    ["hub", "id", "{url}"],
    ["hub", "add-circle", "{url}", "basra", "--text", "{text}", "--verified", "in-person"],
    ["hub", "import", "{url}", "{tmp}/hub.age"],
    ["hub", "query", "{url}", "--by", "theme"],
]

#: The web server's announcements (address, one-time login link, certificate, how to stop); its
#: pages are checked in every language by tests/web/test_language.py.
SERVE = [["serve"], ["serve", "--lan"], ["serve", "--locked"]]

#: Commands whose human output is not checked by the lists above, and why.
SKIP = {
    "demo": "checked on its own by test_demo_speaks_only_the_chosen_language",
}


def _command(argv: list[str], leaves: set[str]) -> str:
    """The leaf command an argument list runs (its longest prefix that is a command)."""
    words = [a for a in argv if not a.startswith("-")]
    for n in range(len(words), 0, -1):
        if " ".join(words[:n]) in leaves:
            return " ".join(words[:n])
    raise AssertionError(f"no command in {argv}")


def test_every_command_has_a_language_check():
    """A new command must be run in Arabic and Sorani below (or skipped here with the reason)."""
    leaves = leaf_commands()
    checked = {_command(argv, leaves) for argv in [*SEED, *WRITE, *VAULT, *BETWEEN, *HUB, *SERVE]} | READ.keys()
    assert leaves - checked - SKIP.keys() == set(), "add the command to WRITE (or another list), or to SKIP"
    assert checked & SKIP.keys() == set()


def _inputs(tmp_path: Path) -> None:
    """The files the importers read, each with a bad row (whose reason is shown), and the voice note."""
    files = {
        "grievances.csv": "text,themes,place,day,groups,tone,count\n" + "".join(
            f"{TYPED},mk,{('NKH', 'JSR')[i % 2]},2026-01-{1 + i % 9:02d},,,1\n" for i in range(24))
                          + f"{TYPED},mk,,2026-01-04,,,1\n",
        "outages.csv": "household,area,start,end,source\nhh-1,NKH,2026-01-02T10:00:00,2026-01-02T12:00:00,grid\n"
                       "hh-1,NKH,2026-01-03T10:00:00,2026-01-03T09:00:00,grid\nhh-1,NKH,2026-01-02T10:00:00\n",
        "gridwatch.csv": "time, id, type\n1104485658,6cad15226bf1c195,unplugged\n1400000000,8eeeb4d35e39e4,unplugged\n"
                         "1400000600,8eeeb4d35e39e4,unplugged\n1400001200,8eeeb4d35e39e4,plugged\n"
                         "1400001300,8eeeb4d35e39e4,plugged\n",
        "eaglei.csv": "48201,Harris,Texas,10,2024-07-05 00:00:00,100\n48201,Harris,Texas,,2024-07-05 00:15:00,100\n"
                      "48201,Harris,Texas,10,2024-07-05 00:00:00,100\n48453,Travis,Texas,1,2024-07-05 00:30:00,100\n"
                      "48201,Harris,Texas,0,2024-07-05 00:30:00,100\nbroken\n",
        "upnepa.json": '{"2024-04-25": {"A": {"morning": "ON", "afternoon": "maybe", "evening": "OFF"}, '
                       '"B": {"morning": "OFF", "afternoon": "ON", "evening": "OFF"}, "C": {"morning": "OFF"}}}',
        "households.csv": "household,area\n" + "".join(f"hh-{i},NKH\n" for i in (2, 3, 4, 5, 6, 2)),
        "members.csv": "pseudonym,sect\nn1,a\nn2,b\n,c\n",
        "vouches.csv": "from,to,strength\nn1,n2,4\nn1,zz,9\n",
        "deliveries.csv": "day,household,quantity\n" + "".join(f"2026-01-06,hh-{i},20\n" for i in range(1, 7))
                          + "not-a-day,hh-1,x\n",
        "duress.txt": "another passphrase of mine\n",
        "pass.txt": PASSPHRASE + "\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "voice.ogg").write_bytes(b"OggS fake audio")


class _Steps:
    """Runs argument lists in one language, fills their ``{names}``, and collects the Latin words each prints."""

    def __init__(self, cli, monkeypatch, lang: str, ids: dict[str, str], allowed: set[str]):
        self.cli, self.monkeypatch, self.lang, self.ids, self.allowed = cli, monkeypatch, lang, ids, allowed
        self.found: dict[str, list[str]] = {}

    def fill(self, arg: str) -> str:
        for name in re.findall(r"{(\w+)}", arg):
            if name not in self.ids:
                argv, pick = CAPTURE[name]
                code, out = self.cli("--yes", "--json", *(self.fill(a) for a in argv))
                assert code == 0, (name, out)
                self.ids[name] = pick(json.loads(out))
        return arg.format(**self.ids)

    def run(self, step: list[str]) -> str:
        argv = ["--lang", self.lang, "--yes", *(self.fill(a) for a in step)]
        got, out = run_human(self.cli, self.monkeypatch, *argv)
        assert got == 0 or (got == 2 and "import" in step), (argv, out)  # an importer exits 2 on a bad row
        self.check(step, out)
        return out

    def check(self, step: list[str], out: str) -> None:
        if words := latin_words(out, self.allowed):
            self.found.setdefault(" ".join(w for w in step[:3] if not w.startswith(("-", "{"))), []).extend(words)

    def assert_clean(self) -> None:
        total = sum(len(w) for w in self.found.values())
        assert not self.found, f"{total} Latin words in {len(self.found)} commands:\n" + "\n".join(
            f"{command}: {' '.join(sorted(set(words)))}" for command, words in self.found.items())


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_write_commands_speak_only_the_chosen_language(cli, vault, wide, monkeypatch, tmp_path, lang):
    """Every write command on the seeded vault, importers with bad rows included: confirmations,
    counts and each rejected row's reason in the chosen language."""
    _inputs(tmp_path)
    places.add_area(vault, "JSR", "حي الجسر")
    steps = _Steps(cli, monkeypatch, lang, {"tmp": str(tmp_path)}, SEEDED_IDS | {"zz"})
    steps.ids |= seed_read_vault(cli, vault, tmp_path, TYPED, TYPED, run=lambda step: steps.run(step))
    steps.ids["boundaries"] = str(Path(__file__).parent / "places" / "data" / "neighbourhood.geojson")
    for step in WRITE:
        if "{qr_images}" in step:  # every image of the sequence, one argument each
            i = step.index("{qr_images}")
            step = [*step[:i], *map(str, sorted((tmp_path / "qr").iterdir())), *step[i + 1:]]
        steps.run(step)
    steps.assert_clean()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_vault_commands_speak_only_the_chosen_language(cli, monkeypatch, tmp_path, lang):
    _inputs(tmp_path)
    steps = _Steps(cli, monkeypatch, lang, {"tmp": str(tmp_path)}, set())
    for step in VAULT:
        if step[0] == "recovery" and step[1] == "combine":
            _, out = cli("--json", "recovery", "split", "--shares", "3", "--threshold", "2")
            steps.ids["share1"], steps.ids["share2"] = json.loads(out)["shares"][:2]
        if step == ["panic"]:
            shutil.copy(tmp_path / "vault.bak", tmp_path / "carried.bak")
        steps.run(step)
    steps.assert_clean()


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    for _ in range(600):
        if process.poll() is not None:
            return
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_two_devices_speak_only_the_chosen_language(cli, vault, monkeypatch, tmp_path, lang):
    """A bundle carried to a second device, then a push over the network to it (its listener runs
    as its own process, as it would on the other phone)."""
    from tests.bridge.conftest import pair
    from tests.conftest import new_vault

    _inputs(tmp_path)
    vault.close()
    x = new_vault(tmp_path, "x")
    y = new_vault(tmp_path, "y")
    pair(x, y)
    places.add_area(x, "NKH", "حي النخيل")
    x.close(), y.close()
    steps = _Steps(cli, monkeypatch, lang, {"tmp": str(tmp_path)}, {"x", "y"})
    monkeypatch.setenv("HALQA_VAULT", str(tmp_path / "x.halqa"))
    steps.run(["listen", "add", "--theme", "water", "--place", "NKH", "--day", "2026-01-07", "--text", TYPED])
    steps.run(BETWEEN[0])
    steps.run(["--vault", str(tmp_path / "y.halqa"), *BETWEEN[1]])
    for command in ("sync received", "sync aggregates"):
        steps.run(["--vault", str(tmp_path / "y.halqa"), *command.split()])
    steps.run(["listen", "add", "--theme", "water", "--place", "NKH", "--day", "2026-01-08", "--text", TYPED])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        steps.ids["port"] = str(s.getsockname()[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HALQA_VAULT": str(tmp_path / "y.halqa")}
    listener = subprocess.Popen(
        [sys.executable, "-c", "from halqa.cli.main import main; main()", "--lang", lang,
         *(steps.fill(a) for a in BETWEEN[2])], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_port(int(steps.ids["port"]), listener)
        steps.run(BETWEEN[3])
        heard, _ = listener.communicate(timeout=60)
    finally:
        listener.kill()
    assert listener.returncode == 0, heard
    steps.check(BETWEEN[2], heard)
    steps.assert_clean()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_hub_commands_speak_only_the_chosen_language(cli, vault, monkeypatch, tmp_path, pg_server, lang):
    import random

    from halqa import listening
    from halqa.bridge import identity

    rng = random.Random(4)
    places.demo(vault, rng, households_per_area=1)
    listening.demo(vault, rng, n=150)
    steps = _Steps(cli, monkeypatch, lang, {"tmp": str(tmp_path), "url": pg_server(),
                                           "text": identity(vault).text}, {"basra", "hub"})
    steps.run(HUB[0])
    hub_text = json.loads(cli("hub", "id", steps.ids["url"], "--json")[1])["pairing_text"]
    assert cli("contacts", "add", "hub", "--text", hub_text, "--role", "hub")[0] == 0
    steps.run(HUB[1])
    steps.run(HUB[2])
    steps.run(["sync", "export", "--to", "hub", "--aggregate-only", "--threshold", "2", "-o", "{tmp}/hub.age"])
    steps.run(HUB[3])
    steps.run(HUB[4])
    steps.assert_clean()


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_serve_speaks_only_the_chosen_language(cli, vault, monkeypatch, tmp_path, lang):
    """What ``halqa serve`` tells the organiser before it serves (the server itself is not started)."""
    import uvicorn

    vault.close()
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    steps = _Steps(cli, monkeypatch, lang, {}, set())
    for step in SERVE:
        assert "http" in steps.run(step)
    steps.assert_clean()
