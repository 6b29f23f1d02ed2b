"""The local-network push: authenticated, encrypted, and closed to anyone who is not a contact.

The listener is exposed to everyone on the Wi-Fi. The attacks here are those of a stranger on that
network: connect and read what the listener says (it must not name its device key), send a huge
frame before proving anything, or just connect and leave (the listening session goes on).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import threading
import time

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_scalarmult, crypto_scalarmult_base
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from halqa import places
from halqa.bridge import add_contact, identity, push_bundle, serve_push
from halqa.bridge import lan as lan_module
from halqa.bridge.lan import PushReceived
from halqa.errors import InvalidInput
from halqa.results import to_data
from tests.conftest import new_vault


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


class _Listener:
    """``serve_push`` in a thread (``once``: it ends after the first successful push)."""

    def __init__(self, vault) -> None:
        self.results: list[PushReceived] = []
        self.seen = threading.Condition()
        ready = threading.Event()
        port: list[int] = []

        def report(result: PushReceived) -> None:
            with self.seen:
                self.results.append(result)
                self.seen.notify_all()

        def run() -> None:
            serve_push(vault, "127.0.0.1", 0, once=True, timeout=30, report=report,
                       ready=lambda p: (port.append(p), ready.set()))

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(10)
        self.port = port[0]

    def wait_results(self, n: int) -> list[PushReceived]:
        with self.seen:
            assert self.seen.wait_for(lambda: len(self.results) >= n, timeout=30)
        return self.results

    def join(self) -> None:
        self.thread.join(30)
        assert not self.thread.is_alive()


def _read_all(sock: socket.socket, idle: float = 2.0) -> bytes:
    """Everything the peer sends until it closes or falls silent."""
    sock.settimeout(idle)
    data = bytearray()
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return bytes(data)


def test_push_over_loopback_is_authenticated_and_encrypted(devices):
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل الأخضر")
    listener = _Listener(y)
    tap = _Tap(listener.port)
    res = push_bundle(x, "y", f"127.0.0.1:{tap.port}")
    listener.join()
    assert res.received.commits_new >= 1 and listener.results[0].sender == "x"
    assert y.query("SELECT name_ar FROM area")[0][0] == "حي النخيل الأخضر"
    wire = bytes(tap.seen)
    assert len(wire) > 500
    for needle in (x.device_id, y.device_id, x.device_id.hex().encode(), b"age-encryption.org", b"halqa",
                   "النخيل".encode(), identity(y).age_recipient.encode()):
        assert needle not in wire
    # y now tells x what it holds: the next push carries only new commits
    listener = _Listener(y)
    again = push_bundle(x, "y", f"127.0.0.1:{listener.port}")
    listener.join()
    assert again.received.commits_new == again.sent.commits <= 1


def test_stray_connection_learns_no_key_and_the_listener_goes_on(devices):
    """A stranger does what a client does first (an ephemeral key), then reads: before the client
    has proved it is a contact, the listener says nothing but its own ephemeral key."""
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    listener = _Listener(y)
    e_secret = os.urandom(32)
    e_c = crypto_scalarmult_base(e_secret)
    with socket.create_connection(("127.0.0.1", listener.port)) as stray:
        stray.sendall(e_c)
        said = _read_all(stray)
        # Whatever followed the listener's ephemeral key, try to open it as an anonymous peer can
        # (version 1 of the handshake sent its device key and signature this way).
        opened = b""
        if len(said) > 36:
            (n,) = struct.unpack("<I", said[32:36])
            shared = crypto_scalarmult(e_secret, said[:32])
            key = hashlib.blake2b(e_c + said[:32], key=shared, digest_size=32, person=b"halqa-lan-s2c").digest()
            try:
                opened = SecretBox(key).decrypt(said[36:36 + n], bytes(24))
            except CryptoError:
                pass
        assert y.device_id not in said + opened
        assert len(said) == 32
        stray.sendall(struct.pack("<I", 112) + os.urandom(112))  # a made-up proof
        assert _read_all(stray) == b""
    assert listener.wait_results(1)[0].error == "bridge.lan_auth_failed"
    # one stray connection did not end the listening session (once = after one good push)
    res = push_bundle(x, "y", f"127.0.0.1:{listener.port}")
    listener.join()
    assert res.received.commits_new >= 1
    assert [to_data(r).get("from") for r in listener.results] == [None, "x"]


def test_oversized_frame_before_authentication_is_refused_on_its_header(devices):
    x, y, _ = devices
    listener = _Listener(y)
    with socket.create_connection(("127.0.0.1", listener.port)) as stray:
        stray.sendall(crypto_scalarmult_base(os.urandom(32)))
        assert len(_read_all(stray)) == 32
        # announce 64 KiB and send none of it: the listener must not wait for the body
        stray.sendall(struct.pack("<I", 64 * 1024))
        closed = _read_all(stray, idle=60)
        assert closed == b""
    assert listener.wait_results(1)[0].error == "bridge.lan_auth_failed"
    assert lan_module.PRE_AUTH_MAX_BYTES <= 4096
    push_bundle(x, "y", f"127.0.0.1:{listener.port}")
    listener.join()


def _refused(sender, receiver, name: str, logged: str) -> _Listener:
    """``sender`` pushes to ``name`` but ``receiver`` listens: refused before anything is sent."""
    listener = _Listener(receiver)
    with pytest.raises(InvalidInput) as err:
        push_bundle(sender, name, f"127.0.0.1:{listener.port}")
    assert err.value.msg_id == "bridge.lan_refused"
    assert listener.wait_results(1)[0].error == logged
    return listener


def test_push_refuses_strangers_and_impostors(devices, tmp_path):
    x, y, z = devices
    stranger = new_vault(tmp_path, "stranger")
    try:
        add_contact(stranger, "y", text=identity(y).text)
        places.add_area(stranger, "NKH", "حي النخيل")
        listener = _refused(stranger, y, "y", "bridge.lan_unknown_peer")
        assert y.query("SELECT count(*) FROM area")[0][0] == 0
        push_bundle(x, "y", f"127.0.0.1:{listener.port}")
        listener.join()
        # x means to reach y, but z answers: z cannot read x's proof, x sends nothing
        places.add_area(x, "KRB", "الكرابلة")
        listener = _refused(x, z, "y", "bridge.lan_auth_failed")
        assert z.query("SELECT count(*) FROM area WHERE code = 'KRB'")[0][0] == 0
        push_bundle(y, "z", f"127.0.0.1:{listener.port}")
        listener.join()
        with pytest.raises(InvalidInput):
            push_bundle(x, "y", "127.0.0.1:notaport")
    finally:
        stranger.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_listener_never_binds_every_interface(vault, host):
    with pytest.raises(InvalidInput) as err:
        serve_push(vault, host, 0, timeout=1)
    assert err.value.msg_id == "bridge.lan_wildcard"


def test_listener_binds_loopback_by_default(vault, monkeypatch):
    bound = []
    real = socket.create_server

    def spy(address, *args, **kwargs):
        bound.append(address)
        return real(("127.0.0.1", 0), *args, **kwargs)

    monkeypatch.setattr(lan_module.socket, "create_server", spy)
    assert serve_push(vault, port=0, timeout=0.01) == []
    assert bound[0][0] == "127.0.0.1"
    from halqa.cli.main import app

    listen = typer.main.get_command(app).commands["sync"].commands["listen"]
    default = next(p.default for p in listen.params if p.name == "host")
    assert default not in ("0.0.0.0", "::", "")


def test_a_trickling_stranger_is_cut_off_and_the_listener_goes_on(devices, monkeypatch):
    """The handshake has one deadline in total, not one per byte."""
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    monkeypatch.setattr(lan_module, "HANDSHAKE_SECONDS", 1.0)
    listener = _Listener(y)
    with socket.create_connection(("127.0.0.1", listener.port)) as stray:
        # an ephemeral key, then the start of a proof, each byte 0.1 s after the last
        trickle = crypto_scalarmult_base(os.urandom(32)) + struct.pack("<I", 112) + os.urandom(112)
        cut = False
        for byte in trickle:
            try:
                stray.sendall(bytes([byte]))
            except OSError:
                cut = True
                break
            time.sleep(0.1)
        assert cut  # hung up on long before the trickle ended
    assert listener.wait_results(1)[0].error == "bridge.lan_closed"
    monkeypatch.setattr(lan_module, "HANDSHAKE_SECONDS", 10.0)
    push_bundle(x, "y", f"127.0.0.1:{listener.port}")
    listener.join()


def test_a_low_order_ephemeral_key_is_refused(devices):
    x, y, _ = devices
    listener = _Listener(y)
    with socket.create_connection(("127.0.0.1", listener.port)) as stray:
        stray.sendall(bytes(32))  # X25519 with it gives all zeros: a key anyone can compute
        assert len(_read_all(stray)) == 32
    assert listener.wait_results(1)[0].error == "bridge.lan_auth_failed"
    push_bundle(x, "y", f"127.0.0.1:{listener.port}")
    listener.join()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=600), low_order=st.booleans())
def test_whatever_a_stranger_sends_is_refused_cleanly(vault, junk, low_order):
    """Any bytes end in a refusal the listener records (never an exception that would end the
    session), and the listener answers nothing but its ephemeral key."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall((bytes(32) if low_order else os.urandom(32)) + junk)
        theirs.shutdown(socket.SHUT_WR)
        with pytest.raises((InvalidInput, OSError)):
            lan_module._serve_one(vault, ours, 1 << 20, 5.0)
        ours.close()
        assert len(_read_all(theirs)) == 32


