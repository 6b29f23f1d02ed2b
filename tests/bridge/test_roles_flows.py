"""Roles in everyday use: what each role receives, replication among devices, key changes, the
migration of contacts from before roles, clocks, and names derived from imported data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halqa.bridge import (
    add_contact,
    contacts,
    export_bundle,
    get_contact,
    identity,
    import_bundle,
    rekey_contact,
    unconfirmed,
)
from halqa.bridge.events import ContactPut
from halqa.bridge.privacy import csv_cell, table_csv
from halqa.errors import InvalidInput
from halqa.places import add_area, add_household
from halqa.publish.posters import safe_stem
from halqa.vault.authz import ClockWrong, Unauthorised, set_max_ahead_hours
from halqa.vault.values import new_id
from tests.conftest import new_vault

from .conftest import pair
from .test_roles import add, files, forge, own_commits, refused


@pytest.fixture
def three(tmp_path: Path):
    vs = [new_vault(tmp_path, n) for n in ("circle", "laptop", "phone")]
    yield vs
    for v in vs:
        v.close()


def test_each_role_receives_what_its_role_allows(three):
    circle, laptop, phone = three
    add_area(circle, "NKH", "حي النخيل")
    hh = add_household(circle, "NKH")
    add(circle, "laptop", laptop, "device")
    add(circle, "phone", phone, "member", household=hh)
    assert export_bundle(circle, ["laptop"], None).kind == "commits"
    to_member = export_bundle(circle, ["phone"], None)
    assert to_member.kind == "aggregates" and to_member.events == 2  # grievances and outages snapshots
    for options in ({"everything": True}, {"since": "2020-01-01"}, {"kinds": ["area.put"]}, {"aggregate_only": False}):
        with pytest.raises(InvalidInput) as err:
            export_bundle(circle, ["phone"], None, **options)
        assert err.value.msg_id == "bridge.full_needs_device"
    # Several recipients: the least trusted decides.
    assert export_bundle(circle, ["laptop", "phone"], None).kind == "aggregates"
    # The web asks like this today: the library refuses it for an ally.
    with pytest.raises(InvalidInput):
        export_bundle(circle, ["phone"], aggregate_only=False, everything=True)


def test_an_ally_sends_back_its_own_tactics_and_nothing_else(three):
    circle, ally, _ = three
    add(circle, "ally", ally, "ally")
    add(ally, "circle", circle, "circle")
    add_area(ally, "XYZ", "x")  # the ally's own records never travel to the circle
    ally.append("learning_tactic.put", {"id": "t-ally", "title": "Generator owners' price list, posted"})
    sent = export_bundle(ally, ["circle"], None)
    assert sent.kind == "commits" and sent.events == 1
    res = import_bundle(circle, sent.data)
    assert res.events_new == 1
    assert circle.query_one("SELECT title FROM learning_tactic WHERE id = 't-ally'") is not None
    assert circle.query_one("SELECT 1 FROM area WHERE code = 'XYZ'") is None
    # The ally may change its own entry later, not the circle's.
    ally.append("learning_tactic.put", {"id": "t-ally", "title": "Price list, updated"})
    import_bundle(circle, export_bundle(ally, ["circle"], None).data)
    assert circle.query_one("SELECT title FROM learning_tactic WHERE id = 't-ally'")[0] == "Price list, updated"


def test_devices_replicate_contacts_and_forward_their_members(tmp_path: Path):
    a, b, phone = (new_vault(tmp_path, n) for n in ("a", "b", "phone"))
    try:
        pair(a, b)
        add_area(b, "NKH", "حي النخيل")
        hh = add_household(b, "NKH")
        add(b, "phone", phone, "member", household=hh)
        start = int(phone.meta("seq"))
        phone.append("ledger_tally.put", {"id": f"{hh}|2026-03-01", "household": hh, "area": "NKH",
                                          "day": "2026-03-01", "hours_off": 6.0})
        import_bundle(b, forge(phone, b, own_commits(phone, start)))
        # a learns of the member from b in the same bundle that forwards the member's entry
        import_bundle(a, export_bundle(b, ["a"], None).data)
        assert get_contact(a, "phone").role == "member"
        assert a.query_one("SELECT hours_off FROM ledger_tally")[0] == 6.0
        # b's entry for a replicated too, but a does not list itself as its own contact
        assert sorted(c.name for c in contacts(a)) == ["b", "phone"]
    finally:
        for v in (a, b, phone):
            v.close()


def test_a_key_change_is_never_taken_from_an_import(tmp_path: Path):
    a, b, ally, outsider = (new_vault(tmp_path, n) for n in ("a", "b", "ally", "outsider"))
    try:
        pair(a, b)
        for v in (a, b):
            add(v, "ally", ally, "ally")
        import_bundle(b, export_bundle(a, ["b"], None).data)
        import_bundle(a, export_bundle(b, ["a"], None).data)
        target = get_contact(b, "ally")
        # b (a device, perhaps stolen) changes the ally's keys: a refuses, showing both fingerprints
        b.append("bridge_contact.put", ContactPut(id=target.id, age_recipient=identity(outsider).age_recipient,
                                                  signing_key=outsider.device_id.hex(),
                                                  fingerprint=identity(outsider).fingerprint))
        before = files(a)
        with pytest.raises(Unauthorised) as err:
            import_bundle(a, export_bundle(b, ["a"], None).data)
        assert err.value.msg_id == "sync.key_change"
        assert target.fingerprint in err.value.render() and identity(outsider).fingerprint in err.value.render()
        assert files(a) == before
        # Locally, with a confirmation that sees both fingerprints.
        seen = []
        unchanged = rekey_contact(a, "ally", text=identity(outsider).text, confirm=lambda o, n: seen.append((o, n)))
        assert not unchanged.changed and seen == [(target.fingerprint, identity(outsider).fingerprint)]
        assert get_contact(a, "ally").fingerprint == target.fingerprint
        changed = rekey_contact(a, "ally", text=identity(outsider).text, confirm=lambda o, n: True)
        assert changed.changed and changed.fingerprint == identity(outsider).fingerprint
    finally:
        for v in (a, b, ally, outsider):
            v.close()


def test_contacts_from_before_roles_are_allies_until_confirmed(cli, vault, tmp_path: Path):
    old = new_vault(tmp_path, "old-laptop")
    try:
        ident = identity(old)
        # what an older halqa wrote: no role
        vault.append("bridge_contact.put", ContactPut(id=new_id(), name="old-laptop", age_recipient=ident.age_recipient,
                                                      signing_key=old.device_id.hex(), fingerprint=ident.fingerprint,
                                                      verified="in-person", added="2025-06-01"))
        c = get_contact(vault, "old-laptop")
        assert c.role == "ally" and not c.confirmed and [u.name for u in unconfirmed(vault)] == ["old-laptop"]
        add_contact(old, "main", text=identity(vault).text, role="device")
        add_area(old, "NKH", "حي النخيل")
        with pytest.raises(Unauthorised) as err:
            import_bundle(vault, export_bundle(old, ["main"], None).data)
        assert err.value.msg_id == "sync.kind_refused_unconfirmed" and "confirm-roles" in err.value.render()
        code, out = cli("contacts", "confirm-roles", "--device", "old-laptop")  # the human output
        assert code == 0 and "Traceback" not in out, out
        assert get_contact(vault, "old-laptop").role == "device"
        assert unconfirmed(vault) == []
        code, out = cli("contacts", "confirm-roles", "--json")  # nothing left to confirm
        assert code == 0 and json.loads(out) == []
        import_bundle(vault, export_bundle(old, ["main"], None, everything=True).data)
        assert vault.query_one("SELECT 1 FROM area WHERE code = 'NKH'") is not None
        # Demoted later: what it wrote while a device stays, and a full resync that carries it
        # again (commits already held) is not refused; anything new from it is.
        code, _ = cli("contacts", "set-role", "old-laptop", "ally")
        assert code == 0
        import_bundle(vault, export_bundle(old, ["main"], None, everything=True, mark_sent=False).data)
        add_area(old, "SUQ", "حي السوق")
        with pytest.raises(Unauthorised):
            import_bundle(vault, export_bundle(old, ["main"], None).data)
    finally:
        old.close()


def test_contacts_commands(cli, vault, tmp_path: Path):
    other = new_vault(tmp_path, "other")
    try:
        text = identity(other).text
    finally:
        other.close()
    code, out = cli("contacts", "add", "m", "--text", text, "--role", "member", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.member_needs_household"
    code, out = cli("contacts", "add", "m", "--text", text, "--role", "member", "--household", "hh-7qk2",
                    "--circle", "a/b", "--json")
    assert code == 2 and json.loads(out)["error"] == "learning.bad_id"
    code, out = cli("contacts", "add", "m", "--text", text, "--circle", "c-1", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.scope_only_members"
    code, out = cli("contacts", "add", "m", "--text", text, "--role", "member", "--household", "hh-7qk2",
                    "--circle", "c-1", "--json")
    assert code == 0 and json.loads(out)["role"] == "member" and json.loads(out)["household"] == "hh-7qk2"
    assert json.loads(out)["circle"] == "c-1"
    code, out = cli("contacts", "add", "x", "--text", text, "--role", "boss", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.bad_role"
    code, out = cli("--yes", "contacts", "set-role", "m", "device", "--json")
    assert code == 0 and json.loads(out)["role"] == "device" and json.loads(out)["household"] is None
    assert json.loads(out)["circle"] is None
    code, out = cli("contacts", "list", "--json")
    assert [(c["name"], c["role"]) for c in json.loads(out)] == [("m", "device")]
    code, out = cli("config", "max-clock-ahead", "2", "--json")
    assert code == 0 and json.loads(out)["max_clock_ahead_hours"] == 2
    code, out = cli("config", "max-clock-ahead", "0", "--json")
    assert code == 2


def test_own_clock_wrong_is_a_clear_error_and_the_margin_is_configurable(three, monkeypatch):
    circle, laptop, _ = three
    pair(circle, laptop)
    laptop.append("learning_tactic.put", {"id": "t-1", "title": "x"})
    data = export_bundle(laptop, ["circle"], None).data
    before = files(circle)
    with monkeypatch.context() as m:
        m.setattr("halqa.vault.authz._now_ms", lambda: 86_400_000)  # an unset phone: 1970-01-02
        for attempt in (lambda: import_bundle(circle, data), lambda: export_bundle(circle, ["laptop"], None)):
            with pytest.raises(ClockWrong) as err:
                attempt()
            assert err.value.exit_code == 2 and "1970-01-02" in err.value.render()
        # A clock set back behind what this vault already wrote is just as wrong.
        m.setattr("halqa.vault.authz._now_ms", lambda: (circle.hlc.last >> 16) - 3 * 86_400_000)
        with pytest.raises(ClockWrong):
            import_bundle(circle, data)
    assert files(circle) == before
    # An event 2 hours ahead: fine with the default 24 h margin, refused with a 1 h margin.
    set_max_ahead_hours(circle, 1)
    laptop.hlc.last = ((laptop.hlc.last >> 16) + 2 * 3_600_000) << 16
    laptop.append("learning_tactic.put", {"id": "t-2", "title": "y"})
    ahead = export_bundle(laptop, ["circle"], None).data
    with pytest.raises(Unauthorised) as err:
        import_bundle(circle, ahead)
    assert err.value.msg_id == "sync.clock_ahead"
    set_max_ahead_hours(circle, 24)
    import_bundle(circle, ahead)


def test_member_checkin_scope(three):
    circle, phone, _ = three
    add(circle, "phone", phone, "member", household="hh-aaaa", pseudonym="abu-ali", circle="c1")
    for member, ok in ((None, True), ("abu-ali", True), ("umm-zahra", False)):
        start = int(phone.meta("seq"))
        phone.append("learning_checkin.put", {"id": f"k-{member}", "circle": "c1", "week": "2026-W07", "score": 3,
                                              "member": member})
        bundle = forge(phone, circle, own_commits(phone, start))
        if ok:
            import_bundle(circle, bundle)
        else:
            with pytest.raises(Unauthorised, match="umm-zahra"):
                import_bundle(circle, bundle)


@pytest.mark.parametrize("paired_for", [None, "c-a"])
def test_a_member_may_not_check_in_for_another_circle(three, paired_for):
    """An informant's device, a member of circle c-a (or of none), signs a bundle whose check-in
    names circle c-b: refused whole, nothing written."""
    circle, phone, _ = three
    add(circle, "phone", phone, "member", household="hh-aaaa", **({"circle": paired_for} if paired_for else {}))
    phone.append("learning_checkin.put", {"id": "k-1", "circle": "c-b", "week": "2026-W07", "score": 1})
    err = refused(circle, forge(phone, circle, own_commits(phone)), "learning_checkin.put", "c-b")
    assert err.msg_id == "sync.out_of_scope"


def test_a_member_cannot_take_over_a_record_it_did_not_create(three):
    circle, phone, _ = three
    add_area(circle, "NKH", "حي النخيل")
    mine, theirs = add_household(circle, "NKH"), add_household(circle, "NKH")
    add(circle, "phone", phone, "member", household=mine)
    # an interval written by an import (another kind: no owner row), and one the circle typed
    circle.append("ledger_batch.put", {"id": "b1", "origin": "csv", "ids": ["i-batch"], "household": [theirs],
                                       "area": ["NKH"], "start_at": [1_780_000_000], "end_at": [1_780_003_600],
                                       "source": ["grid"]})
    circle.append("ledger_interval.put", {"id": "i-typed", "household": theirs, "area": "NKH",
                                          "start_at": 1_780_000_000, "end_at": 1_780_007_200, "source": "grid"})
    for target in ("i-batch", "i-typed"):
        start = int(phone.meta("seq"))
        phone.append("ledger_interval.put", {"id": target, "household": mine, "area": "NKH",
                                             "start_at": 1_780_000_000, "end_at": 1_780_000_060, "source": "grid"})
        with pytest.raises(Unauthorised) as err:
            import_bundle(circle, forge(phone, circle, own_commits(phone, start)))
        assert err.value.msg_id == "sync.not_owner"
    assert circle.query_one("SELECT household FROM ledger_interval WHERE id = 'i-batch'")[0] == theirs
    # Its own record it may correct (closing an outage it opened).
    start = int(phone.meta("seq"))
    phone.append("ledger_interval.put", {"id": "i-own", "household": mine, "area": "NKH", "start_at": 1_780_000_000,
                                         "end_at": None, "source": "grid"})
    phone.append("ledger_interval.put", {"id": "i-own", "household": mine, "end_at": 1_780_003_600})
    import_bundle(circle, forge(phone, circle, own_commits(phone, start)))
    assert circle.query_one("SELECT end_at FROM ledger_interval WHERE id = 'i-own'")[0] == 1_780_003_600


def test_a_member_cannot_take_over_an_imported_grievance_nor_author_a_batch(three):
    circle, phone, _ = three
    add_area(circle, "NKH", "حي النخيل")
    add(circle, "phone", phone, "member", household=add_household(circle, "NKH"))
    # grievances written by an import are listening_grievance.batch events: no owner row
    circle.append("listening_grievance.batch", {"id": "gb-1", "items": [
        {"id": "g-imported01", "themes": [], "place": "NKH", "day": "2026-01-02", "groups": {}, "count": 1}]})
    start = int(phone.meta("seq"))
    phone.append("listening_grievance.put", {"id": "g-imported01", "place": "NKH", "day": "2026-01-03", "count": 9})
    with pytest.raises(Unauthorised) as err:
        import_bundle(circle, forge(phone, circle, own_commits(phone, start)))
    assert err.value.msg_id == "sync.not_owner"
    # nor may a member write a batch of its own (imports are a device's)
    start = int(phone.meta("seq"))
    phone.append("listening_grievance.batch", {"id": "gb-2", "items": [
        {"id": "g-phone00001", "place": "NKH", "day": "2026-01-03", "count": 1}]})
    with pytest.raises(Unauthorised):
        import_bundle(circle, forge(phone, circle, own_commits(phone, start)))
    assert tuple(circle.query_one("SELECT day, count FROM listening_grievance WHERE id = 'g-imported01'")) == ("2026-01-02", 1)
    assert circle.query_one("SELECT 1 FROM listening_grievance WHERE id = 'g-phone00001'") is None


def test_names_from_data_stay_in_their_folder():
    assert safe_stem("NKH") == "nkh"
    for hostile in ("../../etc", "A/B", "..", "حي", "C:\\x", "a\x00b"):
        stem = safe_stem(hostile)
        assert "/" not in stem and "\\" not in stem and ".." not in stem and stem and stem.isascii()
    assert safe_stem("A/B") != safe_stem("A-B")


def test_csv_cells_cannot_run_formulas():
    assert [csv_cell(v) for v in ("=1+1", "+3", "-2", "@SUM(A1)", "NKH", -2, 5)] == \
        ["'=1+1", "'+3", "'-2", "'@SUM(A1)", "NKH", -2, 5]
    import csv
    import io

    rows = list(csv.reader(io.StringIO(table_csv([{"area": '=HYPERLINK("http://x")', "count": -3}]).decode())))
    assert rows == [["area", "count"], ["'=HYPERLINK(\"http://x\")", "-3"]]


def test_cli_import_refusal_exits_2_and_writes_nothing(cli, vault, tmp_path: Path):
    ally = new_vault(tmp_path, "ally")
    try:
        add(vault, "ally", ally, "ally")
        start = int(ally.meta("seq"))
        ally.append("bridge_contact.put", ContactPut(id=get_contact(vault, "ally").id, role="device"))
        (tmp_path / "b.age").write_bytes(forge(ally, vault, own_commits(ally, start)))
    finally:
        ally.close()
    before = files(vault)
    code, out = cli("sync", "import", str(tmp_path / "b.age"), "--json")
    err = json.loads(out)
    assert code == 2 and err["exit_code"] == 2 and err["error"] == "sync.kind_refused"
    assert err["params"] == {"kind": "bridge_contact.put", "role": "ally", "name": "ally"}
    assert files(vault) == before and get_contact(vault, "ally").role == "ally"
