"""Commands of halqa.web (``halqa serve``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this face's commands to the root ``halqa`` app."""