def test_sync_listen_refuses_every_interface(cli, vault):
    code, out = cli("sync", "listen", "--host", "0.0.0.0", "--json")
    assert code == 2 and json.loads(out)["error"] == "bridge.lan_wildcard"


def test_handshake_keys_follow_the_documented_formula():
    """Both sides derive the same keys, as docs/bundle-format.md writes them (pinned: the wire format)."""
    from nacl.signing import SigningKey

    a, b, device = bytes(range(1, 33)), bytes(range(33, 65)), SigningKey(bytes(range(65, 97)))
    e_c, e_s, s_pub = crypto_scalarmult_base(a), crypto_scalarmult_base(b), bytes(device.verify_key)
    client_es = crypto_scalarmult(a, device.verify_key.to_curve25519_public_key().encode())
    server_es = crypto_scalarmult(device.to_curve25519_private_key().encode(), e_c)
    client = lan_module._handshake_keys(a, e_s, client_es, e_c, e_s, s_pub)
    server = lan_module._handshake_keys(b, e_c, server_es, e_c, e_s, s_pub)
    assert client == server
    h = hashlib.blake2b(b"halqa-lan-v2" + e_c + e_s + s_pub, digest_size=32).digest()
    shared = crypto_scalarmult(a, e_s) + client_es
    assert client == (h, *(hashlib.blake2b(h, key=shared, digest_size=32, person=p).digest()
                           for p in (b"halqa-lan-c2s", b"halqa-lan-s2c")))
    assert [k.hex()[:16] for k in client] == ["3e937bce9d05ca8b", "a957758074317d11", "b2b1ff5402dc089b"]


