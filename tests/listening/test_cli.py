"""The ``halqa listen`` commands, including the script interface exactly as documented."""

from __future__ import annotations

import json
from pathlib import Path

import halqa.listening as L


def test_add_without_prompts(cli, vault):
    code, out = cli("listen", "add", "--theme", "water", "--theme", "electricity", "--place", "SHT", "--day", "2026-03-01",
                    "--text", "ماي مالح", "--group", "sect=shia", "--group", "sector=port", "--yes", "--json")
    assert code == 0, out
    g = json.loads(out)
    assert g["themes"] == ["electricity", "water"] and g["groups"] == {"sect": "shia", "sector": "port"}
    code, out = cli("listen", "add", "--theme", "weather", "--place", "SHT", "--day", "2026-03-01", "--yes", "--json")
    assert code == 2 and json.loads(out)["error"] == "listening.unknown_theme"
    code, _ = cli("listen", "add", "--theme", "water", "--day", "2026-03-01", "--yes")
    assert code == 2


def test_import_prints_kept_and_rejected(cli, vault, tmp_path: Path):
    path = tmp_path / "in.csv"
    path.write_text("text,themes,place,day,groups,tone,count\n,water,SHT,2026-03-01,sect=sunni|sector=port,,\n"
                    ",weather,SHT,2026-03-01,,,\n", encoding="utf-8")
    code, out = cli("listen", "import", str(path))
    assert code == 0
    assert "Kept 1" in out and "line 3" in out and "weather" in out
    code, out = cli("listen", "import", str(path), "--json")
    assert code == 0 and json.loads(out)["kept"] == 1 and json.loads(out)["rejected"][0]["line"] == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("text,themes,place,day,groups,tone,count\n,weather,SHT,2026-03-01,,,\n", encoding="utf-8")
    code, _ = cli("listen", "import", str(bad))
    assert code == 2


def test_shared_json_shape(cli, vault):
    for place, sect in [("NKH", "shia"), ("SUQ", "sunni"), ("SHT", "christian")] * 12:
        L.add_grievance(vault, themes=["electricity", "wages"] if place == "NKH" else ["electricity"],
                        place=place, day="2026-02-02", groups={"sect": sect})
    L.add_grievance(vault, themes=["water"], place="JSR", day="2026-02-02", groups={"sect": "shia"})
    code, out = cli("listen", "shared", "--by", "sect,district", "--json")
    assert code == 0, out
    res = json.loads(out)
    assert set(res) == {"themes", "too_few"}
    assert res["too_few"] == ["district=JSR"]
    scores = [t["score"] for t in res["themes"]]
    assert scores == sorted(scores, reverse=True) and res["themes"][0]["theme"] == "electricity"
    g = res["themes"][0]["groups"]["sect=shia"]
    assert set(g) == {"prevalence", "low", "high", "n"} and g["n"] == 13
    code, out = cli("listen", "shared", "--by", "sect")
    assert code == 0 and "Electricity" in out and "sect: Shia" in out  # names for people, not ids
    code, out = cli("--lang", "ar", "listen", "shared", "--by", "sect")
    assert code == 0 and "الكهرباء" in out and "المذهب: شيعي" in out and "electricity" not in out


def test_encode_decode(cli, vault):
    code, line = cli("listen", "encode", "--theme", "water", "--count", "3", "--place", "SHT")
    assert code == 0 and len(line.strip().splitlines()) == 1
    code, out = cli("listen", "decode", stdin=line + "buy bread\n\n")
    assert code == 0
    got = [json.loads(x) for x in out.strip().splitlines()]
    assert got == [{"theme": "water", "count": 3, "place": "SHT"}, {"not_a_code": True}, {"not_a_code": True}]
    code, out = cli("listen", "codebook", "--json")
    assert code == 0 and "SHT" in json.loads(out)["places"]


