"""Direct push over the local network between paired devices.

Both sides must know each other as contacts (with signing keys). The handshake is SIGMA-style:
ephemeral X25519 keys agree a session secret, then each side proves its long-term Ed25519 device
key by signing the transcript, inside the encrypted channel (so even who is talking is hidden
from the network). Nothing travels in plaintext: the first message is 32 random-looking bytes.

::

    C -> S   e_c                                    (ephemeral X25519 public key)
    S -> C   e_s || box_s(S_pub || sig_S("halqa-lan-v1 server" || e_c || e_s))
    C -> S   box_c(C_pub || sig_C("halqa-lan-v1 client" || e_c || e_s || S_pub))
    C -> S   box_c(sealed bundle)                   (an age file sealed to S, as on a USB stick)
    S -> C   box_s(JSON result)

``box_x`` is XSalsa20-Poly1305 (PyNaCl ``SecretBox``) under a per-direction key,
``BLAKE2b(e_c || e_s; key = X25519(e, e'), person = "halqa-lan-c2s" / "halqa-lan-s2c")``, with a
counter as nonce. Every frame is ``u32 length || ciphertext``. The server refuses any client that
is not a contact; the client refuses a server whose key is not the contact it meant to reach.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

from nacl.bindings import crypto_scalarmult, crypto_scalarmult_base
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.secret import SecretBox
from nacl.signing import VerifyKey

from halqa.bridge.bundle import DEFAULT_MAX_BYTES, BundleInvalid, export_bundle, import_bundle
from halqa.bridge.records import KnownPut, contact_for_sender, get_contact, new_id
from halqa.errors import HalqaError, InvalidInput
from halqa.vault import Vault

__all__ = ["parse_address", "push_bundle", "serve_push"]

DEFAULT_PORT = 47_113


class _Channel:
    def __init__(self, sock: socket.socket, send_key: bytes, recv_key: bytes, limit: int) -> None:
        self.sock, self.limit = sock, limit
        self.tx, self.rx = SecretBox(send_key), SecretBox(recv_key)
        self.n_tx = self.n_rx = 0

    def send(self, data: bytes) -> None:
        nonce = self.n_tx.to_bytes(24, "little")
        self.n_tx += 1
        _send_frame(self.sock, self.tx.encrypt(data, nonce).ciphertext)

    def recv(self) -> bytes:
        nonce = self.n_rx.to_bytes(24, "little")
        self.n_rx += 1
        try:
            return self.rx.decrypt(_recv_frame(self.sock, self.limit), nonce)
        except CryptoError:
            raise InvalidInput("bridge.lan_tampered") from None


def _send_frame(sock: socket.socket, data: bytes) -> None:
    sock.sendall(struct.pack("<I", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise InvalidInput("bridge.lan_closed")
        buf += chunk
    return bytes(buf)


def _recv_frame(sock: socket.socket, limit: int) -> bytes:
    (n,) = struct.unpack("<I", _recv_exact(sock, 4))
    if n > limit:
        raise InvalidInput("bridge.bundle_too_large", size=n, limit=limit)
    return _recv_exact(sock, n)


def _keys(secret: bytes, e_c: bytes, e_s: bytes, peer: bytes) -> tuple[bytes, bytes]:
    shared = crypto_scalarmult(secret, peer)
    c2s = hashlib.blake2b(e_c + e_s, key=shared, digest_size=32, person=b"halqa-lan-c2s").digest()
    s2c = hashlib.blake2b(e_c + e_s, key=shared, digest_size=32, person=b"halqa-lan-s2c").digest()
    return c2s, s2c


def _prove(vault: Vault, role: bytes, transcript: bytes) -> bytes:
    return vault.device_id + vault.device_key.sign(b"halqa-lan-v1 " + role + transcript).signature


def _check(message: bytes, role: bytes, transcript: bytes) -> bytes:
    if len(message) != 96:
        raise InvalidInput("bridge.lan_auth_failed")
    pub, sig = message[:32], message[32:]
    try:
        VerifyKey(pub).verify(b"halqa-lan-v1 " + role + transcript, sig)
    except (BadSignatureError, ValueError):
        raise InvalidInput("bridge.lan_auth_failed") from None
    return pub


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` (or just ``host``) as given by the user."""
    host, _, port = text.strip().rpartition(":") if ":" in text else (text.strip(), ":", str(DEFAULT_PORT))
    try:
        number = int(port)
    except ValueError:
        raise InvalidInput("bridge.bad_address", address=text) from None
    if not host or not 0 < number < 65536:
        raise InvalidInput("bridge.bad_address", address=text)
    return host.strip("[]"), number


