"""The terminal never obeys stored text: markup, emoji codes and escape sequences print literally.

Stored text reaches the screen from a neighbour's words, a name typed at a meeting or a bundle from
another device; any of it may have been written by an informant. Every read command is run on a
vault whose free-text fields hold Rich markup (``[/]`` breaks rendering, ``[white on white]`` hides
text) and a terminal escape; each must print them as they are and never end in a traceback.
"""

from __future__ import annotations

import io
import json
import sys

import pytest
import typer

from halqa import places
from halqa.cli import common
from halqa.cli.main import app

MARK = "[/]m[white on white]hid:smile:"
ESC = "e\x1b[2Jx"
#: What ESC must look like on screen: the escape shown, not obeyed.
ESC_SHOWN = "e\\x1b[2Jx"

#: Every command that only reads, with the arguments that show the seeded data ({circle}, {tactic} filled in).
READ = {
    "info": [],
    "listen list": [],
    "listen theme list": [],
    "listen group list": [],
    "listen shared": ["--min-n", "1"],
    "listen hotspots": [],
    "listen codebook": [],
    "listen decode": [],
    "ledger report": ["--from", "2026-01-01", "--to", "2026-01-10"],
    "ledger calendar": ["--area", "NKH", "--from", "2026-01-01", "--to", "2026-01-10"],
    "ledger supply": ["hh-1", "--from", "2026-01-01", "--to", "2026-01-10"],
    "circles member list": [],
    "circles show": ["{circle}"],
    "circles measure": [],
    "circles exposure": ["--trials", "2"],
    "circles health": [],
    "circles meeting list": ["{circle}"],
    "circles task list": [],
    "circles replicate": ["{circle}", "--dry-run"],
    "fund list": [],
    "fund statement": ["f1"],
    "pool list": [],
    "pool status": ["p1"],
    "pool remind": [],
    "tools list": ["--all"],
    "repairs list": [],
    "repairs stats": [],
    "learn tactics": [],
    "learn tactic": ["{tactic}"],
    "learn session list": [],
    "care status": [],
    "id show": [],
    "contacts list": [],
    "sync received": [],
    "sync aggregates": [],
    "publish budget": ["grievances"],
    "poster list": [],
    "decide list": [],
    "decide show": ["{proposal}"],
    "decide log": [],
    "services list": [],
    "services show": ["w1"],
    "services account": ["--month", "2026-01"],
    "services trend": ["--month", "2026-01"],
}

#: Commands that write, serve, or only echo what was just typed: each has its own tests.
NOT_READ = {
    "serve", "init", "unlock", "passwd", "rebuild", "panic", "backup", "restore", "demo",
    "duress set", "recovery split", "recovery combine", "config wipe-after",
    "listen add", "listen import", "listen delete", "listen voice", "listen suggest", "listen confirm",
    "listen encode", "listen adopt-codebook", "listen border", "listen theme add", "listen group add",
    "ledger import", "ledger start", "ledger stop", "ledger add", "ledger delete", "ledger paper",
    "ledger tally", "ledger water", "ledger claim", "ledger households import",
    "circles vouch", "circles form", "circles schedule", "circles calendar", "circles role",
    "circles member add", "circles member import", "circles meeting held", "circles task add", "circles task done",
    "fund create", "fund contribute", "fund pledge", "fund disburse", "fund transfer", "fund exchange",
    "fund rate", "fund void", "fund export",
    "pool create", "pool draw", "pool pay", "pool cover", "pool payout", "pool swap", "pool repay", "pool close",
    "tools add", "tools lend", "tools return", "repairs log", "repairs done",
    "learn plan", "learn blackout", "learn quiet", "learn card", "learn circle-key",
    "learn session add", "learn session report", "care plan", "care held", "care checkin",
    "id export-age-identity", "contacts add", "contacts remove",
    "sync export", "sync import", "sync qr", "sync unqr", "sync listen", "sync push",
    "publish table", "hub init", "hub id", "hub add-circle", "hub import", "hub query",
    "poster batch", "poster blackouts", "poster supply", "poster reliability", "poster map", "poster water",
    "poster grievances", "poster hotspots", "poster fund", "poster pool", "poster compare", "poster built",
    "decide propose", "decide position", "decide count", "decide close", "decide link", "decide tactic", "decide adopt",
    "services add", "services asset", "services repair", "services cost", "services rota", "services deliver",
    "services import", "places import-boundaries",
    "config max-clock-ahead", "contacts confirm-roles", "contacts rekey", "contacts set-role",
}


def _leaf_commands() -> set[str]:
    found: set[str] = set()

    def walk(command, prefix: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*prefix, name])
        else:
            found.add(" ".join(prefix))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_classified():
    """A new command must be listed: if it reads stored text, it is run below with markup in it."""
    leaves = _leaf_commands()
    assert leaves - READ.keys() - NOT_READ == set(), "add the new command to READ (with arguments) or NOT_READ"
    assert (READ.keys() | NOT_READ) - leaves == set()


@pytest.fixture
def wide(monkeypatch):
    """A wide terminal, so table cells are not wrapped in the middle of the text looked for."""
    monkeypatch.setattr(common.console, "width", 2000)
    monkeypatch.setattr(common.err_console, "width", 2000)


