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
from pathlib import Path
from types import ModuleType
from typing import Any

from halqa.vault import KdfParams, Vault

__all__ = ["DOMAINS", "create_vault", "fill_decoy", "load", "run_demo"]

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
    """Import every domain (idempotent) so its kinds and projections are registered."""
    return [importlib.import_module(name) for name in DOMAINS]


def fill_decoy(vault: Vault) -> None:
    """Fill a decoy database with plausible, harmless content from every domain."""
    rng = random.Random(secrets.randbits(64))
    for mod in load():
        filler: Callable[[Vault, random.Random], Any] | None = getattr(mod, "decoy", None)
        if filler is not None:
            filler(vault, rng)


def create_vault(path: str | os.PathLike[str], passphrase: str, kdf: KdfParams | None = None) -> Vault:
    """Create a vault with its decoy filled: what ``halqa init`` does."""
    load()
    return Vault.create(path, passphrase, kdf=kdf, decoy_filler=fill_decoy)


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
