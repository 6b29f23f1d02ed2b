"""kill -9 at random moments during the operations that write: afterwards the vault opens with
every committed transaction and nothing half-written; panic never leaves a vault that opens.

Each operation runs in a child process (tests/reliability/crash_child.py) that is killed at a
uniformly random moment between its ``ready`` and the time an unkilled run took. ``make test``
runs ``HALQA_CRASH_ROUNDS`` (default 3) kills per operation; docs/reliability.md records a run
with 100. ``HALQA_CRASH_ROWS`` sets the rows of the import (default 3,000; the recorded run
1,000,000). Every kill is followed by SQLite's integrity check and the counts; a full rebuild
compared with the stored tables follows every kill too, except in an import of more than
``FULL_CHECK_ROWS`` rows, where it follows the unkilled run and every tenth kill (a rebuild of a
million events takes minutes).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from halqa import bridge, domains, listening, places
from halqa.errors import HalqaError
from halqa.listening.importer import BATCH
from halqa.vault import TEST_KDF, Vault, backup
from halqa.vault.store import HEADER_FILE

from ..conftest import PASSPHRASE

ROUNDS = int(os.environ.get("HALQA_CRASH_ROUNDS", "3"))
CHILD = Path(__file__).with_name("crash_child.py")
NEW = "a new passphrase for the crash test"
ROWS = int(os.environ.get("HALQA_CRASH_ROWS", "3000"))
FULL_CHECK_ROWS = 10_000
LOG = os.environ.get("HALQA_CRASH_LOG")  # a long recorded run writes a line per kill here, to read as it goes


def _log(line: str) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{dt.datetime.now().isoformat(timespec='seconds')} {line}\n")


def _child(op: str, path: Path, arg: str = "", kill_after: float | None = None) -> tuple[bool, float]:
    """Run ``op``; kill it ``kill_after`` seconds after it is ready. Returns (finished, seconds)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(CHILD), op, str(path), PASSPHRASE, arg],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready"
        start = time.monotonic()
        if kill_after is None:
            assert child.stdout.readline().strip() == "done"
            return True, time.monotonic() - start
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
        finished = child.stdout.read().strip() == "done"
        return finished, time.monotonic() - start
    finally:
        child.kill()
        child.wait()


def _state(v: Vault, full: bool = True) -> tuple[int, dict[str, str]]:
    assert [r[0] for r in v.conn.execute("PRAGMA integrity_check")] == ["ok"]
    if not full:
        return v.count_events(), {}
    assert v.digests() == v.rebuild(), "the tables are what the event log says"
    return v.count_events(), v.digests()


def _rounds(template: Path, tmp: Path, op: str, arg: str, check) -> None:
    """One unkilled run to learn how long ``op`` takes, then ROUNDS kills at random moments."""
    rng = random.Random(f"{op}-18")
    work = tmp / "run.halqa"
    shutil.copytree(template, work)
    finished, seconds = _child(op, work, arg)
    assert finished
    check(work, killed=False, full=True)
    _log(f"{op} unkilled run {seconds:.2f} s, checked")
    for i in range(ROUNDS):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(template, work)
        kill_after = rng.uniform(0, seconds)
        finished, _ = _child(op, work, arg, kill_after=kill_after)
        check(work, killed=True, full=i % 10 == 0)
        _log(f"{op} kill {i + 1}/{ROUNDS} at {kill_after:.2f} s ({'finished first' if finished else 'killed'}), "
             f"{'full rebuild' if i % 10 == 0 else 'integrity'} check ok")


