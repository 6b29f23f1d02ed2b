"""The JSON shapes of institutions' typed results (``--json`` and the web API serialise them with
:func:`halqa.results.to_data`): the same keys the dicts had before the results were typed."""

from halqa.institutions import account, close, propose, tally
from halqa.results import to_data

from .helpers import neighbourhood


def test_tally_leaves_rounds_out_unless_ranked():
    assert list(to_data(tally("majority", ["a", "b"], {"m": ["a"]}))) == ["participants", "counts", "quorum_met", "outcome"]
    assert list(to_data(tally("ranked", ["a", "b"], {"m": ["a"]}))) == ["participants", "counts", "quorum_met", "rounds",
                                                                        "outcome"]


def test_proposal_keys(vault):
    neighbourhood(vault)
    p = to_data(close(vault, propose(vault, "x", ["a", "b"], day="2026-06-01").id, day="2026-06-02"))
    assert list(p) == ["id", "mode", "outcome", "participants", "counts", "title", "text", "options", "circles", "members",
                       "closes", "quorum", "created", "closed", "positions", "took_part", "in_person", "rounds", "refs",
                       "links"]


def test_account_leaves_out_water_and_power_without_figures(vault):
    from halqa.institutions import create_service, deliver

    homes = neighbourhood(vault)
    create_service(vault, "food", "food", areas=["NKH"], day="2026-08-01")
    deliver(vault, "food", homes["NKH"][0], 2, day="2026-08-02")
    nkh = to_data(account(vault, "2026-08"))["areas"]["NKH"]
    assert nkh == {"households_served": 1, "services": {"food": {"unit": "baskets", "quantity": 2.0, "deliveries": 1,
                                                                  "households": 1}}, "repairs_done": 0}
