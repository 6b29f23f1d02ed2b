"""The composition root: which domains exist, and the work that spans all of them.

Faces (CLI, web) call :func:`load` once so every domain registers its event kinds and
projections before a vault is opened. Domains never import each other's faces or this module's
callers; they only expose ``demo(vault, rng)`` and optionally ``decoy(vault, rng)``.
"""

from __future__ import annotations

import importlib
import os
import random
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from halqa.vault import KdfParams, Vault
from halqa.vault import decoy as _decoy

__all__ = ["DOMAINS", "create_vault", "decoy_bulk", "decoy_session", "fill_decoy", "load", "run_demo"]

#: Domain packages, in the order the demo runs them (later ones use earlier ones' records).
DOMAINS: tuple[str, ...] = (
    "halqa.places",
    "halqa.listening",
    "halqa.ledger",
    "halqa.circles",
    "halqa.mutual_aid",
    "halqa.learning",
    "halqa.institutions",
    "halqa.bridge",
    "halqa.publish",
)


def load() -> list[ModuleType]:
    """Import every domain (idempotent) so its kinds and projections are registered, and give
    the vault the domains' decoy generators."""
    _decoy.set_fillers(fill_decoy, decoy_session, decoy_bulk)
    return [importlib.import_module(name) for name in DOMAINS]


def fill_decoy(vault: Vault, rng: random.Random | None = None) -> None:
    """Fill a decoy database with plausible, harmless content from every domain."""
    rng = rng or random.Random(secrets.randbits(64))
    for mod in load():
        filler: Callable[[Vault, random.Random], Any] | None = getattr(mod, "decoy", None)
        if filler is not None:
            filler(vault, rng)


def decoy_session(vault: Vault, rng: random.Random, when: datetime) -> None:
    """One ordinary moment of a decoy's life at ``when``: each domain that has one adds its part."""
    for mod in load():
        step: Callable[[Vault, random.Random, datetime], Any] | None = getattr(mod, "decoy_session", None)
        if step is not None:
            step(vault, rng, when)


def decoy_bulk(vault: Vault, rng: random.Random, when: datetime, rows: int) -> None:
    """A decoy's answer to a large import in the real vault: each domain that has one adds its part."""
    for mod in load():
        step: Callable[[Vault, random.Random, datetime, int], Any] | None = getattr(mod, "decoy_bulk", None)
        if step is not None:
            step(vault, rng, when, rows)


def create_vault(path: str | os.PathLike[str], passphrase: str, kdf: KdfParams | None = None) -> Vault:
    """Create a vault (a decoy is built when a duress passphrase is set): what ``halqa init`` does."""
    load()
    return Vault.create(path, passphrase, kdf=kdf)


def run_demo(directory: str | os.PathLike[str], passphrase: str, seed: int = 2026,
             kdf: KdfParams | None = None,
             progress: Callable[[str], None] | None = None) -> tuple[Path, dict[str, Any]]:
    """Create ``directory/demo.halqa`` holding a synthetic neighbourhood and return
    ``(path, report)``: each domain's demo step adds its part of the cycle."""
    path = Path(directory) / "demo.halqa"
    rng = random.Random(seed)
    report: dict[str, Any] = {}
    with create_vault(path, passphrase, kdf) as vault:
        for mod in load():
            step = getattr(mod, "demo", None)
            if step is None:
                continue
            if progress:
                progress(mod.__name__.rsplit(".", 1)[-1])
            report[mod.__name__.rsplit(".", 1)[-1]] = step(vault, rng)
        report["vault"] = vault.info()
    return path, report
