"""Rotating savings pools (jam'iyya): everyone pays each round, one member takes the pot.

A pool of *n* members runs *n* rounds, one per period (weekly, fortnightly, monthly) from its
start day. In every round each member owes the pool's amount; the round's recipient takes the
pot, once. Rules, in full:

**Payout order** (the ``method`` chosen at creation, fixed by :func:`draw`):

- ``random``: a draw anyone can check by hand. The members agree a *seed* in the open (words each
  of them wrote down, a number announced at the meeting). Each member's key is the SHA-256 hex
  digest of the UTF-8 text ``"<pool>\\n<seed>\\n<member>"``; the order is the members sorted by
  key (``printf '%s\\n%s\\n%s' POOL SEED MEMBER | sha256sum`` gives the same digest).
- ``agreed``: the order the members agreed, given in full (default: the order at creation).
- ``need``: members are given a need score (0 to 10; missing = 0), highest first; ties are broken
  by the random rule above (seed: the one given, else the pool's name).
- ``bid``: decided round by round. The members who have not yet taken the pot bid a *discount*
  (what they give up to take it now); the highest bid wins, ties broken by the random rule with
  seed ``"<seed>#<round>"``. The recipient gets the pot less the discount; the discount is shared
  out equally among the *other* members as a smaller due for that round (the remainder of an
  uneven split, one minor unit each, goes to the first members in creation order). The last
  member takes the last round with no discount. Payments for a bid round open once it is drawn.

**Payments.** ``pay`` settles (part of) a member's due for a round; a payer other than the
member may pay on the member's behalf. Payments may be late (after the due day) or partial;
overpaying a due, paying a round that is already paid out, or paying a completed or closed pool
is refused. A due still open after its day is *missed*.

**Defaults.** ``cover`` settles a missed due: the ``organiser`` or the ``guarantor`` pays it (the
member then owes them), or the ``pool`` absorbs it (the round's recipient takes a smaller pot and
the member owes the recipient). Debts are cleared with :func:`repay`.

**Payout.** Rounds are paid out in order, only when every due of the round is settled, and each
member takes the pot exactly once (a second payout of a round is refused, and ignored if two
devices recorded one). **Swaps** exchange two members' future turns (not in ``bid`` pools, where
the turn was bought). When the last round is paid out the pool is completed.

Over a completed pool every member has paid in exactly what they took out, less the discount
they gave and plus their shares of the others' discounts (``tests/mutual_aid`` checks this for
any order of payments and swaps).

This module holds the pure rules (the draw, due days, each round's dues); the actions that apply
them are in :mod:`~halqa.mutual_aid.write`, the reads in :mod:`~halqa.mutual_aid.read`.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta

__all__ = ["COVERERS", "MAX_MEMBERS", "METHODS", "PERIODS", "draw_order", "due_day", "round_dues"]

METHODS = ("random", "agreed", "need", "bid")
PERIODS = {"weekly": 7, "fortnightly": 14, "monthly": 0}
COVERERS = ("organiser", "pool", "guarantor")
MAX_MEMBERS = 60


def draw_order(pool: str, members: list[str], seed: str) -> list[str]:
    """The verifiable random order: members sorted by SHA-256 of ``"<pool>\\n<seed>\\n<member>"``."""
    def key(m: str) -> str:
        return hashlib.sha256(f"{pool}\n{seed}\n{m}".encode()).hexdigest()
    return sorted(members, key=key)


def due_day(start: str, period: str, round_no: int) -> str:
    """The day round ``round_no`` (1-based) falls due. Monthly rounds keep the start's day of the
    month, moved to the month's last day when it is shorter."""
    first = date.fromisoformat(start)
    if PERIODS[period]:
        return (first + timedelta(days=PERIODS[period] * (round_no - 1))).isoformat()
    months = first.month - 1 + round_no - 1
    y, m = first.year + months // 12, months % 12 + 1
    return date(y, m, min(first.day, calendar.monthrange(y, m)[1])).isoformat()


def round_dues(members: list[str], amount: int, recipient: str, discount: int) -> dict[str, int]:
    """What each member owes in a round (minor units): the recipient the full amount, the others
    the amount less their share of the recipient's discount (see the module's rules)."""
    others = [m for m in members if m != recipient]
    base, rest = divmod(discount, len(others)) if others else (0, 0)
    dues = {recipient: amount}
    for i, m in enumerate(others):
        dues[m] = amount - base - (1 if i < rest else 0)
    return {m: dues[m] for m in members}
