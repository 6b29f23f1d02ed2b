"""The embedded backend: one SQLCipher 4 database file of a vault folder.

The SQL here is SQLite's; the schema is :data:`halqa.vault.migrations.SQLITE_MIGRATIONS`, so a
vault written by any earlier halqa opens unchanged. Keys, headers and the folder's other files are
:mod:`halqa.vault.store`'s business, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlcipher3

from halqa.errors import DiskFull, VaultCorrupt, VaultLocked
from halqa.vault.migrations import SCHEMA_VERSION, migrate
from halqa.vault.storage import SQLITE, Dialect, EventRow

_CHUNK = 400  # values per IN list (SQLite's limit on parameters is far above)

__all__ = ["CACHE_KIB", "PAGE_SIZE", "SQLCipherStorage", "connect"]

PAGE_SIZE = 16384
#: The page cache of an open vault, KiB (see :func:`connect`).
CACHE_KIB = 262144

# sqlcipher3 binds int, float and str directly but first tries to "adapt" any other value
# (bytes, None, bool): a failed lookup of `__adapt__` and `__conform__`, each building and
# discarding an AttributeError, about 1.3 µs per value. An event row binds two bytes values, so
# this was about a seventh of an append's CPU (docs/performance.md, issue 19). A registered
# adapter is found first, in one dict lookup; these return what would have been bound anyway
# (the same bytes object, the same integer, NULL), so nothing stored changes.
sqlcipher3.register_adapter(bytes, bytes)  # bytes(b) is b itself
sqlcipher3.register_adapter(bool, int)  # bound as 0/1 before too
sqlcipher3.register_adapter(type(None), lambda value: value)


class _Connection(sqlcipher3.Connection):
    """A SQLCipher connection that names its dialect (for projections)."""

    dialect = SQLITE


def connect(db_path: Path, key: bytes) -> Any:
    """Open one SQLCipher database with a raw key; raise VaultCorrupt if the key does not fit."""
    conn = sqlcipher3.connect(str(db_path), isolation_level=None, check_same_thread=False,
                              timeout=10.0, factory=_Connection)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        # 16 KiB pages: a quarter of the per-page IVs and HMACs of the 4 KiB default, which
        # made appends about 20% faster here (docs/performance.md). SQLCipher does not record
        # the page size in the file, so every open must state it.
        conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
        # Temporary tables and sort spills stay in memory: nothing unencrypted touches the disk.
        conn.execute("PRAGMA temp_store = MEMORY")
        # Deleted content (redacted payloads) is overwritten, not left in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = FULL")
        # Up to 256 MiB of decrypted pages (filled only as pages are read): a million-interval
        # import took 2.7x the CPU with 64 MiB, each index insert missing the cache and
        # decrypting and re-encrypting pages (docs/performance.md). Plaintext in memory is what an
        # open vault holds anyway (docs/threat-model.md); closing frees it.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise VaultLocked("error.busy") from None
        raise VaultCorrupt("error.corrupt") from None
    conn.row_factory = sqlcipher3.Row
    return conn


class SQLCipherStorage:
    """:class:`halqa.vault.storage.Storage` on an open SQLCipher connection (see :func:`connect`)."""

    dialect: Dialect = SQLITE

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    # -- lifecycle
    def migrate(self, now: str) -> int:
        return migrate(self.conn, now)

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM migrations").fetchone()
        return int(row[0] or 0) if row else SCHEMA_VERSION

    def close(self) -> None:
        self.conn.close()

    # -- transactions
    @property
    def in_transaction(self) -> bool:
        return bool(self.conn.in_transaction)

    def begin(self) -> None:
        # IMMEDIATE: the write lock now, so a second writer waits (busy timeout) instead of failing later.
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self, exc: BaseException | None = None) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        # SQLite has then rolled back by itself; a second rollback would hide the reason.
        if isinstance(exc, sqlcipher3.OperationalError) and "full" in str(exc):
            raise DiskFull() from None

    # -- meta and secrets
    def data_version(self) -> Any:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    def secret(self, name: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def add_secrets(self, rows: Mapping[str, bytes]) -> None:
        self.conn.executemany("INSERT INTO secrets VALUES (?, ?)", rows.items())

    # -- devices
    def devices(self) -> dict[bytes, int]:
        return {bytes(r[1]): r[0] for r in self.conn.execute("SELECT id, pubkey FROM devices")}

    def add_device(self, pubkey: bytes, label: str | None = None, local: bool = False) -> int:
        cur = self.conn.execute("INSERT INTO devices (pubkey, label, local) VALUES (?, ?, ?)", (pubkey, label, int(local)))
        return int(cur.lastrowid)

    # -- commits
    def open_commit(self, device: int, seq: int) -> int:
        cur = self.conn.execute("INSERT INTO commits (device, seq, hlc, n) VALUES (?, ?, 0, 0)", (device, seq))
        return int(cur.lastrowid)

    def seal_commit(self, row: int, cid: bytes, hlc: int, n: int, signature: bytes, first: int, last: int) -> None:
        self.conn.execute("UPDATE commits SET cid = ?, hlc = ?, n = ?, signature = ?, first_event = ?, last_event = ? "
                          "WHERE id = ?", (cid, hlc, n, signature, first, last, row))

    def drop_commit(self, row: int) -> None:
        self.conn.execute("DELETE FROM commits WHERE id = ?", (row,))

    def add_commit(self, cid: bytes, device: int, seq: int, hlc: int, n: int, signature: bytes) -> int:
        cur = self.conn.execute("INSERT INTO commits (cid, device, seq, hlc, n, signature, received) "
                                "VALUES (?, ?, ?, ?, ?, ?, 1)", (cid, device, seq, hlc, n, signature))
        return int(cur.lastrowid)

    def set_commit_events(self, row: int, first: int, last: int) -> None:
        self.conn.execute("UPDATE commits SET first_event = ?, last_event = ? WHERE id = ?", (first, last, row))

    def has_commit(self, cid: bytes) -> bool:
        return self.conn.execute("SELECT 1 FROM commits WHERE cid = ?", (cid,)).fetchone() is not None

    def known_commits(self, cids: Sequence[bytes]) -> set[bytes]:
        out: set[bytes] = set()
        for i in range(0, len(cids), _CHUNK):
            part = cids[i:i + _CHUNK]
            out.update(bytes(r[0]) for r in self.conn.execute(
                f"SELECT cid FROM commits WHERE cid IN ({', '.join('?' * len(part))})", part))
        return out

    def add_commits(self, rows: Sequence[tuple[bytes, int, int, int, int, bytes, int, int]]) -> list[int]:
        # In-process: a statement per commit costs no round trip.
        return [int(self.conn.execute("INSERT INTO commits (cid, device, seq, hlc, n, signature, received, first_event, "
                                      "last_event) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)", row).lastrowid) for row in rows]

    def signed_commits(self) -> list[tuple[bytes, int, int, bytes, int, int]]:
        return [(bytes(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5]) for r in self.conn.execute(
            "SELECT d.pubkey, c.seq, c.hlc, c.signature, c.first_event, c.last_event FROM commits c "
            "JOIN devices d ON d.id = c.device WHERE c.cid IS NOT NULL ORDER BY c.hlc, c.id")]

    def heads(self) -> dict[bytes, int]:
        return {bytes(r[0]): r[1] for r in self.conn.execute(
            "SELECT d.pubkey, max(s.seq) FROM ("
            "  SELECT device, seq, row_number() OVER (PARTITION BY device ORDER BY seq) AS rn"
            "  FROM (SELECT DISTINCT device, seq FROM commits WHERE cid IS NOT NULL)) s "
            "JOIN devices d ON d.id = s.device WHERE s.seq = s.rn GROUP BY d.pubkey")}

    def count_commits(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM commits").fetchone()[0])

    # -- events
    def append_events(self, rows: Sequence[tuple[bytes, int, str, int, int, bytes]]) -> None:
        # The write lock is held and nothing else inserts: rowids follow on from max(id).
        self.conn.executemany("INSERT INTO events (eid, commit_id, kind, device, hlc, body) VALUES (?, ?, ?, ?, ?, ?)",
                              rows)

    def add_event(self, eid: bytes, commit: int, kind: str, device: int, hlc: int, body: bytes | None,
                  body_hash: bytes | None) -> bool:
        cur = self.conn.execute("INSERT OR IGNORE INTO events (eid, commit_id, kind, device, hlc, body, body_hash) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)", (eid, commit, kind, device, hlc, body, body_hash))
        return bool(cur.rowcount)

    def add_events(self, rows: Sequence[tuple[int, bytes, int, str, int, int, bytes | None, bytes | None]]) -> None:
        if rows and rows[0][0] != self.top() + 1:
            raise VaultCorrupt("error.corrupt")  # a commit's events must stay a contiguous range
        self.conn.executemany("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body, body_hash) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def top(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def events(self, kinds: Sequence[str] | None, after: int) -> Iterator[EventRow]:
        sql = ("SELECT e.eid, e.kind, d.pubkey, e.hlc, e.body, c.cid FROM events e "
               "JOIN devices d ON d.id = e.device LEFT JOIN commits c ON c.id = e.commit_id WHERE e.id > ?")
        args: list[Any] = [after]
        if kinds is not None:
            sql += f" AND e.kind IN ({', '.join('?' * len(kinds))})"
            args += kinds
        return iter(self.conn.execute(sql + " ORDER BY e.hlc, e.eid", args))

    def event_range(self, first: int, last: int) -> list[tuple[bytes, str, int, bytes | None, bytes | None]]:
        return [(bytes(r[0]), r[1], r[2], r[3], r[4]) for r in self.conn.execute(
            "SELECT eid, kind, hlc, body_hash, body FROM events WHERE id BETWEEN ? AND ? ORDER BY id", (first, last))]

    def first_after(self, after: int, kinds: Sequence[str]) -> tuple[int, bytes] | None:
        row = self.conn.execute(
            f"SELECT hlc, eid FROM events WHERE id > ? AND kind IN ({', '.join('?' * len(kinds))}) "
            "ORDER BY hlc, eid LIMIT 1", (after, *kinds)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def max_hlc(self, low: int, high: int) -> int:
        row = self.conn.execute("SELECT max(hlc) FROM events WHERE hlc >= ? AND hlc < ?", (low, high)).fetchone()
        return int(row[0] or 0)

    def count_events(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def kinds_after(self, after: int) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT DISTINCT kind FROM events WHERE id > ?", (after,))}

    def kind_counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind")}

    def live_events(self, eids: Sequence[bytes]) -> list[tuple[int, bytes]]:
        # A scan: redaction is rare, and events are indexed by (hlc, id), not id alone.
        return [(r[0], bytes(r[1])) for r in self.conn.execute(
            f"SELECT hlc, eid FROM events WHERE body IS NOT NULL AND eid IN ({', '.join('?' * len(eids))})", eids)]

    def bodiless(self, hlc: int, eid: bytes) -> tuple[int, bytes | None] | None:
        row = self.conn.execute("SELECT id, body_hash FROM events WHERE hlc = ? AND eid = ? AND body IS NULL",
                                (hlc, eid)).fetchone()
        return None if row is None else (row[0], None if row[1] is None else bytes(row[1]))

    def held_events(self, keys: Sequence[tuple[int, bytes]]) -> dict[tuple[int, bytes], tuple[int, bytes | None, bool]]:
        out: dict[tuple[int, bytes], tuple[int, bytes | None, bool]] = {}
        for i in range(0, len(keys), _CHUNK):
            part = keys[i:i + _CHUNK]
            for hlc, eid, row, kept, has_body in self.conn.execute(
                    "SELECT e.hlc, e.eid, e.id, e.body_hash, e.body IS NOT NULL FROM events e WHERE (e.hlc, e.eid) IN "
                    f"(VALUES {', '.join(['(?, ?)'] * len(part))})", [v for k in part for v in k]):
                out[(int(hlc), bytes(eid))] = (int(row), None if kept is None else bytes(kept), bool(has_body))
        return out

    def fill_body(self, row: int, body: bytes) -> None:
        self.conn.execute("UPDATE events SET body = ?, body_hash = NULL WHERE id = ?", (body, row))

    def purge_body(self, hlc: int, eid: bytes, digest: Any) -> str | None:
        row = self.conn.execute("SELECT kind, body FROM events WHERE hlc = ? AND eid = ? AND body IS NOT NULL",
                                (hlc, eid)).fetchone()
        if row is None:
            return None
        # secure_delete is on: the old body's bytes are overwritten, not left in a free page.
        self.conn.execute("UPDATE events SET body = NULL, body_hash = ? WHERE hlc = ? AND eid = ?",
                          (digest(bytes(row[1])), hlc, eid))
        return str(row[0])

    # -- redaction
    def is_redacted(self, eid: bytes) -> bool:
        return self.conn.execute("SELECT 1 FROM redacted WHERE eid = ?", (eid,)).fetchone() is not None

    def mark_redacted(self, eid: bytes, by: bytes) -> None:
        self.conn.execute("INSERT OR IGNORE INTO redacted VALUES (?, ?)", (eid, by))

    # -- projection state
    def projection_states(self) -> dict[str, tuple[int, int]]:
        return {r[0]: (r[1], r[2]) for r in self.conn.execute("SELECT name, version, upto FROM projections")}

    def projection_position(self, name: str) -> tuple[int, int, bytes]:
        row = self.conn.execute("SELECT upto, last_hlc, last_eid FROM projections WHERE name = ?", (name,)).fetchone()
        return row[0], row[1], bytes(row[2])

    def set_projection(self, name: str, version: int, upto: int, last_hlc: int, last_eid: bytes) -> None:
        self.conn.execute("INSERT OR REPLACE INTO projections VALUES (?, ?, ?, ?, ?)",
                          (name, version, upto, last_hlc, last_eid))

    def advance_projections(self, upto: int, kept: Sequence[str] | None, touched: Iterable[str], last_hlc: int,
                            last_eid: bytes) -> None:
        if kept is None:
            self.conn.execute("UPDATE projections SET upto = ?", (upto,))
        else:
            self.conn.executemany("UPDATE projections SET upto = ? WHERE name = ?", [(upto, name) for name in kept])
        self.conn.executemany("UPDATE projections SET last_hlc = ?, last_eid = ? WHERE name = ?",
                              [(last_hlc, last_eid, name) for name in touched])
