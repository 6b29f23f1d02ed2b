"""The allies' hub: the same vault model on PostgreSQL.

Allies abroad who collect aggregate bundles from many circles keep them in PostgreSQL instead of
the embedded SQLCipher file. :class:`Hub` *is* a :class:`halqa.vault.Vault` on another connection:
the same tables (``devices``, ``commits``, ``events``, ``redacted``, ``tombstones``,
``projections``), the same writer, the same :func:`halqa.vault.ingest` (signature checks, set
union, redaction), the same authorisation of every event against its author's role
(:func:`halqa.vault.authz.authorise`: circles are ``circle`` contacts and may send aggregates
only), the same bundle import (:func:`halqa.bridge.import_bundle`), and the bridge's
projections folded by the same code. Only the connection differs: :class:`PgConnection` speaks
the small SQLite dialect the vault uses (``?`` parameters, ``INSERT OR IGNORE``, ``BEGIN
IMMEDIATE``...) to PostgreSQL through psycopg.

Two PostgreSQL details keep the model exact: event and commit ids come from a ``BEFORE INSERT``
trigger (``max(id) + 1``) rather than a sequence, so ids stay contiguous as the vault's commit
ranges need; ``BEGIN IMMEDIATE`` takes a transaction-level advisory lock, as SQLite's write lock
serialises writers.

Only projections whose SQL is portable run on the hub (the bridge's own, see ``HUB_PROJECTIONS``);
every event is stored whatever its kind. The hub holds its device keys in the ``secrets`` table:
keep the database on an encrypted disk and restrict who can connect.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from halqa.errors import InvalidInput, VaultCorrupt
from halqa.vault import Vault
from halqa.vault.projections import Projection, registered_projections

__all__ = ["HUB_PROJECTIONS", "Hub", "PgConnection", "hub_init", "hub_open", "import_many"]

#: Projections maintained on the hub (portable SQL).
HUB_PROJECTIONS = ("bridge_contact", "bridge_known", "bridge_seen", "bridge_aggregate", "authz_owner")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT);
CREATE TABLE devices (id BIGINT PRIMARY KEY, pubkey BYTEA NOT NULL UNIQUE, label TEXT, local INTEGER NOT NULL DEFAULT 0);
CREATE TABLE commits (
    id BIGINT PRIMARY KEY, cid BYTEA UNIQUE, device BIGINT NOT NULL REFERENCES devices(id),
    seq BIGINT NOT NULL, hlc BIGINT NOT NULL, n INTEGER NOT NULL, signature BYTEA,
    received INTEGER NOT NULL DEFAULT 0, first_event BIGINT, last_event BIGINT, UNIQUE (device, seq));
CREATE TABLE events (
    id BIGINT PRIMARY KEY, eid BYTEA NOT NULL, commit_id BIGINT, kind TEXT NOT NULL, device BIGINT NOT NULL,
    hlc BIGINT NOT NULL, body BYTEA, body_hash BYTEA);
CREATE UNIQUE INDEX events_order ON events (hlc, eid);
CREATE TABLE projections (name TEXT PRIMARY KEY, version INTEGER NOT NULL, upto BIGINT NOT NULL,
    last_hlc BIGINT NOT NULL, last_eid BYTEA NOT NULL);
CREATE TABLE tombstones (projection TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (projection, key));
CREATE TABLE redacted (eid BYTEA PRIMARY KEY, by_eid BYTEA NOT NULL);
CREATE FUNCTION halqa_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NULL THEN
        EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', TG_TABLE_NAME) INTO NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER devices_id BEFORE INSERT ON devices FOR EACH ROW EXECUTE FUNCTION halqa_next_id();
CREATE TRIGGER commits_id BEFORE INSERT ON commits FOR EACH ROW EXECUTE FUNCTION halqa_next_id();
CREATE TRIGGER events_id BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION halqa_next_id()
"""

