"""The server backend: a vault's log in a PostgreSQL database, through psycopg.

The allies' hub (:mod:`halqa.bridge.hub`) is a :class:`halqa.vault.Vault` on this storage. The
core's SQL here is PostgreSQL's, written for it; the schema is
:data:`halqa.vault.migrations.POSTGRES_MIGRATIONS`. Two details keep the vault's model exact:

- ids are ``max(id) + 1`` under the writer lock, given in the INSERT itself, as SQLite gives
  rowids: a commit's events stay a contiguous range, and an ignored duplicate uses up no id;
- :meth:`PostgresStorage.begin` takes a transaction-level advisory lock, as SQLite's
  ``BEGIN IMMEDIATE`` takes its write lock: one writer at a time, whatever the process.

Projections and queries get a :class:`PgConnection`, which takes the vault's ``?`` parameters
(:func:`pyformat` places them with a real SQL tokenizer, sqlglot's; nothing else in the SQL
is changed) and returns rows readable by
index and by name, as ``sqlite3.Row``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from halqa.errors import InvalidInput, VaultCorrupt
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


@lru_cache(maxsize=1)
def _postgres() -> Any:
    from sqlglot.dialects.postgres import Postgres

    return Postgres()


@lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """The vault's ``?`` parameters as psycopg's ``%s``, and every literal ``%`` as ``%%`` (psycopg
    reads ``%`` everywhere, inside literals and comments too). Nothing else in the SQL changes.

    Which ``?`` is a parameter is decided by sqlglot's PostgreSQL tokenizer, the server that runs
    the SQL: a ``?`` inside a string (``'...'``, ``E'...'``, ``$$...$$``), a quoted name or a
    comment (nested ones too) is text and stays. Numbered parameters (``?1``), which SQLite would
    read and psycopg cannot, are refused with ``ValueError``."""
    from sqlglot.tokens import TokenType

    tokens = _postgres().tokenize(sql)  # a new tokenizer each time: thread-safe
    out: list[str] = []
    pos = 0
    for i, token in enumerate(tokens):
        if token.token_type != TokenType.PLACEHOLDER:
            continue
        if token.text != "?" or (i + 1 < len(tokens) and tokens[i + 1].start == token.end + 1
                                 and tokens[i + 1].token_type == TokenType.NUMBER):
            raise ValueError(f"only plain ? parameters are supported: {sql[token.start:token.end + 2]!r}")
        out.append(sql[pos:token.start].replace("%", "%%"))
        out.append("%s")
        pos = token.end + 1
    out.append(sql[pos:].replace("%", "%%"))
    return "".join(out)


@lru_cache(maxsize=256)
def _bulk_insert(sql: str) -> tuple[str, str, str, tuple[int, ...]] | None:
    """For ``INSERT INTO t [(cols)] VALUES (?, ...) [ON CONFLICT ...]``: ``(t, (cols), the ON
    CONFLICT clause, key)`` as written; ``key`` is empty, or for ``DO UPDATE`` the positions of the
    conflict target's columns among the values. ``None`` for any other statement (``RETURNING``,
    ``DO UPDATE`` without a named target or a column list)."""
    from sqlglot.tokens import TokenType

    tokens = _postgres().tokenize(sql)
    if len(tokens) < 4 or tokens[0].token_type != TokenType.INSERT or tokens[1].token_type != TokenType.INTO:
        return None
    at = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.VALUES), None)
    if at is None or at + 1 >= len(tokens) or tokens[at + 1].token_type != TokenType.L_PAREN:
        return None
    close = next(i for i in range(at + 2, len(tokens) + 1)
                 if i == len(tokens) or tokens[i].token_type not in (TokenType.PLACEHOLDER, TokenType.COMMA))
    if close == len(tokens) or tokens[close].token_type != TokenType.R_PAREN:
        return None
    tail = [t.text.upper() for t in tokens[close + 1:]]
    if "RETURNING" in tail or (tail and tail[:2] != ["ON", "CONFLICT"]):
        return None
    paren = next((i for i in range(2, at) if tokens[i].token_type == TokenType.L_PAREN), at)
    table = sql[tokens[2].start:tokens[paren].start].strip()
    columns = sql[tokens[paren].start:tokens[at].start].strip() if paren < at else ""
    key: tuple[int, ...] = ()
    if tail and tail[-2:] != ["DO", "NOTHING"]:
        # DO UPDATE touches a row once per statement: only rows whose conflict keys all differ
        # may share one. The key is the named target's columns, found in the column list.
        names = [t.text for t in tokens[paren + 1:at - 1] if t.token_type != TokenType.COMMA]
        target = tokens[close + 3:]
        if not names or len(tail) < 3 or tokens[close + 3].token_type != TokenType.L_PAREN:
            return None
        end = next((i for i, t in enumerate(target) if t.token_type == TokenType.R_PAREN), 0)
        wanted = [t.text for t in target[1:end] if t.token_type != TokenType.COMMA]
        if not wanted or any(w not in names for w in wanted):
            return None
        key = tuple(names.index(w) for w in wanted)
    return table, columns, pyformat(sql[tokens[close].end + 1:]), key


#: From this many rows an INSERT goes as one statement (below it, psycopg's pipelined executemany).
_BULK_FROM = 16


class PgConnection:
    """The connection projections and queries run on: ``?`` parameters, rows by index or name."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self._lock = threading.RLock()
        self._types: dict[tuple[str, str], tuple[str, ...]] = {}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            cur = self.raw.cursor(row_factory=_row_factory)
            cur.execute(pyformat(sql), tuple(params))
            return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` once per row, with the result of doing so. Many rows of a plain ``INSERT
        ... VALUES`` (:func:`_bulk_insert`) go as one statement, ``INSERT ... SELECT * FROM
        unnest(...)``, one array per column cast to the column's type: one round trip and one plan
        instead of one per row (a projection folding an aggregate snapshot inserts thousands of
        cells). ``unnest`` gives the rows in the order given, so ``DO NOTHING`` keeps the first of
        two equal keys, as one statement per row does; ``DO UPDATE`` goes so only when no two
        rows share a key (PostgreSQL refuses to update a row twice in one statement)."""
        batch = [tuple(r) for r in rows]
        if not batch:
            return
        shape = _bulk_insert(sql) if len(batch) >= _BULK_FROM else None
        with self._lock, self.raw.cursor() as cur:
            if shape is None or len({len(r) for r in batch}) != 1:
                cur.executemany(pyformat(sql), batch)
                return
            table, columns, conflict, key = shape
            types = self._column_types(cur, table, columns)
            if len(types) != len(batch[0]) or (key and len({tuple(r[i] for i in key) for r in batch}) != len(batch)):
                cur.executemany(pyformat(sql), batch)  # row by row (psycopg names a mismatch)
                return
            arrays = ", ".join(f"%b::{t}[]" for t in types)  # binary: about half the time of text arrays
            cur.execute(f"INSERT INTO {table} {columns} SELECT * FROM unnest({arrays}) {conflict}",
                        [list(column) for column in zip(*batch, strict=True)])

    def _column_types(self, cur: Any, table: str, columns: str) -> tuple[str, ...]:
        """The server's types of ``columns`` of ``table`` (a projection's table keeps its types
        for as long as its version: asked once per connection)."""
        key = (table, columns)
        if key not in self._types:
            cur.execute(f"SELECT {columns[1:-1] if columns else '*'} FROM {table} LIMIT 0")
            infos = [self.raw.adapters.types.get(d.type_code) for d in cur.description]
            # A column psycopg cannot name, or an array column (no array of arrays), goes row by row.
            self._types[key] = () if any(i is None or i.name.startswith("_") for i in infos) else tuple(
                i.name for i in infos)
        return self._types[key]


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
        # Under the writer lock no one else inserts events: the top id is known without asking
        # (one round trip per received commit saved). Forgotten when the transaction ends.
        self._top: int | None = None
        self._secrets: dict[str, bytes] = {}  # written once (init), read for every bundle opened
        self._redacted: set[bytes] | None = None  # in a transaction: the few redacted event ids, read once

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
        self._top = self._redacted = None
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))

    def commit(self) -> None:
        self._top = self._redacted = None
        self.raw.execute("COMMIT")

    def rollback(self, exc: BaseException | None = None) -> None:
        self._top = self._redacted = None
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def data_version(self) -> Any:
        # PostgreSQL tells no connection of others' commits: the top of the log changes with
        # any write (a redaction, an import), this connection's own too (a hub keeps nothing long)
        return self.top()

    # -- meta and secrets
    def meta(self, key: str) -> Any:
        row = self._one("SELECT value FROM meta WHERE key = %s", (key,))
        return None if row is None else row[0]

    def set_meta(self, key: str, value: Any) -> None:
        self.raw.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (key, None if value is None else str(value)))

    def secret(self, name: str) -> bytes | None:
        if name not in self._secrets:
            row = self._one("SELECT value FROM secrets WHERE name = %s", (name,))
            if row is None:
                return None
            self._secrets[name] = bytes(row[0])
        return self._secrets[name]

    def add_secrets(self, rows: Mapping[str, bytes]) -> None:
        self._secrets.clear()
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

    def known_commits(self, cids: Sequence[bytes]) -> set[bytes]:
        if not cids:
            return set()
        return {bytes(r[0]) for r in self.raw.execute("SELECT cid FROM commits WHERE cid = ANY(%b::bytea[])", (list(cids),))}

    def add_commits(self, rows: Sequence[tuple[bytes, int, int, int, int, bytes, int, int]]) -> list[int]:
        if not rows:
            return []
        # One statement for a batch: ids max + 1 onwards in the order given, as add_commit gives them.
        got = {bytes(r[1]): int(r[0]) for r in self.raw.execute(
            "INSERT INTO commits (id, cid, device, seq, hlc, n, signature, received, first_event, last_event) "
            "SELECT m.top + k.ord, k.cid, k.device, k.seq, k.hlc, k.n, k.signature, 1, k.first, k.last "
            "FROM unnest(%b::bytea[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bytea[], %b::bigint[], "
            "%b::bigint[]) WITH ORDINALITY AS k(cid, device, seq, hlc, n, signature, first, last, ord), "
            "(SELECT coalesce(max(id), 0) AS top FROM commits) AS m RETURNING id, cid",
            [list(column) for column in zip(*rows, strict=True)])}
        return [got[bytes(row[0])] for row in rows]

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
        if not rows:
            return
        # Under the writer lock nothing else inserts: the ids follow on from the top.
        first = self.top() + 1
        # One statement however many events (a hub notes every bundle of a batch it imports).
        self.raw.execute("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body) SELECT * FROM unnest("
                         "%b::bigint[], %b::bytea[], %b::bigint[], %b::text[], %b::bigint[], %b::bigint[], %b::bytea[])",
                         [list(column) for column in zip(*[(first + i, *row) for i, row in enumerate(rows)], strict=True)])
        if self._top is not None:
            self._top = first + len(rows) - 1

    def add_event(self, eid: bytes, commit: int, kind: str, device: int, hlc: int, body: bytes | None,
                  body_hash: bytes | None) -> bool:
        # The id is taken in the statement, so a duplicate (ignored) uses none up.
        cur = self.raw.execute("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body, body_hash) "
                               "SELECT coalesce(max(id), 0) + 1, %s, %s, %s, %s, %s, %s, %s FROM events "
                               "ON CONFLICT (hlc, eid) DO NOTHING", (eid, commit, kind, device, hlc, body, body_hash))
        if cur.rowcount and self._top is not None:
            self._top += 1
        return bool(cur.rowcount)

    def add_events(self, rows: Sequence[tuple[int, bytes, int, str, int, int, bytes | None, bytes | None]]) -> None:
        if not rows:
            return
        if rows[0][0] != self.top() + 1:
            raise VaultCorrupt("error.corrupt")  # a commit's events must stay a contiguous range
        # One statement however many events (no ON CONFLICT: the caller found none held, under the lock).
        self.raw.execute("INSERT INTO events (id, eid, commit_id, kind, device, hlc, body, body_hash) "
                         "SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bigint[], %b::text[], %b::bigint[], "
                         "%b::bigint[], %b::bytea[], %b::bytea[])", [list(column) for column in zip(*rows, strict=True)])
        if self._top is not None:
            self._top = rows[-1][0]

    def top(self) -> int:
        if self._top is None:
            top = int(self._one("SELECT coalesce(max(id), 0) FROM events")[0])
            if not self.in_transaction:
                return top
            self._top = top
        return self._top

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

    def held_events(self, keys: Sequence[tuple[int, bytes]]) -> dict[tuple[int, bytes], tuple[int, bytes | None, bool]]:
        if not keys:
            return {}
        hlcs, eids = zip(*keys, strict=True)
        return {(int(r[0]), bytes(r[1])): (int(r[2]), None if r[3] is None else bytes(r[3]), bool(r[4]))
                for r in self.raw.execute(
                    "SELECT e.hlc, e.eid, e.id, e.body_hash, e.body IS NOT NULL FROM unnest(%b::bigint[], %b::bytea[]) "
                    "AS k(hlc, eid) JOIN events e ON e.hlc = k.hlc AND e.eid = k.eid", (list(hlcs), list(eids)))}

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
        if not self.in_transaction:
            return self._one("SELECT 1 FROM redacted WHERE eid = %s", (eid,)) is not None
        if self._redacted is None:  # asked for every received event: one query per transaction
            self._redacted = {bytes(r[0]) for r in self.raw.execute("SELECT eid FROM redacted")}
        return eid in self._redacted

    def mark_redacted(self, eid: bytes, by: bytes) -> None:
        self.raw.execute("INSERT INTO redacted VALUES (%s, %s) ON CONFLICT (eid) DO NOTHING", (eid, by))
        if self._redacted is not None:
            self._redacted.add(eid)

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
