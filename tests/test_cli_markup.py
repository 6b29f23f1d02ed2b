"""The terminal never obeys stored text: markup, emoji codes and escape sequences print literally.

Stored text reaches the screen from a neighbour's words, a name typed at a meeting or a bundle from
another device; any of it may have been written by an informant. Every read command is run on a
vault whose free-text fields hold Rich markup (``[/]`` breaks rendering, ``[white on white]`` hides
text) and a terminal escape; each must print them as they are and never end in a traceback.
"""

from __future__ import annotations

import io

import pytest

from halqa.cli import common
from tests.cli_seed import READ, leaf_commands, read_commands, run_human, seed_read_vault

MARK = "[/]m[white on white]hid:smile:"
ESC = "e\x1b[2Jx"
#: What ESC must look like on screen: the escape shown, not obeyed.
ESC_SHOWN = "e\\x1b[2Jx"

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
    "id export-age-identity", "contacts add", "contacts remove", "contacts set-role", "contacts confirm-roles",
    "contacts rekey", "config max-clock-ahead",
    "sync export", "sync import", "sync qr", "sync unqr", "sync listen", "sync push",
    "publish table", "hub init", "hub id", "hub add-circle", "hub import", "hub query",
    "poster batch", "poster blackouts", "poster supply", "poster reliability", "poster map", "poster water",
    "poster grievances", "poster hotspots", "poster fund", "poster pool", "poster compare", "poster built",
    "decide propose", "decide position", "decide count", "decide close", "decide link", "decide tactic", "decide adopt",
    "services add", "services asset", "services repair", "services cost", "services rota", "services deliver",
    "services import", "places import-boundaries",
}


def test_every_command_is_classified():
    """A new command must be listed: if it reads stored text, it is run below with markup in it."""
    leaves = leaf_commands()
    assert leaves - READ.keys() - NOT_READ == set(), "add the new command to READ (with arguments) or NOT_READ"
    assert (READ.keys() | NOT_READ) - leaves == set()


@pytest.fixture
def seeded(cli, vault, wide, tmp_path):
    """A vault whose free-text fields (texts, names, notes, labels, titles, keywords) hold markup."""
    return cli, seed_read_vault(cli, vault, tmp_path, MARK, ESC)


def test_read_commands_print_stored_markup_literally(seeded, monkeypatch):
    cli, ids = seeded
    shown = {}
    for command, argv, code, out in read_commands(cli, monkeypatch, ids):
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
    code, out = run_human(cli, monkeypatch, *argv)
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
