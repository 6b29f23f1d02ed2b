"""The one request pipeline: every page and API endpoint is a :func:`view`, which gives it the
same steps in the same order: device token, access (the route's declared :class:`Access`: the
only place where roles are decided), the body (within the route's cap), proof of origin for
unsafe methods, language, vault access, rendering and error handling. Handlers read fields only
through :meth:`Ctx.field`. This module imports no view: the views import it, and
:func:`halqa.web.app.create_app` lists them.

Handlers are plain functions ``handler(ctx) -> Response | dict | list`` that call one domain
function and render; they run in a worker thread while holding the vault (see
:meth:`WebState.use`). Errors are :class:`halqa.errors.HalqaError`: the API answers with
``HalqaError.to_dict()`` and the status of :func:`status_for`; pages show the same message.
"""

from __future__ import annotations

import enum
import html
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar, overload
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from halqa.errors import AccessDenied, HalqaError, InvalidInput, NotFound, VaultLocked, WrongPassphrase
from halqa.i18n import LANGUAGES, RTL, set_language, t
from halqa.results import to_data
from halqa.vault.values import today
from halqa.web import fmt
from halqa.web.fields import MISSING, Upload, parse_field
from halqa.web.pairing import Device
from halqa.web.security import COOKIE_CSRF, COOKIE_DEVICE, COOKIE_LANG, csrf_ok, csrf_token, same_origin
from halqa.web.state import WebState

__all__ = ["MAX_BODY", "MAX_BUNDLE_BODY", "MAX_VOICE_BODY", "Access", "BodyTooLarge", "Ctx", "Nav", "Upload", "View",
           "bare_error", "not_found", "render", "status_for", "view"]

#: The one cap on a request body, for every route (a passphrase, a form, a JSON object) ...
MAX_BODY = 1024 * 1024
#: ... and the two larger ones a route may declare: a grievance with a voice note, a bundle.
MAX_VOICE_BODY = 8 * 1024 * 1024
MAX_BUNDLE_BODY = 32 * 1024 * 1024

T = TypeVar("T")
D = TypeVar("D")

