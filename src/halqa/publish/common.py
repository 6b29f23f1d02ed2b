"""What every poster kind shares: the request, the figure it produces, names, periods, packaged data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from halqa.errors import InvalidInput, NotFound
from halqa.i18n import t
from halqa.ledger import extent
from halqa.places import FeatureCollection, areas, demo_map
from halqa.publish.disclosure import THRESHOLD
from halqa.publish.style import Style, localise_digits, number
from halqa.vault import Vault

#: Longest period a ledger poster covers by default (days).
DEFAULT_DAYS = 92


@dataclass
class Request:
    """What to draw: the kind's options, resolved."""

    vault: Vault
    lang: str
    lang2: str | None
    style: Style
    digits: str
    area: str | None = None
    first: str | None = None
    last: str | None = None
    name: str | None = None       # fund or pool name
    scale: float = 1.0            # type scale of the page (1 = A4)
    threshold: int = THRESHOLD    # the bridge's suppression threshold (see :mod:`halqa.publish.disclosure`)

    def tr(self, msg_id: str, **params: Any) -> str:
        return localise_digits(t(msg_id, lang=self.lang, **params), self.digits)

    def tr2(self, msg_id: str, **params: Any) -> str:
        if not self.lang2:
            return ""
        return localise_digits(t(msg_id, lang=self.lang2, **params), "latn" if self.lang2 == "en" else self.digits)

    def num(self, value: float | int | None, places: int = 0, lang2: bool = False) -> str:
        digits = ("latn" if self.lang2 == "en" else self.digits) if lang2 else self.digits
        return number(value, digits, places)


@dataclass
class Figure:
    """A poster's content: texts, one Vega-Lite chart, the aggregates drawn, sources."""

    kind: str
    title: str
    title2: str = ""
    headline: str = ""
    headline2: str = ""
    spec: dict[str, Any] | None = None
    data: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes2: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    period: str = ""
    suppressed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Everything except the chart specification, as plain data."""
        return {"kind": self.kind, "title": self.title, "title2": self.title2, "headline": self.headline,
                "headline2": self.headline2, "data": self.data, "notes": self.notes, "notes2": self.notes2,
                "sources": self.sources, "period": self.period, "suppressed": self.suppressed}


#: District shapes as a GeoJSON FeatureCollection (the places package's type).
Boundaries = FeatureCollection


def area_names(vault: Vault) -> dict[str, dict[str, str]]:
    """Area code -> names per language (from :mod:`halqa.places`)."""
    out: dict[str, dict[str, Any]] = {}  # the names, and the households (a number)
    for a in areas(vault):
        out[a.code] = {"ar": a.name_ar or a.code, "en": a.name_en or a.code,
                       "ckb": a.name_ckb or a.name_ar or a.code, "households": a.households}
    return out


def area_label(req: Request, code: str, lang: str | None = None) -> str:
    names = area_names(req.vault).get(code)
    return names[lang or req.lang] if names else code


def check_area(req: Request) -> str | None:
    if req.area is None:
        return None
    code = req.area.strip().upper()
    if code not in area_names(req.vault):
        raise NotFound("error.unknown_area", code=code)
    return code


def ledger_period(req: Request) -> tuple[str, str]:
    """The period a ledger poster covers: as asked, else the last ``DEFAULT_DAYS`` days with records
    (:func:`halqa.ledger.extent`)."""
    if req.first and req.last:
        return req.first, req.last
    span = extent(req.vault)
    if span is None:
        raise InvalidInput("publish.error.no_ledger")
    d1 = date.fromisoformat(req.last) if req.last else span[1]
    d0 = max(span[0], d1 - timedelta(days=DEFAULT_DAYS - 1))
    if req.first:
        d0 = date.fromisoformat(req.first)
    if (d1 - d0).days > 400:
        raise InvalidInput("publish.error.period", first=d0.isoformat(), last=d1.isoformat())
    return d0.isoformat(), d1.isoformat()


def day_label(day: str, digits: str) -> str:
    """``2026-06-07`` -> ``7/6`` in the locale's digits (day/month, as written in Iraq)."""
    d = date.fromisoformat(day)
    return localise_digits(f"{d.day}/{d.month}", digits)


def period_text(req: Request, first: str, last: str) -> str:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return localise_digits(f"{a.day}/{a.month}/{a.year} – {b.day}/{b.month}/{b.year}", req.digits)


@cache
def _package_json(name: str) -> dict[str, Any]:
    return json.loads(resources.files("halqa.publish").joinpath("data", name).read_text(encoding="utf-8"))


def reference_rows() -> list[dict[str, Any]]:
    """The packaged table of published comparison figures (each with source, year and address)."""
    return [dict(r) for r in _package_json("reference.json")["rows"]]


def demo_boundaries() -> Boundaries:
    """The packaged schematic district map of the demo city (GeoJSON)."""
    return demo_map()


def short_name(name: str) -> str:
    """A theme or item name without its parenthesised gloss, for tight chart labels."""
    return name.split(" (")[0].split(" (")[0].split("(")[0].strip()
