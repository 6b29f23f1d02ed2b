import json
import re
from pathlib import Path

import pytest

from halqa.cli.mutual_aid import fund_app, pool_app, repairs_app, tools_app

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "mutual_aid.md"


@pytest.fixture
def ready(cli):
    assert cli("init", "--kdf-memory", "8", "--kdf-time", "1")[0] == 0
    return cli


def test_scripts_interface_exactly(ready, tmp_path):
    cli = ready
    assert cli("fund", "create", "families", "--currency", "IQD")[0] == 0
    assert cli("fund", "contribute", "families", "--from", "hh-7qk2", "--amount", "25000")[0] == 0
    assert cli("fund", "disburse", "families", "--to", "hh-9abc", "--amount", "10000", "--purpose", "medicine")[0] == 0
    code, out = cli("fund", "statement", "families", "--json")
    data = json.loads(out)
    assert code == 0 and data["balance"] == "15000" and data["currency"] == "IQD"
    code, out = cli("fund", "export", "-o", str(tmp_path / "f.beancount"))
    assert code == 0 and "Assets:Funds:Families:Cash" in (tmp_path / "f.beancount").read_text(encoding="utf-8")
    code, _ = cli("pool", "create", "port", "--members", "A1,B2,C3", "--amount", "50000", "--period", "monthly",
                  "--order", "random")
    assert code == 0
    assert cli("pool", "draw", "port", "--seed", "4417")[0] == 0
    assert cli("pool", "pay", "port", "--member", "A1", "--round", "1")[0] == 0
    code, out = cli("pool", "status", "port", "--json")
    status = json.loads(out)
    assert code == 0 and status["round"] == 1
    assert {o["member"]: o["left"] for o in status["this_round"]["owes"]}["A1"] == "0"


def test_bad_input_exit_codes_and_nothing_written(ready):
    cli = ready
    cli("fund", "create", "f")
    _, before = cli("info", "--json")
    for args in (["fund", "disburse", "f", "--to", "hh-a", "--amount", "1", "--purpose", "fuel"],
                 ["fund", "contribute", "f", "--from", "hh-a", "--amount", "-5"],
                 ["fund", "contribute", "f", "--from", "hh-a", "--amount", "1" + "0" * 20],
                 ["fund", "contribute", "f", "--from", "hh-a", "--amount", "5", "--currency", "XXX"],
                 ["fund", "contribute", "nofund", "--from", "hh-a", "--amount", "5"]):
        code, out = cli(*args, "--json")
        assert code == 2, args
        assert json.loads(out)["error"].startswith("mutual_aid.error.")
    _, after = cli("info", "--json")
    assert json.loads(before)["events"] == json.loads(after)["events"]
    assert cli("fund", "disburse", "f", "--to", "hh-a", "--amount", "1", "--purpose", "fuel", "--overdraft")[0] == 0


def test_human_output_in_arabic(ready):
    cli = ready
    cli("pool", "create", "p", "--members", "a1,a2", "--amount", "100", "--order", "agreed")
    cli("pool", "draw", "p")
    code, out = cli("--lang", "ar", "pool", "status", "p")
    assert code == 0 and "جمعية" in out
    code, out = cli("--lang", "ckb", "pool", "pay", "p", "--member", "zz", "--round", "1")
    assert code == 2


def test_tools_and_repairs_commands(ready):
    cli = ready
    code, out = cli("tools", "add", "drill", "--keeper", "hh-k", "--json")
    assert code == 0
    item = json.loads(out)["id"]
    assert cli("tools", "lend", item, "--to", "hh-b", "--days", "2", "--day", "2026-01-01")[0] == 0
    _, out = cli("tools", "list", "--overdue", "--today", "2026-01-10", "--json")
    assert [i["id"] for i in json.loads(out)] == [item]
    assert cli("tools", "return", item)[0] == 0
    _, out = cli("repairs", "log", "generator", "--area", "NKH", "--who", "hh-a,hh-b", "--part", "filter", "--json")
    rid = json.loads(out)["id"]
    assert cli("repairs", "done", rid)[0] == 0
    _, out = cli("repairs", "list", "--json")
    assert json.loads(out)[0]["done"]


def _commands():
    for group, app in (("fund", fund_app), ("pool", pool_app), ("tools", tools_app), ("repairs", repairs_app)):
        for c in app.registered_commands:
            yield f"halqa {group} {c.name}"


def test_every_command_is_in_the_guide():
    text = GUIDE.read_text(encoding="utf-8")
    missing = [c for c in _commands() if c not in text]
    assert not missing


def test_catalogues_complete_and_consistent():
    src = Path(__file__).resolve().parents[2] / "src" / "halqa"
    cats = {lang: json.loads((src / "i18n" / f"{lang}.mutual_aid.json").read_text(encoding="utf-8"))
            for lang in ("ar", "ckb", "en")}
    assert cats["ar"].keys() == cats["en"].keys() == cats["ckb"].keys()
    for key, en in cats["en"].items():
        for lang in ("ar", "ckb"):
            assert set(re.findall(r"{(\w+)}", cats[lang][key])) == set(re.findall(r"{(\w+)}", en)), (lang, key)
            if lang != "en" and re.search(r"[a-z]{4}", en.replace("halqa", "")):
                assert cats[lang][key] != en or not re.search("[a-z]", en), (lang, key)
    used = set()
    for f in [*(src / "mutual_aid").glob("*.py"), src / "cli" / "mutual_aid.py"]:
        used |= set(re.findall(r'"(mutual_aid\.(?:error|msg)\.[a-z_]+)"', f.read_text(encoding="utf-8")))
    assert used - cats["en"].keys() == set()
