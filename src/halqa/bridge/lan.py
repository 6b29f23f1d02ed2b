"""Direct push over the local network between paired devices.

Both sides must know each other as contacts (with signing keys). The listener is open to anyone on
the network, so the **client authenticates first** and the listener says nothing about itself until
the client has proved it is one of its contacts. The client already knows whom it means to reach
(the contact's Ed25519 key, converted to X25519 by libsodium), so its proof is encrypted to that
device alone (the ``es`` of Noise's XK pattern): an impostor cannot read who is pushing, and an
anonymous client learns nothing but a random ephemeral key.

::

    C -> S   e_c                                      (ephemeral X25519 public key)
    S -> C   e_s                                      (ephemeral X25519 public key)
    C -> S   box_c(C_pub || sig_C("halqa-lan-v2 client" || h))
    S -> C   box_s(sig_S("halqa-lan-v2 server" || h || C_pub))   (only to a contact; else it hangs up)
    C -> S   box_c(sealed bundle)                     (an age file sealed to S, as on a USB stick)
    S -> C   box_s(JSON result)

    h   = BLAKE2b-256("halqa-lan-v2" || e_c || e_s || S_pub)
    key = BLAKE2b-256(h; key = X25519(e_c, e_s) || X25519(e_c, S_x), person = "halqa-lan-c2s" / "-s2c")

``box_x`` is XSalsa20-Poly1305 (PyNaCl ``SecretBox``) with a counter as nonce; every frame is
``u32 length || ciphertext``. Before the client is authenticated a frame may be at most
:data:`PRE_AUTH_MAX_BYTES` (refused on its length, before its body is read) and the listener waits
at most :data:`HANDSHAKE_SECONDS`. Every failure before that point looks the same from outside:
the listener hangs up without a word, whether the client guessed the wrong device or is not a
contact, after the same work (a proof it cannot open is replaced by a decoy that goes through the
same signature check and contact lookup). A failed or stray connection never ends a listening
session: with ``once`` it ends after one successful push. Connections are served side by side
(:data:`MAX_CONNECTIONS`, the oldest still in its handshake dropped for a newcomer), so a silent
stranger cannot hold up a device; the vault is read and written by one connection at a time. The
listener binds one address (loopback unless given this device's LAN address), never every
interface.

Why not a Noise library: ``noiseprotocol`` (PyPI) was last released in 2020; this composes only
libsodium primitives through PyNaCl (X25519, Ed25519, BLAKE2b, XSalsa20-Poly1305).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
from nacl.bindings import crypto_scalarmult, crypto_scalarmult_base
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey

from halqa.bridge.bundle import DEFAULT_MAX_BYTES, BundleInvalid, BundleSent, ImportCounts, export_bundle, import_bundle
from halqa.bridge.events import UNSET, KnownPut, Unset
from halqa.bridge.read import Contact, contact_for_sender, get_contact
from halqa.errors import HalqaError, InvalidInput
from halqa.vault import Vault, heads
from halqa.vault.values import new_id

__all__ = ["PushReceived", "Pushed", "parse_address", "push_bundle", "serve_push"]


class PushReceived(msgspec.Struct, kw_only=True, frozen=True):
    """One connection to a listener: the contact it came ``from`` and what the import added, or
    the ``error`` that ended it (with ``from`` once the contact was known)."""

    sender: str | Unset = msgspec.field(default=UNSET, name="from")
    commits_new: int | Unset = UNSET
    commits_known: int | Unset = UNSET
    events_new: int | Unset = UNSET
    error: str | Unset = UNSET


class Pushed(msgspec.Struct, kw_only=True, frozen=True):
    """A push: the bundle ``sent`` (without its bytes) and what the receiver's import added."""

    sent: BundleSent
    received: ImportCounts

DEFAULT_PORT = 47_113
#: Where the listener binds unless told this device's LAN address.
DEFAULT_HOST = "127.0.0.1"
#: Largest frame accepted before the peer is authenticated (the client's proof is 112 bytes).
PRE_AUTH_MAX_BYTES = 4096
#: How long an unauthenticated connection may take to prove itself.
HANDSHAKE_SECONDS = 10.0
#: Connections served at once (each in its own thread); more waiting for their handshake than
#: this and the one that has waited longest is dropped.
MAX_CONNECTIONS = 8
#: Largest reply a client reads (the result with the receiver's heads).
REPLY_MAX_BYTES = 1 << 20
#: How often the accepting loop looks whether a connection has ended the session.
_POLL_SECONDS = 0.2
_WILDCARDS = {"", "0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0"}
_PROTOCOL = b"halqa-lan-v2"


