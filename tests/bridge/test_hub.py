"""The allies' hub on a real PostgreSQL server: the same merge on both backends."""

from __future__ import annotations

import random
import shutil

import psycopg
import pytest
from nacl.signing import SigningKey

from halqa import listening, places
from halqa.bridge import (
    BundleInvalid,
    add_contact,
    export_bundle,
    hub_init,
    hub_open,
    identity,
    import_bundle,
    received_aggregates,
)
from halqa.bridge.bundle import seal, write_inner
from halqa.bridge.events import AggregatePut
from halqa.bridge.hub import area_months, hub_info, import_many
from halqa.errors import InvalidInput
from halqa.places import HouseholdPut
from halqa.results import to_data
from halqa.vault import Vault, export_commits, heads, ingest
from halqa.vault.authz import AGGREGATE_KIND, Grant, Unauthorised
from halqa.vault.migrations import SCHEMA_VERSION

from ..conftest import PASSPHRASE, new_vault


@pytest.fixture
def circles(tmp_path):
    """Three circles with listening data, each with the hub-to-be as a contact later."""
    vs = []
    for i, name in enumerate(("basra", "nasiriya", "sulaymaniyah")):
        v = new_vault(tmp_path, name)
        rng = random.Random(i)
        places.demo(v, rng, households_per_area=1)
        listening.demo(v, rng, n=120)
        vs.append(v)
    yield vs
    for v in vs:
        v.close()


def _cells(store):
    return sorted(tuple(r) for r in store.query("SELECT source, dataset, area, theme, period, value, n FROM bridge_aggregate_cell"))


def test_hub_collects_aggregates_from_many_circles(pg_server, circles):
    url = pg_server()
    hub = hub_init(url)
    try:
        with pytest.raises(InvalidInput):
            hub_init(url)
        hub_text = identity(hub).text
        files = []
        for c in circles:
            add_contact(c, "hub", text=hub_text, role="hub")
            add_contact(hub, c.path.stem, text=identity(c).text, role="circle")
            files.append(export_bundle(c, ["hub"], None, threshold=2).data)  # a hub's role: aggregates
        with pytest.raises(InvalidInput):
            export_bundle(circles[0], ["hub"], None, everything=True)  # --full is for devices only
        # A full bundle made anyway (a modified program): refused by kind, and by role if kinds are opened.
        keys = [identity(hub).age_recipient]
        full = seal(write_inner(circles[0], export_commits(circles[0]), keys)[1], keys)
        with pytest.raises(Unauthorised, match="role 'circle'"):
            import_bundle(hub, full, accept=("aggregates", "commits"))
        res = import_many(hub, [*files, files[0], b"junk", full])
        assert res.imported == 3 and len(res.rejected) == 3
        assert {r.error for r in res.rejected} == {"bridge.bundle_replayed", "bridge.bundle_not_age",
                                                         "bridge.bundle_kind_refused"}
        assert hub.query("SELECT count(*) FROM events WHERE kind = 'household.put'")[0][0] == 0
        rows = received_aggregates(hub, "grievances", ("theme",))
        assert rows and max(r.circles for r in rows) == 3
        electricity = next(r for r in rows if r.theme == "electricity")
        assert electricity.n >= 2
        assert hub_info(hub).circles == 3
    finally:
        hub.close()
    again = hub_open(url)
    try:
        assert received_aggregates(again, "grievances", ("theme",)) == rows
    finally:
        again.close()


