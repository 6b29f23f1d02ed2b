"""Transports: QR-code sequences (drawn and scanned back from images) and the local-network push."""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halqa import places
from halqa.bridge import (
    add_contact,
    export_bundle,
    identity,
    identity_qr,
    import_bundle,
    join_frames,
    push_bundle,
    qr_images,
    scan_texts,
    serve_push,
)
from halqa.bridge.keys import pairing_text
from halqa.bridge.qr import MAX_QR_BUNDLE, frames
from halqa.errors import InvalidInput

from .conftest import make_device


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
    data = export_bundle(x, ["y"], None)["data"]
    paths = qr_images(data, tmp_path / "codes")
    assert len(paths) >= 2 and all(p.suffix == ".png" for p in paths)
    back = join_frames(scan_texts(reversed(paths)))
    assert back == data
    assert import_bundle(y, back).commits_new >= 1


def test_contact_from_identity_qr_image(devices, tmp_path: Path):
    x, _, _ = devices
    other = make_device(tmp_path, "other")
    try:
        text = identity_qr(other, tmp_path / "id.png")
        assert "█" in text or "▀" in text or "▄" in text
        c = add_contact(x, "other", qr_image=tmp_path / "id.png")
        assert c["verified"] == "qr" and c["signing_key"] == other.device_id.hex()
        assert scan_texts([tmp_path / "id.png"]) == [pairing_text(other)]
    finally:
        other.close()
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(InvalidInput):
        scan_texts([tmp_path / "junk.png"])


class _Tap:
    """A TCP relay on loopback recording every byte in both directions."""

    def __init__(self, target: int) -> None:
        self.seen = bytearray()
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.target = target
        threading.Thread(target=self._run, daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while chunk := a.recv(65536):
                self.seen += chunk
                b.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _run(self) -> None:
        conn, _ = self.srv.accept()
        up = socket.create_connection(("127.0.0.1", self.target))
        t = threading.Thread(target=self._pipe, args=(up, conn), daemon=True)
        t.start()
        self._pipe(conn, up)
        t.join(5)


def _serve(vault) -> tuple[threading.Thread, list, int]:
    ready = threading.Event()
    port: list[int] = []
    results: list = []

    def run() -> None:
        results.extend(serve_push(vault, "127.0.0.1", 0, once=True, timeout=20,
                                  ready=lambda p: (port.append(p), ready.set())))

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert ready.wait(10)
    return th, results, port[0]


def test_push_over_loopback_is_authenticated_and_encrypted(devices):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل الأخضر")
    th, results, port = _serve(y)
    tap = _Tap(port)
    res = push_bundle(x, "y", f"127.0.0.1:{tap.port}")
    th.join(10)
    assert res["received"]["commits_new"] >= 1 and results[0]["from"] == "x"
    assert y.query("SELECT name_ar FROM area")[0][0] == "حي النخيل الأخضر"
    wire = bytes(tap.seen)
    assert len(wire) > 500
    for needle in (x.device_id, y.device_id, x.device_id.hex().encode(), b"age-encryption.org", b"halqa",
                   "النخيل".encode(), identity(y)["age_recipient"].encode()):
        assert needle not in wire
    # y now tells x what it holds: the next push carries only new commits
    th, results, port = _serve(y)
    again = push_bundle(x, "y", f"127.0.0.1:{port}")
    th.join(10)
    assert again["received"]["commits_new"] == again["sent"]["commits"] <= 1


def test_push_refuses_strangers_and_impostors(devices, tmp_path: Path):
    x, y, z = devices
    stranger = make_device(tmp_path, "stranger")
    try:
        add_contact(stranger, "y", text=identity(y)["text"])
        places.add_area(stranger, "NKH", "حي النخيل")
        th, results, port = _serve(y)
        with pytest.raises(InvalidInput):
            push_bundle(stranger, "y", f"127.0.0.1:{port}")
        th.join(10)
        assert results[0]["error"] == "bridge.lan_unknown_peer" and y.query("SELECT count(*) FROM area")[0][0] == 0
        # x means to reach y, but z answers: x refuses before sending anything
        th, results, port = _serve(z)
        with pytest.raises(InvalidInput) as err:
            push_bundle(x, "y", f"127.0.0.1:{port}")
        assert err.value.msg_id == "bridge.lan_wrong_peer"
        th.join(10)
        with pytest.raises(InvalidInput):
            push_bundle(x, "y", "127.0.0.1:notaport")
    finally:
        stranger.close()
