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
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid.common import check_name, check_pseudonym
from halqa.mutual_aid.money import check_currency, format_minor, parse_amount
from halqa.vault import Event, Projection, Vault, register_kind, register_projection
from halqa.vault.values import check_day, json_list, json_text, new_id, today

__all__ = [
    "COVERERS",
    "METHODS",
    "PERIODS",
    "close_pool",
    "cover",
    "create_pool",
    "draw",
    "draw_order",
    "due_day",
    "pay",
    "payout",
    "pool_status",
    "pools",
    "reminders",
    "repay",
    "round_dues",
    "swap",
]

METHODS = ("random", "agreed", "need", "bid")
PERIODS = {"weekly": 7, "fortnightly": 14, "monthly": 0}
COVERERS = ("organiser", "pool", "guarantor")
MAX_MEMBERS = 60


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


# ---------------------------------------------------------------------------- pure rules
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


# ---------------------------------------------------------------------------- reading helpers
def _pool(vault: Vault, name: str) -> Any:
    row = vault.query_one("SELECT * FROM mutual_aid_pool WHERE name = ?", (name,))
    if row is None:
        raise NotFound("mutual_aid.error.no_pool", name=name)
    return row


def _open_pool(vault: Vault, name: str) -> Any:
    row = _pool(vault, name)
    if row["status"] != "open":
        raise InvalidInput("mutual_aid.error.pool_closed", name=name, status=row["status"])
    return row


def _turns(vault: Vault, name: str) -> dict[int, Any]:
    return {r["round"]: r for r in vault.query("SELECT * FROM mutual_aid_pool_turn WHERE pool = ? ORDER BY round", (name,))}


def _paid(vault: Vault, name: str, round_no: int | None = None) -> dict[tuple[int, str], int]:
    sql = "SELECT round, member, sum(amount) FROM mutual_aid_pool_payment WHERE pool = ?"
    args: list[Any] = [name]
    if round_no is not None:
        sql += " AND round = ?"
        args.append(round_no)
    return {(r[0], r[1]): int(r[2]) for r in vault.query(sql + " GROUP BY round, member", args)}


def _dues_of(pool: Any, turn: Any) -> dict[str, int]:
    """A round's dues; before the draw (never in bid pools) everyone owes the full amount."""
    if turn is None:
        return {m: pool["amount"] for m in json_list(pool["members"])}
    return round_dues(json_list(pool["members"]), pool["amount"], turn["member"], turn["discount"])


# ---------------------------------------------------------------------------- writing
def create_pool(vault: Vault, name: str, members: list[str], amount: Any, period: str = "monthly",
                method: str = "random", currency: str = "IQD", start: str | None = None, cover: str = "organiser",
                organiser: str | None = None, guarantor: str = "") -> dict:
    """Start a pool. ``members`` are pseudonyms (2 to 60, no repeats); ``amount`` is each member's
    due per round; ``method`` is how the payout order is fixed (random, agreed, need, bid);
    ``cover`` says who covers a missed due (organiser, pool, guarantor)."""
    name = check_name(name, "pool")
    if vault.query_one("SELECT 1 FROM mutual_aid_pool WHERE name = ?", (name,)):
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
    return {"name": name, "members": people, "amount": format_minor(minor, cur), "currency": cur,
            "period": period, "method": method, "start": first, "rounds": len(people)}


def draw(vault: Vault, name: str, seed: str = "", order: list[str] | None = None, need: dict[str, int] | None = None,
         bids: dict[str, Any] | None = None, round_no: int | None = None) -> dict:
    """Fix the payout order by the pool's method (see the module's rules). For ``random`` give the
    agreed ``seed``; for ``agreed`` an ``order`` (default: creation order); for ``need`` the scores;
    for ``bid`` the round's ``bids`` (member -> discount). Returns the order fixed."""
    pool = _open_pool(vault, name)
    members: list[str] = json_list(pool["members"])
    turns = _turns(vault, name)
    method = pool["method"]
    if method != "bid" and turns:
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
        r = len(turns) + 1
        if round_no is not None and round_no != r:
            raise InvalidInput("mutual_aid.error.bid_round", round=round_no, next=r)
        if r > len(members):
            raise InvalidInput("mutual_aid.error.already_drawn", name=name)
        left = [m for m in members if m not in {t["member"] for t in turns.values()}]
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
    return {"pool": name, "method": method, "seed": seed,
            "order": [{"round": first + i, "member": m, "due": due_day(pool["start"], pool["period"], first + i)}
                      for i, m in enumerate(event.order)],
            "discount": format_minor(event.discount, pool["currency"])}


