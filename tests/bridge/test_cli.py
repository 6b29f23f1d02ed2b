"""The bridge's commands, the script interface exactly as documented, the public API and the guide."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
from pathlib import Path

import pytest

import halqa.bridge as B
from halqa import places
from halqa.bridge.bundle import read_inner
from halqa.results import to_data
from tests.conftest import new_vault

ROOT = Path(__file__).resolve().parents[2]


def test_id_show_json_exactly(cli, vault):
    code, out = cli("id", "show", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert set(data) == {"fingerprint", "age_recipient"} and data["age_recipient"].startswith("age1")
    assert data == {k: to_data(B.identity(vault))[k] for k in data}
    code, out = cli("id", "show")
    assert code == 0 and data["fingerprint"] in out


def test_contacts_add_age_keygen_export_and_age_decrypts(cli, vault, tmp_path: Path, age_tool):
    key = tmp_path / "ally.key"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = next(line.split(": ")[1] for line in key.read_text().splitlines() if line.startswith("# public key"))
    code, out = cli("contacts", "add", "ally", "--age-recipient", recipient, "--json")
    assert code == 0, out
    assert json.loads(out)["age_recipient"] == recipient and json.loads(out)["role"] == "ally"
    places.add_area(vault, "NKH", "حي النخيل")
    # An ally gets aggregates by default, and never the full history.
    code, out = cli("sync", "export", "--to", "ally", "-o", str(tmp_path / "b.age"), "--json")
    assert code == 0 and json.loads(out)["kind"] == "aggregates", out
    inner = subprocess.run(["age", "-d", "-i", str(key), str(tmp_path / "b.age")], check=True, capture_output=True).stdout
    assert read_inner(inner)[0].kind == "aggregates"
    code, out = cli("sync", "export", "--to", "ally", "--full", "-o", str(tmp_path / "full.age"), "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.full_needs_device" and not (tmp_path / "full.age").exists()
    # The same key as a device of this circle gets commits, which the age tool opens.
    code, out = cli("contacts", "add", "laptop", "--age-recipient", recipient, "--role", "device")
    assert code == 0, out
    code, out = cli("sync", "export", "--to", "laptop", "--full", "-o", str(tmp_path / "dev.age"), "--json")
    assert code == 0 and json.loads(out)["kind"] == "commits", out
    inner = subprocess.run(["age", "-d", "-i", str(key), str(tmp_path / "dev.age")], check=True, capture_output=True).stdout
    assert read_inner(inner)[1]
    code, out = cli("contacts", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [(c["name"], c["role"]) for c in listed] == [("ally", "ally"), ("laptop", "device")]
    assert all({"name", "fingerprint", "role"} <= set(c) for c in listed)


def test_sync_import_json_and_exit_codes(cli, vault, tmp_path: Path):
    sender = new_vault(tmp_path, "sender")
    try:
        B.add_contact(sender, "me", text=B.identity(vault).text, role="device")
        B.add_contact(vault, "sender", text=B.identity(sender).text, verified="qr", role="device")
        places.add_area(sender, "NKH", "حي النخيل")
        B.export_bundle(sender, ["me"], tmp_path / "in.age")
    finally:
        sender.close()
    data = (tmp_path / "in.age").read_bytes()
    (tmp_path / "bad.age").write_bytes(data[:-20] + bytes(20))
    (tmp_path / "short.age").write_bytes(data[: len(data) // 2])
    before = vault.count_events()
    for name in ("bad.age", "short.age"):
        code, out = cli("sync", "import", str(tmp_path / name), "--json")
        assert code == 2 and json.loads(out)["exit_code"] == 2
    assert vault.count_events() == before
    code, out = cli("sync", "import", str(tmp_path / "in.age"), "--json")
    assert code == 0, out
    res = json.loads(out)
    assert set(res) == {"commits_new", "commits_known", "events_new"} and res["commits_new"] >= 1
    code, out = cli("sync", "import", str(tmp_path / "in.age"), "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.bundle_replayed"
    # a foreign bundle (sealed to someone else)
    other = new_vault(tmp_path, "other")
    try:
        B.add_contact(vault, "other", text=B.identity(other).text)
        B.export_bundle(vault, ["other"], tmp_path / "foreign.age")
    finally:
        other.close()
    code, out = cli("sync", "import", str(tmp_path / "foreign.age"), "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.bundle_not_for_us"


def test_qr_publish_and_budget_commands(cli, vault, tmp_path: Path):
    import random

    from halqa import listening

    rng = random.Random(2)
    places.demo(vault, rng, households_per_area=1)
    listening.demo(vault, rng, n=80)
    from pyrage import x25519

    B.add_contact(vault, "ally", age_recipient=str(x25519.Identity.generate().to_public()))
    code, out = cli("sync", "export", "--to", "ally", "--aggregate-only", "--threshold", "2", "-o", str(tmp_path / "a.age"))
    assert code == 0, out
    code, out = cli("sync", "qr", str(tmp_path / "a.age"), "-o", str(tmp_path / "qr"), "--json")
    assert code == 0, out
    files = json.loads(out)["files"]
    code, out = cli("sync", "unqr", *files, "-o", str(tmp_path / "back.age"))
    assert code == 0 and (tmp_path / "back.age").read_bytes() == (tmp_path / "a.age").read_bytes()
    code, out = cli("publish", "table", "grievances", "--epsilon", "0.5", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.no_budget"
    assert cli("publish", "budget", "grievances", "--set", "1")[0] == 0
    code, out = cli("publish", "table", "grievances", "--epsilon", "0.7", "-o", str(tmp_path / "t.csv"))
    assert code == 0, out
    assert (tmp_path / "t.csv").read_text().startswith("area,theme,week,count")
    code, out = cli("publish", "table", "grievances", "--epsilon", "0.7", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.budget_exhausted"
    code, out = cli("publish", "budget", "--json")
    assert code == 0 and json.loads(out)["grievances"]["spent"] == pytest.approx(0.7)
    code, out = cli("sync", "aggregates", "--json")
    assert code == 0 and set(json.loads(out)) == {"grievances", "outages"}


def test_public_api_pinned_and_documented():
    assert sorted(B.__all__) == sorted([
        "DATASETS", "DEFAULT_THRESHOLD",
        "BundleInvalid", "Contact", "ImportResult", "add_contact", "age_identity_text", "aggregate_tables", "budget",
        "contacts", "decoy", "demo", "export_bundle", "get_contact", "hub_info", "hub_init", "hub_open", "identity", "identity_qr",
        "import_bundle", "import_outbox", "is_outbox", "OutboxInvalid",
        "join_frames", "open_bundle", "publish_table", "push_bundle", "qr_images", "received_aggregates",
        "rekey_contact", "remove_contact", "scan_texts", "serve_push", "set_budget", "set_role", "snapshot", "suppress",
        "unconfirmed"])
    for name in B.__all__:
        obj = getattr(B, name)
        if callable(obj):
            assert inspect.getdoc(obj), name


def test_every_command_is_in_the_guide():
    from halqa.cli.bridge import contacts_app, hub_app, id_app, publish_app, sync_app

    guide = (ROOT / "docs" / "guide" / "bridge.md").read_text(encoding="utf-8")
    for group, app in (("id", id_app), ("contacts", contacts_app), ("sync", sync_app), ("publish", publish_app),
                       ("hub", hub_app)):
        for cmd in app.registered_commands:
            name = cmd.name or cmd.callback.__name__
            assert re.search(rf"halqa {group} {re.escape(name)}\b", guide), f"halqa {group} {name}"


def test_catalogues_complete():
    from importlib import resources

    folder = resources.files("halqa.i18n")
    cats = {lang: json.loads(folder.joinpath(f"{lang}.bridge.json").read_text(encoding="utf-8")) for lang in ("ar", "ckb", "en")}
    assert set(cats["ar"]) == set(cats["ckb"]) == set(cats["en"])
    assert all(k.startswith(("bridge.", "field.")) or k == "step.bridge" for k in cats["en"])  # and its demo labels
    assert sum(cats["ar"][k] != cats["en"][k] for k in cats["en"]) == len(cats["en"])
    assert sum(cats["ckb"][k] != cats["en"][k] for k in cats["en"]) == len(cats["en"])


def test_demo_and_decoy(vault):
    import random

    from halqa import listening

    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=2)
    listening.demo(vault, rng, n=200)
    summary = B.demo(vault, rng)
    assert summary["ally"] == "allies-abroad" and summary["grievance_cells_suppressed"] > 0
    assert summary["ally_role"] == "ally" and summary["bundle_kind"] == "aggregates"
    assert summary["ally_receives"] == ["bridge_aggregate.put"]  # opened with the ally's key: nothing else
    assert summary["dp_budget_left"] == pytest.approx(0.75)
    B.decoy(vault, rng)
    assert len(B.contacts(vault)) == 2
