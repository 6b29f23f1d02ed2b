"""Projections: the current state, derived from the event log.

A projection owns some tables and folds the events of some kinds into them. The vault applies
events to every projection in one total order, ``(hlc, id)``, so the tables are a pure function
of the *set* of events: whatever order events arrived in (local appends, bundles from other
devices), :meth:`halqa.vault.Vault.rebuild` gives identical tables.

Most domain state is records edited field by field. :class:`RecordProjection` covers that:
``<name>.put`` events set the fields they carry (fields left ``msgspec.UNSET`` are untouched, so
two devices editing different fields both win: last-writer-wins per field), and ``<name>.delete``
leaves a tombstone that no put, earlier or later, can undo. The delete kind's payload is just
``{key: value}`` and is registered by :func:`register_projection`: a domain declares only its put
struct, and deletes with ``vault.append("<name>.delete", {"id": ...})``.
"""

from __future__ import annotations

import functools
import hashlib
import types
import typing
from collections.abc import Iterable, Mapping
from itertools import compress
from operator import is_not
from typing import Any

import msgspec

from halqa.vault.events import Event, register_kind, registered_kinds
from halqa.vault.storage import dialect_of

__all__ = ["Projection", "RecordProjection", "register_projection", "registered_projections", "sql_columns"]

_REGISTRY: dict[str, Projection] = {}


class Projection:
    """Base class. Subclasses set ``name``, ``version``, ``kinds``, ``tables`` and implement
    :meth:`create` and :meth:`apply`. Bump ``version`` when the tables change: the vault then
    rebuilds the projection from the log on the next open (no data migration needed)."""

    # Plain attributes, not ClassVars: most subclasses set them on the class, RecordProjection per instance.
    name: str
    version: int = 1
    kinds: frozenset[str]
    tables: tuple[str, ...]
    #: Whether :meth:`apply_many` gives the same tables whatever order the events come in (it
    #: compares clocks itself): an event older than what was folded (a late bundle) is then
    #: folded in as it comes, not by folding the whole log again.
    order_free: bool = False

    def create(self, conn: Any) -> None:
        """Create the (empty) tables."""
        raise NotImplementedError

    def apply(self, conn: Any, event: Event) -> None:
        """Fold one event (never a redacted one) into the tables.

        It may read and write only this projection's own tables: projections are rebuilt one
        at a time, so reading another's tables would make the result depend on timing.
        """
        raise NotImplementedError

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        """Fold events in the given order (override to batch; the result must be the same)."""
        for event in events:
            self.apply(conn, event)

    # A rebuild folds the whole log into empty tables: what is cheaper to build once at the end
    # than to keep up event by event (a secondary index) may wait for ``rebuilt``.
    def create_for_rebuild(self, conn: Any) -> None:
        """Create the (empty) tables a rebuild folds the log into (default: :meth:`create`)."""
        self.create(conn)

    def rebuilt(self, conn: Any) -> None:
        """After a rebuild has folded every event (default: nothing); the tables must then be
        exactly what :meth:`create` and :meth:`apply` give."""

    # Deletions are final: a projection records the keys it deleted here, in the core's
    # ``tombstones`` table, so that no put, earlier or later, brings them back.
    def tombstone(self, conn: Any, key: str) -> None:
        """Record that ``key`` is deleted for good in this projection."""
        # portable (SQLite and PostgreSQL): the hub folds record projections too
        conn.execute("INSERT INTO tombstones (projection, key) VALUES (?, ?) ON CONFLICT DO NOTHING",
                     (self.name, str(key)))

    def is_tombstoned(self, conn: Any, key: str) -> bool:
        """Whether ``key`` was deleted in this projection."""
        return conn.execute("SELECT 1 FROM tombstones WHERE projection = ? AND key = ?",
                            (self.name, str(key))).fetchone() is not None

    def tombstoned_keys(self, conn: Any, keys: list[str]) -> set[str]:
        """Which of ``keys`` (at most a few hundred: one statement) were deleted in this projection."""
        marks = ", ".join("?" * len(keys))
        return {r[0] for r in conn.execute(f"SELECT key FROM tombstones WHERE projection = ? AND key IN ({marks})",
                                           (self.name, *map(str, keys)))}

    def has_tombstones(self, conn: Any) -> bool:
        """Whether anything was ever deleted in this projection (most have nothing: no check needed)."""
        return conn.execute("SELECT 1 FROM tombstones WHERE projection = ? LIMIT 1", (self.name,)).fetchone() is not None

    def drop(self, conn: Any) -> None:
        for table in self.tables:
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        conn.execute("DELETE FROM tombstones WHERE projection = ?", (self.name,))

    def digest(self, conn: Any) -> str:
        """A hash of the projection's full contents, in key order (for rebuild checks)."""
        h = hashlib.blake2b(digest_size=16)
        for table in self.tables:
            order = dialect_of(conn).order_by(conn, table)
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
                h.update(msgspec.msgpack.encode(list(row)))
        return h.hexdigest()


