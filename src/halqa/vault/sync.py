"""Moving commits between vaults, and redaction.

:func:`export_commits` reads signed commits with their events; :func:`ingest` verifies and
merges them. Merge is a set union keyed by event id plus the deterministic projection of
:mod:`halqa.vault.projections`, so it is idempotent, commutative and associative: any order
and any duplication of the same commits gives identical tables. Sealing commits for transport
(age, QR, LAN) is :mod:`halqa.bridge`'s business; this module only guarantees integrity.

Redaction (:func:`redact`) is itself an event (``vault.redact``) that travels like any other.
Wherever it arrives, the payloads it names are deleted (SQLite ``secure_delete`` overwrites
them) and the affected projections are rebuilt in the same transaction; a target that arrives
*after* its redaction is stored already purged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from halqa.errors import InvalidInput, VaultCorrupt
from halqa.vault.authz import MAX_CLOCK, Approved, Grant, authorise
from halqa.vault.events import Commit, body_hash, event_hash, register_kind
from halqa.vault.storage import Storage
from halqa.vault.store import Vault

__all__ = ["CommitRecord", "EventRecord", "Redact", "export_commits", "heads", "ingest", "redact", "verify_commit"]


class Redact(msgspec.Struct):
    """Payload of ``vault.redact``: the events, as ``(hlc, id)``, whose payloads must be
    purged everywhere."""

    targets: list[tuple[int, bytes]]
    reason: str = ""

    def check(self) -> None:
        if not self.targets or any(not 0 < hlc <= MAX_CLOCK or len(eid) != 16 for hlc, eid in self.targets):
            raise InvalidInput("error.nothing_to_redact")


register_kind("vault.redact", Redact)


class EventRecord(msgspec.Struct, array_like=True):
    """One event as it travels: its body is ``None`` once redacted (the hash stays)."""

    id: bytes
    kind: str
    hlc: int
    body_hash: bytes
    body: bytes | None  # None once redacted


class CommitRecord(msgspec.Struct, array_like=True):
    """One signed commit and its events, as it travels between vaults."""

    device: bytes
    seq: int
    hlc: int
    signature: bytes
    events: list[EventRecord]

    def commit(self) -> Commit:
        hashes = tuple(event_hash(e.id, e.kind, self.device, e.hlc, e.body_hash) for e in self.events)
        return Commit(self.device, self.seq, self.hlc, hashes, self.signature)


def heads(vault: Vault) -> dict[bytes, int]:
    """For each device, the n such that this vault holds every one of its commits 1..n.

    Contiguous, not highest: a vault restored from a backup skips its own sequence ahead, and
    must still be sent the commits the original device made after the backup.
    """
    return vault.storage.heads()


def export_commits(vault: Vault, have: dict[bytes, int] | None = None,
                   kinds: Iterable[str] | None = None) -> list[CommitRecord]:
    """Commits the holder of ``have`` (device -> highest seq) lacks; all when ``have`` is None.

    With ``kinds``, events of other kinds travel without their bodies (as if redacted) so the
    signature still verifies but their content stays home.
    """
    have = have or {}
    wanted = set(kinds) if kinds is not None else None
    out: list[CommitRecord] = []
    store = vault.storage
    for device, seq, hlc, sig, first, last in store.signed_commits():
        if seq <= have.get(device, 0):
            continue
        events = []
        for eid, kind, ehlc, stored_hash, body in store.event_range(first, last):
            keep = body is not None and (wanted is None or kind in wanted)
            if body is None:
                bh = bytes(stored_hash or b"")
            else:
                bh, body = body_hash(bytes(body)), bytes(body)
            events.append(EventRecord(bytes(eid), kind, ehlc, bh, body if keep else None))
        out.append(CommitRecord(device, seq, hlc, sig, events))
    return out


def verify_commit(rec: CommitRecord) -> None:
    """Raise unless ``rec`` is intact: its clocks in range (:class:`InvalidInput`), its device's
    signature over its events' hashes, and every body it carries matching its hash
    (:class:`VaultCorrupt`). Who may author it is :func:`halqa.vault.authz.authorise`'s question."""
    # A signed commit may carry a negative clock (an informant's device signs what it likes):
    # refuse it before packing it for the signature check, where it would crash (found by fuzz/).
    if not (0 <= rec.seq <= MAX_CLOCK and 0 <= rec.hlc <= MAX_CLOCK and all(0 <= e.hlc <= MAX_CLOCK for e in rec.events)):
        raise InvalidInput("sync.clock_out_of_range", kind="commit")
    rec.commit().verify()
    for e in rec.events:
        if e.body is not None and body_hash(e.body) != e.body_hash:
            raise VaultCorrupt("error.bad_signature")


