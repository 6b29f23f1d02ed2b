"""Typed reads of mutual aid: funds and statements, pools and their status, the tool library and
the repair log. With :mod:`~halqa.mutual_aid.events`, the only module whose SQL names the
``mutual_aid_*`` tables; the writes check their input through the row readers at the end of
each section. Amounts come out as decimal strings (:func:`~halqa.mutual_aid.money.format_minor`).
"""

from __future__ import annotations

import calendar
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid.money import check_currency, convert, format_minor
from halqa.mutual_aid.pools import due_day, round_dues
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list, json_text, today

__all__ = [
    "Debt",
    "Fund",
    "ItemStatus",
    "LedgerRows",
    "OwedDue",
    "PoolEvent",
    "PoolStatus",
    "PoolSummary",
    "Reminder",
    "Repair",
    "RepairStats",
    "ScheduledRound",
    "Statement",
    "StatementLine",
    "ThisRound",
    "balances",
    "cash_months",
    "funds",
    "giving_months",
    "list_items",
    "list_repairs",
    "month_flows",
    "pool_status",
    "pools",
    "rate_on",
    "reminders",
    "repair_stats",
    "statement",
    "statement_lines",
]



# ---------------------------------------------------------------------------- funds
class Fund(msgspec.Struct, kw_only=True, frozen=True):
    """A fund with its balance in its own currency and all it holds, per currency."""

    name: str
    currency: str
    created: str | None
    balance: str
    holdings: dict[str, str]


class StatementLine(msgspec.Struct, kw_only=True, frozen=True):
    """One line of a statement: an entry's cash movement in one currency."""

    id: str
    day: str
    type: str
    amount: str
    currency: str
    purpose: str | None
    party: str | None
    hidden: bool
    overdraft: bool
    note: str


class Statement(msgspec.Struct, kw_only=True, frozen=True):
    """A fund's statement (see :func:`statement`); ``entries`` is left out when not asked for."""

    fund: str
    currency: str
    balance: str
    month: str | None
    from_: str | None = msgspec.field(name="from")
    to: str | None
    opening: dict[str, str]
    holdings: dict[str, str]
    value: str | None
    contributions: dict[str, str]
    disbursements: dict[str, str]
    by_purpose: dict[str, dict[str, str]]
    transfers_in: dict[str, str]
    transfers_out: dict[str, str]
    exchanges: dict[str, str]
    corrections: dict[str, str]
    pledges_outstanding: dict[str, str]
    overdrawn: bool
    entries: list[StatementLine] | msgspec.UnsetType = msgspec.UNSET


def fund_row(vault: Vault, name: str) -> Any:
    """A fund's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM mutual_aid_fund WHERE name = ?", (name,))
    if row is None:
        raise NotFound("mutual_aid.error.no_fund", name=name)
    return row


def fund_exists(vault: Vault, name: str) -> bool:
    """Whether one is recorded under ``name``."""
    return vault.query_one("SELECT 1 FROM mutual_aid_fund WHERE name = ?", (name,)) is not None


def funds(vault: Vault) -> list[Fund]:
    """Every fund with its balance in its own currency (decimal strings)."""
    out = []
    for row in vault.query("SELECT * FROM mutual_aid_fund ORDER BY name"):
        held = balances(vault, row["name"])
        out.append(Fund(name=row["name"], currency=row["currency"], created=row["created"],
                        balance=held.get(row["currency"], format_minor(0, row["currency"])), holdings=held))
    return out


def cash_months(vault: Vault, fund: str) -> list[str]:
    """The months (``YYYY-MM``) in which money entered or left the fund's cash, in order."""
    rows = vault.query("SELECT DISTINCT substr(day, 1, 7) FROM mutual_aid_posting WHERE fund = ? AND account = 'cash' "
                       "ORDER BY 1", (fund,))
    return [r[0] for r in rows]


