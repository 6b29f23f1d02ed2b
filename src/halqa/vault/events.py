"""Events, hybrid logical clocks and signed commits.

An *event* is an immutable fact: random 128-bit id, kind (``"note.put"``), author device, hybrid
logical clock (HLC) timestamp and a payload. Payloads are ``msgspec`` structs registered per kind
and encoded as MessagePack in canonical form (struct fields in declaration order, map keys
sorted), so the same fact always has the same bytes on every device.

The stored payload body is ``salt(16) || msgpack``; the event hash covers
``BLAKE2b(body)``, never the payload itself. Redaction deletes the body (and with it the salt),
so a redacted event still verifies inside its signed commit, yet a low-entropy payload (a name)
cannot be recovered by guessing it against the hash.

A *commit* groups the events written in one transaction and is signed by the device's Ed25519
key. Its id is the BLAKE2b hash of its signed header; its digest covers the ordered event hashes.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from halqa.errors import InvalidInput, VaultCorrupt

__all__ = [
    "HLC",
    "Commit",
    "Event",
    "check_payload",
    "decode_payload",
    "encode_payload",
    "event_hash",
    "kind_type",
    "register_kind",
    "registered_kinds",
    "wall_ns",
]

_KINDS: dict[str, type[msgspec.Struct]] = {}
_ENCODER = msgspec.msgpack.Encoder(order="deterministic")
_DECODERS: dict[str, msgspec.msgpack.Decoder] = {}
_GENERIC = msgspec.msgpack.Decoder()


def register_kind(kind: str, payload_type: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """Declare the payload struct of an event kind. Kinds are ``domain.verb`` strings."""
    if "." not in kind:
        raise ValueError(f"event kind must look like 'domain.verb': {kind!r}")
    existing = _KINDS.get(kind)
    if existing is not None and existing is not payload_type:
        raise ValueError(f"event kind {kind!r} is already registered")
    _KINDS[kind] = payload_type
    _DECODERS[kind] = msgspec.msgpack.Decoder(payload_type)
    return payload_type


def registered_kinds() -> dict[str, type[msgspec.Struct]]:
    """Every registered kind and its payload type."""
    return dict(_KINDS)


def kind_type(kind: str) -> type[msgspec.Struct]:
    try:
        return _KINDS[kind]
    except KeyError:
        raise InvalidInput("error.unknown_kind", kind=kind) from None


def encode_payload(kind: str, payload: Any) -> bytes:
    """Validate ``payload`` against the kind's struct and return the canonical stored body."""
    return validate_and_encode(kind, payload)[1]


def validate_and_encode(kind: str, payload: Any) -> tuple[msgspec.Struct, bytes]:
    """``(struct, body)``: the payload as the kind's struct, and its canonical stored body."""
    return encode_salted(kind, payload, os.urandom(16))


def encode_salted(kind: str, payload: Any, salt: bytes) -> tuple[msgspec.Struct, bytes]:
    """:func:`validate_and_encode` with the 16-byte ``salt`` given (a writer draws many at once)."""
    ptype = kind_type(kind)
    if type(payload) is not ptype:
        if isinstance(payload, dict):
            try:
                payload = msgspec.convert(payload, ptype)
            except msgspec.ValidationError as exc:
                raise InvalidInput("error.bad_payload", kind=kind, detail=str(exc)) from None
        elif not isinstance(payload, ptype):
            raise InvalidInput("error.bad_payload", kind=kind, detail=type(payload).__name__)
    check_payload(kind, payload)
    return payload, salt + _ENCODER.encode(payload)


def kind_checker(kind: str) -> tuple[type[msgspec.Struct], Any]:
    """``(struct, check)``: the kind's payload struct and its ``check`` function (or ``None``).

    For a payload whose type is exactly ``struct``, ``check(payload)`` then ``salt +
    encode(payload)`` is what :func:`encode_salted` does (a writer looks this up once per kind
    instead of three calls per event); any other payload must go through :func:`encode_salted`."""
    ptype = kind_type(kind)
    return ptype, getattr(ptype, "check", None)


#: The canonical MessagePack of a payload already checked against its kind's struct (the
#: encoder's own method: no Python call between the writer and C).
encode = _ENCODER.encode


def check_payload(kind: str, payload: Any) -> None:
    """The rules a payload must meet, the same for a local write and an imported event: its
    struct's ``check()`` method, if it has one, raises :class:`InvalidInput`."""
    check = getattr(payload, "check", None)
    if check is not None:
        check()


