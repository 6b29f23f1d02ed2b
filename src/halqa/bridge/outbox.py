"""A member phone's sealed outbox, on the vault's side: reading it and importing it under the
member's role (format in ``docs/bundle-format.md``, *Member outbox*).

The phone seals each entry at once to the circle's age recipient, after signing it with its own
Ed25519 key (registered at pairing as a ``member`` contact tied to one household); it keeps only
ciphertext. Import is all or nothing:

1. the file parses, every entry opens with this vault's age identity, its signature holds under a
   known contact's key, and its body is well formed; any failure refuses the whole file
   (:class:`OutboxInvalid`, exit code 2);
2. every entry's time is the phone's clock corrected by the offset measured at its last sync
   (:func:`corrected_ms`); a time that cannot be right (before 2025, ahead of this device's clock,
   or a phone clock that went back after its sync) refuses the whole file;
3. every event built from the entries is authorised by the same rules as a bundle's
   (:mod:`halqa.vault.authz`): the author must be a ``member``, its ledger entries must name its
   own household (the phone never names it: the contact's household is used) and its check-ins
   the circle it was paired for (the contact's circle, used when the phone names none);
4. the events and one receipt per entry (``bridge_outbox.put``) are written in one transaction.
   An entry whose receipt exists is a duplicate: a re-sent outbox adds nothing.

The answer names every entry the vault now holds (``held``), so the phone can drop them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pyrage
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from halqa.bridge.events import ReceiptPut
from halqa.bridge.keys import age_identity
from halqa.bridge.read import import_grants, outbox_held, outbox_opened_by, outbox_opened_records
from halqa.errors import InvalidInput
from halqa.learning.events import CheckinPut, iso_week
from halqa.ledger import open_outages
from halqa.ledger.events import DEFAULT_TZ, IntervalPut, WaterPut, local_seconds
from halqa.listening.events import MAX_VOICE_BYTES, VoicePut
from halqa.listening.write import Vocabulary, build_grievance
from halqa.places import household_area
from halqa.vault import Vault
from halqa.vault.authz import MIN_WALL_MS, Grant, Unauthorised, check_rule, max_ahead_ms, rule_for
from halqa.vault.events import check_payload
from halqa.vault.values import new_id, today

__all__ = ["FORMAT", "MAX_ENTRIES", "OutboxInvalid", "OutboxResult", "corrected_ms", "import_outbox", "is_outbox",
           "outbox_file", "read_outbox", "seal_entry"]

FORMAT = "halqa-outbox"
VERSION = 1
#: What an entry's signature covers, before its body (domain separation).
CONTEXT = b"halqa-outbox-entry-v1\n"
TYPES = ("power-off", "power-on", "grievance", "water", "checkin")
#: The most entries one outbox may carry (weeks of a household's entries are a few hundred).
MAX_ENTRIES = 50_000
#: A phone clock may run this far back between two taps without its offset being doubted.
CLOCK_SLACK_MS = 60_000
_ID = re.compile(r"^[0-9a-f]{32}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX128 = re.compile(r"^[0-9a-f]{128}$")


class OutboxInvalid(InvalidInput):
    """A damaged, truncated, tampered or foreign outbox. Nothing was written."""

    default_msg = "outbox.invalid"


class _Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An entry as the phone wrote it (inside the signature, inside the age ciphertext)."""

    id: str
    type: str
    at: int  # the phone's clock, ms since the epoch
    offset: int  # the server's clock minus the phone's, measured at the last sync (ms)
    synced_at: int  # the phone's clock at that sync (ms)
    household: str | None = None  # never sent by the app: the contact's household is used
    theme: str | None = None
    place: str | None = None
    text: str | None = None
    voice: str | None = None  # a voice note recorded in the browser, base64
    voice_mime: str | None = None
    no_water: bool = False
    litres_bought: int = 0
    spent: str = "0"
    score: int | None = None
    circle: str | None = None  # must be the contact's circle (used when absent)


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    v: int
    key: str
    sig: str
    body: str


@dataclass
class Entry:
    """One opened, verified entry."""

    id: str
    author: bytes
    grant: Grant
    body: _Body
    at_ms: int  # corrected time


@dataclass
class OutboxResult:
    added: int = 0  # entries stored now
    duplicates: int = 0  # entries this vault already held
    events: int = 0
    unmatched: int = 0  # power taps that changed nothing (back while on, off while off): receipts only
    held: list[str] = field(default_factory=list)  # every entry id of the file, now in the vault


def is_outbox(data: bytes) -> bool:
    """Whether ``data`` looks like an outbox file (JSON naming its format), not an age bundle."""
    head = data[:200].lstrip()
    return head.startswith(b"{") and FORMAT.encode() in head


def _fail(what: str, **params: Any) -> OutboxInvalid:
    return OutboxInvalid("outbox.invalid", reason=what, **params)


