"""halqa.web: the local web app, a thin face over the domains.

Server-rendered pages (Arabic, right to left, by default; Sorani and English) and a small JSON
API under ``/api/`` with the same authentication. The vault key stays in the server's memory;
phones on the local network pair with a one-time code. ``halqa serve`` runs it; from Python::

    from halqa.web import serve
    serve("demo.halqa", passphrase="...", port=8765)          # http://127.0.0.1:8765
    serve("demo.halqa", lan=True)                              # https on the local network

Modules: :mod:`~halqa.web.app` (app factory, the one request pipeline, error mapping),
:mod:`~halqa.web.core` (unlock, lock, panic, pairing), :mod:`~halqa.web.pages` (domain pages
and API), :mod:`~halqa.web.security` (headers, CSRF), :mod:`~halqa.web.pairing` (device
tokens, certificate, QR), :mod:`~halqa.web.state` (vault in memory, idle lock),
:mod:`~halqa.web.server` (uvicorn).
"""

from halqa.web.app import create_app, status_for
from halqa.web.server import prepare, serve

__all__ = ["create_app", "prepare", "serve", "status_for"]
