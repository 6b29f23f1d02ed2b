"""Importing a member phone's outbox: exact entries at corrected times, duplicate-safe, and every
bad file refused whole with nothing written (tampered, truncated, foreign, another household,
another role, a clock that cannot be corrected)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.ledger as ledger
from halqa.bridge.outbox import OutboxInvalid, import_outbox, is_outbox, outbox_file
from halqa.ledger.events import time_iso
from halqa.vault.authz import Unauthorised
from tests.conftest import new_vault
from tests.member_app.conftest import Phone, pair

HOUR = 3_600_000


def _local(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo("Asia/Baghdad")).replace(tzinfo=None).isoformat(
        timespec="seconds")


def _events(vault) -> int:
    return vault.query_one("SELECT count(*) FROM events")[0]


def _intervals(vault, household):
    return [(r[0], r[1]) for r in vault.query(
        "SELECT start_at, end_at FROM ledger_interval WHERE household = ? ORDER BY start_at", (household,))]


def test_outages_and_a_grievance_arrive_at_the_right_times(homes):
    phone = pair(homes, "hh-a1")
    now = time.time_ns() // 1_000_000
    times = [now - 10 * HOUR, now - 9 * HOUR, now - 6 * HOUR, now - 5 * HOUR, now - 2 * HOUR, now - HOUR]
    for i, at in enumerate(times):
        phone.record("power-off" if i % 2 == 0 else "power-on", at=at)
    phone.record("grievance", theme="water", place="JSR", text="الماء مقطوع منذ يومين")
    data = phone.file()
    assert is_outbox(data)
    got = import_outbox(homes, data)
    assert (got.added, got.duplicates, got.unmatched) == (7, 0, 0)
    rows = homes.query("SELECT start_at, end_at FROM ledger_interval WHERE household = 'hh-a1' ORDER BY start_at")
    assert [(time_iso(r[0]), time_iso(r[1])) for r in rows] == [
        (_local(times[0]), _local(times[1])), (_local(times[2]), _local(times[3])),
        (_local(times[4]), _local(times[5]))]
    texts = [r[0] for r in homes.query("SELECT text FROM listening_grievance")]
    assert texts == ["الماء مقطوع منذ يومين"]
    # re-sending adds nothing, and says the vault holds every entry
    before = _events(homes)
    again = import_outbox(homes, data)
    assert (again.added, again.duplicates) == (0, 7)
    assert sorted(again.held) == sorted(eid for eid, _ in phone.outbox)
    assert _events(homes) == before


def test_power_back_in_a_later_delivery_closes_the_phones_own_outage(homes):
    phone = pair(homes, "hh-a1")
    now = time.time_ns() // 1_000_000
    phone.record("power-off", at=now - 3 * HOUR)
    import_outbox(homes, phone.file())
    ledger.start_outage(homes, "hh-b2")  # another household's outage stays open
    phone.outbox.clear()
    phone.record("power-on", at=now - HOUR)
    got = import_outbox(homes, phone.file())
    assert got.unmatched == 0
    assert _intervals(homes, "hh-a1")[0][1] is not None
    assert ledger.open_interval(homes, "hh-b2") is not None


def test_clock_offset_corrects_a_phone_clock_years_off(homes):
    phone = pair(homes, "hh-a1")
    truth = time.time_ns() // 1_000_000 - 2 * HOUR
    years = 6 * 365 * 24 * HOUR
    phone.offset, phone.synced_at = years, truth - years - HOUR  # the phone thinks it is six years earlier
    phone.record("power-off", at=truth - years)
    import_outbox(homes, phone.file())
    assert time_iso(_intervals(homes, "hh-a1")[0][0]) == _local(truth)


@pytest.mark.parametrize("case", ["went_back", "future", "before_2025"])
def test_clock_that_cannot_be_corrected_is_refused_whole(homes, case):
    phone = pair(homes, "hh-a1")
    now = time.time_ns() // 1_000_000
    phone.record("power-off", at=now - HOUR)
    if case == "went_back":  # reset to 1970 after the last sync: the offset no longer holds
        phone.record("power-on", at=5_000)
    elif case == "future":
        phone.record("power-on", at=now + 30 * 24 * HOUR)
    else:
        phone.offset = -(now - 1_600_000_000_000)
        phone.record("power-on", at=now)
    before = _events(homes)
    with pytest.raises(OutboxInvalid) as err:
        import_outbox(homes, phone.file())
    assert err.value.exit_code == 2
    assert err.value.msg_id in ("outbox.clock_went_back", "outbox.clock_wrong")
    assert _events(homes) == before


def _tampered(data: bytes) -> bytes:
    doc = json.loads(data)
    ct = bytearray(base64.b64decode(doc["entries"][1]["age"]))
    ct[-5] ^= 1
    doc["entries"][1]["age"] = base64.b64encode(bytes(ct)).decode()
    return json.dumps(doc).encode()


def _cut_entry(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["entries"][1]["age"] = base64.b64encode(base64.b64decode(doc["entries"][1]["age"])[:-40]).decode()
    return json.dumps(doc).encode()


def _swap_ids(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["entries"][0]["id"], doc["entries"][1]["id"] = doc["entries"][1]["id"], doc["entries"][0]["id"]
    return json.dumps(doc).encode()


@pytest.mark.parametrize("damage", [
    lambda d: d[: len(d) // 2],  # truncated file
    _tampered,  # one bit of one entry
    _cut_entry,  # one entry cut short
    _swap_ids,  # outer ids that do not match the sealed ones
    lambda d: d.replace(b'"version": 1', b'"version": 9'),
    lambda d: b"{}",
])
def test_damaged_outbox_is_refused_whole(homes, damage):
    phone = pair(homes, "hh-a1")
    for kind in ("power-off", "power-on", "water"):
        phone.record(kind)
    before = _events(homes)
    with pytest.raises(OutboxInvalid) as err:
        import_outbox(homes, damage(phone.file()))
    assert err.value.exit_code == 2
    assert _events(homes) == before


def test_foreign_outbox_is_refused(homes):
    from pyrage import x25519

    phone = pair(homes, "hh-a1")
    phone.recipients = [str(x25519.Identity.generate().to_public())]  # sealed for another vault
    phone.record("power-off")
    with pytest.raises(OutboxInvalid):
        import_outbox(homes, phone.file())


def test_unknown_phone_is_refused(homes):
    from halqa.bridge.keys import age_recipient

    stranger = Phone([age_recipient(homes)])
    stranger.record("power-off")
    before = _events(homes)
    with pytest.raises(Unauthorised):
        import_outbox(homes, stranger.file())
    assert _events(homes) == before


def test_entry_for_another_household_is_refused_by_role(homes):
    phone = pair(homes, "hh-a1")
    phone.record("power-off", household="hh-b2")
    phone.record("water")
    before = _events(homes)
    with pytest.raises(Unauthorised) as err:
        import_outbox(homes, phone.file())
    assert err.value.msg_id == "sync.out_of_scope"
    assert _events(homes) == before


def _files(vault) -> dict[str, bytes]:
    from pathlib import Path

    return {f.name: f.read_bytes() for f in sorted(Path(vault.path).iterdir())}


@pytest.mark.parametrize("paired_for", [None, "c-a"])
def test_a_check_in_for_another_circle_is_refused_whole(homes, paired_for):
    """An informant's phone, paired for circle c-a (or for no circle), names circle c-b in its
    check-in body to pollute that circle's care signals: the whole outbox is refused, nothing written."""
    phone = pair(homes, "hh-a1", circle=paired_for)
    phone.record("water")
    phone.record("checkin", score=1, circle="c-b")
    before, digests = _files(homes), homes.digests()
    with pytest.raises(Unauthorised) as err:
        import_outbox(homes, phone.file())
    assert err.value.msg_id == "sync.out_of_scope" and "c-b" in err.value.render()
    assert _files(homes) == before and homes.digests() == digests


