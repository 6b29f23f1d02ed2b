"""The hours off per household-day the ledger keeps as intervals arrive (``ledger_day``, issue 19):
the supply hours and customers read from it equal the full report's, and the table kept event by
event equals a rebuild from the log and a count from the intervals themselves."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.ledger as ledger
import halqa.places as places
from halqa import domains
from halqa.ledger.events import DAY, EPOCH, LONG_SECONDS, BatchPut, IntervalDelete, IntervalPut, day_off_seconds
from halqa.ledger.evidence import supply
from halqa.places import add_area, add_household
from halqa.vault import TEST_KDF

BASE = int((dt.datetime(2026, 7, 1) - EPOCH).total_seconds())
AREAS = ("NKH", "MNA", "QDS")
HOUSEHOLDS = 7  # hh-s0 .. hh-s5 enrolled; hh-s6 never enrolled (a former household: intervals, no enrolment)
_ids = itertools.count()


def _city(vault):
    if vault.query_one("SELECT 1 FROM area WHERE code = 'NKH'") is None:
        for code, name in zip(AREAS, ("حي النخيل", "حي الميناء", "حي القدس"), strict=True):
            add_area(vault, code, name)
        for h in range(HOUSEHOLDS - 1):
            add_household(vault, AREAS[h % 2], f"hh-s{h}")  # QDS has no households


# times as offsets from BASE: on and across midnights, momentary (<= 300 s) and long, open
times = st.one_of(st.integers(0, 12 * DAY), st.integers(0, 12).map(lambda d: d * DAY),
                  st.integers(0, 12).map(lambda d: d * DAY - 60))
lengths = st.one_of(st.sampled_from([0, 1, 60, 299, 300, 301, 3600, DAY, 3 * DAY, LONG_SECONDS, LONG_SECONDS + 1,
                                     40 * DAY]), st.integers(0, 2 * DAY),
                    st.none())  # None: still open
household = st.integers(0, HOUSEHOLDS - 1)
op = st.one_of(
    st.tuples(st.just("add"), household, times, lengths),
    st.tuples(st.just("batch"), st.lists(st.tuples(household, times, lengths.filter(lambda x: x is not None),
                                                   st.integers(0, 40)), min_size=1, max_size=8)),
    st.tuples(st.just("edit"), st.integers(0, 40), times, lengths),
    st.tuples(st.just("close"), st.integers(0, 40), times),
    st.tuples(st.just("move"), st.integers(0, 40), household),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("tally"), st.integers(0, HOUSEHOLDS - 2), st.integers(0, 12), st.floats(0, 24)),
)


def _apply(vault, ops):
    known: list[str] = [r[0] for r in vault.query("SELECT id FROM ledger_interval ORDER BY id")]

    def pick(i):
        return known[i % len(known)] if known else None

    with vault.transaction():
        for o in ops:
            kind = o[0]
            if kind == "add":
                _, h, s, n = o
                iid = f"s{next(_ids)}"
                vault.append("ledger_interval.put", IntervalPut(id=iid, household=f"hh-s{h}", area=AREAS[h % 2],
                                                                start_at=BASE + s, end_at=None if n is None else BASE + s + n))
                known.append(iid)
            elif kind == "batch":
                rows = o[1]
                ids = [pick(k) if k < 10 and known else f"s{next(_ids)}" for *_, k in rows]  # some rewrite known ids
                vault.append("ledger_batch.put", BatchPut(
                    id=f"b{next(_ids)}", origin="csv", ids=ids, household=[f"hh-s{h}" for h, *_ in rows],
                    area=[AREAS[h % 2] for h, *_ in rows], start_at=[BASE + s for _, s, _, _ in rows],
                    end_at=[BASE + s + n for _, s, n, _ in rows], source=["grid"] * len(rows)))
                known += [i for i in ids if i not in known]
            elif kind in ("edit", "close", "move", "delete") and known:
                iid = pick(o[1])
                if kind == "edit":
                    vault.append("ledger_interval.put", IntervalPut(id=iid, start_at=BASE + o[2],
                                                                    end_at=None if o[3] is None else BASE + o[2] + o[3]))
                elif kind == "close":  # may end before it began: such an interval counts nowhere
                    vault.append("ledger_interval.put", IntervalPut(id=iid, end_at=BASE + o[2]))
                elif kind == "move":
                    vault.append("ledger_interval.put", IntervalPut(id=iid, household=f"hh-s{o[2]}"))
                else:
                    vault.append("ledger_interval.delete", IntervalDelete(id=iid))
            elif kind == "tally":
                _, h, d, hours = o
                ledger.add_tally(vault, f"hh-s{h}", (dt.date(2026, 7, 1) + dt.timedelta(days=d)).isoformat(), [hours])


def _summary_from_intervals(vault):
    """``ledger_day`` as it should be: the union of each household's closed intervals per day (but
    those longer than LONG_SECONDS, which ledger_long holds)."""
    rows = vault.query("SELECT household, start_at, end_at FROM ledger_interval WHERE end_at IS NOT NULL "
                       "AND end_at - start_at <= ?", (LONG_SECONDS,))
    names = sorted({r[0] for r in rows})
    if not rows:
        return []
    arr = np.array([(names.index(h), s, e) for h, s, e in rows], dtype=np.int64)
    h, d, s = day_off_seconds(arr[:, 0], arr[:, 1], arr[:, 2])
    return sorted(zip(d.tolist(), [names[i] for i in h.tolist()], s.tolist(), strict=True))


def _check(vault, periods):
    kept = vault.query("SELECT day, household, off_s FROM ledger_day ORDER BY day, household")
    assert [tuple(r) for r in kept] == _summary_from_intervals(vault)
    counts = vault.query("SELECT household, intervals FROM ledger_household ORDER BY household")
    assert [tuple(r) for r in counts] == [tuple(r) for r in vault.query(
        "SELECT household, count(*) FROM ledger_interval GROUP BY household ORDER BY household")]
    assert [tuple(r) for r in vault.query("SELECT id, household, start_at, end_at FROM ledger_long ORDER BY id")] == \
        [tuple(r) for r in vault.query("SELECT id, household, start_at, end_at FROM ledger_interval "
                                       "WHERE end_at - start_at > ? ORDER BY id", (LONG_SECONDS,))]
    for d0, n, cut in periods:
        first = (dt.date(2026, 7, 1) + dt.timedelta(days=d0)).isoformat()
        last = (dt.date(2026, 7, 1) + dt.timedelta(days=d0 + n - 1)).isoformat()
        as_of = None if cut is None else BASE + cut  # None: now, after every period here
        full = ledger.report(vault, first, last, as_of=as_of).areas
        fast = supply(vault, first, last, as_of=as_of)
        assert {c: (a.households, a.supply_hours_per_day) for c, a in full.items()} == \
            {c: (a.households, a.supply_hours_per_day) for c, a in fast.items()}


periods = st.lists(st.tuples(st.integers(-3, 12), st.integers(1, 9), st.one_of(st.none(), times)), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(op, max_size=25), periods)
def test_supply_from_the_summary_equals_the_report(vault, ops, when):
    _city(vault)  # examples add up in one vault: the comparison holds for any content
    _apply(vault, ops)
    _check(vault, when)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(op, min_size=1, max_size=25))
def test_summary_kept_event_by_event_equals_a_rebuild(vault, ops):
    _city(vault)
    _apply(vault, ops)
    before = vault.digests()
    assert vault.rebuild(["ledger_interval"]) == {"ledger_interval": before["ledger_interval"]}
    assert vault.digests() == before


def test_demo_supply_equals_the_report(vault):
    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=20)
    ledger.demo(vault, rng, days=60)
    ledger.start_outage(vault, sorted(places.household_areas(vault))[0])  # one still open
    span = ledger.extent(vault)
    assert span is not None
    for first, last in ((span[0], span[1]), (span[1] - dt.timedelta(days=29), span[1])):
        full = ledger.report(vault, first.isoformat(), last.isoformat()).areas
        fast = supply(vault, first.isoformat(), last.isoformat())
        assert {c: (a.households, a.supply_hours_per_day) for c, a in full.items()} == \
            {c: (a.households, a.supply_hours_per_day) for c, a in fast.items()}


def test_a_page_of_events_is_that_slice_of_the_full_report(vault):
    rng = random.Random(3)
    places.demo(vault, rng, households_per_area=20)
    ledger.demo(vault, rng, days=45)
    span = ledger.extent(vault)
    assert span is not None
    first, last = span[0].isoformat(), span[1].isoformat()
    full = ledger.report(vault, first, last)
    assert len(full.events) > 10
    for skip, limit in ((0, 0), (0, 3), (5, 7), (len(full.events) - 2, 10), (len(full.events) + 5, 10)):
        page = ledger.report(vault, first, last, events_page=(skip, limit))
        assert page.events == full.events[skip:skip + limit]
        assert page.events_total == len(full.events)
        assert (page.period, page.areas, page.claims) == (full.period, full.areas, full.claims)


def test_cases_the_summary_cannot_say_alone(vault):
    """A closed interval longer than the summary keeps, an open one, one beginning after ``as_of``
    and a household never enrolled: each is counted from its household's intervals."""
    _city(vault)
    _apply(vault, [("add", 1, DAY // 2, 40 * DAY)])  # long, closed
    _check(vault, [(0, 5, None), (3, 2, None), (-2, 9, None)])
    _apply(vault, [("add", 2, 2 * DAY, None)])  # open
    _check(vault, [(0, 5, None), (0, 5, 3 * DAY + 600)])
    _apply(vault, [("add", 0, 4 * DAY, 3600)])  # after the as_of below
    _check(vault, [(0, 6, 3 * DAY)])
    _apply(vault, [("add", HOUSEHOLDS - 1, 5 * DAY, 7200)])  # never enrolled
    _check(vault, [(0, 9, None), (6, 2, None), (12, 3, None)])


def test_a_write_recounts_days_reached_by_an_interval_that_began_a_month_before(vault):
    """The recount reads only intervals starting within LONG_SECONDS of the days it counts again
    (the index scan stops there): one exactly that long, begun a month earlier, still counts once."""
    _city(vault)
    _apply(vault, [("add", 1, 0, LONG_SECONDS)])  # days 0 .. 30, the longest the summary keeps
    _apply(vault, [("add", 1, 30 * DAY + 3600, 2 * DAY)])  # overlaps its last day, in a later commit
    _check(vault, [(25, 9, None)])
    _apply(vault, [("batch", [(1, 30 * DAY - 60, 7200, 20), (1, 29 * DAY, 600, 21)])])
    _check(vault, [(25, 9, None)])


def test_one_commit_of_many_batches_equals_them_one_commit_each(tmp_path):
    """An import's batches reach the projection in one call (the summary follows their net change
    once): the same batches committed one by one give the same tables."""
    rng = random.Random(11)
    batches = [[(rng.randrange(HOUSEHOLDS), rng.randrange(12 * DAY), rng.choice([60, 3600, DAY, 3 * DAY]),
                 rng.randrange(10, 60)) for _ in range(30)] for _ in range(6)]
    found = []
    for together in (True, False):
        with domains.create_vault(tmp_path / f"v{together}.halqa", "pass-phrase-one", TEST_KDF) as v:
            _city(v)
            if together:
                _apply(v, [("batch", b) for b in batches])
            else:
                for b in batches:
                    _apply(v, [("batch", b)])
            _check(v, [(0, 12, None)])
            found.append(v.query("SELECT day, household, off_s FROM ledger_day ORDER BY day, household"))
    assert [tuple(r) for r in found[0]] == [tuple(r) for r in found[1]]


def test_an_interval_written_twice_in_one_commit(vault):
    """Batches read back their rows when an id comes twice in one commit (the last write holds)."""
    _city(vault)
    _apply(vault, [("add", 1, DAY, 3600)])
    _apply(vault, [("batch", [(1, 2 * DAY, 600, 0), (2, 3 * DAY, 600, 50)]), ("batch", [(2, 4 * DAY, 900, 0)])])
    _check(vault, [(0, 6, None)])
    _apply(vault, [("batch", [(3, DAY, 60, 0), (4, 2 * DAY, 60, 0)])])  # the same id twice in one batch
    _check(vault, [(0, 6, None)])
