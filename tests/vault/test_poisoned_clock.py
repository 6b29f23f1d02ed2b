"""A vault poisoned before the clock checks existed (issue 13): an event stored with a clock near
2^63 (imported from a contact, when import still trusted clocks) must not keep damaging the vault.

Today's import refuses such clocks (tests/bridge/test_roles.py); this is the vault that already
holds one, reopened.
"""

from __future__ import annotations

import time

from halqa import places
from halqa.domains import load
from halqa.vault import Vault
from halqa.vault.authz import MAX_CLOCK, check_clock
from halqa.vault.events import HLC
from tests.conftest import PASSPHRASE, new_vault


def _poisoned(tmp_path) -> Vault:
    v = new_vault(tmp_path, "poisoned")
    # what an old import did: move the clock past the remote event's, then store it
    v.hlc.observe(MAX_CLOCK - 20)
    places.add_area(v, "BAD", "مسمومة")
    assert max(e.hlc for e in v.events()) > MAX_CLOCK - 20
    v.close()
    load()
    return Vault.open(v.path, PASSPHRASE)


def test_local_writes_after_a_poisoned_clock_keep_the_wall_clock(tmp_path):
    v = _poisoned(tmp_path)
    try:
        now_ms = time.time_ns() // 1_000_000
        for i in range(40):  # more writes than the 20 clock values left below 2^63
            places.add_area(v, f"A{i}", "حي")
        new = [e.hlc for e in v.events() if e.kind == "area.put" and e.payload.code.startswith("A")]
        assert len(new) == 40
        assert all(abs(HLC.wall(h) - now_ms) < 86_400_000 for h in new), "new writes took the poisoned clock"
        check_clock(v)  # this device may sync again: its own clock is not "behind"
    finally:
        v.close()
