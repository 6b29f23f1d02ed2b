"""``--json`` output carries no raw bidi or invisible format characters (issue 21).

A contact name, a pseudonym or a grievance text comes from other people; an informant can put
U+202E (right-to-left override), the isolates U+2066..2069 or U+200F in it so that what a person or
a script sees in ``--json`` output is reordered (``"name": "evil", "role": "organiser"`` shown in
another order, a path or a key read backwards). JSON itself escapes only what is below U+0020, so
the CLI escapes every control, format (Unicode Cf) and line/paragraph separator as ``\\uXXXX``: the
output shows them as text, and a script that decodes the JSON gets the original string back.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halqa import places
from halqa.cli.common import json_text

AGE = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
#: RLO, the isolates, RLM, LRM, ALM, a zero-width joiner, a C1 control, a line separator and a tag
#: character (outside the BMP): all allowed in a contact name.
HOSTILE = "ali\u202egnp.exe\u2066x\u2067y\u2068z\u2069\u200f\u200e\u061c\u200d\x85\u2028\U000e0041 علي"


def _raw_invisible(text: str) -> list[str]:
    return [hex(ord(c)) for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c != "\n"]


def test_contacts_list_json_escapes_a_hostile_name(cli, vault):
    code, out = cli("--yes", "contacts", "add", HOSTILE, "--age-recipient", AGE)
    assert code == 0, out
    code, out = cli("contacts", "list", "--json")
    assert code == 0, out
    assert _raw_invisible(out) == []
    assert "\\u202e" in out and "\\udb40\\udc41" in out  # shown, not obeyed
    assert HOSTILE in [c["name"] for c in json.loads(out)]  # lossless


def test_grievance_text_and_an_error_are_escaped_too(cli, vault):
    places.add_area(vault, "NKH", "حي النخيل")
    code, out = cli("--yes", "listen", "theme", "add", "mk", "--name-en", "m")
    assert code == 0, out
    code, out = cli("--yes", "listen", "add", "--theme", "mk", "--place", "NKH", "--day", "2026-01-05",
                    "--text", HOSTILE + "\x7f")
    assert code == 0, out
    code, out = cli("listen", "list", "--json")
    assert code == 0, out
    assert _raw_invisible(out) == []
    assert HOSTILE + "\x7f" in json.dumps(json.loads(out), ensure_ascii=False)
    # An error that echoes the value (``--json`` errors are JSON too).
    code, out = cli("--json", "circles", "show", HOSTILE)
    assert code != 0
    assert _raw_invisible(out) == []
    assert json.loads(out)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids, max_size=4),
                    max_leaves=12))
def test_escaping_is_lossless_and_leaves_no_invisible_character(data):
    text = json_text(data, indent=2)
    assert json.loads(text) == data
    assert _raw_invisible(text) == []


@pytest.mark.parametrize("visible", ["علي", "Ali", "ئاسۆ", "«x»"])
def test_ordinary_text_is_kept_as_it_is(visible):
    assert json_text({"name": visible}) == json.dumps({"name": visible}, ensure_ascii=False)
