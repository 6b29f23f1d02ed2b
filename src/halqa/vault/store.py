"""The vault: an encrypted event log with projections, behind one small API.

On disk a vault is a folder (``circle.halqa/``) holding::

    header   the key-slot header (see :mod:`halqa.vault.keyslots`)
    a.db     SQLCipher database (real or decoy, chosen by coin flip at creation)
    b.db     SQLCipher database (the other one)

Both databases always exist and are full halqa vaults, so the folder looks the same whether or
not a duress passphrase is set. SQLCipher encrypts every page, index and journal; its per-page
HMAC detects tampering. The database key is a random 256-bit raw key, never the passphrase.

The API every domain uses::

    with Vault.open(path, passphrase) as v:
        v.append("note.put", NotePut(...))        # one event, one signed commit
        with v.transaction() as tx:                # many events, one signed commit
            tx.append(...); tx.append(...)
        v.query("SELECT * FROM note WHERE ...")    # read projections
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from nacl.signing import SigningKey

from halqa.errors import InvalidInput, VaultCorrupt, VaultLocked, WrongPassphrase
from halqa.vault import events as _events
from halqa.vault.events import (
    HLC,
    Event,
    decode_payload,
)
from halqa.vault.folder import (
    DB_FILES,
    HEADER_FILE,
    _count_failure,
    _damaged,
    _keyed,
    _read_secret,
    _touch,
    _upgrade_v1,
    _write_random,
    panic,
    read_header,
)
from halqa.vault.keyslots import (
    FLAG_DESTROY_ON_OPEN,
    NO_SLOT,
    SLOT_COUNT,
    Header,
    KdfParams,
    SlotContent,
    derive_kek,
)
from halqa.vault.migrations import migrate
from halqa.vault.projections import Projection, registered_projections
from halqa.vault.storage import Storage
from halqa.vault.storage.sqlcipher import SQLCipherStorage
from halqa.vault.storage.sqlcipher import connect as _connect
from halqa.vault.writer import MAX_BUFFER, Writer

__all__ = ["DB_FILES", "HEADER_FILE", "Vault", "panic", "read_header"]

#: A rebuild reads the log this many events at a time and hands each projection its share: a
#: record projection folds its share in memory and writes one row per record, so larger blocks
#: mean fewer writes (about 40 MB of events at a time).
_REBUILD_CHUNK = 1 << 17
RESTORE_SEQ_JUMP = 1 << 32


def _fan_out(lists: list[list[Event]]) -> Any:
    """One event to several projections' batches (a kind that more than one projection folds)."""
    def feed(ev: Event) -> None:
        for chunk in lists:
            chunk.append(ev)
    return feed