def _parse_file(data: bytes) -> list[tuple[str, bytes]]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _fail("json") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise _fail("format")
    items = doc.get("entries")
    if not isinstance(items, list) or len(items) > MAX_ENTRIES:
        raise _fail("entries")
    out: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("age"), str):
            raise _fail("entries")
        eid = item["id"]
        if not _ID.match(eid) or eid in seen:
            raise _fail("id")
        seen.add(eid)
        try:
            out.append((eid, base64.b64decode(item["age"], validate=True)))
        except (binascii.Error, ValueError):
            raise _fail("base64") from None
    return out


def corrected_ms(body: _Body, now_ms: int, ahead_ms: int) -> int:
    """The entry's time on the vault's clock: the phone's clock plus the offset measured at its
    last sync. Refused (:class:`OutboxInvalid`) when that cannot be right: the phone's clock went
    back after its sync (its offset no longer holds), or the result is before 2025 or ahead of
    this device's clock by more than ``ahead_ms``."""
    when = body.at + body.offset
    if body.at + CLOCK_SLACK_MS < body.synced_at:
        raise OutboxInvalid("outbox.clock_went_back", at=_iso(body.at), synced=_iso(body.synced_at))
    if not MIN_WALL_MS <= when <= now_ms + ahead_ms:
        raise OutboxInvalid("outbox.clock_wrong", at=_iso(body.at), corrected=_iso(when))
    return when


def _iso(ms: int) -> str:
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(ms)


def read_outbox(vault: Vault, data: bytes, now_ms: int | None = None) -> list[Entry]:
    """Open and verify every entry of an outbox file (nothing is written). Raises
    :class:`OutboxInvalid` or :class:`~halqa.vault.authz.Unauthorised` for the whole file."""
    now = int(datetime.now(UTC).timestamp() * 1000) if now_ms is None else now_ms
    ahead = max_ahead_ms(vault)
    identity = age_identity(vault)
    grants: dict[bytes, Grant] | None = None
    entries = []
    for eid, sealed in _parse_file(data):
        try:
            envelope = msgspec.json.decode(pyrage.decrypt(sealed, [identity]), type=_Envelope)
        except (pyrage.DecryptError, msgspec.DecodeError):  # not ours, tampered, truncated; malformed JSON
            raise _fail("sealed", entry=eid[:8]) from None
        if envelope.v != 1 or not _HEX64.match(envelope.key) or not _HEX128.match(envelope.sig):
            raise _fail("envelope", entry=eid[:8])
        author = bytes.fromhex(envelope.key)
        try:
            VerifyKey(author).verify(CONTEXT + envelope.body.encode(), bytes.fromhex(envelope.sig))
            body = msgspec.json.decode(envelope.body, type=_Body)
        except (BadSignatureError, ValueError, msgspec.DecodeError):
            raise _fail("signature", entry=eid[:8]) from None
        if body.id != eid or body.type not in TYPES:
            raise _fail("body", entry=eid[:8])
        if grants is None:  # what each contact is here, by the same rules as a bundle's import
            grants = import_grants(vault, [])
        grant = grants.get(author)
        if grant is None:
            raise Unauthorised("sync.unknown_author", author=envelope.key[:16])
        if grant.role != "member" or not grant.household:
            raise OutboxInvalid("outbox.not_member", name=grant.name, role=grant.role)
        entries.append(Entry(eid, author, grant, body, corrected_ms(body, now, ahead)))
    return entries