def ingest(vault: Vault, records: Approved | Iterable[CommitRecord],
           grants: Mapping[bytes, Grant] | None = None) -> dict[str, int]:
    """Merge commits in one transaction, after :func:`halqa.vault.authz.authorise` has checked
    every signature, clock, payload and author's role (``grants``) with nothing written; or take
    a batch it already approved. Returns counts of new commits and events and of ones already
    present."""
    if not isinstance(records, Approved):
        if grants is None:
            raise TypeError("ingest needs the authors' grants, or an Approved batch")
        records = authorise(vault, records, grants)
    elif records.vault_id != id(vault):
        raise TypeError("a batch approved for another vault")
    records = records.records
    refill: set[str] = set()
    with vault.transaction():
        merge = _merge_batch if _batchable(records) else _merge_one_by_one
        new_commits, new_events = merge(vault, records, refill)
        vault.set_meta("hlc", vault.hlc.last)
        vault.rebuild_folding(refill)
        vault.refresh()
    return {"commits": new_commits, "events": new_events, "duplicates": len(records) - new_commits,
            "filled": len(refill)}


def _batchable(records: list[CommitRecord]) -> bool:
    """Whether :func:`_merge_batch` gives exactly what :func:`_merge_one_by_one` does: no commit
    or event twice in the batch (each looked up once, before any is written) and no redaction
    with its body (it changes what the events after it store)."""
    cids = {rec.commit().id for rec in records}
    keys = {(e.hlc, e.id) for rec in records for e in rec.events}
    return (len(cids) == len(records) and len(keys) == sum(len(rec.events) for rec in records)
            and not any(e.kind == "vault.redact" and e.body is not None for rec in records for e in rec.events))


def _merge_batch(vault: Vault, records: list[CommitRecord], refill: set[str]) -> tuple[int, int]:
    """The merge of :func:`_merge_one_by_one` in a few statements however many commits: the
    commits and events held are asked for once, then the new commits and the new events are
    written in one statement each (a hub's round trips were most of its import time)."""
    store = vault.storage
    cids = [rec.commit().id for rec in records]
    known = store.known_commits(cids)
    held = store.held_events([(e.hlc, e.id) for rec in records for e in rec.events])
    next_id = store.top() + 1
    commits: list[tuple[bytes, int, int, int, int, bytes, int, int]] = []
    events: list[tuple[int, bytes, int, str, int, int, bytes | None, bytes | None]] = []  # commit: index in commits
    for rec, cid in zip(records, cids, strict=True):
        dev = vault.device_row(rec.device)
        if cid in known:
            # Known commit; it may carry bodies we were sent without before.
            for e in rec.events:
                if e.body is not None and not store.is_redacted(e.id) and _fill_held(store, held.get((e.hlc, e.id)), e.body):
                    refill.add(e.kind)
            continue
        first = next_id
        for e in rec.events:
            body = e.body
            if body is not None and store.is_redacted(e.id):
                body = None
            if body is not None and _fill_held(store, held.get((e.hlc, e.id)), body):
                refill.add(e.kind)
                continue
            if (e.hlc, e.id) not in held:  # held with its body (or another one): nothing to add
                events.append((next_id, e.id, len(commits), e.kind, dev, e.hlc, body,
                               None if body is not None else e.body_hash))
                next_id += 1
            vault.hlc.observe(e.hlc)
        commits.append((cid, dev, rec.seq, rec.hlc, len(rec.events), rec.signature, first, next_id - 1))
    rows = store.add_commits(commits)
    store.add_events([(i, eid, rows[c], kind, dev, hlc, body, bh) for i, eid, c, kind, dev, hlc, body, bh in events])
    return len(commits), len(events)


