"""The web app: :func:`create_app` lists every view module once and concatenates their routes.

Adding a domain's pages: write ``halqa/web/views/<domain>.py`` with ``routes`` and ``nav`` (see
:mod:`halqa.web.views`), then add the module to :data:`VIEWS` below. Nothing registers itself on
import, and a view module that fails to import stops the app from starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from halqa.web.guard import Guard
from halqa.web.pipeline import Nav, View, not_found
from halqa.web.security import SecurityHeaders
from halqa.web.state import WebState
from halqa.web.views import (
    bridge,
    circles,
    devices,
    home,
    institutions,
    learning,
    ledger,
    listening,
    member,
    mutual_aid,
    places,
    publish,
    vault,
)

__all__ = ["VIEWS", "create_app", "navigation", "route_table", "views"]

#: Every view module, in the order of the header's links.
VIEWS: tuple[ModuleType, ...] = (home, listening, ledger, circles, mutual_aid, learning, institutions, bridge, publish, places,
                                 devices, vault, member)


def views() -> list[View]:
    """Every route of the app: the view modules' ``routes``, concatenated."""
    return [route for module in VIEWS for route in module.routes]


def navigation() -> list[Nav]:
    """The header's links: each view module's ``nav`` entry (None for modules without a page)."""
    return [module.nav for module in VIEWS if module.nav is not None]


def route_table(routes: list[View]) -> dict[tuple[str, str], View]:
    """Every route by ``(method, path)``: who may use it is ``route.access`` (docs/guide/web.md
    lists the same table, checked by a test)."""
    return {(method, r.path): r for r in routes for method in sorted(r.methods or ()) if method != "HEAD"}


def _caps(routes: list[View]) -> dict[str, int]:
    """Body caps by path (the largest of a path's methods)."""
    caps: dict[str, int] = {}
    for route in routes:
        caps[route.path] = max(caps.get(route.path, 0), route.max_body)
    return caps


def create_app(vault_path: str | os.PathLike[str], *, lan: bool = False, https: bool = False, idle_seconds: float = 600.0,
               vault: Any = None, state: WebState | None = None, debug: bool = False) -> Starlette:
    """The web app serving the vault at ``vault_path`` (locked until unlocked in the browser,
    unless an open ``vault`` is given). ``lan``: members' phones reach it after pairing."""
    state = state or WebState(Path(vault_path), idle_seconds=idle_seconds, lan=lan, https=https)
    if vault is not None:
        state.adopt(vault)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def watch() -> None:
            while True:
                await asyncio.sleep(max(1.0, min(30.0, state.idle_seconds / 4)))
                await run_in_threadpool(state.check_idle)

        task = asyncio.create_task(watch())
        try:
            yield
        finally:
            task.cancel()
            state.lock("stopped")

    routes = views()
    static = StaticFiles(packages=[("halqa.web", "static")])
    app = Starlette(debug=debug, routes=[*routes, Mount("/static", static, name="static")],
                    middleware=[Middleware(SecurityHeaders, https=state.https),
                                Middleware(Guard, hosts=state.hosts(), caps=_caps(routes))],
                    exception_handlers={HTTPException: not_found}, lifespan=lifespan)
    app.state.web = state
    app.state.nav = navigation()
    app.state.route_table = route_table(routes)
    return app