def cash(vault: Vault, fund: str, currency: str, upto: str | None = None) -> int:
    """What a fund holds in one currency, in minor units (up to a day)."""
    if upto is None:  # the running total kept by the projection
        row = vault.query_one("SELECT amount FROM mutual_aid_balance WHERE fund = ? AND account = 'cash' AND currency = ?",
                              (fund, currency))
        return 0 if row is None else int(row[0])
    sql = "SELECT coalesce(sum(amount), 0) FROM mutual_aid_posting WHERE fund = ? AND account = 'cash' AND currency = ?"
    args: list[Any] = [fund, currency]
    if upto is not None:
        sql += " AND day <= ?"
        args.append(upto)
    return int(vault.query_one(sql, args)[0])


def balances(vault: Vault, fund: str, upto: str | None = None, account: str = "cash") -> dict[str, str]:
    """What a fund holds (or, with ``account="pledged"``, is owed) per currency, up to a day."""
    if upto is None:
        rows = vault.query("SELECT currency, amount FROM mutual_aid_balance WHERE fund = ? AND account = ? "
                           "ORDER BY currency", (fund, account))
        return {r[0]: format_minor(int(r[1]), r[0]) for r in rows if int(r[1]) != 0}
    sql = "SELECT currency, sum(amount) FROM mutual_aid_posting WHERE fund = ? AND account = ?"
    args: list[Any] = [fund, account]
    if upto is not None:
        sql += " AND day <= ?"
        args.append(upto)
    rows = vault.query(sql + " GROUP BY currency ORDER BY currency", args)
    return {r[0]: format_minor(int(r[1]), r[0]) for r in rows if int(r[1]) != 0}


def rate_on(vault: Vault, currency: str, quote: str, day: str | None = None) -> Decimal | None:
    """The latest recorded rate (units of ``quote`` per ``currency``) on or before ``day``;
    an inverse rate is used if only that was recorded. ``None`` if there is none."""
    cur, q = check_currency(currency), check_currency(quote)
    if cur == q:
        return Decimal(1)
    d = check_day(day)
    row = vault.query_one(
        "SELECT day, currency, rate FROM mutual_aid_rate WHERE day <= ? AND "
        "((currency = ? AND quote = ?) OR (currency = ? AND quote = ?)) ORDER BY day DESC, currency = ? DESC LIMIT 1",
        (d, cur, q, q, cur, cur))
    if row is None:
        return None
    rate = Decimal(row["rate"])
    return rate if row["currency"] == cur else Decimal(1) / rate


def pledge_left(vault: Vault, fund: str, pledge_id: str) -> tuple[str, int]:
    """A pledge's currency and what is still outstanding on it (minor units), or :class:`NotFound`."""
    row = vault.query_one(
        "SELECT p.currency, e.party FROM mutual_aid_entry e JOIN mutual_aid_posting p ON p.entry = e.id "
        "WHERE e.id = ? AND e.type = 'pledge' AND p.fund = ? AND p.account = 'pledged'", (pledge_id, fund))
    if row is None:
        raise NotFound("mutual_aid.error.no_pledge", id=pledge_id, fund=fund)
    left = vault.query_one(
        "SELECT coalesce(sum(p.amount), 0) FROM mutual_aid_posting p JOIN mutual_aid_entry e ON e.id = p.entry "
        "WHERE p.account = 'pledged' AND p.fund = ? AND (e.id = ? OR e.ref = ?)", (fund, pledge_id, pledge_id))[0]
    return row["currency"], int(left)


def entry_row(vault: Vault, entry_id: str) -> Any:
    """An entry's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM mutual_aid_entry WHERE id = ?", (entry_id,))
    if row is None:
        raise NotFound("mutual_aid.error.no_entry", id=entry_id)
    return row


def voided(vault: Vault, entry_id: str) -> bool:
    """Whether a void entry already reverses ``entry_id``."""
    return vault.query_one("SELECT 1 FROM mutual_aid_entry WHERE type = 'void' AND ref = ?", (entry_id,)) is not None


def entry_postings(vault: Vault, entry_id: str) -> list[tuple[str, str, str, str, int]]:
    """An entry's postings in order: ``(fund, account, sub, currency, amount)``."""
    return [(p[0], p[1], p[2], p[3], int(p[4])) for p in vault.query(
        "SELECT fund, account, sub, currency, amount FROM mutual_aid_posting WHERE entry = ? ORDER BY n", (entry_id,))]