def test_a_check_in_belongs_to_the_circle_the_phone_was_paired_for(homes):
    """The vault decides the circle: a check-in naming none is stored under the phone's own circle."""
    phone = pair(homes, "hh-a1", circle="c-a")
    phone.record("checkin", score=3)
    phone.record("checkin", score=4, circle="c-a")
    import_outbox(homes, phone.file())
    assert sorted(tuple(r) for r in homes.query("SELECT circle, score FROM learning_checkin")) == [("c-a", 3), ("c-a", 4)]


def test_a_contact_that_is_not_a_member_may_not_send_an_outbox(homes):
    phone = pair(homes, "hh-a1", role="ally")
    phone.record("power-off")
    with pytest.raises(OutboxInvalid) as err:
        import_outbox(homes, phone.file())
    assert err.value.msg_id == "outbox.not_member"


def test_a_signature_by_another_key_is_refused(homes):
    import os

    phone = pair(homes, "hh-a1")
    other = os.urandom(32)
    eid = "ab" * 16
    body = {"id": eid, "type": "power-off", "at": time.time_ns() // 1_000_000, "offset": 0,
            "synced_at": time.time_ns() // 1_000_000}
    # an envelope naming the member's key but signed by another one
    from nacl.signing import SigningKey

    from halqa.bridge.bundle import seal
    from halqa.bridge.outbox import CONTEXT

    text = json.dumps(body)
    envelope = {"v": 1, "key": phone.public, "sig": SigningKey(other).sign(CONTEXT + text.encode()).signature.hex(),
                "body": text}
    data = outbox_file([(eid, seal(json.dumps(envelope).encode(), phone.recipients))])
    with pytest.raises(OutboxInvalid):
        import_outbox(homes, data)


def test_cli_imports_an_outbox_and_refuses_a_damaged_one(homes, cli, tmp_path):
    phone = pair(homes, "hh-a1")
    phone.record("power-off")
    phone.record("grievance", theme="water", place="JSR", text="نص")
    homes.close()
    good, bad = tmp_path / "notes.json", tmp_path / "bad.json"
    good.write_bytes(phone.file())
    bad.write_bytes(phone.file()[:-30])
    code, out = cli("sync", "import", str(bad))
    assert code == 2
    code, out = cli("--json", "sync", "import", str(good))
    assert code == 0, out
    assert json.loads(out)["added"] == 2
    code, out = cli("--json", "sync", "import", str(good))
    assert code == 0 and json.loads(out)["added"] == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_and_never_write(homes, junk):
    before = _events(homes)
    data = b'{"format": "halqa-outbox", "version": 1, "entries": ' + junk
    with pytest.raises((OutboxInvalid, Unauthorised)):
        import_outbox(homes, data)
    assert _events(homes) == before


def test_a_grievance_with_a_voice_note_arrives_with_it(homes):
    import hashlib

    phone = pair(homes, "hh-a1")
    audio = bytes(range(256)) * 40
    phone.record("grievance", theme="water", place="JSR", voice=base64.b64encode(audio).decode(), voice_mime="audio/webm")
    import_outbox(homes, phone.file())
    row = homes.query_one("SELECT v.data, v.mime, v.sha256 FROM listening_grievance g JOIN listening_voice v "
                          "ON v.id = g.voice")
    assert (bytes(row[0]), row[1], row[2]) == (audio, "audio/webm", hashlib.sha256(audio).hexdigest())


def test_a_water_day_and_a_check_in_arrive(homes):
    phone = pair(homes, "hh-a1", circle="c-1")
    phone.record("water", no_water=True, litres_bought=40, spent="3000")
    phone.record("checkin", score=2, circle="c-1")
    got = import_outbox(homes, phone.file())
    assert got.events == 2
    water = homes.query_one("SELECT household, no_water, litres_bought, spent FROM ledger_water")
    assert tuple(water) == ("hh-a1", 1, 40, "3000")
    checkin = homes.query_one("SELECT score, member FROM learning_checkin")
    assert tuple(checkin) == (2, None)


def test_repeated_power_taps_change_nothing(homes):
    phone = pair(homes, "hh-a1")
    now = time.time_ns() // 1_000_000
    for i, kind in enumerate(("power-on", "power-off", "power-off", "power-on", "power-on")):
        phone.record(kind, at=now - (5 - i) * HOUR)
    got = import_outbox(homes, phone.file())
    assert got.unmatched == 3
    assert [(time_iso(a), time_iso(b)) for a, b in _intervals(homes, "hh-a1")] == [
        (_local(now - 4 * HOUR), _local(now - 2 * HOUR))]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(taps=st.lists(st.booleans(), min_size=1, max_size=12), cuts=st.sets(st.integers(1, 11), max_size=4),
       resend=st.lists(st.integers(0, 4), max_size=3))
def test_deliveries_in_parts_and_resent_give_what_one_delivery_gives(tmp_path_factory, taps, cuts, resend):
    """Power taps delivered in consecutive parts (in time order, as the phone sends them), with
    earlier parts sent again at any point, store the same outages as one file with everything."""

    now = time.time_ns() // 1_000_000
    results = []
    for split in (False, True):
        folder = tmp_path_factory.mktemp("v")
        vault = new_vault(folder, "v")
        try:
            import halqa.places as places

            places.add_area(vault, "JSR", "حي الجسر")
            places.add_household(vault, "JSR", pseudonym="hh-a1")
            phone = pair(vault, "hh-a1")
            for i, off in enumerate(taps):
                phone.record("power-off" if off else "power-on", at=now - (len(taps) - i) * HOUR)
            if not split:
                import_outbox(vault, phone.file())
            else:
                bounds = [0, *sorted(c for c in cuts if c < len(taps)), len(taps)]
                parts = [phone.outbox[a:b] for a, b in pairwise(bounds)]
                sent: list[bytes] = []
                for k, part in enumerate(parts):
                    sent.append(outbox_file(part))
                    import_outbox(vault, sent[-1])
                    for r in resend:
                        if r <= k:
                            assert import_outbox(vault, sent[r]).added == 0
            results.append(_intervals(vault, "hh-a1"))
        finally:
            vault.close()
    assert results[0] == results[1]
