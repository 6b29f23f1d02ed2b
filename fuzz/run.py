"""Run the fuzz targets: ``python -m fuzz.run --inputs 100000 [--target NAME ...] [--seed N]``.

Prints one line of counts per target (the table of docs/reliability.md) and writes every input
that broke an invariant to ``fuzz/findings/<target>-<kind>-<hash>.bin`` with its traceback
next to it. Exits 1 if anything was found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HALQA_LANG", "en")
os.environ.setdefault("HALQA_INSECURE_TEST_KDF", "1")

from . import harness
from .harness import run, scratch_dir
from .targets import TARGETS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000, help="inputs per target")
    ap.add_argument("--seconds", type=float, default=None, help="stop each target after this long")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-t", "--target", action="append", choices=sorted(TARGETS), help="only these (repeatable)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "findings")
    args = ap.parse_args(argv)
    from halqa.i18n import set_language

    set_language("en")
    # SIGTERM ends the current target after its input, printing its counts so far (a long run
    # stopped for time still says what it did); the targets after it are not started.
    signal.signal(signal.SIGTERM, lambda *_: setattr(harness, "STOP", True))
    found = 0
    for name in args.target or list(TARGETS):
        if harness.STOP:
            break
        with tempfile.TemporaryDirectory(prefix=f"halqa-fuzz-{name}-", dir=scratch_dir()) as work:
            stats = run(TARGETS[name], Path(work), args.inputs, seed=args.seed, seconds=args.seconds)
        print(json.dumps(stats.summary(), ensure_ascii=False), flush=True)
        for f in stats.findings:
            found += 1
            args.out.mkdir(parents=True, exist_ok=True)
            stem = f"{name}-{f.kind}-{hashlib.blake2b(f.data, digest_size=6).hexdigest()}"
            (args.out / f"{stem}.bin").write_bytes(f.data)
            (args.out / f"{stem}.txt").write_text(f.detail)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
