"""The rotation: fair over every 12 months, blackouts kept, learner and trier never the same circle."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.errors import InvalidInput
from halqa.learning import fairness_violations, greedy_rotation, rotation
from halqa.learning.events import month_add
from halqa.results import to_data


def _months(n: int, start: str = "2027-01") -> list[str]:
    return [month_add(start, i) for i in range(n)]


def check_rules(plan, circles, months, blackouts=(), prior=None):
    blocked = set(blackouts)
    assert not fairness_violations(plan, circles)
    for s in plan:
        assert (s.circle, s.month) not in blocked
        assert set(to_data(s)) == {"month", "circle", "kind"} and s.kind in ("study", "report")
    studies = {s.month: s.circle for s in plan if s.kind == "study"}
    assert list(studies) == months  # one study every month
    if len(circles) >= 2:
        per_month = Counter((s.month, s.circle) for s in plan)
        assert max(per_month.values()) == 1
        for s in plan:
            if s.kind == "report":
                before = studies.get(month_add(s.month, -1), prior)
                assert s.circle != before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 9), months=st.integers(1, 26), prior=st.booleans())
def test_fair_over_any_twelve_months(n, months, prior):
    circles = [f"c{i}" for i in range(n)]
    ms = _months(months)
    first = circles[0] if prior else None
    plan = rotation(circles, ms, prior_study=first, time_limit=5)
    check_rules(plan, circles, ms, prior=first)
    # counts per 12-month window really differ by at most one
    for s in range(max(1, months - 11)):
        inside = set(ms[s:s + 12])
        counts = Counter(x.circle for x in plan if x.month in inside)
        values = [counts.get(c, 0) for c in circles]
        assert max(values) - min(values) <= 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 8), data=st.data())
def test_blackouts_are_kept_or_refused(n, data):
    circles = [f"c{i}" for i in range(n)]
    ms = _months(14)
    blackouts = data.draw(st.sets(st.tuples(st.sampled_from(circles), st.sampled_from(ms)), max_size=6))
    try:
        plan = rotation(circles, ms, blackouts, time_limit=5)
    except InvalidInput as exc:
        assert exc.msg_id == "learning.rotation_infeasible"
        return
    check_rules(plan, circles, ms, blackouts)


def test_cp_sat_is_fair_where_the_greedy_rule_is_not():
    circles = ["a", "b", "c"]
    ms = _months(12)
    greedy = greedy_rotation(circles, ms)
    assert fairness_violations(greedy, circles)  # the simple rule is not enough
    plan = rotation(circles, ms)
    check_rules(plan, circles, ms)
    blackouts = {("a", "2027-03"), ("a", "2027-04"), ("b", "2027-06"), ("c", "2027-06")}
    plan = rotation([f"c{i}" for i in range(5)] + ["a", "b", "c"], ms, blackouts)
    check_rules(plan, [f"c{i}" for i in range(5)] + ["a", "b", "c"], ms, blackouts)


def test_impossible_blackouts_are_refused():
    with pytest.raises(InvalidInput) as err:
        rotation(["a", "b"], _months(3), {("a", "2027-02"), ("b", "2027-02")})
    assert err.value.msg_id == "learning.rotation_infeasible"
    with pytest.raises(InvalidInput):
        rotation([], _months(3))
