"""Sync under load: bundles from many devices imported in random order, twice over, give the
same tables as one ordered import (digests compared).

``make test`` runs 6 devices x 3 bundles; ``HALQA_SYNC_DEVICES=20 HALQA_SYNC_BUNDLES=5`` is the
run recorded in docs/reliability.md (100 bundles).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from halqa import domains, places
from halqa.bridge import BundleInvalid, add_contact, export_bundle, identity, import_bundle
from halqa.vault import TEST_KDF

from ..conftest import PASSPHRASE

DEVICES = int(os.environ.get("HALQA_SYNC_DEVICES", "6"))
BUNDLES = int(os.environ.get("HALQA_SYNC_BUNDLES", "3"))


def test_bundles_in_random_order_twice_over_give_the_ordered_tables(tmp_path: Path):
    sinks = [domains.create_vault(tmp_path / f"sink{k}.halqa", PASSPHRASE, TEST_KDF) for k in range(2)]
    devices = [domains.create_vault(tmp_path / f"d{i}.halqa", PASSPHRASE, TEST_KDF) for i in range(DEVICES)]
    for d in devices:
        for s in sinks:
            add_contact(d, s.path.stem, text=identity(s).text, verified="in-person", role="device")
            add_contact(s, d.path.stem, text=identity(d).text, verified="in-person", role="device")
    rng = random.Random(18)
    files: list[list[Path]] = [[] for _ in devices]
    for b in range(BUNDLES):
        for i, d in enumerate(devices):
            # Each device's own area, and one all of them rename: a conflict the merge settles.
            places.add_area(d, f"A{i:02d}", f"منطقة {i}")
            places.add_area(d, "JSR", f"حي الجسر {i}-{b}")
            for k in range(rng.randint(1, 5)):
                places.add_household(d, f"A{i:02d}", f"hh-{i:02d}{b}{k}")
            out = tmp_path / f"d{i}-{b}.age"
            export_bundle(d, ["sink0", "sink1"], out)
            files[i].append(out)
    ordered, shuffled = sinks
    for i in range(DEVICES):
        for f in files[i]:
            import_bundle(ordered, f)
    every = [f for fs in files for f in fs]
    replays = 0
    for _ in range(2):
        rng.shuffle(every)
        for f in every:
            try:
                import_bundle(shuffled, f)
            except BundleInvalid as exc:
                assert exc.msg_id == "bridge.bundle_replayed"
                replays += 1
    assert replays == len(every), "the second pass is all replays, refused"
    assert shuffled.count_events() == ordered.count_events()
    # Every table the bundles wrote is the same; each sink's own contact list it wrote itself.
    mine = {"bridge_contact"}
    assert {k: v for k, v in shuffled.digests().items() if k not in mine} == \
        {k: v for k, v in ordered.digests().items() if k not in mine}
    assert shuffled.query_one("SELECT count(*) FROM area")[0] == DEVICES + 1
    for v in (*sinks, *devices):
        v.close()
