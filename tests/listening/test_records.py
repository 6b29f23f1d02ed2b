"""Recording grievances: validation, themes, groups, voice notes, deletion, rebuild."""

from __future__ import annotations

import pytest

import halqa.listening as L
from halqa.errors import InvalidInput, NotFound


def test_add_and_read_back(areas_vault):
    g = L.add_grievance(areas_vault, themes=["water", "electricity"], place="sht", day="2026-03-02",
                        text="ماي الاسالة مالح", groups={"sect": "Shia", "origin": "returnee"}, tone="bitter humour", count=3)
    assert g.themes == ["electricity", "water"]
    assert g.place == "SHT" and g.day == "2026-03-02" and g.count == 3
    assert g.groups == {"origin": "returnee", "sect": "shia"}
    assert g.tone == "bitter_humour" and g.lang == "ar" and g.confirmed is True
    assert L.get_grievance(areas_vault, g.id) == g
    assert [x.id for x in L.list_grievances(areas_vault, theme="water")] == [g.id]
    assert L.list_grievances(areas_vault, theme="rent") == []


@pytest.mark.parametrize(("kwargs", "msg"), [
    ({"place": "", "day": "2026-01-01"}, "listening.place_missing"),
    ({"place": "33.31, 44.36", "day": "2026-01-01"}, "listening.place_gps"),
    ({"place": "NKH", "day": ""}, "error.day_missing"),
    ({"place": "NKH", "day": "2026-01-01T10:30"}, "error.day_has_time"),
    ({"place": "NKH", "day": "01/02/2026"}, "error.bad_day"),
    ({"place": "NKH", "day": "2999-01-01"}, "error.day_future"),
    ({"place": "NKH", "day": "2026-01-01", "themes": ["weather"]}, "listening.unknown_theme"),
    ({"place": "NKH", "day": "2026-01-01", "groups": {"caste": "x"}}, "listening.unknown_group_key"),
    ({"place": "NKH", "day": "2026-01-01", "groups": {"origin": "tourist"}}, "listening.bad_group_choice"),
    ({"place": "NKH", "day": "2026-01-01", "tone": "furious"}, "listening.bad_tone"),
    ({"place": "NKH", "day": "2026-01-01", "count": 0}, "listening.bad_count"),
    ({"place": "8a2a1072b59ffff", "day": "2026-01-01"}, "listening.place_too_fine"),
    ({"place": "no place!", "day": "2026-01-01"}, "listening.bad_place"),
])
def test_bad_input_is_refused_with_a_reason(areas_vault, kwargs, msg):
    with pytest.raises(InvalidInput) as exc:
        L.add_grievance(areas_vault, **kwargs)
    assert exc.value.msg_id == msg
    assert exc.value.exit_code == 2
    assert L.list_grievances(areas_vault) == []


def test_coarse_h3_place_accepted(vault):
    import h3

    cell = h3.latlng_to_cell(30.5, 47.8, 7)
    g = L.add_grievance(vault, themes=["water"], place=cell.upper(), day="2026-01-05")
    assert g.place == cell


def test_theme_and_group_vocabulary(vault):
    ids = {t.id for t in L.themes(vault)}
    assert {"wages", "unemployment", "electricity", "water", "rent", "prices", "generator", "corruption", "health",
            "education", "security", "sanitation", "food"} == ids
    assert all(t.name_ar and t.name_ckb and t.name_en for t in L.themes(vault))
    L.add_theme(vault, "dust_storms", name_ar="العواصف الترابية", name_en="Dust storms", keywords=["عجاج", "dust"])
    with pytest.raises(InvalidInput):
        L.add_theme(vault, "Bad Id", name_en="x")
    with pytest.raises(InvalidInput):
        L.add_theme(vault, "nameless")
    g = L.add_grievance(vault, themes=["dust_storms"], place="NKH", day="2026-01-05")
    assert g.themes == ["dust_storms"]
    L.add_group_key(vault, "sector", ["port", "oil"])
    with pytest.raises(InvalidInput):
        L.add_grievance(vault, place="NKH", day="2026-01-05", groups={"sector": "farm"})
    with pytest.raises(InvalidInput):
        L.add_group_key(vault, "district")


def test_voice_note_is_kept_inside_the_vault(vault, vault_path):
    audio = bytes(range(256)) * 40
    g = L.add_grievance(vault, themes=["wages"], place="MNA", day="2026-02-01", voice=audio, voice_mime="audio/ogg")
    assert L.voice_note(vault, g.id) == (audio, "audio/ogg")
    # Not in any file on disk in the clear (SQLCipher encrypts every page).
    for f in vault_path.iterdir():
        assert audio[:512] not in f.read_bytes()
    vid = L.attach_voice(vault, g.id, b"second note")
    assert L.voice_note(vault, g.id)[0] == b"second note"
    assert vault.query_one("SELECT count(*) FROM listening_voice")[0] == 1
    L.delete_grievance(vault, g.id)
    assert vault.query_one("SELECT count(*) FROM listening_voice WHERE id = ?", (vid,))[0] == 0
    with pytest.raises(NotFound):
        L.voice_note(vault, g.id)


def test_confirm_delete_and_rebuild_are_consistent(vault):
    a = L.add_grievance(vault, place="NKH", day="2026-01-01", text="الكهرباء مقطوعة", groups={"sect": "sunni"})
    b = L.add_grievance(vault, themes=["rent"], place="SUQ", day="2026-01-02")
    assert a.confirmed is False
    L.confirm_themes(vault, a.id, ["electricity"])
    L.delete_grievance(vault, b.id)
    before = vault.digests()
    links = vault.query("SELECT gid, theme FROM listening_grievance_theme")
    assert [tuple(r) for r in links] == [(a.id, "electricity")]
    after = vault.rebuild()
    assert {k: v for k, v in before.items() if k.startswith("listening")} == \
        {k: v for k, v in after.items() if k.startswith("listening")}
    with pytest.raises(NotFound):
        L.get_grievance(vault, b.id)


def test_get_grievances_reads_them_in_the_order_asked(areas_vault):
    from halqa.listening.read import get_grievance, get_grievances

    made = [L.add_grievance(areas_vault, themes=["water"], place="NKH", day=f"2026-01-0{i + 1}", text=f"ماي {i}")
            for i in range(4)]
    asked = [made[2].id, made[0].id, made[2].id, made[3].id]
    assert get_grievances(areas_vault, asked) == [get_grievance(areas_vault, g) for g in asked]
    assert get_grievances(areas_vault, []) == []
    with pytest.raises(NotFound):
        get_grievances(areas_vault, [made[1].id, "g-none"])
