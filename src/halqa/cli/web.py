"""Commands of halqa.web (``halqa serve``)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from halqa.cli.common import STATE, console


def serve(
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    lan: Annotated[bool, typer.Option("--lan", help="Serve the local network over HTTPS; phones must pair first.")] = False,
    host: Annotated[Optional[str], typer.Option("--host", help="Address to bind (default 127.0.0.1, or all with --lan).")] = None,
    idle_minutes: Annotated[float, typer.Option("--idle-minutes", help="Lock after this many idle minutes.")] = 10.0,
    no_https: Annotated[bool, typer.Option("--no-https", help="With --lan, serve plain HTTP (not advised).")] = False,
    locked: Annotated[bool, typer.Option("--locked", help="Start locked: unlock in the browser, not here.")] = False,
) -> None:
    """Serve the web app (Arabic by default) on this computer, or on the local network with --lan."""
    import os

    from halqa.cli.common import passphrase
    from halqa.web import serve as run

    pw = None
    if not locked and (STATE.passphrase_file is not None or os.environ.get("HALQA_PASSPHRASE")):
        pw = passphrase()
    run(STATE.vault_path, pw, host=host, port=port, lan=lan, https=False if no_https else None,
        idle_minutes=idle_minutes, echo=lambda line: console.print(line, markup=False))


def register(app: typer.Typer) -> None:
    """Add this face's commands to the root ``halqa`` app."""
    app.command("serve")(serve)