def register_projection(projection: Projection) -> Projection:
    """Make a projection known to every vault opened from now on."""
    existing = _REGISTRY.get(projection.name)
    if existing is not None and type(existing) is not type(projection):
        raise ValueError(f"projection {projection.name!r} is already registered")
    if isinstance(projection, RecordProjection) and projection.delete_kind not in registered_kinds():
        # A record's deletion names only its key: the projection declares that kind itself.
        register_kind(projection.delete_kind, msgspec.defstruct(
            f"{projection.table}_delete", [(projection.key, str)]))
    _REGISTRY[projection.name] = projection
    return projection


def registered_projections() -> list[Projection]:
    """Every registered projection, in registration order."""
    return list(_REGISTRY.values())


class RecordProjection(Projection):
    """One table of records keyed by ``key``; ``<name>.put`` / ``<name>.delete`` events.

    ``put`` is the put kind's struct: the table has one column per field, in declaration order,
    typed by :func:`sql_columns` (the struct is the one declaration of the record). ``sql_types``
    overrides a column's SQL type where it must differ from what the field's type gives; say
    why beside it. The put struct must have the key field and may mark other fields
    ``T | msgspec.UnsetType = msgspec.UNSET`` for partial updates.
    """

    def __init__(self, name: str, put: type[msgspec.Struct], key: str = "id",
                 indexes: Iterable[str] = (), version: int = 1,
                 sql_types: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.version = version
        self.put_kind = f"{name}.put"
        self.delete_kind = f"{name}.delete"
        self.kinds = frozenset({self.put_kind, self.delete_kind})
        self.table = name.replace(".", "_")
        self.tables = (self.table,)
        self.put = put
        self.columns = sql_columns(put, sql_types)
        if key not in self.columns:
            raise ValueError(f"record {name!r}: the put struct has no key field {key!r}")
        self.key = key
        self.indexes = tuple(indexes)
        self._names = tuple(self.columns)
        # Which fields a put sets -> their names (one tuple per set: runs compare by identity).
        self._present: dict[tuple[bool, ...], tuple[str, ...]] = {(True,) * len(self._names): self._names}
        # Only fields that may hold a list, dict or struct need converting to JSON text.
        self._convert = any(_field_kind(f.type, put, f.name) not in _SQL_TYPES for f in msgspec.structs.fields(put))

    def create(self, conn: Any) -> None:
        self._create_table(conn)
        self._create_indexes(conn)

    def create_for_rebuild(self, conn: Any) -> None:
        if type(self).create is not RecordProjection.create:
            self.create(conn)  # a subclass that creates more than the record table
            return
        self._create_table(conn)

    def rebuilt(self, conn: Any) -> None:
        # The secondary indexes: built once over the folded table, not kept up event by event.
        self._create_indexes(conn)

    def _create_table(self, conn: Any) -> None:
        cols = ", ".join(f'"{c}" {dialect_of(conn).type(t)}' for c, t in self.columns.items())
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{self.table}" ({cols}, PRIMARY KEY ("{self.key}"))')

    def _create_indexes(self, conn: Any) -> None:
        for col in self.indexes:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{self.table}_{col}" ON "{self.table}" ("{col}")')

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        # The puts between two deletes are folded in memory first: one row per key, holding the
        # last value of each field any of them set (field-level last-writer-wins, as applying
        # them one by one gives), then written with one executemany per set of fields.
        folded: dict[Any, tuple[tuple[str, ...], tuple[Any, ...]]] = {}
        # Most projections have no tombstones: then puts need no tombstone check at all.
        guard = self.has_tombstones(conn)
        names, put, unset, key_name, delete_kind = self._names, self.put, msgspec.UNSET, self.key, self.delete_kind
        astuple, unsets, masks = msgspec.structs.astuple, (msgspec.UNSET,) * len(self._names), self._present
        for event in events:
            payload = event.payload
            if event.kind == delete_kind:
                self._write(conn, folded, guard)
                folded = {}
                guard = True
                key = getattr(payload, key_name)
                self.tombstone(conn, key)
                conn.execute(f'DELETE FROM "{self.table}" WHERE "{key_name}" = ?', (key,))
                continue
            # The put struct's fields are the columns, in order: one C call reads them all.
            values = astuple(payload) if type(payload) is put else tuple(getattr(payload, c, unset) for c in names)
            fields = names
            if unset in values:
                present = tuple(map(is_not, values, unsets))
                fields = masks.get(present) or masks.setdefault(present, tuple(compress(names, present)))
                values = tuple(compress(values, present))
            key = getattr(payload, key_name)
            earlier = folded.get(key)
            if earlier is not None and earlier[0] is not fields:  # two puts setting different fields
                merged = dict(zip(*earlier, strict=True)) | dict(zip(fields, values, strict=True))
                present = tuple(c in merged for c in names)
                fields = masks.get(present) or masks.setdefault(present, tuple(compress(names, present)))
                values = tuple(merged[c] for c in fields)
            folded[key] = (fields, values)
        self._write(conn, folded, guard)

    def _write(self, conn: Any, folded: dict[Any, tuple[tuple[str, ...], tuple[Any, ...]]], guard: bool) -> None:
        runs: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for key, (fields, values) in folded.items():
            row = tuple(map(_sql_value, values)) if self._convert else values
            runs.setdefault(fields, []).append((*row, self.name, str(key)) if guard else row)
        for fields, rows in runs.items():
            conn.executemany(self._upsert_sql(fields, guard), rows)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - projections live as long as the process
    def _upsert_sql(self, fields: tuple[str, ...], guarded: bool) -> str:
        names = ", ".join(f'"{c}"' for c in fields)
        marks = ", ".join("?" for _ in fields)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in fields if c != self.key)
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        # A tombstoned key is final: the NOT EXISTS makes any put to it a no-op.
        if not guarded:
            return f'INSERT INTO "{self.table}" ({names}) VALUES ({marks}) ON CONFLICT ("{self.key}") {conflict}'
        guard = "NOT EXISTS (SELECT 1 FROM tombstones WHERE projection = ? AND key = ?)"
        return f'INSERT INTO "{self.table}" ({names}) SELECT {marks} WHERE {guard} ON CONFLICT ("{self.key}") {conflict}'


