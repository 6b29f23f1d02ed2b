"""Fixtures of the bridge tests: paired devices, the real age tool (the throwaway PostgreSQL server,
``pg_server``, is tests/postgres.py's, shared with tests/vault)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from halqa import app
from halqa.bridge import add_contact, identity
from halqa.vault import TEST_KDF

from ..conftest import PASSPHRASE


def make_device(folder: Path, name: str):
    """A new vault (weak KDF) at ``folder/name.halqa``."""
    return app.create_vault(folder / f"{name}.halqa", PASSPHRASE, TEST_KDF)


def pair(*vaults, role: str = "device") -> None:
    """Make every vault a verified contact of every other with ``role`` (default: the devices of
    one circle), named by its folder stem."""
    for v in vaults:
        for w in vaults:
            if v is not w:
                add_contact(v, w.path.stem, text=identity(w)["text"], verified="in-person", role=role)


@pytest.fixture
def devices(tmp_path: Path):
    """Three paired devices of one circle: ``x``, ``y``, ``z``."""
    vs = [make_device(tmp_path, n) for n in "xyz"]
    pair(*vs)
    yield vs
    for v in vs:
        v.close()


@pytest.fixture(scope="session")
def age_tool() -> str:
    """Debian's ``age`` binary (the independent reference client); skip cleanly without it."""
    path = shutil.which("age")
    if path is None or shutil.which("age-keygen") is None:
        pytest.skip("the age command-line tool is not installed (apt-get install age)")
    return path