@pytest.mark.parametrize("strangers", [1, lan_module.MAX_CONNECTIONS + 2])
def test_silent_strangers_do_not_hold_up_a_real_push(devices, monkeypatch, strangers):
    """Strangers connect and say nothing (or only an ephemeral key) and hold on for the whole
    handshake window; a paired device's push still goes through inside that window. With more
    strangers than the listener has room for, the one waiting longest is dropped first."""
    x, y, _ = devices
    places.add_area(x, "NKH", "حي النخيل")
    monkeypatch.setattr(lan_module, "HANDSHAKE_SECONDS", 120.0)
    listener = _Listener(y)
    held = [socket.create_connection(("127.0.0.1", listener.port)) for _ in range(strangers)]
    try:
        for i, stray in enumerate(held):
            if i % 2:
                stray.sendall(crypto_scalarmult_base(os.urandom(32)))
        # far less than the strangers' window: one listener serving them in turn would time out here
        res = push_bundle(x, "y", f"127.0.0.1:{listener.port}", timeout=20)
        listener.join()
    finally:
        for stray in held:
            stray.close()
    assert res.received.commits_new >= 1
    assert y.query("SELECT name_ar FROM area")[0][0] == "حي النخيل"
    assert "x" in [to_data(r).get("from") for r in listener.results]


