"""Who may say what: one adversarial test per attack on the trust model (issue 13).

Each attacker writes what it likes into its *own* vault and seals it as a bundle by hand (what a
compromised laptop can always do), so the tests exercise the receiving side's import, not the
attacker's polite export. A refused bundle must leave the receiving vault byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from halqa.bridge import add_contact, get_contact, identity, import_bundle
from halqa.bridge.bundle import seal, write_inner
from halqa.bridge.events import ContactPut
from halqa.bridge.keys import age_recipient
from halqa.errors import InvalidInput
from halqa.places import add_area, add_household
from halqa.vault import CommitRecord, Vault, export_commits
from tests.conftest import new_vault


def add(vault: Vault, name: str, peer: Vault, role: str = "ally", **scope: str) -> dict:
    """Pair ``vault`` with ``peer`` under ``name`` and ``role``."""
    return add_contact(vault, name, text=identity(peer).text, verified="in-person", role=role, **scope)


def forge(sender: Vault, recipient: Vault, records: list[CommitRecord] | None = None) -> bytes:
    """A well-formed bundle from ``sender`` to ``recipient`` carrying ``records`` (default: all of
    the sender's commits), bypassing the sender's export rules."""
    records = export_commits(sender) if records is None else records
    keys = [age_recipient(recipient)]
    _, inner = write_inner(sender, records, keys)
    return seal(inner, keys)


def own_commits(v: Vault, after: int = 0) -> list[CommitRecord]:
    """The vault's own commits after sequence ``after`` (what an attacker just wrote)."""
    return [r for r in export_commits(v) if r.device == v.device_id and r.seq > after]


def files(v: Vault) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(v.path).iterdir())}


def refused(receiver: Vault, bundle: bytes, *words: str) -> InvalidInput:
    """Import must fail with exit code 2, name ``words`` in its message, and write nothing."""
    before = files(receiver)
    digests = receiver.digests()
    with pytest.raises(InvalidInput) as err:
        import_bundle(receiver, bundle)
    assert err.value.exit_code == 2
    text = err.value.render()
    for w in words:
        assert w in text, text
    assert files(receiver) == before
    assert receiver.digests() == digests
    return err.value


@pytest.fixture
def world(tmp_path: Path):
    """A circle, its ally, another contact of the circle, and an outsider (issue 13's four vaults)."""
    circle, ally, other, outsider = (new_vault(tmp_path, n) for n in ("circle", "ally", "other", "outsider"))
    add(circle, "ally", ally, "ally")
    add(circle, "other", other, "device")
    add(ally, "circle", circle, "circle")
    yield circle, ally, other, outsider
    for v in (circle, ally, other, outsider):
        v.close()


def test_contact_takeover_by_an_ally_is_refused(world):
    circle, ally, other, outsider = world
    target = get_contact(circle, "other")
    start = int(ally.meta("seq"))
    ally.append("bridge_contact.put", ContactPut(
        id=target.id, name="other", age_recipient=identity(outsider).age_recipient,
        signing_key=outsider.device_id.hex(), fingerprint=identity(outsider).fingerprint, verified="in-person"))
    refused(circle, forge(ally, circle, own_commits(ally, start)), "bridge_contact.put", "ally")
    assert get_contact(circle, "other").signing_key == other.device_id.hex()


def test_self_contact_from_an_ally_is_refused(world):
    circle, ally, _, _ = world
    start = int(ally.meta("seq"))
    ally.append("bridge_contact.put", ContactPut(
        id="feedfacefeedface", name="circle-itself", age_recipient=identity(circle).age_recipient,
        signing_key=circle.device_id.hex(), fingerprint=identity(circle).fingerprint, verified="in-person"))
    refused(circle, forge(ally, circle, own_commits(ally, start)), "bridge_contact.put")
    assert circle.query_one("SELECT 1 FROM bridge_contact WHERE name = 'circle-itself'") is None


def test_redaction_by_an_ally_is_refused(world):
    circle, ally, _, _ = world
    add_area(circle, "NKH", "حي النخيل")
    ev = next(circle.events(["area.put"]))
    start = int(ally.meta("seq"))
    ally.append("vault.redact", {"targets": [(ev.hlc, ev.id)], "reason": "gone"})
    refused(circle, forge(ally, circle, own_commits(ally, start)), "vault.redact", "ally")
    assert circle.query_one("SELECT name_ar FROM area WHERE code = 'NKH'")[0] == "حي النخيل"


