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
from halqa.vault.store import Vault

__all__ = ["CommitRecord", "EventRecord", "Redact", "export_commits", "heads", "ingest", "redact"]


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
    return {bytes(r[0]): r[1] for r in vault.query(
        "SELECT d.pubkey, max(s.seq) FROM ("
        "  SELECT device, seq, row_number() OVER (PARTITION BY device ORDER BY seq) AS rn"
        "  FROM (SELECT DISTINCT device, seq FROM commits WHERE cid IS NOT NULL)) s "
        "JOIN devices d ON d.id = s.device WHERE s.seq = s.rn GROUP BY d.pubkey")}


def export_commits(vault: Vault, have: dict[bytes, int] | None = None,
                   kinds: Iterable[str] | None = None) -> list[CommitRecord]:
    """Commits the holder of ``have`` (device -> highest seq) lacks; all when ``have`` is None.

    With ``kinds``, events of other kinds travel without their bodies (as if redacted) so the
    signature still verifies but their content stays home.
    """
    have = have or {}
    wanted = set(kinds) if kinds is not None else None
    out: list[CommitRecord] = []
    rows = vault.query("SELECT d.pubkey, c.seq, c.hlc, c.signature, c.first_event, c.last_event FROM commits c "
                       "JOIN devices d ON d.id = c.device WHERE c.cid IS NOT NULL ORDER BY c.hlc, c.id")
    for device, seq, hlc, sig, first, last in rows:
        device = bytes(device)
        if seq <= have.get(device, 0):
            continue
        events = []
        for eid, kind, ehlc, stored_hash, body in vault.query(
                "SELECT eid, kind, hlc, body_hash, body FROM events WHERE id BETWEEN ? AND ? ORDER BY id", (first, last)):
            bh = bytes(stored_hash) if body is None else body_hash(body)
            keep = body is not None and (wanted is None or kind in wanted)
            events.append(EventRecord(bytes(eid), kind, ehlc, bh, bytes(body) if keep else None))
        out.append(CommitRecord(device, seq, hlc, bytes(sig), events))
    return out


def _verify(rec: CommitRecord) -> None:
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
    new_commits = new_events = 0
    refill: set[str] = set()
    with vault.transaction():
        conn = vault.conn
        for rec in records:
            dev = vault._device_row(rec.device)
            cid = rec.commit().id
            if conn.execute("SELECT 1 FROM commits WHERE cid = ?", (cid,)).fetchone():
                # Known commit; it may carry bodies we were sent without before.
                for e in rec.events:
                    if e.body is not None and not conn.execute("SELECT 1 FROM redacted WHERE eid = ?", (e.id,)).fetchone() \
                            and _fill_body(vault, e, e.body):
                        refill.add(e.kind)
                continue
            cur = conn.execute("INSERT INTO commits (cid, device, seq, hlc, n, signature, received) "
                               "VALUES (?, ?, ?, ?, ?, ?, 1)",
                               (cid, dev, rec.seq, rec.hlc, len(rec.events), rec.signature))
            commit_row = cur.lastrowid
            new_commits += 1
            first = vault._top() + 1
            for e in rec.events:
                body = e.body
                if body is not None and conn.execute("SELECT 1 FROM redacted WHERE eid = ?", (e.id,)).fetchone():
                    body = None
                if body is not None and _fill_body(vault, e, body):
                    refill.add(e.kind)
                    continue
                done = conn.execute("INSERT OR IGNORE INTO events (eid, commit_id, kind, device, hlc, body, body_hash) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    (e.id, commit_row, e.kind, dev, e.hlc, body, None if body is not None else e.body_hash))
                new_events += done.rowcount
                vault.hlc.observe(e.hlc)
                if e.kind == "vault.redact" and body is not None:
                    _purge(vault, msgspec.msgpack.decode(body[16:], type=Redact).targets, e.id)
            conn.execute("UPDATE commits SET first_event = ?, last_event = ? WHERE id = ?",
                         (first, vault._top(), commit_row))
        vault._set_meta("hlc", vault.hlc.last)
        for p in vault._projections:
            if p.kinds & refill:
                vault._rebuild_body(p)
        vault._sync_projections()
    return {"commits": new_commits, "events": new_events, "duplicates": len(records) - new_commits,
            "filled": len(refill)}


def _fill_body(vault: Vault, e: EventRecord, body: bytes) -> bool:
    """An event we hold without its body (it came in a ``kinds``-filtered export) now arrives
    with it: store the body if it matches the hash we kept. Returns whether it did."""
    row = vault.conn.execute("SELECT id, body_hash FROM events WHERE hlc = ? AND eid = ? AND body IS NULL",
                             (e.hlc, e.id)).fetchone()
    if row is None or row[1] is None or bytes(row[1]) != body_hash(body):
        return False
    vault.conn.execute("UPDATE events SET body = ?, body_hash = NULL WHERE id = ?", (body, row[0]))
    return True


def _purge(vault: Vault, targets: list[tuple[int, bytes]], by: bytes) -> set[str]:
    """Delete the bodies of ``targets``; rebuild the projections that had folded them in."""
    conn = vault.conn
    kinds: set[str] = set()
    for hlc, eid in targets:
        conn.execute("INSERT OR IGNORE INTO redacted VALUES (?, ?)", (eid, by))
        row = conn.execute("SELECT kind, body FROM events WHERE hlc = ? AND eid = ? AND body IS NOT NULL",
                           (hlc, eid)).fetchone()
        if row is not None:
            kinds.add(row[0])
            conn.execute("UPDATE events SET body = NULL, body_hash = ? WHERE hlc = ? AND eid = ?",
                         (body_hash(row[1]), hlc, eid))
    for p in vault._projections:
        if p.kinds & kinds:
            vault._rebuild_body(p)
    return kinds


def redact(vault: Vault, ids: Iterable[bytes], reason: str = "") -> int:
    """Purge the payloads of events ``ids`` here and, as the redaction travels, everywhere.

    Returns how many payloads were deleted in this vault.
    """
    ids = [bytes(i) for i in ids]
    if not ids:
        raise InvalidInput("error.nothing_to_redact")
    with vault.transaction() as tx:
        # A scan: redaction is rare, and events are indexed by (hlc, id), not id alone.
        targets = [(r[0], bytes(r[1])) for r in vault.query(
            f"SELECT hlc, eid FROM events WHERE body IS NOT NULL AND eid IN ({', '.join('?' * len(ids))})", ids)]
        if not targets:
            raise InvalidInput("error.nothing_to_redact")
        ev = tx.append("vault.redact", Redact(targets=targets, reason=reason))
        tx.flush()
        _purge(vault, targets, ev.id)
    return len(targets)


