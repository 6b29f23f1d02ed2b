"""Transports: QR-code sequences, drawn and scanned back from images (the local-network push: test_lan.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa import places
from halqa.bridge import (
    add_contact,
    export_bundle,
    identity_qr,
    import_bundle,
    join_frames,
    qr_images,
    scan_texts,
)
from halqa.bridge.keys import pairing_text
from halqa.bridge.qr import MAX_QR_BUNDLE, frames
from halqa.errors import InvalidInput
from tests.conftest import new_vault


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=3000), seed=st.integers(0, 1000), extra=st.integers(0, 3))
def test_frames_join_in_any_order_with_duplicates(data, seed, extra):
    texts = frames(data, chunk=200)
    rng = random.Random(seed)
    shuffled = texts + rng.sample(texts, min(extra, len(texts))) + ["some other QR code"]
    rng.shuffle(shuffled)
    assert join_frames(shuffled) == data
    if len(texts) > 1:
        with pytest.raises(InvalidInput) as err:
            join_frames(texts[1:])
        assert err.value.msg_id == "bridge.qr_missing"


def test_frames_refuse_mixed_damaged_and_huge():
    a, b = frames(b"a" * 900), frames(b"b" * 900)
    with pytest.raises(InvalidInput):
        join_frames([a[0], b[1]])
    broken = a[0][:-8] + ("A" if a[0][-8] != "A" else "B") + a[0][-7:]
    with pytest.raises(InvalidInput):
        join_frames([broken, *a[1:]])
    with pytest.raises(InvalidInput):
        frames(b"x" * (MAX_QR_BUNDLE + 1))


def test_bundle_through_qr_images(devices, tmp_path: Path):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    data = export_bundle(x, ["y"], None).data
    paths = qr_images(data, tmp_path / "codes")
    assert len(paths) >= 2 and all(p.suffix == ".png" for p in paths)
    back = join_frames(scan_texts(reversed(paths)))
    assert back == data
    assert import_bundle(y, back).commits_new >= 1


def test_contact_from_identity_qr_image(devices, tmp_path: Path):
    x, _, _ = devices
    other = new_vault(tmp_path, "other")
    try:
        text = identity_qr(other, tmp_path / "id.png")
        assert "█" in text or "▀" in text or "▄" in text
        c = add_contact(x, "other", qr_image=tmp_path / "id.png")
        assert c.verified == "qr" and c.signing_key == other.device_id.hex()
        assert scan_texts([tmp_path / "id.png"]) == [pairing_text(other)]
    finally:
        other.close()
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(InvalidInput):
        scan_texts([tmp_path / "junk.png"])
