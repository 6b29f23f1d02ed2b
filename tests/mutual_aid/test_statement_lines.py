"""One page of a fund's statement lines is the same as that page of the whole statement, newest
first (issue 19: the aid page listed 50,000 lines to show twelve), and the lines the ledger's
projection keeps for it rebuild from the log to what was kept as entries arrived."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.mutual_aid as ma
from halqa.mutual_aid.events import EntryPost, Posting

from ..conftest import fresh_vault

moves = st.lists(st.tuples(st.sampled_from(["give", "spend", "void", "move", "dollars", "change", "raw"]), st.integers(1, 5),
                           st.sampled_from(["2026-05-01", "2026-05-02", "2026-06-01"]), st.booleans()), max_size=15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves, st.integers(1, 5), st.booleans())
def test_pages_equal_the_reversed_statement(data, size, hide):
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
            elif what == "dollars":  # a second currency: an entry's lines are one per currency
                last = ma.contribute(vault, "families", "hh-cccc", f"{amount}.25", currency="USD", day=day).id
            elif what == "change":  # an exchange moves cash out of one currency into another in one entry
                ma.contribute(vault, "families", "hh-cccc", str(amount), currency="USD", day=day, private=private)
                ma.exchange(vault, "families", str(amount), "USD", "IQD", rate="1310.5", day=day)
            elif what == "raw":  # a balanced entry whose cash in one fund nets to zero shows no line there
                vault.append("mutual_aid_entry.post", EntryPost(
                    id=f"e-raw-{day}-{amount}-{private}", day=day, type="contribution", party="hh-dddd",
                    postings=[Posting("families", "cash", "", "IQD", amount), Posting("families", "cash", "", "IQD", -amount),
                              Posting("school", "cash", "", "IQD", amount), Posting("school", "income", "", "IQD", -amount)]))
            elif last:
                ma.void(vault, last, day=day)
                last = None

        def pages_equal_the_statement() -> None:
            for fund in ("families", "school"):
                whole = list(reversed(ma.statement(vault, fund, hide_parties=hide).entries))
                pages = []
                for offset in range(0, len(whole) + size, size):
                    total, rows = ma.statement_lines(vault, fund, offset, size, hide_parties=hide)
                    assert total == len(whole)
                    pages += rows
                assert pages == whole

        pages_equal_the_statement()
        # the lines kept as entries arrived are the ones a rebuild from the log makes
        before = vault.digests()["mutual_aid_ledger"]
        assert vault.rebuild(["mutual_aid_ledger"])["mutual_aid_ledger"] == before
        pages_equal_the_statement()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves)
def test_month_flows_equal_the_statements_summed(data):
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