def test_same_merge_on_both_backends(pg_server, tmp_path):
    """Full commit bundles from three devices, in two different orders with duplicates, into the
    hub and into an embedded vault: identical events, commits and tables."""
    hub = hub_init(pg_server())
    vault = new_vault(tmp_path, "ally")
    devs = [new_vault(tmp_path, n) for n in "abc"]
    try:
        for store in (hub, vault):
            for d in devs:
                add_contact(d, store.path.stem if store is vault else "hub", text=identity(store).text, role="device")
                add_contact(store, d.path.stem, text=identity(d).text, role="device")
        bundles: list[bytes] = []  # each sealed to both the hub and the embedded vault
        rng = random.Random(5)
        for step in range(9):
            d = devs[step % 3]
            d.append("household.put", HouseholdPut(id=f"hh-{rng.randrange(4)}", area="NKH", size=step))
            if step % 4 == 3:
                d.append("household.delete", {"id": f"hh-{rng.randrange(4)}"})
            bundles.append(export_bundle(d, ["hub", "ally"], None).data)
        for d in devs:
            d.append("bridge_aggregate.put", {"id": f"s-{d.path.stem}", "dataset": "grievances", "created": "2026-01-01",
                                              "threshold": 5, "cells": [["NKH", "water", "2026-03-02", 7.0, 7]]})
            bundles.append(export_bundle(d, ["hub", "ally"], None).data)
        order = bundles + bundles[:3]
        rng.shuffle(order)
        for data in order:
            try:
                import_bundle(hub, data)
            except BundleInvalid as err:
                assert err.msg_id == "bridge.bundle_replayed"
        for data in reversed(bundles):
            import_bundle(vault, data)

        def events(store):
            return sorted((bytes(r[0]), r[1], r[2], None if r[3] is None else bytes(r[3])) for r in store.query(
                "SELECT e.eid, e.kind, e.hlc, e.body FROM events e JOIN devices d ON d.id = e.device WHERE d.local = 0"))

        assert events(hub) == events(vault)
        assert len(events(hub)) > 20
        assert _cells(hub) == _cells(vault) and len(_cells(hub)) == 3
        assert received_aggregates(hub, "grievances") == received_aggregates(vault, "grievances")
        commits = "SELECT c.cid FROM commits c JOIN devices d ON d.id = c.device WHERE d.local = 0 ORDER BY c.cid"
        assert [bytes(r[0]) for r in hub.query(commits)] == [bytes(r[0]) for r in vault.query(commits)]
        # a rebuild on the hub gives the same tables as the incremental fold
        before = hub.digests()
        assert hub.rebuild() == before
    finally:
        hub.close()
        vault.close()
        for d in devs:
            d.close()


def test_hub_commands(cli, vault, pg_server, tmp_path):
    import json

    url = pg_server()
    code, out = cli("hub", "init", url, "--json")
    assert code == 0, out
    hub_text = json.loads(out)["pairing_text"]
    assert json.loads(cli("hub", "id", url, "--json")[1])["pairing_text"] == hub_text
    rng = random.Random(4)
    places.demo(vault, rng, households_per_area=1)
    listening.demo(vault, rng, n=150)
    assert cli("contacts", "add", "hub", "--text", hub_text, "--role", "hub")[0] == 0
    code, out = cli("hub", "add-circle", url, "basra", "--text", identity(vault).text, "--verified", "in-person")
    assert code == 0, out
    assert cli("sync", "export", "--to", "hub", "--aggregate-only", "--threshold", "2", "-o", str(tmp_path / "a.age"))[0] == 0
    assert cli("sync", "export", "--to", "hub", "--full", "-o", str(tmp_path / "full.age"))[0] == 2
    assert cli("sync", "export", "--to", "hub", "--threshold", "2", "-o", str(tmp_path / "b.age"))[0] == 0
    code, out = cli("hub", "import", url, str(tmp_path / "a.age"), str(tmp_path / "b.age"), str(tmp_path / "a.age"),
                    "--json")
    assert code == 2 and json.loads(out)["imported"] == 2  # the replayed one is refused
    code, out = cli("hub", "query", url, "--by", "theme", "--json")
    assert code == 0 and json.loads(out) and all(r["circles"] == 1 for r in json.loads(out))
    code, out = cli("hub", "init", "mysql://nope")
    assert code == 2


def _fork(folder):
    """A device ``a`` and a hand-made copy of its folder: both sign their next commit as number 2."""
    a = new_vault(folder, "a")
    places.add_area(a, "NKH", "حي النخيل")
    a.close()
    shutil.copytree(folder / "a.halqa", folder / "copy.halqa")
    return Vault.open(folder / "a.halqa", PASSPHRASE), Vault.open(folder / "copy.halqa", PASSPHRASE)