#: A well-formed proof that never verifies (a public key and a signature over other words), checked in
#: place of a proof that cannot be opened or has the wrong length. Its seed is public: that is
#: harmless, as a decoy is refused whatever the contact lookup finds.
_DECOY_KEY = SigningKey(hashlib.blake2b(b"halqa-lan-v2 decoy", digest_size=32).digest())
_DECOY = bytes(_DECOY_KEY.verify_key) + _DECOY_KEY.sign(b"halqa-lan-v2 decoy").signature


class _Channel:
    def __init__(self, sock: socket.socket, send_key: bytes, recv_key: bytes, limit: int) -> None:
        self.sock, self.limit = sock, limit
        self.tx, self.rx = SecretBox(send_key), SecretBox(recv_key)
        self.n_tx = self.n_rx = 0
        #: ``time.monotonic()`` by which every frame must have arrived (the handshake's), or None.
        self.deadline: float | None = None

    def send(self, data: bytes) -> None:
        nonce = self.n_tx.to_bytes(24, "little")
        self.n_tx += 1
        _send_frame(self.sock, self.tx.encrypt(data, nonce).ciphertext)

    def recv(self) -> bytes:
        nonce = self.n_rx.to_bytes(24, "little")
        self.n_rx += 1
        try:
            return self.rx.decrypt(_recv_frame(self.sock, self.limit, self.deadline), nonce)
        except CryptoError:
            raise InvalidInput("bridge.lan_tampered") from None


