"""The storage contract: what every backend of :class:`halqa.vault.storage.Storage` must do.

:class:`StorageContract` holds the tests; one subclass per backend says how to make a fresh store
and how to open a second :class:`Vault` on the same storage. ``TestSQLCipher`` runs them on the
embedded vault, ``TestPostgreSQL`` on the allies' hub in a real PostgreSQL server (skipped, with
the reason, when the server binaries are absent). As in eventsourcing's recorder test cases: one
contract, subclassed per backend, so the backends cannot drift apart unnoticed.

The sources of commits are always embedded vaults (devices); the store under test receives them.
"""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa import domains
from halqa.bridge.events import AggregatePut, SeenPut
from halqa.bridge.hub import HUB_PROJECTIONS, hub_init
from halqa.errors import VaultCorrupt
from halqa.places import HouseholdPut
from halqa.vault import TEST_KDF, CommitRecord, Vault, export_commits, heads, ingest, redact
from halqa.vault.authz import Grant
from halqa.vault.migrations import POSTGRES_MIGRATIONS, SCHEMA_VERSION, SQLITE_MIGRATIONS
from halqa.vault.storage import Storage
from halqa.vault.storage.postgres import PostgresStorage, pyformat
from halqa.vault.storage.sqlcipher import SQLCipherStorage, connect
from halqa.vault.store import DB_FILES

from ..conftest import PASSPHRASE

NewStore = Callable[[], Vault]


def _seen(i: int, day: str = "2026-03-01") -> SeenPut:
    return SeenPut(id=f"b{i:04d}", sender="aa" * 8, kind="commits", day=day)


def _aggregate(i: int, value: float) -> AggregatePut:
    return AggregatePut(id=f"s{i}", dataset="grievances", created="2026-03-01", threshold=2,
                        cells=[("NKH", "water", "2026-03", value, 3), ("QDS", "electricity", "2026-03", value / 2, 2)])


def _kept(digests: dict[str, str]) -> dict[str, str]:
    """The digests of the projections both backends keep."""
    return {k: v for k, v in digests.items() if k in HUB_PROJECTIONS}


