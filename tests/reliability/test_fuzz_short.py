"""The short fuzz pass of ``make test``: every target of fuzz/ for about two seconds, with the
three invariants (only HalqaError escapes, no input over 5 s, nothing written when an input is
refused). The long runs, with their counts, are ``python -m fuzz.run`` (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz.harness import run
from fuzz.targets import TARGETS

SECONDS = 1.5
MAX_INPUTS = 400


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target_short(name: str, tmp_path: Path):
    stats = run(TARGETS[name], tmp_path, MAX_INPUTS, seed=18, seconds=SECONDS)
    assert stats.inputs > 0
    problems = [f"{f.kind}: {f.data[:120]!r}\n{f.detail}" for f in stats.findings[:3]]
    assert not stats.findings, f"{name}: {stats.summary()}\n" + "\n".join(problems)
