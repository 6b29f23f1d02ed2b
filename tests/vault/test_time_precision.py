"""Day-precision kinds keep no finer wall-clock time, in a bundle's bytes or the vault's.

A grievance (and a household) written at 14:37 must not let anyone who reads a bundle, or the
decrypted vault, learn "14:37": not in an event's clock, a commit's clock, a projection's
position, the metadata, nor as any 8-byte or 6-byte integer anywhere in the plaintext bytes.
"""

from __future__ import annotations

import struct
import time
from datetime import UTC, datetime

from halqa import domains, places
from halqa.listening.write import Vocabulary, build_grievance
from halqa.places import HouseholdPut
from halqa.vault import Vault, export_commits
from halqa.vault.events import DAY_PRECISION, HLC, day_precision, is_day_clock
from tests.conftest import new_vault

from ..conftest import PASSPHRASE

MORNING = datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC)
SECRET = datetime(2026, 11, 3, 14, 37, 12, 345000, tzinfo=UTC)
MINUTE = int(SECRET.timestamp() * 1000) // 60_000


def _reveals(value: int) -> bool:
    """Does an integer carry the secret minute, as milliseconds, seconds or a clock?"""
    return any(v // 60_000 == MINUTE for v in (value, value >> 16)) or value // 60 == MINUTE


def _scan_bytes(data: bytes) -> list[int]:
    """Offsets of big- or little-endian 8-byte clocks or 6-byte millisecond values of the minute."""
    hits = []
    for off in range(len(data) - 8):
        for fmt in (">Q", "<Q"):
            v = struct.unpack_from(fmt, data, off)[0]
            if (v >> 16) // 60_000 == MINUTE:
                hits.append(off)
        if int.from_bytes(data[off:off + 6], "big") // 60_000 == MINUTE:
            hits.append(off)
    return hits


def _written(tmp_path, monkeypatch) -> Vault:
    clock = [int(MORNING.timestamp() * 1e9)]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    v = new_vault(tmp_path, "t")
    places.add_area(v, "NKH", "حي النخيل")  # a kind that keeps its time, in the morning
    clock[0] = int(SECRET.timestamp() * 1e9)
    with v.transaction() as tx:
        tx.append("listening_grievance.put", build_grievance(
            Vocabulary(v), themes=["wages"], place="NKH", day="2026-11-03", text="رواتب", today=SECRET.date()))
        tx.append("household.put", HouseholdPut(id="hh-000001", area="NKH", size=4))
    return v


def test_the_vault_keeps_only_the_day(tmp_path, monkeypatch):
    v = _written(tmp_path, monkeypatch)
    try:
        for table, in v.query("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in v.query(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, int):
                        assert not _reveals(value), (table, value)
                    elif isinstance(value, str):
                        assert "14:37" not in value, (table, value)
        plain = tmp_path / "plain.db"
        v.conn.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
        v.conn.execute("SELECT sqlcipher_export('plain')")
        v.conn.execute("DETACH DATABASE plain")
        assert _scan_bytes(plain.read_bytes()) == []
        kinds = {e.kind: e.hlc for e in v.events()}
        assert is_day_clock(kinds["listening_grievance.put"]) and not is_day_clock(kinds["area.put"])
    finally:
        v.close()


def test_a_bundle_keeps_only_the_day(tmp_path, monkeypatch):
    from halqa.bridge.bundle import read_inner, write_inner

    v = _written(tmp_path, monkeypatch)  # the bundle is made at the same minute
    try:
        records = export_commits(v)
        _header, data = write_inner(v, records, [])
        assert _scan_bytes(data[:-64]) == []  # the signature is random bytes
        _h, back = read_inner(data)
        for rec in back:
            assert not _reveals(rec.hlc)
            for e in rec.events:
                assert not _reveals(e.hlc)
    finally:
        v.close()


def test_day_clock_keeps_order_within_the_day_and_across_reopening(tmp_path, monkeypatch):
    clock = [int(SECRET.timestamp() * 1e9)]
    monkeypatch.setattr(time, "time_ns", lambda: clock[0])
    path = tmp_path / "o.halqa"
    with new_vault(path.parent, path.stem) as v:
        for size in (1, 2):
            v.append("household.put", HouseholdPut(id="hh-1", area="NKH", size=size))
    clock[0] += 3_600 * 10**9
    with Vault.open(path, PASSPHRASE) as v:
        v.append("household.put", HouseholdPut(id="hh-1", area="NKH", size=3))
        assert v.query_one("SELECT size FROM household WHERE id = 'hh-1'")[0] == 3
        hlcs = [e.hlc for e in v.events(["household.put"])]
        assert hlcs == sorted(hlcs) and len(set(hlcs)) == 3
        assert {h >> 16 for h in hlcs} == {int(SECRET.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)}
        assert v.rebuild() == v.digests()


def test_day_clock_observes_remote_day_clocks():
    h = HLC(now_ms=lambda: int(SECRET.timestamp() * 1000))
    first = h.tick_day()
    h.observe(first + 10)
    assert h.tick_day() == first + 11
    assert h.last == 0  # a day clock never moves the fine clock


def test_day_precision_kinds_are_whole_families():
    from halqa.vault import registered_kinds

    domains.load()
    kinds = registered_kinds()
    for prefix in DAY_PRECISION:
        family = [k for k in kinds if k.startswith(prefix)]
        assert family, prefix
        assert all(day_precision(k) for k in family)


def test_a_bundle_made_at_the_keyboard_says_only_the_day(tmp_path, monkeypatch):
    """A bundle made at 14:37:12.345 says the day it was made, not the minute (its creation time
    would tell when the organiser was at the keyboard)."""
    from halqa.bridge.bundle import read_inner, write_inner

    v = _written(tmp_path, monkeypatch)  # the clock stays at SECRET
    try:
        header, data = write_inner(v, export_commits(v), [])
        assert _scan_bytes(data[:-64]) == []
        assert header.created_ms == int(datetime(2026, 11, 3, tzinfo=UTC).timestamp() * 1000)
        assert read_inner(data)[0].created_ms == header.created_ms
    finally:
        v.close()


def test_an_older_bundle_with_milliseconds_still_reads(tmp_path, monkeypatch):
    """Bundles written before the day precision carry the millisecond: the same key and type, read
    as they are."""
    import msgspec

    from halqa.bridge import bundle

    v = _written(tmp_path, monkeypatch)
    try:
        header, _ = bundle.write_inner(v, export_commits(v), [])
        old = msgspec.structs.replace(header, created_ms=int(SECRET.timestamp() * 1000))
        head = bundle._ENC.encode(old)
        prefix = bundle.MAGIC + struct.pack("<I", len(head)) + head
        body = bundle._ENC.encode(list(export_commits(v)))
        data = prefix + body + v.device_key.sign(bundle._sig_digest(prefix)).signature
        back, records = bundle.read_inner(data)
        assert back.created_ms == int(SECRET.timestamp() * 1000) and len(records) == header.commits
    finally:
        v.close()
