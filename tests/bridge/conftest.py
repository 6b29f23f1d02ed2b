"""Fixtures of the bridge tests: paired devices, the real age tool (the throwaway PostgreSQL server,
``pg_server``, is tests/postgres.py's, shared with tests/vault)."""

from __future__ import annotations

import shutil

import pytest

from halqa.bridge import add_contact, identity


def pair(*vaults, role: str = "device") -> None:
    """Make every vault a verified contact of every other with ``role`` (default: the devices of
    one circle), named by its folder stem."""
    for v in vaults:
        for w in vaults:
            if v is not w:
                add_contact(v, w.path.stem, text=identity(w).text, verified="in-person", role=role)


@pytest.fixture
def devices(make_vault):
    """Three paired devices of one circle: ``x``, ``y``, ``z``."""
    vs = [make_vault(n) for n in "xyz"]
    pair(*vs)
    return vs


@pytest.fixture(scope="session")
def age_tool() -> str:
    """Debian's ``age`` binary (the independent reference client); skip cleanly without it."""
    path = shutil.which("age")
    if path is None or shutil.which("age-keygen") is None:
        pytest.skip("the age command-line tool is not installed (apt-get install age)")
    return path
