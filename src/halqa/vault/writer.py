"""The append path: :class:`Writer` collects one transaction's events and the vault signs them
as one commit (:meth:`halqa.vault.Vault.transaction`).

Kept apart from :mod:`halqa.vault.store` (opening, keys, projections' upkeep) because it is the hot
path of every write: what it does per event is measured by ``benchmarks/bench_vault.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from halqa.vault import events as _events
from halqa.vault.events import Commit, Event, day_precision, encode, encode_salted, event_hashes
from halqa.vault.projections import Projection

if TYPE_CHECKING:
    from halqa.vault.store import Vault

__all__ = ["MAX_BUFFER", "Writer"]

#: Events buffered before they are written and folded (a rebuild replays in blocks of this too).
MAX_BUFFER = 4096


class Writer:
    """Collects the events of one transaction; the vault signs them as one commit.

    The per-event work is kept to what each event needs (its check, encoding and clock); what
    depends only on the kind (its clock, hash prefix and projection queues) is looked up once per
    kind, the random ids and salts are drawn in blocks, and the two hashes of each event are
    computed for a whole buffer at once when it is written (:meth:`flush`)."""

    def __init__(self, vault: Vault) -> None:
        self.v = vault
        self.store = store = vault.storage
        self.known_devices = max(vault._device_rowid.values(), default=0)
        self.seq = int(vault.meta("seq")) + 1
        self.dev = vault.device_row(vault.device_id)
        self.commit_row = store.open_commit(self.dev, self.seq)
        self.device_id = vault.device_id
        # The write lock is held: this commit's events get the next contiguous ids.
        self.first_event = vault.last_event_id() + 1
        self.hashes: list[bytes] = []
        self.buffer: list[tuple[Any, ...]] = []
        self.last: Event | None = None  # the newest buffered event
        # Events waiting for each projection, in append order (a projection's kinds interleave).
        self.pending: dict[str, tuple[Projection, list[Event]]] = {}
        self._kinds: dict[str, tuple[type, Any, Any, list[list[Event]]]] = {}
        self._prefixes: dict[str, bytes] = {}  # each kind's hash prefix
        self._random = b""
        self._taken = 0
        self._block = 32 * 16  # grows to 64 KiB: small commits draw little, big ones few times
        self.top_hlc = 0  # the commit's clock: its latest event's (a day, if all are day-precision)

    def _kind(self, kind: str) -> tuple[type, Any, Any, list[list[Event]]]:
        """The payload struct and check, clock and projection queues of ``kind`` (unknown kinds
        raise); its hash prefix."""
        ptype, check = _events.kind_checker(kind)
        queues = [self.pending.setdefault(p.name, (p, []))[1] for p in self.v._by_kind.get(kind, ())]
        tick = self.v.hlc.tick_day if day_precision(kind) else self.v.hlc.tick
        self._prefixes[kind] = _events.hash_prefix(kind, self.device_id)
        spec = self._kinds[kind] = (ptype, check, tick, queues)
        return spec

    def _refill(self) -> None:
        """A fresh block of random bytes, 32 for each event: its id and its body's salt."""
        self._random, self._taken = os.urandom(self._block), 0
        self._block = min(self._block * 2, 1 << 16)

    def append(self, kind: str, payload: Any) -> Event:
        ptype, check, tick, queues = self._kinds.get(kind) or self._kind(kind)
        if self._taken + 32 > len(self._random):
            self._refill()
        at = self._taken = self._taken + 32
        eid = self._random[at - 32:at - 16]
        if type(payload) is ptype:  # the usual case: encode_salted's work without its calls
            if check is not None:
                check(payload)
            body = self._random[at - 16:at] + encode(payload)
        else:  # a dict to convert, or a wrong type to refuse
            payload, body = encode_salted(kind, payload, self._random[at - 16:at])
        hlc = tick()
        if hlc > self.top_hlc:
            self.top_hlc = hlc
        self.buffer.append((eid, self.commit_row, kind, self.dev, hlc, body))
        ev = self.last = Event(eid, kind, self.device_id, hlc, payload)
        for queue in queues:
            queue.append(ev)
        if len(self.buffer) >= MAX_BUFFER:
            self.flush()
        return ev

    def flush(self) -> None:
        """Write buffered events and fold them into the projections."""
        if not self.buffer or self.last is None:
            return
        conn = self.v.conn
        self.hashes += event_hashes(self.buffer, self._prefixes)
        self.store.append_events(self.buffer)
        touched = []
        for name, (p, events) in self.pending.items():
            if events:
                p.apply_many(conn, events)
                events.clear()
                touched.append(name)
        # Every projection has now seen every event up to the top; the ones that took events
        # also move their last applied position.
        kept = None if self.v._keep is None else sorted(self.v._keep)
        self.store.advance_projections(self.store.top(), kept, touched, self.last.hlc, self.last.id)
        self.buffer.clear()

    def _finish(self) -> None:
        self.flush()
        if not self.hashes:  # every buffered event was hashed by the flush
            self.store.drop_commit(self.commit_row)
            return
        commit = Commit(self.v.device_id, self.seq, self.top_hlc, tuple(self.hashes)).sign(self.v.device_key)
        self.store.seal_commit(self.commit_row, commit.id, commit.hlc, len(self.hashes), commit.signature,
                               self.first_event, self.first_event + len(self.hashes) - 1)
        self.v._set_meta("seq", self.seq)
        self.v._set_meta("hlc", self.v.hlc.last)
        self.v.session_events += len(self.hashes)