def _now_iso() -> str:
    return datetime.fromtimestamp(_events.wall_ns() // 1_000_000_000, UTC).isoformat()


def _new_database(db_path: Path, key: bytes, meta: dict[str, Any], header_key: bytes) -> None:
    conn = _connect(db_path, key)
    try:
        init_schema(conn, meta, header_key)
    finally:
        conn.close()


def init_schema(conn: Any, meta: dict[str, Any] | None = None, header_key: bytes | None = None,
                applied: str | None = None) -> None:
    """Tables, this device's keys and the vault's metadata, on an open, empty database.

    Every database gets the same rows (a decoy too): ``secrets`` = signing key, X25519 key,
    header key; ``meta`` = created, vault_id, slot, spare_slot, spare_db, hlc, seq.
    """
    init_storage(SQLCipherStorage(conn), {"slot": 0, "spare_slot": 1, "spare_db": 1, **(meta or {})},
                 {"header_key": header_key or secrets.token_bytes(16)}, applied)


def init_storage(storage: Storage, meta: dict[str, Any] | None = None, extra_secrets: dict[str, bytes] | None = None,
                 applied: str | None = None, label: str = "this device") -> None:
    """The core tables, a new device key and the vault's metadata, in an empty storage (any backend).

    ``secrets`` = signing key, X25519 key (and ``extra_secrets``); ``meta`` = created, vault_id,
    hlc, seq (and ``meta``)."""
    storage.migrate(applied or _now_iso())
    device = SigningKey.generate()
    storage.begin()
    try:
        storage.add_device(bytes(device.verify_key), label, local=True)
        storage.add_secrets({"signing_key": bytes(device), "x25519_key": secrets.token_bytes(32),
                             **(extra_secrets or {})})
        for key, value in {"created": _now_iso(), "vault_id": secrets.token_hex(8), "hlc": 0, "seq": 0,
                           **(meta or {})}.items():
            storage.set_meta(key, value)
        storage.commit()
    except BaseException as exc:
        storage.rollback(exc)
        raise


class Vault:
    """An open vault: an event log with projections on a :class:`~halqa.vault.storage.Storage`.

    The embedded vault (a folder, SQLCipher, key slots) is made with :meth:`create` or
    :meth:`open`; any other storage (the hub's PostgreSQL) is opened with ``Vault(storage)``.
    ``projections`` names the projections this vault keeps (default: every registered one).
    Close when done.
    """

    def __init__(self, storage: Storage, path: Path | None = None, header: Header | None = None, slot: int = 0,
                 content: SlotContent | None = None, kek: bytes | None = None,
                 projections: Iterable[str] | None = None) -> None:
        self._storage: Storage | None = storage
        self.conn: Any = storage.conn  # what projections and queries run on
        self._path = path
        self._header = header
        self._slot = slot
        self._content = content
        self._kek = kek  # kept while open: `duress set` rewraps this slot with the decoy's key
        self._keep = None if projections is None else frozenset(projections)
        self._lock = threading.RLock()
        self._writer: Writer | None = None
        self.session_events = 0  # written here since open: how much the decoy grows at close
        # What domains derive and keep between calls (a trained model, one area's figures): here,
        # never in a module's globals, so closing, locking or panic drops it with the key.
        self._memos: dict[str, OrderedDict[Any, Any]] = {}
        self._memo_generation: Any = None  # the storage's data version the memos were made under
        self._closers: list[Callable[[], None]] = []  # :meth:`on_close`
        self.device_key = SigningKey(self._secret("signing_key"))
        self.device_id = bytes(self.device_key.verify_key)
        self._device_rowid = storage.devices()
        self.hlc = HLC(int(self.meta("hlc")), last_day=self._last_day_clock())
        self._projections: list[Projection] = []
        self._by_kind: dict[str, list[Projection]] = {}
        self._sync_projections()

    @property
    def path(self) -> Path:
        """The vault's folder (an embedded vault only)."""
        if self._path is None:
            raise RuntimeError("this vault has no folder: its storage is a server")
        return self._path

    @property
    def storage(self) -> Storage:
        """Where this vault keeps its log (raises :class:`VaultLocked` once closed)."""
        if self._storage is None:
            raise VaultLocked("error.closed")
        return self._storage

    def _last_day_clock(self) -> int:
        """Today's highest day-precision clock so far (0 if none): the day counter goes on."""
        now = _events.wall_ns() // 1_000_000
        base = (now - now % _events.DAY_MS) << 16
        return self.storage.max_hlc(base, base + (1000 << 16))

    # ------------------------------------------------------------------ create / open / close
    @classmethod
    def create(cls, path: str | os.PathLike[str], passphrase: str, kdf: KdfParams | None = None) -> Vault:
        """Create a new vault at ``path`` (a folder that must not exist or be empty).

        The real database goes to one of the three files at random; the other two are random
        bytes of the same size, as a vault's other files look whether or not they hold a decoy
        (a decoy is built by :meth:`set_duress`). ``halqa init`` refuses parameters below
        :data:`~halqa.vault.keyslots.KDF_FLOOR`; tests and benchmarks pass weaker ones here.
        """
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise InvalidInput("error.vault_exists", path=str(path))
        kdf = kdf or KdfParams()
        header = Header.new(kdf)
        kek = derive_kek(passphrase, header.salt, kdf)
        own_slot, spare_slot = secrets.SystemRandom().sample(range(SLOT_COUNT), 2)
        own, peer, _third = secrets.SystemRandom().sample(range(len(DB_FILES)), 3)
        key, header_key = os.urandom(32), os.urandom(16)
        content = SlotContent(own, key, os.urandom(32), peer)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        vault = None
        try:
            _new_database(path / DB_FILES[own], key,
                          {"slot": own_slot, "spare_slot": spare_slot, "spare_db": peer}, header_key)
            header = header.with_slot(own_slot, kek, content).sealed(header_key)
            vault = cls(SQLCipherStorage(_connect(path / DB_FILES[own], key)), path, header, own_slot, content, kek)
            size = (path / DB_FILES[own]).stat().st_size  # with every projection's tables
            for i, name in enumerate(DB_FILES):
                if i != own:
                    _write_random(path / name, size)
            # The header is written last: a vault without one is an unfinished creation.
            header.write(path / HEADER_FILE)
            _touch(path, _events.wall_ns())
        except BaseException:
            if vault is not None and vault._storage is not None:
                vault._storage.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        return vault

    @classmethod
    def open(cls, path: str | os.PathLike[str], passphrase: str) -> Vault:
        """Unlock the vault at ``path``. A duress passphrase opens the decoy (and, if so
        configured, shreds the real key slot first). A wrong passphrase changes nothing on disk
        unless wipe-after-failures is on, in which case it counts the failure. A header whose
        fixed fields were changed without a key raises :class:`HeaderTampered`, writing nothing."""
        path = Path(path)
        header = read_header(path)
        kek = derive_kek(passphrase, header.salt, header.kdf)
        found = header.open_slot(kek)
        if found is None:
            _count_failure(path, header)
            raise WrongPassphrase()
        slot, content = found
        db = path / DB_FILES[content.db_index]
        if not db.exists():
            raise VaultCorrupt("error.corrupt")
        try:
            conn = _connect(db, content.master_key)
        except VaultCorrupt:
            # The key came from an authenticated slot: a first page that will not decrypt is damage.
            raise _damaged(_keyed(db, content.master_key), db) from None
        try:
            if content.legacy:
                header, content = _upgrade_v1(path, conn, header, slot, kek, content)
            else:
                header.verify(_read_secret(conn, "header_key"))
            migrate(conn, _now_iso())  # the core's own tables of a vault made by an older halqa
        except sqlcipher3.DatabaseError:
            raise _damaged(conn, db) from None
        except BaseException:
            conn.close()
            raise
        if content.flags & FLAG_DESTROY_ON_OPEN and content.destroy_slot < SLOT_COUNT:
            # The real slot goes first; then this slot is sealed again without the order, so
            # that what it says afterwards looks like any other slot's content.
            header = header.shred_slot(content.destroy_slot)
            header.write(path / HEADER_FILE)
            content = replace(content, flags=0, destroy_slot=NO_SLOT)
            header = header.with_slot(slot, kek, content)
            header.write(path / HEADER_FILE)
        if header.failures:
            header = replace(header, failures=0)
            header.write(path / HEADER_FILE)
        try:
            vault = cls(SQLCipherStorage(conn), path, header, slot, content, kek)
        except sqlcipher3.DatabaseError:  # a page the first reads need failed its HMAC
            raise _damaged(conn, db) from None
        if header.restored & (1 << content.db_index):
            vault._after_restore()
        return vault

    @classmethod
    def open_with_key(cls, path: str | os.PathLike[str], master_key: bytes) -> Vault:
        """Open with a raw master key (recovery). Tries every database file.

        The peer key lived only in the lost slot: a recovered vault no longer keeps its decoy
        alive until ``halqa duress set`` is run again (docs/threat-model.md).
        """
        path = Path(path)
        header = read_header(path)
        for idx, name in enumerate(DB_FILES):
            if not (path / name).exists():
                continue
            try:
                conn = _connect(path / name, master_key)
            except VaultCorrupt:
                continue
            slot = int(conn.execute("SELECT value FROM meta WHERE key = 'slot'").fetchone()[0])
            spare_db = conn.execute("SELECT value FROM meta WHERE key = 'spare_db'").fetchone()
            peer = int(spare_db[0]) if spare_db is not None else (idx + 1) % len(DB_FILES)
            return cls(SQLCipherStorage(conn), path, header, slot, SlotContent(idx, master_key, os.urandom(32), peer))
        raise WrongPassphrase("error.share_wrong_vault")

    def close(self) -> None:
        """Close the vault and keep the other files in step with this one.

        If this vault keeps a decoy (its slot holds the decoy's key), the decoy grows a little
        harmless history in proportion to this session and is brought to this file's size; any
        other file is padded with random pages to the same size. Then every file gets the same
        modification time. A decoy opened under duress does exactly the same, with nothing to
        keep: see :mod:`halqa.vault.decoy` and docs/threat-model.md.
        """
        with self._lock:
            if self.conn is None or self._storage is None:
                return
            from halqa.vault import decoy

            applied = decoy.migrations(self.conn) if self._content is not None else {}
            self._forget()
            self._storage.close()
            self.conn = self._storage = None
            if self._content is not None:
                decoy.after_close(self, applied)

    def panic(self) -> None:
        """Destroy this open vault now (:func:`panic`), with the files it lists as written outside
        it, skipping the close-time upkeep: not a moment is spent on the decoy. For faces that
        hold a vault open (the web's panic button)."""
        with self._lock:
            outside: list[Path] = []
            self._forget()
            if self.conn is not None and self._storage is not None:
                outside = [Path(p) for (p,) in self.conn.execute("SELECT path FROM outside_files")]
                self._storage.close()
                self.conn = self._storage = None
        panic(self.path, outside)

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ small helpers
    def on_close(self, stop: Callable[[], None]) -> Callable[[], None]:
        """Call ``stop`` when this vault closes, locks or panics, before its key leaves: for work a
        domain started outside the process on the vault's content (a model training in a child
        process). Returns a function that cancels it (the work ended first). On a vault already
        closed, ``stop`` is called at once."""
        if self._storage is None:
            stop()
        else:
            self._closers.append(stop)

        def cancel() -> None:
            if stop in self._closers:
                self._closers.remove(stop)
        return cancel

    def _forget(self) -> None:
        """Drop what the domains derived (:meth:`memo`) and stop what they started (:meth:`on_close`)."""
        self._memos = {}
        closers, self._closers = self._closers, []
        for stop in closers:
            with suppress(Exception):  # one that fails must not keep the others, or the close, from running
                stop()

    def memo(self, name: str) -> OrderedDict[Any, Any]:
        """A cache named ``name`` that lives as long as this open vault (emptied by
        :meth:`close` and :meth:`panic`): where a domain keeps what it derived from the vault's
        content between calls. Callers bound its size and hold their own lock to change it.

        Every memo is emptied too when a projection is rebuilt here, and when another process
        wrote to the vault (it may have rebuilt one: a redaction, a late import): domains key
        their entries on counts their projections keep, which only grow while events are folded
        one after another but start again from the log in a rebuild, so an old key could name
        other content."""
        generation = None if self._storage is None else self._storage.data_version()  # closed: memos already empty
        if generation != self._memo_generation:
            self._memos, self._memo_generation = {}, generation
        found = self._memos.get(name)
        if found is None:
            found = self._memos[name] = OrderedDict()
        return found

    def meta(self, key: str, default: Any = None) -> Any:
        """A metadata value of this vault (``default`` when unset)."""
        value = self.storage.meta(key)
        return default if value is None else value

    def set_meta(self, key: str, value: Any) -> None:
        """Set a metadata value (in the open transaction, or in one of its own)."""
        with self._tx():
            self.storage.set_meta(key, value)

    def _set_meta(self, key: str, value: Any) -> None:
        self.storage.set_meta(key, value)

    def _secret(self, name: str) -> bytes:
        value = self.storage.secret(name)
        if value is None:
            raise VaultCorrupt("error.corrupt")
        return value

    @property
    def header(self) -> Header:
        return self._file_header

    @property
    def _slot_content(self) -> SlotContent:
        """The key slot this vault was opened with; only the hub, opened from a server, has none."""
        if self._content is None:
            raise RuntimeError("this store was opened without a key slot")
        return self._content

    @property
    def master_key(self) -> bytes:
        """The open database's raw key (for recovery shares). Handle with care."""
        return self._slot_content.master_key

    @property
    def x25519_secret(self) -> bytes:
        """This device's X25519 secret key (sealing bundles to it)."""
        return self._secret("x25519_key")

    def device_row(self, pubkey: bytes) -> int:
        """The storage's row id of a device, added if new (inside a write transaction)."""
        rowid = self._device_rowid.get(pubkey)
        if rowid is None:
            rowid = self._device_rowid[pubkey] = self.storage.add_device(pubkey)
        return rowid

    # ------------------------------------------------------------------ writing
    def append(self, kind: str, payload: Any) -> Event:
        """Append one event in its own signed commit; return it."""
        with self.transaction() as tx:
            return tx.append(kind, payload)

    def append_many(self, items: Iterable[tuple[str, Any]]) -> int:
        """Append many ``(kind, payload)`` events in one signed commit; return how many."""
        with self.transaction() as tx:
            n = 0
            for kind, payload in items:
                tx.append(kind, payload)
                n += 1
            return n

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """Group appends into one atomic, signed commit. Nested use joins the outer one."""
        with self._lock:
            if self._writer is not None:
                yield self._writer
                return
            store = self.storage
            saved = self.hlc.last
            store.begin()
            writer = self._writer = Writer(self)
            try:
                yield writer
                writer._finish()
                store.commit()
            except BaseException as exc:
                self.hlc.last = saved
                # a device added in the failed transaction is gone with it
                self._device_rowid = {k: v for k, v in self._device_rowid.items() if v <= writer.known_devices}
                store.rollback(exc)
                raise
            finally:
                self._writer = None

    def _check_open(self) -> None:
        if self._storage is None:
            raise VaultLocked("error.closed")

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a read query (on projections) and return rows addressable by name or index."""
        with self._lock:
            self._check_open()
            if self._writer is not None:
                self._writer.flush()
            return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params)).fetchall()

    def query_one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def events(self, kinds: Iterable[str] | None = None, after: int = 0) -> Iterator[Event]:
        """Events in the vault's total order ``(hlc, id)``, optionally of some kinds only."""
        rows = self.storage.events(None if kinds is None else list(kinds), after)
        for eid, kind, dev, hlc, body, cid in rows:
            yield Event(bytes(eid), kind, bytes(dev), hlc, decode_payload(kind, body), None if cid is None else bytes(cid))

    def count_events(self) -> int:
        """How many events the vault holds."""
        return self.storage.count_events()

    def info(self) -> dict[str, Any]:
        """What the vault holds, without showing anything a checkpoint should not see."""
        store = self.storage
        out: dict[str, Any] = {
            "events": self.count_events(),
            "commits": store.count_commits(),
            "devices": len(self._device_rowid),
            "created": self.meta("created"),
            "schema": store.schema_version(),
            "vault_id": self.meta("vault_id"),
            "device": self.device_id.hex()[:16],
            "kinds": store.kind_counts(),
            "projections": sorted(p.name for p in self._projections),
        }
        if self._header is not None:
            out |= {"kdf": {"algorithm": "argon2id", "time_cost": self._header.kdf.time_cost,
                            "memory_kib": self._header.kdf.memory_kib, "lanes": self._header.kdf.lanes},
                    "wipe_after": self._header.wipe_after,
                    "bytes": sum((self.path / n).stat().st_size for n in (*DB_FILES, HEADER_FILE))}
        return out

    # ------------------------------------------------------------------ projections
    @contextmanager
    def _tx(self) -> Iterator[None]:
        """A write transaction, or nothing if one is already open (joins it)."""
        with self._lock:
            store = self.storage
            if store.in_transaction:
                yield
                return
            store.begin()
            try:
                yield
                store.commit()
            except BaseException as exc:
                store.rollback(exc)
                raise

    def _sync_projections(self) -> None:
        """Create missing projections, rebuild changed ones, catch up lagging ones."""
        registered = self.kept_projections()
        stored = self.storage.projection_states()
        self._projections = registered
        self._by_kind = {}
        for p in registered:
            for k in p.kinds:
                self._by_kind.setdefault(k, []).append(p)
        top = self.last_event_id()
        lagging: list[tuple[Projection, int]] = []
        changed: list[Projection] = []
        for p in registered:
            row = stored.get(p.name)
            if row is None or row[0] != p.version:
                changed.append(p)
            elif row[1] < top:
                lagging.append((p, row[1]))
        if changed:
            with self._tx():
                self._rebuild_bodies(changed)
        if not lagging:
            return
        # One look at what arrived: a projection none of whose kinds did only moves its mark
        # (on a server each skipped catch-up saves several round trips per import).
        fresh = self.storage.kinds_after(min(upto for _, upto in lagging))
        with self._tx():
            idle = [p.name for p, _ in lagging if not p.kinds & fresh]
            if idle:
                self.storage.advance_projections(top, idle, (), 0, b"")
            for p, _ in lagging:
                if p.kinds & fresh:
                    self._catch_up_body(p)

    def kept_projections(self) -> list[Projection]:
        """The projections this vault keeps (every registered one, unless it was opened with fewer)."""
        return [p for p in registered_projections() if self._keep is None or p.name in self._keep]

    def last_event_id(self) -> int:
        """The id of the newest event stored (0 for none): it changes with every write, so caches
        of derived results key on it."""
        return self.storage.top()

    def rebuild_folding(self, kinds: Iterable[str]) -> None:
        """Inside an open write transaction: rebuild every projection that folds any of ``kinds``
        (after their events' bodies were filled in or purged)."""
        kinds = set(kinds)
        self._rebuild_bodies([p for p in self._projections if p.kinds & kinds])

    def _rebuild_body(self, p: Projection) -> None:
        self._rebuild_bodies([p])

    def _rebuild_bodies(self, chosen: list[Projection]) -> None:
        """Fold the whole log again into ``chosen``, in one pass over the events of their kinds.

        One read of the log feeds every projection (each in its own chunks, in the total order):
        a projection reads only its own tables, so the tables are those of rebuilding each one
        alone, without a scan of the log per projection."""
        if not chosen:
            return
        self._memos = {}  # what was derived from the tables before is stale (:meth:`memo`)
        chunks: list[list[Event]] = [[] for _ in chosen]
        targets: dict[str, list[list[Event]]] = {}
        for p, chunk in zip(chosen, chunks, strict=True):
            p.drop(self.conn)
            p.create_for_rebuild(self.conn)
            for kind in p.kinds:
                targets.setdefault(kind, []).append(chunk)
        # What each kind's event is handed to: most kinds feed one projection, one C call.
        feed = {kind: lists[0].append if len(lists) == 1 else _fan_out(lists) for kind, lists in targets.items()}
        folded: list[Event | None] = [None] * len(chosen)  # each projection's last event folded
        redacted: dict[str, Event] = {}  # each kind's last redacted event: it moves positions too
        log = self.events(sorted(targets)) if targets else iter(())
        while block := list(itertools.islice(log, _REBUILD_CHUNK)):
            for ev in block:
                if ev.payload is None:
                    redacted[ev.kind] = ev  # folds nothing
                else:
                    feed[ev.kind](ev)
            for i, chunk in enumerate(chunks):
                if chunk:
                    folded[i] = chunk[-1]
                    chosen[i].apply_many(self.conn, chunk)
                    chunk.clear()
        top = self.last_event_id()
        for i, p in enumerate(chosen):
            p.rebuilt(self.conn)
            seen = [e for e in (folded[i], *(redacted.get(k) for k in p.kinds)) if e is not None]
            last = max(((e.hlc, e.id) for e in seen), default=(0, b""))
            self.storage.set_projection(p.name, p.version, top, last[0], last[1])

    def _replay(self, p: Projection, after: int, kinds: Iterable[str]) -> tuple[int, bytes]:
        last: tuple[int, bytes] = (0, b"")
        chunk: list[Event] = []
        for ev in self.events(kinds, after=after):
            if ev.payload is not None:
                chunk.append(ev)
                if len(chunk) >= MAX_BUFFER:
                    p.apply_many(self.conn, chunk)
                    chunk = []
            last = (ev.hlc, ev.id)
        p.apply_many(self.conn, chunk)
        return last

    def _catch_up_body(self, p: Projection) -> None:
        """Apply events added since the projection last looked (e.g. by an import); if any of
        them sorts before what it already applied, fold everything again from the start."""
        upto, last_hlc, last_eid = self.storage.projection_position(p.name)
        kinds = sorted(p.kinds)
        if not p.order_free:
            first = self.storage.first_after(upto, kinds)
            if first is not None and first < (last_hlc, last_eid):
                self._rebuild_body(p)
                return
        last = max(self._replay(p, after=upto, kinds=kinds), (last_hlc, last_eid))
        self.storage.set_projection(p.name, p.version, self.last_event_id(), last[0], last[1])

    def rebuild(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """Re-derive projections from the log; return each one's content digest."""
        wanted = set(names) if names is not None else None
        chosen = [p for p in self._projections if wanted is None or p.name in wanted]
        with self._tx():
            self._rebuild_bodies(chosen)
        return {p.name: p.digest(self.conn) for p in chosen}

    def digests(self) -> dict[str, str]:
        """Content digest of every projection (equal digests = identical tables)."""
        return {p.name: p.digest(self.conn) for p in self._projections}

    def refresh(self) -> None:
        """Bring every projection up to date with the log (after an import or redaction)."""
        with self._lock:
            self._sync_projections()

    # ------------------------------------------------------------------ passphrases and slots
    def _kek_for(self, passphrase: str) -> bytes:
        return derive_kek(passphrase, self._file_header.salt, self._file_header.kdf)

    @property
    def _file_header(self) -> Header:
        if self._header is None:
            raise RuntimeError("this vault has no header: its storage is a server")
        return self._header

    def _write_header(self, header: Header) -> None:
        header.write(self.path / HEADER_FILE)
        self._header = header

    def change_passphrase(self, new_passphrase: str) -> None:
        """Rewrap this vault's key slot under a new passphrase (the data is not re-encrypted)."""
        kek = self._kek_for(new_passphrase)
        other = self._file_header.open_slot(kek)
        if other is not None and other[0] != self._slot:
            raise InvalidInput("error.passphrase_in_use")
        self._write_header(self._file_header.with_slot(self._slot, kek, self._slot_content))
        self._kek = kek

    def set_duress(self, duress_passphrase: str, destroy: bool = False) -> None:
        """Make ``duress_passphrase`` open a decoy vault; with ``destroy``, opening with it also
        shreds this vault's key slot at that moment.

        If this vault keeps no decoy yet, one is built in its spare file: a complete halqa
        database with a harmless history backdated over this vault's life
        (:func:`halqa.vault.decoy.build`). The spare file is one this vault never wrote with a
        key; inside a decoy it is the third file, never the real database.
        """
        from halqa.vault import decoy

        if self._kek is None:
            raise InvalidInput("error.duress_needs_passphrase")
        kek = self._kek_for(duress_passphrase)
        if self._file_header.open_slot(kek) is not None:
            raise InvalidInput("error.passphrase_in_use")
        content = self._slot_content
        decoy_slot = int(self.meta("spare_slot"))
        kept = decoy.peer_opens(self.path, content)
        if kept is not None:
            kept.close()  # a decoy exists: only the duress slot is (re)written
        else:
            peer_index = int(self.meta("spare_db"))
            peer_key = decoy.build(self, peer_index, decoy_slot)
            content = replace(content, peer_key=peer_key, peer_index=peer_index)
            third = 3 - content.db_index - peer_index
            with self._tx():
                self._set_meta("spare_db", third)
        decoy_content = SlotContent(content.peer_index, content.peer_key, os.urandom(32),
                                    3 - content.db_index - content.peer_index,
                                    FLAG_DESTROY_ON_OPEN if destroy else 0, self._slot if destroy else NO_SLOT)
        header = self._file_header.with_slot(self._slot, self._kek, content).with_slot(decoy_slot, kek, decoy_content)
        self._write_header(header)
        self._content = content

    def set_wipe_after(self, failures: int) -> None:
        """Destroy the vault after ``failures`` wrong passphrases in a row (0 turns it off)."""
        if not 0 <= failures <= 1000:
            raise InvalidInput("error.wipe_after_range")
        self._write_header(replace(self._file_header, wipe_after=failures, failures=0).sealed(self._secret("header_key")))

    def _after_restore(self) -> None:
        """First open of a database restored from a backup: the backup rewound this device's
        commit sequence, and the original device may have signed commits with the numbers that
        follow. Skip far ahead so this copy never signs a different commit under a number that
        peers already hold (they would see a fork)."""
        with self._tx():
            self._set_meta("seq", int(self.meta("seq")) + RESTORE_SEQ_JUMP)
        self._write_header(replace(self._file_header, restored=self._file_header.restored & ~(1 << self._slot_content.db_index)))

    def restore_slot(self, passphrase: str) -> None:
        """After recovery from shares: write this vault's slot under ``passphrase``."""
        self._kek = self._kek_for(passphrase)
        header = self._file_header.with_slot(self._slot, self._kek, self._slot_content)
        self._write_header(header.sealed(self._secret("header_key")))
