"""Checking an open vault's database, page by page (what ``halqa unlock`` reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from halqa.vault.store import Vault

__all__ = ["integrity_problems"]


def integrity_problems(vault: Vault) -> list[str]:
    """What is wrong with the open database, or ``[]``: every page's HMAC first (SQLCipher's
    ``cipher_integrity_check``), then, if those hold, SQLite's own ``quick_check``."""
    conn = vault.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    # Random bytes past the last page are the padding another file's close may add (a decoy
    # keeps the folder's files the same size); SQLite never reads them.
    problems = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check") if not _past_end(r[0], pages)]
    if not problems:  # SQLite's own check reads the damaged pages the first one names: it would only fail
        problems += [r[0] for r in conn.execute("PRAGMA quick_check") if r[0] != "ok"]
    return problems


def _past_end(problem: str, pages: int) -> bool:
    words = problem.rsplit(" ", 1)
    return problem.startswith("HMAC verification failed for page") and words[-1].isdigit() and int(words[-1]) > pages
