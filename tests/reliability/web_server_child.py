"""The web server of the load test in its own process: serves an open vault on loopback, prints
one JSON line (port, an organiser token, its pid), then serves until killed."""

from __future__ import annotations

import json
import os
import socket
import sys

import uvicorn

from halqa.vault import Vault
from halqa.web import create_app
from halqa.web.state import WebState

path, passphrase = sys.argv[1:3]
vault = Vault.open(path, passphrase)
state = WebState(vault.path)
app = create_app(vault.path, state=state, vault=vault)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
print(json.dumps({"port": port, "organiser": state.devices.issue("laptop", role="organiser"), "pid": os.getpid()}),
      flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