def decode_payload(kind: str, body: bytes | None) -> Any:
    """Decode a stored body to the kind's struct (``None`` when redacted).

    Unknown kinds (from a newer device) decode to plain Python values instead of failing.
    """
    if body is None:
        return None
    dec = _DECODERS.get(kind, _GENERIC)
    try:
        return dec.decode(body[16:])
    except (msgspec.DecodeError, UnicodeDecodeError):  # a string that is not UTF-8 (found by fuzz/)
        raise VaultCorrupt("error.corrupt_event", kind=kind) from None


# Unkeyed BLAKE2b states with their personalisation set once: copying one is cheaper than
# building a new hasher per event (two per event on the append path).
_EVENT_H = hashlib.blake2b(digest_size=32, person=b"halqa-event-v1")
_BODY_H = hashlib.blake2b(digest_size=32, person=b"halqa-body-v1")
_HLC = struct.Struct("<Q")


def event_hash(eid: bytes, kind: str, device: bytes, hlc: int, body_hash: bytes) -> bytes:
    """BLAKE2b-256 over the event's identity and the hash of its body."""
    return event_hash_with(hash_prefix(kind, device), eid, hlc, body_hash)


def hash_prefix(kind: str, device: bytes) -> bytes:
    """The part of an event's hashed identity fixed by its kind and device (a writer keeps it)."""
    k = kind.encode("utf-8")
    return struct.pack("<H", len(k)) + k + device


def event_hash_with(prefix: bytes, eid: bytes, hlc: int, body_hash: bytes) -> bytes:
    """:func:`event_hash` with the kind and device given as :func:`hash_prefix`."""
    h = _EVENT_H.copy()
    h.update(eid + prefix + _HLC.pack(hlc) + body_hash)
    return h.digest()


def body_hash(body: bytes) -> bytes:
    h = _BODY_H.copy()
    h.update(body)
    return h.digest()


def event_hashes(rows: Iterable[tuple[bytes, Any, str, Any, int, bytes]], prefixes: dict[str, bytes]) -> list[bytes]:
    """:func:`event_hash_with` of each stored row ``(eid, _, kind, _, hlc, body)`` with its body's
    :func:`body_hash`, ``prefixes`` giving each kind's :func:`hash_prefix`: the same bytes, in one
    loop (a writer hashes a buffer of events at once, without two calls per event)."""
    event_h, body_h, pack = _EVENT_H.copy, _BODY_H.copy, _HLC.pack
    out = []
    for eid, _, kind, _, hlc, body in rows:
        b = body_h()
        b.update(body)
        e = event_h()
        e.update(eid + prefixes[kind] + pack(hlc) + b.digest())
        out.append(e.digest())
    return out


class Event(msgspec.Struct, frozen=True, gc=False):
    """One event as read back from the vault (a frozen struct: a rebuild makes a million).

    Not tracked by the garbage collector (``gc=False``): an event only refers to its payload,
    never back, so it cannot close a cycle, and the thousands a commit holds made the
    collector's passes about 3% of an append's CPU (1.2% without them, issue 19)."""

    id: bytes
    kind: str
    device: bytes  # author's Ed25519 public key
    hlc: int
    payload: Any  # the kind's struct, or None when redacted
    commit: bytes | None = None

    @property
    def wall_ms(self) -> int:
        """Milliseconds since the epoch (the physical part of the HLC)."""
        return HLC.wall(self.hlc)


def wall_ns() -> int:
    """The wall clock every part of the vault reads (one place, so tests can age a vault)."""
    return time.time_ns()


#: Kinds whose records promise a day, not a time (docs/threat-model.md, "Time"): their events'
#: clocks keep only the UTC day, so neither a bundle nor the vault says at what minute they were
#: written. Each entry is a whole family (``x.put``/``x.delete``): a projection's kinds are always
#: ordered on the same footing.
DAY_PRECISION: tuple[str, ...] = (
    "household.", "listening_grievance.", "listening_voice.", "circles_member.", "circles_vouch.",
    "circles_role.", "circles_held.", "learning_attendance.", "learning_checkin.", "learning_care.",
    "mutual_aid_entry.", "mutual_aid_pool.", "mutual_aid_loan.",
)
DAY_MS = 86_400_000
#: A day-precision clock is the day's first millisecond plus a counter; this much of the day's
#: start is reserved for counters (65,536 per millisecond: far more events than a day holds).
_DAY_SLACK_MS = 1000


