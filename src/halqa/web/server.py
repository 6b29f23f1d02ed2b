"""Running the app with uvicorn: loopback by default, HTTPS on the local network with ``lan``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from halqa.i18n import t
from halqa.web.app import create_app
from halqa.web.pairing import Certificate, lan_address, self_signed_certificate
from halqa.web.state import DEFAULT_PORT, WebState
from halqa.web.tls import issue_server_certificate

__all__ = ["DEFAULT_PORT", "Prepared", "prepare", "serve"]


@dataclass
class Prepared:
    """An app ready to run, with what to tell the organiser."""

    app: Any
    state: WebState
    host: str
    port: int
    url: str
    login_url: str
    certificate: Certificate | None
    lines: list[str]


def prepare(vault_path: str | os.PathLike[str], passphrase: str | None = None, host: str | None = None,
            port: int = DEFAULT_PORT, lan: bool = False, https: bool | None = None, idle_minutes: float = 10.0,
            vault: Any = None) -> Prepared:
    """Build the app for ``vault_path`` (unlocked now if ``passphrase`` or an open ``vault`` is
    given, else in the browser). ``lan`` binds every interface, requires pairing, and serves
    HTTPS with a certificate from the vault's own CA when the vault is open now (see
    :mod:`halqa.web.tls`), else a fresh self-signed one (``https=False`` turns HTTPS off: not advised)."""
    https = lan if https is None else https
    bind = host or ("0.0.0.0" if lan else "127.0.0.1")
    shown = lan_address() if bind in ("0.0.0.0", "::") else bind
    scheme = "https" if https else "http"
    url = f"{scheme}://{shown}:{port}"
    announced = tuple(sorted({shown, bind} - {"0.0.0.0", "::", "127.0.0.1", "localhost", "::1"}))
    state = WebState(Path(vault_path), idle_seconds=idle_minutes * 60, lan=lan, https=https,
                     base_url=url, port=port, lan_addresses=announced)
    if passphrase is not None and vault is None:
        state.unlock(passphrase)
    certificate = None
    if https:
        # Issued by the vault's own CA when the vault is open now (phones that installed the CA
        # trust it at any address); a throwaway self-signed one when it will be unlocked later.
        hosts = sorted({shown, "127.0.0.1", "localhost"})
        open_vault = vault if vault is not None else state.vault
        certificate = issue_server_certificate(open_vault, hosts) if open_vault is not None else self_signed_certificate(hosts)
        state.certificate = certificate
    app = create_app(vault_path, state=state, vault=vault)
    lines = [t("web.serve.lan", url=url) if lan else t("web.serve.url", url=url)]
    login_url = ""
    if state.is_open:
        code = state.devices.new_code("organiser")
        local = f"{scheme}://127.0.0.1:{port}" if bind in ("0.0.0.0", "127.0.0.1", "::") else url
        login_url = f"{local}/pair?code={code}"
        lines.append(t("web.serve.login", url=login_url))
    else:
        lines.append(t("web.serve.locked", url=url + "/unlock"))
    if certificate is not None:
        lines.append(t("web.serve.fingerprint", fingerprint=certificate.fingerprint))
    if lan and state.is_open:
        lines.append(t("member.serve.pair", url=url))
    lines.append(t("web.serve.stop"))
    return Prepared(app, state, bind, port, url, login_url, certificate, lines)


def serve(vault_path: str | os.PathLike[str], passphrase: str | None = None, host: str | None = None,
          port: int = DEFAULT_PORT, lan: bool = False, https: bool | None = None, idle_minutes: float = 10.0,
          vault: Any = None, echo: Callable[[str], None] = print) -> None:
    """Serve the vault until interrupted (what ``halqa serve`` and ``halqa demo --serve`` run).

    Prints the URL (and a one-time login link when already unlocked); on exit the vault is
    locked and the certificate's key file removed. No access log is written."""
    import uvicorn

    ready = prepare(vault_path, passphrase, host, port, lan, https, idle_minutes, vault)
    for line in ready.lines:
        echo(line)
    cert = ready.certificate
    try:
        uvicorn.run(ready.app, host=ready.host, port=port, log_level="warning", access_log=False,
                    server_header=False, date_header=False, proxy_headers=False,
                    ssl_certfile=str(cert.cert_file) if cert else None, ssl_keyfile=str(cert.key_file) if cert else None)
    finally:
        ready.state.lock("stopped")
        if cert is not None:
            cert.remove()