def test_hotspots_suggest_confirm_theme_group_border(cli, vault, tmp_path):
    g = L.add_grievance(vault, place="NKH", day="2026-02-02", text="الكهرباء طافية من الصبح")
    code, out = cli("listen", "suggest", "--json")
    assert code == 0 and json.loads(out)[0]["suggestions"][0]["theme"] == "electricity"
    code, out = cli("listen", "confirm", g.id, "--theme", "electricity", "--json")
    assert code == 0 and json.loads(out)["confirmed"] is True
    assert cli("listen", "border", "NKH", "SUQ")[0] == 0
    code, out = cli("listen", "hotspots", "--weeks", "4", "--json")
    assert code == 0 and json.loads(out)["places"][0]["place"] in ("NKH", "SUQ")
    assert cli("listen", "hotspots")[0] == 0
    code, out = cli("listen", "theme", "add", "dust", "--name-en", "Dust storms", "--name-ar", "عجاج", "--json")
    assert code == 0 and json.loads(out)["id"] == "dust"
    assert "dust" in cli("listen", "theme", "list")[1]
    assert cli("listen", "group", "add", "job", "--value", "driver")[0] == 0
    assert "job" in cli("listen", "group", "list", "--json")[1]
    code, out = cli("listen", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 1
    voice = tmp_path / "note.ogg"
    voice.write_bytes(b"OggS fake audio")
    code, out = cli("listen", "add", "--theme", "wages", "--place", "MNA", "--day", "2026-02-02", "--voice", str(voice),
                    "--yes", "--json")
    gid = json.loads(out)["id"]
    dest = tmp_path / "back.ogg"
    assert cli("listen", "voice", gid, "-o", str(dest))[0] == 0 and dest.read_bytes() == b"OggS fake audio"
    assert cli("listen", "delete", gid, "--yes")[0] == 0


def test_json_shapes_are_pinned(cli, vault):
    """The keys ``--json`` gives for each listening result (the web API serialises the same results
    the same way): typed results must not change them."""
    grievance = ["id", "text", "themes", "place", "day", "groups", "tone", "count", "lang", "confirmed", "voice"]
    code, out = cli("listen", "add", "--theme", "water", "--place", "SHT", "--day", "2026-03-02", "--text", "ماي مالح",
                    "--group", "sect=shia", "--yes", "--json")
    g = json.loads(out)
    assert code == 0 and list(g) == grievance and g["voice"] is None and g["confirmed"] is True
    L.add_grievance(vault, place="NKH", day="2026-03-02", text="الكهرباء طافية")
    assert [list(r) for r in json.loads(cli("listen", "list", "--json")[1])] == [grievance, grievance]
    found = json.loads(cli("listen", "suggest", "--json")[1])
    assert [list(r) for r in found] == [["id", "text", "themes", "lang", "suggestions", "model_labels"]]
    assert list(found[0]["suggestions"][0]) == ["theme", "score", "sources"]
    found = json.loads(cli("listen", "suggest", "--text", "الماي مقطوع", "--json")[1])
    assert [list(r) for r in found] == [["text", "lang", "suggestions", "model_labels"]]
    assert list(json.loads(cli("listen", "confirm", g["id"], "--theme", "water", "--json")[1])) == grievance
    spots = json.loads(cli("listen", "hotspots", "--weeks", "4", "--json")[1])
    assert list(spots) == ["window", "theme", "places", "hot", "cold", "isolated", "method", "alpha", "trends"]
    assert list(spots["window"]) == ["from", "until"]
    assert list(spots["places"][0]) == ["place", "hearings", "grievances", "z", "p", "q", "hot", "cold", "neighbours"]
    assert list(spots["trends"][0]) == ["theme", "weekly", "slope", "relative", "p", "direction", "weeks_from"]
    assert "trends" not in json.loads(cli("listen", "hotspots", "--no-trends", "--json")[1])
    shared = json.loads(cli("listen", "shared", "--min-n", "1", "--json")[1])
    assert list(shared) == ["themes", "too_few"] and list(shared["themes"][0]) == ["theme", "score", "groups", "overall",
                                                                                    "weakest"]
    assert json.loads(cli("listen", "border", "NKH", "SUQ", "--json")[1]) == {"a": "NKH", "b": "SUQ", "touching": True}
    theme = json.loads(cli("listen", "theme", "add", "dust", "--name-en", "Dust storms", "--json")[1])
    assert theme == {"id": "dust", "name_ar": "", "name_ckb": "Dust storms", "name_en": "Dust storms", "keywords": [],
                     "default": False}
    assert list(json.loads(cli("listen", "theme", "list", "--json")[1])[0]) == list(theme)


def test_every_command_is_in_the_guide():
    import typer.main

    from halqa.cli.listening import listen_app

    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "listening.md").read_text(encoding="utf-8")
    group = typer.main.get_group(listen_app)

    def names(cmd, prefix):
        for name, sub in getattr(cmd, "commands", {}).items():
            if hasattr(sub, "commands"):
                yield from names(sub, f"{prefix} {name}")
            else:
                yield f"{prefix} {name}"

    missing = [n for n in names(group, "halqa listen") if n not in guide]
    assert not missing