def _send_frame(sock: socket.socket, data: bytes) -> None:
    sock.sendall(struct.pack("<I", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:  # a total, so a peer trickling a byte at a time cannot hold on
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise InvalidInput("bridge.lan_closed")
        buf += chunk
    return bytes(buf)


def _recv_frame(sock: socket.socket, limit: int, deadline: float | None = None) -> bytes:
    (n,) = struct.unpack("<I", _recv_exact(sock, 4, deadline))
    if n > limit:  # refused on the length alone: the body is never read
        raise InvalidInput("bridge.bundle_too_large", size=n, limit=limit)
    return _recv_exact(sock, n, deadline)


def _handshake_keys(e_secret: bytes, e_peer: bytes, static_dh: bytes, e_c: bytes, e_s: bytes,
                    server_pub: bytes) -> tuple[bytes, bytes, bytes]:
    """``(h, c2s, s2c)``; ``static_dh`` is X25519 between the client's ephemeral and the server's
    device key (each side computes it with the secret it holds)."""
    try:
        shared = crypto_scalarmult(e_secret, e_peer) + static_dh
    except CryptoError:  # a low-order point: libsodium refuses an all-zero result
        raise InvalidInput("bridge.lan_auth_failed") from None
    h = hashlib.blake2b(_PROTOCOL + e_c + e_s + server_pub, digest_size=32).digest()
    c2s = hashlib.blake2b(h, key=shared, digest_size=32, person=b"halqa-lan-c2s").digest()
    s2c = hashlib.blake2b(h, key=shared, digest_size=32, person=b"halqa-lan-s2c").digest()
    return h, c2s, s2c


def _sign(vault: Vault, role: bytes, message: bytes) -> bytes:
    return vault.device_key.sign(_PROTOCOL + b" " + role + message).signature


def _verify(pub: bytes, role: bytes, message: bytes, sig: bytes) -> bool:
    try:
        VerifyKey(pub).verify(_PROTOCOL + b" " + role + message, sig)
    except (BadSignatureError, ValueError):
        return False
    return True


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


class _Session:
    """What the connections of one listening session share: the vault has one writer (every vault
    read and write of a connection holds ``vault_lock``), and the connections still in their
    handshake are known, so the oldest can be dropped when the session is full."""

    def __init__(self) -> None:
        self.vault_lock = threading.Lock()
        self.state = threading.Condition()
        #: Connections not yet authenticated, oldest first (dicts keep insertion order).
        self.waiting: dict[socket.socket, None] = {}
        self.open = 0

    def trusted(self, conn: socket.socket) -> None:
        with self.state:
            self.waiting.pop(conn, None)

    def drop(self, conn: socket.socket) -> None:
        """Hang up on ``conn`` (its thread's next read fails and frees its place)."""
        self.waiting.pop(conn, None)
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _authenticate_client(vault: Vault, conn: socket.socket, max_bytes: int, deadline: float,
                         session: _Session) -> tuple[_Channel, Contact]:
    """Run the listener's side of the handshake; return the channel and the client's contact.
    Every refusal only hangs up: why (kept in this side's result) is never sent."""
    e_secret = os.urandom(32)
    e_s = crypto_scalarmult_base(e_secret)
    e_c = _recv_exact(conn, 32, deadline)
    conn.sendall(e_s)
    try:
        static_dh = crypto_scalarmult(vault.device_key.to_curve25519_private_key().encode(), e_c)
    except CryptoError:  # a low-order point: libsodium refuses an all-zero result
        raise InvalidInput("bridge.lan_auth_failed") from None
    h, c2s, s2c = _handshake_keys(e_secret, e_c, static_dh, e_c, e_s, vault.device_id)
    chan = _Channel(conn, s2c, c2s, PRE_AUTH_MAX_BYTES)
    chan.deadline = deadline
    try:
        proof = chan.recv()
    except InvalidInput as err:
        if err.msg_id != "bridge.lan_tampered":  # too large or cut short: the client's doing
            raise InvalidInput("bridge.lan_auth_failed") from None
        proof = b""  # not made with our key: the client meant another device
    # One shape for every refusal: a proof this device cannot open (the client meant another
    # device) is checked as the decoy is, with the same signature check and contact lookup as a
    # proof from someone who is not a contact, so no timing tells "not this device" from "does
    # not know you" to someone holding this device's public key.
    opened = len(proof) == 96
    client, sig = (proof[:32], proof[32:]) if opened else (_DECOY[:32], _DECOY[32:])
    verified = _verify(client, b"client", h, sig)
    with session.vault_lock:
        contact = contact_for_sender(vault, client)
    if not (opened and verified):
        raise InvalidInput("bridge.lan_auth_failed")
    if contact is None:
        raise InvalidInput("bridge.lan_unknown_peer")
    session.trusted(conn)
    chan.send(_sign(vault, b"server", h + client))
    chan.limit, chan.deadline = max_bytes + 1024, None
    return chan, contact


def _serve_one(vault: Vault, conn: socket.socket, max_bytes: int, timeout: float | None,
               session: _Session | None = None) -> PushReceived:
    session = session or _Session()
    limit = HANDSHAKE_SECONDS if timeout is None else min(timeout, HANDSHAKE_SECONDS)
    conn.settimeout(limit)
    chan, contact = _authenticate_client(vault, conn, max_bytes, time.monotonic() + limit, session)
    conn.settimeout(timeout)
    data = chan.recv()
    with session.vault_lock:  # one writer: imports from devices pushing at once go one by one
        try:
            result = import_bundle(vault, data, max_bytes=max_bytes)
            reply = {"ok": True, **result.as_dict(), "heads": {d.hex(): s for d, s in heads(vault).items()}}
            out = PushReceived(sender=contact.name, commits_new=result.commits_new, commits_known=result.commits_known,
                               events_new=result.events_new)
        except HalqaError as err:
            reply = {"ok": False, "error": err.msg_id, "params": {k: str(v) for k, v in err.params.items()}}
            out = PushReceived(sender=contact.name, error=err.msg_id)
    chan.send(json.dumps(reply).encode())
    return out


def serve_push(vault: Vault, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, once: bool = True,
               timeout: float | None = 300.0, ready: Callable[[int], None] | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES,
               report: Callable[[PushReceived], None] | None = None) -> list[PushReceived]:
    """Accept pushes from paired contacts on ``host:port`` and import them.

    ``host`` is one address: loopback by default, or this device's LAN address; every-interface
    addresses (``0.0.0.0``, ``::``) are refused. The session ends ``timeout`` seconds after it
    began or after its last successful push; with ``once``, after the first successful push.
    Connections are served side by side (at most :data:`MAX_CONNECTIONS`; when full, the one that
    has waited longest in its handshake is dropped), so a silent stranger cannot hold up a device;
    imports go one at a time. Connections that fail (strangers, impostors, broken transfers) are
    dropped and the session goes on. ``ready(port)`` is called once listening (port 0 picks a free
    one); ``report(result)`` after each connection (never two at once). Returns one result per
    connection (``from`` and the import counts, or ``error``); every connection has ended by then."""
    if host.strip().strip("[]") in _WILDCARDS:
        raise InvalidInput("bridge.lan_wildcard", host=host)
    results: list[PushReceived] = []
    session = _Session()
    deadline = None if timeout is None else time.monotonic() + timeout
    finished = False

    def serve(conn: socket.socket) -> None:
        nonlocal deadline, finished
        with conn:
            try:
                result = _serve_one(vault, conn, max_bytes, timeout, session)
            except (HalqaError, OSError) as exc:
                result = PushReceived(error=getattr(exc, "msg_id", "bridge.lan_closed"))
        with session.state:
            session.waiting.pop(conn, None)
            session.open -= 1
            results.append(result)
            if report is not None:
                report(result)
            if result.error is UNSET:
                finished = finished or once
                deadline = None if timeout is None else time.monotonic() + timeout
            session.state.notify_all()

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    workers: list[threading.Thread] = []
    with socket.create_server((host.strip("[]"), port), family=family) as srv:
        if ready is not None:
            ready(srv.getsockname()[1])
        while True:
            with session.state:
                if finished:
                    break
                left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            # wake now and then to see whether a connection ended the session
            srv.settimeout(_POLL_SECONDS if left is None else min(left, _POLL_SECONDS))
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            with session.state:
                if session.open >= MAX_CONNECTIONS and session.waiting:
                    session.drop(next(iter(session.waiting)))
                # all places taken by authenticated transfers: wait for one to end
                session.state.wait_for(lambda: session.open < MAX_CONNECTIONS)
                session.open += 1
                session.waiting[conn] = None
            worker = threading.Thread(target=serve, args=(conn,), name="halqa-lan", daemon=True)
            worker.start()
            workers = [w for w in workers if w.is_alive()] + [worker]
    with session.state:  # the session is over: strangers still in their handshake are let go
        for conn in list(session.waiting):
            session.drop(conn)
    for worker in workers:  # the caller may close the vault once this returns
        worker.join()
    return results


def _push_over(vault: Vault, sock: socket.socket, expected: bytes, data: bytes, contact: str,
               address: str) -> dict[str, Any]:
    """The client's side of the handshake, then the bundle; returns the listener's reply."""
    e_secret = os.urandom(32)
    e_c = crypto_scalarmult_base(e_secret)
    sock.sendall(e_c)
    e_s = _recv_exact(sock, 32)
    try:
        static_dh = crypto_scalarmult(e_secret, VerifyKey(expected).to_curve25519_public_key().encode())
    except CryptoError:  # not a point on the curve: no device could hold that key
        raise InvalidInput("bridge.lan_auth_failed") from None
    h, c2s, s2c = _handshake_keys(e_secret, e_s, static_dh, e_c, e_s, expected)
    chan = _Channel(sock, c2s, s2c, PRE_AUTH_MAX_BYTES)
    chan.send(vault.device_id + _sign(vault, b"client", h))
    try:
        confirmation = chan.recv()
    except (InvalidInput, ConnectionError) as err:
        if getattr(err, "msg_id", "bridge.lan_closed") != "bridge.lan_closed":
            raise
        # The listener hangs up alike on a device that is not the contact and on one that does
        # not know us; nothing has been sent.
        raise InvalidInput("bridge.lan_refused", address=address, name=contact) from None
    if not _verify(expected, b"server", h + vault.device_id, confirmation):
        raise InvalidInput("bridge.lan_wrong_peer", name=contact)
    chan.limit = REPLY_MAX_BYTES
    chan.send(data)
    try:
        reply = json.loads(chan.recv())
    except ValueError:
        raise InvalidInput("bridge.lan_tampered") from None
    return reply if isinstance(reply, dict) else {}


def push_bundle(vault: Vault, contact: str, address: str, timeout: float = 60.0, everything: bool = False,
                kinds: list[str] | None = None) -> Pushed:
    """Push the commits ``contact`` lacks to the device listening at ``address`` (``host:port``).

    This device proves itself first, encrypted to ``contact``'s device key; the bundle is sent only
    after the listener has proved it holds that key, sealed to its age key as for a file. Returns
    the export counts and the receiver's import counts."""
    peer = get_contact(vault, contact)
    if not peer.signing_key:
        raise InvalidInput("bridge.contact_needs_signing_key", name=contact)
    expected = bytes.fromhex(peer.signing_key)
    host, port = parse_address(address)
    bundle = export_bundle(vault, [contact], None, everything=everything, kinds=kinds, mark_sent=False)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise InvalidInput("bridge.lan_unreachable", address=address, detail=exc.strerror or str(exc)) from None
    with sock:
        try:
            assert isinstance(bundle.data, bytes)  # export_bundle with no output returns the bytes
            reply = _push_over(vault, sock, expected, bundle.data, contact, address)
        except OSError:
            raise InvalidInput("bridge.lan_closed") from None
    if not reply.get("ok"):
        if reply.get("error", "").startswith("bridge.bundle"):
            raise BundleInvalid(reply["error"], **reply.get("params", {}))
        raise InvalidInput(reply.get("error") or "bridge.lan_closed")
    if reply.get("heads"):
        vault.append("bridge_known.put", KnownPut(id=new_id(), contact=peer.signing_key, how="ack",
                                                  heads={str(k): int(v) for k, v in reply["heads"].items()}))
    return Pushed(sent=msgspec.structs.replace(bundle, data=UNSET),
                  received=ImportCounts(**{k: reply[k] for k in ("commits_new", "commits_known", "events_new")}))
