"""Attack: a seized laptop whose halqa server had locked (idle, or the lock button) before the
checkpoint. The key has left memory with the connection; what the domains derived from the vault
(one area's outage figures, the trust graph, a theme model) must have left with it, not stay in a
module's globals for a memory dump to read. Domains keep such things in ``Vault.memo``, which
closing, locking and panic drop."""

from __future__ import annotations

import gc
import random
import sys
from typing import Any

import halqa.circles as circles
import halqa.ledger as ledger
import halqa.listening as listening
import halqa.places as places
from halqa.circles.analysis import exposure_report, measure
from halqa.listening.suggest import suggest_themes


def _strings_reachable_from_globals(secrets: set[str], depth: int = 6) -> list[tuple[str, str]]:
    """``(module.global, secret)`` for each secret string reachable from a halqa module's
    container globals (dicts, lists, sets, tuples) within ``depth`` references."""
    found: list[tuple[str, str]] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("halqa") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if not isinstance(value, dict | list | set | tuple | frozenset):
                continue
            seen: set[int] = set()
            todo: list[tuple[Any, int]] = [(value, 0)]
            while todo:
                obj, level = todo.pop()
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
                if isinstance(obj, str):
                    if obj in secrets:
                        found.append((f"{name}.{attr}", obj))
                    continue
                if level < depth and not isinstance(obj, type | type(sys)):
                    todo.extend((r, level + 1) for r in gc.get_referents(obj))
    return found


def test_closing_the_vault_leaves_nothing_it_derived_in_module_globals(vault):
    rng = random.Random(5)
    places.demo(vault, rng, households_per_area=12)
    ledger.demo(vault, rng, days=40)
    circles.demo(vault, rng, per_area=8)
    listening.demo(vault, rng, n=120)
    span = ledger.extent(vault)
    assert span is not None
    ledger.report(vault, span[0].isoformat(), span[1].isoformat())  # per-area figures, kept for reuse
    ledger.supply(vault, span[0].isoformat(), span[1].isoformat())
    measure(vault, with_circles=True)
    exposure_report(vault, trials=50, seed=1)
    suggest_themes(vault, texts=["no water since morning"])
    secrets = {h for (h,) in vault.query("SELECT household FROM ledger_interval")}
    secrets |= {m.pseudonym for m in circles.members(vault)}
    assert len(secrets) > 50
    kept = {name: len(vault.memo(name)) for name in ("ledger.by_area", "circles.by_revision", "circles.last")}
    vault.close()
    assert not _strings_reachable_from_globals(secrets)
    assert all(kept.values()), kept  # the caches were in use while it was open: the search above meant something
    assert not any(len(vault.memo(name)) for name in kept)
