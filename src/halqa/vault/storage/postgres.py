"""The server backend: a vault's log in a PostgreSQL database, through psycopg.

The allies' hub (:mod:`halqa.bridge.hub`) is a :class:`halqa.vault.Vault` on this storage. The
core's SQL here is PostgreSQL's, written for it; the schema is
:data:`halqa.vault.migrations.POSTGRES_MIGRATIONS`. Two details keep the vault's model exact:

- ids are ``max(id) + 1`` under the writer lock, given in the INSERT itself, as SQLite gives
  rowids: a commit's events stay a contiguous range, and an ignored duplicate uses up no id;
- :meth:`PostgresStorage.begin` takes a transaction-level advisory lock, as SQLite's
  ``BEGIN IMMEDIATE`` takes its write lock: one writer at a time, whatever the process.

Projections and queries get a :class:`PgConnection`, which takes the vault's ``?`` parameters
(:func:`pyformat` places them; nothing else in the SQL is changed) and returns rows readable by
index and by name, as ``sqlite3.Row``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from halqa.errors import InvalidInput
from halqa.vault.migrations import POSTGRES_MIGRATIONS, statements
from halqa.vault.storage import POSTGRESQL, Dialect, EventRow

__all__ = ["PgConnection", "PostgresStorage", "Row", "pyformat"]

WRITER_LOCK = 7464823  # the advisory lock key every writer of a hub takes


class Row(tuple):
    """A row addressable by position and by column name, like ``sqlite3.Row``."""

    _names: tuple[str, ...] = ()

    def __new__(cls, names: tuple[str, ...], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = tuple(d.name for d in cursor.description or ())
    return lambda values: Row(names, values)


# What a `?` may stand inside without being a parameter: string literals, quoted names, comments,
# dollar-quoted bodies; and the two characters that matter outside them.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|(\$(?:[A-Za-z_]\w*)?\$).*?\1|[?%]""", re.S)


def _place(m: re.Match[str]) -> str:
    token = m.group(0)
    return "%s" if token == "?" else token.replace("%", "%%")


@lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """The vault's ``?`` parameters as psycopg's ``%s``, and a literal ``%`` as ``%%`` (psycopg
    reads ``%`` everywhere). A ``?`` inside a literal, a quoted name, a comment or a dollar-quoted
    body is text and stays. This places parameters; it changes nothing else in the SQL."""
    return _TOKENS.sub(_place, sql)


