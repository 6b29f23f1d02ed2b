"""Progress bars of long commands: drawn on standard error on a terminal, never with ``--json`` (standard
output stays exactly the JSON document) and never when standard error is not a terminal."""

from __future__ import annotations

import io
import json
import random

import pytest

import halqa.places as places
from halqa.cli import common

ROWS = "text,themes,place,day\n" + "".join(f"water cut again {i},water,NKH,2026-01-0{1 + i % 9}\n" for i in range(30))


@pytest.fixture
def stderr(monkeypatch):
    """Standard error as a terminal (``terminal(False)`` makes it a file or pipe)."""
    err = io.StringIO()

    def terminal(yes: bool = True) -> None:
        monkeypatch.setattr(common, "err_console", common._LiteralConsole(file=err, force_terminal=yes))

    terminal()
    err.terminal = terminal
    return err


@pytest.fixture
def grievances(vault, tmp_path):
    places.demo(vault, random.Random(0), households_per_area=1)
    path = tmp_path / "g.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_json_output_stays_clean_on_a_terminal(cli, grievances, stderr):
    code, out = cli("--json", "listen", "import", str(grievances))
    assert code == 0 and json.loads(out)["kept"] == 30
    assert stderr.getvalue() == ""
    code, out = cli("listen", "import", str(grievances))  # the same command for people draws the bar
    assert code == 0 and "Importing grievances" in stderr.getvalue()
    assert "Importing grievances" not in out


def test_no_bar_when_not_a_terminal(cli, grievances, stderr):
    stderr.terminal(False)
    code, _ = cli("listen", "import", str(grievances))
    assert code == 0 and stderr.getvalue() == ""


def test_the_bar_speaks_the_language(cli, grievances, stderr):
    code, _ = cli("--lang", "ckb", "listen", "import", str(grievances))
    assert code == 0 and "هاوردەکردنی سکاڵاکان" in stderr.getvalue()