#: Tables whose ``INSERT OR REPLACE`` the vault uses, with their primary key.
_REPLACE_KEYS = {"projections": ("name",), "meta": ("key",), "secrets": ("name",)}
_LOCK = "SELECT pg_advisory_xact_lock(7464823)"  # serialises writers like SQLite's write lock


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


@lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, bool]:
    """SQLite dialect (as the vault writes it) to PostgreSQL; returns ``(sql, returns_id)``."""
    text = sql.strip()
    upper = text.upper()
    if upper.startswith("BEGIN"):
        return "BEGIN", False
    m = re.match(r'PRAGMA\s+table_info\(\s*"?(\w+)"?\s*\)', text, re.I)
    if m:
        return ("SELECT ordinal_position, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                f"AND table_name = '{m.group(1)}' ORDER BY ordinal_position"), False
    text = text.replace("%", "%%").replace("?", "%s")
    if upper.startswith("CREATE TABLE"):
        text = re.sub(r"\bBLOB\b", "BYTEA", text, flags=re.I)
        text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text, flags=re.I)
        text = re.sub(r"\bINTEGER\b", "BIGINT", text, flags=re.I)
        text = re.sub(r"\s+WITHOUT ROWID\s*$", "", text, flags=re.I)
    m = re.match(r"INSERT\s+OR\s+IGNORE\s+INTO\s+(.*)$", text, re.I | re.S)
    if m:
        text = f"INSERT INTO {m.group(1)} ON CONFLICT DO NOTHING"
    m = re.match(r'INSERT\s+OR\s+REPLACE\s+INTO\s+"?(\w+)"?\s*(.*)$', text, re.I | re.S)
    if m:
        table = m.group(1)
        keys = _REPLACE_KEYS.get(table)
        if keys is None:
            raise VaultCorrupt("error.corrupt")
        text = f"INSERT INTO {table} {m.group(2)} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + \
            ", ".join(f"{c} = excluded.{c}" for c in _columns(table) if c not in keys)
    returns_id = bool(re.match(r'INSERT\s+INTO\s+"?(commits|devices)"?\s', text, re.I))
    if returns_id:
        text += " RETURNING id"
    return text, returns_id


def _columns(table: str) -> tuple[str, ...]:
    return {"projections": ("name", "version", "upto", "last_hlc", "last_eid"), "meta": ("key", "value"),
            "secrets": ("name", "value")}[table]