def test_record_edit_by_an_ally_is_refused(world):
    circle, ally, _, _ = world
    from halqa.mutual_aid import create_fund

    create_fund(circle, "families", "IQD")
    start = int(ally.meta("seq"))
    ally.append("mutual_aid_fund.put", {"name": "families", "note": "send money to the ally instead"})
    ally.append("circles_vouch.put", {"id": "v1", "voucher": "m-aaaa", "vouchee": "m-bbbb"})
    # either event refuses the bundle; the message names the first in (hlc, id) order (a vouch keeps
    # only its day, so it may sort first)
    text = refused(circle, forge(ally, circle, own_commits(ally, start)), "ally").render()
    assert "mutual_aid_fund.put" in text or "circles_vouch.put" in text, text
    assert circle.query_one("SELECT note FROM mutual_aid_fund WHERE name = 'families'")[0] in ("", None)


def test_ally_cannot_edit_a_record_of_a_kind_it_may_author(world):
    circle, ally, _, _ = world
    tid = "t-circle"
    circle.append("learning_tactic.put", {"id": tid, "title": "Sit-in at the generator office"})
    start = int(ally.meta("seq"))
    ally.append("learning_tactic.put", {"id": tid, "description": "harmful advice"})
    refused(circle, forge(ally, circle, own_commits(ally, start)), "learning_tactic.put")


def test_member_writing_another_households_outage_is_refused(tmp_path):
    circle, phone = new_vault(tmp_path, "circle"), new_vault(tmp_path, "phone")
    try:
        add_area(circle, "NKH", "حي النخيل")
        mine, theirs = add_household(circle, "NKH"), add_household(circle, "NKH")
        add(circle, "phone", phone, "member", household=mine)
        start = int(phone.meta("seq"))
        phone.append("ledger_interval.put", {"id": "i-theirs", "household": theirs, "area": "NKH",
                                             "start_at": 1_780_000_000, "end_at": 1_780_003_600, "source": "grid"})
        refused(circle, forge(phone, circle, own_commits(phone, start)), "ledger_interval.put", "member")
        # Its own household is accepted.
        start = int(phone.meta("seq"))
        phone.append("ledger_interval.put", {"id": "i-mine", "household": mine, "area": "NKH",
                                             "start_at": 1_780_000_000, "end_at": 1_780_003_600, "source": "grid"})
        import_bundle(circle, forge(phone, circle, own_commits(phone, start)))
        assert circle.query_one("SELECT household FROM ledger_interval WHERE id = 'i-mine'")[0] == mine
    finally:
        circle.close()
        phone.close()


def _ahead(v: Vault, hlc: int) -> None:
    """Make ``v``'s next event carry exactly ``hlc``."""
    v.hlc.last = hlc - 1
    v.hlc._now = lambda: 0


def test_clock_thirty_years_ahead_is_refused(world):
    circle, ally, _, _ = world
    start = int(ally.meta("seq"))
    future_ms = (ally.hlc.last >> 16) + 30 * 365 * 86_400_000
    _ahead(ally, future_ms << 16)
    ally.append("learning_tactic.put", {"id": "t-future", "title": "from the future"})
    refused(circle, forge(ally, circle, own_commits(ally, start)), "ahead")
    add_area(circle, "NKH", "حي النخيل")  # the circle still writes normally


def test_clock_at_the_top_of_the_range_is_refused(world):
    circle, ally, _, _ = world
    start = int(ally.meta("seq"))
    _ahead(ally, (1 << 63) - 1)
    ally.append("learning_tactic.put", {"id": "t-end", "title": "at the end of time"})
    refused(circle, forge(ally, circle, own_commits(ally, start)))
    add_area(circle, "NKH", "حي النخيل")  # no OverflowError: nothing was stored
    assert circle.rebuild()


def test_path_in_an_area_code_is_refused(world, monkeypatch):
    circle, _, other, _ = world
    add(other, "circle", circle, "device")
    start = int(other.meta("seq"))
    with monkeypatch.context() as m:  # a modified program on the sending side skips its checks
        m.setattr("halqa.vault.events.check_payload", lambda kind, payload: None)
        other.append("area.put", {"code": "../../../tmp/x", "name_ar": "x"})
    refused(circle, forge(other, circle, own_commits(other, start)), "area.put")
    with pytest.raises(InvalidInput):
        other.append("area.put", {"code": "../x", "name_ar": "x"})  # the same rule when typed here