@pytest.fixture
def seeded(cli, vault, wide, tmp_path):
    """A vault whose free-text fields (texts, names, notes, labels, titles, keywords) hold markup."""
    places.add_area(vault, "NKH", "حي النخيل")
    (tmp_path / "hh.csv").write_text("household,area\nhh-1,NKH\n", encoding="utf-8")
    steps = [
        ["ledger", "households", "import", str(tmp_path / "hh.csv")],
        ["ledger", "add", "hh-1", "2026-01-05T10:00", "2026-01-05T12:00", "--note", MARK],
        ["listen", "theme", "add", "mk", "--name-en", MARK, "--name-ar", MARK, "--name-ckb", MARK, "--keyword", MARK],
        ["listen", "group", "add", "sector", "--value", MARK],
        ["listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-05", "--text", MARK,
         "--group", f"sector={MARK}"],
        ["listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-06", "--text", ESC],
        ["ledger", "claim", "--hours", "20", "--from", "2026-01-01", "--to", "2026-01-10", "--claimant", MARK],
        ["fund", "create", "f1", "--note", MARK],
        ["fund", "contribute", "f1", "--from", "a1", "--amount", "10", "--note", MARK],
        ["pool", "create", "p1", "--members", "a1,a2,a3", "--amount", "10"],
        ["tools", "add", "drill", "--keeper", "a1", "--note", MARK],
        ["repairs", "log", "pump", "--area", "NKH", "--who", "a1", "--part", MARK, "--note", MARK],
        ["services", "add", "w1", "--kind", "water", "--area", "NKH", "--note", MARK],
        ["services", "deliver", "w1", "--household", "hh-1", "--quantity", "20", "--day", "2026-01-05"],
        ["contacts", "add", MARK, "--age-recipient", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
    ]
    steps += [["circles", "member", "add", f"m{i}", "--label", f"k={MARK}", "--skill", MARK] for i in range(6)]
    steps += [["circles", "vouch", f"m{i}", f"m{j}"] for i in range(6) for j in range(i + 1, 6)]
    steps += [["circles", "form", "--min", "3", "--max", "6", "--apply", "--seed", "1"]]
    for step in steps:
        code, out = cli("--yes", *step)
        assert code == 0, (step, out)
    circle = json.loads(cli("circles", "show", "--json")[1])["circles"][0]["id"]
    for step in (["circles", "task", "add", circle, MARK, "--due", "2026-02-01"],
                 ["learn", "session", "add", "--circle", circle, "--movement", MARK, "--tactic", MARK,
                  "--place", MARK, "--years", MARK, "--adapt", MARK, "--month", "2026-01"]):
        code, out = cli("--yes", *step)
        assert code == 0, (step, out)
    tactic = json.loads(cli("learn", "session", "list", "--json")[1])["sessions"][0]["tactic_id"]
    code, out = cli("decide", "propose", "--title", MARK, "--text", MARK, "--option", MARK, "--option", "b", "--json")
    assert code == 0, out
    proposal = json.loads(out)["id"]
    return cli, {"circle": circle, "tactic": tactic, "proposal": proposal}


def _run_human(cli, monkeypatch, *args: str) -> tuple[int, str]:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    try:
        code, out = cli(*args)
    finally:
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    return code, out + err.getvalue()


def test_read_commands_print_stored_markup_literally(seeded, monkeypatch):
    cli, ids = seeded
    shown = {}
    for command, args in READ.items():
        argv = [*command.split(), *(a.format(**ids) for a in args)]
        code, out = _run_human(cli, monkeypatch, *argv)
        assert code == 0, (argv, out)
        assert "Traceback" not in out and "MarkupError" not in out, (argv, out)
        assert "\x1b" not in out, (argv, out)
        shown[command] = out
    # Each kind of stored text is printed as it was written: grievance text, theme names, labels,
    # task titles, tactics, sessions, contact names.
    for command, times in {"listen list": 1, "listen theme list": 3, "circles member list": 6,
                           "circles task list": 1, "learn tactics": 3, "learn tactic": 1,
                           "learn session list": 1, "contacts list": 1, "decide show": 2}.items():
        assert shown[command].count(MARK) >= times, (command, shown[command])
    assert ESC_SHOWN in shown["listen list"]
    assert "😄" not in "".join(shown.values())


@pytest.mark.parametrize("argv", [
    ["--vault", "x[/]y[white on white]", "info"],
    ["fund", "statement", "no[/]such"],
    ["circles", "show", "[/]nope\x1b[2J"],
])
def test_error_messages_echo_values_literally(cli, vault, wide, monkeypatch, argv):
    code, out = _run_human(cli, monkeypatch, *argv)
    assert code in (2, 4), out
    assert "Traceback" not in out and "\x1b" not in out
    value = argv[1] if argv[0] == "--vault" else argv[-1]
    assert common.literal(value) in out


def test_no_command_module_can_turn_markup_back_on():
    """Output goes through the shared consoles, which read no markup even when asked to."""
    import pathlib

    for path in pathlib.Path(common.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "common.py":
            for risky in ("Console(", "rich.print", "from rich import print", "from_markup", "render_markup"):
                assert risky not in text, (path, risky)
    buf = io.StringIO()
    probe = common._LiteralConsole(file=buf, width=200)
    probe.print(MARK, markup=True, emoji=True)
    assert buf.getvalue().strip() == MARK
