"""The examiner: someone who knows halqa, holds a seized vault folder and one passphrase.

Two worlds are compared, at each simulated age (1 day, 3 months, 2 years of use):

- **plain**: the owner never set a duress passphrase and gave the real one;
- **duress**: the owner set one (at creation or later) and gave it: the examiner holds the decoy.

The examiner reads the folder without halqa's help (file sizes and times, the header, the slot
the passphrase opens, the raw SQLCipher database) and measures every observable in
:data:`OBSERVABLES`. An observable fails the suite when it separates the two worlds: exact ones
must be equal in every vault of both worlds, spreads must overlap (a rank test on all ages).

Adding an observable: write ``def name(ex: Examined) -> value`` and decorate it with
``@observable("exact")`` (same value in every vault of both worlds) or ``@observable("spread")``
(a number whose distribution must not differ between the worlds).

Known limits, asserted as such (docs/threat-model.md): the decoy's device key is its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import mannwhitneyu

from halqa import places
from halqa.listening.write import Vocabulary, build_grievance
from halqa.places import HouseholdPut
from halqa.vault import Vault, split
from halqa.vault.events import is_day_clock
from halqa.vault.keyslots import FLAG_DESTROY_ON_OPEN, NO_SLOT, Header, derive_kek
from halqa.vault.storage.sqlcipher import PAGE_SIZE
from halqa.vault.storage.sqlcipher import connect as _connect
from halqa.vault.store import DB_FILES, HEADER_FILE
from tests.conftest import new_vault

from ..conftest import PASSPHRASE

DURESS = "the river is calm today"
AGES = {"1 day": 1, "3 months": 91, "2 years": 730}
SEEDS = (1, 2, 3)
DAY_NS = 86_400 * 10**9


# ---------------------------------------------------------------------------- simulated life
class Clock:
    """The vault's wall clock (``halqa.vault.events.wall_ns``), moved by the simulation."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


def _session_times(rng: random.Random, start: int, end: int, age_days: int) -> list[int]:
    """Owner sessions: a few a week, in waking hours (UTC+3), more in some months than others."""
    n = max(4, min(60, int(age_days * rng.uniform(0.1, 0.3))))
    times = []
    for _ in range(n):
        t = start + int((end - start) * rng.random() ** rng.uniform(0.7, 1.3))
        day = t - t % DAY_NS
        hour = rng.choice([8, 9, 10, 12, 14, 17, 18, 19, 20, 21]) - 3
        times.append(min(end, max(start + 1, day + hour * 3_600 * 10**9 + rng.randrange(3_600 * 10**9))))
    return sorted(times)


def _real_work(v: Vault, rng: random.Random, when: datetime) -> None:
    """What an organiser records in a session: households, grievances (never decoy-like text)."""
    kind = rng.random()
    if kind < 0.25:
        return  # opened to look something up
    if not places.areas(v):
        places.add_area(v, "NKH", "حي النخيل", "Palm")
    vocab = Vocabulary(v)
    with v.transaction() as tx:
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.5:
                tx.append("household.put", HouseholdPut(id=f"hh-{rng.randrange(10**6):06d}", area="NKH",
                                                        size=rng.randint(1, 9)))
            else:
                day = when.date().isoformat()
                tx.append("listening_grievance.put", build_grievance(
                    vocab, themes=["wages"], place="NKH", day=day, text="رواتب الميناء متأخرة", count=1,
                    today=when.date()))


@dataclass
class Examined:
    world: str
    age: str
    path: Path
    files: dict[str, tuple[int, int]]  # name -> (size, mtime ns)
    header: Header
    slot: int
    content: Any
    conn: Any
    share_vault_id: str
    extra: dict[str, Any] = field(default_factory=dict)


def _simulation_end() -> int:
    """The simulated present: the latest 15:00 UTC (18:00 in Iraq) at least ten minutes ago. The
    vault is created, and duress set, at that time of day some days earlier; tying it to the real
    time of day would make the worlds differ by when the suite runs (at midnight in Iraq a vault
    'created' then has its decoy's first content at night), not by anything a vault shows."""
    latest = datetime.fromtimestamp(time.time() - 600, UTC)
    end = latest.replace(hour=15, minute=0, second=0, microsecond=0)
    if end > latest:
        end -= timedelta(days=1)
    return int(end.timestamp()) * 10**9


