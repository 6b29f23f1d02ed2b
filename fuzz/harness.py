"""A small mutation fuzzer with halqa's three invariants.

Each target takes bytes from outside (a file, a QR text, a request body) and hands them to the
public function a face would call. :func:`run` feeds it ``inputs`` mutations of the target's
real seed inputs and checks, for every one:

1. only :class:`~halqa.errors.HalqaError` escapes, with an exit code of the documented tree and a
   message id present in the English catalogue (anything else is a *crash*);
2. no input takes over ``HANG_SECONDS`` (a *hang*; an alarm interrupts it);
3. when the input is rejected (a HalqaError), every file of the vault is byte-identical to
   before (otherwise a *partial write*).

Why our own mutator rather than atheris: the inputs worth trying are mutations of real,
signed or hashed files (bundles, backups), which byte-level mutation of a seed reaches directly,
and it runs deterministically from a seed on any CPython without a compiler toolchain.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from halqa.errors import HalqaError
from halqa.i18n import catalogue

HANG_SECONDS = 5.0
#: Exit codes of the tree documented in halqa.errors (and docs/guide).
DOCUMENTED_EXIT_CODES = {1, 2, 3, 4, 5}

_TOKENS = [b",", b"\n", b"\r\n", b'"', b"'", b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"-1", b"0", b"-0",
           b"4294967296", b"18446744073709551616", b"9" * 40, b"1e309", b"NaN", b"inf", b"-inf", b"null", b"[]",
           b"{}", b"true", b"\\u0000", b"\xd8\xa7\xd9\x84", b"\xe2\x80\x8f", b":", b";", b"=", b"%", b"..", b"/",
           b"2026-02-30", b"9999-12-31T23:59:59", b"0000-00-00", b"1970-01-01", b"\xc0\x80", b"\xed\xa0\x80",
           b" " * 64, b"\t", b"#", b"age1", b"halqa1-", b"HQ1:"]


#: Set (by ``fuzz.run`` on SIGTERM) to end a run after its current input, with its counts so far.
STOP = False


class Hang(BaseException):
    """Raised by the alarm inside an input that runs too long (BaseException: no target catches it)."""


def mutate(rng: random.Random, seeds: list[bytes], max_len: int | None = None) -> bytes:
    """One to four random edits of a random seed: bit flips, byte sets, inserts, deletes,
    duplicated runs, truncation, splices with another seed, and tokens that break parsers.
    The result is cut at ``max_len`` (by default twice the longest seed, at least 1 MiB: a
    backup of several MiB must stay whole to be restorable)."""
    if max_len is None:
        max_len = max(1 << 20, 2 * max(map(len, seeds)))
    seed = rng.choice(seeds)
    data = bytearray(seed)
    while data == seed:  # compared in place: a backup is MiBs, and copies dominated its inputs
        data = _edit(rng, seeds, data)
    if len(data) > max_len:
        del data[max_len:]
    return bytes(data)


def _edit(rng: random.Random, seeds: list[bytes], data: bytearray) -> bytearray:
    for _ in range(rng.randint(1, 4)):
        n = len(data)
        op = rng.randrange(9)
        pos = rng.randrange(n + 1)
        if op == 0 and n:
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            data[rng.randrange(n)] = rng.randrange(256)
        elif op == 2:
            data[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif op == 3 and n:
            del data[pos:pos + rng.randint(1, max(1, n // 8))]
        elif op == 4 and n:
            a = rng.randrange(n)
            data[pos:pos] = data[a:a + rng.randint(1, 64)] * rng.randint(1, 8)
        elif op == 5 and n:
            del data[rng.randrange(n):]
        elif op == 6:
            other = rng.choice(seeds)
            data[pos:] = other[rng.randrange(len(other) + 1):]
        elif op == 7 and n:
            # Replace a run of digits (lengths, counts, dates) with an extreme number.
            lo = rng.randrange(n)
            digits = [i for i in range(lo, min(n, lo + 4096)) if 48 <= data[i] <= 57]
            if digits:
                i = rng.choice(digits)
                j = i
                while j < n and 48 <= data[j] <= 57:
                    j += 1
                data[i:j] = rng.choice([b"0", b"-1", b"99999999999", b"4294967295", b"1" * 30])
        else:
            data[pos:pos] = rng.choice(_TOKENS)
    return data


def snapshot(folder: Path | None) -> dict[str, bytes]:
    """The bytes of every file under ``folder`` (relative name -> content). Bytes, not hashes:
    comparing them is several times faster than hashing a vault's few MiB."""
    if folder is None or not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


#: A file's stat is trusted to show a change only once its last change is this much older than the
#: look: timestamps may be as coarse as a clock tick, and a write in the same tick would keep them.
SETTLED_NS = 100_000_000
#: Every this many refusals, every file is compared byte for byte whatever its stat says.
AUDIT_EVERY = 64
#: Accepted inputs between two resets of a target's vault (see ``Target.reset``).
RESET_EVERY = 100


def _stats(folder: Path) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    for p in folder.rglob("*"):
        st = p.stat()
        if not stat.S_ISDIR(st.st_mode):
            out[str(p.relative_to(folder))] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return out


