"""Pairing phones with the organiser's server, and the server's own certificate.

The pairing protocol, as states (each a method of :class:`Devices`)::

    organiser unlocks  --issue(role="organiser")-->  device token (the unlocking browser is trusted)
    organiser          --new_code(role, household)--> CODE (8 letters, single use, 10 minutes)
    member's phone     --redeem(CODE)--> device token with the code's role (cookie, 12 hours) | refused
    organiser          --revoke(id) / clear()--> token refused from then on

A device's role is fixed when its code is made: ``organiser`` (everything) or ``member`` (tied to
one household: quick entry for it, what it entered itself, aggregates; see
:class:`halqa.web.pipeline.Access`). ``halqa serve`` makes an organiser code for its own link.

Everything lives in the server's memory only: a restart forgets every device (members pair
again), and nothing about paired phones is written to disk. Codes and tokens are stored as
SHA-256 digests, so even the server's memory holds no usable token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from halqa.errors import AccessDenied, InvalidInput

__all__ = ["CODE_ALPHABET", "LOOKS", "ROLES", "Certificate", "Device", "Devices", "Role", "lan_address", "qr_svg",
           "self_signed_certificate"]

Role = Literal["organiser", "member"]
ROLES: tuple[Role, ...] = ("organiser", "member")

#: What one device remembers having entered (kind, record id): at most this many, newest kept.
MAX_ENTRIES = 200

#: The discreet names and icons a member chooses for the app at pairing (``member.look.*`` messages).
LOOKS: tuple[str, ...] = ("notes", "shopping", "recipes")

#: No 0/O, 1/I/L: codes are read aloud and typed on small keyboards.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _digest(secret: str) -> str:
    return hashlib.sha256(b"halqa:web:device:" + secret.encode()).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)


@dataclass
class Device:
    id: str
    name: str
    created: float
    expires: float
    last_seen: float = 0.0
    role: Role = "member"
    household: str | None = None  # a member's household (None for organisers)
    circle: str | None = None  # a member's circle, for its next meeting (optional)
    entries: list[tuple[str, str]] = field(default_factory=list)  # what it entered: (kind, id)

    @property
    def organiser(self) -> bool:
        return self.role == "organiser"

    def remember(self, kind: str, record_id: str) -> None:
        """Note a record this device entered (in memory only, gone with the token)."""
        self.entries = [*self.entries, (kind, record_id)][-MAX_ENTRIES:]


@dataclass(frozen=True)
class _Pending:
    expires: float
    role: Role
    household: str | None
    circle: str | None


@dataclass
class Devices:
    """Device tokens and pairing codes, in memory."""

    token_ttl: float = 12 * 3600
    code_ttl: float = 600
    max_failures: int = 10
    clock: Callable[[], float] = time.time
    _tokens: dict[str, Device] = field(default_factory=dict)
    _codes: dict[str, _Pending] = field(default_factory=dict)
    _failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, name: str, role: Role, household: str | None = None, circle: str | None = None) -> str:
        """A new device token (returned once; only its digest is kept)."""
        return self._new(name, role, household, circle)[0]

    def _new(self, name: str, role: Role, household: str | None, circle: str | None) -> tuple[str, Device]:
        _check_role(role, household)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        device = Device(secrets.token_hex(4), name[:40] or "?", now, now + self.token_ttl, now, role,
                        household if role == "member" else None, circle if role == "member" else None)
        with self._lock:
            self._tokens[_digest(token)] = device
        return token, device

    def new_code(self, role: Role = "member", household: str | None = None, circle: str | None = None) -> str:
        """A single-use pairing code such as ``KX4M-9TQA`` (40 bits, expires in ``code_ttl``) for a
        device of ``role`` (a member's ``household`` is required; the caller checks it exists)."""
        _check_role(role, household)
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        with self._lock:
            self._codes[_digest(raw)] = _Pending(self.clock() + self.code_ttl, role, household, circle)
        return f"{raw[:4]}-{raw[4:]}"

    def redeem(self, code: str, name: str) -> tuple[str, Device]:
        """Trade a pairing code for a device token and its device (with the code's role); refused
        if unknown, used or expired. After ``max_failures`` wrong codes every outstanding code is
        cancelled (no guessing)."""
        key = _digest(_normalise_code(code))
        with self._lock:
            pending = self._codes.pop(key, None)
            if pending is None or pending.expires < self.clock():
                self._failures += 1
                if self._failures >= self.max_failures:
                    self._codes.clear()
                    self._failures = 0
                raise AccessDenied("web.error.bad_code")
            self._failures = 0
        return self._new(name, pending.role, pending.household, pending.circle)

    def check(self, token: str | None) -> Device | None:
        """The device of a token, if it is known and not expired."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            device = self._tokens.get(_digest(token))
            if device is None:
                return None
            if device.expires < now:
                del self._tokens[_digest(token)]
                return None
            device.last_seen = now
            return device

    def list(self) -> list[Device]:
        now = self.clock()
        with self._lock:
            return sorted((d for d in self._tokens.values() if d.expires >= now), key=lambda d: d.created)

    def revoke(self, device_id: str) -> bool:
        with self._lock:
            for key, device in list(self._tokens.items()):
                if device.id == device_id:
                    del self._tokens[key]
                    return True
        return False

    def forget(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._tokens.pop(_digest(token), None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._codes.clear()


def _check_role(role: str, household: str | None) -> None:
    if role not in ROLES:
        raise InvalidInput("web.error.field.choice", field="role", value=role, known=", ".join(ROLES))
    if role == "member" and not household:
        raise InvalidInput("web.error.field.missing", field="household")


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), else 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("10.255.255.255", 1))
        return str(sock.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        sock.close()


@dataclass
class Certificate:
    """A self-signed server certificate: PEM files in a private temporary folder."""

    cert_file: Path
    key_file: Path
    fingerprint: str  # SHA-256 of the DER certificate, hex pairs separated by ':'

    def remove(self) -> None:
        for path in (self.key_file, self.cert_file):
            try:
                path.unlink()
            except OSError:
                pass
        try:
            self.cert_file.parent.rmdir()
        except OSError:
            pass

    @property
    def short(self) -> str:
        """The first 8 bytes of the fingerprint: what people compare by eye."""
        return self.fingerprint[:23]


def self_signed_certificate(hosts: list[str], days: int = 30, folder: Path | None = None) -> Certificate:
    """Make an ECDSA P-256 key and a certificate for ``hosts`` (IP addresses or names).

    The key is written to a 0600 file in a fresh 0700 folder (the server needs a path);
    :meth:`Certificate.remove` deletes both when the server stops."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names = san_names(hosts)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notes")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = write_key_and_chain(key, cert.public_bytes(serialization.Encoding.PEM), folder)
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return Certificate(cert_file, key_file, ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)))


def san_names(hosts: list[str]) -> list[Any]:
    """Subject alternative names for ``hosts``: IP addresses as such, anything else as a DNS name."""
    from cryptography import x509

    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def write_key_and_chain(key: Any, chain_pem: bytes, folder: Path | None = None) -> tuple[Path, Path]:
    """Write a server's private key (a 0600 file) and certificate chain into ``folder`` (a fresh 0700
    temporary folder by default): the server needs paths. Returns ``(cert_file, key_file)``."""
    from cryptography.hazmat.primitives import serialization

    folder = Path(folder or tempfile.mkdtemp(prefix="n-"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    cert_file.write_bytes(chain_pem)
    return cert_file, key_file


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code (no external image, nothing written to disk)."""
    import segno

    svg = segno.make(text, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return str(svg)
