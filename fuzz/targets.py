"""The fuzz targets, most exposed first: what arrives from other devices, then files a person
imports, then what a phone posts to the web face. Each hands the bytes to the same public
function the CLI or the web calls, through a file where the face reads a file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from halqa import circles, domains, institutions, ledger, listening, places
from halqa.bridge import add_contact, export_bundle, identity, import_bundle
from halqa.bridge.bundle import MAGIC, _body_hash, _sig_digest, seal, write_inner
from halqa.bridge.keys import age_recipient, parse_peer
from halqa.bridge.outbox import CONTEXT as OUTBOX_CONTEXT
from halqa.bridge.outbox import import_outbox, outbox_file, seal_entry
from halqa.bridge.qr import frames, join_frames
from halqa.errors import InvalidInput
from halqa.vault import TEST_KDF, CommitRecord, Share, Vault, backup, combine, export_commits, restore, split
from halqa.vault.events import Commit, body_hash, event_hash

from .harness import Target

PASSPHRASE = "fuzzing is a kind of listening"
_ENC = msgspec.msgpack.Encoder(order="deterministic")
_RECORDS = msgspec.msgpack.Decoder(list[CommitRecord])


@dataclass
class Ctx:
    """What a target works on: the vault under test, a scratch folder, and anything else."""

    vault: Any
    work: Path
    extra: dict[str, Any] = field(default_factory=dict)
    n: int = 0

    def file(self, data: bytes, suffix: str = "") -> Path:
        """Write ``data`` to a fresh scratch file (the faces read outside input from files)."""
        self.n += 1
        path = self.work / f"in{self.n % 4}{suffix}"
        path.write_bytes(data)
        return path


def _vault(work: Path, name: str = "v") -> Any:
    os.environ.setdefault("HALQA_INSECURE_TEST_KDF", "1")
    return domains.create_vault(work / f"{name}.halqa", PASSPHRASE, TEST_KDF)


def _filled(work: Path) -> Ctx:
    """A vault with two areas, households, members and a delivery service: the importers' rows
    refer to these, so mutations reach past the header checks."""
    v = _vault(work)
    places.add_area(v, "JSR", "حي الجسر", name_en="Bridge Quarter")
    places.add_area(v, "SUQ", "حي السوق", name_en="Market Quarter")
    for i in range(4):
        places.add_household(v, "JSR" if i % 2 else "SUQ", pseudonym=f"hh-t{i}")
    for i in range(4):
        circles.add_member(v, f"m-t{i}", labels={"sect": "a" if i % 2 else "b"})
    scratch = work / "scratch"
    scratch.mkdir()
    return Ctx(v, scratch)


# ---------------------------------------------------------------------------- bundles
def _paired(work: Path) -> Ctx:
    """Two paired devices: ``x`` (the sender, maybe an informant) and the vault under test."""
    x, y = _vault(work, "x"), _vault(work, "y")
    # Each is the other's second device ("device" role: a full replica), so every kind travels:
    # the deepest an informant holding one of a person's own devices could reach.
    add_contact(x, "y", text=identity(y).text, verified="in-person", role="device")
    add_contact(y, "x", text=identity(x).text, verified="in-person", role="device")
    places.add_area(x, "NKH", "حي النخيل", "Palm Quarter")
    places.add_household(x, "NKH", "hh-aaaa", size=4)
    listening.add_grievance(x, themes=["electricity"], place="NKH", day=dt.date.today().isoformat(),
                            text="الكهرباء ما تجي")
    scratch = work / "scratch"
    scratch.mkdir()
    out = export_bundle(x, ["y"], scratch / "seed.age")
    assert out.commits >= 3
    ctx = Ctx(y, scratch, {"x": x, "bundle": (scratch / "seed.age").read_bytes(),
                           "records": export_commits(x), "y_age": age_recipient(y)})
    _, ctx.extra["inner"] = write_inner(x, ctx.extra["records"], [ctx.extra["y_age"]])
    return ctx


def _close_both(ctx: Ctx) -> None:
    ctx.extra["x"].close()
    ctx.vault.close()


def _bundle_call(ctx: Ctx, data: bytes) -> None:
    import_bundle(ctx.vault, ctx.file(data, ".age"))


def _inner_call(ctx: Ctx, data: bytes) -> None:
    import_bundle(ctx.vault, seal(data, [ctx.extra["y_age"]]))


def _resign(x: Any, records: list[CommitRecord]) -> list[CommitRecord]:
    """Make every commit of ``x``'s device verify again after its events were changed."""
    out = []
    for r in records:
        events = []
        for e in r.events:
            bh = body_hash(e.body) if e.body is not None else e.body_hash
            events.append(msgspec.structs.replace(e, body_hash=bh))
        hashes = tuple(event_hash(e.id, e.kind, r.device, e.hlc, e.body_hash) for e in events)
        sig = r.signature
        if r.device == x.device_id:
            try:
                sig = Commit(r.device, r.seq, r.hlc, hashes, b"").sign(x.device_key).signature
            except struct.error:  # a negative clock cannot be signed; it travels with the old signature
                pass
        out.append(CommitRecord(r.device, r.seq, r.hlc, sig, events))
    return out


