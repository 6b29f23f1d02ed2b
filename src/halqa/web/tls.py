"""A per-vault local certificate authority, so members' phones trust the organiser's server once.

Service workers and WebCrypto need a secure context, and a phone trusts a certificate only if it
trusts its issuer. The CA's key lives inside the vault (its metadata, under the vault's key): it
is made on first use, and every ``halqa serve --lan`` issues a fresh server certificate from it
for the server's current LAN addresses. A phone installs the CA certificate once (the pairing
page offers it, with steps for Android and iPhone) and from then on trusts every later server
certificate of this vault, whatever the laptop's address on the day's Wi-Fi.

The CA is constrained to what it is for: ``pathlen=0`` (it cannot make other CAs) and name
constraints limited to private IP ranges and ``.test``/``.local``/``localhost`` names, so an
installed CA cannot vouch for any public web site even if the vault is stolen.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

from halqa.web.pairing import Certificate, san_names, write_key_and_chain

__all__ = ["ca_certificate_pem", "ca_fingerprint", "issue_server_certificate"]

_META_KEY = "tls_ca_key"
_META_CERT = "tls_ca_cert"
#: The only names and addresses the CA may vouch for (RFC 1918, loopback, link-local, ULA).
PERMITTED_NETS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7",
                  "::1/128")
PERMITTED_NAMES = ("localhost", "local", "test")


def _ca(vault: Any) -> tuple[Any, Any]:
    """The vault's CA key and certificate, made (and stored in the vault) on first use."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key_pem, cert_pem = vault.meta(_META_KEY, None), vault.meta(_META_CERT, None)
    if key_pem and cert_pem:
        return (serialization.load_pem_private_key(key_pem.encode(), password=None),
                x509.load_pem_x509_certificate(cert_pem.encode()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notes local")])
    now = dt.datetime.now(dt.UTC)
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.IPAddress(ipaddress.ip_network(n)) for n in PERMITTED_NETS]
        + [x509.DNSName(n) for n in PERMITTED_NAMES], excluded_subtrees=None)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(constraints, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    # Two writes, each committed: a crash between them leaves one half, which the check above
    # treats as no authority and makes again.
    vault.set_meta(_META_KEY, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode())
    vault.set_meta(_META_CERT, cert.public_bytes(serialization.Encoding.PEM).decode())
    return key, cert


def ca_certificate_pem(vault: Any) -> bytes:
    """The CA certificate (PEM): what a phone installs once."""
    from cryptography.hazmat.primitives import serialization

    return bytes(_ca(vault)[1].public_bytes(serialization.Encoding.PEM))


def ca_fingerprint(vault: Any) -> str:
    """SHA-256 of the CA certificate, hex pairs separated by ':' (compared by eye at pairing)."""
    from cryptography.hazmat.primitives import hashes

    digest = _ca(vault)[1].fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def issue_server_certificate(vault: Any, hosts: list[str], days: int = 30, folder: Path | None = None) -> Certificate:
    """A server certificate for ``hosts`` (IP addresses or names) signed by the vault's CA. The
    server's key (fresh each time) is written to a 0600 file in a fresh 0700 folder; the chain
    file holds the server certificate then the CA's. :meth:`Certificate.remove` deletes both."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, ca_cert = _ca(vault)
    key = ec.generate_private_key(ec.SECP256R1())
    names = san_names(hosts)
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notes")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = write_key_and_chain(key, chain, folder)
    return Certificate(cert_file, key_file, ca_fingerprint(vault))
