"""One operation of halqa run in a child process that the crash tests kill with SIGKILL.

``python crash_child.py OP VAULT PASSPHRASE [ARG]``: imports and opens everything first, prints
``ready``, runs the operation (with the close that follows it), then prints ``done``. The parent
kills it at a random moment between the two.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from halqa import bridge, domains, listening
from halqa.vault import Vault, panic, restore

domains.load()
op, path, passphrase = sys.argv[1:4]
arg = sys.argv[4] if len(sys.argv) > 4 else ""
vault = None if op.startswith(("restore", "panic")) else Vault.open(path, passphrase)
if op == "duress-after-truncate":  # killed as the decoy's build has just emptied the spare file
    import halqa.vault.store as store

    _real_connect = store._connect

    def _connect_or_die(db_path, key):  # type: ignore[no-untyped-def]
        if Path(db_path).stat().st_size == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return _real_connect(db_path, key)

    store._connect = _connect_or_die
if op == "restore-before-rename":  # killed at the worst moment: a whole vault staged, not yet in place
    os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)  # type: ignore[assignment]
print("ready", flush=True)
if op == "import":
    listening.import_grievances(vault, Path(arg), fmt="csv")
elif op == "ingest":
    bridge.import_bundle(vault, arg)
elif op == "passwd":
    vault.change_passphrase(arg)
elif op.startswith("duress"):
    vault.set_duress(arg)
elif op == "rebuild":
    vault.rebuild()
elif op.startswith("restore"):
    restore(arg, path)
elif op == "panic":
    panic(path)
if vault is not None:
    vault.close()
print("done", flush=True)