def swap(vault: Vault, name: str, a: str, b: str, day: str | None = None) -> dict:
    """Exchange the turns of two members who have not yet taken the pot."""
    pool = _open_pool(vault, name)
    if pool["method"] == "bid":
        raise InvalidInput("mutual_aid.error.swap_bid")
    a, b = check_pseudonym(a), check_pseudonym(b)
    done = {r[0] for r in vault.query("SELECT member FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}
    turns = {t["member"]: r for r, t in _turns(vault, name).items()}
    for m in (a, b):
        if m not in turns:
            raise InvalidInput("mutual_aid.error.no_turn", member=m, name=name)
        if m in done:
            raise InvalidInput("mutual_aid.error.turn_taken", member=m)
    if a == b:
        raise InvalidInput("mutual_aid.error.swap_same")
    vault.append("mutual_aid_pool.swap", PoolSwap(pool=name, a=a, b=b, day=check_day(day)))
    return {"pool": name, a: turns[b], b: turns[a]}


def _outstanding(vault: Vault, pool: Any, round_no: int, member: str) -> int:
    if not 1 <= round_no <= len(json_list(pool["members"])):
        raise InvalidInput("mutual_aid.error.round", round=round_no, rounds=len(json_list(pool["members"])))
    turn = _turns(vault, pool["name"]).get(round_no)
    if turn is None and pool["method"] == "bid":
        raise InvalidInput("mutual_aid.error.bid_not_drawn", name=pool["name"], round=round_no)
    if vault.query_one("SELECT 1 FROM mutual_aid_pool_payout WHERE pool = ? AND round = ?", (pool["name"], round_no)):
        raise InvalidInput("mutual_aid.error.round_paid_out", round=round_no)
    dues = _dues_of(pool, turn)
    if member not in dues:
        raise InvalidInput("mutual_aid.error.not_member", member=member, name=pool["name"])
    return dues[member] - _paid(vault, pool["name"], round_no).get((round_no, member), 0)


def pay(vault: Vault, name: str, member: str, round_no: int, amount: Any = None, payer: str | None = None,
        day: str | None = None) -> dict:
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
    return {"pool": name, "round": int(round_no), "member": who, "payer": by, "day": d,
            "amount": format_minor(minor, pool["currency"]), "currency": pool["currency"],
            "left": format_minor(left - minor, pool["currency"]), "late": d > due}


def cover(vault: Vault, name: str, member: str, round_no: int, by: str | None = None, day: str | None = None) -> dict:
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
        turn = _turns(vault, name).get(int(round_no))
        if turn is None and role == "pool":
            raise InvalidInput("mutual_aid.error.not_drawn", name=name, round=round_no)
        recipient = turn["member"] if turn is not None else ""
        creditor = {"organiser": pool["organiser"], "guarantor": pool["guarantor"], "pool": recipient}[role]
        if creditor == who:
            raise InvalidInput("mutual_aid.error.cover_self", member=who)
        vault.append("mutual_aid_pool.pay", PoolPay(
            id=new_id("pp"), pool=name, round=int(round_no), member=who, payer=creditor, amount=left,
            day=check_day(day), kind="waive" if role == "pool" else "cover"))
    return {"pool": name, "round": int(round_no), "member": who, "by": role, "creditor": creditor,
            "amount": format_minor(left, pool["currency"]), "currency": pool["currency"]}


def payout(vault: Vault, name: str, round_no: int | None = None, day: str | None = None) -> dict:
    """Hand the pot of the next round to its recipient. Refused until every due of the round is
    settled, for a round already paid out, and out of order."""
    pool = _open_pool(vault, name)
    with vault.transaction():
        done = {r[0] for r in vault.query("SELECT round FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}
        nxt = min(set(range(1, len(json_list(pool["members"])) + 1)) - done)
        r = nxt if round_no is None else int(round_no)
        if r in done:
            raise InvalidInput("mutual_aid.error.round_paid_out", round=r)
        if r != nxt:
            raise InvalidInput("mutual_aid.error.payout_order", round=r, next=nxt)
        turn = _turns(vault, name).get(r)
        if turn is None:
            raise InvalidInput("mutual_aid.error.not_drawn", name=name, round=r)
        dues = _dues_of(pool, turn)
        paid = _paid(vault, name, r)
        owing = [m for m in dues if paid.get((r, m), 0) < dues[m]]
        if owing:
            raise InvalidInput("mutual_aid.error.round_unpaid", round=r, members=", ".join(owing))
        cash = int(vault.query_one("SELECT coalesce(sum(amount), 0) FROM mutual_aid_pool_payment WHERE pool = ? "
                                   "AND round = ? AND kind != 'waive'", (name, r))[0])
        if vault.query_one("SELECT 1 FROM mutual_aid_pool_payout WHERE pool = ? AND member = ?", (name, turn["member"])):
            raise InvalidInput("mutual_aid.error.double_payout", member=turn["member"])  # pragma: no cover
        d = check_day(day)
        vault.append("mutual_aid_pool.payout", PoolPayout(pool=name, round=r, member=turn["member"], amount=cash, day=d))
    return {"pool": name, "round": r, "member": turn["member"], "amount": format_minor(cash, pool["currency"]),
            "currency": pool["currency"], "day": d, "completed": r == len(dues) and len(done) + 1 == len(dues)}


def repay(vault: Vault, name: str, debtor: str, creditor: str, amount: Any = None, day: str | None = None) -> dict:
    """Record that ``debtor`` paid back (part of) what they owe ``creditor`` after a cover."""
    pool = _pool(vault, name)
    a, b = check_pseudonym(debtor), check_pseudonym(creditor)
    with vault.transaction():
        owed = _debts(vault, pool).get((a, b), 0)
        if owed <= 0:
            raise InvalidInput("mutual_aid.error.no_debt", debtor=a, creditor=b)
        minor = owed if amount is None else parse_amount(amount, pool["currency"])
        if minor > owed:
            raise InvalidInput("mutual_aid.error.overpay_debt", left=format_minor(owed, pool["currency"]),
                               currency=pool["currency"])
        vault.append("mutual_aid_pool.repay", PoolRepay(id=new_id("pr"), pool=name, debtor=a, creditor=b, amount=minor,
                                                       day=check_day(day)))
    return {"pool": name, "debtor": a, "creditor": b, "amount": format_minor(minor, pool["currency"]),
            "left": format_minor(owed - minor, pool["currency"]), "currency": pool["currency"]}


def close_pool(vault: Vault, name: str, reason: str = "", day: str | None = None) -> dict:
    """Stop a pool before it completes (no more payments, draws or payouts)."""
    _open_pool(vault, name)
    d = check_day(day)
    vault.append("mutual_aid_pool.close", PoolClose(pool=name, day=d, reason=reason))
    return {"pool": name, "status": "closed", "day": d}


def _debts(vault: Vault, pool: Any) -> dict[tuple[str, str], int]:
    debts: dict[tuple[str, str], int] = {}
    for r in vault.query("SELECT member, payer, sum(amount) FROM mutual_aid_pool_payment WHERE pool = ? "
                         "AND kind IN ('cover', 'waive') GROUP BY member, payer", (pool["name"],)):
        debts[(r[0], r[1])] = debts.get((r[0], r[1]), 0) + int(r[2])
    for r in vault.query("SELECT debtor, creditor, sum(amount) FROM mutual_aid_pool_repay WHERE pool = ? "
                         "GROUP BY debtor, creditor", (pool["name"],)):
        debts[(r[0], r[1])] = debts.get((r[0], r[1]), 0) - int(r[2])
    return debts


# ---------------------------------------------------------------------------- views
def pools(vault: Vault) -> list[dict]:
    """Every pool: name, members, amount, status and rounds paid out."""
    out = []
    for p in vault.query("SELECT * FROM mutual_aid_pool ORDER BY name"):
        n = vault.query_one("SELECT count(*) FROM mutual_aid_pool_payout WHERE pool = ?", (p["name"],))[0]
        out.append({"name": p["name"], "members": len(json_list(p["members"])), "status": p["status"],
                    "amount": format_minor(p["amount"], p["currency"]), "currency": p["currency"],
                    "period": p["period"], "method": p["method"], "paid_out": n})
    return out


def pool_status(vault: Vault, name: str, today_: str | None = None) -> dict:
    """Schedule, who owes what this round, debts and history of a pool (amounts as decimal strings).

    ``round`` is the first round not yet paid out (``None`` once completed); ``this_round.owes``
    lists every member's due, paid and left for it, ``late`` when its day has passed."""
    pool = _pool(vault, name)
    cur = pool["currency"]
    members: list[str] = json_list(pool["members"])
    now = check_day(today_)
    turns = _turns(vault, name)
    paid = _paid(vault, name)
    payouts = {r["round"]: r for r in vault.query("SELECT * FROM mutual_aid_pool_payout WHERE pool = ?", (name,))}
    schedule = []
    for r in range(1, len(members) + 1):
        turn = turns.get(r)
        dues = _dues_of(pool, turn) if turn else None
        got = sum(v for (rr, _), v in paid.items() if rr == r)
        schedule.append({"round": r, "due": due_day(pool["start"], pool["period"], r),
                         "recipient": turn["member"] if turn else None,
                         "discount": format_minor(turn["discount"], cur) if turn else None,
                         "pot": format_minor(sum(dues.values()), cur) if dues else None,
                         "paid": format_minor(got, cur),
                         "paid_out": format_minor(payouts[r]["amount"], cur) if r in payouts else None,
                         "paid_out_day": payouts[r]["day"] if r in payouts else None})
    current = next((r for r in range(1, len(members) + 1) if r not in payouts), None)
    this_round = None
    if current is not None and pool["status"] == "open":
        turn = turns.get(current)
        day_due = due_day(pool["start"], pool["period"], current)
        owes = []
        if turn is not None or pool["method"] != "bid":
            for m, due in _dues_of(pool, turn).items():
                got = paid.get((current, m), 0)
                owes.append({"member": m, "due": format_minor(due, cur), "paid": format_minor(got, cur),
                             "left": format_minor(due - got, cur), "late": due > got and now > day_due})
        this_round = {"round": current, "due": day_due, "recipient": turn["member"] if turn else None,
                      "drawn": turn is not None, "owes": owes,
                      "ready": turn is not None and all(o["left"] == format_minor(0, cur) for o in owes)}
    history = [{"day": r["day"], "event": r["kind"], "round": r["round"], "member": r["member"], "payer": r["payer"],
                "amount": format_minor(r["amount"], cur)}
               for r in vault.query("SELECT * FROM mutual_aid_pool_payment WHERE pool = ? ORDER BY day, hlc", (name,))]
    history += [{"day": r["day"], "event": "payout", "round": rr, "member": r["member"], "payer": None,
                 "amount": format_minor(r["amount"], cur)} for rr, r in sorted(payouts.items())]
    history.sort(key=lambda h: (h["day"], h["event"] == "payout"))
    debts = [{"debtor": a, "creditor": b, "amount": format_minor(v, cur)}
             for (a, b), v in sorted(_debts(vault, pool).items()) if v > 0]
    return {"pool": name, "status": pool["status"], "currency": cur, "amount": format_minor(pool["amount"], cur),
            "period": pool["period"], "method": pool["method"], "start": pool["start"], "members": members,
            "organiser": pool["organiser"], "guarantor": pool["guarantor"] or None, "cover": pool["cover"],
            "seed": pool["seed"] or None, "rounds": len(members), "round": current, "this_round": this_round,
            "schedule": schedule, "debts": debts, "history": history, "today": now}


def reminders(vault: Vault, today_: str | None = None, days_ahead: int = 3) -> list[dict]:
    """Dues still open in every open pool whose day has passed or comes within ``days_ahead``."""
    now = check_day(today_)
    horizon = (date.fromisoformat(now) + timedelta(days=days_ahead)).isoformat()
    out = []
    for p in vault.query("SELECT * FROM mutual_aid_pool WHERE status = 'open' ORDER BY name"):
        paid = _paid(vault, p["name"])
        done = {r[0] for r in vault.query("SELECT round FROM mutual_aid_pool_payout WHERE pool = ?", (p["name"],))}
        for r, turn in _turns(vault, p["name"]).items():
            day_due = due_day(p["start"], p["period"], r)
            if r in done or day_due > horizon:
                continue
            for m, due in _dues_of(p, turn).items():
                left = due - paid.get((r, m), 0)
                if left > 0:
                    out.append({"pool": p["name"], "round": r, "member": m, "due": day_due,
                                "left": format_minor(left, p["currency"]), "currency": p["currency"],
                                "overdue": now > day_due})
    return out
