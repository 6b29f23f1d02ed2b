"""Numbered schema migrations of the vault's own tables.

Each migration is applied once, inside one transaction with its record in ``migrations``; a
vault remembers which it has. Domain tables are projections and need no migrations: bumping a
projection's version rebuilds it from the log.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "core tables", """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY, pubkey BLOB NOT NULL UNIQUE, label TEXT, local INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE commits (
            id INTEGER PRIMARY KEY, cid BLOB UNIQUE, device INTEGER NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL, hlc INTEGER NOT NULL, n INTEGER NOT NULL, signature BLOB,
            received INTEGER NOT NULL DEFAULT 0, UNIQUE (device, seq)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY, eid BLOB NOT NULL UNIQUE, commit_id INTEGER,
            kind TEXT NOT NULL, device INTEGER NOT NULL, hlc INTEGER NOT NULL,
            body BLOB, body_hash BLOB NOT NULL
        );
        CREATE INDEX events_order ON events (hlc, eid);
        CREATE INDEX events_commit ON events (commit_id);
        CREATE TABLE projections (
            name TEXT PRIMARY KEY, version INTEGER NOT NULL, upto INTEGER NOT NULL,
            last_hlc INTEGER NOT NULL, last_eid BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE tombstones (projection TEXT NOT NULL, key TEXT NOT NULL,
                                 PRIMARY KEY (projection, key)) WITHOUT ROWID;
    """),
    (2, "redaction", """
        CREATE TABLE redacted (eid BLOB PRIMARY KEY, by_eid BLOB NOT NULL) WITHOUT ROWID;
    """),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(conn: Any, now: str) -> int:
    """Apply pending migrations; return the schema version."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT)")
    done = {r[0] for r in conn.execute("SELECT version FROM migrations")}
    for version, name, sql in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(str.strip, sql.split(";")):
                conn.execute(stmt)
            conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