def _insider_call(ctx: Ctx, data: bytes) -> None:
    """A paired device (an informant inside the circle) signs whatever it likes: the body is the
    mutated MessagePack list of commits, re-signed, so the input reaches the merge and the
    projections; a body that no longer decodes is sent as it is, signed."""
    x = ctx.extra["x"]
    try:
        records = _resign(x, _RECORDS.decode(data))
        body = _ENC.encode(records)
        commits, events = len(records), sum(len(r.events) for r in records)
    except (msgspec.DecodeError, ValueError, TypeError):
        body, commits, events = data, 0, 0
    header, _ = write_inner(x, [], [ctx.extra["y_age"]])
    header = msgspec.structs.replace(header, commits=commits, events=events, body_len=len(body),
                                     body_hash=_body_hash(body))
    head = _ENC.encode(header)
    prefix = MAGIC + struct.pack("<I", len(head)) + head
    inner = prefix + body + x.device_key.sign(_sig_digest(prefix)).signature
    import_bundle(ctx.vault, seal(inner, [ctx.extra["y_age"]]))


def _inner_seeds(ctx: Ctx) -> list[bytes]:
    return [ctx.extra["inner"]]


def _body_seeds(ctx: Ctx) -> list[bytes]:
    return [_ENC.encode(ctx.extra["records"]), _ENC.encode(ctx.extra["records"][:1])]


# ---------------------------------------------------------------------------- member phones
def _phone_setup(work: Path) -> Ctx:
    """A member phone paired to ``hh-t1`` and three entries it sealed: two outage taps, a grievance."""
    from nacl.signing import SigningKey
    from pyrage import x25519

    ctx = _filled(work)
    key = os.urandom(32)
    add_contact(ctx.vault, "phone", age_recipient=str(x25519.Identity.generate().to_public()),
                signing_key=SigningKey(key).verify_key.encode().hex(), verified="in-person", role="member",
                household="hh-t1")
    now = time.time_ns() // 1_000_000
    base = {"offset": 0, "synced_at": now - 86_400_000}
    bodies = [{"id": os.urandom(16).hex(), "type": "power-off", "at": now - 3 * 3_600_000, **base},
              {"id": os.urandom(16).hex(), "type": "power-on", "at": now - 2 * 3_600_000, **base},
              {"id": os.urandom(16).hex(), "type": "grievance", "at": now - 3_600_000, "theme": "water",
               "place": "JSR", "text": "الماء مقطوع منذ يومين", **base}]
    recipient = age_recipient(ctx.vault)
    ctx.extra.update(key=key, recipient=recipient, bodies=[json.dumps(b, ensure_ascii=False).encode() for b in bodies],
                     file=outbox_file([(b["id"], seal_entry(b, key, [recipient])) for b in bodies]))
    return ctx


