"""Funds: a double-entry ledger for a circle's money.

Every change is one balanced *entry* (event ``mutual_aid_entry.post``) of postings to accounts of
a fund. Amounts are integer minor units (see :mod:`halqa.mutual_aid.money`); in every entry the
postings of each currency sum to zero, so money never appears or vanishes. Accounts, per fund:

=============  ==========================================================================
``cash``       what the fund holds, per currency (its balance)
``pledged``    promised but not yet handed over (a receivable); fulfilling moves it to cash
``income``     where contributions (``sub = contributions``) and pledges (``pledges``) come from
``expense``    where disbursements go, by purpose (``sub = medicine``, ``family``, ...)
``conversion`` the other side of a currency exchange (a trading account: USD in, IQD out)
=============  ==========================================================================

Corrections are reversing entries (:func:`void`), never edits. Who gave or received is a
pseudonym (``party``); an entry marked ``private`` never shows it in a statement or export.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid.common import check_name, check_pseudonym
from halqa.mutual_aid.money import (
    check_currency,
    convert,
    format_minor,
    parse_amount,
    parse_rate,
)
from halqa.vault import Event, Projection, RecordProjection, Vault, register_kind, register_projection
from halqa.vault.values import check_day, new_id, today

__all__ = [
    "PURPOSES",
    "EntryPost",
    "FundPut",
    "Posting",
    "RatePut",
    "balances",
    "cancel_pledge",
    "cash_months",
    "contribute",
    "create_fund",
    "disburse",
    "exchange",
    "funds",
    "pledge",
    "rate_on",
    "set_rate",
    "statement",
    "transfer",
    "void",
]

UNSET = msgspec.UNSET

#: Purposes offered for disbursements (others are accepted if they are a short lowercase word).
PURPOSES: tuple[str, ...] = ("family", "medicine", "fuel", "food", "repairs", "rent", "legal",
                             "transport", "childcare", "other")


class FundPut(msgspec.Struct, kw_only=True):
    name: str
    currency: str | msgspec.UnsetType = UNSET
    created: str | msgspec.UnsetType = UNSET
    note: str | msgspec.UnsetType = UNSET


class RatePut(msgspec.Struct, kw_only=True):
    id: str  # "<day>:<currency>:<quote>"
    day: str | msgspec.UnsetType = UNSET
    currency: str | msgspec.UnsetType = UNSET
    quote: str | msgspec.UnsetType = UNSET
    rate: str | msgspec.UnsetType = UNSET  # exact decimal text: units of quote per unit of currency


class Posting(msgspec.Struct, array_like=True):
    fund: str
    account: str  # cash | pledged | income | expense | conversion
    sub: str  # contributions, pledges, a purpose, or ""
    currency: str
    amount: int  # minor units, signed


class EntryPost(msgspec.Struct, kw_only=True):
    id: str
    day: str
    type: str  # contribution | pledge | disbursement | transfer | exchange | pledge_cancel | void
    postings: list[Posting]
    purpose: str = ""
    party: str = ""
    private: bool = False
    ref: str = ""  # pledge id (fulfilment, cancel) or voided entry id
    note: str = ""
    overdraft: bool = False


register_kind("mutual_aid_fund.put", FundPut)
register_kind("mutual_aid_rate.put", RatePut)
register_kind("mutual_aid_entry.post", EntryPost)
register_projection(RecordProjection("mutual_aid_fund", FundPut, key="name"))
register_projection(RecordProjection("mutual_aid_rate", RatePut, indexes=("day",)))

ACCOUNTS = frozenset({"cash", "pledged", "income", "expense", "conversion"})


class LedgerProjection(Projection):
    """Entries and their postings. An entry whose postings do not balance per currency, or
    whose id was already seen, is ignored (the same way on every device)."""

    name = "mutual_aid_ledger"
    version = 3  # 3: mutual_aid_giving
    kinds = frozenset({"mutual_aid_entry.post"})
    tables = ("mutual_aid_entry", "mutual_aid_posting", "mutual_aid_balance", "mutual_aid_giving")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_entry (id TEXT PRIMARY KEY, day TEXT NOT NULL, "
                     "hlc INTEGER NOT NULL, type TEXT NOT NULL, purpose TEXT, party TEXT, private INTEGER, "
                     "ref TEXT, note TEXT, overdraft INTEGER)")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_posting (entry TEXT NOT NULL, n INTEGER NOT NULL, "
                     "day TEXT NOT NULL, fund TEXT NOT NULL, account TEXT NOT NULL, sub TEXT NOT NULL, "
                     "currency TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (entry, n))")
        conn.execute("CREATE INDEX IF NOT EXISTS mutual_aid_posting_fund ON mutual_aid_posting (fund, account, day)")
        conn.execute("CREATE INDEX IF NOT EXISTS mutual_aid_entry_ref ON mutual_aid_entry (ref)")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_balance (fund TEXT NOT NULL, account TEXT NOT NULL, "
                     "currency TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (fund, account, currency))")
        # who gave to which fund in which month (the contributions a statement lists with their
        # party), kept as entries arrive: circle health reads it instead of every statement
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_giving (fund TEXT NOT NULL, party TEXT NOT NULL, "
                     "month TEXT NOT NULL, entries INTEGER NOT NULL, PRIMARY KEY (fund, party, month))")

    @staticmethod
    def giving(conn: Any, e: EntryPost) -> None:
        """Count a contribution with a visible party in every fund whose cash it moves."""
        if e.type != "contribution" or not e.party or e.private:
            return
        moved: dict[tuple[str, str], int] = defaultdict(int)
        for p in e.postings:
            if p.account == "cash":
                moved[(p.fund, p.currency)] += p.amount
        funds = sorted({fund for (fund, _), amount in moved.items() if amount})
        conn.executemany("INSERT INTO mutual_aid_giving VALUES (?, ?, ?, 1) ON CONFLICT (fund, party, month) "
                         "DO UPDATE SET entries = entries + 1", [(fund, e.party, e.day[:7]) for fund in funds])

    def apply(self, conn: Any, event: Event) -> None:
        e: EntryPost = event.payload
        if not entry_balanced(e) or conn.execute("SELECT 1 FROM mutual_aid_entry WHERE id = ?", (e.id,)).fetchone():
            return
        conn.execute("INSERT INTO mutual_aid_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (e.id, e.day, event.hlc, e.type, e.purpose, e.party, int(e.private), e.ref, e.note,
                      int(e.overdraft)))
        conn.executemany("INSERT INTO mutual_aid_posting VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(e.id, n, e.day, p.fund, p.account, p.sub, p.currency, p.amount)
                          for n, p in enumerate(e.postings)])
        conn.executemany("INSERT INTO mutual_aid_balance VALUES (?, ?, ?, ?) ON CONFLICT (fund, account, currency) "
                         "DO UPDATE SET amount = amount + excluded.amount",
                         [(p.fund, p.account, p.currency, p.amount) for p in e.postings])
        self.giving(conn, e)


register_projection(LedgerProjection())


def entry_balanced(entry: EntryPost) -> bool:
    """True if the entry has postings, known accounts, and sums to zero in every currency."""
    if not entry.postings:
        return False
    sums: dict[str, int] = defaultdict(int)
    for p in entry.postings:
        if p.account not in ACCOUNTS or p.amount == 0:
            return False
        sums[p.currency] += p.amount
    return all(v == 0 for v in sums.values())


# ---------------------------------------------------------------------------- funds and rates
def _fund(vault: Vault, name: str) -> Any:
    row = vault.query_one("SELECT * FROM mutual_aid_fund WHERE name = ?", (name,))
    if row is None:
        raise NotFound("mutual_aid.error.no_fund", name=name)
    return row


def create_fund(vault: Vault, name: str, currency: str = "IQD", note: str = "", day: str | None = None) -> dict:
    """Create a fund kept in ``currency`` (it may also hold other currencies)."""
    name = check_name(name, "fund")
    cur = check_currency(currency)
    if vault.query_one("SELECT 1 FROM mutual_aid_fund WHERE name = ?", (name,)):
        raise InvalidInput("mutual_aid.error.fund_exists", name=name)
    created = check_day(day)
    vault.append("mutual_aid_fund.put", FundPut(name=name, currency=cur, created=created, note=note))
    return {"name": name, "currency": cur, "created": created}


def funds(vault: Vault) -> list[dict]:
    """Every fund with its balance in its own currency (decimal strings)."""
    out = []
    for row in vault.query("SELECT * FROM mutual_aid_fund ORDER BY name"):
        held = balances(vault, row["name"])
        out.append({"name": row["name"], "currency": row["currency"], "created": row["created"],
                    "balance": held.get(row["currency"], format_minor(0, row["currency"])),
                    "holdings": held})
    return out


def cash_months(vault: Vault, fund: str) -> list[str]:
    """The months (``YYYY-MM``) in which money entered or left the fund's cash, in order."""
    rows = vault.query("SELECT DISTINCT substr(day, 1, 7) FROM mutual_aid_posting WHERE fund = ? AND account = 'cash' "
                       "ORDER BY 1", (fund,))
    return [r[0] for r in rows]


