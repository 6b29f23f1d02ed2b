"""Events, clocks, projections, rebuild, migrations, redaction and merge."""

from __future__ import annotations

import gc
import random

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa import places
from halqa.errors import InvalidInput, VaultCorrupt
from halqa.places import AreaPut, HouseholdPut
from halqa.vault import (
    HLC,
    Vault,
    export_commits,
    heads,
    redact,
)
from halqa.vault.events import Event, body_hash, decode_payload, encode_payload, event_hash, event_hashes, hash_prefix
from halqa.vault.migrations import SCHEMA_VERSION

from ..conftest import PASSPHRASE, new_vault
from ..conftest import ingest_from_devices as ingest


def test_hlc_monotonic_when_clock_goes_back():
    now = [1_000]
    clock = HLC(now_ms=lambda: now[0])
    a = clock.tick()
    now[0] = 10  # the phone's clock was reset to 1970
    b = clock.tick()
    assert b > a
    clock.observe(HLC(now_ms=lambda: 5_000).tick())
    assert clock.tick() > (5_000 << 16)


@given(code=st.from_regex(r"\A\w[\w.-]{0,11}\Z").filter(lambda c: ".." not in c),
       name=st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{0,15}\Z"), size=st.none() | st.integers(0, 50))
def test_payload_round_trip_and_canonical(code, name, size):
    put = HouseholdPut(id=code, area=name, size=size)
    body = encode_payload("household.put", put)
    assert decode_payload("household.put", body) == put
    # canonical: same struct, same bytes (after the per-event salt)
    assert encode_payload("household.put", put)[16:] == body[16:]
    as_dict = {k: v for k, v in msgspec.structs.asdict(put).items() if v is not msgspec.UNSET}
    assert encode_payload("household.put", as_dict)[16:] == body[16:]


def test_bad_payload_and_unknown_kind(vault):
    with pytest.raises(InvalidInput):
        vault.append("household.put", {"id": 3})
    with pytest.raises(InvalidInput):
        vault.append("no.such_kind", {})
    # A struct of the kind's exact type takes the writer's short path: its check still runs,
    # as it does for one converted from a dict.
    for bad in (HouseholdPut(id="no spaces"), HouseholdPut(id="hh-1", size=5000), HouseholdPut(id="hh-1", area="low")):
        with pytest.raises(InvalidInput):
            vault.append("household.put", bad)
        with pytest.raises(InvalidInput):
            vault.append("household.put", msgspec.structs.asdict(bad))
    assert vault.count_events() == 0


def test_transaction_is_atomic(vault):
    with pytest.raises(RuntimeError):
        with vault.transaction() as tx:
            tx.append("area.put", AreaPut(code="NKH", name_ar="x"))
            raise RuntimeError
    assert vault.count_events() == 0
    assert vault.query("SELECT count(*) FROM area")[0][0] == 0


def test_reads_inside_a_transaction_see_its_writes(vault):
    with vault.transaction() as tx:
        tx.append("area.put", AreaPut(code="NKH", name_ar="x"))
        assert vault.query_one("SELECT code FROM area")[0] == "NKH"


def test_field_level_last_writer_wins_and_final_tombstone(vault):
    vault.append("area.put", AreaPut(code="NKH", name_ar="قديم", name_en="old"))
    vault.append("area.put", AreaPut(code="NKH", name_en="new"))  # only one field
    row = vault.query_one("SELECT name_ar, name_en FROM area")
    assert tuple(row) == ("قديم", "new")
    vault.append("area.delete", {"code": "NKH"})
    vault.append("area.put", AreaPut(code="NKH", name_ar="again"))
    assert vault.query("SELECT * FROM area") == []


def test_commits_are_signed_and_verify(vault):
    places.add_area(vault, "NKH", "حي النخيل")
    records = export_commits(vault)
    assert len(records) == 1
    records[0].commit().verify()
    forged = msgspec.structs.replace(records[0], seq=records[0].seq + 5)
    with pytest.raises(VaultCorrupt):
        forged.commit().verify()


def test_rebuild_gives_identical_tables(vault):
    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=20)
    for hid in [r.id for r in places.households(vault)][:10]:
        vault.append("household.put", HouseholdPut(id=hid, size=rng.randint(1, 9)))
    vault.append("household.delete", {"id": places.households(vault)[0].id})
    before = vault.digests()
    assert vault.rebuild() == before
    vault.close()


