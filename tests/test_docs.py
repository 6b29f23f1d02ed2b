"""Docs that are tested: every command is in the user guide, the README opens with the two commands."""

from __future__ import annotations

from pathlib import Path

import typer

from halqa.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def command_paths(typer_app: typer.Typer, prefix: str = "halqa") -> list[str]:
    click_cmd = typer.main.get_command(typer_app)
    out: list[str] = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
        else:
            out.append(path)

    walk(click_cmd, prefix)
    return out


def test_every_command_is_in_the_user_guide():
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    guide += "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "guide").glob("*.md"))
    missing = [c for c in command_paths(app) if c not in guide]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40]
    text = "\n".join(head)
    assert "make demo" in text and "make test" in text


def test_exit_codes_documented():
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    for code in range(5):
        assert f"| {code} |" in guide
