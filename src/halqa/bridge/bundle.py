"""Sealed bundles: the inner format, sealing with age, export and import.

A bundle file is an age file (X25519 recipients, binary format) whose plaintext is the *inner
bundle* documented in ``docs/bundle-format.md``::

    b"halqa-bundle v1\\n"            16 bytes, magic and version
    u32 LE  header length H         (H <= 1 MiB)
    header                          canonical MessagePack map (BundleHeader)
    body                            MessagePack array of CommitRecord (see halqa.vault.sync)
    signature                       64 bytes: the sender device's Ed25519 signature over
                                    BLAKE2b-256("halqa-bundle-sig-v1"; magic || u32 || header)

The header names the sender, the recipients, a random bundle id, what the sender holds, and the
length and BLAKE2b-256 hash of the body, so the one signature covers everything. Import checks, in
order and before writing anything: size limit, age decryption (wrong recipient or damaged file),
magic and version, lengths (truncation), sender signature, body hash, that this vault is one of
the named recipients (a bundle re-sealed by a recipient to someone else is refused), that the
sender is a known contact (or this very device), that the bundle id was never imported (replay),
that every commit signature and event hash holds, and for aggregate bundles that they carry only
aggregate events by their sender. Then everything is merged in one transaction.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pyrage
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pyrage import x25519

from halqa.bridge.aggregates import CellCount, snapshot
from halqa.bridge.events import UNSET, KnownPut, SeenPut, Unset
from halqa.bridge.keys import age_identity, age_recipient
from halqa.bridge.read import Contact, bundle_seen, contact_for_sender, get_contact, import_grants, known_heads
from halqa.errors import HalqaError, InvalidInput
from halqa.vault import CommitRecord, Vault, events, export_commits, heads, ingest, verify_commit
from halqa.vault.authz import AGGREGATE_KIND, authorise, check_clock, sent_kinds
from halqa.vault.values import day_start_ms, new_id, today

__all__ = ["BundleHeader", "BundleInvalid", "BundleSent", "ImportCounts", "ImportResult", "check_bundle", "check_opened",
           "export_bundle", "import_bundle", "note_bundle",
           "open_bundle", "read_inner", "seal", "write_inner"]

MAGIC = b"halqa-bundle v1\n"
VERSION = 1
MAX_HEADER = 1 << 20
SIG_LEN = 64
#: Bundles larger than this are refused before decryption (override with ``max_bytes``).
DEFAULT_MAX_BYTES = 1 << 30
KINDS = ("commits", "aggregates")


class BundleInvalid(InvalidInput):
    """A bundle that cannot be accepted: damaged, truncated, tampered, not for us, from a
    stranger, or already imported. Nothing was written."""

    default_msg = "bridge.bundle_invalid"


class BundleHeader(msgspec.Struct, kw_only=True):
    """The signed header of an inner bundle (version 1)."""

    version: int
    bundle_id: bytes  # 16 random bytes
    kind: str  # "commits" or "aggregates"
    sender: bytes  # Ed25519 public key of the sending device
    sender_age: str  # its age1... recipient (to reply to)
    recipients: list[str]  # age1... recipients the bundle was sealed to
    created_ms: int  # the UTC day's first millisecond (older bundles: the millisecond)
    heads: dict[str, int]  # what the sender holds: author device (hex) -> highest commit sequence
    commits: int
    events: int
    body_len: int
    body_hash: bytes  # BLAKE2b-256, personalisation "halqa-bundle-v1"


_ENC = msgspec.msgpack.Encoder(order="deterministic")
_HEADER_DEC = msgspec.msgpack.Decoder(BundleHeader)
_BODY_DEC = msgspec.msgpack.Decoder(list[CommitRecord])


def _body_hash(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=32, person=b"halqa-bundle-v1").digest()


def _sig_digest(prefix: bytes) -> bytes:
    return hashlib.blake2b(prefix, digest_size=32, person=b"halqa-bundle-sig").digest()


# ---------------------------------------------------------------------------- inner bundle
def write_inner(vault: Vault, records: Sequence[CommitRecord], recipients: Sequence[str], kind: str = "commits",
                bundle_id: bytes | None = None) -> tuple[BundleHeader, bytes]:
    """Encode and sign an inner bundle from this vault's device; return ``(header, bytes)``."""
    body = _ENC.encode(list(records))
    header = BundleHeader(version=VERSION, bundle_id=bundle_id or os.urandom(16), kind=kind, sender=vault.device_id,
                          sender_age=age_recipient(vault), recipients=sorted(set(recipients)),
                          created_ms=day_start_ms(events.wall_ns() // 1_000_000),
                          heads={d.hex(): s for d, s in heads(vault).items()}, commits=len(records),
                          events=sum(len(r.events) for r in records), body_len=len(body), body_hash=_body_hash(body))
    head = _ENC.encode(header)
    prefix = MAGIC + struct.pack("<I", len(head)) + head
    signature = vault.device_key.sign(_sig_digest(prefix)).signature
    return header, b"".join((prefix, body, signature))


def read_inner(data: bytes) -> tuple[BundleHeader, list[CommitRecord]]:
    """Parse and check an inner bundle: magic, lengths, sender signature, body hash. Commit
    signatures are checked on import. Raises :class:`BundleInvalid`."""
    if len(data) < len(MAGIC) + 4 or not data.startswith(MAGIC):
        if data.startswith(b"halqa-bundle v"):
            raise BundleInvalid("bridge.bundle_version")
        raise BundleInvalid("bridge.bundle_not_halqa")
    off = len(MAGIC)
    (hlen,) = struct.unpack_from("<I", data, off)
    off += 4
    if hlen > MAX_HEADER or off + hlen + SIG_LEN > len(data):
        raise BundleInvalid("bridge.bundle_truncated")
    try:
        header = _HEADER_DEC.decode(data[off:off + hlen])
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec raises the latter for bad UTF-8 strings
        raise BundleInvalid("bridge.bundle_damaged") from None
    if header.version != VERSION:
        raise BundleInvalid("bridge.bundle_version")
    prefix_end = off + hlen
    if len(data) != prefix_end + header.body_len + SIG_LEN:
        raise BundleInvalid("bridge.bundle_truncated")
    signature = data[-SIG_LEN:]
    try:
        VerifyKey(header.sender).verify(_sig_digest(data[:prefix_end]), signature)
    except (BadSignatureError, ValueError):
        raise BundleInvalid("bridge.bundle_tampered") from None
    body = data[prefix_end:prefix_end + header.body_len]
    if _body_hash(body) != header.body_hash:
        raise BundleInvalid("bridge.bundle_tampered")
    try:
        records = _BODY_DEC.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise BundleInvalid("bridge.bundle_damaged") from None
    if header.kind not in KINDS or len(records) != header.commits:
        raise BundleInvalid("bridge.bundle_damaged")
    return header, records


# ---------------------------------------------------------------------------- age
def seal(plaintext: bytes, recipients: Iterable[str]) -> bytes:
    """Encrypt to age X25519 recipients (binary age format)."""
    try:
        return pyrage.encrypt(plaintext, [x25519.Recipient.from_str(r) for r in recipients])
    except Exception as exc:  # pyrage raises its own error types
        raise InvalidInput("bridge.bad_recipient", key=str(exc)[:80]) from None


def open_bundle(vault: Vault, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[BundleHeader, list[CommitRecord]]:
    """Decrypt a bundle with this vault's identity and check it (see :func:`read_inner`), including
    that this vault is a named recipient."""
    if len(data) > max_bytes:
        raise BundleInvalid("bridge.bundle_too_large", size=len(data), limit=max_bytes)
    if not data.startswith(b"age-encryption.org/") and not data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"):
        raise BundleInvalid("bridge.bundle_not_age")
    try:
        inner = pyrage.decrypt(data, [age_identity(vault)])
    except Exception as exc:
        text = str(exc).lower()
        if "no matching" in text or "no identity" in text:
            raise BundleInvalid("bridge.bundle_not_for_us") from None
        raise BundleInvalid("bridge.bundle_damaged") from None
    header, records = read_inner(inner)
    if age_recipient(vault) not in header.recipients:
        raise BundleInvalid("bridge.bundle_forwarded")
    return header, records


# ---------------------------------------------------------------------------- export
class BundleSent(msgspec.Struct, kw_only=True, frozen=True):
    """A sealed bundle: what it carries and to whom; ``aggregates`` (per dataset, cells sent and
    withheld) when it carries a snapshot; the sealed bytes under ``data``, or the ``file`` they
    were written to."""

    bundle_id: str
    kind: str
    recipients: list[str]
    roles: list[str]
    commits: int
    events: int
    size: int = msgspec.field(name="bytes")  # of the sealed bundle
    aggregates: dict[str, CellCount] | Unset = UNSET
    data: bytes | Unset = UNSET
    file: str | Unset = UNSET


def _have_for(vault: Vault, contacts: list[Contact]) -> dict[bytes, int]:
    """What *every* recipient holds: per author device, the least they are known to hold."""
    per = [known_heads(vault, c.key) for c in contacts]
    devices = set().union(*per) if per else set()
    return {d: min(h.get(d, 0) for h in per) for d in devices if all(d in h for h in per)}


def _since_hlc(since: str) -> int:
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(since)
    except ValueError:
        raise InvalidInput("bridge.bad_since", since=since) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000) << 16


def export_bundle(vault: Vault, to: Sequence[str], output: str | os.PathLike[str] | None = None,
                  since: str | None = None, kinds: Sequence[str] | None = None, aggregate_only: bool | None = None,
                  everything: bool = False, threshold: int = 5, label: str = "", mark_sent: bool = True) -> BundleSent:
    """Seal a bundle to the named contacts, as their roles allow, and write it to ``output`` (or
    return its bytes as ``data`` when ``output`` is None).

    To ``device`` contacts (this circle's other devices) a commit bundle: the commits they are not
    known to hold (all of them with ``everything``; those from ``since``, an ISO day or time, on);
    ``kinds`` limits which event payloads travel (others go without their bodies). To any other
    role (and with ``aggregate_only``) no member, household or text travels: a fresh aggregate
    snapshot (counts per theme/area/week, outage minutes per area/day, cells below ``threshold``
    suppressed) signed by this device, if that role lets this vault send aggregates, plus this
    device's own contributions it lets this vault author there (e.g. an ally's tactic entries).
    Asking for commits (``everything``, ``since``, ``kinds`` or ``aggregate_only=False``) for a
    recipient that is not a ``device`` raises :class:`InvalidInput` (exit code 2).

    With ``mark_sent`` (the default) device recipients are then taken to hold what was sent, so
    the next bundle carries only what is newer; ``everything`` resends all.
    """
    if not to:
        raise InvalidInput("bridge.need_recipient")
    recipients = [get_contact(vault, name) for name in to]
    check_clock(vault)
    keys = sorted({c.age_recipient for c in recipients})
    others = [c for c in recipients if c.role != "device"]
    if others and (everything or since or kinds or aggregate_only is False):
        raise InvalidInput("bridge.full_needs_device", name=others[0].name, role=others[0].role)
    suppression: dict[str, CellCount] = {}
    if aggregate_only or others:
        records, suppression = _role_records(vault, [c.role for c in recipients], threshold, label)
        kind = "aggregates" if all(e.kind == AGGREGATE_KIND for r in records for e in r.events) else "commits"
    else:
        kind = "commits"
        have = {} if everything or since else _have_for(vault, recipients)
        records = export_commits(vault, have, kinds)
        if since:
            cut = _since_hlc(since)
            records = [r for r in records if r.hlc >= cut]
        if records and mark_sent and not kinds and not since:
            records += _mark_sent(vault, recipients, records)
    header, inner = write_inner(vault, records, keys, kind)
    sealed = seal(inner, keys)
    if output is not None:
        _write_atomic(Path(output), sealed)
    return BundleSent(bundle_id=header.bundle_id.hex(), kind=kind, recipients=[c.name for c in recipients],
                      roles=[c.role for c in recipients], commits=header.commits, events=header.events, size=len(sealed),
                      aggregates=suppression or UNSET, data=sealed if output is None else UNSET,
                      file=UNSET if output is None else str(output))


def _role_records(vault: Vault, roles: Sequence[str], threshold: int, label: str
                  ) -> tuple[list[CommitRecord], dict[str, CellCount]]:
    """What recipients of ``roles`` get instead of commits (:func:`halqa.vault.authz.sent_kinds`,
    the kinds every one of them takes; a device asked for aggregates takes the snapshot): a fresh
    aggregate snapshot if that kind is among them, and this device's own commits of those kinds."""
    allowed = set.intersection(*(set(sent_kinds(role) or {AGGREGATE_KIND}) for role in roles))
    have = {d: 1 << 62 for d in heads(vault) if d != vault.device_id}
    records = [r for r in export_commits(vault, have) if r.events and all(
        e.kind in allowed and e.kind != AGGREGATE_KIND and e.body is not None for e in r.events)]
    suppression: dict[str, CellCount] = {}
    if AGGREGATE_KIND in allowed:
        before = int(vault.meta("seq"))
        snaps = snapshot(vault, threshold=threshold, label=label)
        # Only the snapshot's own commit travels: everything else counts as already held.
        have = {d: 1 << 62 for d in heads(vault)}
        have[vault.device_id] = before
        records += export_commits(vault, have, [AGGREGATE_KIND])
        suppression = {s.dataset: CellCount(cells=s.cells, suppressed=s.suppressed) for s in snaps}
    return records, suppression


def _mark_sent(vault: Vault, recipients: list[Contact], records: list[CommitRecord]) -> list[CommitRecord]:
    """Record that the recipients will hold what is sent (so the next bundle carries only what is
    newer); the record's own commit travels in the same bundle. Returns that commit."""
    before = int(vault.meta("seq"))
    sent = _record_heads(records)
    sent[vault.device_id] = before + 1  # the commit holding these records
    with vault.transaction() as tx:
        for c in recipients:
            tx.append("bridge_known.put", KnownPut(id=new_id(), contact=c.key, how="sent",
                                                   heads={d.hex(): s for d, s in sent.items()}))
    have = {d: 1 << 62 for d in heads(vault)}
    have[vault.device_id] = before
    return export_commits(vault, have)


def _record_heads(records: Sequence[CommitRecord]) -> dict[bytes, int]:
    """Per author device, the highest commit sequence in ``records``."""
    out: dict[bytes, int] = {}
    for r in records:
        out[r.device] = max(out.get(r.device, 0), r.seq)
    return out


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput("bridge.cannot_write", path=str(path), detail=exc.strerror or str(exc)) from None


# ---------------------------------------------------------------------------- import
class ImportCounts(msgspec.Struct, kw_only=True, frozen=True):
    """What an import added: new commits, commits already held, new events."""

    commits_new: int
    commits_known: int
    events_new: int


@dataclass
class ImportResult:
    """What an import changed."""

    commits_new: int
    commits_known: int
    events_new: int
    sender: str
    kind: str
    bundle_id: str

    def as_dict(self) -> dict[str, int]:
        return {"commits_new": self.commits_new, "commits_known": self.commits_known, "events_new": self.events_new}

    def counts(self) -> ImportCounts:
        return ImportCounts(**self.as_dict())


def _check_records(header: BundleHeader, records: list[CommitRecord]) -> None:
    events = 0
    for rec in records:
        try:
            verify_commit(rec)
        except HalqaError:
            raise BundleInvalid("bridge.bundle_tampered") from None
        events += len(rec.events)
        if header.kind == "aggregates" and (rec.device != header.sender
                                            or any(e.kind != AGGREGATE_KIND for e in rec.events)):
            raise BundleInvalid("bridge.bundle_not_aggregate")
    if events != header.events:
        raise BundleInvalid("bridge.bundle_damaged")


def read_bundle_file(source: str | os.PathLike[str] | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a bundle file, refusing files over ``max_bytes`` before reading them."""
    if isinstance(source, bytes):
        return source
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BundleInvalid("bridge.bundle_too_large", size=size, limit=max_bytes)
        return path.read_bytes()
    except OSError:
        raise InvalidInput("error.file_missing", path=str(path)) from None


def check_bundle(vault: Vault, source: str | os.PathLike[str] | bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                 accept: Sequence[str] = KINDS, seen: Collection[str] = ()) -> tuple[BundleHeader, list[CommitRecord]]:
    """Everything :func:`import_bundle` checks before authorising, with nothing written: open and
    verify the bundle, its sender, its kind (``accept``), that its id is neither imported nor among
    ``seen`` (bundle ids, hex, of a batch being imported), every commit signature and event hash."""
    data = read_bundle_file(source, max_bytes)
    header, records = open_bundle(vault, data, max_bytes)
    check_opened(vault, header, records, accept, seen, lambda key: contact_for_sender(vault, key) is not None,
                 lambda bid: bundle_seen(vault, bid))
    return header, records


def check_opened(vault: Vault, header: BundleHeader, records: list[CommitRecord], accept: Sequence[str],
                 seen: Collection[str], known_sender: Callable[[bytes], bool], imported: Callable[[str], bool]) -> None:
    """:func:`check_bundle`'s checks of an opened bundle, in its order: the sender is this vault or
    ``known_sender``, the kind is in ``accept``, the id is neither among ``seen`` nor ``imported``,
    every commit and event verifies (a batch asks the vault for senders and ids once)."""
    if header.sender != vault.device_id and not known_sender(header.sender):
        raise BundleInvalid("bridge.bundle_unknown_sender", fingerprint=header.sender.hex()[:16])
    if header.kind not in accept:
        raise BundleInvalid("bridge.bundle_kind_refused", kind=header.kind)
    bid = header.bundle_id.hex()
    if bid in seen or imported(bid):
        raise BundleInvalid("bridge.bundle_replayed", bundle=bid)
    _check_records(header, records)


def note_bundle(tx: Any, header: BundleHeader) -> None:
    """In the import's transaction ``tx``: the bundle is seen (a replay is refused), and what its
    sender says it holds."""
    tx.append("bridge_seen.put", SeenPut(id=header.bundle_id.hex(), sender=header.sender.hex(), kind=header.kind,
                                         day=today()))
    if header.heads and header.kind == "commits":
        tx.append("bridge_known.put", KnownPut(id=new_id(), contact=header.sender.hex(), how="ack",
                                               heads=dict(header.heads)))


def import_bundle(vault: Vault, source: str | os.PathLike[str] | bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                  accept: Sequence[str] = KINDS) -> ImportResult:
    """Verify and authorise a bundle completely, then merge it in one transaction (nothing written
    if any check fails). Raises :class:`BundleInvalid` or :class:`halqa.vault.authz.Unauthorised`
    (exit code 2) for anything damaged, truncated, tampered, sealed to someone else, from an
    unknown sender, already imported, or carrying an event its author's role may not author here
    (:mod:`halqa.vault.authz`). ``accept`` names the bundle kinds taken (a hub takes only
    ``("aggregates",)`` so no member data lands there)."""
    header, records = check_bundle(vault, source, max_bytes, accept)
    approved = authorise(vault, records, import_grants(vault, records))
    with vault.transaction() as tx:
        note_bundle(tx, header)
        # Our own events must take their ids before the merge adds more (commit ranges are contiguous).
        tx.flush()
        try:
            counts = ingest(vault, approved)
        except HalqaError:
            raise BundleInvalid("bridge.bundle_conflict") from None
    return ImportResult(counts["commits"], counts["duplicates"], counts["events"], header.sender.hex(), header.kind,
                        header.bundle_id.hex())
