"""Where a vault keeps what it stores: one small interface, two backends.

The vault core (:class:`halqa.vault.Vault`, :mod:`halqa.vault.sync`) never writes SQL for its
own tables; it calls a :class:`Storage`. Each backend owns its SQL, in its own dialect, and its
own list of numbered migrations (:mod:`halqa.vault.migrations`):

- :class:`~halqa.vault.storage.sqlcipher.SQLCipherStorage`: one SQLCipher file of a vault folder
  (the embedded vault; the bytes on disk are those of every earlier version).
- :class:`~halqa.vault.storage.postgres.PostgresStorage`: a PostgreSQL database through psycopg
  (the allies' hub, :mod:`halqa.bridge.hub`).

Projections and read queries run on :attr:`Storage.conn`, a DB-API-like :class:`Connection`
whose parameters are always ``?`` (qmark) and whose :attr:`Connection.dialect` says what differs:
column types, how to list a table's columns, how text sorts. SQL written there must be accepted
by every dialect a projection runs on (``INSERT ... ON CONFLICT``, not ``INSERT OR IGNORE``).

``tests/vault/test_storage_contract.py`` holds the one contract both backends pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["POSTGRESQL", "SQLITE", "Connection", "Dialect", "Storage", "dialect_of"]


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL dialects the vault runs on, for code that writes SQL on a
    :class:`Connection` (projections): type names, introspection, sort order for digests."""

    name: str
    #: portable column type (as projections declare them) -> this dialect's type
    types: Mapping[str, str] = field(default_factory=dict)
    #: SQL listing a table's columns in order, as rows ``(name, type)``; one ``?``: the table
    columns_sql: str = ""
    #: appended to text columns in ORDER BY so that every backend sorts them by bytes
    text_order: str = ""

    def type(self, portable: str) -> str:
        """This dialect's name for a portable column type (``INTEGER``, ``REAL``, ``BLOB``, ``TEXT``)."""
        return self.types.get(portable.upper(), portable)

    def columns(self, conn: Any, table: str) -> list[tuple[str, str]]:
        """The columns of ``table`` in order: ``(name, declared type)``."""
        return [(str(r[0]), str(r[1]).upper()) for r in conn.execute(self.columns_sql, (table,))]

    def order_by(self, conn: Any, table: str) -> str:
        """An ORDER BY list over every column of ``table`` that sorts alike on every backend."""
        return ", ".join(f'"{name}"' + (self.text_order if "TEXT" in kind or "CHAR" in kind else "")
                         for name, kind in self.columns(conn, table))