def test_hub_keeps_forked_commits_as_a_vault_does(pg_server, tmp_path):
    """Drift regression: one device signs two different commits under one sequence number (a vault
    folder copied by hand). A vault keeps both since its migration 3; the hub must too."""
    a, copy = _fork(tmp_path)
    vault = new_vault(tmp_path, "ally")
    hub = hub_init(pg_server())
    try:
        a.append("household.put", HouseholdPut(id="hh-from-a", area="NKH"))
        copy.append("household.put", HouseholdPut(id="hh-from-copy", area="NKH"))
        forked = [max(export_commits(s), key=lambda r: r.seq) for s in (a, copy)]
        assert forked[0].seq == forked[1].seq == 2 and forked[0].signature != forked[1].signature
        grants = {a.device_id: Grant("device", "a")}
        for store in (vault, hub):
            ingest(store, export_commits(a), grants)
            counts = ingest(store, export_commits(copy), grants)
            assert counts["commits"] == 1, store
        cids = "SELECT c.cid FROM commits c JOIN devices d ON d.id = c.device WHERE d.local = 0 ORDER BY c.cid"
        assert [bytes(r[0]) for r in hub.query(cids)] == [bytes(r[0]) for r in vault.query(cids)]
        assert len(hub.query(cids)) == 3
        assert heads(hub) == heads(vault) == {a.device_id: 2}
    finally:
        for s in (a, copy, vault, hub):
            s.close()


# The schema `halqa hub init` wrote before the storage protocol (one migration, "hub tables").
_OLD_HUB_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT);
CREATE TABLE devices (id BIGINT PRIMARY KEY, pubkey BYTEA NOT NULL UNIQUE, label TEXT, local INTEGER NOT NULL DEFAULT 0);
CREATE TABLE commits (
    id BIGINT PRIMARY KEY, cid BYTEA UNIQUE, device BIGINT NOT NULL REFERENCES devices(id),
    seq BIGINT NOT NULL, hlc BIGINT NOT NULL, n INTEGER NOT NULL, signature BYTEA,
    received INTEGER NOT NULL DEFAULT 0, first_event BIGINT, last_event BIGINT, UNIQUE (device, seq));
CREATE TABLE events (
    id BIGINT PRIMARY KEY, eid BYTEA NOT NULL, commit_id BIGINT, kind TEXT NOT NULL, device BIGINT NOT NULL,
    hlc BIGINT NOT NULL, body BYTEA, body_hash BYTEA);
CREATE UNIQUE INDEX events_order ON events (hlc, eid);
CREATE TABLE projections (name TEXT PRIMARY KEY, version INTEGER NOT NULL, upto BIGINT NOT NULL,
    last_hlc BIGINT NOT NULL, last_eid BYTEA NOT NULL);
