"""Long lists on a phone: one page of rows at a time, with links to the pages before and after.

A page's number is a query parameter (``?page=2``; a page with two lists names each its own,
``?meetings=2``); the other parameters of the address are kept. Slicing only: the rows come from
one domain call (cached), so paging never changes what is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import halqa.places as places
from halqa.web.pipeline import Ctx

__all__ = ["HINTS", "Page", "household_hints", "paginate", "paginate_query"]


@dataclass(frozen=True)
class Page:
    """``items`` of page ``number`` (from 1) of ``pages``; links to the neighbours, if any."""

    items: list[Any]
    number: int
    pages: int
    total: int
    prev_url: str | None
    next_url: str | None
    param: str


def paginate(ctx: Ctx, rows: Sequence[Any], size: int, param: str = "page") -> Page:
    """Page ``ctx``'s ``param`` of ``rows``, ``size`` rows a page (a number past the end shows the last page)."""
    pages = max(1, -(-len(rows) // size))
    number = min(ctx.field(param, int, 1, minimum=1), pages)
    start = (number - 1) * size
    return _page(ctx, list(rows[start:start + size]), number, pages, len(rows), param)


def paginate_query(ctx: Ctx, fetch: Callable[[int, int], tuple[int, list[Any]]], size: int, param: str = "page") -> Page:
    """Page ``ctx``'s ``param`` of a list the domain reads one page at a time: ``fetch(offset,
    limit) -> (total, rows)`` (a long list never leaves the vault whole)."""
    number = ctx.field(param, int, 1, minimum=1)
    total, rows = fetch((number - 1) * size, size)
    pages = max(1, -(-total // size))
    if number > pages:  # past the end: the last page
        number = pages
        total, rows = fetch((number - 1) * size, size)
    return _page(ctx, rows, number, pages, total, param)


def _page(ctx: Ctx, items: list[Any], number: int, pages: int, total: int, param: str) -> Page:
    url = ctx.request.url

    def link(n: int) -> str:
        target = url.include_query_params(**{param: n})
        return f"{target.path}?{target.query}#{param}"

    return Page(items=items, number=number, pages=pages, total=total, prev_url=link(number - 1) if number > 1 else None,
                next_url=link(number + 1) if number < pages else None, param=param)


#: Households a form offers as hints (the field takes any pseudonym: a city enrols a million).
HINTS = 200


def household_hints(ctx: Ctx, hh: str) -> list[dict[str, Any]]:
    """The households a form's list suggests: an organiser's first :data:`HINTS`, a member's own."""
    if ctx.device is not None and ctx.device.organiser:
        return list(ctx.cached(places.households, limit=HINTS))
    return [{"id": hh}]