class StorageContract:
    """The contract. Subclasses provide :meth:`make_store` and :meth:`second`."""

    def make_store(self, request: pytest.FixtureRequest, folder: Path) -> Vault:
        """A vault on a fresh, empty storage of this backend (every domain loaded)."""
        raise NotImplementedError

    def second(self, store: Vault, projections: Any = None) -> Vault:
        """Another Vault object, on its own connection, on the same storage as ``store``."""
        raise NotImplementedError

    # -- helpers
    @pytest.fixture
    def new_store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
        made: list[Vault] = []

        def make() -> Vault:
            made.append(self.make_store(request, tmp_path / f"store{len(made)}"))
            return made[-1]

        yield make
        for v in made:
            v.close()
    @pytest.fixture
    def store(self, new_store: NewStore) -> Vault:
        return new_store()

    @pytest.fixture
    def devices(self, tmp_path: Path) -> Iterator[Callable[[str], Vault]]:
        made: list[Vault] = []

        def make(name: str) -> Vault:
            v = domains.create_vault(tmp_path / f"{name}.halqa", PASSPHRASE, TEST_KDF)
            made.append(v)
            return v

        yield make
        for v in made:
            v.close()

    @staticmethod
    def grants(*devs: Vault) -> dict[bytes, Grant]:
        return {d.device_id: Grant("device", f"d{i}") for i, d in enumerate(devs)}

    @staticmethod
    def check_ranges(store: Vault) -> None:
        """Event ids are 1..top without a gap, and the commits' ranges tile them exactly."""
        s = store.storage
        top = s.top()
        assert s.count_events() == top
        covered: list[int] = []
        for _dev, _seq, _hlc, _sig, first, last in s.signed_commits():
            assert first <= last
            covered += range(first, last + 1)
        assert sorted(covered) == list(range(1, top + 1))

    # -- the contract
    def test_migrations_applied_once(self, store: Vault) -> None:
        s = store.storage
        assert isinstance(s, Storage)
        assert s.schema_version() == SCHEMA_VERSION
        assert s.migrate("2030-01-01T00:00:00+00:00") == SCHEMA_VERSION
        rows = store.query("SELECT version, name FROM migrations ORDER BY version")
        assert [(r[0], r[1]) for r in rows] == [(v, n) for v, n, _ in SQLITE_MIGRATIONS]
        again = self.second(store)
        try:
            assert len(again.query("SELECT version FROM migrations")) == SCHEMA_VERSION
        finally:
            again.close()

    def test_append_and_read_back_in_order(self, store: Vault) -> None:
        written = [store.append("bridge_seen.put", _seen(0))]
        with store.transaction() as tx:
            written += [tx.append("bridge_seen.put", _seen(i)) for i in range(1, 6)]
        # a day-precision kind: its clock is its day's first millisecond, so it sorts first
        written.append(store.append("household.put", HouseholdPut(id="hh-1", area="NKH")))
        got = list(store.events())
        assert [(e.id, e.kind, e.hlc, e.payload) for e in got] == \
            [(e.id, e.kind, e.hlc, e.payload) for e in sorted(written, key=lambda e: (e.hlc, e.id))]
        assert got[0].id == written[-1].id and [e.id for e in got[1:]] == [e.id for e in written[:-1]]
        assert [e.id for e in store.events(["household.put"])] == [written[-1].id]
        assert [e.id for e in store.events(after=store.storage.top() - 1)] == [written[-1].id]
        assert len({e.commit for e in got}) == 3
        assert [r[0] for r in store.query("SELECT id FROM bridge_seen ORDER BY id")] == [f"b{i:04d}" for i in range(6)]
        self.check_ranges(store)

    def test_contiguous_ids_across_local_and_received_commits(self, store: Vault, devices: Any) -> None:
        a, b = devices("a"), devices("b")
        for i in range(3):
            a.append_many([("bridge_seen.put", _seen(10 * i + j)) for j in range(4)])
            b.append("bridge_seen.put", _seen(100 + i))
        store.append("bridge_seen.put", _seen(500))
        ingest(store, export_commits(a), self.grants(a, b))
        store.append_many([("bridge_seen.put", _seen(600 + j)) for j in range(3)])
        ingest(store, export_commits(b), self.grants(a, b))
        assert store.count_events() == 12 + 3 + 1 + 3
        self.check_ranges(store)
        assert heads(store)[a.device_id] == 3 and heads(store)[b.device_id] == 3

    def test_forked_commits_are_both_kept(self, store: Vault, devices: Any, tmp_path: Path) -> None:
        a = devices("a")
        a.append("bridge_seen.put", _seen(1))
        a.close()
        shutil.copytree(tmp_path / "a.halqa", tmp_path / "copy.halqa")
        a, copy = Vault.open(tmp_path / "a.halqa", PASSPHRASE), Vault.open(tmp_path / "copy.halqa", PASSPHRASE)
        try:
            a.append("bridge_seen.put", _seen(2))
            copy.append("bridge_seen.put", _seen(3))
            grants = self.grants(a)
            assert ingest(store, export_commits(a), grants)["commits"] == 2
            assert ingest(store, export_commits(copy), grants)["commits"] == 1  # seq 2 again, another commit
            seqs = sorted(seq for dev, seq, *_ in store.storage.signed_commits() if dev == a.device_id)
            assert seqs == [1, 2, 2]
            assert heads(store)[a.device_id] == 2
            assert {r[0] for r in store.query("SELECT id FROM bridge_seen")} == {"b0001", "b0002", "b0003"}
            self.check_ranges(store)
        finally:
            a.close()
            copy.close()

    def test_ingest_is_idempotent(self, store: Vault, devices: Any) -> None:
        a = devices("a")
        for i in range(4):
            a.append("bridge_seen.put", _seen(i))
        a.append("bridge_aggregate.put", _aggregate(1, 7.0))
        records = export_commits(a)
        first = ingest(store, records, self.grants(a))
        assert (first["commits"], first["events"], first["duplicates"]) == (5, 5, 0)
        before = (store.count_events(), store.storage.count_commits(), store.digests())
        again = ingest(store, records + records[:2], self.grants(a))
        assert (again["commits"], again["events"], again["duplicates"]) == (0, 0, 7)
        assert (store.count_events(), store.storage.count_commits(), store.digests()) == before
        self.check_ranges(store)

    def test_redaction_travels_and_purges(self, store: Vault, devices: Any) -> None:
        a = devices("a")
        secret = a.append("bridge_seen.put", _seen(1))
        a.append("bridge_seen.put", _seen(2))
        grants = self.grants(a)
        ingest(store, export_commits(a), grants)
        assert redact(a, [secret.id]) == 1
        ingest(store, export_commits(a, heads(store)), grants)
        row = store.query_one("SELECT body, body_hash FROM events WHERE eid = ?", (secret.id,))
        assert row[0] is None and row[1] is not None
        assert store.storage.is_redacted(secret.id)
        assert [r[0] for r in store.query("SELECT id FROM bridge_seen")] == ["b0002"]
        assert store.rebuild() == store.digests()
        # and a redaction made on the store itself
        own = store.append("bridge_seen.put", _seen(3))
        assert redact(store, [own.id]) == 1
        assert store.query_one("SELECT body FROM events WHERE eid = ?", (own.id,))[0] is None
        # a target that arrives after its redaction is stored already purged
        late = self.second(store)
        try:
            assert late.query_one("SELECT count(*) FROM bridge_seen")[0] == 1
        finally:
            late.close()

    def test_tombstones_are_final(self, store: Vault) -> None:
        store.append("bridge_seen.put", _seen(1))
        store.append("bridge_seen.delete", {"id": "b0001"})
        store.append("bridge_seen.put", _seen(1, day="2026-04-01"))  # later, still dead
        assert store.query("SELECT id FROM bridge_seen") == []
        assert [tuple(r) for r in store.query("SELECT projection, key FROM tombstones")] == [("bridge_seen", "b0001")]
        assert store.rebuild(["bridge_seen"]) == {"bridge_seen": store.digests()["bridge_seen"]}
        assert store.query("SELECT id FROM bridge_seen") == []

    def test_catch_up_and_rebuild_give_identical_digests(self, store: Vault) -> None:
        store.append("bridge_aggregate.put", _aggregate(1, 5.0))
        blind = self.second(store, projections=())  # keeps no projection: they fall behind
        try:
            for i in range(5):
                blind.append("bridge_seen.put", _seen(i))
            blind.append("bridge_aggregate.put", _aggregate(2, 9.0))
        finally:
            blind.close()
        store.refresh()  # catches up what the blind writer added
        assert store.query_one("SELECT count(*) FROM bridge_seen")[0] == 5
        assert store.query_one("SELECT max(value) FROM bridge_aggregate_cell")[0] == 9.0
        caught_up = store.digests()
        assert store.rebuild() == caught_up
        fresh = self.second(store)
        try:
            assert fresh.digests() == caught_up
        finally:
            fresh.close()

    def test_meta_and_secrets_round_trip(self, store: Vault) -> None:
        s = store.storage
        store.set_meta("max_clock_ahead_hours", 2.5)
        store.set_meta("note", "حلقة")
        assert float(store.meta("max_clock_ahead_hours")) == 2.5
        assert store.meta("note") == "حلقة"
        assert store.meta("absent", "default") == "default"
        s.begin()
        s.add_secrets({"extra_key": b"\x00\xff" * 16})
        s.commit()
        assert s.secret("extra_key") == b"\x00\xff" * 16
        assert s.secret("absent") is None
        assert len(s.secret("signing_key") or b"") == 32
        other = self.second(store)
        try:
            assert other.device_id == store.device_id and other.meta("note") == "حلقة"
        finally:
            other.close()

    def test_failed_transaction_leaves_nothing(self, store: Vault, devices: Any) -> None:
        store.append("bridge_seen.put", _seen(1))
        before = (store.count_events(), store.storage.count_commits(), store.digests(), store.meta("seq"))
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.append("bridge_seen.put", _seen(2))
            tx.flush()  # written and folded, then undone
            raise RuntimeError("power cut")
        a = devices("a")
        a.append("bridge_seen.put", _seen(3))
        bad = export_commits(a)
        bad[0].signature = bytes(64)
        with pytest.raises(VaultCorrupt):
            ingest(store, bad, self.grants(a))
        assert (store.count_events(), store.storage.count_commits(), store.digests(), store.meta("seq")) == before
        store.append("bridge_seen.put", _seen(4))
        self.check_ranges(store)
        assert int(store.meta("seq")) == 2

    def test_two_writers_are_serialised(self, store: Vault) -> None:
        others = [self.second(store) for _ in range(2)]
        errors: list[BaseException] = []

        def write(v: Vault, base: int) -> None:
            try:
                for i in range(8):
                    v.append_many([("bridge_seen.put", _seen(base + 10 * i + j)) for j in range(3)])
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(v, 1000 * (k + 1))) for k, v in enumerate(others)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for v in others:
            v.close()
        assert errors == []
        store.refresh()
        assert store.count_events() == 2 * 8 * 3
        self.check_ranges(store)
        seqs = sorted(seq for _d, seq, *_ in store.storage.signed_commits())
        assert seqs == list(range(1, 17))  # one device, every number once: no lost or forked update
        assert store.query_one("SELECT count(*) FROM bridge_seen")[0] == 48

    # One test run by two subclasses: hypothesis sees two executors, which is the point here.
    @settings(max_examples=6, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(seed=st.integers(0, 2**32 - 1))
    def test_any_order_gives_the_same_digests(self, new_store: NewStore, devices: Any, seed: int) -> None:
        records, grants = self._commit_set(devices)
        rng = random.Random(seed)
        order = records + rng.sample(records, k=len(records) // 3)
        rng.shuffle(order)
        reference, shuffled = new_store(), new_store()
        for rec in records:
            ingest(reference, [rec], grants)
        for i in range(0, len(order), 3):
            ingest(shuffled, order[i:i + 3], grants)
        assert shuffled.digests() == reference.digests()
        assert shuffled.rebuild() == reference.digests()
        self.check_ranges(shuffled)

    @staticmethod
    def stored(store: Vault) -> tuple[Any, ...]:
        """Everything a merge writes: the events and commits as stored (ids included), the digests."""
        events = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in store.query(
            "SELECT id, eid, commit_id, kind, device, hlc, body, body_hash FROM events ORDER BY id")]
        commits = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in store.query(
            "SELECT id, cid, device, seq, hlc, n, signature, received, first_event, last_event FROM commits ORDER BY id")]
        return events, commits, store.digests()

    @settings(max_examples=6, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(seed=st.integers(0, 2**32 - 1))
    def test_batched_merge_equals_one_by_one(self, new_store: NewStore, devices: Any, seed: int) -> None:
        """ingest's batched merge (a few statements per batch) writes exactly what the merge of one
        commit at a time does: same ids, ranges, bodies filled, duplicates skipped, counts."""
        import halqa.vault.sync as sync

        records, grants = self._commit_set(devices)
        rng = random.Random(seed)
        # Some commits first travel without their bodies (a kinds-filtered export), so that a
        # later batch fills them in; then batches in any order, with commits seen twice.
        bodiless = [CommitRecord(r.device, r.seq, r.hlc, r.signature,
                                 [type(e)(e.id, e.kind, e.hlc, e.body_hash, None if e.kind == "bridge_seen.put" else e.body)
                                  for e in r.events]) for r in rng.sample(records, k=len(records) // 3)]
        order = records + rng.sample(records, k=len(records) // 2)
        rng.shuffle(order)
        batches = [bodiless] + [order[i:i + rng.randint(1, 8)] for i in range(0, len(order), 4)]
        batched, plain = new_store(), new_store()
        counts = [], []
        for batch in batches:
            counts[0].append(ingest(batched, batch, grants))
        real = sync._batchable
        sync._batchable = lambda records: False
        try:
            for batch in batches:
                counts[1].append(ingest(plain, batch, grants))
        finally:
            sync._batchable = real
        assert any(real(b) for b in batches)  # the batched path did run
        assert counts[0] == counts[1]
        assert self.stored(batched) == self.stored(plain)
        assert batched.rebuild() == plain.digests()
        self.check_ranges(batched)

    @settings(max_examples=6, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(seed=st.integers(0, 2**32 - 1))
    def test_late_snapshots_fold_in_without_a_refold(self, new_store: NewStore, devices: Any, seed: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        """Aggregate snapshots arriving in any order (a phone offline for a week sends an older
        one after newer ones were folded) give the tables of a full refold, without one."""
        records, grants = self._snapshots(devices)
        rng = random.Random(seed)
        order = records + rng.sample(records, k=len(records) // 4)
        rng.shuffle(order)
        store = new_store()
        refolded: list[str] = []
        real = Vault._rebuild_bodies
        monkeypatch.setattr(Vault, "_rebuild_bodies", lambda v, chosen: (refolded.extend(p.name for p in chosen),
                                                                          real(v, chosen))[1])
        for i in range(0, len(order), 3):
            ingest(store, order[i:i + 3], grants)
        assert not {"bridge_aggregate", "hub_area_month", "authz_owner"} & set(refolded)
        monkeypatch.undo()
        folded = store.digests()
        assert store.rebuild() == folded
        reference = new_store()
        ingest(reference, sorted(records, key=lambda r: r.hlc), grants)
        assert reference.digests() == folded

    _snapshots_made: tuple[list[CommitRecord], dict[bytes, Grant]] | None = None

    def _snapshots(self, devices: Any) -> tuple[list[CommitRecord], dict[bytes, Grant]]:
        """Snapshots of two datasets from two devices whose cells come and go, one id sent twice."""
        if self._snapshots_made is None:
            devs = [devices(n) for n in "pq"]
            rng = random.Random(11)
            for step in range(10):
                d = devs[step % 2]
                for dataset in ("outages", "grievances"):
                    cells = [(f"A{a}", "", f"2026-0{m}-01", float(rng.randrange(100)), rng.randrange(5, 20))
                             for a in range(3) for m in range(1, 5) if rng.random() < 0.7]
                    d.append("bridge_aggregate.put", AggregatePut(
                        id=f"{dataset}-{step // 2}" if step % 4 == 3 else f"{dataset}-{step}-{d.device_id.hex()[:6]}",
                        dataset=dataset, created="2026-03-01", threshold=2, cells=cells))
            self._snapshots_made = ([r for d in devs for r in export_commits(d)], self.grants(*devs))
        return self._snapshots_made

    _made: tuple[list[CommitRecord], dict[bytes, Grant]] | None = None

    def _commit_set(self, devices: Any) -> tuple[list[CommitRecord], dict[bytes, Grant]]:
        """Commits from three devices with puts, a delete, aggregates and a redaction (made once per test)."""
        if self._made is None:
            devs = [devices(n) for n in "xyz"]
            rng = random.Random(7)
            for step in range(12):
                d = devs[step % 3]
                d.append("bridge_seen.put", _seen(rng.randrange(6), day=f"2026-03-{step + 1:02d}"))
                if step % 5 == 4:
                    d.append("bridge_seen.delete", {"id": f"b{rng.randrange(6):04d}"})
                if step % 4 == 0:
                    d.append("bridge_aggregate.put", _aggregate(step, float(step)))
            victim = next(devs[0].events(["bridge_seen.put"]))
            redact(devs[0], [victim.id])
            self._made = ([r for d in devs for r in export_commits(d)], self.grants(*devs))
        return self._made


class TestSQLCipher(StorageContract):
    """The embedded vault: a SQLCipher file in a vault folder."""

    def make_store(self, request: pytest.FixtureRequest, folder: Path) -> Vault:
        return domains.create_vault(folder.with_suffix(".halqa"), PASSPHRASE, TEST_KDF)

    def second(self, store: Vault, projections: Any = None) -> Vault:
        for name in DB_FILES:
            try:
                conn = connect(store.path / name, store.master_key)
            except VaultCorrupt:
                continue  # the decoy's or random bytes
            return Vault(SQLCipherStorage(conn), projections=projections)
        raise AssertionError("no database opens with the vault's key")


class TestPostgreSQL(StorageContract):
    """The allies' hub: a vault on PostgreSQL (only the projections in HUB_PROJECTIONS)."""

    urls: dict[int, str]

    def make_store(self, request: pytest.FixtureRequest, folder: Path) -> Vault:
        domains.load()
        url = request.getfixturevalue("pg_server")()  # skips, with the reason, without PostgreSQL
        hub = hub_init(url)
        self.urls = {**getattr(self, "urls", {}), id(hub): url}
        return hub

    def second(self, store: Vault, projections: Any = None) -> Vault:
        kept = HUB_PROJECTIONS if projections is None else projections
        return Vault(PostgresStorage(self.urls[id(store)]), projections=kept)


# ---------------------------------------------------------------------------- across backends
def test_both_migration_lists_have_the_same_steps():
    assert [(v, n) for v, n, _ in SQLITE_MIGRATIONS] == [(v, n) for v, n, _ in POSTGRES_MIGRATIONS]


def test_both_backends_are_storages():
    assert isinstance(SQLCipherStorage, type) and isinstance(PostgresStorage, type)
    for cls in (SQLCipherStorage, PostgresStorage):
        missing = [m for m in dir(Storage) if not m.startswith("_") and m != "conn" and not hasattr(cls, m)]
        assert missing == [], cls


def test_parameters_are_placed_not_translated():
    assert pyformat("INSERT INTO t VALUES (?, ?) ON CONFLICT DO NOTHING") == \
        "INSERT INTO t VALUES (%s, %s) ON CONFLICT DO NOTHING"
    assert pyformat("SELECT '?', \"a?\", x % 2 -- why?\nFROM t WHERE y = ?") == \
        "SELECT '?', \"a?\", x %% 2 -- why?\nFROM t WHERE y = %s"
    assert pyformat("SELECT 'it''s ?' || $$?$$ || $q$?$q$, ?") == "SELECT 'it''s ?' || $$?$$ || $q$?$q$, %s"


def test_same_tables_and_digests_on_both_backends(pg_server, tmp_path):
    """The core tables have the same columns on both backends, and the same commit set gives the
    hub and an embedded vault the same projection digests (the hub keeps fewer projections)."""
    domains.load()
    hub = hub_init(pg_server())
    vault = domains.create_vault(tmp_path / "ally.halqa", PASSPHRASE, TEST_KDF)
    devs = [domains.create_vault(tmp_path / f"{n}.halqa", PASSPHRASE, TEST_KDF) for n in "ab"]
    try:
        for table in ("meta", "secrets", "devices", "commits", "events", "projections", "tombstones", "redacted",
                      "migrations", "outside_files"):
            assert [c for c, _ in hub.conn.dialect.columns(hub.conn, table)] == \
                [c for c, _ in vault.conn.dialect.columns(vault.conn, table)], table
        for i, d in enumerate(devs):
            d.append("bridge_seen.put", _seen(i, day="2026-05-0" + str(i + 1)))
            d.append("bridge_aggregate.put", _aggregate(i, 3.5 * (i + 1)))
            d.append("bridge_seen.delete", {"id": f"b{i:04d}"})
            d.append("bridge_seen.put", _seen(10 + i, day="2026-05-0" + str(i + 1)))
        grants = StorageContract.grants(*devs)
        records = [r for d in devs for r in export_commits(d)]
        for store in (hub, vault):
            ingest(store, records, grants)
        assert _kept(hub.digests()) == _kept(vault.digests())
        assert set(_kept(hub.digests())) == set(HUB_PROJECTIONS)
    finally:
        for v in (hub, vault, *devs):
            v.close()
