"""Which tables each module's SQL names: the checker behind tests/test_boundaries.py.

Every string literal passed to ``query``/``query_one``/``execute``/``executemany``/``executescript``,
and every other string literal that starts like an SQL statement, is parsed with sqlglot (SQLite
dialect); an f-string's placeholders become ``__dyn__``, so a computed table name is not
attributed to anyone. Names the statement defines itself (common table expressions) are not tables.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

SQL_CALLS = frozenset({"query", "query_one", "execute", "executemany", "executescript"})
_LOOKS_LIKE_SQL = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|REPLACE|DROP|PRAGMA)\s", re.S)
_PRAGMA = re.compile(r"PRAGMA\s+\w+\s*\(\s*['\"]?(\w+)['\"]?\s*\)", re.I)
# For SQL sqlglot cannot read (a placeholder where a keyword goes, PostgreSQL's %s): the names
# after the words that introduce a table.
_AFTER_TABLE_WORD = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+\"?([A-Za-z_]\w*)\"?", re.I)
DYNAMIC = "__dyn__"
logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" for SQLite's WITHOUT ROWID


@dataclass(frozen=True)
class TableUse:
    path: Path
    line: int
    table: str


def _text(node: ast.expr) -> str | None:
    """The SQL text of a literal: a string, an f-string (placeholders as ``__dyn__``) or ``a + b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            parts.append(value.value if isinstance(value, ast.Constant) else DYNAMIC)
        return "".join(str(p) for p in parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def sql_literals(source: str) -> Iterator[tuple[int, str, bool]]:
    """``(line, text, passed_to_a_sql_call)`` for each SQL string literal in ``source``."""
    tree = ast.parse(source)
    seen: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in SQL_CALLS:
                text = _text(node.args[0])
                if text is not None:
                    seen.update(id(part) for part in ast.walk(node.args[0]))
                    yield node.args[0].lineno, text, True
    for node in ast.walk(tree):
        if id(node) in seen or not isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            continue
        text = _text(node)
        if text is not None:
            # The parts of an f-string or a concatenation are literals too: read the whole once.
            seen.update(id(part) for part in ast.walk(node))
            if _LOOKS_LIKE_SQL.match(text):
                yield node.lineno, text, False


def tables_in(sql: str) -> set[str]:
    """The tables an SQL text names (lower-case), without CTE names and computed names."""
    names = {m.group(1).lower() for m in _PRAGMA.finditer(sql) if DYNAMIC not in m.group(1).lower()}
    if sql.lstrip().upper().startswith("PRAGMA"):
        return names
    try:
        statements = sqlglot.parse(sql, dialect="sqlite")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return names | {n.lower() for n in _AFTER_TABLE_WORD.findall(sql) if DYNAMIC not in n.lower()}
    for statement in statements:
        if statement is None:
            continue
        if isinstance(statement, exp.Command):  # syntax sqlglot keeps as text (WITHOUT ROWID)
            names |= {n.lower() for n in _AFTER_TABLE_WORD.findall(statement.sql()) if DYNAMIC not in n.lower()}
            continue
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            name = table.name.lower()
            if name and DYNAMIC not in name and name not in ctes:
                names.add(name)
    return names


def table_uses(path: Path) -> Iterator[TableUse]:
    """Every table named by the SQL in one Python file (a literal that is not SQL is skipped)."""
    for line, text, _ in sql_literals(path.read_text(encoding="utf-8")):
        for name in sorted(tables_in(text)):
            yield TableUse(path, line, name)
