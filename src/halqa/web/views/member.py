"""The member app (an installable offline web app at ``/m/``), its pairing and its outbox.

* ``/m/`` and its files: the app shell, built from ``member-app/`` into ``static/m/``; public
  (it holds no data: everything it shows comes from the phone's own storage). The manifest and
  icon follow the discreet look chosen at pairing (``?look=notes|shopping|recipes``).
* ``POST /api/m/pair``: a member code, the phone's Ed25519 public key (made in the browser) and an
  age recipient -> the phone becomes a ``member`` contact tied to the code's household; the answer
  carries what the phone needs offline: the circle's age recipient, themes and places in ar/ckb/en,
  the server's clock. It never names the household (the phone does not store it).
* ``POST /api/m/outbox``: an outbox file (the same JSON as "send as a file"); authenticated by
  the entries' signatures, not by a cookie (a phone's token would not survive a server restart).
* ``GET /ca.crt``: the vault's local CA certificate (see :mod:`halqa.web.tls`).
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from typing import Any

from starlette.responses import Response

import halqa.listening as listening
import halqa.places as places
from halqa.bridge import add_contact, import_outbox
from halqa.bridge.keys import age_recipient
from halqa.errors import AccessDenied, InvalidInput
from halqa.i18n import RTL
from halqa.results import to_data
from halqa.web.pairing import LOOKS
from halqa.web.pipeline import MAX_BUNDLE_BODY, Access, Ctx, View, view
from halqa.web.tls import ca_certificate_pem

_KEY = re.compile(r"^[0-9a-f]{64}$")
#: The app's files and their types (``/m/`` is ``index.html``).
FILES = {"": ("index.html", "text/html; charset=utf-8"), "app.js": ("app.js", "text/javascript; charset=utf-8"),
         "sw.js": ("sw.js", "text/javascript; charset=utf-8"), "app.css": ("app.css", "text/css; charset=utf-8")}


def _file(name: str, media: str) -> Any:
    def serve(ctx: Ctx) -> Response:
        return Response(_static(name), media_type=media)

    serve.__name__ = f"member_{name.replace('.', '_')}"
    return serve


def _static(name: str) -> bytes:
    return resources.files("halqa.web").joinpath(f"static/m/{name}").read_bytes()


def manifest(ctx: Ctx) -> Response:
    """The install manifest under the discreet name the member chose (``?look=``), in ``?lang=``."""
    look = ctx.field("look", str, LOOKS[0], choices=LOOKS)
    data = json.loads(_static("manifest.webmanifest"))
    data.update(name=ctx.t(f"member.look.{look}"), short_name=ctx.t(f"member.look.{look}"), lang=ctx.lang,
                dir="rtl" if ctx.lang in RTL else "ltr",
                icons=[{**data["icons"][0], "src": f"/m/icon.svg?look={look}"}])
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/manifest+json")


def icon(ctx: Ctx) -> Response:
    look = ctx.field("look", str, LOOKS[0], choices=LOOKS)
    return Response(_static("icon.svg" if look == LOOKS[0] else f"icon-{look}.svg"), media_type="image/svg+xml")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _names(rows: list[dict[str, Any]], key: str) -> list[dict[str, str]]:
    return [{"id": str(r[key]), "ar": r.get("name_ar") or "", "ckb": r.get("name_ckb") or "",
             "en": r.get("name_en") or str(r[key])} for r in rows]


def api_pair(ctx: Ctx) -> dict[str, Any]:
    """Trade a member code for a ``member`` contact holding the phone's key (see the module doc)."""
    key = ctx.field("key", str).lower()
    recipient = ctx.field("recipient", str)
    if not _KEY.match(key):
        raise InvalidInput("member.bad_key")
    token, device = ctx.state.devices.redeem(ctx.field("code", str), "phone")
    ctx.state.devices.forget(token)  # the app never uses a web token: its entries carry signatures
    if device.role != "member" or not device.household:
        raise AccessDenied("member.not_member_code")
    add_contact(ctx.vault, f"phone-{key[:12]}", age_recipient=recipient, signing_key=key, verified="in-person",
                role="member", household=device.household, circle=device.circle)
    return {"recipients": [age_recipient(ctx.vault)], "themes": _names(to_data(listening.themes(ctx.vault)), "id"),
            "places": _names(to_data(places.areas(ctx.vault)), "code"), "circle": device.circle, "server_ms": _now_ms()}


def api_outbox(ctx: Ctx) -> dict[str, Any]:
    """Import an outbox sent by the app (or by a script): all or nothing, duplicate-safe."""
    result = import_outbox(ctx.vault, json.dumps(ctx.form).encode() if ctx.json else b"")
    return {**to_data(result), "server_ms": _now_ms()}


def ca_cert(ctx: Ctx) -> Response:
    return Response(ca_certificate_pem(ctx.vault), media_type="application/x-x509-ca-cert",
                    headers={"content-disposition": 'attachment; filename="notes-ca.crt"'})


routes: list[View] = [
    *(view(f"/m/{path}", _file(name, media), access=Access.PUBLIC, vault=False) for path, (name, media) in FILES.items()),
    view("/m/manifest.webmanifest", manifest, access=Access.PUBLIC, vault=False),
    view("/m/icon.svg", icon, access=Access.PUBLIC, vault=False),
    view("/api/m/pair", api_pair, methods=("POST",), access=Access.PUBLIC),
    view("/api/m/outbox", api_outbox, methods=("POST",), access=Access.PUBLIC, max_body=MAX_BUNDLE_BODY),
    view("/ca.crt", ca_cert, access=Access.PUBLIC),
]
nav = None
