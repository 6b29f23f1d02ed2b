"""The one field parser: any form or JSON value gives the typed value or a 400 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halqa.errors import InvalidInput
from halqa.web.fields import MISSING, Upload, parse_field

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                    max_leaves=10)
KINDS = (str, int, bool, dt.date, list, Upload)
TYPES = {str: str, int: int, bool: bool, dt.date: dt.date, list: list, Upload: Upload}


@given(raw=JSON, kind=st.sampled_from(KINDS), from_json=st.booleans())
def test_any_value_is_typed_or_a_400_naming_the_field(raw, kind, from_json):
    try:
        value = parse_field("f", raw, kind, from_json=from_json)
    except InvalidInput as err:
        assert err.exit_code == 2 and err.params["field"] == "f" and err.msg_id.startswith("web.error.field.")
    else:
        assert isinstance(value, TYPES[kind]) and not (kind is int and isinstance(value, bool))


@given(st.integers(min_value=-10**17, max_value=10**17))
def test_whole_numbers_from_forms_and_json(n):
    assert parse_field("n", str(n), int) == n == parse_field("n", n, int, from_json=True)


@given(st.dates())
def test_days_round_trip(day):
    assert parse_field("d", day.isoformat(), dt.date) == day


def test_the_cases_people_meet():
    assert parse_field("count", None, int, 1) == 1 and parse_field("count", "  ", int, 1) == 1
    assert parse_field("apply", "yes", bool) is True and parse_field("apply", "off", bool) is False
    assert parse_field("themes", "water", list) == ["water"]  # a form field given once
    assert parse_field("themes", ["water", " ", "prices"], list) == ["water", "prices"]
    assert parse_field("text", ["first", "last"], str) == "last"  # a repeated form field
    for raw, kind, msg in (("many", int, "number"), (True, int, "number"), ("١٢", int, "number"), ("2026-02-30", dt.date, "day"),
                           ("maybe", bool, "yes_no"), ("water", list, "list"), (["JSR"], str, "text"), ("x", Upload, "file")):
        with pytest.raises(InvalidInput) as caught:
            parse_field("f", raw, kind, from_json=isinstance(raw, bool) or (kind is list) or isinstance(raw, list))
        assert caught.value.msg_id == f"web.error.field.{msg}", (raw, kind)
    with pytest.raises(InvalidInput) as caught:
        parse_field("place", "", str, MISSING)
    assert caught.value.msg_id == "web.error.field.missing" and caught.value.params == {"field": "place"}
    with pytest.raises(InvalidInput) as caught:
        parse_field("strength", "9", int, minimum=1, maximum=5)
    assert caught.value.msg_id == "web.error.field.range" and caught.value.params["maximum"] == "5"
    with pytest.raises(InvalidInput) as caught:
        parse_field("state", "dark", str, choices=("off", "on"))
    assert caught.value.params == {"field": "state", "value": "dark", "known": "off, on"}
