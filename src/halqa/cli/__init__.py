"""The ``halqa`` command line: a thin face over the library (see :mod:`halqa.cli.main`)."""

from halqa.cli.main import app, main

__all__ = ["app", "main"]