def month_flows(vault: Vault, month: str) -> dict[str, dict[str, str]]:
    """Money given to and paid out of all funds in ``month``, per currency: the sums of the
    ``contributions`` and ``disbursements`` of every fund's statement for that month, from the
    month's cash flows the ledger's projection keeps as entries arrive (joining the month's
    postings to their entries took 0.13 s at 150,000 contributions)."""
    month = _month_bounds(month)[0][:7]  # checked, as YYYY-MM
    sums: dict[str, dict[str, int]] = {"contribution": defaultdict(int), "disbursement": defaultdict(int)}
    for kind, cur, amount in vault.query(
            "SELECT type, currency, sum(amount) FROM mutual_aid_flow WHERE month = ? "
            "AND fund IN (SELECT name FROM mutual_aid_fund) AND type IN ('contribution', 'disbursement') "
            "GROUP BY type, currency", (month,)):
        sums[kind][cur] += int(amount)
    return {"contributions": _fmt(sums["contribution"]), "disbursements": _fmt({c: -v for c, v in sums["disbursement"].items()})}


def giving_months(vault: Vault, parties: Iterable[str] | None = None) -> dict[str, set[str]]:
    """For each party who gave to any fund, the months (``YYYY-MM``) of their contributions: what
    the funds' statements list as contributions with a visible party (private ones and entries
    that net to zero are left out), from the table the ledger's projection keeps as entries
    arrive, instead of every statement's entries. With ``parties``, only those (circle health
    asks for its circles' members, not the 3,000 givers of a large vault)."""
    out: dict[str, set[str]] = defaultdict(set)
    sql = "SELECT party, month FROM mutual_aid_giving WHERE fund IN (SELECT name FROM mutual_aid_fund)"
    args: tuple[str, ...] = ()
    if parties is not None:
        args = (json_text(sorted(set(parties))),)
        sql += " AND party IN (SELECT value FROM json_each(?))"
    for party, month in vault.query(sql, args):
        out[party].add(month)
    return dict(out)


def _month_bounds(month: str) -> tuple[str, str]:
    try:
        y, m = (int(x) for x in month.split("-"))
        first = date(y, m, 1)
    except (ValueError, TypeError):
        raise InvalidInput("mutual_aid.error.month", month=month) from None
    return first.isoformat(), date(y, m, calendar.monthrange(y, m)[1]).isoformat()


def _fmt(sums: dict[str, int]) -> dict[str, str]:
    return {c: format_minor(v, c) for c, v in sorted(sums.items()) if v}


_LINES = ("SELECT e.id, e.day, e.hlc, e.type, e.purpose, e.party, e.private, e.ref, e.note, e.overdraft, p.currency, "
          "sum(p.amount) AS amount FROM mutual_aid_posting p JOIN mutual_aid_entry e ON e.id = p.entry "
          "WHERE p.fund = ? AND p.account = 'cash' AND p.day BETWEEN ? AND ? GROUP BY e.id, p.currency")


def _line(r: Any, amt: int, kind: str, hide_parties: bool) -> StatementLine:
    """One line of a statement: an entry's cash movement in one currency."""
    hidden = hide_parties or bool(r["private"])
    party = r["party"] if r["type"] != "transfer" else (r["party"] if amt < 0 else r["ref"])
    return StatementLine(id=r["id"], day=r["day"], type=kind, amount=format_minor(amt, r["currency"]),
                         currency=r["currency"], purpose=r["purpose"] or None, party=None if hidden else party,
                         hidden=hidden and bool(r["party"]), overdraft=bool(r["overdraft"]), note=r["note"] or "")


