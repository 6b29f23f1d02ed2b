"""Days, record ids and JSON columns: one definition each (halqa.vault.values)."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from halqa.errors import InvalidInput
from halqa.i18n import LANGUAGES, catalogue
from halqa.vault import events, values
from halqa.vault.projections import _sql_value
from halqa.vault.values import check_day, check_stored_day, json_dict, json_list, json_text, new_id

SRC = Path(__file__).resolve().parents[2] / "src" / "halqa"
DAY_ERRORS = {"error.bad_day", "error.day_missing", "error.day_has_time", "error.day_future"}
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@given(days, st.sampled_from(["", " ", "\t", "  \n"]))
def test_a_day_round_trips_whatever_the_blanks_around_it(day, blank):
    assert check_day(blank + day.isoformat() + blank) == day.isoformat()
    assert check_day(day) == day.isoformat()


@given(st.text(alphabet=string.digits + "\u0660\u0665\u06f9-T:/ .W+Z", max_size=24) | st.text(max_size=24))
def test_any_text_is_a_canonical_day_or_one_of_four_messages(text):
    try:
        out = check_day(text, required=True)
    except InvalidInput as err:
        assert err.msg_id in DAY_ERRORS
    else:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", out) and date.fromisoformat(out).isoformat() == out
        assert out == text.strip().translate(values._DIGITS)


@given(days)
def test_arabic_indic_and_persian_digits_are_digits(day):
    iso = day.isoformat()
    for zero in ("\u0660", "\u06f0"):
        typed = "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in iso)
        assert check_day(typed) == iso


@given(days, st.times())
def test_a_time_of_day_is_refused_never_cut_off(day, time):
    for text in (f"{day.isoformat()}T{time.isoformat()}", f"{day.isoformat()} {time.isoformat()}"):
        with pytest.raises(InvalidInput) as err:
            check_day(text)
        assert err.value.msg_id == "error.day_has_time"
    with pytest.raises(InvalidInput) as err:
        check_day(datetime.combine(day, time))
    assert err.value.msg_id == "error.day_has_time"


@pytest.mark.parametrize("text", ["20260501", "2026-W18-5", "2026-5-1", "01/05/2026", "2026-02-30", "2026-13-01", "yesterday"])
def test_other_shapes_and_impossible_dates_are_not_days(text):
    with pytest.raises(InvalidInput) as err:
        check_day(text)
    assert err.value.msg_id == "error.bad_day"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(-400, 400))
def test_past_allows_one_day_of_margin_and_no_more(now, offset):
    day = now + timedelta(days=offset)
    if offset <= 1:
        assert check_day(day.isoformat(), past=True, now=now) == day.isoformat()
    else:
        with pytest.raises(InvalidInput) as err:
            check_day(day.isoformat(), past=True, now=now.isoformat())
        assert err.value.msg_id == "error.day_future"
    assert check_day(day.isoformat(), now=now) == day.isoformat()  # without past, any day


def test_blank_is_today_unless_required():
    assert check_day(None) == check_day("") == check_day("  ") == values.today()
    assert check_day(None, now="2026-05-01") == "2026-05-01"
    with pytest.raises(InvalidInput) as err:
        check_day(" ", required=True)
    assert err.value.msg_id == "error.day_missing"


@pytest.mark.parametrize("utc", ["2026-05-01T21:30:00", "2026-05-01T23:59:59", "2026-05-01T00:00:00"])
def test_today_is_the_day_a_day_precision_clock_stamps(monkeypatch, utc):
    """22:30 UTC is already the next day in Baghdad: the default day is still the clock's day."""
    moment = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    ms = int(moment.timestamp() * 1000)
    monkeypatch.setattr(events, "wall_ns", lambda: ms * 1_000_000)
    stamp = events.HLC().tick_day()
    assert events.is_day_clock(stamp)
    assert values.today() == values.day_of_ms(events.HLC.wall(stamp)) == "2026-05-01"
    assert values.today_date() == date(2026, 5, 1)


@pytest.mark.parametrize("value", [" 2026-05-01", "2026-05-01 ", 20260501, None, "2026-05-01T00:00"])
def test_a_stored_day_is_exactly_the_iso_text(value):
    with pytest.raises(InvalidInput):
        check_stored_day(value)
    assert check_stored_day("2026-05-01") == "2026-05-01"


def test_the_day_messages_exist_in_every_language_with_the_same_placeholders():
    for lang in LANGUAGES:
        for msg_id in DAY_ERRORS:
            assert msg_id in catalogue(lang)
            assert ("{day}" in catalogue(lang)[msg_id]) == ("{day}" in catalogue("en")[msg_id])


def test_ids_are_random_hex_with_an_optional_prefix():
    many = {new_id() for _ in range(2000)}
    assert len(many) == 2000 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in many)
    assert re.fullmatch(r"e-[0-9a-f]{16}", new_id("e"))
    assert re.fullmatch(r"[0-9a-f]{8}", new_id(nbytes=4))


json_values = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@given(st.lists(json_values, max_size=6), st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_json_columns_round_trip_as_the_projections_write_them(items, mapping):
    assert json_text(items) == _sql_value(items)
    assert json_text(mapping) == _sql_value(mapping)
    assert json_list(json_text(items)) == items
    assert json_dict(json_text(mapping)) == mapping
    assert json_list(None) == json_list("") == [] and json_dict(None) == {}
    assert msgspec.json.decode(json_text(mapping)) == mapping


def test_no_other_module_defines_days_ids_or_today():
    """The duplicates stay gone: no second day parser, id maker or local "today" in the code."""
    own = re.compile(r"^def (check_day|new_id|_new_id|today|json_field|json_list|json_dict)\(", re.M)
    local_today = re.compile(r"\bdate\.today\(\)|datetime\.now\(\)")
    for path in SRC.rglob("*.py"):
        if path.name == "values.py" and path.parent.name == "vault":
            continue
        text = path.read_text(encoding="utf-8")
        assert not own.findall(text), f"{path.relative_to(SRC)} defines {own.findall(text)}"
        assert not local_today.findall(text), f"{path.relative_to(SRC)}: the local today; use halqa.vault.values.today"
