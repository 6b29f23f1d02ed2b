"""One typed parser for every form and JSON field (:meth:`halqa.web.pipeline.Ctx.field` calls it).

A field that is absent or empty takes the default (or is reported missing); a field of the wrong
shape is an :class:`~halqa.errors.InvalidInput` naming it (``params["field"]``), which the API
answers with 400 in the one error shape and a page shows beside its form. Kinds::

    str          text (a repeated form field: its last value)
    int          a whole number (JSON number or decimal digits), optionally within minimum..maximum
    bool         JSON true/false, or yes/no, on/off, true/false, 1/0
    datetime.date  an ISO day, YYYY-MM-DD
    list         texts (a JSON array of strings; a form field given once or several times)
    Upload       a file of a multipart form
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from halqa.errors import InvalidInput
from halqa.vault.values import check_day

__all__ = ["MISSING", "Upload", "parse_field"]

_INT = re.compile(r"[+-]?[0-9]{1,18}")
_YES = {"yes", "on", "true", "1"}
_NO = {"no", "off", "false", "0"}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: The default of a field that must be given.
MISSING: Any = _Missing()


@dataclass
class Upload:
    """An uploaded file read into memory (voice notes and bundles are small and go straight to the vault)."""

    data: bytes
    mime: str
    name: str


def _bad(kind: str, name: str, value: Any = "") -> InvalidInput:
    shown = value if isinstance(value, str) else type(value).__name__
    return InvalidInput(f"web.error.field.{kind}", field=name, value=shown[:80])


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list) and not raw)


def parse_field(name: str, raw: Any, kind: type, default: Any = MISSING, *, from_json: bool = False,
                choices: Sequence[str] = (), minimum: int | None = None, maximum: int | None = None) -> Any:
    """``raw`` (a form value, a list of them, or any JSON value; None if absent) as ``kind``."""
    if _empty(raw):
        if default is MISSING:
            raise InvalidInput("web.error.field.missing", field=name)
        return default
    if kind is list:
        if isinstance(raw, str) and not from_json:
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise _bad("list", name, raw)
        values = [v.strip() for v in raw if v.strip()]
        for value in values:
            if choices and value not in choices:
                raise InvalidInput("web.error.field.choice", field=name, value=value[:80], known=", ".join(choices))
        return values
    if kind is Upload:
        if not isinstance(raw, Upload):
            raise _bad("file", name, raw)
        return raw
    if isinstance(raw, list) and not from_json:  # a repeated form field: its last value
        raw = raw[-1]
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
            return raw.strip().lower() in _YES
        raise _bad("yes_no", name, raw)
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and _INT.fullmatch(raw.strip()):
            number = int(raw.strip())
        else:
            raise _bad("number", name, raw)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise InvalidInput("web.error.field.range", field=name, value=str(number), minimum=str(minimum),
                               maximum=str(maximum))
        return number
    if not isinstance(raw, str):
        raise _bad("text", name, raw)
    text = raw.strip()
    if kind is dt.date:
        try:
            return dt.date.fromisoformat(check_day(text, required=True))
        except InvalidInput:  # the one day parser's verdict, said of this field
            raise _bad("day", name, text) from None
    if kind is not str:
        raise TypeError(f"no field parser for {kind!r}")
    if choices and text not in choices:
        raise InvalidInput("web.error.field.choice", field=name, value=text[:80], known=", ".join(choices))
    return text
