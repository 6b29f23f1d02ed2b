"""The decoy's life: built with a past, kept alive, never smaller, never older than the real vault.

A vault folder holds three database-sized files. Without a duress passphrase only one is a
database; the other two are random bytes. ``halqa duress set`` builds a decoy in the vault's spare
file (:func:`build`): a complete halqa database with the same ``vault_id``, creation date and
migration dates, whose harmless history (each domain's ``decoy()`` first, then small sessions of
``decoy_session()``) is spread over the real vault's months in proportion to its activity per
month, on days and at hours drawn afresh (never the real vault's own days or times), so it leaks
neither content nor the real vault's rhythm beyond "busy months".

Every close (:func:`after_close`) then keeps the folder consistent, the same way whichever
database was opened:

- the peer key in the slot that opened the vault is tried on its peer file; if it opens (the real
  vault keeping its decoy), the decoy grows a session proportional to what was just written,
  stamped at a plausible hour between its last event and now, and is brought to the real file's
  size (ordinary free pages for the last few kilobytes);
- every file the vault cannot open (random bytes, or the real database seen from a decoy) that is
  smaller than the opened one is extended with random bytes, which SQLite ignores past its page
  count (tested);
- all database files get the same modification time.

The domains' generators are registered by the composition root (:func:`set_fillers`), so the
vault core depends on no domain.
"""

from __future__ import annotations

import errno
import os
import random
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3

from halqa.errors import HalqaError
from halqa.vault import events
from halqa.vault.keyslots import SLOT_COUNT, SlotContent

if TYPE_CHECKING:
    from halqa.vault.store import Vault

__all__ = ["after_close", "build", "migrations", "peer_opens", "set_fillers"]

Initial = Callable[["Vault", random.Random], Any]
Session = Callable[["Vault", random.Random, datetime], Any]
Bulk = Callable[["Vault", random.Random, datetime, int], Any]
_FILLERS: dict[str, Any] = {}

#: Decoy sessions per real commit in a month (a decoy is a quieter life, but not a silent one).
SESSION_RATIO = 0.5
#: Upper bound of sessions a decoy gets per month and per close: keeps duress set and close quick.
MAX_SESSIONS_PER_MONTH = 40
MAX_SESSIONS_PER_CLOSE = 12
#: A gap of more pages than this (a large import in the real vault) is answered with one large
#: harmless import in the decoy, of about one row per BULK_ROW_BYTES missing (measured), at most
#: MAX_BULK_ROWS at a time.
BULK_PAGES = 32
BULK_ROW_BYTES = 200
MAX_BULK_ROWS = 100_000
#: Hour-of-day weights (local time, UTC+3: Iraq): people note things in the morning and evening.
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 2, 2, 2, 2, 2, 2, 3, 4, 5, 5, 4, 3, 2, 1]
LOCAL_OFFSET = timedelta(hours=3)


def set_fillers(initial: Initial, session: Session, bulk: Bulk | None = None) -> None:
    """Register what fills a new decoy (``initial``), what one of its sessions adds, and what
    answers a large import (``bulk(vault, rng, when, rows)``)."""
    _FILLERS["initial"], _FILLERS["session"], _FILLERS["bulk"] = initial, session, bulk or _nothing


def peer_opens(path: Path, content: SlotContent) -> Any:
    """An open connection to the decoy this slot keeps, or None (its peer key opens nothing)."""
    from halqa.vault.store import DB_FILES, _connect

    peer = path / DB_FILES[content.peer_index]
    if content.peer_index == content.db_index or not peer.exists():
        return None
    try:
        conn = _connect(peer, content.peer_key)
    except HalqaError:
        return None
    # SQLCipher opens an empty file with any key: a decoy build killed after emptying the file
    # leaves one, and it is no decoy until its metadata is in (found by tests/reliability).
    try:
        built = conn.execute("SELECT value FROM meta WHERE key = 'slot'").fetchone() is not None
    except sqlcipher3.DatabaseError:  # no tables at all
        built = False
    if not built:
        conn.close()
        return None
    return conn


