"""What mutual aid records: every ``mutual_aid_*`` event kind, its payload and its projection.

- funds: ``mutual_aid_fund.put`` and ``mutual_aid_rate.put`` (records), ``mutual_aid_entry.post``
  (a balanced double-entry entry, folded by :class:`LedgerProjection` into entries, postings,
  running balances, statement lines and who gave in which month);
- pools: ``mutual_aid_pool.<verb>`` folded by :class:`PoolProjection` (the rules it enforces are
  in :mod:`halqa.mutual_aid.pools`);
- the tool library and repairs: ``mutual_aid_item.put``, ``mutual_aid_loan.put``,
  ``mutual_aid_repair.put`` (records).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec

from halqa.vault import Event, Projection, RecordProjection, register_kind, register_projection
from halqa.vault.values import json_list, json_text

__all__ = [
    "ACCOUNTS",
    "EntryPost",
    "FundPut",
    "ItemPut",
    "LedgerProjection",
    "LoanPut",
    "PoolClose",
    "PoolCreate",
    "PoolDraw",
    "PoolPay",
    "PoolPayout",
    "PoolProjection",
    "PoolRepay",
    "PoolSwap",
    "Posting",
    "RatePut",
    "RepairPut",
    "entry_balanced",
]

UNSET = msgspec.UNSET


# ---------------------------------------------------------------------------- funds
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
    version = 5  # 3: mutual_aid_giving; 4: mutual_aid_line; 5: mutual_aid_flow
    kinds = frozenset({"mutual_aid_entry.post"})
    tables = ("mutual_aid_entry", "mutual_aid_posting", "mutual_aid_balance", "mutual_aid_giving", "mutual_aid_line",
              "mutual_aid_flow")

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
        # a statement's lines (an entry's net cash in one fund and currency, when not zero) in the
        # statement's order: the newest page of a fund is read from the end of its key, instead
        # of grouping every posting of the fund (50,000 contributions) to find it
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_line (fund TEXT NOT NULL, day TEXT NOT NULL, "
                     "hlc INTEGER NOT NULL, entry TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, "
                     "PRIMARY KEY (fund, day, hlc, entry, currency)) WITHOUT ROWID")
        # the cash each kind of entry moved in a fund, month and currency, kept as entries arrive:
        # a month's flows are read from a few rows, not from joining the month's 12,000 postings
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_flow (fund TEXT NOT NULL, month TEXT NOT NULL, "
                     "type TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, "
                     "PRIMARY KEY (month, fund, type, currency)) WITHOUT ROWID")

    @staticmethod
    def lines(conn: Any, e: EntryPost, hlc: int) -> None:
        """Keep the entry's statement lines: its cash postings summed per fund and currency."""
        net: dict[tuple[str, str], int] = defaultdict(int)
        for p in e.postings:
            if p.account == "cash":
                net[(p.fund, p.currency)] += p.amount
        conn.executemany("INSERT INTO mutual_aid_line VALUES (?, ?, ?, ?, ?, ?)",
                         [(fund, e.day, hlc, e.id, cur, amount) for (fund, cur), amount in net.items() if amount])

    @staticmethod
    def flows(conn: Any, e: EntryPost) -> None:
        """Add the entry's cash postings to its month's flows (per fund, type and currency)."""
        moved: dict[tuple[str, str], int] = defaultdict(int)
        for p in e.postings:
            if p.account == "cash":
                moved[(p.fund, p.currency)] += p.amount
        conn.executemany("INSERT INTO mutual_aid_flow VALUES (?, ?, ?, ?, ?) ON CONFLICT (month, fund, type, currency) "
                         "DO UPDATE SET amount = amount + excluded.amount",
                         [(fund, e.day[:7], e.type, cur, amount) for (fund, cur), amount in moved.items()])

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
        self.lines(conn, e, event.hlc)
        self.flows(conn, e)


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


# ---------------------------------------------------------------------------- pools
class PoolCreate(msgspec.Struct, kw_only=True):
    name: str
    members: list[str]
    amount: int
    currency: str
    period: str
    start: str
    method: str
    cover: str = "organiser"
    organiser: str = ""
    guarantor: str = ""
    created: str = ""


class PoolDraw(msgspec.Struct, kw_only=True):
    pool: str
    round: int  # 0: the whole order at once; r: one bid round
    order: list[str]  # the recipients, from round max(round, 1) on
    discount: int = 0
    seed: str = ""
    bids: dict[str, int] = msgspec.field(default_factory=dict)
    need: dict[str, int] = msgspec.field(default_factory=dict)