class _Result:
    """What ``execute`` returns: a cursor-like object (``fetchone``, ``fetchall``, iteration,
    ``rowcount``, ``lastrowid``)."""

    def __init__(self, cur: Any, returns_id: bool) -> None:
        self._cur = cur
        self.rowcount = cur.rowcount
        self.lastrowid = None
        if returns_id:
            row = cur.fetchone()
            self.lastrowid = row[0] if row else None

    def fetchone(self) -> Any:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """The part of the ``sqlite3`` connection interface the vault uses, on PostgreSQL."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        try:
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise InvalidInput("bridge.hub_unreachable", detail=str(exc).strip().splitlines()[0][:200]) from None
        self._lock = threading.RLock()

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> _Result:
        text, returns_id = translate(sql)
        with self._lock:
            cur = self._conn.cursor(row_factory=_row_factory)
            cur.execute(text, tuple(params) if not isinstance(params, dict) else params)
            if text == "BEGIN":
                cur.execute(_LOCK)
            return _Result(cur, returns_id)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> None:
        text, _ = translate(sql)
        rows = [tuple(r) for r in seq]
        if rows:
            with self._lock:
                self._conn.cursor().executemany(text, rows)

    def close(self) -> None:
        self._conn.close()


class Hub(Vault):
    """A vault on PostgreSQL for allies: open with :func:`hub_open`, create with :func:`hub_init`."""

    def __init__(self, dsn: str, conn: PgConnection) -> None:
        self.dsn = dsn
        # No header file on a server: the storage protocol (issue 15, part 3) is to replace this subclass.
        super().__init__(Path("."), conn, None, 0, None)  # type: ignore[arg-type]

    def _registered_projections(self) -> list[Any]:
        """The hub keeps only its portable projections."""
        return [p for p in registered_projections() if p.name in HUB_PROJECTIONS]

    def info(self) -> dict[str, Any]:
        """Counts of what the hub holds."""
        q = self.conn.execute
        return {"events": q("SELECT count(*) FROM events").fetchone()[0],
                "commits": q("SELECT count(*) FROM commits").fetchone()[0],
                "devices": q("SELECT count(*) FROM devices").fetchone()[0],
                "circles": q("SELECT count(DISTINCT source) FROM bridge_aggregate").fetchone()[0],
                "created": self.meta("created"), "device": self.device_id.hex()[:16],
                "projections": sorted(p.name for p in self._projections)}

    def __repr__(self) -> str:
        return f"Hub({_redact_dsn(self.dsn)!r})"


def _redact_dsn(dsn: str) -> str:
    return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", dsn)


def _check_dsn(dsn: str) -> str:
    if not re.match(r"^postgres(ql)?://", dsn):
        raise InvalidInput("bridge.hub_bad_url", url=_redact_dsn(dsn))
    return dsn


def hub_init(dsn: str) -> Hub:
    """Create the hub's tables and keys in an empty PostgreSQL database and open it.

    The caller (a face) loads the domains first (``halqa.app.load``): a full import verifies commits of any kind."""
    conn = PgConnection(_check_dsn(dsn))
    try:
        exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
        if exists:
            raise InvalidInput("bridge.hub_exists", url=_redact_dsn(dsn))
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        raw = conn._conn
        with raw.transaction():
            raw.execute(_SCHEMA)
            key = SigningKey.generate()
            raw.execute("INSERT INTO devices (pubkey, label, local) VALUES (%s, 'hub', 1)", (bytes(key.verify_key),))
            raw.execute("INSERT INTO secrets VALUES ('signing_key', %s), ('x25519_key', %s)",
                        (bytes(key), secrets.token_bytes(32)))
            for k, v in {"created": now, "vault_id": secrets.token_hex(8), "slot": 0, "hlc": 0, "seq": 0,
                         "backend": "postgresql"}.items():
                raw.execute("INSERT INTO meta VALUES (%s, %s)", (k, str(v)))
            raw.execute("INSERT INTO migrations VALUES (1, 'hub tables', %s)", (now,))
    except BaseException:
        conn.close()
        raise
    return Hub(dsn, conn)


def hub_open(dsn: str) -> Hub:
    """Open an existing hub (after ``halqa.app.load``, as for :func:`hub_init`)."""
    conn = PgConnection(_check_dsn(dsn))
    if not conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]:
        conn.close()
        raise InvalidInput("bridge.hub_missing", url=_redact_dsn(dsn))
    return Hub(dsn, conn)


def hub_projections() -> list[Projection]:
    """The projections the hub maintains."""
    return [p for p in registered_projections() if p.name in HUB_PROJECTIONS]



def import_many(store: Vault, files: Iterable[str | Path | bytes], accept: Sequence[str] = ("aggregates",),
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import many bundles (into a hub or a vault): each one verified and merged on its own, bad
    ones reported with their reason and skipped, good ones kept. By default only aggregate
    bundles are taken, so no circle's member data lands on a hub by mistake."""
    from halqa.bridge.bundle import import_bundle
    from halqa.errors import HalqaError

    out: dict[str, Any] = {"imported": 0, "commits_new": 0, "commits_known": 0, "events_new": 0, "rejected": []}
    files = list(files)
    for i, f in enumerate(files):
        if progress is not None:
            progress(i, len(files))
        try:
            res = import_bundle(store, f, accept=accept)
        except HalqaError as err:
            name = f"#{i + 1}" if isinstance(f, bytes) else str(f)
            out["rejected"].append({"file": name, "error": err.msg_id, "message": err.render()})
            continue
        out["imported"] += 1
        for k, v in res.as_dict().items():
            out[k] += v
    return out
