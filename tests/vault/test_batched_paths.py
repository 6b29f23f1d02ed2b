"""The batched append and rebuild paths (issue 19) give exactly what the one-by-one paths give."""

from __future__ import annotations

import hashlib
import sqlite3
import struct

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa.places import AreaPut, HouseholdPut
from halqa.vault import redact
from halqa.vault import store as vault_store
from halqa.vault import writer as vault_writer
from halqa.vault.events import Commit, Event, body_hash, event_hash
from halqa.vault.projections import Projection, RecordProjection

from ..conftest import new_vault

UNSET = msgspec.UNSET


@given(st.binary(min_size=16, max_size=16), st.sampled_from(["household.put", "vault.redact", "مثال.put"]),
       st.binary(min_size=32, max_size=32), st.integers(0, 2**63 - 1), st.binary(max_size=300),
       st.lists(st.binary(min_size=32, max_size=32), max_size=5))
def test_hashes_are_those_of_the_signed_format(eid, kind, device, hlc, body, more):
    """Prepared hash states and the joined commit digest change no byte of the format."""
    bh = hashlib.blake2b(body, digest_size=32, person=b"halqa-body-v1").digest()
    assert body_hash(body) == bh
    k = kind.encode()
    expected = hashlib.blake2b(eid + struct.pack("<H", len(k)) + k + device + struct.pack("<Q", hlc) + bh,
                               digest_size=32, person=b"halqa-event-v1").digest()
    assert event_hash(eid, kind, device, hlc, bh) == expected
    digest = hashlib.blake2b(digest_size=32, person=b"halqa-commit-v1")
    for h in (expected, *more):
        digest.update(h)
    assert Commit(device, 1, hlc, (expected, *more)).digest == digest.digest()


def _writes() -> list[tuple[str, object]]:
    return [
        ("area.put", AreaPut(code="NKH", name_ar="النخيل")),
        *[("household.put", HouseholdPut(id=f"hh-{i:04d}", area="NKH", size=i)) for i in range(7)],
        ("household.put", HouseholdPut(id="hh-0001", size=9)),  # a partial put: area stays
        ("area.put", AreaPut(code="NKH", city="بغداد")),
        ("household.delete", {"id": "hh-0002"}),
        ("household.put", HouseholdPut(id="hh-0002", area="NKH", size=1)),  # after its tombstone: ignored
        ("household.put", {"id": "hh-0003", "joined": "2026-01-02"}),
        *[("household.put", HouseholdPut(id=f"hh-{i:04d}", size=i + 1)) for i in range(5)],
    ]


def test_one_commit_across_many_flushes_equals_one_commit_per_event(tmp_path, monkeypatch):
    monkeypatch.setattr(vault_writer, "MAX_BUFFER", 3)  # flush every 3 events
    monkeypatch.setattr(vault_store, "MAX_BUFFER", 3)  # and replay 3 at a time
    monkeypatch.setattr(vault_store, "_REBUILD_CHUNK", 3)  # and rebuild 3 events at a time
    batched, single = new_vault(tmp_path, "batched"), new_vault(tmp_path, "single")
    with batched.transaction() as tx:
        events = [tx.append(kind, payload) for kind, payload in _writes()]
    for kind, payload in _writes():
        single.append(kind, payload)
    assert batched.digests() == single.digests()
    assert batched.rebuild() == batched.digests() == single.rebuild()
    assert batched.query("SELECT id, area, size FROM household WHERE id = 'hh-0001'")[0][:] == ("hh-0001", "NKH", 2)
    assert not batched.query("SELECT 1 FROM household WHERE id = 'hh-0002'")
    # Ids and salts are drawn in blocks: all distinct, and the events read back (in the vault's
    # order: day-precision clocks sort first) are those returned.
    bodies = [bytes(r[0]) for r in batched.query("SELECT body FROM events")]
    assert len({b[:16] for b in bodies}) == len(bodies) == len(events)
    assert len({e.id for e in events}) == len(events)
    assert [(e.hlc, e.id, e.payload) for e in batched.events()] == sorted((e.hlc, e.id, e.payload) for e in events)
    batched.close()
    single.close()


def test_a_large_commit_has_distinct_ids_and_salts(tmp_path):
    vault = new_vault(tmp_path)
    with vault.transaction() as tx:  # crosses several blocks of drawn randomness
        for i in range(5000):
            tx.append("household.put", HouseholdPut(id=f"hh-{i:05d}", size=1))
    ids = {bytes(r[0]) for r in vault.query("SELECT eid FROM events")}
    salts = {bytes(r[0])[:16] for r in vault.query("SELECT body FROM events")}
    assert len(ids) == len(salts) == 5000 and not ids & salts
    vault.close()


def _small_batches_vault(tmp_path, monkeypatch):
    """A vault holding ``_writes()``, one commit each, with batches and rebuild blocks of 2 events."""
    monkeypatch.setattr(vault_writer, "MAX_BUFFER", 2)
    monkeypatch.setattr(vault_store, "MAX_BUFFER", 2)
    monkeypatch.setattr(vault_store, "_REBUILD_CHUNK", 2)
    vault = new_vault(tmp_path)
    for kind, payload in _writes():
        vault.append(kind, payload)
    return vault


