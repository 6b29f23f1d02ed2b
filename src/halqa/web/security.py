"""What every response carries and every form must prove.

* :class:`SecurityHeaders`: an ASGI middleware that puts a strict Content-Security-Policy and
  the other protective headers on *every* response (pages, API, static files, errors), and
  ``Cache-Control: no-store`` everywhere: a phone searched at a checkpoint should hold no cached
  page, not even the stylesheet.
* Hosts: :func:`served_hosts` lists the ``Host`` values this server answers to (loopback names and
  the LAN addresses it announced, with its port); :class:`halqa.web.guard.Guard` refuses any other
  before a handler runs, so a page whose name was rebound to 127.0.0.1 (DNS rebinding) reaches
  nothing, and ``Origin`` can then be compared with the request's own (served) host.
* CSRF: a double-submit token bound to a random per-browser cookie with an HMAC keyed by a
  secret that lives only in the server's memory (a new one each start). Requests that
  authenticate with an ``Authorization: Bearer`` header (scripts) carry no ambient credential
  and need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["COOKIE_CSRF", "COOKIE_DEVICE", "COOKIE_LANG", "CSP", "SecurityHeaders", "csrf_ok", "csrf_token", "same_origin",
           "served_hosts"]

#: No external host anywhere; no inline script or style; no framing; forms post only here.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; manifest-src 'self'; worker-src 'self'; media-src 'self' blob:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

#: Cookie names are deliberately generic (nothing in a browser's cookie jar names the app).
COOKIE_DEVICE = "sid"
COOKIE_CSRF = "cid"
COOKIE_LANG = "lang"

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" makes Chromium send Origin: null on forms
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self), interest-cohort=()"),
    (b"cache-control", b"no-store, max-age=0"),
    (b"pragma", b"no-cache"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """Add :data:`HEADERS` (and HSTS over HTTPS) to every HTTP response; drop ``server``."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], https: bool = False) -> None:
        self.app = app
        self.extra = HEADERS + (((b"strict-transport-security", b"max-age=31536000"),) if https else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in self.extra}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names and k.lower() != b"server"]
                message["headers"] = headers + list(self.extra)
            await send(message)

        await self.app(scope, receive, wrapped)


def new_secret() -> bytes:
    """32 random bytes: the per-process CSRF key (never written anywhere)."""
    return secrets.token_bytes(32)


def csrf_token(secret: bytes, browser: str) -> str:
    """The CSRF token of a browser (its ``cid`` cookie), domain-separated."""
    return hmac.new(secret, b"halqa:web:csrf:" + browser.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(secret: bytes, browser: str | None, token: str | None) -> bool:
    """True if ``token`` is the CSRF token of ``browser`` (constant-time)."""
    if not browser or not token:
        return False
    return hmac.compare_digest(csrf_token(secret, browser), token)


def same_origin(headers: Any, scheme: str, host: str) -> bool:
    """False if the request names another origin in ``Origin`` (absent means a same-site form or a script)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin == f"{scheme}://{host}"


def served_hosts(port: int, lan_addresses: tuple[str, ...] = (), https: bool = False) -> frozenset[str]:
    """The ``Host`` header values this server answers to: 127.0.0.1, localhost, ::1 and the LAN
    addresses it announced, each with ``port`` (and without it when it is the scheme's default)."""
    names = ["127.0.0.1", "localhost", "[::1]"]
    for address in lan_addresses:
        try:
            names.append(f"[{address}]" if ipaddress.ip_address(address).version == 6 else address)
        except ValueError:  # a host name given with --host
            names.append(address.lower())
    hosts = {f"{name}:{port}" for name in names}
    if port == (443 if https else 80):
        hosts.update(names)
    return frozenset(hosts)
