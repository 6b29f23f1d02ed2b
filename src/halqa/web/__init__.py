"""halqa.web: the local web app, a thin face over the domains.

Server-rendered pages (Arabic, right to left, by default; Sorani and English) and a small JSON
API under ``/api/`` with the same authentication. The vault key stays in the server's memory;
phones on the local network pair with a one-time code. ``halqa serve`` runs it; from Python::

    from halqa.web import serve
    serve("demo.halqa", passphrase="...", port=8765)          # http://127.0.0.1:8765
    serve("demo.halqa", lan=True)                              # https on the local network

Modules: :mod:`~halqa.web.app` (``create_app``: lists the view modules once),
:mod:`~halqa.web.pipeline` (the one request pipeline: context, access, CSRF, rendering, the error
shape and status mapping; it imports no view), :mod:`~halqa.web.views` (one module per domain,
each exporting ``routes`` and ``nav``: read its docstring to add pages), :mod:`~halqa.web.security`
(headers, CSRF), :mod:`~halqa.web.pairing` (device tokens, certificate, QR),
:mod:`~halqa.web.state` (vault in memory, idle lock), :mod:`~halqa.web.server` (uvicorn).
"""

from halqa.web.app import create_app
from halqa.web.pipeline import status_for
from halqa.web.server import prepare, serve

__all__ = ["create_app", "prepare", "serve", "status_for"]
