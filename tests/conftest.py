"""Shared fixtures: a fresh vault per test (weak KDF: tests only), the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from halqa import app
from halqa.i18n import set_language
from halqa.vault import TEST_KDF, ingest
from halqa.vault.authz import Grant

from .postgres import pg_server  # noqa: F401 - a session fixture shared by tests/bridge and tests/vault

PASSPHRASE = "correct horse battery staple"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """Tests read messages in English; each test starts with a clean language and env."""
    monkeypatch.setenv("HALQA_LANG", "en")
    monkeypatch.setenv("HALQA_INSECURE_TEST_KDF", "1")  # `halqa init` accepts the fast test KDF
    for var in ("HALQA_PASSPHRASE", "HALQA_VAULT", "HALQA_NEW_PASSPHRASE", "HALQA_DURESS_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)
    set_language("en")


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "test.halqa"


@pytest.fixture
def vault(vault_path: Path):
    """A new, unlocked vault with every domain loaded."""
    v = app.create_vault(vault_path, PASSPHRASE, TEST_KDF)
    yield v
    v.close()


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it are skipped cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def cli(monkeypatch, vault_path: Path):
    """Run ``halqa`` in-process: ``cli("info", "--json") -> (exit_code, stdout)``."""
    import io
    import sys

    from halqa.cli.common import STATE
    from halqa.cli.main import main

    monkeypatch.setenv("HALQA_VAULT", str(vault_path))
    monkeypatch.setenv("HALQA_PASSPHRASE", PASSPHRASE)

    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        out = io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        STATE.__init__()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        return code, out.getvalue()

    return run


@pytest.fixture
def wide(monkeypatch):
    """A wide terminal, so table cells are not wrapped in the middle of the text looked for."""
    from halqa.cli import common

    monkeypatch.setattr(common.console, "width", 2000)
    monkeypatch.setattr(common.err_console, "width", 2000)


class _Devices(dict):
    """Every author is another device of the same circle (for tests about merging, not roles)."""

    def get(self, key, default=None):
        return Grant("device", "peer")


def ingest_from_devices(vault, records):
    """:func:`halqa.vault.ingest` as between a circle's own devices (every author a ``device``)."""
    return ingest(vault, records, _Devices())


def pytest_report_header(config):
    return f"shared data: {'present' if SHARED_DATA.is_dir() else 'absent'}; cpu: {os.cpu_count()}"