def _cash(vault: Vault, fund: str, currency: str, upto: str | None = None) -> int:
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


def set_rate(vault: Vault, currency: str, rate: Any, day: str | None = None, quote: str = "IQD") -> dict:
    """Record that on ``day`` one unit of ``currency`` was worth ``rate`` units of ``quote``."""
    cur, q = check_currency(currency), check_currency(quote)
    if cur == q:
        raise InvalidInput("mutual_aid.error.same_currency", currency=cur)
    value = parse_rate(rate)
    d = check_day(day)
    vault.append("mutual_aid_rate.put", RatePut(id=f"{d}:{cur}:{q}", day=d, currency=cur, quote=q,
                                                 rate=format(value, "f")))
    return {"day": d, "currency": cur, "quote": q, "rate": format(value, "f")}


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


# ---------------------------------------------------------------------------- entries
def _purpose(purpose: str) -> str:
    p = str(purpose).strip().lower()
    if not p or len(p) > 24 or not p.replace("-", "").isascii() or not p.replace("-", "").isalpha():
        raise InvalidInput("mutual_aid.error.purpose", purpose=purpose, known=", ".join(PURPOSES))
    return p


def _post(vault: Vault, entry: EntryPost) -> dict:
    if not entry_balanced(entry):  # pragma: no cover - every builder below balances
        raise InvalidInput("mutual_aid.error.unbalanced", id=entry.id)
    vault.append("mutual_aid_entry.post", entry)
    return {"id": entry.id, "day": entry.day, "type": entry.type}