class Watch:
    """The watched folder's files before an input, to tell whether a refused input left them
    byte-identical. It holds each file's bytes and its stat (inode, size, mtime, ctime). After a
    refusal, a file is read and compared byte for byte when its stat changed, when its last
    change was too recent for its stat to be trusted, and every ``AUDIT_EVERY`` checks; otherwise
    the unchanged stat (ctime cannot be set from user space) stands for the unchanged bytes. This
    keeps a vault's ~10 MiB from being read twice per input."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.bytes: dict[str, bytes] = {}
        self.stat: dict[str, tuple[int, int, int, int]] = {}
        self.settled: set[str] = set()
        self.checks = 0
        self.refresh()

    def refresh(self) -> None:
        """Take the folder as it is now as the reference (re-reading only files whose stat moved)."""
        if self.folder is None or not self.folder.exists():
            self.bytes, self.stat, self.settled = {}, {}, set()
            return
        now = time.time_ns()
        stats = _stats(self.folder)
        self.bytes = {name: (self.bytes[name] if name in self.settled and self.stat.get(name) == st
                             else (self.folder / name).read_bytes())
                      for name, st in stats.items()}
        self.stat = stats
        self.settled = {name for name, st in stats.items() if now - st[3] > SETTLED_NS}

    def changed(self) -> list[str]:
        """The files that differ from the reference (added, removed, or other bytes)."""
        self.checks += 1
        audit = self.checks % AUDIT_EVERY == 0
        if self.folder is None or not self.folder.exists():
            return sorted(self.bytes)
        now = time.time_ns()
        stats = _stats(self.folder)
        out = sorted(stats.keys() ^ self.stat.keys())
        for name in stats.keys() & self.stat.keys():
            if audit or name not in self.settled or stats[name] != self.stat[name]:
                if (self.folder / name).read_bytes() != self.bytes[name]:
                    out.append(name)
                    continue
                # The same bytes: from now on this stat stands for them, once it is old enough.
                self.stat[name] = stats[name]
                if now - stats[name][3] > SETTLED_NS:
                    self.settled.add(name)
        return sorted(out)


@dataclass
class Target:
    """A fuzz target. ``setup(workdir)`` returns a context; ``call(ctx, data)`` hands ``data`` to
    halqa; ``watched(ctx)`` names the folder that must not change when ``call`` raises."""

    name: str
    seeds: Callable[[Any], list[bytes]]
    setup: Callable[[Path], Any]
    call: Callable[[Any, bytes], Any]
    watched: Callable[[Any], Path | None] = lambda ctx: ctx.vault.path
    teardown: Callable[[Any], None] = lambda ctx: ctx.vault.close()
    doc: str = ""
    #: Puts the vault back as ``setup`` left it; called after every ``RESET_EVERY`` accepted
    #: inputs, so that a long run's vault does not grow with what it accepted.
    reset: Callable[[Any], None] | None = None


@dataclass
class Finding:
    kind: str  # "crash", "hang", "partial_write", "bad_error"
    data: bytes
    detail: str


@dataclass
class Stats:
    target: str
    inputs: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    def summary(self) -> dict[str, Any]:
        return {"target": self.target, "inputs": self.inputs, "accepted": self.accepted,
                "rejected": sum(self.rejected.values()), "crashes": self.count("crash") + self.count("bad_error"),
                "hangs": self.count("hang"), "partial_writes": self.count("partial_write"),
                "slowest_s": round(self.slowest, 3), "seconds": round(self.seconds, 1)}


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang()


def _check_error(exc: HalqaError) -> str | None:
    """Why a HalqaError breaks the documented contract, or None."""
    if exc.exit_code not in DOCUMENTED_EXIT_CODES:
        return f"undocumented exit code {exc.exit_code}"
    if exc.msg_id not in catalogue("en"):
        return f"message id {exc.msg_id!r} has no text"
    try:
        exc.render()
    except Exception as err:  # a placeholder the params do not fill
        return f"message {exc.msg_id!r} does not render: {err!r}"
    return None


def scratch_dir() -> str | None:
    """Where a run keeps its vault: memory (/dev/shm) when there is one, so opening, writing and
    comparing files cost no disk; otherwise the system's temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def run(target: Target, workdir: Path, inputs: int, seed: int = 0, seconds: float | None = None,
        stop_at_first: bool = False) -> Stats:
    """Run ``target`` for ``inputs`` inputs (or until ``seconds`` pass); return the counts."""
    rng = random.Random(seed)
    ctx = target.setup(workdir)
    seeds = target.seeds(ctx)
    stats = Stats(target.name)
    old = signal.signal(signal.SIGALRM, _on_alarm)
    start = time.monotonic()
    watch = Watch(target.watched(ctx))
    try:
        for _ in range(inputs):
            if STOP or (seconds is not None and time.monotonic() - start > seconds):
                break
            data = mutate(rng, seeds)
            t0 = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
            refused: HalqaError | None = None
            try:
                target.call(ctx, data)
                stats.accepted += 1
            except Hang:
                stats.findings.append(Finding("hang", data, f"over {HANG_SECONDS} s"))
            except HalqaError as exc:
                refused = exc
            except Exception:
                stats.findings.append(Finding("crash", data, traceback.format_exc(limit=-6)))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            stats.slowest = max(stats.slowest, time.monotonic() - t0)
            stats.inputs += 1
            if refused is None and target.reset is not None and stats.accepted % RESET_EVERY == 0:
                target.reset(ctx)
                watch = Watch(target.watched(ctx))
            elif refused is None:
                watch.refresh()  # the input may have written: the next check starts from here
            else:
                stats.rejected[refused.msg_id] += 1
                why = _check_error(refused)
                if why:
                    stats.findings.append(Finding("bad_error", data, why))
                changed = watch.changed()
                if changed:
                    stats.findings.append(Finding("partial_write", data, f"{refused.msg_id}: changed {changed}"))
                    watch.refresh()
            if stop_at_first and stats.findings:
                break
    finally:
        signal.signal(signal.SIGALRM, old)
        stats.seconds = time.monotonic() - start
        target.teardown(ctx)
    return stats