# ---------------------------------------------------------------------------- building
def build(vault: Vault, peer_index: int, decoy_slot: int) -> bytes:
    """Write a new decoy database into file ``peer_index`` and return its key."""
    from halqa.vault.folder import DB_FILES, _write_random
    from halqa.vault.store import _connect, init_schema  # store's: the crash tests stop it there

    key = os.urandom(32)
    target = vault.path / DB_FILES[peer_index]
    size = target.stat().st_size
    taken = {vault._slot, decoy_slot}
    rng = random.Random(secrets.randbits(64))
    meta = {"created": vault.meta("created"), "vault_id": vault.meta("vault_id"), "slot": decoy_slot,
            "spare_slot": rng.choice([i for i in range(SLOT_COUNT) if i not in taken]),
            "spare_db": 3 - peer_index - vault._slot_content.db_index}
    # Built in place, not renamed over: the file keeps its inode and birth time, as it would
    # had it always been this database.
    with open(target, "r+b") as fh:
        fh.truncate(0)
    try:
        conn = _connect(target, key)
        init_schema(conn, meta, vault._secret("header_key"))
        _same_migrations(conn, migrations(vault.conn))
        decoy = _as_vault(vault.path, conn, vault, decoy_slot)
        try:
            _live(decoy, rng, _plan(vault, rng))
            _fill_to(decoy, rng, vault.path / DB_FILES[vault._slot_content.db_index], _clock_now())
        finally:
            conn.close()
    except BaseException:
        _write_random(target, size)
        raise
    return key


def _same_migrations(conn: Any, applied: dict[int, str]) -> None:
    """Apply the core migrations the real vault has, recorded with the real vault's dates."""
    from halqa.vault.migrations import migrate

    migrate(conn, max(applied.values()))
    conn.executemany("UPDATE migrations SET applied = ? WHERE version = ?", [(a, v) for v, a in applied.items()])


def _as_vault(path: Path, conn: Any, like: Vault, slot: int) -> Vault:
    """The decoy as a Vault object without a slot of its own: closing it touches nothing else."""
    from halqa.vault.storage.sqlcipher import SQLCipherStorage

    return type(like)(SQLCipherStorage(conn), path, like.header, slot, None)


def _plan(vault: Vault, rng: random.Random) -> list[datetime]:
    """When the decoy's sessions happened: per month of the real vault's life, sessions in
    proportion to its commits that month, on random days and at plausible hours."""
    created = datetime.fromisoformat(vault.meta("created"))
    now = _clock_now()
    per_month: Counter[tuple[int, int]] = Counter()
    for (hlc,) in vault.conn.execute("SELECT hlc FROM commits WHERE device = (SELECT id FROM devices WHERE local = 1)"):
        when = datetime.fromtimestamp((hlc >> 16) / 1000, UTC)
        per_month[(when.year, when.month)] += 1
    times = [created + timedelta(minutes=rng.uniform(2, 40))]
    for (year, month), commits in sorted(per_month.items()):
        start = max(created, datetime(year, month, 1, tzinfo=UTC))
        end = min(now, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC))
        n = min(MAX_SESSIONS_PER_MONTH, max(1, round(commits * SESSION_RATIO)))
        times += [_plausible(rng, start, end) for _ in range(n)]
    return sorted(min(t, now) for t in times)


def _plausible(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random moment between ``start`` and ``end`` at a waking hour of its day; ``end`` (the
    moment of the session that grows the decoy) when the window holds no waking hour drawn.

    Never the unmoved random moment: that was a night-time event now and then in a decoy whose
    owner never works at night, an examiner's tell (tests/vault/test_examiner.py found it)."""
    if end <= start:
        return end
    for _ in range(8):
        t = start + (end - start) * rng.random()
        local = t + LOCAL_OFFSET
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        moved = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60)) - LOCAL_OFFSET
        if start <= moved <= end:
            return moved
    return end


def _live(decoy: Vault, rng: random.Random, times: list[datetime]) -> None:
    """Run the decoy's sessions at ``times`` (the first one fills it with its initial content)."""
    for i, when in enumerate(times):
        ms = int(when.timestamp() * 1000)
        decoy.hlc._now = lambda ms=ms: ms
        with decoy.transaction():
            if i == 0 and decoy.count_events() == 0:
                _FILLERS.get("initial", _nothing)(decoy, rng)
            else:
                _FILLERS.get("session", _nothing)(decoy, rng, when)
    decoy.hlc._now = _clock_now_ms


def _nothing(*_a: Any) -> None:
    return None


def _clock_now() -> datetime:
    return datetime.fromtimestamp(events.wall_ns() / 1e9, UTC)


def _clock_now_ms() -> int:
    return events.wall_ns() // 1_000_000


