"""Inputs the fuzzers of fuzz/ found crashing halqa, kept as regression tests: each must now be
refused with a HalqaError (its message in the catalogue) and leave the vault's files as they were."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import msgspec
import pytest
from fuzz.harness import snapshot
from fuzz.targets import TARGETS, _insider_call

from halqa import institutions, ledger
from halqa.bridge import BundleInvalid
from halqa.bridge.bundle import MAGIC, read_inner
from halqa.bridge.qr import join_frames
from halqa.errors import HalqaError, InvalidInput, VaultCorrupt
from halqa.i18n import catalogue
from halqa.vault import backup, restore


def _refused(fn, *args, error=HalqaError) -> HalqaError:
    with pytest.raises(error) as info:
        fn(*args)
    assert info.value.msg_id in catalogue("en")
    return info.value


def test_bundle_header_with_bad_utf8_is_damaged_not_a_crash():
    head = msgspec.msgpack.encode({"version": 1, "kind": "ab"}).replace(b"\xa2ab", b"\xa2\xff\xfe")  # not UTF-8
    data = MAGIC + struct.pack("<I", len(head)) + head + bytes(64)
    err = _refused(read_inner, data, error=BundleInvalid)
    assert err.msg_id == "bridge.bundle_damaged"


@pytest.fixture
def paired(tmp_path: Path):
    ctx = TARGETS["bundle.insider"].setup(tmp_path)
    yield ctx
    TARGETS["bundle.insider"].teardown(ctx)


def test_informant_bundle_with_a_negative_clock_is_refused(paired):
    """A paired device signs a commit with a negative clock: it used to crash the signature
    check (struct.error); before the roles merge, a clock beyond SQLite's integers crashed the
    merge with OverflowError."""
    records = paired.extra["records"]
    bad = [msgspec.structs.replace(records[0], hlc=-1), *records[1:]]
    before = snapshot(paired.vault.path)
    err = _refused(_insider_call, paired, msgspec.msgpack.encode(bad), error=BundleInvalid)
    assert err.msg_id == "bridge.bundle_tampered"
    assert snapshot(paired.vault.path) == before


def test_forged_backup_with_bad_lengths_is_corrupt_and_leaves_nothing(vault, tmp_path: Path):
    backup(vault, tmp_path / "a.bak")
    body = (tmp_path / "a.bak").read_bytes()[:-32]
    body = body[:12] + struct.pack("<H", 60000) + body[14:]  # the first name's length, far too long
    forged = body + hashlib.blake2b(body, digest_size=32, person=b"halqa-backup-v1").digest()
    (tmp_path / "b.bak").write_bytes(forged)
    err = _refused(restore, tmp_path / "b.bak", tmp_path / "out" / "v.halqa", error=VaultCorrupt)
    assert err.msg_id == "error.backup_corrupt"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("data", [
    b"household,area,start,end,source\nhh-t1,JSR\r2026,2026-07-01T12:00,grid\n",  # a stray carriage return
    b"household,area,start,end,source\nhh-t1,\xd9JSR,2026-07-01T10:00,,grid\n",   # not UTF-8
])
def test_ledger_file_that_cannot_be_read_says_so(vault, data):
    before = snapshot(vault.path)
    err = _refused(ledger.import_file, vault, data, error=InvalidInput)
    assert err.msg_id == "ledger.error.unreadable" and snapshot(vault.path) == before


@pytest.mark.parametrize("data", [b"household,area\nhh-a1,J\rSR\n", b"household,area\nhh-a1,\xff\n"])
def test_households_file_that_cannot_be_read_says_so(vault, data):
    before = snapshot(vault.path)
    assert _refused(ledger.enrol_households, vault, data, error=InvalidInput).msg_id == "ledger.error.unreadable"
    assert snapshot(vault.path) == before


def test_gridwatch_time_beyond_the_clock_is_a_rejected_row(vault):
    res = ledger.import_file(vault, b"time, id, type\n" + b"9" * 30 + b",8eeeb4d35e39e4,unplugged\n", fmt="gridwatch")
    assert res.kept == 0 and "out of range" in res.rejected[0].reason


def test_delivery_row_with_extra_cells_and_bytes_not_utf8(vault):
    res = institutions.import_deliveries(vault, "service,day,household,quantity\nbread,2026-01-02,hh-a,1,x,y\n")
    assert res.kept == 0 and res.errors[0].error == "institutions.extra_cells"
    before = snapshot(vault.path)
    assert _refused(institutions.import_deliveries, vault, b"service,day\n\xff\n").msg_id == "institutions.not_utf8"
    assert snapshot(vault.path) == before


def test_eaglei_series_with_a_mistyped_year_is_refused_quickly(vault):
    """Year 2424 in one row used to fill four centuries of 15-minute steps (a hang)."""
    data = (b"48201,Harris,Texas,10,2424-07-05 00:00:00,100\n"
            b"48201,Harris,Texas,12,2024-07-05 00:15:00,100\n")
    err = _refused(ledger.import_file, vault, data, "eaglei", error=InvalidInput)
    assert err.msg_id == "ledger.error.unreadable" and "year" in err.render()


def test_qr_frame_claiming_a_huge_count_is_refused_quickly():
    """A frame saying it is one of 10^30 used to make the missing-frame count run for ever."""
    err = _refused(join_frames, ["HQB1:5NU2SX73J2:1:" + "1" * 30 + ":MSSSKWBQRIHM3LPC"], error=InvalidInput)
    assert err.msg_id == "bridge.qr_mixed"


def test_ledger_csv_with_a_repeated_column_rejects_short_rows(vault):
    data = b"household,area,start,end,tart,end,source\nhh-t1,JSR,2026-07-01T10:00,,grid\n"
    res = ledger.import_file(vault, data)
    assert res.kept == 0 and "columns" in res.rejected[0].reason


def test_informant_event_with_a_string_not_utf8_is_refused(paired):
    """An event body whose string is not UTF-8, signed by a paired device, used to crash the
    projections mid-merge, and after the roles merge the payload check, with UnicodeDecodeError."""
    records = paired.extra["records"]
    rec = next(r for r in records if any(e.body and b"\xa3NKH" in e.body for e in r.events))
    events = [msgspec.structs.replace(e, body=e.body.replace(b"\xa3NKH", b"\xa3\xffKH")) if e.body else e
              for e in rec.events]
    before = snapshot(paired.vault.path)
    err = _refused(_insider_call, paired, msgspec.msgpack.encode([msgspec.structs.replace(rec, events=events)]))
    assert err.msg_id == "sync.bad_payload"
    assert snapshot(paired.vault.path) == before


def _contact_event(records):
    for i, rec in enumerate(records):
        for j, e in enumerate(rec.events):
            if e.kind == "bridge_contact.put":
                return i, j
    raise AssertionError("no contact event")


def _with_event(records, i, j, **changes):
    rec = records[i]
    events = list(rec.events)
    events[j] = msgspec.structs.replace(events[j], **changes)
    return [*records[:i], msgspec.structs.replace(rec, events=events), *records[i + 1:]]


def test_device_bundle_with_an_unknown_contact_kind_is_kept_as_unknown(paired):
    """A device peer's event of a kind that only starts like a contact change used to crash the
    grants (AttributeError: a dict has no 'id'). A device may send kinds this version does not
    know (a newer device): it is kept as such, and changes no contact."""
    records = paired.extra["records"]
    i, j = _contact_event(records)
    contacts = paired.vault.query("SELECT * FROM bridge_contact")
    _insider_call(paired, msgspec.msgpack.encode(_with_event(records, i, j, kind="bridge_contact.zzz")))
    assert paired.vault.query("SELECT * FROM bridge_contact") == contacts
    assert paired.vault.digests() == paired.vault.rebuild()


def test_device_bundle_with_a_contact_key_not_hex_is_refused(paired):
    """A device peer's contact change whose signing key is not hex used to crash the grants
    (ValueError from bytes.fromhex)."""
    records = paired.extra["records"]
    i, j = _contact_event(records)
    body = records[i].events[j].body
    payload = msgspec.msgpack.decode(body[16:])
    payload["signing_key"] = "zz" * 32
    payload["id"] = "c-new-contact"
    bad = _with_event(records, i, j, body=body[:16] + msgspec.msgpack.encode(payload))
    before = snapshot(paired.vault.path)
    _refused(_insider_call, paired, msgspec.msgpack.encode(bad))
    assert snapshot(paired.vault.path) == before


def test_eaglei_count_beyond_the_stored_integers_is_a_rejected_row(vault):
    """A total of 31 ones used to crash the event encoder (OverflowError)."""
    data = (b"48201,Harris,Texas,10,2024-07-05 00:00:00,100\n"
            b"48201,Harris,Texas,0,2024-07-05 00:30:00," + b"1" * 31 + b"\n")
    res = ledger.import_file(vault, data, "eaglei")
    assert [r.line for r in res.rejected] == [2] and "plausible" in res.rejected[0].reason


@pytest.mark.parametrize("body", [
    b'{"place": "SUQ", "theme": "rent\xed\xa0\x80", "text": "rent"}',  # a lone surrogate, as UTF-8 bytes
    b'{"place": "SUQ", "theme": "rent\\ud800", "text": "rent"}',  # the same, as a JSON escape
    b'{"place": "SUQ", "text": "\\udfff words"}',  # in a field that would be stored
])
def test_web_json_with_a_lone_surrogate_is_bad_json_not_a_500(vault, body: bytes):
    """web.bodies: JSON (bytes or escapes) may carry a lone UTF-16 surrogate, which Python's
    json reads into a str that cannot be encoded again: the error naming it could not be
    rendered, and the server answered 500 (a traceback with debug on)."""
    from starlette.testclient import TestClient

    from halqa import places
    from halqa.web import create_app
    from halqa.web.state import WebState

    filled = vault
    places.add_area(filled, "SUQ", "حي السوق")
    state = WebState(filled.path)
    client = TestClient(create_app(filled.path, state=state, vault=filled), base_url="http://127.0.0.1:8765",
                        raise_server_exceptions=False)
    token = state.devices.issue("laptop", role="organiser")
    before = snapshot(filled.path)
    r = client.post("/api/listen/grievances", content=body,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"] == "web.error.bad_json"
    assert snapshot(filled.path) == before
