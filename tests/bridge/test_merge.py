"""Merge through bundles: any order and any duplication across three devices gives identical vaults."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.bridge import BundleInvalid, export_bundle, import_bundle
from halqa.bridge.bundle import read_inner, write_inner
from halqa.bridge.keys import age_identity
from halqa.places import HouseholdPut
from halqa.vault import export_commits
from tests.conftest import new_vault

from .conftest import pair

BOOKKEEPING = ("bridge_seen", "bridge_known")

# (device, action, value, peer): put / edit / delete a household, or send a bundle to a peer
ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["put", "edit", "delete", "send", "send"]),
                             st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=14)


def _content(v):
    return {k: d for k, d in v.digests().items() if k not in BOOKKEEPING}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, seed=st.integers(0, 2**32 - 1), dup=st.integers(1, 3))
def test_bundles_in_any_order_and_duplication_give_identical_vaults(tmp_path_factory, actions, seed, dup):
    rng = random.Random(seed)
    base = tmp_path_factory.mktemp("bundles")
    vs = [new_vault(base, n) for n in "xyz"]
    try:
        pair(*vs)
        mailbox: list[tuple[int, bytes]] = []  # (recipient, sealed bundle)
        for dev, action, value, peer in actions:
            v = vs[dev]
            key = f"hh-{value}"
            if action == "put":
                v.append("household.put", HouseholdPut(id=key, area="NKH", size=value))
            elif action == "edit":
                v.append("household.put", HouseholdPut(id=key, size=value * 10 + dev))
            elif action == "delete":
                v.append("household.delete", {"id": key})
            elif peer != dev:
                mailbox.append((peer, export_bundle(v, [vs[peer].path.stem], None).data))
        # A final round: everyone sends everything to everyone.
        for i, v in enumerate(vs):
            for j, w in enumerate(vs):
                if i != j:
                    mailbox.append((j, export_bundle(v, [w.path.stem], None, everything=True).data))
        deliveries = mailbox * dup
        rng.shuffle(deliveries)
        for who, data in deliveries:
            try:
                import_bundle(vs[who], data)
            except BundleInvalid as err:
                assert err.msg_id == "bridge.bundle_replayed"
        contents = [_content(v) for v in vs]
        assert contents[0] == contents[1] == contents[2]
        households = [sorted(tuple(r) for r in v.query("SELECT * FROM household")) for v in vs]
        assert households[0] == households[1] == households[2]
        # a rebuild from the log gives the same tables
        assert {k: d for k, d in vs[0].rebuild().items() if k not in BOOKKEEPING} == contents[0]
    finally:
        for v in vs:
            v.close()


@pytest.fixture(scope="module")
def one_vault(tmp_path_factory):
    v = new_vault(tmp_path_factory.mktemp("inner"), "v")
    yield v
    v.close()


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), max_size=4), recipients=st.integers(1, 3), tail=st.binary(max_size=3))
def test_inner_bundle_round_trip(one_vault, sizes, recipients, tail):
    v = one_vault
    for size in sizes:
        v.append("household.put", HouseholdPut(id=f"hh-{size}", area="NKH", size=size))
    recs = export_commits(v)
    keys = [str(age_identity(v).to_public())] * recipients
    header, data = write_inner(v, recs, keys)
    back_header, back = read_inner(data)
    assert back_header == header and back == recs and header.recipients == sorted(set(keys))
    if tail:  # anything appended or cut is refused
        with pytest.raises(BundleInvalid):
            read_inner(data + tail)
        with pytest.raises(BundleInvalid):
            read_inner(data[: -len(tail)])
