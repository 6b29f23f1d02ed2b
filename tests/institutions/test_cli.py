"""The commands, with the script interface kept exactly as the issue states."""

from __future__ import annotations

import json

from .helpers import MEMBERS, neighbourhood


def test_decide_interface_is_exact(vault, cli):
    neighbourhood(vault)
    vault.close()
    code, out = cli("decide", "propose", "--title", "Generator share", "--option", "yes", "--option", "no",
                    "--mode", "majority", "--closes", "2026-06-30", "--quorum", "3", "--day", "2026-06-01", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["id"]
    pid = data["id"]
    for m, c in zip(MEMBERS[:4], ("yes", "yes", "no", "yes"), strict=True):
        code, out = cli("decide", "position", pid, "--member", m, "--choice", c, "--day", "2026-06-02")
        assert code == 0, out
    code, out = cli("decide", "count", pid, "--tally", "no=2", "--tally", "yes=1", "--day", "2026-06-03", "--json")
    assert code == 0 and json.loads(out)["ballots"] == 3
    code, out = cli("decide", "close", pid, "--day", "2026-06-04", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["id", "mode", "outcome", "participants", "counts"]
    assert data == {"id": pid, "mode": "majority", "outcome": "yes", "participants": 7, "counts": {"yes": 4, "no": 3}}
    code, out = cli("decide", "log", "--json")
    assert code == 0 and json.loads(out)["decisions"][0]["id"] == pid
    code, out = cli("decide", "show", pid)
    assert code == 0 and "Generator share" in out


def test_ranked_and_consent_from_the_cli(vault, cli):
    neighbourhood(vault)
    vault.close()
    code, out = cli("decide", "propose", "--title", "Where", "--option", "A", "--option", "B", "--option", "C",
                    "--mode", "ranked", "--json")
    pid = json.loads(out)["id"]
    cli("decide", "position", pid, "--member", "m-a", "--choice", "C", "--choice", "B")
    cli("decide", "position", pid, "--member", "m-b", "--choice", "B")
    cli("decide", "position", pid, "--member", "m-c", "--choice", "A")
    cli("decide", "count", pid, "--tally", "A>B=1")
    code, out = cli("decide", "close", pid, "--json")
    # A 2, B 1, C 1: C goes (fewer... tie broken by order), its ballot to B -> A 2, B 2 -> tie
    data = json.loads(out)
    assert data["mode"] == "ranked" and data["counts"] == {"A": 2, "B": 1, "C": 1} and data["participants"] == 4
    assert data["outcome"] == "tie"
    code, out = cli("decide", "propose", "--title", "Station", "--mode", "consent", "--json")
    cid = json.loads(out)["id"]
    cli("decide", "position", cid, "--member", "m-a", "--choice", "block")
    code, out = cli("decide", "close", cid, "--json")
    assert json.loads(out)["outcome"] == "blocked"
    code, out = cli("decide", "position", cid, "--member", "m-a", "--choice", "agree", "--json")
    assert code == 2 and json.loads(out)["error"] == "institutions.closed"
    code, out = cli("decide", "count", cid, "--tally", "agree", "--json")
    assert code == 2 and json.loads(out)["error"] == "institutions.cli.bad_tally"


def test_services_and_account_from_the_cli(vault, cli, tmp_path):
    homes = neighbourhood(vault)
    from halqa.ledger import add_water

    for h in homes["NKH"]:
        add_water(vault, h, "2026-08-02", no_water=True)
    vault.close()
    code, out = cli("services", "add", "w", "--kind", "water", "--area", "NKH", "--fund", "coop", "--json")
    assert code == 0, out
    code, out = cli("services", "deliver", "w", "--household", homes["NKH"][0], "--quantity", "40", "--day",
                    "2026-08-01", "--json")
    assert code == 0 and json.loads(out)["quantity"] == 40
    code, out = cli("services", "deliver", "w", "--household", homes["MNA"][0], "--quantity", "40", "--json")
    assert code == 2 and json.loads(out)["error"] == "institutions.not_served"
    code, out = cli("services", "deliver", "w", "--household", homes["NKH"][0], "--quantity", "-4", "--json")
    assert code == 2 and json.loads(out)["error"] == "institutions.negative_quantity"
    csv_path = tmp_path / "d.csv"
    csv_path.write_text(f"day,household,quantity\n2026-08-03,{homes['NKH'][1]},20\n2026-08-03,{homes['MNA'][1]},5\n",
                        encoding="utf-8")
    code, out = cli("services", "import", str(csv_path), "--service", "w", "--json")
    assert code == 0 and json.loads(out)["kept"] == 1 and json.loads(out)["errors"][0]["line"] == 3
    code, out = cli("services", "cost", "w", "50000", "--purpose", "repairs", "--json")
    assert code == 0 and json.loads(out)["amount"] == "50000"
    code, out = cli("services", "asset", "w", "--name", "filter", "--json")
    asset = json.loads(out)["id"]
    code, out = cli("services", "repair", asset, "--what", "membrane", "--who", "m-a", "--done", "--json")
    assert code == 0, out
    code, out = cli("services", "account", "--month", "2026-08", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data["areas"]["NKH"]["water"]) == ["network_litres", "network_households", "state_no_water_days",
                                                   "state_days_recorded", "state_no_water_share"]
    assert data["areas"]["NKH"]["water"]["network_litres"] == 60 and data["areas"]["NKH"]["water"]["state_no_water_days"] == 6
    code, out = cli("services", "account", "--month", "2026-08")
    assert code == 0 and "Palm" in out and "NKH" not in out  # the area by its name, "Palm Quarter" (a narrow table wraps it)
    code, out = cli("services", "trend", "--month", "2026-08", "--months", "2", "--json")
    assert code == 0 and [m["month"] for m in json.loads(out)["months"]] == ["2026-07", "2026-08"]
    for args in (("services", "list"), ("services", "show", "w")):
        code, out = cli(*args)
        assert code == 0, out


def test_rota_from_the_cli(vault, cli):
    neighbourhood(vault)
    vault.close()
    cli("services", "add", "care", "--kind", "childcare", "--area", "NKH", *[x for m in MEMBERS for x in ("--rota", m)])
    code, out = cli("services", "rota", "care", "--start", "2026-06-01", "--weeks", "4", "--seed", "1", "--json")
    assert code == 0 and json.loads(out)["fair"] is True
    code, out = cli("services", "rota", "care", "--start", "2026-06-01", "--weeks", "4")
    assert code == 0, out


def test_tactic_choice_from_the_cli(vault, cli):
    neighbourhood(vault)
    vault.close()
    code, out = cli("decide", "tactic", "--circle", "c0", "--tactic", "lib-flint-water-testing", "--tactic",
                    "lib-cape-town-day-zero", "--month", "2026-09", "--json")
    assert code == 0, out
    data = json.loads(out)
    cli("decide", "position", data["id"], "--member", "m-a", "--choice", data["options"][1])
    cli("decide", "close", data["id"])
    code, out = cli("decide", "adopt", data["id"], "--month", "2026-09", "--json")
    assert code == 0, out
    assert json.loads(out)["tactic_id"] == "lib-cape-town-day-zero"