def test_projection_version_bump_rebuilds_on_open(vault, vault_path, monkeypatch):
    places.add_area(vault, "NKH", "حي النخيل")
    vault.conn.execute("UPDATE projections SET version = 0 WHERE name = 'area'")
    vault.conn.execute("DELETE FROM area")
    vault.close()
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert v.query_one("SELECT code FROM area")[0] == "NKH"


def test_migrations_recorded(vault):
    rows = vault.query("SELECT version, name FROM migrations ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    assert vault.info()["schema"] == SCHEMA_VERSION


def test_redaction_purges_payload_and_projection(vault):
    ev = vault.append("household.put", HouseholdPut(id="hh-aaaa", area="NKH", size=4))
    vault.append("household.put", HouseholdPut(id="hh-bbbb", area="NKH", size=2))
    assert redact(vault, [ev.id], reason="asked by the household") == 1
    assert vault.query_one("SELECT body FROM events WHERE eid = ?", (ev.id,))[0] is None
    assert [r.id for r in places.households(vault)] == ["hh-bbbb"]
    # the signed commit still verifies without the payload
    for rec in export_commits(vault):
        rec.commit().verify()
    assert vault.rebuild() == vault.digests()


def test_redaction_travels_and_wins_over_late_arrivals(tmp_path):
    a, b, c = (new_vault(tmp_path, n) for n in "abc")
    ev = a.append("household.put", HouseholdPut(id="hh-secret", area="NKH"))
    ingest(b, export_commits(a))
    redact(b, [ev.id])
    # c hears of the redaction before the original event: it must never store the payload
    redaction_only = [r for r in export_commits(b) if r.device == b.device_id]
    ingest(c, redaction_only)
    ingest(c, export_commits(a))
    ingest(a, export_commits(b))
    for v in (a, b, c):
        assert v.query("SELECT * FROM household") == []
        assert v.query_one("SELECT body FROM events WHERE eid = ?", (ev.id,))[0] is None
        v.close()


def test_ingest_rejects_tampering_and_writes_nothing(tmp_path):
    a, b = new_vault(tmp_path, "a"), new_vault(tmp_path, "b")
    places.add_area(a, "NKH", "حي النخيل")
    recs = export_commits(a)
    body = bytearray(recs[0].events[0].body)
    body[-1] ^= 1
    bad = msgspec.structs.replace(recs[0], events=[msgspec.structs.replace(recs[0].events[0], body=bytes(body))])
    with pytest.raises(VaultCorrupt):
        ingest(b, [bad])
    assert b.count_events() == 0
    assert ingest(b, recs)["events"] == 1
    assert ingest(b, recs)["events"] == 0  # replay: idempotent
    assert heads(b)[a.device_id] == 1


# One step of a random history: (device, kind of action, value)
ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["put", "edit", "delete", "sync"]),
                             st.integers(0, 5), st.integers(0, 2)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, order=st.randoms(use_true_random=False))
def test_merge_is_order_free_across_three_devices(tmp_path_factory, actions, order):
    """Any order and any duplication of exchanged commits gives identical tables."""
    base = tmp_path_factory.mktemp("merge")
    devices = [new_vault(base, n) for n in "xyz"]
    try:
        for dev, action, value, peer in actions:
            v = devices[dev]
            key = f"hh-{value}"
            if action == "put":
                v.append("household.put", HouseholdPut(id=key, area="NKH", size=value))
            elif action == "edit":
                v.append("household.put", HouseholdPut(id=key, size=value * 10 + dev))
            elif action == "delete":
                v.append("household.delete", {"id": key})
            elif peer != dev:
                ingest(devices[peer], export_commits(v, heads(devices[peer])))
        everything = [rec for v in devices for rec in export_commits(v)]
        for v in devices:
            batch = everything * 2
            order.shuffle(batch)
            for i in range(0, len(batch), 3):
                ingest(v, batch[i:i + 3])
        digests = [v.digests() for v in devices]
        assert digests[0] == digests[1] == digests[2]
        assert devices[0].rebuild() == digests[0]
        fresh = new_vault(base, "fresh")
        order.shuffle(everything)
        ingest(fresh, everything)
        assert {k: d for k, d in fresh.digests().items()} == digests[0]
        fresh.close()
    finally:
        for v in devices:
            v.close()


