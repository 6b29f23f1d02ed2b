"""``giving_months`` (from the giving table the ledger's projection keeps) lists exactly the
contributions the funds' statements list (issue 19: circle health read every statement's entries,
150,000 of them, on each first view), and the table rebuilds to what was kept incrementally."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import halqa.mutual_aid as ma

from ..conftest import fresh_vault


def _from_statements(vault) -> dict[str, set[str]]:
    """What circle health computed before: every fund's statement, its visible contributions."""
    out: dict[str, set[str]] = {}
    for f in ma.funds(vault):
        for e in ma.statement(vault, f.name).entries or []:
            if e.type == "contribution" and e.party:
                out.setdefault(e.party, set()).add(e.day[:7])
    return out


gifts = st.lists(st.tuples(st.sampled_from(["families", "school"]), st.sampled_from(["hh-aaaa", "hh-bbbb", "hh-cccc"]),
                           st.integers(1, 9), st.sampled_from(["2026-04-30", "2026-05-02", "2026-06-15", "2027-01-01"]),
                           st.booleans(), st.booleans()), max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gifts)
def test_giving_months_equals_the_statements(data):
    with fresh_vault() as vault:
        ma.create_fund(vault, "families", "IQD", day="2026-01-01")
        ma.create_fund(vault, "school", "USD", day="2026-01-01")
        for fund, party, amount, day, private, cancel in data:
            row = ma.contribute(vault, fund, party, str(amount * 1000), day=day, private=private)
            if cancel:  # a voided contribution stays a contribution in the statement
                ma.void(vault, row.id, day=day)
        ma.disburse(vault, "families", "hh-dddd", "1", purpose="medicine", day="2026-06-15", overdraft=True)
        assert ma.giving_months(vault) == _from_statements(vault)
        # asking for some parties gives exactly theirs
        for some in ([], ["hh-aaaa"], ["hh-bbbb", "hh-cccc", "hh-zzzz"]):
            assert ma.giving_months(vault, some) == {p: m for p, m in _from_statements(vault).items() if p in some}
        # the giving table kept as entries arrived is the one a rebuild from the log makes
        before = vault.digests()["mutual_aid_ledger"]
        assert vault.rebuild(["mutual_aid_ledger"])["mutual_aid_ledger"] == before
        assert ma.giving_months(vault) == _from_statements(vault)