def day_precision(kind: str) -> bool:
    return kind.startswith(DAY_PRECISION)


def is_day_clock(ts: int) -> bool:
    """Whether a clock value is a day-precision one (its wall part sits at a day's start)."""
    return (ts >> 16) % DAY_MS < _DAY_SLACK_MS


#: No clock a vault holds can be this far ahead of any device's wall clock: imports refuse clocks
#: more than a day ahead, and even a device whose clock was never set (1970) is less than a
#: century behind clocks written today. A stored clock beyond it was imported before the checks.
_IMPOSSIBLE_AHEAD_MS = 100 * 365 * DAY_MS


class HLC:
    """Hybrid logical clock (Kulkarni et al. 2014), packed as ``wall_ms << 16 | counter``.

    Stays monotonic when the system clock jumps back (phones with unset clocks) and moves past
    any timestamp received from another device, so a device's new events always sort last.

    Day-precision kinds tick a second clock (:meth:`tick_day`): ``day_start_ms << 16`` plus a
    counter that only grows, so within a day their events keep the order they were written in on
    this device, and across devices ties fall to the event id, as for any concurrent edits.
    """

    def __init__(self, last: int = 0, now_ms: Any = None, last_day: int = 0) -> None:
        self._now = now_ms or (lambda: wall_ns() // 1_000_000)
        self._lock = threading.Lock()
        # A vault that stored a clock from the far future before imports checked clocks (issue 13)
        # does not follow it: new events take the wall clock again instead of counting up to 2^63.
        ceiling = (self._now() + _IMPOSSIBLE_AHEAD_MS) << 16
        self.last = last if last <= ceiling else 0
        self.last_day = last_day if last_day <= ceiling else 0

    @staticmethod
    def wall(ts: int) -> int:
        return ts >> 16

    def now_ms(self) -> int:
        """The clock's physical time now (a decoy being built runs on a clock set in the past)."""
        return self._now()

    def tick_day(self) -> int:
        """The next day-precision timestamp: today's start (UTC) with a growing counter."""
        with self._lock:
            now = self._now()
            base = (now - now % DAY_MS) << 16
            self.last_day = base if base > self.last_day else self.last_day + 1
            return self.last_day

    def tick(self) -> int:
        with self._lock:
            physical = self._now() << 16
            self.last = physical if physical > self.last else self.last + 1
            return self.last

    def observe(self, remote: int) -> None:
        """Move past a timestamp received from elsewhere."""
        with self._lock:
            if is_day_clock(remote):
                self.last_day = max(self.last_day, remote)
            elif remote > self.last:
                self.last = remote


_COMMIT_HEAD = struct.Struct("<32sQQI32s")  # device, seq, hlc, count, digest


@dataclass(frozen=True, slots=True)
class Commit:
    """A signed group of events from one device."""

    device: bytes
    seq: int
    hlc: int
    event_hashes: tuple[bytes, ...]
    signature: bytes = b""

    @property
    def digest(self) -> bytes:
        # One update over the joined hashes: the same digest as one update per hash.
        return hashlib.blake2b(b"".join(self.event_hashes), digest_size=32, person=b"halqa-commit-v1").digest()

    def signed_bytes(self) -> bytes:
        return _COMMIT_HEAD.pack(self.device, self.seq, self.hlc, len(self.event_hashes), self.digest)

    @property
    def id(self) -> bytes:
        return hashlib.blake2b(self.signed_bytes() + self.signature, digest_size=32,
                               person=b"halqa-cid-v1").digest()

    def sign(self, key: SigningKey) -> Commit:
        sig = key.sign(self.signed_bytes()).signature
        return Commit(self.device, self.seq, self.hlc, self.event_hashes, sig)

    def verify(self) -> None:
        """Raise :class:`VaultCorrupt` unless the device's signature holds."""
        try:
            VerifyKey(self.device).verify(self.signed_bytes(), self.signature)
        except (BadSignatureError, ValueError):
            raise VaultCorrupt("error.bad_signature") from None


def hashes_of(rows: Iterable[tuple[bytes, str, bytes, int, bytes]]) -> tuple[bytes, ...]:
    """Event hashes for ``(id, kind, device, hlc, body_hash)`` rows, in the given order."""
    return tuple(event_hash(*r) for r in rows)
