"""Inside every domain package, the same modules (docs/contributing.md, "Inside the package").

- ``__init__.py`` is the public surface only: a docstring, imports and ``__all__``; no logic.
- A domain that owns event kinds declares them, and its projections, in ``events.py`` and nowhere
  else; its writes live in ``write.py`` and its reads in ``read.py``.
- Only ``events.py`` (the projections' own SQL) and ``read.py`` name the domain's tables in SQL.
- A domain with a demo step keeps it in ``demo.py``.
- Public functions return typed results (structs, dataclasses, typed mappings), not bare dicts.

Each rule is a small checker run on every domain in :data:`halqa.domains.DOMAINS`, and each
checker is itself tested on a bad module so a rule that cannot fail would be noticed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from halqa.domains import DOMAINS, load
from tests.sql_tables import table_uses
from tests.test_boundaries import owners

SRC = Path(__file__).resolve().parents[1] / "src" / "halqa"
NAMES = [d.rsplit(".", 1)[-1] for d in DOMAINS]

#: Calls that declare kinds or projections: these belong in ``events.py``.
DECLARING = {"register_kind", "register_projection", "RecordProjection"}

#: A return annotation that says "some dict": bare ``dict``/``Mapping``, ``dict[str, Any]`` or
#: ``dict[str, object]``, or ``Any``. ``dict[str, int]`` (a typed mapping) is fine.
BARE = re.compile(r"\b(dict|Mapping)\b(?!\[)|\b(dict|Mapping)\[str, *((typing\.)?Any|object)\]|\bAny\b")


def init_logic(source: str) -> list[str]:
    """Statements in an ``__init__.py`` other than a docstring, imports and ``__all__``."""
    found = []
    for i, node in enumerate(ast.parse(source).body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                continue
        found.append(f"line {node.lineno}: {type(node).__name__}")
    return found


def declaring_calls(source: str) -> list[int]:
    """Lines that call ``register_kind``, ``register_projection`` or ``RecordProjection``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in DECLARING:
                lines.append(node.lineno)
    return lines


def bare_results(functions: Iterable[tuple[str, object]]) -> list[str]:
    """``name -> annotation`` for each function with no return annotation or a bare-dict one."""
    found = []
    for name, obj in functions:
        if not inspect.isfunction(obj):
            continue
        try:  # evaluated, so an alias of dict[str, Any] is seen through
            ann = inspect.signature(obj, eval_str=True).return_annotation
        except NameError:  # a name imported for type checking only: the annotation as written
            ann = inspect.signature(obj).return_annotation
        text = ann if isinstance(ann, str) else ann.__name__ if isinstance(ann, type) else repr(ann)
        if ann is inspect.Signature.empty or BARE.search(str(text)):
            found.append(f"{name} -> {'(none)' if ann is inspect.Signature.empty else text}")
    return found


def _report(name: str, found: list[str], message: str) -> None:
    assert not found, message + "\n" + "\n".join(found)


def _files(name: str) -> dict[str, Path]:
    return {p.stem: p for p in (SRC / name).glob("*.py")}


@pytest.mark.parametrize("name", NAMES)
def test_init_is_the_surface_only(name):
    found = init_logic((SRC / name / "__init__.py").read_text(encoding="utf-8"))
    _report(name, found, f"halqa/{name}/__init__.py holds more than re-exports:")


@pytest.mark.parametrize("name", NAMES)
def test_kinds_and_projections_are_declared_in_events(name):
    files = _files(name)
    declared = {stem: declaring_calls(p.read_text(encoding="utf-8")) for stem, p in files.items()}
    found = [f"{stem}.py:{line}" for stem, lines in declared.items() if stem != "events" for line in lines]
    if declared.get("events"):
        found += [f"no {module}.py" for module in ("write", "read") if module not in files]
    _report(name, found, f"halqa/{name}: kinds or projections outside events.py, or no write/read module:")


@pytest.mark.parametrize("name", NAMES)
def test_only_events_and_read_name_the_domains_tables(name):
    owner = owners()
    found = []
    for stem, path in sorted(_files(name).items()):
        if stem in {"events", "read"}:
            continue
        found += [f"{stem}.py:{u.line}: {u.table}" for u in table_uses(path) if owner.get(u.table) == name]
    _report(name, found, f"halqa/{name}: SQL on the domain's tables outside events.py and read.py:")


@pytest.mark.parametrize("name", NAMES)
def test_demo_lives_in_demo(name):
    module = importlib.import_module(f"halqa.{name}")
    hooks = [getattr(module, hook) for hook in ("demo", "decoy", "decoy_session", "decoy_bulk") if hasattr(module, hook)]
    found = [f"{fn.__name__} in {fn.__module__}" for fn in hooks if fn.__module__ != f"halqa.{name}.demo"]
    _report(name, found, f"halqa.{name}: demo and decoy steps outside demo.py:")


@pytest.mark.parametrize("name", NAMES)
def test_public_functions_return_typed_results(name):
    load()
    module = importlib.import_module(f"halqa.{name}")
    found = bare_results((n, getattr(module, n)) for n in module.__all__)
    _report(name, found, f"halqa.{name}: public functions returning bare dicts:")


# ---------------------------------------------------------------------------- the checkers themselves
def test_init_logic_is_found():
    good = '"""Doc."""\nfrom __future__ import annotations\nfrom .read import a\n__all__ = ["a"]\n'
    assert init_logic(good) == []
    bad = good + "X = 1\ndef demo(vault):\n    return {}\n"
    assert init_logic(bad) == ["line 5: Assign", "line 6: FunctionDef"]


def test_declaring_calls_are_found():
    source = "from halqa.vault import RecordProjection as R\nregister_kind('a.put', A)\nP = vault.RecordProjection('a', A)\n"
    assert declaring_calls(source) == [2, 3]


def test_bare_results_are_found():
    from typing import Any

    def typed() -> dict[str, int]: ...
    def bare() -> dict: ...
    def loose() -> list[dict[str, Any]]: ...
    def silent(): ...
    Alias = dict[str, Any]
    def aliased() -> Alias: ...
    aliased.__annotations__["return"] = Alias
    found = bare_results([("typed", typed), ("bare", bare), ("loose", loose), ("silent", silent), ("aliased", aliased),
                          ("n", 3)])
    assert [f.split(" ")[0] for f in found] == ["bare", "loose", "silent", "aliased"]