def statement_lines(vault: Vault, fund: str, offset: int = 0, limit: int = 20,
                    hide_parties: bool = False) -> tuple[int, list[StatementLine]]:
    """The lines of :func:`statement`'s ``entries``, newest first, ``limit`` of them from
    ``offset``, and how many there are in all: one page read from the lines the ledger's
    projection keeps in the statement's order (a fund of 50,000 contributions took most of a
    second to list in full, and still a second to group for one page)."""
    fund_row(vault, fund)
    total = int(vault.query_one("SELECT count(*) FROM mutual_aid_line WHERE fund = ?", (fund,))[0])
    rows = vault.query(
        "SELECT l.entry AS id, l.day, l.currency, l.amount, e.type, e.purpose, e.party, e.private, e.ref, e.note, "
        "e.overdraft FROM mutual_aid_line l JOIN mutual_aid_entry e ON e.id = l.entry WHERE l.fund = ? "
        "ORDER BY l.day DESC, l.hlc DESC, l.entry DESC, l.currency DESC LIMIT ? OFFSET ?",
        (fund, max(0, int(limit)), max(0, int(offset))))
    out = []
    for r in rows:
        amt, kind = int(r["amount"]), r["type"]
        if kind == "transfer":
            kind = "transfer_in" if amt > 0 else "transfer_out"
        out.append(_line(r, amt, kind, hide_parties))
    return total, out


def statement(vault: Vault, fund: str, month: str | None = None, hide_parties: bool = False,
              entries: bool = True) -> Statement:
    """A fund's statement: opening and closing holdings, totals by type and by purpose, and the
    entries (with ``month="2026-05"`` for that month only). ``balance`` is what the fund holds in
    its own currency at the end; ``value`` is all holdings in that currency at the latest rates
    (``None`` if a rate is missing). Recipients are pseudonyms; ``hide_parties`` hides them all,
    and private entries never show them. Amounts are decimal strings."""
    row = fund_row(vault, fund)
    base = row["currency"]
    start, end = _month_bounds(month) if month else ("0000-01-01", "9999-12-31")
    opening: dict[str, int] = defaultdict(int)
    closing: dict[str, int] = defaultdict(int)
    for cur, amt, before in vault.query(
            "SELECT currency, sum(amount), day < ? FROM mutual_aid_posting WHERE fund = ? AND account = 'cash' "
            "AND day <= ? GROUP BY currency, day < ?", (start, fund, end, start)):
        closing[cur] += int(amt)
        if before:
            opening[cur] += int(amt)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_purpose: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lines = []
    rows = vault.query(f"{_LINES} ORDER BY e.day, e.hlc, e.id", (fund, start, end))
    for r in rows:
        amt, cur, kind = int(r["amount"]), r["currency"], r["type"]
        if amt == 0:
            continue
        if kind == "transfer":
            kind = "transfer_in" if amt > 0 else "transfer_out"
        totals[kind][cur] += amt
        if r["type"] == "disbursement":
            by_purpose[r["purpose"]][cur] += -amt
        if entries:
            lines.append(_line(r, amt, kind, hide_parties))
    value: int | None = 0
    for cur, amt in closing.items():
        rate = rate_on(vault, cur, base, end if month else today())
        if rate is None or value is None:
            value = None
            continue
        part = convert(abs(amt), cur, rate, base)
        value += part if amt >= 0 else -part
    return Statement(
        fund=fund, currency=base, balance=format_minor(closing.get(base, 0), base), month=month,
        from_=start if month else None, to=end if month else None, opening=_fmt(opening), holdings=_fmt(closing),
        value=None if value is None else format_minor(value, base),
        contributions=_fmt(totals["contribution"]),
        disbursements=_fmt({c: -v for c, v in totals["disbursement"].items()}),
        by_purpose={p: _fmt(v) for p, v in sorted(by_purpose.items())},
        transfers_in=_fmt(totals["transfer_in"]),
        transfers_out=_fmt({c: -v for c, v in totals["transfer_out"].items()}),
        exchanges=_fmt(totals["exchange"]), corrections=_fmt(totals["void"]),
        pledges_outstanding=balances(vault, fund, upto=end, account="pledged"),
        overdrawn=any(v < 0 for v in closing.values()),
        entries=lines if entries else msgspec.UNSET)


class LedgerRows(msgspec.Struct, kw_only=True, frozen=True):
    """What the Beancount export reads: the funds, the entries touching them and all their
    postings (rows as the projection keeps them), and every recorded rate."""

    funds: list[Any]
    entries: list[Any]
    postings: list[Any]
    rates: list[Any]


