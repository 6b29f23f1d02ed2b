"""A vault seeded through the CLI with data for every read command, and the list of those commands.

Shared by the markup test (stored text holds Rich markup) and the language test (stored text is
Arabic, so any Latin word left on screen is the program's own).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from halqa import places

#: Names the seed types in Latin letters as ids (a theme, a group, a tool, a repaired part's place):
#: a person typed them, the program did not.
SEEDED_IDS = {"mk", "sector", "drill", "pump"}

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


def seed_steps(text: str, tmp_path: Path | str = ".") -> list[list[str]]:
    """The commands that fill the vault, in order; every free-text field holds ``text``."""
    steps = [
        ["ledger", "households", "import", str(Path(tmp_path) / "hh.csv")],
        ["ledger", "add", "hh-1", "2026-01-05T10:00", "2026-01-05T12:00", "--note", text],
        ["listen", "theme", "add", "mk", "--name-en", text, "--name-ar", text, "--name-ckb", text, "--keyword", text],
        ["listen", "group", "add", "sector", "--value", text],
        ["listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-05", "--text", text,
         "--group", f"sector={text}"],
        ["ledger", "claim", "--hours", "20", "--from", "2026-01-01", "--to", "2026-01-10", "--claimant", text],
        ["fund", "create", "f1", "--note", text],
        ["fund", "contribute", "f1", "--from", "a1", "--amount", "10", "--note", text],
        ["pool", "create", "p1", "--members", "a1,a2,a3", "--amount", "10"],
        ["tools", "add", "drill", "--keeper", "a1", "--note", text],
        ["repairs", "log", "pump", "--area", "NKH", "--who", "a1", "--part", text, "--note", text],
        ["services", "add", "w1", "--kind", "water", "--area", "NKH", "--note", text],
        ["services", "deliver", "w1", "--household", "hh-1", "--quantity", "20", "--day", "2026-01-05"],
        ["contacts", "add", text, "--age-recipient", "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
    ]
    steps += [["circles", "member", "add", f"m{i}", "--label", f"k={text}", "--skill", text] for i in range(6)]
    steps += [["circles", "vouch", f"m{i}", f"m{j}"] for i in range(6) for j in range(i + 1, 6)]
    steps += [["circles", "form", "--min", "3", "--max", "6", "--apply", "--seed", "1"]]
    return steps


#: The seed's commands (for the language test's list of commands checked).
SEED = [*seed_steps(""), ["circles", "task", "add"], ["learn", "session", "add"], ["decide", "propose"]]


def seed_read_vault(cli, vault, tmp_path, text: str, other: str,
                    run: Callable[[list[str]], object] | None = None) -> dict[str, str]:
    """Fill ``vault`` through the CLI; every free-text field (texts, names, notes, labels, titles,
    keywords) holds ``text``, one grievance holds ``other``. Returns the ids READ's arguments need.
    ``run`` runs each step instead of ``cli("--yes", ...)`` (the language test checks their output)."""

    def step_ok(step: list[str]) -> None:
        if run is not None:
            run(step)
            return
        code, out = cli("--yes", *step)
        assert code == 0, (step, out)

    places.add_area(vault, "NKH", "حي النخيل")
    (tmp_path / "hh.csv").write_text("household,area\nhh-1,NKH\n", encoding="utf-8")
    steps = seed_steps(text, tmp_path)
    steps.insert(5, ["listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-06", "--text", other])
    for step in steps:
        step_ok(step)
    circle = json.loads(cli("circles", "show", "--json")[1])["circles"][0]["id"]
    for step in (["circles", "task", "add", circle, text, "--due", "2026-02-01"],
                 ["learn", "session", "add", "--circle", circle, "--movement", text, "--tactic", text,
                  "--place", text, "--years", text, "--adapt", text, "--month", "2026-01"]):
        step_ok(step)
    tactic = json.loads(cli("learn", "session", "list", "--json")[1])["sessions"][0]["tactic_id"]
    if run is not None:
        run(["decide", "propose", "--title", text, "--text", text, "--option", text, "--option", "b"])
        proposal = json.loads(cli("decide", "list", "--json")[1])["proposals"][-1]["id"]
    else:
        code, out = cli("decide", "propose", "--title", text, "--text", text, "--option", text, "--option", "b", "--json")
        assert code == 0, out
        proposal = json.loads(out)["id"]
    return {"circle": circle, "tactic": tactic, "proposal": proposal}


def leaf_commands() -> set[str]:
    """Every command ``halqa`` runs (``"ledger households import"``), listed through Typer."""
    import typer

    from halqa.cli.main import app

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


def run_human(cli, monkeypatch, *args: str) -> tuple[int, str]:
    """Run a command for a person (no ``--json``): what reaches stdout and stderr."""
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    try:
        code, out = cli(*args)
    finally:
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    return code, out + err.getvalue()


def read_commands(cli, monkeypatch, ids: dict[str, str], *prefix: str):
    """Run every READ command (after ``prefix``, e.g. ``--lang ar``): yields (command, argv, code, output)."""
    for command, args in READ.items():
        argv = [*prefix, *command.split(), *(a.format(**ids) for a in args)]
        code, out = run_human(cli, monkeypatch, *argv)
        yield command, argv, code, out