def _live(path: Path, world: str, age_days: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create and use a vault for ``age_days`` of simulated time; return its recovery share's id."""
    rng = random.Random(seed * 1000 + age_days)
    end = _simulation_end()
    start = end - age_days * DAY_NS
    clock = Clock(start)
    monkeypatch.setattr("halqa.vault.events.wall_ns", clock)
    v = new_vault(path.parent, path.stem)
    share = split(v.master_key, 3, 2, v.meta("vault_id"))[0].vault_id
    times = _session_times(rng, start + 10**9, end, age_days)
    duress_at = 0 if rng.random() < 0.5 else len(times) // 2
    if world == "duress" and duress_at == 0:
        v.set_duress(DURESS)
    v.close()
    for i, t in enumerate(times):
        clock.ns = t
        with Vault.open(path, PASSPHRASE) as v:
            _real_work(v, rng, datetime.fromtimestamp(t / 1e9, UTC))
            if world == "duress" and i == duress_at and duress_at:
                v.set_duress(DURESS)
    monkeypatch.undo()
    return share


def _examine(world: str, age: str, path: Path, share: str) -> Examined:
    """What the examiner sees with the passphrase they were given, without running halqa's open."""
    given = DURESS if world == "duress" else PASSPHRASE
    files = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.iterdir())}
    header = Header.read(path / HEADER_FILE)
    slot, content = header.open_slot(derive_kek(given, header.salt, header.kdf))
    conn = _connect(path / DB_FILES[content.db_index], content.master_key)
    return Examined(world, age, path, files, header, slot, content, conn, share)


@pytest.fixture(scope="module")
def examined(tmp_path_factory) -> list[Examined]:
    out = []
    with pytest.MonkeyPatch.context() as mp:
        for age, days in AGES.items():
            for world in ("plain", "duress"):
                for seed in SEEDS:
                    path = tmp_path_factory.mktemp("ex") / f"{world}-{days}-{seed}.halqa"
                    share = _live(path, world, days, seed, mp)
                    out.append(_examine(world, age, path, share))
    yield out
    for ex in out:
        ex.conn.close()


# ---------------------------------------------------------------------------- observables
OBSERVABLES: dict[str, tuple[str, Callable[[Examined], Any]]] = {}


def observable(kind: str) -> Callable[[Callable[[Examined], Any]], Callable[[Examined], Any]]:
    def register(fn: Callable[[Examined], Any]) -> Callable[[Examined], Any]:
        OBSERVABLES[fn.__name__] = (kind, fn)
        return fn
    return register


def _q(ex: Examined, sql: str) -> list[Any]:
    return [tuple(r) for r in ex.conn.execute(sql)]


def _created(ex: Examined) -> datetime:
    return datetime.fromisoformat(_q(ex, "SELECT value FROM meta WHERE key = 'created'")[0][0])


def _event_times(ex: Examined) -> list[datetime]:
    return [datetime.fromtimestamp((h >> 16) / 1000, UTC) for (h,) in _q(ex, "SELECT hlc FROM events ORDER BY hlc")]


@observable("exact")
def folder_layout(ex):
    return sorted((n, s % PAGE_SIZE == 0 or n == HEADER_FILE) for n, (s, _t) in ex.files.items())


@observable("exact")
def database_files_same_size(ex):
    return len({ex.files[n][0] for n in DB_FILES}) == 1


@observable("exact")
def files_same_time(ex):
    """The header too: it is rewritten at every close, so a slot written later leaves no mark."""
    return len({t for _s, t in ex.files.values()}) == 1