CREATE TABLE tombstones (projection TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (projection, key));
CREATE TABLE redacted (eid BYTEA PRIMARY KEY, by_eid BYTEA NOT NULL);
"""


def test_a_hub_made_before_the_storage_protocol_is_migrated(pg_server, tmp_path):
    """An old hub (copied schema, UNIQUE (device, seq)) opens, gets the migrations it lacks, and
    then keeps forked commits like any vault."""




    url = pg_server()
    key = SigningKey.generate()
    with psycopg.connect(url, autocommit=True) as raw, raw.transaction():
        raw.execute(_OLD_HUB_SCHEMA)
        raw.execute("INSERT INTO devices VALUES (1, %s, 'hub', 1)", (bytes(key.verify_key),))
        raw.execute("INSERT INTO secrets VALUES ('signing_key', %s), ('x25519_key', %s)", (bytes(key), bytes(32)))
        for k, v in {"created": "2026-01-01T00:00:00+00:00", "vault_id": "00" * 8, "slot": 0, "hlc": 0, "seq": 0,
                     "backend": "postgresql"}.items():
            raw.execute("INSERT INTO meta VALUES (%s, %s)", (k, str(v)))
        raw.execute("INSERT INTO migrations VALUES (1, 'hub tables', '2026-01-01T00:00:00+00:00')")
    a, copy = _fork(tmp_path)
    hub = hub_open(url)
    try:
        assert hub.device_id == bytes(key.verify_key)
        assert hub.storage.schema_version() == SCHEMA_VERSION
        a.append("household.put", HouseholdPut(id="hh-from-a", area="NKH"))
        copy.append("household.put", HouseholdPut(id="hh-from-copy", area="NKH"))
        grants = {a.device_id: Grant("device", "a")}
        ingest(hub, export_commits(a), grants)
        assert ingest(hub, export_commits(copy), grants)["commits"] == 1
    finally:
        for s in (a, copy, hub):
            s.close()


def _snapshot(store, sid: str, cells) -> bytes:
    """``store`` records one aggregate snapshot and seals that commit to the hub (as export_bundle does)."""
    before = int(store.meta("seq"))
    store.append("bridge_aggregate.put", AggregatePut(id=sid, dataset="outages", created="2026-03-01", threshold=5,
                                                       cells=cells))
    have = {d: 1 << 62 for d in heads(store)}
    have[store.device_id] = before
    keys = [_HUB_KEYS[0]]
    return seal(write_inner(store, export_commits(store, have, [AGGREGATE_KIND]), keys, "aggregates")[1], keys)


_HUB_KEYS: list[str] = []


def test_a_newer_snapshot_replaces_the_cells_by_difference(pg_server, tmp_path):
    """Cells are written as the difference from the snapshot before (changed, new, vanished ones);
    the tables end exactly as in a store that received only the newest snapshot, on both backends."""
    hub, other = hub_init(pg_server()), hub_init(pg_server())
    vault = new_vault(tmp_path, "ally")
    circle = new_vault(tmp_path, "basra")
    try:
        first = [("NKH", "", "2026-02-01", 10.0, 6), ("NKH", "", "2026-02-02", 20.0, 6), ("QDS", "", "2026-02-01", 5.0, 5)]
        newer = [("NKH", "", "2026-02-01", 10.0, 6), ("NKH", "", "2026-02-02", 25.5, 7), ("NKH", "", "2026-02-02", 99.0, 9),
                 ("QDS", "", "2026-03-01", 8.0, 5)]  # one kept, one changed (its repeat ignored), one gone, one new
        bundles = {}
        for store in (hub, other, vault):
            add_contact(store, "basra", text=identity(circle).text, role="circle")
            add_contact(circle, f"to-{len(bundles)}", text=identity(store).text, role="hub")
            _HUB_KEYS[:] = [identity(store).age_recipient]
            bundles[id(store)] = [_snapshot(circle, f"s1-{len(bundles)}", first), _snapshot(circle, f"s2-{len(bundles)}", newer)]
        for store in (hub, vault):
            for data in bundles[id(store)]:
                import_bundle(store, data)
        import_bundle(other, bundles[id(other)][1])
        want = [(circle.device_id.hex(), "outages", a, th, p, v, n) for a, th, p, v, n in
                [("NKH", "", "2026-02-01", 10.0, 6), ("NKH", "", "2026-02-02", 25.5, 7), ("QDS", "", "2026-03-01", 8.0, 5)]]
        assert _cells(hub) == _cells(vault) == _cells(other) == sorted(want)
        assert to_data(area_months(hub)) == to_data(area_months(vault)) == to_data(area_months(other)) == [
            {"area": "NKH", "month": "2026-02", "value": 35.5, "n": 13, "circles": 1},
            {"area": "QDS", "month": "2026-03", "value": 8.0, "n": 5, "circles": 1}]
        before = hub.digests()
        assert hub.rebuild() == before
    finally:
        for s in (hub, other, vault, circle):
            s.close()


def test_a_batch_with_a_refused_bundle_keeps_the_others(pg_server, tmp_path):
    """import_many merges a batch in one transaction; when one bundle of it is refused by its
    author's role, the batch is imported one by one: the others kept, that one reported."""
    hub = hub_init(pg_server())
    circles = [new_vault(tmp_path, name) for name in ("basra", "kut", "amara")]
    try:
        files = []
        _HUB_KEYS[:] = [identity(hub).age_recipient]
        for i, c in enumerate(circles):
            # amara is paired as a member: a member may not author aggregates here
            add_contact(hub, c.path.stem, text=identity(c).text, role="member" if i == 2 else "circle",
                        household="hh-1" if i == 2 else None)
            files.append(_snapshot(c, f"s-{i}", [("NKH", "", "2026-02-01", 10.0 + i, 6)]))
        res = import_many(hub, files)
        assert res.imported == 2 and [r.file for r in res.rejected] == ["#3"]
        assert res.rejected[0].error.startswith("sync.")
        assert to_data(area_months(hub)) == [{"area": "NKH", "month": "2026-02", "value": 21.0, "n": 12, "circles": 2}]
        again = import_many(hub, files[:2] + files[:1])  # replays, within a batch too
        assert again.imported == 0 and {r.error for r in again.rejected} == {"bridge.bundle_replayed"}
    finally:
        hub.close()
        for c in circles:
            c.close()
