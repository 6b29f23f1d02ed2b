"""Closed boundaries: no package's SQL names another package's tables.

A table belongs to the package whose projection creates it (``Projection.tables``); the vault
core's own tables (events, commits, meta, …) belong to ``halqa.vault``. Another package that needs
the data calls the owner's public read function instead.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from halqa.vault import RecordProjection, registered_projections
from tests.sql_tables import table_uses, tables_in

SRC = Path(__file__).resolve().parents[1] / "src" / "halqa"

#: (file, table) pairs allowed to cross a boundary, and why. Keep this short.
EXEMPT: dict[tuple[str, str], str] = {}


def package_of(module: str) -> str:
    """``halqa.ledger.events`` -> ``ledger``."""
    return module.split(".")[1]


def owners() -> dict[str, str]:
    """Table name -> the package that owns it."""
    for package in sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists()):
        importlib.import_module(f"halqa.{package}")  # every package registers its projections
    owner: dict[str, str] = {}
    for projection in registered_projections():
        module = projection.put.__module__ if isinstance(projection, RecordProjection) else type(projection).__module__
        for table in projection.tables:
            assert owner.setdefault(table.lower(), package_of(module)) == package_of(module), table
    # The core's tables: those its migrations name, plus SQLite's own catalogue.
    for use in table_uses(SRC / "vault" / "migrations.py"):
        owner[use.table] = "vault"
    for table in ("sqlite_master", "sqlite_schema"):
        owner[table] = "vault"
    return owner


def violations(root: Path, owner: dict[str, str]) -> list[str]:
    """``file:line: table (owned by X)`` for each table a package's SQL names but does not own."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        package = rel.split("/")[0].removesuffix(".py")
        for use in sorted(table_uses(path), key=lambda u: (u.line, u.table)):
            table_owner = owner.get(use.table)
            if table_owner is None or table_owner == package or (rel, use.table) in EXEMPT:
                continue
            found.append(f"{rel}:{use.line}: {use.table} (owned by {table_owner})")
    return found


def test_no_package_reads_another_packages_tables():
    found = violations(SRC, owners())
    assert not found, "SQL naming another package's tables:\n" + "\n".join(found)


def test_every_exemption_is_still_needed():
    """An exemption whose crossing is gone (the file still there) is removed from the list."""
    owner = owners()
    for rel, table in EXEMPT:
        if (SRC / rel).exists():
            assert any(u.table == table and owner.get(table) for u in table_uses(SRC / rel)), (rel, table)


def test_the_owner_map_knows_every_domain_and_the_core():
    owner = owners()
    assert owner["ledger_interval"] == "ledger"
    assert owner["household"] == owner["area"] == "places"
    assert owner["mutual_aid_posting"] == "mutual_aid"
    assert owner["circles_meeting"] == "circles"
    assert owner["listening_agg_place_day"] == "listening"
    assert owner["events"] == owner["commits"] == owner["tombstones"] == "vault"
    assert owner["authz_owner"] == "vault"


# ---------------------------------------------------------------------------- the checker itself
BAD_MODULE = '''
LATEST = "SELECT max(end_at) FROM ledger_interval"

def extent(vault, area):
    own = vault.query("SELECT * FROM mine WHERE area = ?", (area,))
    rows = vault.query(f"""
        WITH recent AS (SELECT household FROM household WHERE area = '{area}')
        SELECT r.household, m.circle FROM recent r JOIN circles_meeting AS m ON m.host = r.household""")
    vault.execute("INSERT INTO " + "events (eid) VALUES (?)", (1,))
    return own, rows, "SELECT is a word, not SQL, in this sentence"
'''


def test_the_checker_names_file_line_and_table(tmp_path):
    (tmp_path / "thing").mkdir()
    (tmp_path / "thing" / "bad.py").write_text(BAD_MODULE, encoding="utf-8")
    owner = {"mine": "thing", "ledger_interval": "ledger", "household": "places",
             "circles_meeting": "circles", "events": "vault", "recent": "other"}
    assert violations(tmp_path, owner) == [
        "thing/bad.py:2: ledger_interval (owned by ledger)",
        "thing/bad.py:6: circles_meeting (owned by circles)",
        "thing/bad.py:6: household (owned by places)",
        "thing/bad.py:9: events (owned by vault)",
    ]


@pytest.mark.parametrize(("sql", "tables"), [
    ("SELECT a FROM x JOIN y ON x.id = y.id", {"x", "y"}),
    ("WITH t AS (SELECT 1 FROM z) SELECT * FROM t", {"z"}),
    ('SELECT * FROM "__dyn__"', set()),
    ("INSERT OR IGNORE INTO tombstones (projection, key) VALUES (?, ?)", {"tombstones"}),
    ("INSERT INTO w (a) VALUES (%s) ON CONFLICT DO NOTHING", {"w"}),  # PostgreSQL's marks: the fallback
    ("SELECT (SELECT count(*) FROM inner_t) FROM outer_t", {"inner_t", "outer_t"}),
    ('PRAGMA table_info("household")', {"household"}),
])
def test_tables_in(sql, tables):
    assert tables_in(sql) == tables
