"""Long lists on a phone: one page of rows at a time, with links to the pages before and after.

A page's number is a query parameter (``?page=2``; a page with two lists names each its own,
``?meetings=2``); the other parameters of the address are kept. Slicing only: the rows come from
one domain call (cached), so paging never changes what is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from halqa.web.pipeline import Ctx

__all__ = ["Page", "paginate"]


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
    url = ctx.request.url

    def link(n: int) -> str:
        target = url.include_query_params(**{param: n})
        return f"{target.path}?{target.query}#{param}"

    start = (number - 1) * size
    return Page(items=list(rows[start:start + size]), number=number, pages=pages, total=len(rows),
                prev_url=link(number - 1) if number > 1 else None, next_url=link(number + 1) if number < pages else None,
                param=param)