def _need_cash(vault: Vault, fund: str, currency: str, minor: int, overdraft: bool) -> None:
    held = _cash(vault, fund, currency)
    if minor > held and not overdraft:
        raise InvalidInput("mutual_aid.error.insufficient", fund=fund, balance=format_minor(held, currency),
                           amount=format_minor(minor, currency), currency=currency)


def contribute(vault: Vault, fund: str, party: str, amount: Any, currency: str | None = None,
               day: str | None = None, pledge_id: str | None = None, private: bool = False, note: str = "") -> dict:
    """Record money handed to ``fund`` by ``party`` (a pseudonym). With ``pledge_id`` it fulfils
    (part of) that pledge instead of counting as new income."""
    row = _fund(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    who = check_pseudonym(party)
    d = check_day(day)
    if pledge_id:
        left = _pledge_left(vault, fund, pledge_id)
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
    return _post(vault, entry) | {"amount": format_minor(minor, cur), "currency": cur}


def pledge(vault: Vault, fund: str, party: str, amount: Any, currency: str | None = None,
           day: str | None = None, private: bool = False, note: str = "") -> dict:
    """Record a promise of money; returns its id (fulfil it with ``contribute(pledge_id=...)``)."""
    row = _fund(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    entry = EntryPost(id=new_id("p"), day=check_day(day), type="pledge", party=check_pseudonym(party),
                      private=private, note=note,
                      postings=[Posting(fund, "pledged", "", cur, minor), Posting(fund, "income", "pledges", cur, -minor)])
    return _post(vault, entry) | {"amount": format_minor(minor, cur), "currency": cur}


def _pledge_left(vault: Vault, fund: str, pledge_id: str) -> tuple[str, int]:
    row = vault.query_one(
        "SELECT p.currency, e.party FROM mutual_aid_entry e JOIN mutual_aid_posting p ON p.entry = e.id "
        "WHERE e.id = ? AND e.type = 'pledge' AND p.fund = ? AND p.account = 'pledged'", (pledge_id, fund))
    if row is None:
        raise NotFound("mutual_aid.error.no_pledge", id=pledge_id, fund=fund)
    left = vault.query_one(
        "SELECT coalesce(sum(p.amount), 0) FROM mutual_aid_posting p JOIN mutual_aid_entry e ON e.id = p.entry "
        "WHERE p.account = 'pledged' AND p.fund = ? AND (e.id = ? OR e.ref = ?)", (fund, pledge_id, pledge_id))[0]
    return row["currency"], int(left)


def cancel_pledge(vault: Vault, fund: str, pledge_id: str, day: str | None = None) -> dict:
    """Release what is still outstanding on a pledge (the promise is withdrawn)."""
    _fund(vault, fund)
    cur, left = _pledge_left(vault, fund, pledge_id)
    if left <= 0:
        raise InvalidInput("mutual_aid.error.pledge_done", id=pledge_id)
    entry = EntryPost(id=new_id("e"), day=check_day(day), type="pledge_cancel", ref=pledge_id,
                      postings=[Posting(fund, "pledged", "", cur, -left), Posting(fund, "income", "pledges", cur, left)])
    return _post(vault, entry) | {"amount": format_minor(left, cur), "currency": cur}


def disburse(vault: Vault, fund: str, party: str, amount: Any, purpose: str = "other", currency: str | None = None,
             day: str | None = None, private: bool = False, overdraft: bool = False, note: str = "") -> dict:
    """Pay out of ``fund`` to ``party`` (a pseudonym) for ``purpose``. Refuses to take more than the
    fund holds in that currency unless ``overdraft=True`` (recorded on the entry)."""
    row = _fund(vault, fund)
    cur = check_currency(currency or row["currency"])
    minor = parse_amount(amount, cur)
    who = check_pseudonym(party)
    why = _purpose(purpose)
    d = check_day(day)
    with vault.transaction():
        _need_cash(vault, fund, cur, minor, overdraft)
        entry = EntryPost(id=new_id("e"), day=d, type="disbursement", purpose=why, party=who, private=private,
                          note=note, overdraft=overdraft and minor > _cash(vault, fund, cur),
                          postings=[Posting(fund, "expense", why, cur, minor), Posting(fund, "cash", "", cur, -minor)])
        return _post(vault, entry) | {"amount": format_minor(minor, cur), "currency": cur}


def transfer(vault: Vault, source: str, target: str, amount: Any, currency: str | None = None,
             day: str | None = None, overdraft: bool = False, note: str = "") -> dict:
    """Move money between two funds (same currency; use :func:`exchange` to change currency)."""
    src = _fund(vault, source)
    _fund(vault, target)
    if source == target:
        raise InvalidInput("mutual_aid.error.same_fund", name=source)
    cur = check_currency(currency or src["currency"])
    minor = parse_amount(amount, cur)
    d = check_day(day)
    with vault.transaction():
        _need_cash(vault, source, cur, minor, overdraft)
        entry = EntryPost(id=new_id("e"), day=d, type="transfer", note=note, party=target, ref=source,
                          overdraft=overdraft and minor > _cash(vault, source, cur),
                          postings=[Posting(target, "cash", "", cur, minor), Posting(source, "cash", "", cur, -minor)])
        return _post(vault, entry) | {"amount": format_minor(minor, cur), "currency": cur}


def exchange(vault: Vault, fund: str, amount: Any, currency: str, to_currency: str, rate: Any = None,
             day: str | None = None, note: str = "") -> dict:
    """Change money inside a fund: ``amount`` of ``currency`` into ``to_currency`` at ``rate``
    (units of ``to_currency`` per unit), or at the recorded rate of that day. A given rate is also
    recorded as the day's rate."""
    _fund(vault, fund)
    cur, to = check_currency(currency), check_currency(to_currency)
    if cur == to:
        raise InvalidInput("mutual_aid.error.same_currency", currency=cur)
    minor = parse_amount(amount, cur)
    d = check_day(day)
    with vault.transaction():
        if rate is None:
            used = rate_on(vault, cur, to, d)
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
        return _post(vault, entry) | {"amount": format_minor(minor, cur), "currency": cur,
                                      "received": format_minor(got, to), "to_currency": to, "rate": format(used, "f")}


def void(vault: Vault, entry_id: str, day: str | None = None, note: str = "") -> dict:
    """Cancel an entry by posting its exact reverse (the original stays in the record)."""
    row = vault.query_one("SELECT * FROM mutual_aid_entry WHERE id = ?", (entry_id,))
    if row is None:
        raise NotFound("mutual_aid.error.no_entry", id=entry_id)
    if row["type"] == "void" or vault.query_one(
            "SELECT 1 FROM mutual_aid_entry WHERE type = 'void' AND ref = ?", (entry_id,)):
        raise InvalidInput("mutual_aid.error.already_void", id=entry_id)
    posts = vault.query("SELECT fund, account, sub, currency, amount FROM mutual_aid_posting WHERE entry = ? ORDER BY n",
                        (entry_id,))
    entry = EntryPost(id=new_id("e"), day=check_day(day), type="void", ref=entry_id, note=note,
                      purpose=row["purpose"] or "", party=row["party"] or "", private=bool(row["private"]),
                      postings=[Posting(p[0], p[1], p[2], p[3], -int(p[4])) for p in posts])
    return _post(vault, entry)


def month_flows(vault: Vault, month: str) -> dict[str, dict[str, str]]:
    """Money given to and paid out of all funds in ``month``, per currency: the sums of the
    ``contributions`` and ``disbursements`` of every fund's statement for that month, in one
    query over the month's postings (a statement per fund summed every posting up to the month)."""
    start, end = _month_bounds(month)
    sums: dict[str, dict[str, int]] = {"contribution": defaultdict(int), "disbursement": defaultdict(int)}
    for kind, cur, amount in vault.query(
            "SELECT e.type, p.currency, sum(p.amount) FROM mutual_aid_posting p JOIN mutual_aid_entry e ON e.id = p.entry "
            "WHERE p.account = 'cash' AND p.day BETWEEN ? AND ? AND p.fund IN (SELECT name FROM mutual_aid_fund) "
            "AND e.type IN ('contribution', 'disbursement') GROUP BY e.type, p.currency", (start, end)):
        sums[kind][cur] += int(amount)
    return {"contributions": _fmt(sums["contribution"]), "disbursements": _fmt({c: -v for c, v in sums["disbursement"].items()})}


def giving_months(vault: Vault) -> dict[str, set[str]]:
    """For each party who gave to any fund, the months (``YYYY-MM``) of their contributions: what
    the funds' statements list as contributions with a visible party (private ones and entries
    that net to zero are left out), from the table the ledger's projection keeps as entries
    arrive, instead of every statement's entries."""
    out: dict[str, set[str]] = defaultdict(set)
    for party, month in vault.query("SELECT party, month FROM mutual_aid_giving WHERE fund IN (SELECT name FROM mutual_aid_fund)"):
        out[party].add(month)
    return dict(out)


# ---------------------------------------------------------------------------- statements
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


def _line(r: Any, amt: int, kind: str, hide_parties: bool) -> dict[str, Any]:
    """One line of a statement: an entry's cash movement in one currency."""
    hidden = hide_parties or bool(r["private"])
    party = r["party"] if r["type"] != "transfer" else (r["party"] if amt < 0 else r["ref"])
    return {"id": r["id"], "day": r["day"], "type": kind, "amount": format_minor(amt, r["currency"]),
            "currency": r["currency"], "purpose": r["purpose"] or None, "party": None if hidden else party,
            "hidden": hidden and bool(r["party"]), "overdraft": bool(r["overdraft"]), "note": r["note"] or ""}


def statement_lines(vault: Vault, fund: str, offset: int = 0, limit: int = 20,
                    hide_parties: bool = False) -> tuple[int, list[dict[str, Any]]]:
    """The lines of :func:`statement`'s ``entries``, newest first, ``limit`` of them from
    ``offset``, and how many there are in all: one page without building every line (a fund of
    50,000 contributions took most of a second to list in full)."""
    _fund(vault, fund)
    rows = vault.query(f"SELECT *, count(*) OVER () AS total FROM ({_LINES} HAVING sum(p.amount) != 0) "
                       "ORDER BY day DESC, hlc DESC, id DESC, currency DESC LIMIT ? OFFSET ?",
                       (fund, "0000-01-01", "9999-12-31", max(0, int(limit)), max(0, int(offset))))
    if not rows:
        total = 0 if offset <= 0 else statement_lines(vault, fund, 0, 1)[0]
        return total, []
    out = []
    for r in rows:
        amt, kind = int(r["amount"]), r["type"]
        if kind == "transfer":
            kind = "transfer_in" if amt > 0 else "transfer_out"
        out.append(_line(r, amt, kind, hide_parties))
    return int(rows[0]["total"]), out


def statement(vault: Vault, fund: str, month: str | None = None, hide_parties: bool = False,
              entries: bool = True) -> dict:
    """A fund's statement: opening and closing holdings, totals by type and by purpose, and the
    entries (with ``month="2026-05"`` for that month only). ``balance`` is what the fund holds in
    its own currency at the end; ``value`` is all holdings in that currency at the latest rates
    (``None`` if a rate is missing). Recipients are pseudonyms; ``hide_parties`` hides them all,
    and private entries never show them. Amounts are decimal strings."""
    row = _fund(vault, fund)
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
    pledged = balances(vault, fund, upto=end, account="pledged")
    out = {
        "fund": fund,
        "currency": base,
        "balance": format_minor(closing.get(base, 0), base),
        "month": month,
        "from": start if month else None,
        "to": end if month else None,
        "opening": _fmt(opening),
        "holdings": _fmt(closing),
        "value": None if value is None else format_minor(value, base),
        "contributions": _fmt(totals["contribution"]),
        "disbursements": _fmt({c: -v for c, v in totals["disbursement"].items()}),
        "by_purpose": {p: _fmt(v) for p, v in sorted(by_purpose.items())},
        "transfers_in": _fmt(totals["transfer_in"]),
        "transfers_out": _fmt({c: -v for c, v in totals["transfer_out"].items()}),
        "exchanges": _fmt(totals["exchange"]),
        "corrections": _fmt(totals["void"]),
        "pledges_outstanding": pledged,
        "overdrawn": any(v < 0 for v in closing.values()),
    }
    if entries:
        out["entries"] = lines
    return out
