"""Shared fixtures: a fresh vault per test (weak KDF: tests only), the shared data folder.

Every test vault is made by :func:`new_vault` (directly, or through the ``make_vault``, ``vault``
and :func:`fresh_vault` helpers built on it): one passphrase, one KDF, the same options everywhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from halqa import domains
from halqa.i18n import set_language
from halqa.vault import TEST_KDF, Vault, ingest
from halqa.vault import decoy as _decoy
from halqa.vault import store as _store
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


def _no_filling(*_args: Any) -> None:
    return None


@contextmanager
def _quick(durable: bool, fill_decoy: bool) -> Iterator[None]:
    """What makes making a test vault slow, switched off while it is made.

    Measured (docs/contributing.md, "Tests"): the weak KDF costs milliseconds; a new database
    creates each of the ~55 projections' tables in its own transaction, and each commit fsyncs
    (``synchronous = FULL``): about 0.8 s of the 1 s a vault took. Unless ``durable``, the
    connections opened meanwhile (the vault's, and a decoy's) run with ``synchronous = OFF``:
    nothing a test can see changes but what a power cut would lose. Unless ``fill_decoy``, a decoy
    built meanwhile (``duress=``) gets no domain content: an empty database of the same size.
    """
    connect = _store._connect

    def unsynced(path: Path, key: bytes) -> Any:
        conn = connect(path, key)
        conn.execute("PRAGMA synchronous = OFF")
        return conn

    if not durable:
        _store._connect = unsynced
    if not fill_decoy:
        _decoy.set_fillers(_no_filling, _no_filling, _no_filling)
    try:
        yield
    finally:
        _store._connect = connect
        domains.load()  # gives the vault the domains' decoy fillers again


def new_vault(folder: Path, name: str = "test", *, passphrase: str = PASSPHRASE, duress: str | None = None,
              destroy: bool = False, fill_decoy: bool = True, durable: bool = False) -> Vault:
    """The one way tests make a vault: ``folder/name.halqa``, every domain loaded, the weak test KDF.

    ``duress``: also set this duress passphrase (``destroy``: with the order to destroy the real
    slot); ``fill_decoy=False`` leaves that decoy empty (faster, for tests not about its content).
    ``durable=True`` keeps the vault's own ``synchronous = FULL`` (see :func:`_quick`).
    """
    with _quick(durable, fill_decoy):
        v = domains.create_vault(Path(folder) / f"{name}.halqa", passphrase, TEST_KDF)
        if duress is not None:
            v.set_duress(duress, destroy=destroy)
    return v


@contextmanager
def fresh_vault(**options: Any) -> Iterator[Vault]:
    """A new vault in its own temporary folder, gone afterwards (for hypothesis examples)."""
    with tempfile.TemporaryDirectory() as folder, new_vault(Path(folder), **options) as v:
        yield v


@pytest.fixture
def make_vault(tmp_path: Path):
    """``make_vault(name="test", folder=tmp_path, **options)``: :func:`new_vault`, closed after the test."""
    made: list[Vault] = []

    def make(name: str = "test", *, folder: Path | None = None, **options: Any) -> Vault:
        v = new_vault(folder or tmp_path, name, **options)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


@pytest.fixture
def vault(vault_path: Path, make_vault):
    """A new, unlocked vault with every domain loaded, at ``vault_path``."""
    return make_vault(vault_path.stem, folder=vault_path.parent)


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
