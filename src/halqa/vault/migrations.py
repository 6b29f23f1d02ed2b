"""Numbered schema migrations of the vault's own tables.

Each migration is applied once, inside one transaction with its record in ``migrations``; a
vault remembers which it has. Domain tables are projections and need no migrations: bumping a
projection's version rebuilds it from the log.
"""

from __future__ import annotations

import re
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
            received INTEGER NOT NULL DEFAULT 0, first_event INTEGER, last_event INTEGER,
            UNIQUE (device, seq)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY, eid BLOB NOT NULL, commit_id INTEGER,
            kind TEXT NOT NULL, device INTEGER NOT NULL, hlc INTEGER NOT NULL,
            body BLOB, body_hash BLOB
        );
        -- body_hash is stored only once a body is redacted; until then it is derived from the
        -- body. A commit's events are the contiguous ids first_event..last_event (no index).
        -- An event's clock is part of its signed identity, so (hlc, eid) is unique exactly when
        -- eid is, and unlike an index on the random eid alone it grows at its end: a commit
        -- dirties a few pages instead of most of the index (see docs/performance.md).
        CREATE UNIQUE INDEX events_order ON events (hlc, eid);
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
    (3, "forks are commits too", """
        -- A device copied by hand (or restored before the sequence jump existed) can sign two
        -- different commits with one sequence number. Both are genuine: keep them as a set.
        CREATE TABLE commits_v3 (
            id INTEGER PRIMARY KEY, cid BLOB UNIQUE, device INTEGER NOT NULL REFERENCES devices(id),
            seq INTEGER NOT NULL, hlc INTEGER NOT NULL, n INTEGER NOT NULL, signature BLOB,
            received INTEGER NOT NULL DEFAULT 0, first_event INTEGER, last_event INTEGER
        );
        INSERT INTO commits_v3 SELECT id, cid, device, seq, hlc, n, signature, received, first_event, last_event
            FROM commits;
        DROP TABLE commits;
        ALTER TABLE commits_v3 RENAME TO commits;
        CREATE INDEX commits_device_seq ON commits (device, seq);
    """),
    (4, "files written outside the vault", """
        -- What halqa wrote outside its databases (backups, identities, voice notes, calendars,
        -- posters, bundles): `halqa panic` shreds them too (halqa.vault.outside).
        CREATE TABLE outside_files (path TEXT PRIMARY KEY, kind TEXT NOT NULL, written TEXT NOT NULL) WITHOUT ROWID;
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
            # Comments go first: a ';' inside one must not split a statement.
            for stmt in filter(str.strip, re.sub(r"--[^\n]*", "", sql).split(";")):
                conn.execute(stmt)
            conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
