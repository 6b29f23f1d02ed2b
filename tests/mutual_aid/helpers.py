"""Helpers for the mutual-aid tests: fresh vaults inside hypothesis examples."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from halqa import domains
from halqa.vault import TEST_KDF


@contextmanager
def fresh_vault():
    """A new vault in its own temporary folder (usable inside a hypothesis example)."""
    with tempfile.TemporaryDirectory() as d:
        v = domains.create_vault(Path(d) / "v.halqa", "correct horse battery staple", TEST_KDF)
        try:
            yield v
        finally:
            v.close()
