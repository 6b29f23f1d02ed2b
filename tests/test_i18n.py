"""Every message exists in Arabic, Sorani and English, and every id the code names exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from halqa.i18n import LANGUAGES, catalogue, t

SRC = Path(__file__).resolve().parents[1] / "src" / "halqa"


def test_catalogues_have_the_same_ids_and_placeholders():
    en = catalogue("en")
    fmt = string.Formatter()
    for lang in LANGUAGES:
        cat = catalogue(lang)
        assert set(cat) == set(en), f"{lang}: missing {set(en) - set(cat)}, extra {set(cat) - set(en)}"
        for key, text in cat.items():
            fields = {f for _, f, _, _ in fmt.parse(text) if f}
            want = {f for _, f, _, _ in fmt.parse(en[key]) if f}
            assert fields == want, f"{lang}:{key} placeholders {fields} != {want}"


def test_arabic_and_sorani_are_really_translated():
    for lang, script in (("ar", "\u0600"), ("ckb", "\u0600")):
        cat = catalogue(lang)
        untranslated = [k for k, v in cat.items() if v == catalogue("en")[k] and not v.startswith("{")]
        assert len(untranslated) <= len(cat) // 20, untranslated[:10]
        assert any(script <= ch <= "\u06ff" for ch in "".join(cat.values()))


ID = re.compile(r"""(?:Error|Input|Found|Denied|Passphrase|Locked|Unreadable|Missing|Corrupt)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
T_CALL = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_every_message_id_in_the_code_exists(path):
    en = catalogue("en")
    text = path.read_text(encoding="utf-8")
    # ids built at run time ("prefix." + value) end in '.' or '_' here: not checkable statically
    missing = {m for m in ID.findall(text) + T_CALL.findall(text) if m not in en and m[-1] not in "._"}
    assert not missing, f"{path.name}: {sorted(missing)}"


def test_fallback_and_language_codes():
    assert t("no.such.message") == "no.such.message"
    assert t("error.wrong_passphrase", lang="ar").startswith("عبارة")
    assert t("error.wrong_passphrase", lang="ku_IQ.UTF-8") == t("error.wrong_passphrase", lang="ckb")


def test_no_message_id_is_defined_twice():
    """Each id lives in one catalogue file per language, so no domain silently overrides another."""
    import json

    folder = SRC / "i18n"
    for lang in LANGUAGES:
        owners: dict[str, str] = {}
        for path in sorted(folder.glob(f"{lang}.*json")):
            for key in json.loads(path.read_text(encoding="utf-8")):
                assert key not in owners, f"{key} in both {owners[key]} and {path.name}"
                owners[key] = path.name


def test_every_demo_step_has_a_heading():
    from halqa import domains

    for mod in domains.load():
        if hasattr(mod, "demo"):
            step = mod.__name__.rsplit(".", 1)[-1]
            for lang in LANGUAGES:
                assert f"step.{step}" in catalogue(lang), f"{lang}: step.{step}"