class PgConnection:
    """The connection projections and queries run on: ``?`` parameters, rows by index or name."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            cur = self.raw.cursor(row_factory=_row_factory)
            cur.execute(pyformat(sql), tuple(params))
            return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(r) for r in rows]
        if batch:
            with self._lock:
                self.raw.cursor().executemany(pyformat(sql), batch)


def connect(dsn: str) -> Any:
    """An autocommit psycopg connection (transactions are explicit, see :meth:`PostgresStorage.begin`)."""
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise InvalidInput("bridge.hub_unreachable", detail=str(exc).strip().splitlines()[0][:200]) from None


class PostgresStorage:
    """:class:`halqa.vault.storage.Storage` in a PostgreSQL database (``postgresql://`` URL)."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, dsn: str) -> None:
        self.raw = connect(dsn)
        self.conn = PgConnection(self.raw)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(sql, params).fetchone()

    def is_empty(self) -> bool:
        """Whether this database holds no vault yet."""
        return not self._one("SELECT to_regclass('meta') IS NOT NULL")[0]

    # -- lifecycle
    def migrate(self, now: str) -> int:
        self.raw.execute("CREATE TABLE IF NOT EXISTS migrations (version BIGINT PRIMARY KEY, name TEXT, applied TEXT)")
        for version, name, sql in POSTGRES_MIGRATIONS:
            self.begin()
            try:
                # Under the writer lock: two processes opening one new hub migrate it once.
                if self._one("SELECT 1 FROM migrations WHERE version = %s", (version,)) is None:
                    for stmt in statements(sql):
                        self.raw.execute(stmt)
                    self.raw.execute("INSERT INTO migrations VALUES (%s, %s, %s)", (version, name, now))
                self.commit()
            except BaseException:
                self.rollback()
                raise
        return POSTGRES_MIGRATIONS[-1][0]

    def schema_version(self) -> int:
        return int(self._one("SELECT coalesce(max(version), 0) FROM migrations")[0])

    def close(self) -> None:
        self.raw.close()

    # -- transactions
    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def begin(self) -> None:
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self, exc: BaseException | None = None) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    # -- meta and secrets
    def meta(self, key: str) -> Any:
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return None if row is None else row[0]

    def set_meta(self, key: str, value: Any) -> None:
        self.raw.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (key, None if value is None else str(value)))

    def secret(self, name: str) -> bytes | None:
        row = self._one("SELECT value FROM secrets WHERE name = %s", (name,))
        return None if row is None else bytes(row[0])

    def add_secrets(self, rows: Mapping[str, bytes]) -> None:
        self.raw.cursor().executemany("INSERT INTO secrets VALUES (%s, %s)", list(rows.items()))

    # -- devices
    def devices(self) -> dict[bytes, int]:
        return {bytes(r[1]): int(r[0]) for r in self.raw.execute("SELECT id, pubkey FROM devices")}

    def add_device(self, pubkey: bytes, label: str | None = None, local: bool = False) -> int:
        return int(self._one("INSERT INTO devices (id, pubkey, label, local) "
                             "SELECT coalesce(max(id), 0) + 1, %s, %s, %s FROM devices RETURNING id",
                             (pubkey, label, int(local)))[0])

    # -- commits
    def open_commit(self, device: int, seq: int) -> int:
        return int(self._one("INSERT INTO commits (id, device, seq, hlc, n) "
                             "SELECT coalesce(max(id), 0) + 1, %s, %s, 0, 0 FROM commits RETURNING id", (device, seq))[0])

    def seal_commit(self, row: int, cid: bytes, hlc: int, n: int, signature: bytes, first: int, last: int) -> None:
        self.raw.execute("UPDATE commits SET cid = %s, hlc = %s, n = %s, signature = %s, first_event = %s, "
                         "last_event = %s WHERE id = %s", (cid, hlc, n, signature, first, last, row))

    def drop_commit(self, row: int) -> None:
        self.raw.execute("DELETE FROM commits WHERE id = %s", (row,))

    def add_commit(self, cid: bytes, device: int, seq: int, hlc: int, n: int, signature: bytes) -> int:
        return int(self._one("INSERT INTO commits (id, cid, device, seq, hlc, n, signature, received) "
                             "SELECT coalesce(max(id), 0) + 1, %s, %s, %s, %s, %s, %s, 1 FROM commits RETURNING id",
                             (cid, device, seq, hlc, n, signature))[0])

    def set_commit_events(self, row: int, first: int, last: int) -> None:
        self.raw.execute("UPDATE commits SET first_event = %s, last_event = %s WHERE id = %s", (first, last, row))

    def has_commit(self, cid: bytes) -> bool:
        return self._one("SELECT 1 FROM commits WHERE cid = %s", (cid,)) is not None

    def signed_commits(self) -> list[tuple[bytes, int, int, bytes, int, int]]:
        return [(bytes(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5]) for r in self.raw.execute(
            "SELECT d.pubkey, c.seq, c.hlc, c.signature, c.first_event, c.last_event FROM commits c "
            "JOIN devices d ON d.id = c.device WHERE c.cid IS NOT NULL ORDER BY c.hlc, c.id")]

    def heads(self) -> dict[bytes, int]:
        return {bytes(r[0]): int(r[1]) for r in self.raw.execute(
            "SELECT d.pubkey, max(s.seq) FROM ("
            "  SELECT device, seq, row_number() OVER (PARTITION BY device ORDER BY seq) AS rn"
            "  FROM (SELECT DISTINCT device, seq FROM commits WHERE cid IS NOT NULL) AS held) AS s "
            "JOIN devices d ON d.id = s.device WHERE s.seq = s.rn GROUP BY d.pubkey")}

    def count_commits(self) -> int:
        return int(self._one("SELECT count(*) FROM commits")[0])

    # -- events
    def append_events(self, rows: Sequence[tuple[bytes, int, str, int, int, bytes]]) -> None:
        # Under the writer lock nothing else inserts: the ids follow on from the top.
        first = self.top() + 1
        with self.raw.cursor() as cur:
            cur.executemany("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            [(first + i, *row) for i, row in enumerate(rows)])

    def add_event(self, eid: bytes, commit: int, kind: str, device: int, hlc: int, body: bytes | None,
                  body_hash: bytes | None) -> bool:
        # The id is taken in the statement, so a duplicate (ignored) uses none up.
        cur = self.raw.execute("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body, body_hash) "
                               "SELECT coalesce(max(id), 0) + 1, %s, %s, %s, %s, %s, %s, %s FROM events "
                               "ON CONFLICT (hlc, eid) DO NOTHING", (eid, commit, kind, device, hlc, body, body_hash))
        return bool(cur.rowcount)

    def top(self) -> int:
        return int(self._one("SELECT coalesce(max(id), 0) FROM events")[0])

    def events(self, kinds: Sequence[str] | None, after: int) -> Iterator[EventRow]:
        sql = ("SELECT e.eid, e.kind, d.pubkey, e.hlc, e.body, c.cid FROM events e "
               "JOIN devices d ON d.id = e.device LEFT JOIN commits c ON c.id = e.commit_id WHERE e.id > %s")
        args: list[Any] = [after]
        if kinds is not None:
            sql += " AND e.kind = ANY(%s)"
            args.append(list(kinds))
        return iter(self.raw.execute(sql + " ORDER BY e.hlc, e.eid", args).fetchall())

    def event_range(self, first: int, last: int) -> list[tuple[bytes, str, int, bytes | None, bytes | None]]:
        return [(bytes(r[0]), r[1], r[2], r[3], r[4]) for r in self.raw.execute(
            "SELECT eid, kind, hlc, body_hash, body FROM events WHERE id BETWEEN %s AND %s ORDER BY id", (first, last))]

    def first_after(self, after: int, kinds: Sequence[str]) -> tuple[int, bytes] | None:
        row = self._one("SELECT hlc, eid FROM events WHERE id > %s AND kind = ANY(%s) ORDER BY hlc, eid LIMIT 1",
                        (after, list(kinds)))
        return None if row is None else (int(row[0]), bytes(row[1]))

    def max_hlc(self, low: int, high: int) -> int:
        return int(self._one("SELECT coalesce(max(hlc), 0) FROM events WHERE hlc >= %s AND hlc < %s", (low, high))[0])

    def count_events(self) -> int:
        return int(self._one("SELECT count(*) FROM events")[0])

    def kinds_after(self, after: int) -> set[str]:
        return {r[0] for r in self.raw.execute("SELECT DISTINCT kind FROM events WHERE id > %s", (after,))}

    def kind_counts(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self.raw.execute(
            "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind COLLATE \"C\"")}

    def live_events(self, eids: Sequence[bytes]) -> list[tuple[int, bytes]]:
        return [(int(r[0]), bytes(r[1])) for r in self.raw.execute(
            "SELECT hlc, eid FROM events WHERE body IS NOT NULL AND eid = ANY(%s)", (list(eids),))]

    def bodiless(self, hlc: int, eid: bytes) -> tuple[int, bytes | None] | None:
        row = self._one("SELECT id, body_hash FROM events WHERE hlc = %s AND eid = %s AND body IS NULL", (hlc, eid))
        return None if row is None else (int(row[0]), None if row[1] is None else bytes(row[1]))

    def fill_body(self, row: int, body: bytes) -> None:
        self.raw.execute("UPDATE events SET body = %s, body_hash = NULL WHERE id = %s", (body, row))

    def purge_body(self, hlc: int, eid: bytes, digest: Any) -> str | None:
        row = self._one("SELECT kind, body FROM events WHERE hlc = %s AND eid = %s AND body IS NOT NULL", (hlc, eid))
        if row is None:
            return None
        # PostgreSQL keeps the old row version until VACUUM: docs/architecture.md says what that means for a hub.
        self.raw.execute("UPDATE events SET body = NULL, body_hash = %s WHERE hlc = %s AND eid = %s",
                         (digest(bytes(row[1])), hlc, eid))
        return str(row[0])

    # -- redaction
    def is_redacted(self, eid: bytes) -> bool:
        return self._one("SELECT 1 FROM redacted WHERE eid = %s", (eid,)) is not None

    def mark_redacted(self, eid: bytes, by: bytes) -> None:
        self.raw.execute("INSERT INTO redacted VALUES (%s, %s) ON CONFLICT (eid) DO NOTHING", (eid, by))

    # -- projection state
    def projection_states(self) -> dict[str, tuple[int, int]]:
        return {r[0]: (int(r[1]), int(r[2])) for r in self.raw.execute("SELECT name, version, upto FROM projections")}

    def projection_position(self, name: str) -> tuple[int, int, bytes]:
        row = self._one("SELECT upto, last_hlc, last_eid FROM projections WHERE name = %s", (name,))
        return int(row[0]), int(row[1]), bytes(row[2])

    def set_projection(self, name: str, version: int, upto: int, last_hlc: int, last_eid: bytes) -> None:
        self.raw.execute("INSERT INTO projections VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                         "version = excluded.version, upto = excluded.upto, last_hlc = excluded.last_hlc, "
                         "last_eid = excluded.last_eid", (name, version, upto, last_hlc, last_eid))

    def advance_projections(self, upto: int, kept: Sequence[str] | None, touched: Iterable[str], last_hlc: int,
                            last_eid: bytes) -> None:
        if kept is None:
            self.raw.execute("UPDATE projections SET upto = %s", (upto,))
        else:
            self.raw.execute("UPDATE projections SET upto = %s WHERE name = ANY(%s)", (upto, list(kept)))
        names = list(touched)
        if names:
            self.raw.execute("UPDATE projections SET last_hlc = %s, last_eid = %s WHERE name = ANY(%s)",
                             (last_hlc, last_eid, names))
