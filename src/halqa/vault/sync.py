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

from collections.abc import Iterable

import msgspec

from halqa.errors import InvalidInput, VaultCorrupt
from halqa.vault.events import Commit, body_hash, event_hash, register_kind
from halqa.vault.store import Vault

__all__ = ["CommitRecord", "EventRecord", "Redact", "export_commits", "heads", "ingest", "redact"]


class Redact(msgspec.Struct):
    """Payload of ``vault.redact``: the events whose payloads must be purged everywhere."""

    ids: list[bytes]
    reason: str = ""


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
    """For each device, the highest commit sequence this vault holds (what it already has)."""
    return {bytes(r[0]): r[1] for r in vault.query(
        "SELECT d.pubkey, max(c.seq) FROM commits c JOIN devices d ON d.id = c.device "
        "WHERE c.cid IS NOT NULL GROUP BY d.pubkey")}


def export_commits(vault: Vault, have: dict[bytes, int] | None = None,
                   kinds: Iterable[str] | None = None) -> list[CommitRecord]:
    """Commits the holder of ``have`` (device -> highest seq) lacks; all when ``have`` is None.

    With ``kinds``, events of other kinds travel without their bodies (as if redacted) so the
    signature still verifies but their content stays home.
    """
    have = have or {}
    wanted = set(kinds) if kinds is not None else None
    out: list[CommitRecord] = []
    rows = vault.query("SELECT c.id, d.pubkey, c.seq, c.hlc, c.signature FROM commits c "
                       "JOIN devices d ON d.id = c.device WHERE c.cid IS NOT NULL ORDER BY c.hlc, c.id")
    for cid, device, seq, hlc, sig in rows:
        device = bytes(device)
        if seq <= have.get(device, 0):
            continue
        events = [EventRecord(bytes(e[0]), e[1], e[2], bytes(e[3]),
                              None if e[4] is None or (wanted is not None and e[1] not in wanted) else bytes(e[4]))
                  for e in vault.query("SELECT eid, kind, hlc, body_hash, body FROM events "
                                       "WHERE commit_id = ? ORDER BY id", (cid,))]
        out.append(CommitRecord(device, seq, hlc, bytes(sig), events))
    return out


def _verify(rec: CommitRecord) -> None:
    rec.commit().verify()
    for e in rec.events:
        if e.body is not None and body_hash(e.body) != e.body_hash:
            raise VaultCorrupt("error.bad_signature")


def ingest(vault: Vault, records: Iterable[CommitRecord]) -> dict[str, int]:
    """Verify every commit, then merge them all in one transaction (nothing written if any
    fails). Returns counts of new commits and events and of ones already present."""
    records = list(records)
    for rec in records:
        _verify(rec)
    new_commits = new_events = 0
    with vault.transaction():
        conn = vault.conn
        for rec in records:
            dev = vault._device_row(rec.device)
            cid = rec.commit().id
            if conn.execute("SELECT 1 FROM commits WHERE cid = ?", (cid,)).fetchone():
                continue
            clash = conn.execute("SELECT 1 FROM commits WHERE device = ? AND seq = ?", (dev, rec.seq)).fetchone()
            if clash:
                # Same device and sequence, different content: a forked or forged history.
                raise VaultCorrupt("error.bad_signature")
            cur = conn.execute("INSERT INTO commits (cid, device, seq, hlc, n, signature, received) "
                               "VALUES (?, ?, ?, ?, ?, ?, 1)",
                               (cid, dev, rec.seq, rec.hlc, len(rec.events), rec.signature))
            new_commits += 1
            for e in rec.events:
                body = e.body
                if body is not None and conn.execute("SELECT 1 FROM redacted WHERE eid = ?", (e.id,)).fetchone():
                    body = None
                done = conn.execute("INSERT OR IGNORE INTO events (eid, commit_id, kind, device, hlc, body, body_hash) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    (e.id, cur.lastrowid, e.kind, dev, e.hlc, body, e.body_hash))
                new_events += done.rowcount
                vault.hlc.observe(e.hlc)
                if e.kind == "vault.redact" and body is not None:
                    _purge(vault, msgspec.msgpack.decode(body[16:], type=Redact).ids, e.id)
        vault._set_meta("hlc", vault.hlc.last)
        vault._sync_projections()
    return {"commits": new_commits, "events": new_events, "duplicates": len(records) - new_commits}


def _purge(vault: Vault, ids: list[bytes], by: bytes) -> set[str]:
    """Delete the bodies of ``ids``; return the kinds whose projections must be rebuilt."""
    conn = vault.conn
    kinds: set[str] = set()
    for eid in ids:
        conn.execute("INSERT OR IGNORE INTO redacted VALUES (?, ?)", (eid, by))
        row = conn.execute("SELECT kind FROM events WHERE eid = ? AND body IS NOT NULL", (eid,)).fetchone()
        if row is not None:
            kinds.add(row[0])
            conn.execute("UPDATE events SET body = NULL WHERE eid = ?", (eid,))
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
        known = {bytes(r[0]) for r in vault.query(
            f"SELECT eid FROM events WHERE body IS NOT NULL AND eid IN ({', '.join('?' * len(ids))})", ids)}
        ev = tx.append("vault.redact", Redact(ids=ids, reason=reason))
        tx.flush()
        _purge(vault, ids, ev.id)
    return len(known)