#: Python scalar types to SQLite column types; anything else (lists, dicts, structs) is JSON text.
_SQL_TYPES: dict[Any, str] = {str: "TEXT", int: "INTEGER", bool: "INTEGER", float: "REAL", bytes: "BLOB"}


def sql_columns(struct: type[msgspec.Struct], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Column name -> SQL type for each field of ``struct``, in declaration order.

    ``T | UnsetType`` and ``T | None`` are typed as ``T``: absent and null are column values, not
    types. Containers become ``TEXT`` because :func:`_sql_value` stores them as canonical JSON.
    """
    overrides = dict(overrides or {})
    # Attribute names, not encoded names: ``apply`` reads each column with ``getattr``.
    columns = {f.name: _sql_type(f.type, struct, f.name) for f in msgspec.structs.fields(struct)}
    unknown = sorted(set(overrides) - set(columns))
    if unknown:
        raise ValueError(f"{struct.__name__}: no field for the overridden columns {unknown}")
    return columns | overrides


def _sql_type(annotation: Any, struct: type, name: str) -> str:
    return _SQL_TYPES.get(_field_kind(annotation, struct, name), "TEXT")


def _field_kind(annotation: Any, struct: type, name: str) -> Any:
    """The one type a field holds besides absent and null."""
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
        typing.get_origin(annotation) is typing.Union else (annotation,)
    kinds = {a for a in args if a not in (msgspec.UnsetType, type(None))}
    if len(kinds) != 1:
        raise ValueError(f"{struct.__name__}.{name}: a column needs one type, not {annotation!r}")
    (kind,) = kinds
    return kind


def _sql_value(value: Any) -> Any:
    """Struct values to SQLite values: lists/dicts/structs as canonical JSON text."""
    if value is msgspec.UNSET or value is None or isinstance(value, (str, int, float, bytes)):
        return value
    return msgspec.json.encode(value, order="deterministic").decode()