def _rows_csv(folder: Path, place: str, rows: int = ROWS) -> Path:
    day = dt.date.today().isoformat()
    csv = folder / f"rows-{place}.csv"
    with open(csv, "w", encoding="utf-8") as fh:  # a million rows: written as they are made
        fh.write("text,themes,place,day,groups,tone,count\n")
        fh.writelines(f"row {i},electricity,{place},{day},,,1\n" for i in range(rows))
    return csv


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A closed vault with a little of everything, to copy for each round."""
    path = tmp_path / "template.halqa"
    v = domains.create_vault(path, PASSPHRASE, TEST_KDF)
    places.add_area(v, "JSR", "حي الجسر")
    places.add_household(v, "JSR", "hh-aaaa")
    v.close()
    return path


def _before(template: Path) -> tuple[int, dict[str, str]]:
    with Vault.open(template, PASSPHRASE) as v:
        return _state(v)


def test_kill_during_an_import(template: Path, tmp_path: Path):
    csv = _rows_csv(tmp_path, "JSR")
    events0, _ = _before(template)

    def check(path: Path, killed: bool, full: bool) -> None:
        with Vault.open(path, PASSPHRASE) as v:
            events, _ = _state(v, full=full or ROWS <= FULL_CHECK_ROWS)
            n = v.query_one("SELECT count(*) FROM listening_grievance")[0]
        batches = -(-ROWS // BATCH)  # an import writes its rows as listening_grievance.batch events
        assert n in (0, ROWS) and events in (events0, events0 + batches), "all rows or none"
        assert killed or n == ROWS

    _rounds(template, tmp_path, "import", str(csv), check)


def test_kill_during_a_bundle_ingest(template: Path, tmp_path: Path):
    x = domains.create_vault(tmp_path / "x.halqa", PASSPHRASE, TEST_KDF)
    with Vault.open(template, PASSPHRASE) as y:
        bridge.add_contact(x, "y", text=bridge.identity(y).text, verified="in-person", role="device")
        bridge.add_contact(y, "x", text=bridge.identity(x).text, verified="in-person", role="device")
    places.add_area(x, "SUQ", "حي السوق")
    listening.import_grievances(x, _rows_csv(tmp_path, "SUQ", min(ROWS, 3000)), fmt="csv")
    sent = bridge.export_bundle(x, ["y"], tmp_path / "b.age")
    x.close()
    events0, _ = _before(template)

    def check(path: Path, killed: bool, full: bool) -> None:
        with Vault.open(path, PASSPHRASE) as v:
            events, _ = _state(v)
        assert events == events0 or events >= events0 + sent.events, "the whole bundle or none of it"
        assert killed or events > events0

    _rounds(template, tmp_path, "ingest", str(tmp_path / "b.age"), check)


def test_kill_during_passwd(template: Path, tmp_path: Path):
    events0, digests0 = _before(template)

    def check(path: Path, killed: bool, full: bool) -> None:
        opened = []
        for p in (PASSPHRASE, NEW):
            try:
                with Vault.open(path, p) as v:
                    opened.append((p, _state(v)))
            except HalqaError:
                pass
        assert len(opened) == 1, "exactly one of the old and new passphrases opens"
        assert opened[0][1] == (events0, digests0)
        assert killed or opened[0][0] == NEW

    _rounds(template, tmp_path, "passwd", NEW, check)


def test_kill_during_duress_set(template: Path, tmp_path: Path):
    events0, digests0 = _before(template)

    def check(path: Path, killed: bool, full: bool) -> None:
        with Vault.open(path, PASSPHRASE) as v:
            assert _state(v) == (events0, digests0)
        if not killed:
            with Vault.open(path, NEW) as decoy:
                assert decoy.query_one("SELECT count(*) FROM household WHERE id = 'hh-aaaa'")[0] == 0

    _rounds(template, tmp_path, "duress", NEW, check)


def test_a_duress_set_killed_after_emptying_the_spare_file_leaves_a_vault_that_works(template: Path, tmp_path: Path):
    """Found by the 100-kill run: ``duress set`` killed just after the decoy's build emptied the
    spare file left a 0-byte file there. SQLCipher opens an empty file with any key, so the next
    close took it for the decoy, wrote tables into it and failed (TypeError: no ``slot``), and
    every close after that failed the same way."""
    events0, digests0 = _before(template)
    work = tmp_path / "run.halqa"
    shutil.copytree(template, work)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, str(CHILD), "duress-after-truncate", str(work), PASSPHRASE, NEW],
                           capture_output=True, text=True, env=env, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert 0 in [(work / name).stat().st_size for name in ("a.db", "b.db", "c.db")]
    for _ in range(2):  # opened and closed twice: the first close must leave nothing that breaks the next
        with Vault.open(work, PASSPHRASE) as v:
            assert _state(v) == (events0, digests0)
    with Vault.open(work, PASSPHRASE) as v:
        v.set_duress(NEW)
    with Vault.open(work, NEW) as decoy:
        assert decoy.query_one("SELECT count(*) FROM household WHERE id = 'hh-aaaa'")[0] == 0


def test_kill_during_a_rebuild(template: Path, tmp_path: Path):
    events0, digests0 = _before(template)

    def check(path: Path, killed: bool, full: bool) -> None:
        with Vault.open(path, PASSPHRASE) as v:
            assert _state(v) == (events0, digests0)

    _rounds(template, tmp_path, "rebuild", "", check)


def test_kill_during_a_restore(template: Path, tmp_path: Path):
    with Vault.open(template, PASSPHRASE) as v:
        expected = _state(v)
        backup(v, tmp_path / "v.bak")
    empty = tmp_path / "empty"
    empty.mkdir()

    def check(path: Path, killed: bool) -> None:
        target = path / "restored.halqa"
        if target.exists():
            with Vault.open(target, PASSPHRASE) as v:
                assert _state(v) == expected
        assert killed or target.exists()

    # The "vault" the child works in is an empty folder; the restore goes inside it.
    rng = random.Random("restore-18")
    work = tmp_path / "run"
    seconds = None
    for i in range(ROUNDS + 1):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        _, took = _child("restore", work / "restored.halqa", str(tmp_path / "v.bak"),
                                kill_after=None if seconds is None else rng.uniform(0, seconds))
        seconds = seconds or took
        check(work, killed=i > 0)


def test_kill_during_panic_never_leaves_a_vault_that_opens(template: Path, tmp_path: Path):
    header0 = (template / HEADER_FILE).read_bytes()
    begun = 0

    def check(path: Path, killed: bool, full: bool) -> None:
        nonlocal begun
        header = path / HEADER_FILE
        if killed and header.exists() and header.read_bytes() == header0:
            return  # killed before panic reached the key slots: nothing was destroyed yet
        begun += 1
        with pytest.raises(HalqaError):
            Vault.open(path, PASSPHRASE).close()
        for leftover in path.glob("header*") if path.exists() else ():
            assert leftover.read_bytes() != header0, f"{leftover.name} still holds the key slots"

    _rounds(template, tmp_path, "panic", "", check)
    assert begun >= 1


def test_panic_after_a_killed_passwd_leaves_no_header_that_opens(template: Path, tmp_path: Path, monkeypatch):
    """A passwd killed between writing ``header.tmp`` and renaming it leaves a complete header
    beside the vault. A panic killed just after its key step must not leave that one behind: an
    examiner would rename it and open the vault with the passphrase."""
    import halqa.vault.outside as outside
    from halqa.vault import panic

    work = tmp_path / "v.halqa"
    shutil.copytree(template, work)
    shutil.copy(work / HEADER_FILE, work / (HEADER_FILE + ".tmp"))

    def killed(*args, **kwargs):
        raise SystemExit("killed after the key step")

    monkeypatch.setattr(outside, "shred", killed)
    with pytest.raises(SystemExit):
        panic(work)
    for leftover in sorted(work.glob("header*")):
        probe = tmp_path / f"probe-{leftover.name}"
        shutil.copytree(work, probe)
        shutil.copy(leftover, probe / HEADER_FILE)
        with pytest.raises(HalqaError):
            Vault.open(probe, PASSPHRASE).close()


def test_panic_after_a_killed_restore_leaves_nothing_that_opens(template: Path, tmp_path: Path):
    """A restore killed after staging the whole vault (``NAME.restoring``), before renaming it,
    leaves a complete vault beside the target. Panic on the target must destroy it too: an
    examiner would rename it and open it with the passphrase."""
    from halqa.vault import panic

    with Vault.open(template, PASSPHRASE) as v:
        backup(v, tmp_path / "v.bak")
    work = tmp_path / "run"
    work.mkdir()
    target = work / "restored.halqa"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run([sys.executable, str(CHILD), "restore-before-rename", str(target), PASSPHRASE,
                            str(tmp_path / "v.bak")], capture_output=True, text=True, env=env, timeout=120)
    assert child.returncode == -signal.SIGKILL and not target.exists()
    staged = [p for p in work.iterdir() if p.is_dir()]
    assert staged, "the killed restore left its staging folder (the case this test is about)"
    with Vault.open(staged[0], PASSPHRASE):
        pass  # before panic, the staged copy opens with the passphrase
    panic(target)
    for leftover in work.iterdir():
        with pytest.raises(HalqaError):
            Vault.open(leftover, PASSPHRASE).close()