def _outbox_file_call(ctx: Ctx, data: bytes) -> None:
    import_outbox(ctx.vault, data)


def _outbox_entry_call(ctx: Ctx, data: bytes) -> None:
    """The paired member's phone signs and seals whatever body it likes (an informant's phone)."""
    from nacl.signing import SigningKey

    text = data.decode("utf-8", "replace")
    key = SigningKey(ctx.extra["key"])
    envelope = {"v": 1, "key": key.verify_key.encode().hex(),
                "sig": key.sign(OUTBOX_CONTEXT + text.encode()).signature.hex(), "body": text}
    try:
        eid = str(json.loads(text)["id"])
    except (ValueError, KeyError, TypeError):
        eid = os.urandom(16).hex()
    sealed = seal(json.dumps(envelope).encode(), [ctx.extra["recipient"]])
    import_outbox(ctx.vault, outbox_file([(eid, sealed)]))


# ---------------------------------------------------------------------------- backups
def _backup_setup(work: Path) -> Ctx:
    ctx = _filled(work)
    backup(ctx.vault, ctx.work / "seed.bak")
    ctx.extra["seed"] = (ctx.work / "seed.bak").read_bytes()
    ctx.extra["dest"] = work / "dest"
    ctx.extra["dest"].mkdir()
    return ctx


def _restore_call(ctx: Ctx, data: bytes) -> None:
    target = ctx.extra["dest"] / "restored.halqa"
    try:
        restore(ctx.file(data, ".bak"), target)
    finally:
        # An accepted restore is opened the way a person would, then cleared for the next input.
        if target.exists():
            try:
                Vault.open(target, PASSPHRASE).close()
            finally:
                shutil.rmtree(target)


def _rehashed_restore_call(ctx: Ctx, data: bytes) -> None:
    """A backup whose trailing hash was recomputed: the hash is no key, anyone can forge it."""
    body = data[:-32] if len(data) >= 32 else data
    digest = hashlib.blake2b(body, digest_size=32, person=b"halqa-backup-v1").digest()
    _restore_call(ctx, body + digest)


def _restore_watched(ctx: Ctx) -> Path:
    return ctx.extra["dest"]  # a rejected restore leaves nothing behind, next to the target either


# ---------------------------------------------------------------------------- texts
def _texts_setup(work: Path) -> Ctx:
    ctx = _filled(work)
    ctx.extra["share_seeds"] = [s.encode().encode() for s in split(os.urandom(32), 3, 2, "0123456789abcdef")]
    return ctx


def _pairing_call(ctx: Ctx, data: bytes) -> None:
    parse_peer(data.decode("utf-8", "replace"))


def _pairing_seeds(ctx: Ctx) -> list[bytes]:
    return [identity(ctx.vault).text.encode(), age_recipient(ctx.vault).encode()]


def _qr_call(ctx: Ctx, data: bytes) -> None:
    join_frames(data.decode("utf-8", "replace").split("\n"))


def _qr_seeds(ctx: Ctx) -> list[bytes]:
    return ["\n".join(frames(os.urandom(n))).encode() for n in (10, 700, 3000)]


def _share_call(ctx: Ctx, data: bytes) -> None:
    shares = [Share.decode(line) for line in data.decode("utf-8", "replace").split("\n") if line.strip()]
    combine(shares)


def _share_seeds(ctx: Ctx) -> list[bytes]:
    s = ctx.extra["share_seeds"]
    return [b"\n".join(s[:2]), b"\n".join(s)]


def _codebook_setup(work: Path) -> Ctx:
    ctx = _filled(work)
    ctx.extra["lines"] = [listening.encode_line(ctx.vault, "electricity", 3, "JSR", lang=lang).encode()
                          for lang in ("ar", "ckb", "en")]
    return ctx


def _codebook_call(ctx: Ctx, data: bytes) -> None:
    listening.decode_lines(ctx.vault, data.decode("utf-8", "replace").split("\n"))


