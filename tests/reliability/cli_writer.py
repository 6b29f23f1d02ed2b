"""The CLI side of the two-writer test: ``python cli_writer.py N [BATCH]`` writes N grievances
through the CLI in one process, each call opening the vault, writing and closing it, as a
person's shell loop would: ``halqa listen add`` once per grievance (BATCH 1), or ``halqa listen
import`` of a BATCH-row CSV per call. Prints how many grievances were written by calls that
exited 0. Any traceback goes to stderr for the test to find."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from halqa.cli.common import STATE
from halqa.cli.main import main

n = int(sys.argv[1])
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1
day = dt.date.today().isoformat()
ok = 0
with tempfile.TemporaryDirectory() as tmp:
    for start in range(0, n, batch):
        rows = range(start, min(n, start + batch))
        if batch == 1:
            args = ["listen", "add", "--place", "JSR", "--day", day, "--text", f"cli-{start}"]
        else:
            csv = Path(tmp) / "rows.csv"
            csv.write_text("text,themes,place,day,groups,tone,count\n" + "".join(
                f"cli-{i},,JSR,{day},,,1\n" for i in rows), encoding="utf-8")
            args = ["listen", "import", str(csv), "--format", "csv"]
        STATE.__init__()
        try:
            main(args)
            ok += len(rows)
        except SystemExit as exc:
            if exc.code in (0, None):
                ok += len(rows)
            else:
                print(f"call at {start} exited {exc.code}", file=sys.stderr)
print(ok, flush=True)
