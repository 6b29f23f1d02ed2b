"""Numbered schema migrations of the vault's own tables: one list per dialect.

Each migration is applied once, inside one transaction with its record in ``migrations``; a
vault remembers which it has. Domain tables are projections and need no migrations: bumping a
projection's version rebuilds it from the log.

:data:`SQLITE_MIGRATIONS` (the embedded vault, :mod:`halqa.vault.storage.sqlcipher`) and
:data:`POSTGRES_MIGRATIONS` (the hub, :mod:`halqa.vault.storage.postgres`) are each written in
their own dialect and are never translated. They have the same numbers and names, and the tables
they end with have the same columns (both checked by ``tests/vault/test_storage_contract.py``):
a change to the core's tables is a new entry in both lists.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MIGRATIONS", "POSTGRES_MIGRATIONS", "SCHEMA_VERSION", "SQLITE_MIGRATIONS", "migrate", "statements"]

SQLITE_MIGRATIONS: list[tuple[int, str, str]] = [
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

MIGRATIONS = SQLITE_MIGRATIONS

POSTGRES_MIGRATIONS: list[tuple[int, str, str]] = [
    # BIGINT where SQLite says INTEGER (clocks and sequence numbers are 64-bit), BYTEA for BLOB.
    # Ids are given by the storage (max + 1 under the writer lock), as SQLite gives rowids, so
    # that a commit's events stay a contiguous range.
    (1, "core tables", """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
        CREATE TABLE IF NOT EXISTS devices (
            id BIGINT PRIMARY KEY, pubkey BYTEA NOT NULL UNIQUE, label TEXT, local BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS commits (
            id BIGINT PRIMARY KEY, cid BYTEA UNIQUE, device BIGINT NOT NULL REFERENCES devices(id),
            seq BIGINT NOT NULL, hlc BIGINT NOT NULL, n BIGINT NOT NULL, signature BYTEA,
            received BIGINT NOT NULL DEFAULT 0, first_event BIGINT, last_event BIGINT,
            UNIQUE (device, seq)
        );
        CREATE TABLE IF NOT EXISTS events (
            id BIGINT PRIMARY KEY, eid BYTEA NOT NULL, commit_id BIGINT,
            kind TEXT NOT NULL, device BIGINT NOT NULL, hlc BIGINT NOT NULL,
            body BYTEA, body_hash BYTEA
        );
        CREATE UNIQUE INDEX IF NOT EXISTS events_order ON events (hlc, eid);
        CREATE TABLE IF NOT EXISTS projections (
            name TEXT PRIMARY KEY, version BIGINT NOT NULL, upto BIGINT NOT NULL,
            last_hlc BIGINT NOT NULL, last_eid BYTEA NOT NULL
        );
        CREATE TABLE IF NOT EXISTS tombstones (projection TEXT NOT NULL, key TEXT NOT NULL,
                                               PRIMARY KEY (projection, key));
    """),
    # IF NOT EXISTS: a hub made before these lists existed recorded one migration, "hub tables",
    # whose tables were these and the redaction table.
    (2, "redaction", """
        CREATE TABLE IF NOT EXISTS redacted (eid BYTEA PRIMARY KEY, by_eid BYTEA NOT NULL);
    """),
    (3, "forks are commits too", """
        -- A device copied by hand can sign two different commits with one sequence number.
        -- Both are genuine: keep them as a set (the hub kept refusing them until this existed).
        ALTER TABLE commits DROP CONSTRAINT IF EXISTS commits_device_seq_key;
        CREATE INDEX IF NOT EXISTS commits_device_seq ON commits (device, seq);
    """),
    (4, "files written outside the vault", """
        -- Empty on a hub (it writes no files); kept so that both backends have the same tables.
        CREATE TABLE IF NOT EXISTS outside_files (path TEXT PRIMARY KEY, kind TEXT NOT NULL, written TEXT NOT NULL);
    """),
]

SCHEMA_VERSION = SQLITE_MIGRATIONS[-1][0]


def statements(sql: str) -> list[str]:
    """The statements of one migration (comments dropped first: a ';' inside one must not split)."""
    return [s for s in re.sub(r"--[^\n]*", "", sql).split(";") if s.strip()]


def migrate(conn: Any, now: str) -> int:
    """Apply pending SQLite migrations on a SQLCipher connection; return the schema version."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT)")
    done = {r[0] for r in conn.execute("SELECT version FROM migrations")}
    for version, name, sql in SQLITE_MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in statements(sql):
                conn.execute(stmt)
            conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
