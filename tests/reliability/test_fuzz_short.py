"""The short fuzz pass of ``make test``: every target of fuzz/ (the web's bodies among them) for
about two seconds, with the three invariants (only HalqaError escapes, no input over 5 s, nothing
written when an input is refused); and the harness's own check that a refused input which did
write is caught. The long runs, with their counts, are ``python -m fuzz.run`` (docs/reliability.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from fuzz.harness import Target, run, scratch_dir
from fuzz.targets import TARGETS

from halqa.errors import InvalidInput

SECONDS = 1.5
MAX_INPUTS = 400


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target_short(name: str):
    with tempfile.TemporaryDirectory(prefix="halqa-fuzz-", dir=scratch_dir()) as work:
        stats = run(TARGETS[name], Path(work), MAX_INPUTS, seed=18, seconds=SECONDS)
    assert stats.inputs > 0
    problems = [f"{f.kind}: {f.data[:120]!r}\n{f.detail}" for f in stats.findings[:3]]
    assert not stats.findings, f"{name}: {stats.summary()}\n" + "\n".join(problems)


def _writer(how: str) -> Target:
    """A target over a folder of two files that refuses every input; ``how`` it writes first."""

    def setup(work: Path) -> SimpleNamespace:
        folder = work / "v"
        folder.mkdir()
        (folder / "a.db").write_bytes(b"\0" * 8192)
        (folder / "header").write_bytes(b"h" * 64)
        os.utime(folder / "a.db", ns=(10**18, 10**18))  # an old file: its stat is trusted
        return SimpleNamespace(folder=folder)

    def call(ctx: SimpleNamespace, data: bytes) -> None:
        path = ctx.folder / "a.db"
        st = path.stat()
        if how == "same-size":  # one byte, same size, the times put back: only the bytes tell
            at = len(data) % 512 * 16
            with open(path, "r+b") as fh:
                fh.seek(at)
                old = fh.read(1)[0]
                fh.seek(at)
                fh.write(bytes([(old + 1) % 256]))
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        elif how == "new-file":
            (ctx.folder / "a.db-journal").write_bytes(os.urandom(8))  # another each time
        raise InvalidInput()

    return Target(f"writer.{how}", seeds=lambda ctx: [b"\x01\x02\x03"], setup=setup, call=call,
                  watched=lambda ctx: ctx.folder, teardown=lambda ctx: None)


@pytest.mark.parametrize("how", ["same-size", "new-file"])
def test_a_refused_input_that_wrote_is_a_partial_write(how: str, tmp_path: Path):
    stats = run(_writer(how), tmp_path, 200, seed=1)
    assert stats.inputs == 200
    assert stats.count("partial_write") == 200, stats.summary()  # every one, though the stat said nothing


def test_a_refused_input_that_wrote_nothing_is_not_one(tmp_path: Path):
    stats = run(_writer("nothing"), tmp_path, 200, seed=1)
    assert stats.inputs == 200 and not stats.findings


def test_an_importer_run_puts_its_vault_back(tmp_path: Path, monkeypatch):
    """An importer target's vault is put back as setup left it every RESET_EVERY accepted
    inputs (a long run would otherwise keep all it accepted); the invariants hold across it."""
    import fuzz.harness as harness

    monkeypatch.setattr(harness, "RESET_EVERY", 5)
    target = TARGETS["circles.members"]
    resets = []
    monkeypatch.setattr(target, "reset", lambda ctx, real=target.reset: (resets.append(1), real(ctx)))
    stats = run(target, tmp_path, 120, seed=4)
    assert stats.accepted >= 10 and len(resets) == stats.accepted // 5
    assert not stats.findings, stats.summary()