SQLITE = Dialect("sqlite", {}, "SELECT name, type FROM pragma_table_info(?) ORDER BY cid")
POSTGRESQL = Dialect(
    "postgresql",
    # SQLite's INTEGER is 64-bit (clocks need it); PostgreSQL's is 32-bit.
    {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"},
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
    ' COLLATE "C"',
)


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a connection a projection was given (a bare SQLite connection is SQLite)."""
    return getattr(conn, "dialect", SQLITE)


@runtime_checkable
class Connection(Protocol):
    """The connection projections and queries run on: ``?`` parameters, rows by index or name."""

    dialect: Dialect

    def execute(self, sql: str, params: Any = ...) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...


EventRow = tuple[bytes, str, bytes, int, bytes | None, bytes | None]  # eid, kind, device key, hlc, body, commit id


@runtime_checkable
class Storage(Protocol):
    """Everything the vault core stores, and nothing about what it means.

    Writes happen between :meth:`begin` (which takes the writer lock: one writer at a time, across
    processes) and :meth:`commit`; :meth:`rollback` leaves nothing of them. Event ids are
    contiguous in insertion order, so a commit's events are the range ``first..last``.
    """

    dialect: Dialect

    @property
    def conn(self) -> Connection:
        """The connection projections and read queries run on."""
        ...

    # -- lifecycle
    def migrate(self, now: str) -> int:
        """Apply this backend's pending migrations (each once, recorded with ``now``); return the version."""
        ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    # -- transactions
    @property
    def in_transaction(self) -> bool: ...

    def begin(self) -> None:
        """Start a write transaction holding the writer lock."""
        ...

    def commit(self) -> None: ...

    def rollback(self, exc: BaseException | None = None) -> None:
        """Undo the open transaction (if any); raise the backend's own error for ``exc`` where it
        has one (a full disk)."""
        ...

    def data_version(self) -> Any:
        """A value that changes when another connection wrote to the storage since the last call
        (not this one's own writes): the vault drops what it derived and kept (:meth:`Vault.memo`)."""
        ...

    # -- meta and secrets
    def meta(self, key: str) -> Any: ...

    def set_meta(self, key: str, value: Any) -> None: ...

    def secret(self, name: str) -> bytes | None: ...

    def add_secrets(self, rows: Mapping[str, bytes]) -> None: ...

    # -- devices
    def devices(self) -> dict[bytes, int]:
        """Every known device: public key -> row id."""
        ...

    def add_device(self, pubkey: bytes, label: str | None = None, local: bool = False) -> int: ...

    # -- commits
    def open_commit(self, device: int, seq: int) -> int:
        """A row for a commit being written here (signed by :meth:`seal_commit`); its id."""
        ...

    def seal_commit(self, row: int, cid: bytes, hlc: int, n: int, signature: bytes, first: int, last: int) -> None: ...

    def drop_commit(self, row: int) -> None: ...

    def add_commit(self, cid: bytes, device: int, seq: int, hlc: int, n: int, signature: bytes) -> int:
        """A received commit (its events follow with :meth:`add_event`); its row id."""
        ...

    def set_commit_events(self, row: int, first: int, last: int) -> None: ...

    def has_commit(self, cid: bytes) -> bool: ...

    def known_commits(self, cids: Sequence[bytes]) -> set[bytes]:
        """Which of ``cids`` are held (one statement per few hundred: an import asks for a batch)."""
        ...

    def add_commits(self, rows: Sequence[tuple[bytes, int, int, int, int, bytes, int, int]]) -> list[int]:
        """Received commits ``(cid, device row, seq, hlc, n, signature, first event, last event)``,
        none held yet; their row ids, in order."""
        ...

    def signed_commits(self) -> list[tuple[bytes, int, int, bytes, int, int]]:
        """``(device key, seq, hlc, signature, first event, last event)`` in ``(hlc, row)`` order."""
        ...

    def heads(self) -> dict[bytes, int]:
        """Per device, the longest contiguous run of sequence numbers held, from 1."""
        ...

    def count_commits(self) -> int: ...

    # -- events
    def append_events(self, rows: Sequence[tuple[bytes, int, str, int, int, bytes]]) -> None:
        """New local events ``(eid, commit row, kind, device row, hlc, body)``, ids contiguous."""
        ...

    def add_event(self, eid: bytes, commit: int, kind: str, device: int, hlc: int, body: bytes | None,
                  body_hash: bytes | None) -> bool:
        """A received event; ``False`` (and nothing written) if ``(hlc, eid)`` is already held."""
        ...

    def add_events(self, rows: Sequence[tuple[int, bytes, int, str, int, int, bytes | None, bytes | None]]) -> None:
        """Received events ``(id, eid, commit row, kind, device row, hlc, body, body hash)``, none
        held yet, their ids ``top() + 1`` onwards in order (a duplicate is an error, not skipped)."""
        ...

    def top(self) -> int:
        """The highest event id (0 when empty)."""
        ...

    def events(self, kinds: Sequence[str] | None, after: int) -> Iterator[EventRow]:
        """Events with id > ``after`` (of ``kinds``), in the total order ``(hlc, eid)``."""
        ...

    def event_range(self, first: int, last: int) -> list[tuple[bytes, str, int, bytes | None, bytes | None]]:
        """``(eid, kind, hlc, stored body hash, body)`` of ids ``first..last`` in id order."""
        ...

    def first_after(self, after: int, kinds: Sequence[str]) -> tuple[int, bytes] | None:
        """The smallest ``(hlc, eid)`` among events of ``kinds`` with id > ``after``."""
        ...

    def max_hlc(self, low: int, high: int) -> int:
        """The highest clock in ``[low, high)`` (0 if none)."""
        ...

    def count_events(self) -> int: ...

    def kinds_after(self, after: int) -> set[str]:
        """The kinds of the events with id > ``after``."""
        ...

    def kind_counts(self) -> dict[str, int]: ...

    def live_events(self, eids: Sequence[bytes]) -> list[tuple[int, bytes]]:
        """``(hlc, eid)`` of the events among ``eids`` that still have a body."""
        ...

    def bodiless(self, hlc: int, eid: bytes) -> tuple[int, bytes | None] | None:
        """``(row id, kept body hash)`` of an event held without its body."""
        ...

    def held_events(self, keys: Sequence[tuple[int, bytes]]) -> dict[tuple[int, bytes], tuple[int, bytes | None, bool]]:
        """Of the events ``(hlc, eid)`` in ``keys``, those held: ``(row id, kept body hash,
        whether the body is held)``."""
        ...

    def fill_body(self, row: int, body: bytes) -> None: ...

    def purge_body(self, hlc: int, eid: bytes, digest: Any) -> str | None:
        """Delete an event's body, keeping ``digest(body)`` as its hash; its kind, or ``None``
        if no body was held."""
        ...

    # -- redaction
    def is_redacted(self, eid: bytes) -> bool: ...

    def mark_redacted(self, eid: bytes, by: bytes) -> None: ...

    # -- projection state
    def projection_states(self) -> dict[str, tuple[int, int]]:
        """name -> ``(version, upto)``."""
        ...

    def projection_position(self, name: str) -> tuple[int, int, bytes]:
        """``(upto, last hlc, last eid)`` of one projection."""
        ...

    def set_projection(self, name: str, version: int, upto: int, last_hlc: int, last_eid: bytes) -> None: ...

    def advance_projections(self, upto: int, kept: Sequence[str] | None, touched: Iterable[str], last_hlc: int,
                            last_eid: bytes) -> None:
        """The ``kept`` projections (``None``: every one) have seen events up to ``upto``; the
        ``touched`` ones last applied ``(last_hlc, last_eid)``."""
        ...