def test_bodies_withheld_by_kind_are_filled_in_later(tmp_path):
    a, b = new_vault(tmp_path, "a"), new_vault(tmp_path, "b")
    with a.transaction() as tx:
        tx.append("area.put", AreaPut(code="NKH", name_ar="حي النخيل"))
        tx.append("household.put", HouseholdPut(id="hh-aaaa", area="NKH"))
    ingest(b, export_commits(a, kinds={"area.put"}))
    assert b.query("SELECT * FROM household") == []
    assert b.query_one("SELECT code FROM area")[0] == "NKH"
    ingest(b, export_commits(a))  # the same commit, now with every body
    assert [r.id for r in places.households(b)] == ["hh-aaaa"]
    assert b.digests() == a.digests()


def test_forks_are_merged_not_rejected(tmp_path):
    """A vault folder copied by hand signs different commits under the same numbers."""
    import shutil

    a = new_vault(tmp_path, "a")
    places.add_area(a, "NKH", "حي النخيل")
    a.close()
    shutil.copytree(tmp_path / "a.halqa", tmp_path / "copy.halqa")
    a = Vault.open(tmp_path / "a.halqa", PASSPHRASE)
    copy = Vault.open(tmp_path / "copy.halqa", PASSPHRASE)
    a.append("household.put", HouseholdPut(id="hh-from-a", area="NKH"))
    copy.append("household.put", HouseholdPut(id="hh-from-copy", area="NKH"))
    assert export_commits(a)[-1].seq == export_commits(copy)[-1].seq  # a fork
    ingest(a, export_commits(copy))
    ingest(copy, export_commits(a))
    assert {r.id for r in places.households(a)} == {"hh-from-a", "hh-from-copy"}
    assert a.digests() == copy.digests()


def test_restored_backup_never_reuses_sequence_numbers(tmp_path):
    """Lost phone, restored from an older backup: its new commits must reach peers that
    already hold the old phone's later commits."""
    from halqa.vault import backup, restore

    phone, peer = new_vault(tmp_path, "phone"), new_vault(tmp_path, "peer")
    places.add_area(phone, "NKH", "حي النخيل")
    backup(phone, tmp_path / "phone.bak")
    for i in range(3):
        phone.append("household.put", HouseholdPut(id=f"hh-old-{i}", area="NKH"))
    ingest(peer, export_commits(phone))
    phone.close()
    restore(tmp_path / "phone.bak", tmp_path / "new-phone.halqa")
    new_phone = Vault.open(tmp_path / "new-phone.halqa", PASSPHRASE)
    new_phone.append("household.put", HouseholdPut(id="hh-new", area="NKH"))
    sent = export_commits(new_phone, heads(peer))  # only what the peer lacks
    assert [r.seq > 3 for r in sent] == [True]
    ingest(peer, sent)
    ingest(new_phone, export_commits(peer, heads(new_phone)))
    assert {r.id for r in places.households(peer)} == {"hh-old-0", "hh-old-1", "hh-old-2", "hh-new"}
    assert peer.digests() == new_phone.digests()
    new_phone.close()
    Vault.open(tmp_path / "new-phone.halqa", PASSPHRASE).close()  # the jump happens once


@given(st.lists(st.tuples(st.binary(min_size=16, max_size=16), st.sampled_from(["household.put", "area.put", "x.é"]),
                          st.integers(0, 2**63 - 1), st.binary(max_size=64)), max_size=20),
       st.binary(min_size=32, max_size=32))
def test_batch_event_hashes_are_the_event_hashes(rows: list[tuple[bytes, str, int, bytes]], device: bytes) -> None:
    # The writer hashes a whole buffer at once: the bytes must be those of one event at a time
    # (what a receiving device recomputes to verify the signed commit).
    stored = [(eid, 1, kind, 1, hlc, body) for eid, kind, hlc, body in rows]
    prefixes = {kind: hash_prefix(kind, device) for _, kind, _, _ in rows}
    assert event_hashes(stored, prefixes) == [event_hash(eid, kind, device, hlc, body_hash(body))
                                              for eid, kind, hlc, body in rows]


def test_events_are_not_tracked_by_the_garbage_collector() -> None:
    # A commit buffers thousands and a rebuild reads a million: tracked, they made the
    # collector's passes a few percent of an append (docs/performance.md, issue 19).
    payload = {"held": [1, 2]}  # itself tracked: an event holding it would be too, by default
    assert not gc.is_tracked(Event(b"\0" * 16, "x.put", b"\0" * 32, 1, payload))
