"""Bundles: round trips, the real age tool, and every kind of bad input (nothing written)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import msgspec
import pytest

from halqa import places
from halqa.bridge import BundleInvalid, add_contact, export_bundle, identity, import_bundle
from halqa.bridge.bundle import MAGIC, read_inner, seal, write_inner
from halqa.bridge.keys import age_identity_text
from halqa.errors import NotFound
from halqa.vault import export_commits, redact
from tests.conftest import new_vault

from .conftest import pair


def _state(v):
    return (v.count_events(), v.digests())


def test_round_trip_and_only_new_commits_travel(devices, tmp_path: Path):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل", "Palm Quarter")
    places.add_household(x, "NKH", "hh-aaaa", size=4)
    first = export_bundle(x, ["y"], tmp_path / "1.age")
    assert first.commits >= 3
    res = import_bundle(y, tmp_path / "1.age")
    assert res.commits_new == first.commits and res.commits_known == 0 and res.events_new == first.events
    assert [r["id"] for r in y.query("SELECT id FROM household")] == ["hh-aaaa"]
    # Nothing new: an empty bundle. Then only the new commit (and our note of what was sent).
    assert export_bundle(x, ["y"], tmp_path / "2.age").commits == 0
    places.add_household(x, "NKH", "hh-bbbb")
    third = export_bundle(x, ["y"], tmp_path / "3.age")
    assert third.commits == 2
    import_bundle(y, tmp_path / "2.age")
    assert import_bundle(y, tmp_path / "3.age").commits_new == 2
    # --all resends everything: known commits are counted, not duplicated
    export_bundle(x, ["y"], tmp_path / "4.age", everything=True)
    again = import_bundle(y, tmp_path / "4.age")
    assert again.commits_new == 1 and again.commits_known >= 5 and again.events_new == 1
    assert y.query("SELECT count(*) FROM household")[0][0] == 2


def test_what_the_recipient_says_it_holds_is_not_sent_back(devices, tmp_path: Path):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    export_bundle(x, ["y"], tmp_path / "a.age")
    import_bundle(y, tmp_path / "a.age")
    places.add_area(y, "SUQ", "حي السوق")
    back = export_bundle(y, ["x"], tmp_path / "b.age")
    # y knows x holds x's own commits: only y's commits travel back
    opened = read_inner(subprocess_free_decrypt(x, tmp_path / "b.age"))[1]
    assert {r.device for r in opened} == {y.device_id} and back.commits == len(opened)
    assert import_bundle(x, tmp_path / "b.age").commits_new == back.commits


def subprocess_free_decrypt(vault, path: Path) -> bytes:
    import pyrage

    from halqa.bridge.keys import age_identity

    return pyrage.decrypt(path.read_bytes(), [age_identity(vault)])


def test_real_age_tool_opens_a_bundle_with_the_vault_identity(devices, tmp_path: Path, age_tool):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    export_bundle(x, ["y"], tmp_path / "b.age")
    key = tmp_path / "y.key"
    key.write_text(age_identity_text(y) + "\n")
    out = subprocess.run([age_tool, "-d", "-i", str(key), str(tmp_path / "b.age")], capture_output=True, check=True).stdout
    assert out.startswith(MAGIC)
    header, records = read_inner(out)
    assert header.sender == x.device_id and identity(y).age_recipient in header.recipients
    assert any(e.kind == "area.put" for r in records for e in r.events)
    # the recipient's key is not x's: age refuses with x's identity
    key.write_text(age_identity_text(x) + "\n")
    assert subprocess.run([age_tool, "-d", "-i", str(key), str(tmp_path / "b.age")], capture_output=True).returncode != 0


def test_age_keygen_key_as_contact(vault, tmp_path: Path, age_tool):
    key = tmp_path / "ally.key"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipient = next(line.split(": ")[1] for line in key.read_text().splitlines() if line.startswith("# public key"))
    c = add_contact(vault, "ally", age_recipient=recipient)
    assert c.signing_key is None and c.verified == "unverified"
    places.add_area(vault, "NKH", "حي النخيل")
    export_bundle(vault, ["ally"], tmp_path / "b.age")
    out = subprocess.run([age_tool, "-d", "-i", str(key), str(tmp_path / "b.age")], capture_output=True, check=True).stdout
    header, records = read_inner(out)
    assert header.recipients == [recipient] and records
    # and what the age CLI seals to a halqa vault opens in halqa (it is just not a bundle)
    ident = tmp_path / "v.key"
    ident.write_text(age_identity_text(vault))
    (tmp_path / "plain").write_bytes(b"not a bundle")
    subprocess.run([age_tool, "-r", identity(vault).age_recipient, "-o", str(tmp_path / "p.age"), str(tmp_path / "plain")],
                   check=True)
    with pytest.raises(BundleInvalid) as err:
        import_bundle(vault, tmp_path / "p.age")
    assert err.value.msg_id == "bridge.bundle_not_halqa"


def _bad(vault, data: bytes, msg: str | None = None, **kw):
    before = _state(vault)
    with pytest.raises(BundleInvalid) as err:
        import_bundle(vault, data, **kw)
    assert err.value.exit_code == 2
    if msg:
        assert err.value.msg_id == msg
    assert _state(vault) == before
    return err.value


def test_tampered_truncated_foreign_replayed_huge(devices, tmp_path: Path):
    x, y, z = devices
    places.add_area(x, "NKH", "حي النخيل")
    data = export_bundle(x, ["y"], None).data
    for pos in (40, len(data) // 2, len(data) - 5):  # header, body, final tag
        flipped = bytearray(data)
        flipped[pos] ^= 0x01
        _bad(y, bytes(flipped))
    for cut in (10, len(data) // 2, len(data) - 1):
        _bad(y, data[:cut])
    _bad(z, data, "bridge.bundle_not_for_us")  # wrong recipient
    _bad(y, b"hello", "bridge.bundle_not_age")
    _bad(y, data, "bridge.bundle_too_large", max_bytes=100)
    assert import_bundle(y, data).commits_new >= 1
    _bad(y, data, "bridge.bundle_replayed")


def test_inner_tampering_under_a_valid_age_layer(devices):
    """Someone who can seal to y (any age client) but forges content: signatures catch it."""
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    rec = identity(y).age_recipient
    _header, inner = write_inner(x, export_commits(x), [rec])
    body_flip = bytearray(inner)
    body_flip[-70] ^= 1  # inside the body: hash mismatch
    _bad(y, seal(bytes(body_flip), [rec]), "bridge.bundle_tampered")
    sig_flip = bytearray(inner)
    sig_flip[-1] ^= 1
    _bad(y, seal(bytes(sig_flip), [rec]), "bridge.bundle_tampered")
    _bad(y, seal(inner[:-3], [rec]))
    _bad(y, seal(b"halqa-bundle v9\n" + inner[16:], [rec]), "bridge.bundle_version")
    # a commit whose event body was altered, re-signed as a bundle by x: the commit signature fails
    recs = export_commits(x)
    ev = recs[0].events[0]
    forged = msgspec.structs.replace(recs[0], events=[msgspec.structs.replace(ev, body=ev.body[:-1] + b"\0")])
    _, inner2 = write_inner(x, [forged, *recs[1:]], [rec])
    _bad(y, seal(inner2, [rec]), "bridge.bundle_tampered")


def test_unknown_sender_and_forwarded_bundles(devices, tmp_path: Path):
    x, y, z = devices
    stranger = new_vault(tmp_path, "stranger")
    try:
        add_contact(stranger, "y", text=identity(y).text)
        places.add_area(stranger, "NKH", "حي النخيل")
        _bad(y, export_bundle(stranger, ["y"], None).data, "bridge.bundle_unknown_sender")
        # y opens x's bundle and re-seals the same inner bytes to z: z refuses (not sealed to it by x)
        places.add_area(x, "SUQ", "حي السوق")
        data = export_bundle(x, ["y"], None).data
        inner = subprocess_free_decrypt(y, _write(tmp_path / "f.age", data))
        _bad(z, seal(inner, [identity(z).age_recipient]), "bridge.bundle_forwarded")
        with pytest.raises(NotFound):
            export_bundle(x, ["nobody"], None)
    finally:
        stranger.close()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_one_bundle_to_several_recipients(devices):
    x, y, z = devices
    places.add_area(x, "NKH", "حي النخيل")
    data = export_bundle(x, ["y", "z"], None).data
    assert import_bundle(y, data).commits_new == import_bundle(z, data).commits_new >= 1


def test_redaction_and_tombstones_travel(devices):
    x, y, z = devices
    places.add_area(x, "NKH", "حي النخيل")
    ev = x.append("household.put", places.HouseholdPut(id="hh-secret", area="NKH", size=3))
    x.append("household.put", places.HouseholdPut(id="hh-gone", area="NKH"))
    import_bundle(y, export_bundle(x, ["y"], None).data)
    assert y.query("SELECT count(*) FROM household")[0][0] == 2
    redact(x, [ev.id])
    x.append("household.delete", {"id": "hh-gone"})
    import_bundle(y, export_bundle(x, ["y"], None).data)
    import_bundle(z, export_bundle(x, ["z"], None, everything=True).data)
    for v in (y, z):
        assert v.query("SELECT count(*) FROM household")[0][0] == 0
        assert v.query_one("SELECT body FROM events WHERE eid = ?", (ev.id,))[0] is None
    # a late copy of the original (from y's old export to z) cannot bring the payload back
    x.append("household.put", places.HouseholdPut(id="hh-gone", area="NKH"))  # a tombstone is final
    import_bundle(z, export_bundle(x, ["z"], None).data)
    assert z.query("SELECT count(*) FROM household")[0][0] == 0


def test_kinds_and_since(devices):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    places.add_household(x, "NKH", "hh-aaaa")
    data = export_bundle(x, ["y"], None, kinds=["area.put"]).data
    import_bundle(y, data)
    assert y.query("SELECT count(*) FROM area")[0][0] == 1
    assert y.query("SELECT count(*) FROM household")[0][0] == 0  # travelled without its content
    assert export_bundle(x, ["y"], None, since="2999-01-01").commits == 0
    assert export_bundle(x, ["y"], None, since="2000-01-01").commits >= 2


def test_pairing_between_two_fresh_devices(tmp_path: Path):
    a, b = new_vault(tmp_path, "a"), new_vault(tmp_path, "b")
    try:
        pair(a, b)
        places.add_area(a, "NKH", "حي النخيل")
        places.add_area(b, "SUQ", "حي السوق")
        import_bundle(b, export_bundle(a, ["b"], None).data)
        import_bundle(a, export_bundle(b, ["a"], None).data)
        # bookkeeping of the last import has not travelled yet; everything else is identical
        same = {k: v for k, v in a.digests().items() if k not in ("bridge_seen", "bridge_known")}
        assert same == {k: v for k, v in b.digests().items() if k in same}
    finally:
        a.close()
        b.close()
