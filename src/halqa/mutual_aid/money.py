"""Exact money: currencies, amounts as integer minor units, dated exchange rates.

Every amount halqa stores is an ``int`` of minor units of a known currency; every amount it shows
or exports is a decimal string. Floats are refused at the door: ``parse_amount(0.1, "USD")``
raises, because 0.1 is not 0.1 in binary.

The Iraqi dinar's ISO 4217 exponent is 3 (fils), but no fils have circulated for decades and no
price or wage is quoted in them, so halqa counts IQD in whole dinars (exponent 0).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from halqa.errors import InvalidInput

__all__ = [
    "CURRENCIES",
    "MAX_MINOR",
    "check_currency",
    "convert",
    "format_minor",
    "parse_amount",
    "parse_rate",
    "to_decimal",
]

#: Currencies a circle may use, with the number of decimal places counted.
CURRENCIES: dict[str, int] = {"IQD": 0, "USD": 2, "EUR": 2, "TRY": 2, "IRR": 0}

#: Largest amount accepted in one entry, in minor units (far beyond any real fund, far below
#: the 64-bit limit, so sums over millions of entries cannot overflow).
MAX_MINOR = 10**15

_NUMBER = re.compile(r"^[0-9][0-9_,]*(\.[0-9]+)?$")


def check_currency(code: str) -> str:
    """Return ``code`` upper-cased if it is a known currency, else raise :class:`InvalidInput`."""
    cur = str(code).strip().upper()
    if cur not in CURRENCIES:
        raise InvalidInput("mutual_aid.error.currency", currency=code, known=", ".join(sorted(CURRENCIES)))
    return cur


def _decimal(text: Any, what: str) -> Decimal:
    if isinstance(text, bool) or isinstance(text, float):
        raise InvalidInput("mutual_aid.error.float_amount", amount=repr(text))
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise InvalidInput("mutual_aid.error.amount", amount=str(text))
        return text
    raw = str(text).strip()
    if raw.startswith("-"):
        raise InvalidInput("mutual_aid.error.negative", amount=raw)
    if not _NUMBER.match(raw):
        raise InvalidInput("mutual_aid.error.amount", amount=raw)
    try:
        return Decimal(raw.replace("_", "").replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        raise InvalidInput("mutual_aid.error.amount", amount=raw) from None


def parse_amount(value: Any, currency: str, allow_zero: bool = False) -> int:
    """A positive amount (``"25000"``, ``"12.50"``, ``Decimal``, ``int``) to integer minor units.

    Raises :class:`InvalidInput` for floats, negatives, zero (unless ``allow_zero``), more
    decimal places than the currency has, and amounts above :data:`MAX_MINOR`.
    """
    cur = check_currency(currency)
    amount = _decimal(value, "amount")
    if amount < 0:
        raise InvalidInput("mutual_aid.error.negative", amount=str(value))
    places = CURRENCIES[cur]
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidInput("mutual_aid.error.precision", amount=str(value), currency=cur, places=places)
    result = int(minor)
    if result == 0 and not allow_zero:
        raise InvalidInput("mutual_aid.error.zero", amount=str(value))
    if result > MAX_MINOR:
        raise InvalidInput("mutual_aid.error.overflow", amount=str(value), currency=cur)
    return result


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units to an exact :class:`Decimal` (``1250, "USD"`` -> ``Decimal("12.50")``)."""
    places = CURRENCIES[check_currency(currency)]
    return Decimal(int(minor)).scaleb(-places) if places else Decimal(int(minor))


def format_minor(minor: int, currency: str) -> str:
    """Integer minor units as a plain decimal string, no grouping (``-1250, "USD"`` -> ``"-12.50"``)."""
    places = CURRENCIES[check_currency(currency)]
    value = to_decimal(minor, currency)
    return f"{value:.{places}f}"


def parse_rate(value: Any) -> Decimal:
    """A positive exchange rate as an exact decimal (``"1310"``, ``"0.000763"``)."""
    rate = _decimal(value, "rate")
    if rate <= 0:
        raise InvalidInput("mutual_aid.error.rate", rate=str(value))
    exponent = rate.as_tuple().exponent  # a letter ('n', 'N', 'F') for NaN and infinity
    if rate > Decimal(10) ** 9 or not isinstance(exponent, int) or exponent < -12:
        raise InvalidInput("mutual_aid.error.rate", rate=str(value))
    return rate


def convert(minor: int, currency: str, rate: Decimal, to_currency: str) -> int:
    """Convert minor units at ``rate`` (units of ``to_currency`` per unit of ``currency``),
    rounding half to even to the target's minor unit."""
    value = to_decimal(minor, currency) * rate
    places = CURRENCIES[check_currency(to_currency)]
    return int(value.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