class PoolSwap(msgspec.Struct, kw_only=True):
    pool: str
    a: str
    b: str
    day: str = ""


class PoolPay(msgspec.Struct, kw_only=True):
    id: str
    pool: str
    round: int
    member: str
    payer: str
    amount: int
    day: str
    kind: str = "pay"  # pay | cover (someone else settles a missed due) | waive (the pool absorbs it)


class PoolPayout(msgspec.Struct, kw_only=True):
    pool: str
    round: int
    member: str
    amount: int
    day: str


class PoolRepay(msgspec.Struct, kw_only=True):
    id: str
    pool: str
    debtor: str
    creditor: str
    amount: int
    day: str


class PoolClose(msgspec.Struct, kw_only=True):
    pool: str
    day: str
    reason: str = ""


_KINDS: dict[str, type[msgspec.Struct]] = {
    "create": PoolCreate, "draw": PoolDraw, "swap": PoolSwap, "pay": PoolPay, "payout": PoolPayout, "repay": PoolRepay,
    "close": PoolClose}
for _verb, _type in _KINDS.items():
    register_kind(f"mutual_aid_pool.{_verb}", _type)


class PoolProjection(Projection):
    """Pools, their turns, payments, payouts and repayments, folded in (hlc, id) order. Events that
    break a rule (a second payout of a round, a swap of a turn already taken) are ignored."""

    name = "mutual_aid_pools"
    version = 2  # 2: members and bids as canonical JSON (halqa.vault.values.json_text)
    kinds = frozenset(f"mutual_aid_pool.{v}" for v in _KINDS)
    tables = ("mutual_aid_pool", "mutual_aid_pool_turn", "mutual_aid_pool_payment", "mutual_aid_pool_payout",
              "mutual_aid_pool_repay")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_pool (name TEXT PRIMARY KEY, members TEXT NOT NULL, "
                     "amount INTEGER NOT NULL, currency TEXT NOT NULL, period TEXT NOT NULL, start TEXT NOT NULL, "
                     "method TEXT NOT NULL, cover TEXT, organiser TEXT, guarantor TEXT, created TEXT, "
                     "status TEXT NOT NULL, seed TEXT, closed TEXT)")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_pool_turn (pool TEXT NOT NULL, round INTEGER NOT NULL, "
                     "member TEXT NOT NULL, discount INTEGER NOT NULL, bids TEXT, PRIMARY KEY (pool, round))")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_pool_payment (id TEXT PRIMARY KEY, pool TEXT NOT NULL, "
                     "round INTEGER NOT NULL, member TEXT NOT NULL, payer TEXT NOT NULL, amount INTEGER NOT NULL, "
                     "day TEXT NOT NULL, kind TEXT NOT NULL, hlc INTEGER NOT NULL)")
        conn.execute("CREATE INDEX IF NOT EXISTS mutual_aid_pool_payment_round ON mutual_aid_pool_payment (pool, round)")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_pool_payout (pool TEXT NOT NULL, round INTEGER NOT NULL, "
                     "member TEXT NOT NULL, amount INTEGER NOT NULL, day TEXT NOT NULL, PRIMARY KEY (pool, round))")
        conn.execute("CREATE TABLE IF NOT EXISTS mutual_aid_pool_repay (id TEXT PRIMARY KEY, pool TEXT NOT NULL, "
                     "debtor TEXT NOT NULL, creditor TEXT NOT NULL, amount INTEGER NOT NULL, day TEXT NOT NULL)")

    def apply(self, conn: Any, event: Event) -> None:
        verb = event.kind.rsplit(".", 1)[1]
        p = event.payload
        if verb == "create":
            conn.execute("INSERT OR IGNORE INTO mutual_aid_pool VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', '', NULL)",
                         (p.name, json_text(p.members), p.amount, p.currency, p.period, p.start,
                          p.method, p.cover, p.organiser, p.guarantor, p.created))
            return
        pool = conn.execute("SELECT * FROM mutual_aid_pool WHERE name = ?", (p.pool,)).fetchone()
        if pool is None:
            return
        members = json_list(pool["members"])
        if verb == "draw":
            taken = {r[0] for r in conn.execute("SELECT member FROM mutual_aid_pool_turn WHERE pool = ?", (p.pool,))}
            count = len(taken)
            first = max(p.round, 1)
            if first != count + 1 or taken & set(p.order) or not set(p.order) <= set(members):
                return
            for i, member in enumerate(p.order):
                conn.execute("INSERT INTO mutual_aid_pool_turn VALUES (?, ?, ?, ?, ?)",
                             (p.pool, first + i, member, p.discount if i == 0 else 0,
                              json_text(p.bids) if p.bids else None))
            conn.execute("UPDATE mutual_aid_pool SET seed = ? WHERE name = ?", (p.seed, p.pool))
        elif verb == "swap":
            turns = {r["member"]: r["round"] for r in conn.execute(
                "SELECT t.member, t.round FROM mutual_aid_pool_turn t WHERE t.pool = ? AND NOT EXISTS "
                "(SELECT 1 FROM mutual_aid_pool_payout o WHERE o.pool = t.pool AND o.round = t.round)", (p.pool,))}
            if p.a in turns and p.b in turns and p.a != p.b and pool["method"] != "bid":
                conn.execute("UPDATE mutual_aid_pool_turn SET member = ? WHERE pool = ? AND round = ?",
                             (p.b, p.pool, turns[p.a]))
                conn.execute("UPDATE mutual_aid_pool_turn SET member = ? WHERE pool = ? AND round = ?",
                             (p.a, p.pool, turns[p.b]))
        elif verb == "pay":
            conn.execute("INSERT OR IGNORE INTO mutual_aid_pool_payment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (p.id, p.pool, p.round, p.member, p.payer, p.amount, p.day, p.kind, event.hlc))
        elif verb == "payout":
            turn = conn.execute("SELECT member FROM mutual_aid_pool_turn WHERE pool = ? AND round = ?",
                                (p.pool, p.round)).fetchone()
            if turn is None or turn[0] != p.member or pool["status"] != "open":
                return
            conn.execute("INSERT OR IGNORE INTO mutual_aid_pool_payout VALUES (?, ?, ?, ?, ?)",
                         (p.pool, p.round, p.member, p.amount, p.day))
            done = conn.execute("SELECT count(*) FROM mutual_aid_pool_payout WHERE pool = ?", (p.pool,)).fetchone()[0]
            if done >= len(members):
                conn.execute("UPDATE mutual_aid_pool SET status = 'completed', closed = ? WHERE name = ?", (p.day, p.pool))
        elif verb == "repay":
            conn.execute("INSERT OR IGNORE INTO mutual_aid_pool_repay VALUES (?, ?, ?, ?, ?, ?)",
                         (p.id, p.pool, p.debtor, p.creditor, p.amount, p.day))
        elif verb == "close" and pool["status"] == "open":
            conn.execute("UPDATE mutual_aid_pool SET status = 'closed', closed = ? WHERE name = ?", (p.day, p.pool))


register_projection(PoolProjection())


# ---------------------------------------------------------------------------- the tool library and repairs
class ItemPut(msgspec.Struct, kw_only=True):
    id: str
    name: str | msgspec.UnsetType = UNSET
    category: str | msgspec.UnsetType = UNSET
    keeper: str | msgspec.UnsetType = UNSET
    added: str | msgspec.UnsetType = UNSET
    note: str | msgspec.UnsetType = UNSET
    retired: str | msgspec.UnsetType | None = UNSET  # day it left the library (used up, lost, given away)


class LoanPut(msgspec.Struct, kw_only=True):
    id: str
    item: str | msgspec.UnsetType = UNSET
    borrower: str | msgspec.UnsetType = UNSET
    out: str | msgspec.UnsetType = UNSET
    due: str | msgspec.UnsetType = UNSET
    back: str | msgspec.UnsetType | None = UNSET
    condition: str | msgspec.UnsetType = UNSET


class RepairPut(msgspec.Struct, kw_only=True):
    id: str
    what: str | msgspec.UnsetType = UNSET
    area: str | msgspec.UnsetType = UNSET
    who: list[str] | msgspec.UnsetType = UNSET
    parts: list[str] | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    done: str | msgspec.UnsetType | None = UNSET
    note: str | msgspec.UnsetType = UNSET


for _name, _put in (("mutual_aid_item", ItemPut), ("mutual_aid_loan", LoanPut), ("mutual_aid_repair", RepairPut)):
    register_kind(f"{_name}.put", _put)
register_projection(RecordProjection("mutual_aid_item", ItemPut))
register_projection(RecordProjection("mutual_aid_loan", LoanPut, indexes=("item",)))
register_projection(RecordProjection("mutual_aid_repair", RepairPut, indexes=("day",)))
