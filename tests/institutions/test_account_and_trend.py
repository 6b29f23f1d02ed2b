"""``account_and_trend`` counts a month once for a page that shows both (issue 19: ``/services``
counted its month twice): it gives what ``account`` and ``account_trend`` give, for any deliveries,
water and power records, repairs and decisions over the months asked and around them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.institutions import account, account_and_trend, account_trend, create_service, deliver
from halqa.ledger import add_interval, add_water
from halqa.mutual_aid import log_repair
from halqa.results import to_data

from ..conftest import fresh_vault
from .helpers import neighbourhood

MONTHS = ("2026-05", "2026-06", "2026-07", "2026-08")
record = st.one_of(
    st.tuples(st.just("deliver"), st.sampled_from(["w", "g"]), st.integers(0, 11), st.sampled_from(MONTHS),
              st.integers(0, 50)),
    st.tuples(st.just("water"), st.integers(0, 11), st.sampled_from(MONTHS), st.booleans()),
    st.tuples(st.just("power"), st.integers(0, 11), st.sampled_from(MONTHS), st.integers(1, 20)),
    st.tuples(st.just("repair"), st.sampled_from(["NKH", "MNA"]), st.sampled_from(MONTHS)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record, max_size=14), st.sampled_from(MONTHS), st.integers(1, 4))
def test_account_and_trend_equal_each_alone(records, month, months):
    with fresh_vault() as vault:
        homes = neighbourhood(vault)
        households = homes["NKH"] + homes["MNA"]
        create_service(vault, "w", "water", areas=["NKH", "MNA"])
        create_service(vault, "g", "power", areas=["MNA"])
        for n, r in enumerate(records):
            if r[0] == "deliver":
                home = households[r[2]] if r[1] == "w" else homes["MNA"][r[2] % 6]  # g serves MNA only
                deliver(vault, r[1], home, r[4] + 1, day=f"{r[3]}-{1 + n % 28:02d}")
            elif r[0] == "water":
                add_water(vault, households[r[1]], f"{r[2]}-{1 + n % 28:02d}", no_water=r[3])
            elif r[0] == "power":
                add_interval(vault, households[r[1]], f"{r[2]}-{1 + n % 28:02d}T06:00",
                             f"{r[2]}-{1 + n % 28:02d}T{6 + r[3] // 2:02d}:{30 * (r[3] % 2):02d}")
            else:
                log_repair(vault, "pump", r[1], ["m-a"], day=f"{r[2]}-{1 + n % 28:02d}", done=True)
        both = account_and_trend(vault, month, months)
        assert to_data(both[0]) == to_data(account(vault, month))
        assert to_data(both[1]) == to_data(account_trend(vault, month, months))