def _fill_held(store: Storage, held: tuple[int, bytes | None, bool] | None, body: bytes) -> bool:
    """:func:`_fill_body` for an event looked up by :meth:`Storage.held_events`."""
    if held is None or held[2] or held[1] is None or held[1] != body_hash(body):
        return False
    store.fill_body(held[0], body)
    return True


def _merge_one_by_one(vault: Vault, records: list[CommitRecord], refill: set[str]) -> tuple[int, int]:
    """Merge commits in order, each looked up and written as it comes (any batch: a commit twice,
    a redaction purging what came before it)."""
    new_commits = new_events = 0
    store = vault.storage
    for rec in records:
        dev = vault.device_row(rec.device)
        cid = rec.commit().id
        if store.has_commit(cid):
            # Known commit; it may carry bodies we were sent without before.
            for e in rec.events:
                if e.body is not None and not store.is_redacted(e.id) and _fill_body(store, e, e.body):
                    refill.add(e.kind)
            continue
        commit_row = store.add_commit(cid, dev, rec.seq, rec.hlc, len(rec.events), rec.signature)
        new_commits += 1
        first = store.top() + 1
        for e in rec.events:
            body = e.body
            if body is not None and store.is_redacted(e.id):
                body = None
            if body is not None and _fill_body(store, e, body):
                refill.add(e.kind)
                continue
            new_events += store.add_event(e.id, commit_row, e.kind, dev, e.hlc, body,
                                          None if body is not None else e.body_hash)
            vault.hlc.observe(e.hlc)
            if e.kind == "vault.redact" and body is not None:
                _purge(vault, msgspec.msgpack.decode(body[16:], type=Redact).targets, e.id)
        store.set_commit_events(commit_row, first, store.top())
    return new_commits, new_events


def _fill_body(store: Storage, e: EventRecord, body: bytes) -> bool:
    """An event we hold without its body (it came in a ``kinds``-filtered export) now arrives
    with it: store the body if it matches the hash we kept. Returns whether it did."""
    row = store.bodiless(e.hlc, e.id)
    if row is None or row[1] is None or row[1] != body_hash(body):
        return False
    store.fill_body(row[0], body)
    return True


def _purge(vault: Vault, targets: list[tuple[int, bytes]], by: bytes) -> set[str]:
    """Delete the bodies of ``targets``; rebuild the projections that had folded them in."""
    store = vault.storage
    kinds: set[str] = set()
    for hlc, eid in targets:
        store.mark_redacted(eid, by)
        kind = store.purge_body(hlc, eid, body_hash)
        if kind is not None:
            kinds.add(kind)
    vault.rebuild_folding(kinds)
    return kinds


def redact(vault: Vault, ids: Iterable[bytes], reason: str = "") -> int:
    """Purge the payloads of events ``ids`` here and, as the redaction travels, everywhere.

    Returns how many payloads were deleted in this vault.
    """
    ids = [bytes(i) for i in ids]
    if not ids:
        raise InvalidInput("error.nothing_to_redact")
    with vault.transaction() as tx:
        tx.flush()
        targets = vault.storage.live_events(ids)
        if not targets:
            raise InvalidInput("error.nothing_to_redact")
        ev = tx.append("vault.redact", Redact(targets=targets, reason=reason))
        tx.flush()
        _purge(vault, targets, ev.id)
    return len(targets)