def test_pushes_from_two_devices_at_once_are_both_imported(devices):
    """Connections are served side by side; the vault has one writer at a time."""
    x, y, z = devices
    places.add_area(x, "NKH", "حي النخيل")
    places.add_area(z, "KRB", "الكرابلة")
    got: list[dict] = []
    ready = threading.Event()
    port: list[int] = []
    thread = threading.Thread(target=lambda: got.extend(serve_push(
        y, "127.0.0.1", 0, once=False, timeout=5, ready=lambda p: (port.append(p), ready.set()))), daemon=True)
    thread.start()
    assert ready.wait(10)
    pushes = [threading.Thread(target=push_bundle, args=(v, "y", f"127.0.0.1:{port[0]}")) for v in (x, z)]
    for p in pushes:
        p.start()
    for p in pushes:
        p.join(30)
    thread.join(30)
    assert sorted(to_data(r).get("from") for r in got) == ["x", "z"]
    assert sorted(r[0] for r in y.query("SELECT code FROM area")) == ["KRB", "NKH"]


class _Recording:
    """A socket that records what the listener sends through it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.sent = sock, bytearray()

    def sendall(self, data: bytes) -> None:
        self.sent += data
        self.sock.sendall(data)

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


def _refusal(monkeypatch, sender, receiver, meant: str) -> tuple[str, bytes, list[str]]:
    """``sender`` pushes to its contact ``meant`` over a socket pair, ``receiver`` listens: the
    listener's reason, what it sent, and the crypto and lookups it did, in order."""
    calls: list[str] = []
    me = threading.current_thread()

    def note(name: str) -> None:
        if threading.current_thread() is me:  # the listener's side only
            calls.append(name)

    for name in ("crypto_scalarmult", "crypto_scalarmult_base", "_handshake_keys", "_verify", "_sign",
                 "contact_for_sender"):
        real = getattr(lan_module, name)
        monkeypatch.setattr(lan_module, name, lambda *a, _real=real, _name=name: (note(_name), _real(*a))[1])
    real_decrypt = SecretBox.decrypt
    monkeypatch.setattr(SecretBox, "decrypt", lambda *a, **k: (note("decrypt"), real_decrypt(*a, **k))[1])
    # the same ephemeral secrets each time, so the bytes on the wire can be compared
    monkeypatch.setattr(lan_module, "os", type("os", (), {"urandom": staticmethod(lambda n: bytes(range(1, n + 1)))}))
    ours, theirs = socket.socketpair()
    expected = bytes.fromhex(lan_module.get_contact(sender, meant).signing_key)
    refused: list[str] = []

    def push() -> None:
        try:
            lan_module._push_over(sender, theirs, expected, b"bundle", meant, "here")
        except InvalidInput as err:
            refused.append(err.msg_id)

    client = threading.Thread(target=push, daemon=True)
    client.start()
    wire = _Recording(ours)
    with ours, pytest.raises(InvalidInput) as err:
        lan_module._serve_one(receiver, wire, 1 << 20, 5.0)
    client.join(10)
    theirs.close()
    assert refused == ["bridge.lan_refused"]
    return err.value.msg_id, bytes(wire.sent), calls


def test_wrong_device_and_not_a_contact_are_refused_alike(devices, tmp_path, monkeypatch):
    """Someone holding y's public key connects to a listener: whether it is y (which does not know
    them) or another device (which cannot open their proof), the listener does the same crypto and
    lookups, sends the same bytes and hangs up, so timing cannot tell y's device apart."""
    _, y, z = devices
    stranger = new_vault(tmp_path, "stranger")
    try:
        add_contact(stranger, "y", text=identity(y).text)
        with monkeypatch.context() as m:
            why_y, wire_y, calls_y = _refusal(m, stranger, y, "y")  # y is there, does not know them
        with monkeypatch.context() as m:
            why_z, wire_z, calls_z = _refusal(m, stranger, z, "y")  # z is there, not y
    finally:
        stranger.close()
    assert (why_y, why_z) == ("bridge.lan_unknown_peer", "bridge.lan_auth_failed")
    assert wire_y == wire_z and len(wire_y) == 32
    assert calls_y.count("_verify") == 1 and calls_y.count("contact_for_sender") == 1
    assert calls_y == calls_z
