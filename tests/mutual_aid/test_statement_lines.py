"""One page of a fund's statement lines is the same as that page of the whole statement, newest
first (issue 19: the aid page listed 50,000 lines to show twelve)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.mutual_aid as ma

from ..conftest import fresh_vault

moves = st.lists(st.tuples(st.sampled_from(["give", "spend", "void", "move"]), st.integers(1, 5),
                           st.sampled_from(["2026-05-01", "2026-05-02", "2026-06-01"]), st.booleans()), max_size=15)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves, st.integers(1, 5))
def test_pages_equal_the_reversed_statement(data, size):
    with fresh_vault() as vault:
        ma.create_fund(vault, "families", "IQD", day="2026-01-01")
        ma.create_fund(vault, "school", "IQD", day="2026-01-01")
        last = None
        for what, amount, day, private in data:
            if what == "give":
                last = ma.contribute(vault, "families", "hh-aaaa", str(amount * 1000), day=day, private=private).id
            elif what == "spend":
                ma.disburse(vault, "families", "hh-bbbb", str(amount), purpose="medicine", day=day, overdraft=True)
            elif what == "move":
                ma.transfer(vault, "families", "school", str(amount), day=day, overdraft=True)
            elif last:
                ma.void(vault, last, day=day)
                last = None
        whole = list(reversed(ma.statement(vault, "families").entries))
        pages = []
        for offset in range(0, len(whole) + size, size):
            total, rows = ma.statement_lines(vault, "families", offset, size)
            assert total == len(whole)
            pages += rows
        assert pages == whole


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves)
def test_month_flows_equal_the_statements_summed(data):
    from decimal import Decimal

    with fresh_vault() as vault:
        ma.create_fund(vault, "families", "IQD", day="2026-01-01")
        ma.create_fund(vault, "school", "USD", day="2026-01-01")
        for what, amount, day, private in data:
            fund = "school" if private else "families"
            if what == "give":
                ma.contribute(vault, fund, "hh-aaaa", str(amount * 1000), day=day, private=private)
            elif what == "spend":
                ma.disburse(vault, fund, "hh-bbbb", str(amount), purpose="medicine", day=day, overdraft=True)
        for month in ("2026-05", "2026-06", "2026-07"):
            want: dict[str, dict[str, Decimal]] = {"contributions": {}, "disbursements": {}}
            for f in ma.funds(vault):
                st = ma.statement(vault, f.name, month=month, entries=False)
                for key in want:
                    for cur, amt in getattr(st, key).items():
                        want[key][cur] = want[key].get(cur, Decimal(0)) + Decimal(amt)
            got = ma.month_flows(vault, month)
            assert {k: {c: Decimal(v) for c, v in d.items()} for k, d in got.items()} == want