def ledger_rows(vault: Vault, fund: str | None = None) -> LedgerRows:
    """The rows of one fund's ledger (or all funds'), for :func:`~halqa.mutual_aid.export_beancount`."""
    fund_rows = vault.query("SELECT * FROM mutual_aid_fund" + (" WHERE name = ?" if fund else "") + " ORDER BY name",
                            (fund,) if fund else ())
    names = [r["name"] for r in fund_rows]
    marks = ", ".join("?" for _ in names) or "NULL"
    postings = vault.query(
        f"SELECT p.entry, p.n, p.fund, p.account, p.sub, p.currency, p.amount FROM mutual_aid_posting p "
        f"WHERE p.entry IN (SELECT entry FROM mutual_aid_posting WHERE fund IN ({marks})) ORDER BY p.entry, p.n", names)
    entries = vault.query(
        "SELECT * FROM mutual_aid_entry WHERE id IN (SELECT DISTINCT entry FROM mutual_aid_posting WHERE fund IN "
        f"({marks})) ORDER BY day, hlc, id", names)
    rates = vault.query("SELECT * FROM mutual_aid_rate ORDER BY day, currency, quote")
    return LedgerRows(funds=list(fund_rows), entries=list(entries), postings=list(postings), rates=list(rates))


# ---------------------------------------------------------------------------- pools
class PoolSummary(msgspec.Struct, kw_only=True, frozen=True):
    """A pool in the list of pools."""

    name: str
    members: int
    status: str
    amount: str
    currency: str
    period: str
    method: str
    paid_out: int


class ScheduledRound(msgspec.Struct, kw_only=True, frozen=True):
    """A round of a pool's schedule: when it falls due, to whom, and what was paid and paid out."""

    round: int
    due: str
    recipient: str | None
    discount: str | None
    pot: str | None
    paid: str
    paid_out: str | None
    paid_out_day: str | None


class OwedDue(msgspec.Struct, kw_only=True, frozen=True):
    """A member's due in the current round: owed, paid, left, and whether its day has passed."""

    member: str
    due: str
    paid: str
    left: str
    late: bool


class ThisRound(msgspec.Struct, kw_only=True, frozen=True):
    """The first round not yet paid out."""

    round: int
    due: str
    recipient: str | None
    drawn: bool
    owes: list[OwedDue]
    ready: bool


class PoolEvent(msgspec.Struct, kw_only=True, frozen=True):
    """A payment, cover, waiver or payout in a pool's history."""

    day: str
    event: str
    round: int
    member: str
    payer: str | None
    amount: str


class Debt(msgspec.Struct, kw_only=True, frozen=True):
    """What a member still owes whoever covered a missed due."""

    debtor: str
    creditor: str
    amount: str


class PoolStatus(msgspec.Struct, kw_only=True, frozen=True):
    """Schedule, who owes what this round, debts and history of a pool (see :func:`pool_status`)."""

    pool: str
    status: str
    currency: str
    amount: str
    period: str
    method: str
    start: str
    members: list[str]
    organiser: str
    guarantor: str | None
    cover: str
    seed: str | None
    rounds: int
    round: int | None
    this_round: ThisRound | None
    schedule: list[ScheduledRound]
    debts: list[Debt]
    history: list[PoolEvent]
    today: str


class Reminder(msgspec.Struct, kw_only=True, frozen=True):
    """A due still open in an open pool."""

    pool: str
    round: int
    member: str
    due: str
    left: str
    currency: str
    overdue: bool


def pool_row(vault: Vault, name: str) -> Any:
    """A pool's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM mutual_aid_pool WHERE name = ?", (name,))
    if row is None:
        raise NotFound("mutual_aid.error.no_pool", name=name)
    return row


def pool_exists(vault: Vault, name: str) -> bool:
    """Whether one is recorded under ``name``."""
    return vault.query_one("SELECT 1 FROM mutual_aid_pool WHERE name = ?", (name,)) is not None


def turns(vault: Vault, name: str) -> dict[int, Any]:
    """A pool's drawn turns by round (rows: round, member, discount, bids)."""
    return {r["round"]: r for r in vault.query("SELECT * FROM mutual_aid_pool_turn WHERE pool = ? ORDER BY round", (name,))}