# ---------------------------------------------------------------------------- importers
_TODAY = dt.date.today().isoformat()
LISTENING_CSV = ("text,themes,place,day,groups,tone,count\n"
                 f'"الكهرباء ما تجي",electricity|water,JSR,{_TODAY},gender=f|age=30s,angry,3\n'
                 f',,SUQ,{_TODAY},,,\n"two\nlines",rent,JSR,2026-01-01,,calm,1\n').encode()
LISTENING_JSON = (f'[{{"text": "الماي مالح", "themes": ["water"], "place": "SUQ", "day": "{_TODAY}",'
                  ' "groups": {"gender": "m"}, "count": 2}, {"place": "JSR", "day": "2026-02-01"}]').encode()
LEDGER_CSV = (b"household,area,start,end,source\nhh-t1,JSR,2026-07-01T10:00,2026-07-01T12:00,grid\n"
              b" hh-bbbb ,JSR,2026-07-01 10:05:00+03:00,,grid\nhh-t2,SUQ,2026-07-01T09:00Z,2026-07-01T10:00Z,generator\n")
GRIDWATCH = (b"time, id, type\n1400000000,8eeeb4d35e39e4,unplugged\n1400000600,8eeeb4d35e39e4,unplugged\n"
             b"1400001200,8eeeb4d35e39e4,plugged\n")
EAGLEI = (b"48201,Harris,Texas,10,2024-07-05 00:00:00,100\n48201,Harris,Texas,12,2024-07-05 00:15:00,100\n"
          b"48201,Harris,Texas,0,2024-07-05 00:30:00,100\n")
UPNEPA = (b'{"2024-04-25": {"Atiku": {"morning": "OFF", "afternoon": "ON", "evening": "ON"},'
          b' " Asadam": {"morning": " ON", "afternoon": "OFF", "evening": "OFF"}},'
          b' "2024-04-26": {"Atiku": {"morning": "ON", "afternoon": "OFF", "evening": "OFF "}}}')
HOUSEHOLDS = b"household,area\nhh-a1,jsr\nhh-a1,SUQ\nbad name,JSR\nhh-b2,NEW\n"
MEMBERS = b"pseudonym,sect,street\nm-n1,a,3\nm-n2,b,4\nm-t0,a,\n"
VOUCHES = b"from,to,strength,years\nm-t0,m-t1,4,2\nm-t1,m-t2,5,\nm-t2,m-t3,1,10\n"
DELIVERIES = f"service,day,household,quantity,worker\nbread,{_TODAY},hh-t1,2,w1\nbread,{_TODAY},hh-t2,1,\n".encode()
GEOJSON = (Path(__file__).resolve().parents[1] / "tests" / "places" / "data" / "neighbourhood.geojson")


def _pristine(setup: Any) -> Any:
    """``setup``, then a copy of its vault kept aside for :func:`_reset` (the vault is closed
    for the copy and opened again: a copy of an open vault is not one)."""

    def wrapped(work: Path) -> Ctx:
        ctx = setup(work)
        path = ctx.vault.path
        ctx.vault.close()
        shutil.copytree(path, work / "pristine.halqa")
        ctx.vault = Vault.open(path, PASSPHRASE)
        return ctx

    return wrapped


def _reset(ctx: Ctx) -> None:
    """The vault back as setup left it: an importer's long run would otherwise keep every file it
    accepted, and each input would cost more than the last."""
    path = ctx.vault.path
    ctx.vault.close()
    shutil.rmtree(path)
    shutil.copytree(path.parent / "pristine.halqa", path)
    ctx.vault = Vault.open(path, PASSPHRASE)


def _deliveries_setup(work: Path) -> Ctx:
    ctx = _filled(work)
    institutions.create_service(ctx.vault, "bread", "food", areas=["JSR", "SUQ"])
    return ctx


def _importer(name: str, seeds: list[bytes] | Any, fn: Any, suffix: str = ".csv", setup: Any = _filled,
              doc: str = "") -> Target:
    return Target(name, seeds=(lambda ctx: seeds() if callable(seeds) else seeds), setup=_pristine(setup),
                  call=lambda ctx, data: fn(ctx.vault, ctx.file(data, suffix)), doc=doc, reset=_reset)