def _serve_one(vault: Vault, conn: socket.socket, max_bytes: int) -> dict[str, Any]:
    e_secret = os.urandom(32)
    e_s = crypto_scalarmult_base(e_secret)
    e_c = _recv_exact(conn, 32)
    c2s, s2c = _keys(e_secret, e_c, e_s, e_c)
    chan = _Channel(conn, s2c, c2s, max_bytes + 1024)
    conn.sendall(e_s)
    chan.send(_prove(vault, b"server", e_c + e_s))
    client = _check(chan.recv(), b"client", e_c + e_s + vault.device_id)
    contact = contact_for_sender(vault, client)
    if contact is None:
        chan.send(json.dumps({"ok": False, "error": "bridge.lan_unknown_peer"}).encode())
        raise InvalidInput("bridge.lan_unknown_peer")
    data = chan.recv()
    try:
        result = import_bundle(vault, data, max_bytes=max_bytes)
        from halqa.vault import heads

        reply = {"ok": True, **result.as_dict(), "heads": {d.hex(): s for d, s in heads(vault).items()}}
        out = {"from": contact["name"], **result.as_dict()}
    except HalqaError as err:
        reply = {"ok": False, "error": err.msg_id, "params": {k: str(v) for k, v in err.params.items()}}
        out = {"from": contact["name"], "error": err.msg_id}
    chan.send(json.dumps(reply).encode())
    return out


def serve_push(vault: Vault, host: str = "0.0.0.0", port: int = DEFAULT_PORT, once: bool = True,
               timeout: float | None = 300.0, ready: Callable[[int], None] | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> list[dict[str, Any]]:
    """Accept pushes from paired contacts on ``host:port`` and import them; with ``once``, stop
    after the first push. ``ready(port)`` is called once listening (port 0 picks a free one).
    Returns one result per push (``from`` and the import counts, or ``error``)."""
    results: list[dict[str, Any]] = []
    with socket.create_server((host, port)) as srv:
        srv.settimeout(timeout)
        if ready is not None:
            ready(srv.getsockname()[1])
        while True:
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                break
            with conn:
                conn.settimeout(timeout)
                try:
                    results.append(_serve_one(vault, conn, max_bytes))
                except (HalqaError, OSError) as exc:
                    results.append({"error": getattr(exc, "msg_id", "bridge.lan_closed")})
            if once:
                break
    return results


def push_bundle(vault: Vault, contact: str, address: str, timeout: float = 60.0, everything: bool = False,
                kinds: list[str] | None = None) -> dict[str, Any]:
    """Push the commits ``contact`` lacks to the device listening at ``address`` (``host:port``).

    The server must prove it holds ``contact``'s signing key; the bundle is sealed to its age key
    as for a file. Returns the export counts and the receiver's import counts."""
    peer = get_contact(vault, contact)
    if not peer["signing_key"]:
        raise InvalidInput("bridge.contact_needs_signing_key", name=contact)
    expected = bytes.fromhex(peer["signing_key"])
    host, port = parse_address(address)
    bundle = export_bundle(vault, [contact], None, everything=everything, kinds=kinds, mark_sent=False)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise InvalidInput("bridge.lan_unreachable", address=address, detail=exc.strerror or str(exc)) from None
    with sock:
        e_secret = os.urandom(32)
        e_c = crypto_scalarmult_base(e_secret)
        sock.sendall(e_c)
        e_s = _recv_exact(sock, 32)
        c2s, s2c = _keys(e_secret, e_c, e_s, e_s)
        chan = _Channel(sock, c2s, s2c, 1 << 20)
        server = _check(chan.recv(), b"server", e_c + e_s)
        if server != expected:
            raise InvalidInput("bridge.lan_wrong_peer", name=contact)
        chan.send(_prove(vault, b"client", e_c + e_s + server))
        chan.send(bundle.pop("data"))
        try:
            reply = json.loads(chan.recv())
        except ValueError:
            raise InvalidInput("bridge.lan_tampered") from None
    if not reply.get("ok"):
        if reply.get("error", "").startswith("bridge.bundle"):
            raise BundleInvalid(reply["error"], **reply.get("params", {}))
        raise InvalidInput(reply.get("error") or "bridge.lan_closed")
    if reply.get("heads"):
        vault.append("bridge_known.put", KnownPut(id=new_id(), contact=peer["signing_key"], how="ack",
                                                  heads={str(k): int(v) for k, v in reply["heads"].items()}))
    return {"sent": bundle, "received": {k: reply[k] for k in ("commits_new", "commits_known", "events_new")}}
