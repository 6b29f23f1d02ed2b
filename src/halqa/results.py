"""How a domain's result becomes JSON data, the same way on every face.

Domain functions return msgspec structs, dataclasses or plain values; ``halqa --json`` and the
web API both pass them through :func:`to_data`, so one action has one shape on both faces.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["to_data"]


def to_data(value: Any) -> Any:
    """Structs and dataclasses as dicts (fields in order), dates and times as ISO text, decimals as
    exact text, numpy scalars as numbers, sets as lists; anything else as its text."""
    return msgspec.to_builtins(value, enc_hook=_fallback)


def _fallback(obj: Any) -> Any:
    item = getattr(obj, "item", None)  # numpy scalars
    return item() if callable(item) else str(obj)