def _local(ms: int) -> tuple[int, str]:
    """Local seconds (the ledger's time) and the local ISO day of a UTC millisecond time."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return local_seconds(moment, DEFAULT_TZ), moment.astimezone(ZoneInfo(DEFAULT_TZ)).date().isoformat()


def _events(vault: Vault, entries: list[Entry]) -> tuple[list[tuple[str, Any, Entry]], int]:
    """The events the entries make (``(kind, payload, entry)``), in time order, and how many
    power taps changed nothing (power back with no outage of the phone's own open, or off again
    while off)."""
    out: list[tuple[str, Any, Entry]] = []
    unmatched = 0
    open_now: dict[tuple[str, bytes], tuple[str, int] | None] = {}  # (household, phone) -> its open outage
    vocabulary = None

    def open_outage(household: str, author: bytes) -> tuple[str, int] | None:
        """The outage this phone opened and has not closed: in this file, or in an earlier
        delivery (never another phone's or the web's)."""
        if (household, author) not in open_now:
            outages = open_outages(vault, household)
            mine = outbox_opened_by(vault, author, [o.id for o in outages])
            newest = next((o for o in outages if o.id in mine), None)
            open_now[(household, author)] = (newest.id, newest.start_at) if newest else None
        return open_now[(household, author)]

    for e in sorted(entries, key=lambda x: (x.at_ms, x.id)):
        b, household = e.body, e.body.household or e.grant.household or ""
        seconds, day = _local(e.at_ms)
        if b.type == "power-off":
            if open_outage(household, e.author) is not None:  # a second tap while off: nothing new
                unmatched += 1
                continue
            area = household_area(vault, household)
            iid = "m" + e.id[:15]
            out.append(("ledger_interval.put", IntervalPut(id=iid, household=household, area=area or msgspec.UNSET,
                                                           start_at=seconds, end_at=None, source="grid"), e))
            open_now[(household, e.author)] = (iid, seconds)
        elif b.type == "power-on":
            current = open_outage(household, e.author)
            if current is None or current[1] > seconds:  # no outage of its own to close
                unmatched += 1
                continue
            out.append(("ledger_interval.put", IntervalPut(id=current[0], household=household, end_at=seconds), e))
            open_now[(household, e.author)] = None
        elif b.type == "grievance":
            vocabulary = vocabulary or Vocabulary(vault)
            put = build_grievance(vocabulary, themes=[b.theme] if b.theme else None, place=b.place or "", day=day,
                                  text=b.text, today=date.fromisoformat(day))
            note = _voice(put.id, b) if b.voice else None
            if note is not None:
                put.voice = note.id
            out.append(("listening_grievance.put", put, e))
            if note is not None:
                out.append(("listening_voice.put", note, e))
        elif b.type == "water":
            out.append(("ledger_water.put", WaterPut(id=f"{household}|{day}", household=household, day=day,
                                                     no_water=b.no_water, litres_bought=b.litres_bought, spent=b.spent), e))
        elif b.type == "checkin" and b.score is not None:
            # The phone's circle is the contact's; a body naming another is refused by role.
            circle = b.circle or e.grant.circle
            out.append(("learning_checkin.put", CheckinPut(id="k" + e.id[:15], circle=circle or msgspec.UNSET,
                                                           week=iso_week(day), score=b.score, word="", member=None), e))
    return out, unmatched


def _voice(gid: str, body: _Body) -> Any:
    """The voice note of a grievance entry, within the size the listening domain accepts."""
    import hashlib

    try:
        data = base64.b64decode(body.voice or "", validate=True)
    except (binascii.Error, ValueError):
        raise _fail("voice", entry=body.id[:8]) from None
    if not data or len(data) > MAX_VOICE_BYTES:
        raise _fail("voice", entry=body.id[:8])
    mime = body.voice_mime if body.voice_mime and re.fullmatch(r"audio/[a-z0-9.+-]{1,40}", body.voice_mime) else "audio/webm"
    return VoicePut(id=new_id("v"), grievance=gid, mime=mime, data=data,
                    sha256=hashlib.sha256(data).hexdigest())


def import_outbox(vault: Vault, data: bytes, now_ms: int | None = None) -> OutboxResult:
    """Verify, authorise and store an outbox (all or nothing; see the module docstring)."""
    entries = read_outbox(vault, data, now_ms)
    held = outbox_held(vault) if entries else set()
    fresh = [e for e in entries if e.id not in held]
    events, unmatched = _events(vault, fresh)
    # Who first wrote each record, as halqa.vault.authz counts owners: the outages a phone opened
    # in earlier deliveries are its own (the vault wrote them on its behalf, so they come first),
    # and the records of this file are their phone's, in time order.
    first: dict[tuple[str, str], tuple[int, bytes, bytes]] = {
        ("ledger_interval.put", record): (0, b"", author) for record, author in outbox_opened_records(vault)}
    for kind, payload, e in events:
        mark = (e.at_ms << 16, bytes.fromhex(e.id), e.author)
        record = (kind, str(payload.id))
        first[record] = min(first.get(record, mark), mark)
    opened = {e.id: payload.id for kind, payload, e in events if e.body.type == "power-off"}
    for kind, payload, e in events:
        try:
            check_payload(kind, payload)
        except InvalidInput as err:
            raise Unauthorised("sync.invalid_event", kind=kind, detail=err.render()) from None
        check_rule(vault, rule_for(e.grant, kind), payload, e.author, e.grant, first)
    if fresh:
        with vault.transaction() as tx:
            for kind, payload, _ in events:
                tx.append(kind, payload)
            for e in fresh:
                tx.append("bridge_outbox.put", ReceiptPut(id=e.id, day=today(), author=e.author.hex(),
                                                          record=opened.get(e.id, msgspec.UNSET)))
    return OutboxResult(added=len(fresh), duplicates=len(entries) - len(fresh), events=len(events), unmatched=unmatched,
                        held=[e.id for e in entries])


def seal_entry(body: dict[str, Any], signing_key: bytes, recipients: list[str]) -> bytes:
    """One entry as the phone seals it (the app does the same in JS): the body signed with the
    phone's Ed25519 ``signing_key`` (32-byte seed), then sealed to age ``recipients``. For
    scripts, tests and benchmarks that stand in for a phone."""
    from nacl.signing import SigningKey

    from halqa.bridge.bundle import seal

    key = SigningKey(signing_key)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    sig = key.sign(CONTEXT + text.encode()).signature
    envelope = {"v": 1, "key": key.verify_key.encode().hex(), "sig": sig.hex(), "body": text}
    return seal(json.dumps(envelope).encode(), recipients)


def outbox_file(sealed: list[tuple[str, bytes]]) -> bytes:
    """An outbox file from ``(entry id, age ciphertext)`` pairs (what "send as a file" makes)."""
    return json.dumps({"format": FORMAT, "version": VERSION,
                       "entries": [{"id": eid, "age": base64.b64encode(ct).decode()} for eid, ct in sealed]}).encode()