ENV = Environment(loader=PackageLoader("halqa.web", "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(num=fmt.num, day=fmt.day, pct=fmt.pct)


#: The household a browser last entered something for (a convenience, not a credential).
COOKIE_HOUSEHOLD = "hh"


def status_for(err: HalqaError) -> int:
    """HTTP status of an error, from its exit code: 2 -> 400, 3 -> 401 (not authenticated) or
    403 (refused), 4 -> 503 (vault unreadable), anything else -> 500."""
    if err.exit_code == 2:
        return 400
    if err.exit_code == 3:
        return 401 if isinstance(err, WrongPassphrase | VaultLocked) or err.msg_id == "web.error.no_token" else 403
    if err.exit_code == 4:
        return 503
    return 500


@dataclass
class Ctx:
    """What a handler gets: the request, its language, form, device, and (inside) the vault."""

    request: Request
    state: WebState
    lang: str
    form: dict[str, Any]
    device: Device | None
    browser: str
    api: bool
    json: bool = False  # the body was a JSON object (its values keep their JSON types)
    vault: Any = None
    cookies: list[tuple[str, str, dict[str, Any]]] = dataclass_field(default_factory=list)

    @overload
    def field(self, name: str, kind: type[T], *, choices: Sequence[str] = (), minimum: int | None = None,
              maximum: int | None = None) -> T: ...

    @overload
    def field(self, name: str, kind: type[T], default: D, *, choices: Sequence[str] = (), minimum: int | None = None,
              maximum: int | None = None) -> T | D: ...

    def field(self, name: str, kind: type[Any], default: Any = MISSING, *, choices: Sequence[str] = (),
              minimum: int | None = None, maximum: int | None = None) -> Any:
        """Field ``name`` of the body (form or JSON), else of the query, as ``kind`` (see
        :func:`halqa.web.fields.parse_field`): bad input is a 400 that names the field."""
        if name in self.form:
            raw, from_json = self.form[name], self.json
        elif kind is list:
            raw, from_json = self.request.query_params.getlist(name), False
        else:
            raw, from_json = self.request.query_params.get(name), False
        return parse_field(name, raw, kind, default, from_json=from_json, choices=choices, minimum=minimum,
                           maximum=maximum)

    def own_household(self, required: bool = True) -> str:
        """The household a quick entry or a household page is about. A member's device is tied to
        one: naming another is refused. Others name it in the form, else the last one they used."""
        named = self.field("household", str, "")
        if self.device is not None and not self.device.organiser:
            if named and named != self.device.household:
                raise AccessDenied("web.error.not_your_household")
            return self.device.household or ""
        household = named or self.request.cookies.get(COOKIE_HOUSEHOLD, "")
        if required and not household:
            raise InvalidInput("web.error.no_household")
        return household

    def remember(self, kind: str, record_id: str) -> None:
        """Note that this device entered the record (a member can read back its own entries)."""
        if self.device is not None:
            self.device.remember(kind, record_id)

    def next_path(self) -> str:
        """Where to go after a form: a local path only (never another host)."""
        target = self.field("next", str, "/")
        return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"

    def t(self, msg_id: str, **params: Any) -> str:
        return t(msg_id, lang=self.lang, **params)

    def cached(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(vault, *args, **kwargs)``, reused until the vault's next write (see
        :meth:`WebState.cached`); keyed also on the language and today's date, which some
        results depend on. For read-only domain functions; never change what comes back."""
        key = repr((fn.__module__, fn.__qualname__, args, sorted(kwargs.items()), self.lang, today()))
        return self.state.cached(self.vault, key, lambda: fn(self.vault, *args, **kwargs))

    def set_cookie(self, name: str, value: str, **options: Any) -> None:
        self.cookies.append((name, value, options))

    def render(self, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(render(self, template, **context), status_code=http_status)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)


def render(ctx: Ctx, template: str, **context: Any) -> str:
    lang = ctx.lang
    base = {
        "t": lambda msg_id, **p: t(msg_id, lang=lang, **p),
        "lang": lang, "dir": "rtl" if lang in RTL else "ltr", "languages": LANGUAGES,
        "csrf": csrf_token(ctx.state.secret, ctx.browser), "device": ctx.device,
        "is_open": ctx.state.is_open, "lan": ctx.state.lan, "path": ctx.request.url.path,
        "here": quote(ctx.request.url.path), "nav": _nav_for(ctx),
        "may": lambda path, method="GET": _may(ctx, path, method),
        "name": lambda record: fmt.name(record, lang),
        "N": lambda value, digits=0: fmt.num(value, digits, lang),
        "D": lambda value: fmt.day(value, lang),
        "M": lambda value: fmt.month(value, lang),
    }
    return ENV.get_template(template).render(**base, **context)


class Access(enum.Enum):
    """Who may use a route. Every :func:`view` declares one; the pipeline checks it before the
    handler runs (the only place where access is decided)."""

    PUBLIC = "public"  # no device token (unlock, pairing, language, icon)
    MEMBER = "member"  # any paired device (organisers too)
    ORGANISER = "organiser"  # organiser devices only

    def allows(self, device: Device | None) -> bool:
        if self is Access.PUBLIC:
            return True
        if device is None:
            return False
        return self is Access.MEMBER or device.organiser


@dataclass(frozen=True)
class Nav:
    """A view module's entry in the header: its page, the message id of its label, and pages to
    link instead for devices that may not open the first (a member's aggregate page)."""

    path: str
    label: str
    also: tuple[str, ...] = ()


def _may(ctx: Ctx, path: str, method: str = "GET") -> bool:
    """Whether this device may use ``method path`` (from the route table: for links and forms)."""
    table: dict[tuple[str, str], View] = ctx.request.app.state.route_table
    route = table.get((method, path))
    return route is not None and route.access.allows(ctx.device)


def _nav_for(ctx: Ctx) -> list[Nav]:
    """The header's links: for each view module's entry, the first of its pages this device may open."""
    links = []
    for entry in ctx.request.app.state.nav:
        path = next((p for p in (entry.path, *entry.also) if _may(ctx, p)), None)
        if path is not None:
            links.append(Nav(path, entry.label))
    return links


def _lang_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(COOKIE_LANG)
    if not wanted and request.url.path.startswith("/api/"):
        wanted = (request.headers.get("accept-language") or "").split(",")[0]
    return set_language(wanted or LANGUAGES[0]) if wanted else set_language(LANGUAGES[0])


def _token_of(request: Request) -> tuple[str | None, bool]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), True
    return request.cookies.get(COOKIE_DEVICE), False


class BodyTooLarge(Exception):
    """The request body passed its route's cap (raised while reading it, see :mod:`halqa.web.guard`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def error(self) -> InvalidInput:
        return InvalidInput("web.error.too_large", limit=str(self.limit))


async def _read_body(request: Request, max_body: int) -> tuple[dict[str, Any], bool]:
    """The body as fields, and whether it was JSON (whose values keep their JSON types)."""
    if request.method not in ("POST", "PUT", "DELETE", "PATCH"):
        return {}, False
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            data = json.loads(await request.body() or b"{}")
            # JSON may carry a lone UTF-16 surrogate (as bytes or a \ud800 escape), which Python
            # reads into a str that nothing can encode again: no error naming it could be sent.
            json.dumps(data, ensure_ascii=False).encode()
        except ValueError:  # UnicodeEncodeError is a ValueError
            raise InvalidInput("web.error.bad_json") from None
        if not isinstance(data, dict):
            raise InvalidInput("web.error.bad_json")
        return data, True
    out: dict[str, Any] = {}
    async with request.form(max_part_size=max_body, max_files=4, max_fields=400) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if data:
                    out[key] = Upload(data, value.content_type or "application/octet-stream", value.filename or "")
            elif key in out:
                prev = out[key]
                out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
            else:
                out[key] = value
    return out, False


def _proven(ctx: Ctx, bearer: bool, new_browser: bool) -> bool:
    """Whether an unsafe request shows it comes from this server's own pages or a script, not
    from another site: a valid bearer token (never ambient), or the CSRF token of this browser,
    or a JSON body to the API (a cross-site page cannot send one without a CORS preflight, which
    is never granted). In every case an ``Origin`` header, if sent, must be this server's: the
    Host guard has already refused hosts this server does not serve, so a rebound name fails."""
    request = ctx.request
    if not same_origin(request.headers, request.url.scheme, request.headers.get("host", "")):
        return False
    if bearer and ctx.device is not None:
        return True
    if ctx.api and ctx.json:
        return True
    sent = ctx.form.get("csrf") or request.headers.get("x-csrf-token")
    return not new_browser and isinstance(sent, str) and csrf_ok(ctx.state.secret, ctx.browser, sent)


def _error_response(ctx: Ctx | None, request: Request, err: HalqaError, lang: str, status: int | None = None) -> Response:
    status = status or status_for(err)
    set_language(lang)
    if request.url.path.startswith("/api/") or ctx is None:
        return JSONResponse(err.to_dict(), status_code=status)
    if isinstance(err, VaultLocked) and err.msg_id == "web.error.locked":
        return RedirectResponse("/unlock?next=" + quote(request.url.path), status_code=303)
    return ctx.render("error.html", http_status=status, message=err.render(lang), error=err.msg_id)


class View(Route):
    """A route of the app with what the pipeline enforces: who may use it (``access``), whether
    the vault must be open (held during the call) and the largest body it takes (``max_body``)."""

    def __init__(self, path: str, handler: Callable[[Ctx], Any], methods: Sequence[str], access: Access,
                 vault: bool, max_body: int) -> None:
        self.handler, self.access, self.needs_vault, self.max_body = handler, access, vault, max_body
        super().__init__(path, self._endpoint, methods=list(methods), name=handler.__name__)

    async def _endpoint(self, request: Request) -> Response:
        state: WebState = request.app.state.web
        lang = _lang_of(request)
        api = request.url.path.startswith("/api/")
        browser = request.cookies.get(COOKIE_CSRF) or ""
        new_browser = not browser
        if new_browser:
            browser = secrets.token_urlsafe(18)
        token, bearer = _token_of(request)
        device = state.devices.check(token)
        ctx: Ctx | None = None
        try:
            ctx = Ctx(request, state, lang, {}, device, browser, api)
            if self.access is not Access.PUBLIC and device is None:
                if not api and request.method == "GET":
                    target = "/pair" if state.lan and state.is_open else "/unlock"
                    response: Response = RedirectResponse(f"{target}?next={quote(request.url.path)}", status_code=303)
                    return _finish(ctx, response, new_browser)
                raise AccessDenied("web.error.no_token")
            if not self.access.allows(device):
                raise AccessDenied("web.error.organiser_only")
            ctx.form, ctx.json = await _read_body(request, self.max_body)
            if request.method != "GET" and not _proven(ctx, bearer, new_browser):
                raise AccessDenied("web.error.csrf")
            result = await run_in_threadpool(_call, self.handler, ctx, self.needs_vault, lang)
            response = result if isinstance(result, Response) else JSONResponse(to_data(result), status_code=200)
        except BodyTooLarge as too_large:
            response = _error_response(ctx, request, too_large.error(), lang, status=413)
        except HalqaError as err:
            response = _error_response(ctx, request, err, lang)
        except Exception as exc:  # the last line of defence: no tracebacks for people
            if request.app.debug:
                raise
            response = _error_response(ctx, request, HalqaError("error.unexpected", detail=type(exc).__name__), lang)
        return _finish(ctx, response, new_browser)


def view(path: str, handler: Callable[[Ctx], Any], *, access: Access, methods: Sequence[str] = ("GET",),
         vault: bool = True, max_body: int = MAX_BODY) -> View:
    """The route ``path`` -> ``handler(ctx)``: what a view module lists in its ``routes``.
    ``access``: who may use it (declared on every route, checked here and nowhere else);
    ``vault``: the vault must be open; ``max_body``: the body cap (:data:`MAX_BODY` unless the
    route takes a voice note or a bundle). Unsafe methods always need proof of origin."""
    return View(path, handler, methods, access, vault, max_body)


def _call(handler: Callable[[Ctx], Any], ctx: Ctx, needs_vault: bool, lang: str) -> Any:
    set_language(lang)
    if not needs_vault:
        return handler(ctx)
    with ctx.state.use() as vault:
        ctx.vault = vault
        return handler(ctx)


def _finish(ctx: Ctx | None, response: Response, new_browser: bool) -> Response:
    if ctx is None:
        return response
    secure = ctx.state.https
    if new_browser:
        response.set_cookie(COOKIE_CSRF, ctx.browser, httponly=True, samesite="strict", secure=secure)
    for name, value, options in ctx.cookies:
        if value:
            response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, **options)
        else:
            response.delete_cookie(name, httponly=True, samesite="strict", secure=secure)
    return response


def bare_error(request: Request, err: HalqaError, status: int) -> Response:
    """An error answered before any view runs (unknown page or host, body too large): the one
    JSON shape for the API, a bare page otherwise (no template: nothing about the device is known)."""
    lang = _lang_of(request)
    if request.url.path.startswith("/api/"):
        return JSONResponse(err.to_dict(), status_code=status)
    return HTMLResponse(f"<!doctype html><html lang=\"{lang}\"><title>{t('web.title', lang=lang)}</title>"
                        f"<p>{html.escape(err.render(lang))}</p><p><a href=\"/\">{t('web.nav.home', lang=lang)}</a></p></html>",
                        status_code=status)


async def not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    return bare_error(request, NotFound("web.error.no_page") if status == 404 else HalqaError("web.error.method"), status)
