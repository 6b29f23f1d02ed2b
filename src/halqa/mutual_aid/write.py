"""Typed writes of mutual aid: one function, one action, each validating its input (through
:mod:`~halqa.mutual_aid.read` for what is already recorded) before it appends an event.

- funds: a double-entry ledger per fund. Every change is one balanced *entry* of postings to
  accounts of a fund; amounts are integer minor units (:mod:`~halqa.mutual_aid.money`) and in
  every entry the postings of each currency sum to zero, so money never appears or vanishes.
  Accounts, per fund:

  =============  ==========================================================================
  ``cash``       what the fund holds, per currency (its balance)
  ``pledged``    promised but not yet handed over (a receivable); fulfilling moves it to cash
  ``income``     where contributions (``sub = contributions``) and pledges (``pledges``) come from
  ``expense``    where disbursements go, by purpose (``sub = medicine``, ``family``, ...)
  ``conversion`` the other side of a currency exchange (a trading account: USD in, IQD out)
  =============  ==========================================================================

  Corrections are reversing entries (:func:`void`), never edits. Who gave or received is a
  pseudonym (``party``); an entry marked ``private`` never shows it in a statement or export.
- pools: the jam'iyya's actions, under the rules of :mod:`~halqa.mutual_aid.pools`;
- the tool library (items, loans) and the repair log.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.mutual_aid import read
from halqa.mutual_aid.common import check_name, check_pseudonym
from halqa.mutual_aid.events import (
    EntryPost,
    FundPut,
    ItemPut,
    LoanPut,
    PoolClose,
    PoolCreate,
    PoolDraw,
    PoolPay,
    PoolPayout,
    PoolRepay,
    PoolSwap,
    Posting,
    RatePut,
    RepairPut,
    entry_balanced,
)
from halqa.mutual_aid.money import check_currency, convert, format_minor, parse_amount, parse_rate
from halqa.mutual_aid.pools import COVERERS, MAX_MEMBERS, METHODS, PERIODS, draw_order, due_day
from halqa.mutual_aid.read import Repair
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list, new_id, today

__all__ = [
    "CATEGORIES",
    "CONSUMABLE",
    "PURPOSES",
    "Covered",
    "Drawn",
    "Entry",
    "Exchanged",
    "FundCreated",
    "Item",
    "Loan",
    "Payment",
    "PoolClosed",
    "PoolCreated",
    "Posted",
    "RateSet",
    "Repaid",
    "RepairDone",
    "Returned",
    "RoundPaidOut",
    "Turn",
    "add_item",
    "cancel_pledge",
    "close_pool",
    "contribute",
    "cover",
    "create_fund",
    "create_pool",
    "disburse",
    "draw",
    "exchange",
    "finish_repair",
    "lend",
    "log_repair",
    "pay",
    "payout",
    "pledge",
    "repay",
    "return_item",
    "set_rate",
    "swap",
    "transfer",
    "void",
]

#: Purposes offered for disbursements (others are accepted if they are a short lowercase word).
PURPOSES: tuple[str, ...] = ("family", "medicine", "fuel", "food", "repairs", "rent", "legal",
                             "transport", "childcare", "other")
CATEGORIES = ("generator-part", "filter", "solar-panel", "battery", "tool", "cable", "pump", "other")
#: Categories that are used up when a repair lists them as parts.
CONSUMABLE = frozenset({"generator-part", "filter", "cable", "other"})

_AREA = re.compile(r"^[A-Z0-9-]{1,16}$")



# ---------------------------------------------------------------------------- funds
class FundCreated(msgspec.Struct, kw_only=True, frozen=True):
    """A fund created."""

    name: str
    currency: str
    created: str


class RateSet(msgspec.Struct, kw_only=True, frozen=True):
    """An exchange rate recorded: one ``currency`` is worth ``rate`` of ``quote`` on ``day``."""

    day: str
    currency: str
    quote: str
    rate: str


class Posted(msgspec.Struct, kw_only=True, frozen=True):
    """An entry posted to the ledger (a void's result)."""

    id: str
    day: str
    type: str


class Entry(Posted, kw_only=True, frozen=True):
    """An entry moving ``amount`` of ``currency`` (a decimal string)."""

    amount: str
    currency: str


class Exchanged(Entry, kw_only=True, frozen=True):
    """A currency exchange: ``amount`` of ``currency`` sold, ``received`` of ``to_currency`` bought."""

    received: str
    to_currency: str
    rate: str


def create_fund(vault: Vault, name: str, currency: str = "IQD", note: str = "", day: str | None = None) -> FundCreated:
    """Create a fund kept in ``currency`` (it may also hold other currencies)."""
    name = check_name(name, "fund")
    cur = check_currency(currency)
    if read.fund_exists(vault, name):
        raise InvalidInput("mutual_aid.error.fund_exists", name=name)
    created = check_day(day)
    vault.append("mutual_aid_fund.put", FundPut(name=name, currency=cur, created=created, note=note))
    return FundCreated(name=name, currency=cur, created=created)


def set_rate(vault: Vault, currency: str, rate: Any, day: str | None = None, quote: str = "IQD") -> RateSet:
    """Record that on ``day`` one unit of ``currency`` was worth ``rate`` units of ``quote``."""
    cur, q = check_currency(currency), check_currency(quote)
    if cur == q:
        raise InvalidInput("mutual_aid.error.same_currency", currency=cur)
    value = parse_rate(rate)
    d = check_day(day)
    vault.append("mutual_aid_rate.put", RatePut(id=f"{d}:{cur}:{q}", day=d, currency=cur, quote=q,
                                                 rate=format(value, "f")))
    return RateSet(day=d, currency=cur, quote=q, rate=format(value, "f"))


def _purpose(purpose: str) -> str:
    p = str(purpose).strip().lower()
    if not p or len(p) > 24 or not p.replace("-", "").isascii() or not p.replace("-", "").isalpha():
        raise InvalidInput("mutual_aid.error.purpose", purpose=purpose, known=", ".join(PURPOSES))
    return p


def _post(vault: Vault, entry: EntryPost) -> None:
    if not entry_balanced(entry):  # pragma: no cover - every builder below balances
        raise InvalidInput("mutual_aid.error.unbalanced", id=entry.id)
    vault.append("mutual_aid_entry.post", entry)


def _moved(vault: Vault, entry: EntryPost, minor: int, cur: str) -> Entry:
    _post(vault, entry)
    return Entry(id=entry.id, day=entry.day, type=entry.type, amount=format_minor(minor, cur), currency=cur)


def _need_cash(vault: Vault, fund: str, currency: str, minor: int, overdraft: bool) -> None:
    held = read.cash(vault, fund, currency)
    if minor > held and not overdraft:
        raise InvalidInput("mutual_aid.error.insufficient", fund=fund, balance=format_minor(held, currency),
                           amount=format_minor(minor, currency), currency=currency)


def contribute(vault: Vault, fund: str, party: str, amount: Any, currency: str | None = None,
               day: str | None = None, pledge_id: str | None = None, private: bool = False, note: str = "") -> Entry:
    """Record money handed to ``fund`` by ``party`` (a pseudonym). With ``pledge_id`` it fulfils
    (part of) that pledge instead of counting as new income."""
    row = read.fund_row(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    who = check_pseudonym(party)
    d = check_day(day)
    if pledge_id:
        left = read.pledge_left(vault, fund, pledge_id)
        if left[0] != cur:
            raise InvalidInput("mutual_aid.error.currency_mismatch", expected=left[0], currency=cur)
        if minor > left[1]:
            raise InvalidInput("mutual_aid.error.pledge_exceeds", id=pledge_id, left=format_minor(left[1], cur),
                               currency=cur)
        other = Posting(fund, "pledged", "", cur, -minor)
    else:
        other = Posting(fund, "income", "contributions", cur, -minor)
    entry = EntryPost(id=new_id("e"), day=d, type="contribution", party=who, private=private, note=note,
                      ref=pledge_id or "", postings=[Posting(fund, "cash", "", cur, minor), other])
    return _moved(vault, entry, minor, cur)


def pledge(vault: Vault, fund: str, party: str, amount: Any, currency: str | None = None,
           day: str | None = None, private: bool = False, note: str = "") -> Entry:
    """Record a promise of money; returns its id (fulfil it with ``contribute(pledge_id=...)``)."""
    row = read.fund_row(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    entry = EntryPost(id=new_id("p"), day=check_day(day), type="pledge", party=check_pseudonym(party),
                      private=private, note=note,
                      postings=[Posting(fund, "pledged", "", cur, minor), Posting(fund, "income", "pledges", cur, -minor)])
    return _moved(vault, entry, minor, cur)


def cancel_pledge(vault: Vault, fund: str, pledge_id: str, day: str | None = None) -> Entry:
    """Release what is still outstanding on a pledge (the promise is withdrawn)."""
    read.fund_row(vault, fund)
    cur, left = read.pledge_left(vault, fund, pledge_id)
    if left <= 0:
        raise InvalidInput("mutual_aid.error.pledge_done", id=pledge_id)
    entry = EntryPost(id=new_id("e"), day=check_day(day), type="pledge_cancel", ref=pledge_id,
                      postings=[Posting(fund, "pledged", "", cur, -left), Posting(fund, "income", "pledges", cur, left)])
    return _moved(vault, entry, left, cur)


def disburse(vault: Vault, fund: str, party: str, amount: Any, purpose: str = "other", currency: str | None = None,
             day: str | None = None, private: bool = False, overdraft: bool = False, note: str = "") -> Entry:
    """Pay out of ``fund`` to ``party`` (a pseudonym) for ``purpose``. Refuses to take more than the
    fund holds in that currency unless ``overdraft=True`` (recorded on the entry)."""
    row = read.fund_row(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    who = check_pseudonym(party)
    why = _purpose(purpose)
    d = check_day(day)
    with vault.transaction():
        _need_cash(vault, fund, cur, minor, overdraft)
        entry = EntryPost(id=new_id("e"), day=d, type="disbursement", purpose=why, party=who, private=private,
                          note=note, overdraft=overdraft and minor > read.cash(vault, fund, cur),
                          postings=[Posting(fund, "expense", why, cur, minor), Posting(fund, "cash", "", cur, -minor)])
        return _moved(vault, entry, minor, cur)


def transfer(vault: Vault, source: str, target: str, amount: Any, currency: str | None = None,
             day: str | None = None, overdraft: bool = False, note: str = "") -> Entry:
    """Move money between two funds (same currency; use :func:`exchange` to change currency)."""
    src = read.fund_row(vault, source)
    read.fund_row(vault, target)
    if source == target:
        raise InvalidInput("mutual_aid.error.same_fund", name=source)
    cur = check_currency(currency or src["currency"])
    minor = parse_amount(amount, cur)
    d = check_day(day)
    with vault.transaction():
        _need_cash(vault, source, cur, minor, overdraft)
        entry = EntryPost(id=new_id("e"), day=d, type="transfer", note=note, party=target, ref=source,
                          overdraft=overdraft and minor > read.cash(vault, source, cur),
                          postings=[Posting(target, "cash", "", cur, minor), Posting(source, "cash", "", cur, -minor)])
        return _moved(vault, entry, minor, cur)


def exchange(vault: Vault, fund: str, amount: Any, currency: str, to_currency: str, rate: Any = None,
             day: str | None = None, note: str = "") -> Exchanged:
    """Change money inside a fund: ``amount`` of ``currency`` into ``to_currency`` at ``rate``
    (units of ``to_currency`` per unit), or at the recorded rate of that day. A given rate is also
    recorded as the day's rate."""
    read.fund_row(vault, fund)
    cur, to = check_currency(currency), check_currency(to_currency)
    if cur == to:
        raise InvalidInput("mutual_aid.error.same_currency", currency=cur)
    minor = parse_amount(amount, cur)
    d = check_day(day)
    with vault.transaction():
        if rate is None:
            used = read.rate_on(vault, cur, to, d)
            if used is None:
                raise InvalidInput("mutual_aid.error.no_rate", currency=cur, quote=to, day=d)
        else:
            used = parse_rate(rate)
            set_rate(vault, cur, used, d, to)
        got = convert(minor, cur, used, to)
        if got <= 0:
            raise InvalidInput("mutual_aid.error.zero", amount=str(amount))
        _need_cash(vault, fund, cur, minor, False)
        entry = EntryPost(id=new_id("e"), day=d, type="exchange", note=note, postings=[
            Posting(fund, "cash", "", cur, -minor), Posting(fund, "conversion", "", cur, minor),
            Posting(fund, "conversion", "", to, -got), Posting(fund, "cash", "", to, got)])
        _post(vault, entry)
        return Exchanged(id=entry.id, day=d, type=entry.type, amount=format_minor(minor, cur), currency=cur,
                         received=format_minor(got, to), to_currency=to, rate=format(used, "f"))


def void(vault: Vault, entry_id: str, day: str | None = None, note: str = "") -> Posted:
    """Cancel an entry by posting its exact reverse (the original stays in the record)."""
    row = read.entry_row(vault, entry_id)
    if row["type"] == "void" or read.voided(vault, entry_id):
        raise InvalidInput("mutual_aid.error.already_void", id=entry_id)
    entry = EntryPost(id=new_id("e"), day=check_day(day), type="void", ref=entry_id, note=note,
                      purpose=row["purpose"] or "", party=row["party"] or "", private=bool(row["private"]),
                      postings=[Posting(f, a, s, c, -amount) for f, a, s, c, amount in read.entry_postings(vault, entry_id)])
    _post(vault, entry)
    return Posted(id=entry.id, day=entry.day, type=entry.type)


# ---------------------------------------------------------------------------- pools
class PoolCreated(msgspec.Struct, kw_only=True, frozen=True):
    """A pool started: its members, each member's due per round, and how many rounds it runs."""

    name: str
    members: list[str]
    amount: str
    currency: str
    period: str
    method: str
    start: str
    rounds: int


class Turn(msgspec.Struct, kw_only=True, frozen=True):
    """A turn fixed by a draw: the round, its recipient and the day it falls due."""

    round: int
    member: str
    due: str


class Drawn(msgspec.Struct, kw_only=True, frozen=True):
    """The payout order a draw fixed (a bid round: its one recipient and their discount)."""

    pool: str
    method: str
    seed: str
    order: list[Turn]
    discount: str


class Payment(msgspec.Struct, kw_only=True, frozen=True):
    """A payment toward a member's due, what is still left of it and whether it came late."""

    pool: str
    round: int
    member: str
    payer: str
    day: str
    amount: str
    currency: str
    left: str
    late: bool


class Covered(msgspec.Struct, kw_only=True, frozen=True):
    """A missed due settled by ``by`` (organiser, guarantor or the pool); the member owes ``creditor``."""

    pool: str
    round: int
    member: str
    by: str
    creditor: str
    amount: str
    currency: str


class RoundPaidOut(msgspec.Struct, kw_only=True, frozen=True):
    """A round's pot handed to its recipient (``completed`` when it was the last round)."""

    pool: str
    round: int
    member: str
    amount: str
    currency: str
    day: str
    completed: bool


class Repaid(msgspec.Struct, kw_only=True, frozen=True):
    """Money paid back after a cover, and what is still owed."""

    pool: str
    debtor: str
    creditor: str
    amount: str
    left: str
    currency: str


class PoolClosed(msgspec.Struct, kw_only=True, frozen=True):
    """A pool stopped before it completed."""

    pool: str
    status: str
    day: str


def _open_pool(vault: Vault, name: str) -> Any:
    row = read.pool_row(vault, name)
    if row["status"] != "open":
        raise InvalidInput("mutual_aid.error.pool_closed", name=name, status=row["status"])
    return row


def create_pool(vault: Vault, name: str, members: list[str], amount: Any, period: str = "monthly",
                method: str = "random", currency: str = "IQD", start: str | None = None, cover: str = "organiser",
                organiser: str | None = None, guarantor: str = "") -> PoolCreated:
    """Start a pool. ``members`` are pseudonyms (2 to 60, no repeats); ``amount`` is each member's
    due per round; ``method`` is how the payout order is fixed (random, agreed, need, bid);
    ``cover`` says who covers a missed due (organiser, pool, guarantor)."""
    name = check_name(name, "pool")
    if read.pool_exists(vault, name):
        raise InvalidInput("mutual_aid.error.pool_exists", name=name)
    people = [check_pseudonym(m) for m in members]
    if not 2 <= len(people) <= MAX_MEMBERS or len(set(people)) != len(people):
        raise InvalidInput("mutual_aid.error.pool_members", count=len(people), most=MAX_MEMBERS)
    cur = check_currency(currency)
    minor = parse_amount(amount, cur)
    if minor * len(people) > 10**15:
        raise InvalidInput("mutual_aid.error.overflow", amount=str(amount), currency=cur)
    if period not in PERIODS:
        raise InvalidInput("mutual_aid.error.period", period=period, known=", ".join(PERIODS))
    if method not in METHODS:
        raise InvalidInput("mutual_aid.error.method", method=method, known=", ".join(METHODS))
    if cover not in COVERERS:
        raise InvalidInput("mutual_aid.error.coverer", cover=cover, known=", ".join(COVERERS))
    org = check_pseudonym(organiser) if organiser else people[0]
    guard = check_pseudonym(guarantor) if guarantor else ""
    if cover == "guarantor" and not guard:
        raise InvalidInput("mutual_aid.error.no_guarantor")
    first = check_day(start)
    vault.append("mutual_aid_pool.create", PoolCreate(
        name=name, members=people, amount=minor, currency=cur, period=period, start=first, method=method,
        cover=cover, organiser=org, guarantor=guard, created=today()))
    return PoolCreated(name=name, members=people, amount=format_minor(minor, cur), currency=cur,
                       period=period, method=method, start=first, rounds=len(people))


def draw(vault: Vault, name: str, seed: str = "", order: list[str] | None = None, need: dict[str, int] | None = None,
         bids: dict[str, Any] | None = None, round_no: int | None = None) -> Drawn:
    """Fix the payout order by the pool's method (see the module's rules). For ``random`` give the
    agreed ``seed``; for ``agreed`` an ``order`` (default: creation order); for ``need`` the scores;
    for ``bid`` the round's ``bids`` (member -> discount). Returns the order fixed."""
    pool = _open_pool(vault, name)
    members: list[str] = json_list(pool["members"])
    drawn = read.turns(vault, name)
    method = pool["method"]
    if method != "bid" and drawn:
        raise InvalidInput("mutual_aid.error.already_drawn", name=name)
    seed = str(seed).strip()
    if method == "random":
        if not seed:
            raise InvalidInput("mutual_aid.error.need_seed")
        event = PoolDraw(pool=name, round=0, order=draw_order(name, members, seed), seed=seed)
    elif method == "agreed":
        chosen = [check_pseudonym(m) for m in (order or members)]
        if sorted(chosen) != sorted(members):
            raise InvalidInput("mutual_aid.error.order_members", name=name)
        event = PoolDraw(pool=name, round=0, order=chosen, seed=seed)
    elif method == "need":
        scores = {check_pseudonym(m): int(s) for m, s in (need or {}).items()}
        if not set(scores) <= set(members) or any(not 0 <= s <= 10 for s in scores.values()):
            raise InvalidInput("mutual_aid.error.need_scores")
        ties = draw_order(name, members, seed or name)
        ranked = sorted(members, key=lambda m: (-scores.get(m, 0), ties.index(m)))
        event = PoolDraw(pool=name, round=0, order=ranked, seed=seed, need=scores)
    else:
        r = len(drawn) + 1
        if round_no is not None and round_no != r:
            raise InvalidInput("mutual_aid.error.bid_round", round=round_no, next=r)
        if r > len(members):
            raise InvalidInput("mutual_aid.error.already_drawn", name=name)
        left = [m for m in members if m not in {t["member"] for t in drawn.values()}]
        offers = {check_pseudonym(m): parse_amount(b, pool["currency"], allow_zero=True) for m, b in (bids or {}).items()}
        if not set(offers) <= set(left):
            raise InvalidInput("mutual_aid.error.bid_member", members=", ".join(sorted(set(offers) - set(left))))
        most = (len(members) - 1) * (pool["amount"] - 1)
        if any(b > most for b in offers.values()):
            raise InvalidInput("mutual_aid.error.bid_too_high", most=format_minor(most, pool["currency"]),
                               currency=pool["currency"])
        ties = draw_order(name, left, f"{seed or name}#{r}")
        winner = min(left, key=lambda m: (-offers.get(m, 0), ties.index(m)))
        discount = offers.get(winner, 0) if len(left) > 1 else 0
        event = PoolDraw(pool=name, round=r, order=[winner], discount=discount, seed=seed, bids=offers)
    vault.append("mutual_aid_pool.draw", event)
    first = max(event.round, 1)
    return Drawn(pool=name, method=method, seed=seed,
                 order=[Turn(round=first + i, member=m, due=due_day(pool["start"], pool["period"], first + i))
                        for i, m in enumerate(event.order)],
                 discount=format_minor(event.discount, pool["currency"]))


def swap(vault: Vault, name: str, a: str, b: str, day: str | None = None) -> dict[str, str | int]:
    """Exchange the turns of two members who have not yet taken the pot. Returns the pool's name
    under ``pool`` and each member's new round under their pseudonym."""
    pool = _open_pool(vault, name)
    if pool["method"] == "bid":
        raise InvalidInput("mutual_aid.error.swap_bid")
    a, b = check_pseudonym(a), check_pseudonym(b)
    done = read.paid_out_members(vault, name)
    rounds = {t["member"]: r for r, t in read.turns(vault, name).items()}
    for m in (a, b):
        if m not in rounds:
            raise InvalidInput("mutual_aid.error.no_turn", member=m, name=name)
        if m in done:
            raise InvalidInput("mutual_aid.error.turn_taken", member=m)
    if a == b:
        raise InvalidInput("mutual_aid.error.swap_same")
    vault.append("mutual_aid_pool.swap", PoolSwap(pool=name, a=a, b=b, day=check_day(day)))
    return {"pool": name, a: rounds[b], b: rounds[a]}


def _outstanding(vault: Vault, pool: Any, round_no: int, member: str) -> int:
    if not 1 <= round_no <= len(json_list(pool["members"])):
        raise InvalidInput("mutual_aid.error.round", round=round_no, rounds=len(json_list(pool["members"])))
    turn = read.turns(vault, pool["name"]).get(round_no)
    if turn is None and pool["method"] == "bid":
        raise InvalidInput("mutual_aid.error.bid_not_drawn", name=pool["name"], round=round_no)
    if round_no in read.paid_out_rounds(vault, pool["name"]):
        raise InvalidInput("mutual_aid.error.round_paid_out", round=round_no)
    dues = read.dues_of(pool, turn)
    if member not in dues:
        raise InvalidInput("mutual_aid.error.not_member", member=member, name=pool["name"])
    return dues[member] - read.paid(vault, pool["name"], round_no).get((round_no, member), 0)


def pay(vault: Vault, name: str, member: str, round_no: int, amount: Any = None, payer: str | None = None,
        day: str | None = None) -> Payment:
    """Record a payment toward ``member``'s due for a round (all that is left, unless ``amount``);
    ``payer`` pays on the member's behalf. Refuses overpaying and paying a closed pool."""
    pool = _open_pool(vault, name)
    who = check_pseudonym(member)
    by = check_pseudonym(payer) if payer else who
    with vault.transaction():
        left = _outstanding(vault, pool, int(round_no), who)
        if left <= 0:
            raise InvalidInput("mutual_aid.error.already_paid", member=who, round=round_no)
        minor = left if amount is None else parse_amount(amount, pool["currency"])
        if minor > left:
            raise InvalidInput("mutual_aid.error.overpay", member=who, round=round_no,
                               left=format_minor(left, pool["currency"]), currency=pool["currency"])
        d = check_day(day)
        vault.append("mutual_aid_pool.pay", PoolPay(id=new_id("pp"), pool=name, round=int(round_no), member=who,
                                                   payer=by, amount=minor, day=d))
    due = due_day(pool["start"], pool["period"], int(round_no))
    return Payment(pool=name, round=int(round_no), member=who, payer=by, day=d,
                   amount=format_minor(minor, pool["currency"]), currency=pool["currency"],
                   left=format_minor(left - minor, pool["currency"]), late=d > due)


def cover(vault: Vault, name: str, member: str, round_no: int, by: str | None = None, day: str | None = None) -> Covered:
    """Settle what ``member`` still owes for a round on someone else's account: ``organiser`` or
    ``guarantor`` pays it (and the member owes them), or the ``pool`` absorbs it (the round's
    recipient takes less, and the member owes the recipient). Default: the pool's rule."""
    pool = _open_pool(vault, name)
    who = check_pseudonym(member)
    role = by or pool["cover"]
    if role not in COVERERS:
        raise InvalidInput("mutual_aid.error.coverer", cover=role, known=", ".join(COVERERS))
    if role == "guarantor" and not pool["guarantor"]:
        raise InvalidInput("mutual_aid.error.no_guarantor")
    with vault.transaction():
        left = _outstanding(vault, pool, int(round_no), who)
        if left <= 0:
            raise InvalidInput("mutual_aid.error.already_paid", member=who, round=round_no)
        turn = read.turns(vault, name).get(int(round_no))
        if turn is None and role == "pool":
            raise InvalidInput("mutual_aid.error.not_drawn", name=name, round=round_no)
        recipient = turn["member"] if turn is not None else ""
        creditor = {"organiser": pool["organiser"], "guarantor": pool["guarantor"], "pool": recipient}[role]
        if creditor == who:
            raise InvalidInput("mutual_aid.error.cover_self", member=who)
        vault.append("mutual_aid_pool.pay", PoolPay(
            id=new_id("pp"), pool=name, round=int(round_no), member=who, payer=creditor, amount=left,
            day=check_day(day), kind="waive" if role == "pool" else "cover"))
    return Covered(pool=name, round=int(round_no), member=who, by=role, creditor=creditor,
                   amount=format_minor(left, pool["currency"]), currency=pool["currency"])


def payout(vault: Vault, name: str, round_no: int | None = None, day: str | None = None) -> RoundPaidOut:
    """Hand the pot of the next round to its recipient. Refused until every due of the round is
    settled, for a round already paid out, and out of order."""
    pool = _open_pool(vault, name)
    with vault.transaction():
        done = read.paid_out_rounds(vault, name)
        nxt = min(set(range(1, len(json_list(pool["members"])) + 1)) - done)
        r = nxt if round_no is None else int(round_no)
        if r in done:
            raise InvalidInput("mutual_aid.error.round_paid_out", round=r)
        if r != nxt:
            raise InvalidInput("mutual_aid.error.payout_order", round=r, next=nxt)
        turn = read.turns(vault, name).get(r)
        if turn is None:
            raise InvalidInput("mutual_aid.error.not_drawn", name=name, round=r)
        dues = read.dues_of(pool, turn)
        got = read.paid(vault, name, r)
        owing = [m for m in dues if got.get((r, m), 0) < dues[m]]
        if owing:
            raise InvalidInput("mutual_aid.error.round_unpaid", round=r, members=", ".join(owing))
        cash = read.round_cash(vault, name, r)
        if turn["member"] in read.paid_out_members(vault, name):
            raise InvalidInput("mutual_aid.error.double_payout", member=turn["member"])  # pragma: no cover
        d = check_day(day)
        vault.append("mutual_aid_pool.payout", PoolPayout(pool=name, round=r, member=turn["member"], amount=cash, day=d))
    return RoundPaidOut(pool=name, round=r, member=turn["member"], amount=format_minor(cash, pool["currency"]),
                        currency=pool["currency"], day=d, completed=r == len(dues) and len(done) + 1 == len(dues))


def repay(vault: Vault, name: str, debtor: str, creditor: str, amount: Any = None, day: str | None = None) -> Repaid:
    """Record that ``debtor`` paid back (part of) what they owe ``creditor`` after a cover."""
    pool = read.pool_row(vault, name)
    a, b = check_pseudonym(debtor), check_pseudonym(creditor)
    with vault.transaction():
        owed = read.debts(vault, pool).get((a, b), 0)
        if owed <= 0:
            raise InvalidInput("mutual_aid.error.no_debt", debtor=a, creditor=b)
        minor = owed if amount is None else parse_amount(amount, pool["currency"])
        if minor > owed:
            raise InvalidInput("mutual_aid.error.overpay_debt", left=format_minor(owed, pool["currency"]),
                               currency=pool["currency"])
        vault.append("mutual_aid_pool.repay", PoolRepay(id=new_id("pr"), pool=name, debtor=a, creditor=b, amount=minor,
                                                       day=check_day(day)))
    return Repaid(pool=name, debtor=a, creditor=b, amount=format_minor(minor, pool["currency"]),
                  left=format_minor(owed - minor, pool["currency"]), currency=pool["currency"])


def close_pool(vault: Vault, name: str, reason: str = "", day: str | None = None) -> PoolClosed:
    """Stop a pool before it completes (no more payments, draws or payouts)."""
    _open_pool(vault, name)
    d = check_day(day)
    vault.append("mutual_aid_pool.close", PoolClose(pool=name, day=d, reason=reason))
    return PoolClosed(pool=name, status="closed", day=d)


# ---------------------------------------------------------------------------- the tool library and repairs
class Item(msgspec.Struct, kw_only=True, frozen=True):
    """An item added to the library."""

    id: str
    name: str
    category: str
    keeper: str
    added: str
    note: str
    retired: str | None


class Loan(msgspec.Struct, kw_only=True, frozen=True):
    """An item lent, due back on ``due``."""

    id: str
    item: str
    borrower: str
    out: str
    due: str
    back: str | None
    condition: str
    name: str


class Returned(msgspec.Struct, kw_only=True, frozen=True):
    """A lent item back (``late`` if after its due day)."""

    id: str
    item: str
    name: str
    borrower: str
    out: str
    due: str
    back: str
    late: bool


class RepairDone(msgspec.Struct, kw_only=True, frozen=True):
    """A repair finished, ``days`` after it was logged."""

    id: str
    done: str
    days: int


def _text(value: str, what: str, most: int = 120) -> str:
    v = " ".join(str(value).split())
    if not v or len(v) > most:
        raise InvalidInput("mutual_aid.error.text", what=what, most=most)
    return v


def add_item(vault: Vault, name: str, category: str = "tool", keeper: str = "", note: str = "",
             day: str | None = None) -> Item:
    """Add an item to the library; returns it with its new id (``t-…``)."""
    cat = str(category).strip().lower()
    if cat not in CATEGORIES:
        raise InvalidInput("mutual_aid.error.category", category=category, known=", ".join(CATEGORIES))
    item = Item(id=new_id("t"), name=_text(name, "name", 80), category=cat,
                keeper=check_pseudonym(keeper) if keeper else "", added=check_day(day), note=note, retired=None)
    vault.append("mutual_aid_item.put", ItemPut(id=item.id, name=item.name, category=cat, keeper=item.keeper,
                                                added=item.added, note=note, retired=None))
    return item


def lend(vault: Vault, item: str, borrower: str, days: int = 7, day: str | None = None) -> Loan:
    """Lend an item for ``days`` days. Refused if it is out already or no longer in the library."""
    row = read.item_row(vault, item)
    if row["retired"]:
        raise InvalidInput("mutual_aid.error.item_retired", item=row["id"], day=row["retired"])
    if not 1 <= int(days) <= 365:
        raise InvalidInput("mutual_aid.error.loan_days", days=days)
    who = check_pseudonym(borrower)
    with vault.transaction():
        current = read.open_loan(vault, row["id"])
        if current is not None:
            raise InvalidInput("mutual_aid.error.item_out", item=row["id"], borrower=current["borrower"],
                               due=current["due"])
        out = check_day(day)
        due = date.fromordinal(date.fromisoformat(out).toordinal() + int(days)).isoformat()
        loan = Loan(id=new_id("l"), item=row["id"], borrower=who, out=out, due=due, back=None, condition="",
                    name=row["name"])
        vault.append("mutual_aid_loan.put", LoanPut(id=loan.id, item=row["id"], borrower=who, out=out, due=due,
                                                    back=None, condition=""))
    return loan


def return_item(vault: Vault, item: str, day: str | None = None, condition: str = "") -> Returned:
    """Record that a lent item came back (optionally how: ``ok``, ``needs repair``...)."""
    row = read.item_row(vault, item)
    current = read.open_loan(vault, row["id"])
    if current is None:
        raise InvalidInput("mutual_aid.error.item_not_out", item=row["id"])
    back = check_day(day)
    if back < current["out"]:
        raise InvalidInput("mutual_aid.error.return_before_lend", day=back, out=current["out"])
    vault.append("mutual_aid_loan.put", LoanPut(id=current["id"], back=back, condition=condition))
    return Returned(id=current["id"], item=row["id"], name=row["name"], borrower=current["borrower"],
                    out=current["out"], due=current["due"], back=back, late=back > current["due"])


def log_repair(vault: Vault, what: str, area: str, who: list[str], parts: list[str] | None = None,
               day: str | None = None, done: bool = False, note: str = "") -> Repair:
    """Log a repair job: what (``generator of the Palm Quarter line``), the area code, who worked
    on it (pseudonyms), parts used. A part that names a library item (id) uses that item up."""
    code = str(area).strip().upper()
    if not _AREA.match(code):
        raise InvalidInput("mutual_aid.error.area", area=area)
    people = [check_pseudonym(w) for w in who]
    if not people:
        raise InvalidInput("mutual_aid.error.repair_who")
    d = check_day(day)
    used = [_text(p, "part", 80) for p in (parts or [])]
    rid = new_id("r")
    with vault.transaction():
        _use_parts(vault, used, rid, d)
        rep = Repair(id=rid, day=d, what=_text(what, "what"), area=code, who=people, parts=used,
                     done=d if done else None, note=note)
        vault.append("mutual_aid_repair.put", RepairPut(id=rid, what=rep.what, area=code, who=people, parts=used, day=d,
                                                        done=rep.done, note=note))
    return rep


def _use_parts(vault: Vault, parts: list[str], repair_id: str, day: str) -> None:
    for part in parts:
        row = read.item_by_id(vault, part)
        if row is None:
            continue
        if row["retired"]:
            raise InvalidInput("mutual_aid.error.item_retired", item=part, day=row["retired"])
        if read.open_loan(vault, part) is not None:
            raise InvalidInput("mutual_aid.error.item_out", item=part, borrower="", due="")
        if row["category"] in CONSUMABLE:
            vault.append("mutual_aid_item.put", ItemPut(id=part, retired=day, note=f"used in {repair_id}"))


def finish_repair(vault: Vault, repair_id: str, day: str | None = None, parts: list[str] | None = None) -> RepairDone:
    """Mark a repair done (and add parts used while finishing it)."""
    row = read.repair_row(vault, repair_id)
    if row["done"]:
        raise InvalidInput("mutual_aid.error.repair_done", id=repair_id, day=row["done"])
    d = check_day(day)
    if d < row["day"]:
        raise InvalidInput("mutual_aid.error.return_before_lend", day=d, out=row["day"])
    extra = [_text(p, "part", 80) for p in (parts or [])]
    with vault.transaction():
        _use_parts(vault, extra, repair_id, d)
        vault.append("mutual_aid_repair.put", RepairPut(id=repair_id, done=d, parts=json_list(row["parts"]) + extra))
    return RepairDone(id=repair_id, done=d, days=(date.fromisoformat(d) - date.fromisoformat(row["day"])).days)
