"""The JSON the bridge's commands print (``--json``): the keys of each answer, pinned, so typed
results cannot change what scripts read (issue 15: one shape, from :func:`halqa.results.to_data`)."""

from __future__ import annotations

import json
from pathlib import Path

from pyrage import x25519

from halqa import listening, places

CONTACT = {"name", "age_recipient", "signing_key", "fingerprint", "verified", "added", "id", "role", "household",
           "pseudonym", "circle", "confirmed"}


def _json(cli, *args: str) -> object:
    code, out = cli(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def _recipient() -> str:
    return str(x25519.Identity.generate().to_public())


def test_contact_answers(cli, vault):
    assert set(_json(cli, "contacts", "add", "ally", "--age-recipient", _recipient())) == CONTACT
    assert set(_json(cli, "contacts", "set-role", "ally", "circle")) == CONTACT
    assert [set(c) for c in _json(cli, "contacts", "list")] == [CONTACT]
    new = _recipient()
    changed = _json(cli, "--yes", "contacts", "rekey", "ally", "--age-recipient", new)
    assert set(changed) == CONTACT | {"changed", "old_fingerprint"} and changed["changed"] is True
    same = _json(cli, "--yes", "contacts", "rekey", "ally", "--age-recipient", new)
    assert set(same) == CONTACT | {"changed"} and same["changed"] is False
    assert _json(cli, "contacts", "remove", "ally") == {"ok": True, "name": "ally"}


def test_export_aggregates_and_publish_answers(cli, vault, tmp_path: Path):
    places.add_area(vault, "NKH", "حي النخيل")
    for _ in range(3):
        listening.add_grievance(vault, themes=["water"], place="NKH", day="2026-03-02", text="الماء")
    _json(cli, "contacts", "add", "ally", "--age-recipient", _recipient())
    sent = _json(cli, "sync", "export", "--to", "ally", "-o", str(tmp_path / "b.age"), "--threshold", "2")
    assert set(sent) == {"bundle_id", "kind", "recipients", "roles", "commits", "events", "bytes", "aggregates", "file"}
    assert sent["aggregates"]["grievances"] == {"cells": 1, "suppressed": 0}
    tables = _json(cli, "sync", "aggregates", "--threshold", "2")
    assert tables["grievances"] == {"cells": [["NKH", "water", "2026-03-02", 3.0, 3]], "suppressed": 0}
    assert _json(cli, "sync", "received", "--by", "area,theme") == []
    _json(cli, "publish", "budget", "grievances", "--set", "1")
    budget = _json(cli, "publish", "budget")
    assert set(budget) == {"grievances", "outages"} and budget["outages"] == {
        "total": None, "spent": 0, "remaining": None, "publications": 0}
    table = _json(cli, "publish", "table", "grievances", "--epsilon", "0.5", "--threshold", "0")
    assert set(table) == {"dataset", "epsilon", "epsilon_used", "mechanism", "scale", "error95", "relative_error_typical",
                          "typical_count", "threshold", "cells", "suppressed", "grid", "budget"}
    assert set(table["cells"][0]) == {"area", "theme", "week", "count"}
    assert set(table["budget"]) == {"total", "spent", "remaining", "publications"}
    _json(cli, "publish", "budget", "outages", "--set", "1")
    out = tmp_path / "t.json"
    table = _json(cli, "publish", "table", "outages", "--epsilon", "0.5", "--threshold", "0", "-o", str(out))
    assert table["file"] == str(out) and "error95_minutes" in table
    written = json.loads(out.read_text())
    assert set(written) == set(table) - {"file"}
    assert all(set(c) == {"area", "day", "households", "outage_minutes", "minutes_per_household"} for c in written["cells"])
