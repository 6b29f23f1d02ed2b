"""What is refused before routing: requests for a host this server does not serve, and bodies
larger than their route's cap.

* Host: a web page whose name an attacker rebinds to 127.0.0.1 (DNS rebinding) is same-origin to
  the browser, so it can send anything a page of this server can; but its requests still carry
  the attacker's name in ``Host``. Only the names in :meth:`WebState.hosts` are answered (400).
* Body: a ``Content-Length`` over the cap is answered with 413 at once, without reading the body;
  a body without one (chunked) is counted while it streams and refused as soon as it passes the
  cap (the view catches :class:`~halqa.web.pipeline.BodyTooLarge` and answers 413). The cap is the
  route's ``max_body`` (:data:`~halqa.web.pipeline.MAX_BODY` for all but voice notes and bundles).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.requests import Request

from halqa.errors import InvalidInput
from halqa.web.pipeline import MAX_BODY, BodyTooLarge, bare_error

__all__ = ["Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Guard:
    """ASGI middleware: refuse unserved hosts (400) and oversized bodies (413)."""

    def __init__(self, app: App, hosts: frozenset[str], caps: Mapping[str, int]) -> None:
        self.app, self.hosts, self.caps = app, hosts, dict(caps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            await bare_error(Request(scope), InvalidInput("web.error.bad_host"), 400)(scope, receive, send)
            return
        limit = self.caps.get(scope["path"], MAX_BODY)
        length = headers.get(b"content-length", b"")
        if not length.isdigit() and length:
            await bare_error(Request(scope), InvalidInput("web.error.bad_length"), 400)(scope, receive, send)
            return
        if length and int(length) > limit:
            await bare_error(Request(scope), BodyTooLarge(limit).error(), 413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