def paid(vault: Vault, name: str, round_no: int | None = None) -> dict[tuple[int, str], int]:
    """What was paid toward each ``(round, member)`` due (minor units)."""
    sql = "SELECT round, member, sum(amount) FROM mutual_aid_pool_payment WHERE pool = ?"
    args: list[Any] = [name]
    if round_no is not None:
        sql += " AND round = ?"
        args.append(round_no)
    return {(r[0], r[1]): int(r[2]) for r in vault.query(sql + " GROUP BY round, member", args)}


def paid_out_rounds(vault: Vault, name: str) -> set[int]:
    """The rounds of a pool already paid out."""
    return {r[0] for r in vault.query("SELECT round FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}


def paid_out_members(vault: Vault, name: str) -> set[str]:
    """The members of a pool who already took the pot."""
    return {r[0] for r in vault.query("SELECT member FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}


def round_cash(vault: Vault, name: str, round_no: int) -> int:
    """The money actually handed in for a round (waived dues are not cash)."""
    return int(vault.query_one("SELECT coalesce(sum(amount), 0) FROM mutual_aid_pool_payment WHERE pool = ? "
                               "AND round = ? AND kind != 'waive'", (name, round_no))[0])


def dues_of(pool: Any, turn: Any) -> dict[str, int]:
    """A round's dues; before the draw (never in bid pools) everyone owes the full amount."""
    if turn is None:
        return {m: pool["amount"] for m in json_list(pool["members"])}
    return round_dues(json_list(pool["members"]), pool["amount"], turn["member"], turn["discount"])


def debts(vault: Vault, pool: Any) -> dict[tuple[str, str], int]:
    """What each debtor still owes each creditor after covers and repayments (minor units)."""
    out: dict[tuple[str, str], int] = {}
    for r in vault.query("SELECT member, payer, sum(amount) FROM mutual_aid_pool_payment WHERE pool = ? "
                         "AND kind IN ('cover', 'waive') GROUP BY member, payer", (pool["name"],)):
        out[(r[0], r[1])] = out.get((r[0], r[1]), 0) + int(r[2])
    for r in vault.query("SELECT debtor, creditor, sum(amount) FROM mutual_aid_pool_repay WHERE pool = ? "
                         "GROUP BY debtor, creditor", (pool["name"],)):
        out[(r[0], r[1])] = out.get((r[0], r[1]), 0) - int(r[2])
    return out


def pools(vault: Vault) -> list[PoolSummary]:
    """Every pool: name, members, amount, status and rounds paid out."""
    out = []
    for p in vault.query("SELECT * FROM mutual_aid_pool ORDER BY name"):
        n = vault.query_one("SELECT count(*) FROM mutual_aid_pool_payout WHERE pool = ?", (p["name"],))[0]
        out.append(PoolSummary(name=p["name"], members=len(json_list(p["members"])), status=p["status"],
                               amount=format_minor(p["amount"], p["currency"]), currency=p["currency"],
                               period=p["period"], method=p["method"], paid_out=n))
    return out


def pool_status(vault: Vault, name: str, today_: str | None = None) -> PoolStatus:
    """Schedule, who owes what this round, debts and history of a pool (amounts as decimal strings).

    ``round`` is the first round not yet paid out (``None`` once completed); ``this_round.owes``
    lists every member's due, paid and left for it, ``late`` when its day has passed."""
    pool = pool_row(vault, name)
    cur = pool["currency"]
    members: list[str] = json_list(pool["members"])
    now = check_day(today_)
    drawn = turns(vault, name)
    got_by = paid(vault, name)
    payouts = {r["round"]: r for r in vault.query("SELECT * FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}
    schedule = []
    for r in range(1, len(members) + 1):
        turn = drawn.get(r)
        dues = dues_of(pool, turn) if turn else None
        got = sum(v for (rr, _), v in got_by.items() if rr == r)
        schedule.append(ScheduledRound(
            round=r, due=due_day(pool["start"], pool["period"], r), recipient=turn["member"] if turn else None,
            discount=format_minor(turn["discount"], cur) if turn else None,
            pot=format_minor(sum(dues.values()), cur) if dues else None, paid=format_minor(got, cur),
            paid_out=format_minor(payouts[r]["amount"], cur) if r in payouts else None,
            paid_out_day=payouts[r]["day"] if r in payouts else None))
    current = next((r for r in range(1, len(members) + 1) if r not in payouts), None)
    this_round = None
    if current is not None and pool["status"] == "open":
        turn = drawn.get(current)
        day_due = due_day(pool["start"], pool["period"], current)
        owes = []
        if turn is not None or pool["method"] != "bid":
            for m, due in dues_of(pool, turn).items():
                got = got_by.get((current, m), 0)
                owes.append(OwedDue(member=m, due=format_minor(due, cur), paid=format_minor(got, cur),
                                    left=format_minor(due - got, cur), late=due > got and now > day_due))
        this_round = ThisRound(round=current, due=day_due, recipient=turn["member"] if turn else None,
                               drawn=turn is not None, owes=owes,
                               ready=turn is not None and all(o.left == format_minor(0, cur) for o in owes))
    history = [PoolEvent(day=r["day"], event=r["kind"], round=r["round"], member=r["member"], payer=r["payer"],
                         amount=format_minor(r["amount"], cur))
               for r in vault.query("SELECT * FROM mutual_aid_pool_payment WHERE pool = ? ORDER BY day, hlc", (name,))]
    history += [PoolEvent(day=r["day"], event="payout", round=rr, member=r["member"], payer=None,
                          amount=format_minor(r["amount"], cur)) for rr, r in sorted(payouts.items())]
    history.sort(key=lambda h: (h.day, h.event == "payout"))
    owed = [Debt(debtor=a, creditor=b, amount=format_minor(v, cur))
            for (a, b), v in sorted(debts(vault, pool).items()) if v > 0]
    return PoolStatus(
        pool=name, status=pool["status"], currency=cur, amount=format_minor(pool["amount"], cur),
        period=pool["period"], method=pool["method"], start=pool["start"], members=members,
        organiser=pool["organiser"], guarantor=pool["guarantor"] or None, cover=pool["cover"],
        seed=pool["seed"] or None, rounds=len(members), round=current, this_round=this_round,
        schedule=schedule, debts=owed, history=history, today=now)


def reminders(vault: Vault, today_: str | None = None, days_ahead: int = 3) -> list[Reminder]:
    """Dues still open in every open pool whose day has passed or comes within ``days_ahead``."""
    now = check_day(today_)
    horizon = (date.fromisoformat(now) + timedelta(days=days_ahead)).isoformat()
    out = []
    for p in vault.query("SELECT * FROM mutual_aid_pool WHERE status = 'open' ORDER BY name"):
        got_by = paid(vault, p["name"])
        done = paid_out_rounds(vault, p["name"])
        for r, turn in turns(vault, p["name"]).items():
            day_due = due_day(p["start"], p["period"], r)
            if r in done or day_due > horizon:
                continue
            for m, due in dues_of(p, turn).items():
                left = due - got_by.get((r, m), 0)
                if left > 0:
                    out.append(Reminder(pool=p["name"], round=r, member=m, due=day_due,
                                        left=format_minor(left, p["currency"]), currency=p["currency"],
                                        overdue=now > day_due))
    return out


# ---------------------------------------------------------------------------- the tool library and repairs
class ItemStatus(msgspec.Struct, kw_only=True, frozen=True):
    """An item of the library and where it is now."""

    id: str
    name: str
    category: str
    keeper: str | None
    holder: str | None
    lent: bool
    due: str | None
    overdue: bool
    days_overdue: int
    retired: str | None


class Repair(msgspec.Struct, kw_only=True, frozen=True):
    """A job in the repair log."""

    id: str
    day: str
    what: str
    area: str
    who: list[str]
    parts: list[str]
    done: str | None
    note: str


class RepairStats(msgspec.Struct, kw_only=True, frozen=True):
    """Figures of the repair log for circle health."""

    logged: int
    done: int
    open: int
    median_days: float | None
    people: int
    by_area: dict[str, int]
    by_month: dict[str, int]


def item_row(vault: Vault, ref: str) -> Any:
    """An item by id, or by name when exactly one item in the library has it."""
    row = item_by_id(vault, ref)
    if row is not None:
        return row
    rows = vault.query("SELECT * FROM mutual_aid_item WHERE name = ? AND retired IS NULL", (ref,))
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise InvalidInput("mutual_aid.error.item_ambiguous", name=ref, ids=", ".join(r["id"] for r in rows))
    raise NotFound("mutual_aid.error.no_item", item=ref)


def item_by_id(vault: Vault, item_id: str) -> Any:
    """An item's row by id, or ``None``."""
    return vault.query_one("SELECT * FROM mutual_aid_item WHERE id = ?", (item_id,))


def open_loan(vault: Vault, item_id: str) -> Any:
    """The loan of an item not yet returned, or ``None``."""
    return vault.query_one("SELECT * FROM mutual_aid_loan WHERE item = ? AND back IS NULL ORDER BY out DESC", (item_id,))


def repair_row(vault: Vault, repair_id: str) -> Any:
    """A repair's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM mutual_aid_repair WHERE id = ?", (repair_id,))
    if row is None:
        raise NotFound("mutual_aid.error.no_repair", id=repair_id)
    return row


def list_items(vault: Vault, today: str | None = None, overdue_only: bool = False,
               include_retired: bool = False) -> list[ItemStatus]:
    """Items with where they are now: with their keeper, or lent (to whom, due when, overdue)."""
    now = check_day(today)
    out = []
    for r in vault.query("SELECT * FROM mutual_aid_item ORDER BY category, name, id"):
        if r["retired"] and not include_retired:
            continue
        loan = open_loan(vault, r["id"])
        overdue = loan is not None and now > loan["due"]
        if overdue_only and not overdue:
            continue
        out.append(ItemStatus(
            id=r["id"], name=r["name"], category=r["category"], keeper=r["keeper"] or None,
            holder=loan["borrower"] if loan else (r["keeper"] or None), lent=loan is not None,
            due=loan["due"] if loan else None, overdue=overdue,
            days_overdue=(date.fromisoformat(now) - date.fromisoformat(loan["due"])).days if overdue else 0,
            retired=r["retired"]))
    return out


def _repairs(vault: Vault, sql: str, args: list[Any]) -> Iterator[Repair]:
    for r in vault.query(sql, args):
        yield Repair(id=r["id"], day=r["day"], what=r["what"], area=r["area"], who=json_list(r["who"]),
                     parts=json_list(r["parts"]), done=r["done"], note=r["note"] or "")


def list_repairs(vault: Vault, area: str | None = None, open_only: bool = False) -> list[Repair]:
    """The repair log, newest first."""
    sql, args = "SELECT * FROM mutual_aid_repair WHERE 1 = 1", []
    if area:
        sql += " AND area = ?"
        args.append(area.strip().upper())
    if open_only:
        sql += " AND done IS NULL"
    return list(_repairs(vault, sql + " ORDER BY day DESC, id", args))


def repair_stats(vault: Vault, since: str | None = None) -> RepairStats:
    """Figures for circle health: jobs logged, done and open, median days to finish, people who
    took part, and jobs per area and month."""
    start = check_day(since) if since else "0000-01-01"
    rows = list(_repairs(vault, "SELECT * FROM mutual_aid_repair WHERE day >= ?", [start]))
    days = [(date.fromisoformat(r.done) - date.fromisoformat(r.day)).days for r in rows if r.done]
    by_area: dict[str, int] = {}
    by_month: dict[str, int] = {}
    people: set[str] = set()
    for r in rows:
        by_area[r.area] = by_area.get(r.area, 0) + 1
        by_month[r.day[:7]] = by_month.get(r.day[:7], 0) + 1
        people |= set(r.who)
    return RepairStats(logged=len(rows), done=len(days), open=len(rows) - len(days),
                       median_days=statistics.median(days) if days else None, people=len(people),
                       by_area=dict(sorted(by_area.items())), by_month=dict(sorted(by_month.items())))