def _boundary_seeds() -> list[bytes]:
    return [GEOJSON.read_bytes()] if GEOJSON.exists() else [b'{"type": "FeatureCollection", "features": []}']


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("bundle.file", seeds=lambda ctx: [ctx.extra["bundle"]], setup=_paired, call=_bundle_call,
           teardown=_close_both, doc="a bundle file as received (age-sealed), mutated"),
    Target("bundle.inner", seeds=_inner_seeds, setup=_paired, call=_inner_call, teardown=_close_both,
           doc="the inner bundle mutated, then sealed to us (a sender's bug, or a key-holder's forgery)"),
    Target("bundle.insider", seeds=_body_seeds, setup=_paired, call=_insider_call, teardown=_close_both,
           doc="the commits of a paired device mutated and re-signed with its key: an informant's bundle"),
    Target("outbox.file", seeds=lambda ctx: [ctx.extra["file"]], setup=_phone_setup, call=_outbox_file_call,
           doc="a member phone's outbox file, mutated"),
    Target("outbox.entry", seeds=lambda ctx: ctx.extra["bodies"], setup=_phone_setup, call=_outbox_entry_call,
           doc="an entry body mutated, then signed and sealed with the paired phone's own key"),
    Target("backup.restore", seeds=lambda ctx: [ctx.extra["seed"]], setup=_backup_setup, call=_restore_call,
           watched=_restore_watched, doc="a backup file mutated, restored to a new folder"),
    Target("backup.forged", seeds=lambda ctx: [ctx.extra["seed"]], setup=_backup_setup, call=_rehashed_restore_call,
           watched=_restore_watched, doc="a backup mutated with its trailing hash recomputed"),
    Target("pairing.text", seeds=_pairing_seeds, setup=_texts_setup, call=_pairing_call,
           doc="pairing text from a QR code or typed in"),
    Target("qr.frames", seeds=_qr_seeds, setup=_texts_setup, call=_qr_call, doc="scanned QR frame texts of a bundle"),
    Target("recovery.shares", seeds=_share_seeds, setup=_texts_setup, call=_share_call,
           doc="recovery shares typed in, then combined"),
    Target("codebook.decode", seeds=lambda ctx: [b"\n".join(ctx.extra["lines"]), *ctx.extra["lines"]],
           setup=_codebook_setup, call=_codebook_call, doc="disguised shopping-list lines"),
    _importer("listening.csv", [LISTENING_CSV], lambda v, p: listening.import_grievances(v, p, fmt="csv")),
    _importer("listening.json", [LISTENING_JSON], lambda v, p: listening.import_grievances(v, p, fmt="json"), ".json"),
    _importer("ledger.csv", [LEDGER_CSV], lambda v, p: ledger.import_file(v, p, fmt="csv")),
    _importer("ledger.gridwatch", [GRIDWATCH], lambda v, p: ledger.import_file(v, p, fmt="gridwatch")),
    _importer("ledger.eaglei", [EAGLEI], lambda v, p: ledger.import_file(v, p, fmt="eaglei")),
    _importer("ledger.upnepa", [UPNEPA], lambda v, p: ledger.import_file(v, p, fmt="upnepa"), ".json"),
    _importer("ledger.households", [HOUSEHOLDS], ledger.enrol_households),
    _importer("circles.members", [MEMBERS], circles.import_members),
    _importer("circles.vouches", [VOUCHES], circles.import_vouches),
    _importer("institutions.deliveries", [DELIVERIES], institutions.import_deliveries, setup=_deliveries_setup),
    _importer("places.boundaries", _boundary_seeds, places.import_boundaries, ".geojson"),
]}

from .web import TARGET as WEB_TARGET  # noqa: E402  (fuzz.web builds on this module's vaults)

TARGETS[WEB_TARGET.name] = WEB_TARGET

__all__ = ["TARGETS", "InvalidInput"]