@observable("exact")
def tables(ex):
    return sorted(_q(ex, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


@observable("exact")
def meta_keys(ex):
    return sorted(k for (k,) in _q(ex, "SELECT key FROM meta"))


@observable("exact")
def secrets_and_lengths(ex):
    return sorted((k, len(v)) for k, v in _q(ex, "SELECT name, value FROM secrets"))


@observable("exact")
def vault_id_matches_the_recovery_share(ex):
    return _q(ex, "SELECT value FROM meta WHERE key = 'vault_id'")[0][0] == ex.share_vault_id


@observable("exact")
def slot_says_nothing(ex):
    """The unwrapped slot: no role, no pending order, a peer key for another file."""
    c = ex.content
    return (c.flags & FLAG_DESTROY_ON_OPEN, c.destroy_slot == NO_SLOT, c.peer_index != c.db_index,
            len(c.peer_key), c.legacy)


@observable("exact")
def slot_and_meta_agree(ex):
    meta = dict(_q(ex, "SELECT key, value FROM meta"))
    return (int(meta["slot"]) == ex.slot, int(meta["spare_db"]) == ex.content.peer_index,
            int(meta["spare_slot"]) != ex.slot)


@observable("exact")
def other_files_open_with_what_was_given(ex):
    """Can the passphrase's keys open any other file? (A real vault keeps its decoy's key
    only once a duress passphrase exists; a decoy holds no key to the real database.)"""
    opened = []
    for i, name in enumerate(DB_FILES):
        if i == ex.content.db_index:
            continue
        for key in (ex.content.master_key, ex.content.peer_key):
            try:
                _connect(ex.path / name, key).close()
                opened.append(name)
            except Exception:
                pass
    return opened


@observable("exact")
def file_is_its_page_count(ex):
    pages = _q(ex, "PRAGMA page_count")[0][0]
    return pages * PAGE_SIZE == ex.files[DB_FILES[ex.content.db_index]][0]


@observable("exact")
def integrity(ex):
    return _q(ex, "PRAGMA integrity_check") == [("ok",)] and _q(ex, "PRAGMA cipher_integrity_check") == []


@observable("exact")
def migrations_applied_at_creation(ex):
    created = _created(ex)
    return all(abs((datetime.fromisoformat(a) - created).total_seconds()) < 120
               for (a,) in _q(ex, "SELECT applied FROM migrations"))


@observable("exact")
def clock_and_sequence_consistent(ex):
    hlc = int(_q(ex, "SELECT value FROM meta WHERE key = 'hlc'")[0][0])
    seq = int(_q(ex, "SELECT value FROM meta WHERE key = 'seq'")[0][0])
    top = max([h for (h,) in _q(ex, "SELECT hlc FROM events") if not is_day_clock(h)], default=0)
    seqs = [s for (s,) in _q(ex, "SELECT seq FROM commits ORDER BY seq")]
    return hlc == top and seqs == list(range(1, seq + 1))


@observable("exact")
def events_within_the_vaults_life(ex):
    created, times = _created(ex), _event_times(ex)
    mtime = datetime.fromtimestamp(ex.files[DB_FILES[0]][1] / 1e9, UTC)
    first_day = created.replace(hour=0, minute=0, second=0)  # day-precision clocks sit at 00:00 UTC
    return bool(times) and times[0] >= first_day and times[-1] <= mtime


@observable("exact")
def local_devices(ex):
    return _q(ex, "SELECT count(*) FROM devices WHERE local = 1")[0][0]


@observable("spread")
def span_over_age(ex):
    """How much of the vault's life its events cover."""
    created, times = _created(ex), _event_times(ex)
    life = (datetime.fromtimestamp(ex.files[DB_FILES[0]][1] / 1e9, UTC) - created).total_seconds()
    return (times[-1] - times[0]).total_seconds() / max(life, 1)


@observable("spread")
def active_days_per_month(ex):
    created, times = _created(ex), _event_times(ex)
    months = max(1.0, (times[-1] - created).days / 30)
    return len({t.date() for t in times}) / months


@observable("spread")
def waking_hour_share(ex):
    """Share of events written between 07:00 and 24:00 in Iraq (UTC+3), of those whose clock
    keeps a time at all (day-precision kinds keep only the day)."""
    times = [datetime.fromtimestamp((h >> 16) / 1000, UTC) for (h,) in _q(ex, "SELECT hlc FROM events")
             if not is_day_clock(h)]
    return sum(1 for t in times if 7 <= (t + timedelta(hours=3)).hour) / max(1, len(times))


@observable("spread")
def free_page_ratio(ex):
    return _q(ex, "PRAGMA freelist_count")[0][0] / _q(ex, "PRAGMA page_count")[0][0]


@observable("spread")
def idle_before_the_file_time(ex):
    """Days between the last event and the file's modification time, over the vault's age."""
    last = _event_times(ex)[-1]
    mtime = datetime.fromtimestamp(ex.files[DB_FILES[0]][1] / 1e9, UTC)
    return (mtime - last).total_seconds() / max(1.0, (mtime - _created(ex)).total_seconds())


@observable("spread")
def events_per_commit(ex):
    return _q(ex, "SELECT count(*) FROM events")[0][0] / max(1, _q(ex, "SELECT count(*) FROM commits")[0][0])


# ---------------------------------------------------------------------------- the verdicts
@pytest.mark.parametrize("name", sorted(n for n, (k, _f) in OBSERVABLES.items() if k == "exact"))
def test_exact_observable_does_not_separate_the_worlds(examined, name):
    fn = OBSERVABLES[name][1]
    seen = {(ex.world, ex.age, ex.path.name): fn(ex) for ex in examined}
    values = {repr(v) for v in seen.values()}
    assert len(values) == 1, f"{name} separates the worlds: {seen}"


@pytest.mark.parametrize("name", sorted(n for n, (k, _f) in OBSERVABLES.items() if k == "spread"))
def test_spread_observable_does_not_separate_the_worlds(examined, name):
    fn = OBSERVABLES[name][1]
    plain = [fn(ex) for ex in examined if ex.world == "plain"]
    duress = [fn(ex) for ex in examined if ex.world == "duress"]
    # With 9 vaults a world, a rank test rejects at p < 0.01 only when the two sets barely
    # overlap: a clear separation, not a wobble.
    p = mannwhitneyu(plain, duress).pvalue
    assert p >= 0.01, f"{name}: plain {sorted(plain)} vs duress {sorted(duress)} (p={p:.4f})"


def test_known_limit_the_decoys_device_key_is_its_own(tmp_path):
    """docs/threat-model.md: a contact who knows the real device's fingerprint can tell. Sharing
    the real device's keys would let whoever opens the decoy sign as the organiser. If this ever
    changes, the threat model must change with it."""
    v = new_vault(tmp_path, "v")
    v.set_duress(DURESS)
    real_device = v.device_id
    v.close()
    with Vault.open(tmp_path / "v.halqa", DURESS) as d:
        assert d.device_id != real_device
