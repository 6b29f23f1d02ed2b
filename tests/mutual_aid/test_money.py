from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halqa.errors import InvalidInput
from halqa.mutual_aid.money import CURRENCIES, MAX_MINOR, convert, format_minor, parse_amount, parse_rate, to_decimal


@given(st.sampled_from(sorted(CURRENCIES)), st.integers(min_value=1, max_value=MAX_MINOR))
def test_minor_units_round_trip_through_text(cur, minor):
    text = format_minor(minor, cur)
    assert parse_amount(text, cur) == minor
    assert to_decimal(minor, cur) == Decimal(text)
    assert "e" not in text.lower() and "," not in text


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e12"), places=2))
def test_usd_decimals_are_exact(value):
    assert format_minor(parse_amount(value, "USD"), "USD") == f"{value:.2f}"


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=50))
def test_sums_of_parsed_amounts_are_exact(amounts):
    texts = [format_minor(a, "USD") for a in amounts]
    assert sum(parse_amount(t, "USD") for t in texts) == sum(amounts)
    assert sum(Decimal(t) for t in texts) == to_decimal(sum(amounts), "USD")


@pytest.mark.parametrize("bad", [0.1, 1.0, float("nan"), True])
def test_floats_are_refused(bad):
    with pytest.raises(InvalidInput) as err:
        parse_amount(bad, "USD")
    assert err.value.msg_id == "mutual_aid.error.float_amount"


@pytest.mark.parametrize(("value", "cur", "msg"), [
    ("-5", "IQD", "mutual_aid.error.negative"),
    ("0", "IQD", "mutual_aid.error.zero"),
    ("12.5", "IQD", "mutual_aid.error.precision"),
    ("1.005", "USD", "mutual_aid.error.precision"),
    ("1" + "0" * 16, "IQD", "mutual_aid.error.overflow"),
    ("1e5", "IQD", "mutual_aid.error.amount"),
    ("abc", "IQD", "mutual_aid.error.amount"),
    ("NaN", "USD", "mutual_aid.error.amount"),
    ("5", "XYZ", "mutual_aid.error.currency"),
    ("", "IQD", "mutual_aid.error.amount"),
])
def test_bad_amounts(value, cur, msg):
    with pytest.raises(InvalidInput) as err:
        parse_amount(value, cur)
    assert err.value.msg_id == msg


def test_grouping_and_lowercase_currency():
    assert parse_amount("25,000", "iqd") == 25000
    assert parse_amount("1_000.50", "USD") == 100050


def test_convert_rounds_half_even_to_minor_unit():
    assert convert(100, "USD", Decimal("1310"), "IQD") == 1310
    assert convert(1, "IQD", Decimal("0.000763"), "USD") == 0
    assert convert(150, "IQD", Decimal("0.01"), "USD") == 150
    assert convert(5, "USD", Decimal("1"), "IQD") == 0  # 0.05 dinar rounds to 0
    assert parse_rate("1310") == Decimal("1310")
    with pytest.raises(InvalidInput):
        parse_rate("0")
