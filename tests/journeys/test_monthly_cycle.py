"""One month of a circle's cycle through the command line, as an organiser types it, across two
vaults: the circle's and an ally's abroad. Every step checks the script-facing output."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

FAST = ["--kdf-memory", "8", "--kdf-time", "1", "--kdf-lanes", "1"]
AREAS = ["NKH", "MNA", "SHT"]


def write_inputs(folder: Path) -> dict[str, Path]:
    rng = random.Random(4)
    households = [f"hh-{i:03d}" for i in range(30)]
    files = {}
    files["households"] = folder / "households.csv"
    files["households"].write_text("household,area\n" + "".join(f"{h},{AREAS[i % 3]}\n" for i, h in enumerate(households)))
    rows = ["household,area,start,end,source"]
    for day in range(1, 29):
        for i, h in enumerate(households):
            start = 12 + rng.randint(0, 3)
            rows.append(f"{h},{AREAS[i % 3]},2026-10-{day:02d}T{start:02d}:00:00,2026-10-{day:02d}T{start + 2:02d}:30:00,grid")
    rows.append("hh-000,NKH,2026-10-05T10:00:00,2026-10-05T09:00:00,grid")  # ends before it starts
    files["outages"] = folder / "outages.csv"
    files["outages"].write_text("\n".join(rows) + "\n")
    rows = ["text,themes,place,day,groups,tone,count"]
    for i in range(60):
        theme = ("water", "electricity", "wages")[i % 3]
        sect = ("sunni", "shia")[i % 2]
        rows.append(f"heard at the market {i},{theme},{AREAS[i % 3]},2026-10-{1 + i % 28:02d},sect={sect},angry,1")
    rows.append("no place given,water,,2026-10-02,,angry,1")  # place is required
    files["grievances"] = folder / "grievances.csv"
    files["grievances"].write_text("\n".join(rows) + "\n")
    members = [f"m{i:02d}" for i in range(24)]
    files["members"] = folder / "members.csv"
    files["members"].write_text("pseudonym,sect\n" + "".join(f"{m},{('sunni', 'shia')[i % 2]}\n" for i, m in enumerate(members)))
    ties = set()
    for i in range(24):
        for j in (1, 2, 3):
            ties.add((members[i], members[(i + j) % 24]))
    files["vouches"] = folder / "vouches.csv"
    files["vouches"].write_text("from,to,strength\n" + "".join(f"{a},{b},{rng.randint(3, 5)}\n" for a, b in sorted(ties)))
    return files


def test_a_month_of_the_cycle(cli, tmp_path, monkeypatch, vault_path):
    files = write_inputs(tmp_path)
    run = cli

    def ok(*args: str, stdin: str = "") -> str:
        code, out = run(*args, stdin=stdin)
        assert code == 0, (args, out)
        return out

    ok("init", *FAST)
    # 1. listen: import what was heard; the bad row is reported, the good ones kept
    imported = json.loads(ok("listen", "import", str(files["grievances"]), "--json"))
    assert imported["kept"] == 60
    assert [r["line"] for r in imported["rejected"]] == [62]  # header + 60 good rows, then the bad one
    shared = json.loads(ok("listen", "shared", "--by", "sect", "--json"))
    assert shared["themes"] and {"theme", "score", "groups"} <= set(shared["themes"][0])
    line = ok("listen", "encode", "--theme", "water", "--count", "3", "--place", "NKH").strip()
    decoded = json.loads(ok("listen", "decode", stdin=line + "\n").strip().splitlines()[0])
    assert decoded == {"theme": "water", "count": 3, "place": "NKH"}
    # 2. count: enrol households, import a month of outages, get the evidence
    ok("ledger", "households", "import", str(files["households"]))
    code, out = run("ledger", "import", str(files["outages"]))
    assert code == 0 and "rejected" in out.lower()  # the interval that ends before it starts
    report = json.loads(ok("ledger", "report", "--from", "2026-10-01", "--to", "2026-10-28", "--json"))
    nkh = report["areas"]["NKH"]
    assert nkh["households"] == 10 and nkh["saifi"] == pytest.approx(28, rel=0.01)
    assert nkh["saidi_minutes"] == pytest.approx(28 * 150, rel=0.01)
    # 3. form circles from who vouches for whom
    ok("circles", "member", "import", str(files["members"]))
    ok("circles", "vouch", "import", str(files["vouches"]))
    formed = json.loads(ok("circles", "form", "--min", "5", "--max", "7", "--mix", "sect", "--apply", "--json"))
    assert formed["circles"] and all(5 <= len(c["members"]) <= 7 for c in formed["circles"])
    # 4. care: a fund and a savings pool
    ok("fund", "create", "families", "--currency", "IQD")
    ok("fund", "contribute", "families", "--from", "m01", "--amount", "25000")
    ok("fund", "disburse", "families", "--to", "m02", "--amount", "10000", "--purpose", "medicine")
    assert json.loads(ok("fund", "statement", "families", "--json"))["balance"] == "15000"
    ok("pool", "create", "jamiya", "--members", "m01,m02,m03", "--amount", "50000", "--period", "monthly",
       "--order", "agreed")
    ok("pool", "pay", "jamiya", "--member", "m01", "--round", "1")
    assert json.loads(ok("pool", "status", "jamiya", "--json"))
    # 5. learn: a fair year of sessions
    plan = json.loads(ok("learn", "plan", "--months", "12", "--json"))
    assert len({s["month"] for s in plan["sessions"]}) == 12
    # 6. link: seal aggregates to an ally, who opens them in their own vault
    ally = tmp_path / "ally.halqa"
    code, _ = run("--vault", str(ally), "init", *FAST)
    assert code == 0
    ally_id = json.loads(ok("--vault", str(ally), "id", "show", "--json"))
    ok("contacts", "add", "ally", "--age-recipient", ally_id["age_recipient"])
    ok("sync", "export", "--to", "ally", "--aggregate-only", "-o", str(tmp_path / "october.age"))
    # the ally pairs with the circle's device (its QR code carries this text) before importing
    from halqa import domains
    from halqa.bridge.keys import pairing_text
    from halqa.vault import Vault

    domains.load()
    with Vault.open(vault_path, "correct horse battery staple") as circle:
        text = pairing_text(circle)
    ok("--vault", str(ally), "contacts", "add", "circle", "--text", text, "--verified", "in-person", "--role", "circle")
    imported = json.loads(ok("--vault", str(ally), "sync", "import", str(tmp_path / "october.age"), "--json"))
    assert imported["commits_new"] >= 1 and imported["events_new"] >= 1
    # 7. publish a poster from the circle's own data
    ok("poster", "blackouts", "--area", "NKH", "--style", "print1", "-o", str(tmp_path / "nkh.pdf"))
    assert (tmp_path / "nkh.pdf").read_bytes()[:5] == b"%PDF-"
    # and keep a backup before the next checkpoint
    ok("backup", "-o", str(tmp_path / "circle.bak"))
    shutil.copy(tmp_path / "circle.bak", tmp_path / "usb-stick.bak")  # carried away from the phone
    ok("panic", "--yes")
    assert not vault_path.exists()
    assert not (tmp_path / "circle.bak").exists() and not (tmp_path / "nkh.pdf").exists()  # panic shreds them
    ok("restore", str(tmp_path / "usb-stick.bak"))
    assert json.loads(ok("fund", "statement", "families", "--json"))["balance"] == "15000"
