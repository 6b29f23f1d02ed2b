"""The web face's bodies as a fuzz target: JSON, form and multipart bodies POSTed to every route
that takes one, mutated from real valid bodies, through the real Starlette app (its request
pipeline, field parsers, handlers and templates) with a paired organiser's and a member phone's
tokens.

An input is one line naming the request, then the body::

    member json /api/listen/grievances
    {"place": "JSR", "text": "..."}

The mutator edits both: a first line that no longer names a known request is mapped to one by
its checksum (so the body is still sent somewhere), and a role that is neither ``organiser``
nor ``member`` sends no token. The invariants of :mod:`fuzz.harness` apply to the answer: a
status outside the guide's (docs/guide/web.md) or a traceback is a crash (the app runs with
``debug=True``, so an unexpected exception is raised, not rendered as a 500 page); an answer of
400 and up is a refusal, which must leave the vault byte-identical.

Not sent: the routes that end the session by design (``/lock``, ``/api/lock``, ``/panic``,
``/devices/revoke``) and the unlock forms (the passphrase alone; five wrong ones a minute close
them, and with ``wipe_after`` set a wrong one is counted in the header on purpose): their attacks
have tests of their own in tests/web.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from halqa import institutions, listening
from halqa.bridge import add_contact, export_bundle, identity
from halqa.errors import HalqaError

from .harness import Target

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
for _name in ("multipart", "python_multipart"):  # it logs every malformed part; the answer says it already
    logging.getLogger(_name).setLevel(logging.ERROR)

BASE = "http://127.0.0.1:8765"
BOUNDARY = "fuzzboundary7MA4YWxk"
TYPES = {"json": "application/json", "form": "application/x-www-form-urlencoded",
         "multi": f"multipart/form-data; boundary={BOUNDARY}"}
#: The statuses the guide documents for a POST: done, a redirect after a form, bad input, not
#: paired, refused, unknown page, body too large, vault unreadable.
DOCUMENTED_STATUS = {200, 303, 400, 401, 403, 404, 413, 503}
_EXIT_OF_STATUS = {400: 2, 401: 3, 403: 3, 404: 2, 413: 2, 503: 4}


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> bytes:
    out = b""
    for name, value in fields.items():
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    for name, (filename, data, ctype) in files.items():
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def _seed(role: str, kind: str, path: str, body: Any) -> bytes:
    if kind == "json":
        data = json.dumps(body, ensure_ascii=False).encode()
    elif kind == "form":
        data = urlencode(body, doseq=True).encode()
    else:
        data = body
    return f"{role} {kind} {path}\n".encode() + data


def _setup(work: Path) -> Any:
    from starlette.testclient import TestClient

    from halqa.web import create_app
    from halqa.web.state import WebState

    from .targets import _phone_setup, _vault  # here: fuzz.targets lists this target

    ctx = _phone_setup(work)  # areas JSR/SUQ, households hh-t0..3, members m-t0..3, a paired phone's outbox
    v = ctx.vault
    # A paired device whose bundle the organiser imports through the browser.
    x = _vault(work, "x")
    add_contact(x, "y", text=identity(v).text, verified="in-person", role="device")
    add_contact(v, "x", text=identity(x).text, verified="in-person", role="device")
    export_bundle(x, ["y"], ctx.work / "x.age")
    x.close()
    today = dt.date.today().isoformat()
    svc = institutions.create_service(v, "bread", "food", areas=["JSR", "SUQ"]).id
    vote = institutions.propose(v, "صيانة المولدة", ["نعم", "لا"]).id
    ending = institutions.propose(v, "a proposal to close", ["yes", "no"]).id
    gid = listening.add_grievance(v, themes=["water"], place="JSR", day=today, text="الماي مالح").id
    line = listening.encode_line(v, "electricity", 3, "JSR", lang="ar")
    state = WebState(v.path)
    app = create_app(v.path, state=state, vault=v, debug=True)
    client = TestClient(app, base_url=BASE)
    client.__enter__()  # one event loop for the whole run, not one per request
    tokens = {"organiser": state.devices.issue("fuzz", role="organiser"),
              "member": state.devices.issue("phone", role="member", household="hh-t1")}
    voice = b"OggS\x00\x02" + bytes(range(64))
    requests = [
        ("member", "json", "/api/ledger/power", {"household": "hh-t1", "state": "off"}),
        ("organiser", "json", "/api/ledger/power", {"household": "hh-t2", "state": "on"}),
        ("member", "json", "/api/ledger/water", {"day": today, "no_water": True, "illness": 2, "litres_bought": 40,
                                                 "spent": "3000"}),
        ("organiser", "json", "/api/ledger/water", {"household": "hh-t3", "day": today, "contaminated": True}),
        ("member", "json", "/api/listen/grievances", {"place": "JSR", "themes": ["electricity", "water"],
                                                      "text": "الكهرباء ما تجي", "day": today, "count": 2}),
        ("organiser", "json", "/api/listen/grievances", {"place": "SUQ", "theme": "rent", "text": "rent"}),
        ("member", "form", "/quick/power", {"state": "on"}),
        ("organiser", "form", "/quick/power", {"household": "hh-t0", "state": "off"}),
        ("member", "form", "/quick/water", {"day": today, "smell": "yes", "spent": "1500"}),
        ("member", "multi", "/quick/grievance", _multipart({"place": "JSR", "theme": "water", "text": "ريحة"},
                                                           {"voice": ("note.ogg", voice, "audio/ogg")})),
        ("organiser", "form", "/quick/grievance", {"place": "SUQ", "themes": ["water", "rent"], "count": "3"}),
        ("organiser", "form", "/quick/decode", {"lines": line}),
        ("organiser", "form", "/circles/vouch", {"voucher": "m-t0", "vouchee": "m-t3", "strength": "4"}),
        ("organiser", "form", "/circles/form", {"min_size": "2", "max_size": "3", "seed": "7", "apply": "yes"}),
        ("organiser", "form", "/decide/propose", {"title": "خزان ماء", "option": ["نعم", "لا"], "mode": "majority",
                                                  "quorum": "2", "closes": today}),
        ("organiser", "form", "/decide/position", {"id": vote, "member": "m-t1", "choice": "نعم"}),
        ("organiser", "form", "/decide/count", {"id": vote, "n:نعم": "12", "n:لا": "3"}),
        ("organiser", "form", "/decide/link", {"id": vote, "kind": "service", "ref": svc, "note": "x"}),
        ("organiser", "form", "/decide/close", {"id": ending}),
        ("organiser", "form", "/services/deliver", {"service": svc, "household": "hh-t1", "quantity": "2",
                                                    "day": today}),
        ("organiser", "form", "/listen/confirm", {"gid": gid, "themes": ["water", "health"]}),
        ("organiser", "form", "/bridge/export", {"contact": "x", "everything": "yes"}),
        ("organiser", "multi", "/bridge/import", _multipart({}, {"bundle": ("x.age", (ctx.work / "x.age").read_bytes(),
                                                                           "application/octet-stream")})),
        ("organiser", "multi", "/bridge/import", _multipart({}, {"bundle": ("outbox.json", ctx.extra["file"],
                                                                           "application/json")})),
        ("organiser", "form", "/publish/poster", {"format": "svg", "style": "screen", "size": "a4", "lang": "ar,en"}),
        ("organiser", "json", "/api/publish/poster", {"format": "svg", "size": "a5"}),
        ("organiser", "json", "/api/devices/code", {"role": "member", "household": "hh-t2"}),
        ("organiser", "form", "/devices/code", {"role": "organiser"}),
        ("none", "json", "/api/pair", {"code": state.devices.new_code("member", "hh-t3"), "name": "script"}),
        ("none", "form", "/pair", {"code": state.devices.new_code("member", "hh-t0"), "name": "phone"}),
        ("none", "json", "/api/m/pair", {"code": state.devices.new_code("member", "hh-t2"), "key": "ab" * 32,
                                         "recipient": ctx.extra["recipient"]}),
        ("none", "json", "/api/m/outbox", json.loads(ctx.extra["file"])),
    ]
    ctx.extra.update(client=client, tokens=tokens,
                     seeds=[_seed(role, kind, path, body) for role, kind, path, body in requests],
                     requests=[(role, kind, path) for role, kind, path, _ in requests],
                     paths={path for _, _, path, _ in requests})
    return ctx


def _call(ctx: Any, data: bytes) -> None:
    head, _, body = data.partition(b"\n")
    words = head.decode("utf-8", "replace").split(" ")
    known = ctx.extra["requests"]
    if len(words) == 3 and words[1] in TYPES and words[2] in ctx.extra["paths"]:
        role, kind, path = words  # the role or the type may be another request's: sent as it says
    else:  # a damaged first line still sends the body: to the request its checksum picks
        role, kind, path = known[zlib.crc32(head) % len(known)]
    headers = {"Content-Type": TYPES[kind]}
    token = ctx.extra["tokens"].get(role)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = ctx.extra["client"].post(path, content=body, headers=headers, follow_redirects=False)
    if r.status_code not in DOCUMENTED_STATUS:
        raise AssertionError(f"{path}: status {r.status_code} is not one the guide documents: {r.text[:300]}")
    if r.status_code == 303 and r.headers.get("location", "").startswith("/unlock"):
        raise AssertionError(f"{path}: the vault was locked by a body")
    if r.status_code >= 400:
        raise _refusal(r)


def _refusal(r: Any) -> HalqaError:
    """The HalqaError behind a refusal: the API's JSON names it; a page's (HTML) says it only in
    words, so it stands as the generic error of its status's exit code."""
    try:
        doc = r.json()
        err = HalqaError(doc["error"], **doc.get("params", {}))
        err.exit_code = int(doc["exit_code"])
    except (ValueError, KeyError, TypeError):
        err = HalqaError("error.invalid_input" if r.status_code in (400, 404, 413) else
                         "error.access_denied" if r.status_code in (401, 403) else "error.corrupt")
        err.exit_code = _EXIT_OF_STATUS[r.status_code]
    return err


def _teardown(ctx: Any) -> None:
    ctx.extra["client"].__exit__(None, None, None)  # the app's shutdown locks (closes) the vault
    ctx.vault.close()


TARGET = Target("web.bodies", seeds=lambda ctx: ctx.extra["seeds"], setup=_setup, call=_call, teardown=_teardown,
                doc="JSON, form and multipart bodies POSTed to every write route of the web app")
