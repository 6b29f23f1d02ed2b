"""The CLI side of the two-writer test: ``halqa listen add`` N times in one process (each call
opens the vault, writes one grievance and closes it, as a person's shell loop would), then prints
how many calls exited 0. Any traceback goes to stderr for the test to find."""

from __future__ import annotations

import datetime as dt
import sys

from halqa.cli.common import STATE
from halqa.cli.main import main

n = int(sys.argv[1])
day = dt.date.today().isoformat()
ok = 0
for i in range(n):
    STATE.__init__()
    try:
        main(["listen", "add", "--place", "JSR", "--day", day, "--text", f"cli-{i}"])
        ok += 1
    except SystemExit as exc:
        if exc.code in (0, None):
            ok += 1
        else:
            print(f"call {i} exited {exc.code}", file=sys.stderr)
print(ok, flush=True)
