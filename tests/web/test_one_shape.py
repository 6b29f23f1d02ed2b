"""One action, one shape: ``halqa ... --json`` and the web API answer the same action alike.

Each test does the action on both faces (for two households of the same vault) and compares
the answers' keys and value types; both faces serialise domain results through
``halqa.results.to_data``.
"""

from __future__ import annotations

import datetime as dt
import json

import msgspec
from starlette.testclient import TestClient

import halqa.ledger as ledger
from halqa.results import to_data
from tests.web.conftest import BASE
from tests.web.test_attacks import _bearer, _member


def _shape(data: dict) -> dict[str, str]:
    return {key: type(value).__name__ for key, value in data.items()}


def _faces(app, state):
    c = TestClient(app, base_url=BASE)
    member = _member(c, state.devices.issue("laptop", role="organiser"), "hh-t1")
    return c, _bearer(member)


def _cli_json(cli, *args: str) -> dict:
    code, out = cli(*args, "--json", "--yes")
    assert code == 0, out
    return json.loads(out)


def test_power_off_and_on(app, state, cli):
    c, auth = _faces(app, state)
    web_off = c.post("/api/ledger/power", json={"household": "hh-t1", "state": "off"}, headers=auth)
    web_on = c.post("/api/ledger/power", json={"household": "hh-t1", "state": "on"}, headers=auth)
    assert web_off.status_code == web_on.status_code == 200, (web_off.text, web_on.text)
    cli_off = _cli_json(cli, "ledger", "start", "hh-t2")
    cli_on = _cli_json(cli, "ledger", "stop", "hh-t2")
    fields = [f.name for f in msgspec.structs.fields(ledger.Outage)]
    for web, line in ((web_off.json(), cli_off), (web_on.json(), cli_on)):
        assert list(web) == list(line) == fields
        assert _shape(web) == _shape(line)
    assert web_off.json()["end"] is None and cli_off["minutes"] is None
    assert web_on.json()["id"] == web_off.json()["id"] and cli_on["id"] == cli_off["id"]
    assert isinstance(cli_on["minutes"], int) and cli_on["household"] == "hh-t2"


def test_water(app, state, cli):
    c, auth = _faces(app, state)
    day = dt.date.today().isoformat()
    web = c.post("/api/ledger/water", json={"household": "hh-t1", "day": day, "no_water": True}, headers=auth)
    assert web.status_code == 200, web.text
    line = _cli_json(cli, "ledger", "water", "hh-t2", "--day", day, "--no-water")
    assert _shape(web.json()) == _shape(line)


def test_grievance(app, state, cli):
    c, auth = _faces(app, state)
    day = dt.date.today().isoformat()
    web = c.post("/api/listen/grievances", json={"themes": ["water"], "place": "JSR", "day": day, "text": "الماي"},
                 headers=auth)
    assert web.status_code == 200, web.text
    line = _cli_json(cli, "listen", "add", "--theme", "water", "--place", "JSR", "--day", day, "--text", "الماي")
    assert _shape(web.json()) == _shape(line)


def test_contacts(app, state, filled, cli):
    from pyrage import x25519

    import halqa.bridge as bridge

    bridge.add_contact(filled, "ally-a", age_recipient=str(x25519.Identity.generate().to_public()))
    c = TestClient(app, base_url=BASE)
    web = c.get("/api/bridge/contacts", headers=_bearer(state.devices.issue("laptop", role="organiser")))
    assert web.status_code == 200, web.text
    code, out = cli("contacts", "list", "--json")
    assert code == 0, out
    line = json.loads(out)
    assert [_shape(x) for x in web.json()] == [_shape(x) for x in line] and len(line) == 1


def test_to_data_is_the_one_serialiser():
    outage = ledger.Outage(id="i-1", household="hh-1", start="2026-07-01T10:00:00")
    assert to_data(outage) == {"id": "i-1", "household": "hh-1", "start": "2026-07-01T10:00:00", "end": None,
                               "minutes": None}
    assert to_data({"day": dt.date(2026, 7, 1), "n": {3}}) == {"day": "2026-07-01", "n": [3]}
