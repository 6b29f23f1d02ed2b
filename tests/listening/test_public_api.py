"""The public surface of halqa.listening, pinned."""

from __future__ import annotations

import inspect

import halqa.listening as L


def test_all_is_pinned_and_documented():
    assert sorted(L.__all__) == sorted([
        "COLUMNS", "TONES", "Codebook", "ImportReport", "ListeningData", "ThemeModel", "add_grievance", "add_group_key",
        "add_theme", "attach_voice", "borders", "codebook", "confirm_themes", "decode_lines", "decoy", "delete_grievance",
        "demo", "detect_language", "encode_line", "get_grievance", "group_keys", "hotspots", "import_grievances",
        "list_grievances", "load_data", "normalise", "place_week_counts", "set_border", "shared_causes",
        "shared_causes_frame", "suggest_for_texts", "suggest_themes", "theme_trends", "themes", "train_model", "voice_note",
        "QUIET_ACTIONS", "adopt_codebook", "codebook_for_key", "fresh_codebook_key",
        # the typed results
        "Border", "DecodedLine", "Grievance", "GroupShare", "HotspotPlace", "Hotspots", "SharedCauses", "SharedTheme",
        "SuggestedThemes", "Theme", "ThemeSuggestion", "ThemeTrend"])
    for name in L.__all__:
        obj = getattr(L, name)
        if callable(obj):
            assert inspect.getdoc(obj), name


def test_catalogues_complete():
    import json
    from importlib import resources

    folder = resources.files("halqa.i18n")
    cats = {lang: json.loads(folder.joinpath(f"{lang}.listening.json").read_text(encoding="utf-8"))
            for lang in ("ar", "ckb", "en")}
    assert set(cats["ar"]) == set(cats["ckb"]) == set(cats["en"])
    assert all(k.startswith(("listening.", "field.")) or k == "step.listening" for k in cats["en"])  # and its demo labels
    assert sum(cats["ar"][k] != cats["en"][k] for k in cats["en"]) == len(cats["en"])


def test_demo_and_decoy(vault):
    import random

    import halqa.places as places

    rng = random.Random(7)
    places.demo(vault, rng, households_per_area=1)
    summary = L.demo(vault, rng, n=300)
    assert summary["grievances"] == 300 and summary["shared_causes"].startswith("Electricity")  # the name, in the language
    res = L.shared_causes(vault, by=["sect", "sector", "district"])
    assert res.themes[0].theme == "electricity"
    wages = next(t for t in res.themes if t.theme == "wages")
    assert wages.overall > 0.1 and wages.score < 0.02  # loud at the port only: not shared
    L.decoy(vault, rng)