def _fill_to(decoy: Vault, rng: random.Random, real_file: Path, until: datetime) -> None:
    """Grow the decoy with more sessions (between its last event and ``until``) until its file is
    within a page of ``real_file``; the last few kilobytes become ordinary free pages."""
    from halqa.vault.storage.sqlcipher import PAGE_SIZE

    target = real_file.stat().st_size
    mine = Path(decoy.conn.execute("PRAGMA database_list").fetchone()[2])
    gap = target - mine.stat().st_size
    if gap > BULK_PAGES * PAGE_SIZE:
        when = _plausible(rng, _last_event(decoy), until)
        ms = int(when.timestamp() * 1000)
        decoy.hlc._now = lambda: ms
        with decoy.transaction():
            _FILLERS.get("bulk", _nothing)(decoy, rng, when, min(MAX_BULK_ROWS, gap // BULK_ROW_BYTES))
        decoy.hlc._now = _clock_now_ms
    for _ in range(MAX_SESSIONS_PER_CLOSE * 20):
        if mine.stat().st_size >= target - PAGE_SIZE:
            break
        _live(decoy, rng, [_plausible(rng, _last_event(decoy), until)])
    _top_up(decoy.conn, target)


def _top_up(conn: Any, target: int) -> None:
    """Bring the decoy's file to ``target`` bytes with ordinary free pages (a blob in and out)."""
    from halqa.vault.storage.sqlcipher import PAGE_SIZE

    mine = Path(conn.execute("PRAGMA database_list").fetchone()[2])
    for _ in range(4):  # the blob first fills the free pages there are, then grows the file
        need = target - mine.stat().st_size
        if need <= 0:
            return
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * PAGE_SIZE
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta VALUES ('~', zeroblob(?))", (need + free,))
        conn.execute("DELETE FROM meta WHERE key = '~'")
        conn.execute("COMMIT")


def _last_event(decoy: Vault) -> datetime:
    last = decoy.conn.execute("SELECT max(hlc) FROM events").fetchone()[0]
    if last is None:
        return datetime.fromisoformat(decoy.meta("created"))
    return datetime.fromtimestamp((last >> 16) / 1000 + 1, UTC)


# ---------------------------------------------------------------------------- every close
def migrations(conn: Any) -> dict[int, str]:
    """A database's applied core migrations and their dates."""
    return {r[0]: r[1] for r in conn.execute("SELECT version, applied FROM migrations")}


def after_close(vault: Vault, applied: dict[int, str]) -> None:
    """Keep the decoy alive and every file in step (see the module's docstring); ``applied`` is
    the closed database's :func:`migrations`."""
    from halqa.vault.folder import DB_FILES, _touch

    content = vault._slot_content
    own = vault.path / DB_FILES[content.db_index]
    if not own.exists():
        return  # destroyed while open (panic)
    kept = peer_opens(vault.path, content)
    files = [vault.path / name for name in DB_FILES]
    try:
        if kept is not None:
            try:
                _grow(vault, kept, applied)
            except (HalqaError, sqlcipher3.DatabaseError):
                pass  # a busy or damaged decoy is left as it is: the real vault's close must not fail
        # The largest file sets the size: content may carry the decoy a page past the real file.
        size = max(f.stat().st_size if f.exists() else 0 for f in files)
        if kept is not None:
            try:
                _top_up(kept, size)
            except sqlcipher3.DatabaseError:
                pass
            size = max(size, (vault.path / DB_FILES[content.peer_index]).stat().st_size)
    finally:
        if kept is not None:
            kept.close()
    for i, f in enumerate(files):
        if not (kept is not None and i == content.peer_index):
            _pad(f, size)
    _rewrite_header(vault.path)
    _touch(vault.path, events.wall_ns())


def _rewrite_header(path: Path) -> None:
    """Write the header again as it is on disk: its file then has the same modification (and
    creation) time whether or not a slot was written since the vault was made. (Two processes
    closing the same vault at once could race here; halqa opens a vault from one at a time.)"""
    from halqa.vault.store import HEADER_FILE, read_header

    if (path / HEADER_FILE).exists():  # a benchmark's bare database has none
        read_header(path).write(path / HEADER_FILE)


def _grow(vault: Vault, conn: Any, applied: dict[int, str]) -> None:
    from halqa.vault.store import DB_FILES

    rng = random.Random(secrets.randbits(64))
    _same_migrations(conn, applied)
    decoy = _as_vault(vault.path, conn, vault, int(conn.execute("SELECT value FROM meta WHERE key = 'slot'").fetchone()[0]))
    now = _clock_now()
    if vault.session_events:
        n = min(MAX_SESSIONS_PER_CLOSE, max(1, round(vault.session_events * SESSION_RATIO / 8)))
        start = _last_event(decoy)
        _live(decoy, rng, sorted(_plausible(rng, start, now) for _ in range(n)))
    _fill_to(decoy, rng, vault.path / DB_FILES[vault._slot_content.db_index], now)


def _pad(path: Path, size: int) -> None:
    """Extend a file this vault cannot open to ``size`` with random bytes (never shrink it)."""
    have = path.stat().st_size if path.exists() else 0
    if have < size:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(os.urandom(size - have))
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            # A full disk: the close must still succeed; the next close with room pads.
            os.ftruncate(fd, have)
        finally:
            os.close(fd)