def test_rebuild_positions_and_redactions_in_one_pass(tmp_path, monkeypatch):
    vault = _small_batches_vault(tmp_path, monkeypatch)
    last = vault.append("household.put", HouseholdPut(id="hh-0100", area="NKH"))
    redact(vault, [last.id], reason="asked")
    before = vault.digests()
    assert vault.rebuild() == before
    top = vault.last_event_id()
    for p in vault.kept_projections():
        kinds = sorted(p.kinds)
        folded = [(e.hlc, e.id) for e in vault.events(kinds)] if kinds else []
        assert vault.storage.projection_position(p.name) == (top, *(folded[-1] if folded else (0, b"")))
    vault.close()


class _Count(Projection):
    """Counts household puts per area (two of these fold the same kind)."""

    kinds = frozenset({"household.put"})

    def __init__(self, name: str) -> None:
        self.name = name
        self.tables = (name,)

    def create(self, conn):
        conn.execute(f"CREATE TABLE {self.name} (area TEXT PRIMARY KEY, n INTEGER NOT NULL)")

    def apply(self, conn, event):
        conn.execute(f"INSERT INTO {self.name} VALUES (?, 1) ON CONFLICT (area) DO UPDATE SET n = n + 1",
                     (event.payload.area if isinstance(event.payload.area, str) else "",))


def test_projections_sharing_kinds_are_rebuilt_apart_in_one_pass(tmp_path, monkeypatch):
    vault = _small_batches_vault(tmp_path, monkeypatch)
    one, two = _Count("count_one"), _Count("count_two")
    with vault.transaction():
        vault._rebuild_bodies([one, two])
    expected = sqlite3.connect(":memory:")
    one.create(expected)
    for ev in vault.events(["household.put"]):
        one.apply(expected, ev)
    want = expected.execute("SELECT * FROM count_one ORDER BY area").fetchall()
    assert want and [tuple(r) for r in vault.query("SELECT * FROM count_one ORDER BY area")] == want
    assert [tuple(r) for r in vault.query("SELECT * FROM count_two ORDER BY area")] == want
    vault.close()


class _Thing(msgspec.Struct, kw_only=True):
    id: str
    label: str | msgspec.UnsetType = UNSET
    tags: list[str] | msgspec.UnsetType | None = UNSET
    n: int | msgspec.UnsetType = UNSET


_THINGS = RecordProjection("test_thing", _Thing, indexes=("n",))
_PUT = st.builds(
    _Thing, id=st.sampled_from(["a", "b", "c"]),
    label=st.one_of(st.just(UNSET), st.text(max_size=3)),
    tags=st.one_of(st.just(UNSET), st.none(), st.lists(st.text(max_size=2), max_size=2)),
    n=st.one_of(st.just(UNSET), st.integers(-5, 5)))
class _Delete(msgspec.Struct):
    id: str


def _table(ops: list[tuple[str, msgspec.Struct]], batched: bool) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tombstones (projection TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (projection, key))")
    events = [Event(bytes(16), kind, bytes(32), i, payload) for i, (kind, payload) in enumerate(ops)]
    if batched:
        _THINGS.create_for_rebuild(conn)
        _THINGS.apply_many(conn, events)
        _THINGS.rebuilt(conn)
    else:
        _THINGS.create(conn)
        for ev in events:
            _THINGS.apply(conn, ev)
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'test_thing_n'").fetchone()
    return conn.execute("SELECT * FROM test_thing ORDER BY id").fetchall()


def _model(ops: list[tuple[str, msgspec.Struct]]) -> list[tuple[object, ...]]:
    """Field-level last-writer-wins with final tombstones, in plain Python."""
    rows: dict[str, dict[str, object]] = {}
    dead: set[str] = set()
    for kind, payload in ops:
        if kind.endswith("delete"):
            dead.add(payload.id)
            rows.pop(payload.id, None)
        elif payload.id not in dead:
            row = rows.setdefault(payload.id, dict.fromkeys(("id", "label", "tags", "n")))
            for field in row:
                value = getattr(payload, field)
                if value is not UNSET:
                    row[field] = msgspec.json.encode(value).decode() if isinstance(value, list) else value
    return [tuple(rows[k].values()) for k in sorted(rows)]


_OPS = st.lists(st.one_of(_PUT.map(lambda p: ("test_thing.put", p)),
                          st.sampled_from(["a", "b", "c"]).map(lambda k: ("test_thing.delete", _Delete(k)))),
                max_size=25)


@settings(max_examples=60, deadline=None)
@given(_OPS)
def test_record_rows_in_batches_are_last_writer_wins_per_field(ops):
    """Runs of puts with the same fields, lists stored as JSON, tombstones: a batch gives what
    one event at a time gives, and both what field-level last-writer-wins says."""
    assert _table(ops, batched=True) == _table(ops, batched=False) == _model(ops)
