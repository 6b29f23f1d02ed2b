"""Commands of halqa.mutual_aid: ``halqa fund``, ``halqa pool``, ``halqa tools``, ``halqa repairs``.

Each command opens the vault, calls one function of :mod:`halqa.mutual_aid`, and renders the
result (``--json`` for scripts). Amounts are read as text, never as floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from halqa.cli.common import area_names, console, emit, named, open_vault
from halqa.errors import InvalidInput
from halqa.i18n import t
from halqa.results import to_data
from halqa.vault.outside import remember

if TYPE_CHECKING:
    from halqa.mutual_aid import PoolStatus, Statement

fund_app = typer.Typer(no_args_is_help=True, help="Funds: contributions, pledges, disbursements, statements.")
pool_app = typer.Typer(no_args_is_help=True, help="Rotating savings pools (jam'iyya).")
tools_app = typer.Typer(no_args_is_help=True, help="The tool library: items, loans, returns.")
repairs_app = typer.Typer(no_args_is_help=True, help="Shared repairs: a log of jobs.")

Day = Annotated[Optional[str], typer.Option("--day", help="Day (YYYY-MM-DD); default today.")]
Currency = Annotated[Optional[str], typer.Option("--currency", help="Currency (default: the fund's).")]
Note = Annotated[str, typer.Option("--note", help="A short note (no names).")]


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app."""
    app.add_typer(fund_app, name="fund")
    app.add_typer(pool_app, name="pool")
    app.add_typer(tools_app, name="tools")
    app.add_typer(repairs_app, name="repairs")


def _ok(msg_id: str, **kinds: str) -> Any:
    """Print ``msg_id`` with the result's fields; those in ``kinds`` are fixed words shown by their names."""
    return lambda d: console.print(t(msg_id, **{k: named(kinds[k], v) if k in kinds else v
                                                for k, v in to_data(d).items() if not isinstance(v, (dict, list))}))


#: Columns whose values are fixed words, shown by their names (``--json`` keeps the words).
_NAMED = {"type": "entry", "method": "method", "category": "category"}


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "status":
        return t(f"mutual_aid.status.{value}")
    return named(_NAMED[column], value) if column in _NAMED else str(value)


def _table(rows: Sequence[Any], columns: list[str], empty: str = "mutual_aid.msg.none") -> None:
    """Rows (structs or their data) as a table of ``columns``."""
    if not rows:
        console.print(t(empty))
        return
    table = Table()
    for c in columns:
        table.add_column(t(f"mutual_aid.col.{c}"))
    for r in to_data(list(rows)):
        table.add_row(*[_cell(c, r.get(c)) for c in columns])
    console.print(table)


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("mutual_aid.error.pair", what=what, value=v)
        out[key.strip()] = val.strip()
    return out


# ---------------------------------------------------------------------------- fund
@fund_app.command("create")
def fund_create(name: Annotated[str, typer.Argument(help="Fund name.")],
                currency: Annotated[str, typer.Option("--currency", help="Currency the fund is kept in.")] = "IQD",
                note: Note = "", day: Day = None) -> None:
    """Create a fund."""
    from halqa.mutual_aid import create_fund

    with open_vault() as vault:
        emit(create_fund(vault, name, currency, note=note, day=day), _ok("mutual_aid.msg.fund_created"))


@fund_app.command("list")
def fund_list() -> None:
    """Every fund and its balance."""
    from halqa.mutual_aid import funds

    with open_vault() as vault:
        emit(funds(vault), lambda rows: _table(rows, ["name", "currency", "balance", "created"]))


@fund_app.command("contribute")
def fund_contribute(name: Annotated[str, typer.Argument(help="Fund name.")],
                    party: Annotated[str, typer.Option("--from", help="Who gave it (pseudonym).")],
                    amount: Annotated[str, typer.Option("--amount", help="Amount, e.g. 25000 or 12.50.")],
                    currency: Currency = None, day: Day = None,
                    pledge: Annotated[Optional[str], typer.Option("--pledge", help="Fulfils this pledge id.")] = None,
                    private: Annotated[bool, typer.Option("--private", help="Never show who gave it.")] = False,
                    note: Note = "") -> None:
    """Record money given to a fund."""
    from halqa.mutual_aid import contribute

    with open_vault() as vault:
        emit(contribute(vault, name, party, amount, currency, day=day, pledge_id=pledge, private=private, note=note),
             _ok("mutual_aid.msg.contributed"))


@fund_app.command("pledge")
def fund_pledge(name: Annotated[str, typer.Argument(help="Fund name.")],
                party: Annotated[str, typer.Option("--from", help="Who promised it (pseudonym).")],
                amount: Annotated[str, typer.Option("--amount", help="Amount promised.")],
                currency: Currency = None, day: Day = None,
                private: Annotated[bool, typer.Option("--private", help="Never show who promised it.")] = False,
                note: Note = "") -> None:
    """Record a promise of money (fulfil it with 'fund contribute --pledge ID')."""
    from halqa.mutual_aid import pledge as do_pledge

    with open_vault() as vault:
        emit(do_pledge(vault, name, party, amount, currency, day=day, private=private, note=note),
             _ok("mutual_aid.msg.pledged"))


@fund_app.command("disburse")
def fund_disburse(name: Annotated[str, typer.Argument(help="Fund name.")],
                  party: Annotated[str, typer.Option("--to", help="Who received it (pseudonym).")],
                  amount: Annotated[str, typer.Option("--amount", help="Amount paid out.")],
                  purpose: Annotated[str, typer.Option("--purpose", help="family, medicine, fuel, food, repairs, rent, "
                                                       "legal, transport, childcare, other.")] = "other",
                  currency: Currency = None, day: Day = None,
                  private: Annotated[bool, typer.Option("--private", help="Never show who received it.")] = False,
                  overdraft: Annotated[bool, typer.Option("--overdraft", help="Allow paying more than the fund holds.")] = False,
                  note: Note = "") -> None:
    """Pay money out of a fund for a purpose."""
    from halqa.mutual_aid import disburse

    with open_vault() as vault:
        emit(disburse(vault, name, party, amount, purpose, currency, day=day, private=private, overdraft=overdraft,
                      note=note), _ok("mutual_aid.msg.disbursed"))


@fund_app.command("transfer")
def fund_transfer(source: Annotated[str, typer.Argument(help="From this fund.")],
                  target: Annotated[str, typer.Argument(help="To this fund.")],
                  amount: Annotated[str, typer.Option("--amount", help="Amount moved.")],
                  currency: Currency = None, day: Day = None,
                  overdraft: Annotated[bool, typer.Option("--overdraft", help="Allow moving more than the fund holds.")] = False,
                  note: Note = "") -> None:
    """Move money from one fund to another."""
    from halqa.mutual_aid import transfer

    with open_vault() as vault:
        emit(transfer(vault, source, target, amount, currency, day=day, overdraft=overdraft, note=note),
             _ok("mutual_aid.msg.transferred"))


@fund_app.command("exchange")
def fund_exchange(name: Annotated[str, typer.Argument(help="Fund name.")],
                  amount: Annotated[str, typer.Option("--amount", help="Amount sold.")],
                  currency: Annotated[str, typer.Option("--currency", help="Currency sold.")],
                  to: Annotated[str, typer.Option("--to", help="Currency bought.")],
                  rate: Annotated[Optional[str], typer.Option("--rate", help="Units bought per unit sold "
                                                              "(default: the day's recorded rate).")] = None,
                  day: Day = None, note: Note = "") -> None:
    """Change money inside a fund from one currency to another."""
    from halqa.mutual_aid import exchange

    with open_vault() as vault:
        emit(exchange(vault, name, amount, currency, to, rate, day=day, note=note), _ok("mutual_aid.msg.exchanged"))


@fund_app.command("rate")
def fund_rate(currency: Annotated[str, typer.Argument(help="Currency, e.g. USD.")],
              rate: Annotated[str, typer.Argument(help="Value of one unit, e.g. 1310.")],
              quote: Annotated[str, typer.Option("--in", help="In this currency.")] = "IQD", day: Day = None) -> None:
    """Record a dated exchange rate (used to value holdings and in exports)."""
    from halqa.mutual_aid import set_rate

    with open_vault() as vault:
        emit(set_rate(vault, currency, rate, day, quote), _ok("mutual_aid.msg.rate"))


@fund_app.command("void")
def fund_void(entry: Annotated[str, typer.Argument(help="Entry id (from a statement).")],
              day: Day = None, note: Note = "") -> None:
    """Cancel an entry by posting its exact reverse."""
    from halqa.mutual_aid import void

    with open_vault() as vault:
        emit(void(vault, entry, day, note), _ok("mutual_aid.msg.voided"))


def _render_statement(st: Statement) -> None:
    d = to_data(st)
    console.rule(t("mutual_aid.msg.statement", fund=d["fund"], period=d["month"] or t("mutual_aid.msg.all_time")))
    table = Table(show_header=False, box=None)
    for key in ("balance", "opening", "holdings", "value", "contributions", "disbursements", "transfers_in",
                "transfers_out", "pledges_outstanding"):
        value = d[key]
        if isinstance(value, dict):
            value = ", ".join(f"{a} {c}" for c, a in value.items()) or "0"
        elif key == "balance":
            value = f"{value} {d['currency']}"
        table.add_row(t(f"mutual_aid.col.{key}"), "-" if value is None else str(value))
    console.print(table)
    if d["by_purpose"]:
        _table([{"purpose": t(f"mutual_aid.purpose.{p}") if t(f"mutual_aid.purpose.{p}") != f"mutual_aid.purpose.{p}" else p,
                 "amount": ", ".join(f"{a} {c}" for c, a in v.items())} for p, v in d["by_purpose"].items()],
               ["purpose", "amount"])
    if d.get("entries"):
        rows = [e | {"party": e["party"] if not e["hidden"] else t("mutual_aid.msg.hidden")} for e in d["entries"]]
        _table(rows, ["day", "id", "type", "amount", "currency", "purpose", "party"])


@fund_app.command("statement")
def fund_statement(name: Annotated[str, typer.Argument(help="Fund name.")],
                   month: Annotated[Optional[str], typer.Option("--month", help="One month, YYYY-MM (default: all).")] = None,
                   hide: Annotated[bool, typer.Option("--hide-parties", help="Show no pseudonyms at all.")] = False,
                   totals: Annotated[bool, typer.Option("--totals-only", help="Totals by purpose, no entries.")] = False) -> None:
    """A fund's statement: balance, totals by purpose, entries."""
    from halqa.mutual_aid import statement

    with open_vault() as vault:
        emit(statement(vault, name, month, hide_parties=hide, entries=not totals), _render_statement)


@fund_app.command("export")
def fund_export(output: Annotated[Path, typer.Option("-o", "--output", help="File to write (e.g. funds.beancount).")],
                fund: Annotated[Optional[str], typer.Option("--fund", help="Only this fund (default: all).")] = None,
                hide: Annotated[bool, typer.Option("--hide-parties", help="Leave out every pseudonym.")] = False) -> None:
    """Export the funds as a Beancount ledger (bean-check, Fava)."""
    from halqa.mutual_aid import export_beancount

    with open_vault() as vault:
        output = remember(vault, output, "ledger")
        text = export_beancount(vault, fund, hide_parties=hide)
    try:
        output.write_text(text, encoding="utf-8")
    except OSError:
        raise InvalidInput("mutual_aid.error.write", path=str(output)) from None
    emit({"file": str(output), "bytes": len(text.encode("utf-8"))}, _ok("mutual_aid.msg.exported"))


# ---------------------------------------------------------------------------- pool
@pool_app.command("create")
def pool_create(name: Annotated[str, typer.Argument(help="Pool name.")],
                members: Annotated[str, typer.Option("--members", help="Pseudonyms, comma-separated.")],
                amount: Annotated[str, typer.Option("--amount", help="Each member's due per round.")],
                period: Annotated[str, typer.Option("--period", help="weekly, fortnightly or monthly.")] = "monthly",
                order: Annotated[str, typer.Option("--order", help="Payout order: random, agreed, need or bid.")] = "random",
                currency: Annotated[str, typer.Option("--currency", help="Currency.")] = "IQD",
                start: Annotated[Optional[str], typer.Option("--start", help="Day round 1 falls due (default today).")] = None,
                cover: Annotated[str, typer.Option("--cover", help="Who covers a missed due: organiser, pool, "
                                                   "guarantor.")] = "organiser",
                organiser: Annotated[Optional[str], typer.Option("--organiser", help="Organiser (default: first member).")] = None,
                guarantor: Annotated[str, typer.Option("--guarantor", help="Guarantor's pseudonym.")] = "") -> None:
    """Start a rotating savings pool."""
    from halqa.mutual_aid import create_pool

    people = [m.strip() for m in members.split(",") if m.strip()]
    with open_vault() as vault:
        emit(create_pool(vault, name, people, amount, period, order, currency, start, cover, organiser, guarantor),
             _ok("mutual_aid.msg.pool_created"))


@pool_app.command("list")
def pool_list() -> None:
    """Every pool and how far it has come."""
    from halqa.mutual_aid import pools

    with open_vault() as vault:
        emit(pools(vault), lambda rows: _table(rows, ["name", "members", "amount", "currency", "method", "paid_out", "status"]))


@pool_app.command("draw")
def pool_draw(name: Annotated[str, typer.Argument(help="Pool name.")],
              seed: Annotated[str, typer.Option("--seed", help="The seed the members agreed (random order).")] = "",
              order: Annotated[Optional[str], typer.Option("--agreed", help="Agreed order, comma-separated.")] = None,
              need: Annotated[Optional[list[str]], typer.Option("--need", help="MEMBER=SCORE (0-10), repeatable.")] = None,
              bid: Annotated[Optional[list[str]], typer.Option("--bid", help="MEMBER=DISCOUNT, repeatable.")] = None,
              round_no: Annotated[Optional[int], typer.Option("--round", help="Bid round being drawn.")] = None) -> None:
    """Fix the payout order (or, in a bid pool, the next round's recipient)."""
    from halqa.mutual_aid import draw

    scores = {k: int(v) if v.isdigit() else -1 for k, v in _pairs(need or [], "need").items()}
    with open_vault() as vault:
        result = draw(vault, name, seed=seed, order=[m.strip() for m in order.split(",")] if order else None,
                      need=scores, bids=_pairs(bid or [], "bid"), round_no=round_no)
    emit(result, lambda d: _table(d.order, ["round", "member", "due"]))


@pool_app.command("pay")
def pool_pay(name: Annotated[str, typer.Argument(help="Pool name.")],
             member: Annotated[str, typer.Option("--member", help="Whose due this pays.")],
             round_no: Annotated[int, typer.Option("--round", help="Round number.")],
             amount: Annotated[Optional[str], typer.Option("--amount", help="Part payment (default: all that is left).")] = None,
             payer: Annotated[Optional[str], typer.Option("--payer", help="Someone paying on the member's behalf.")] = None,
             day: Day = None) -> None:
    """Record a member's payment for a round."""
    from halqa.mutual_aid import pay

    with open_vault() as vault:
        emit(pay(vault, name, member, round_no, amount, payer, day), _ok("mutual_aid.msg.paid"))


@pool_app.command("cover")
def pool_cover(name: Annotated[str, typer.Argument(help="Pool name.")],
               member: Annotated[str, typer.Option("--member", help="Member who missed the due.")],
               round_no: Annotated[int, typer.Option("--round", help="Round number.")],
               by: Annotated[Optional[str], typer.Option("--by", help="organiser, pool or guarantor "
                                                         "(default: the pool's rule).")] = None,
               day: Day = None) -> None:
    """Cover a missed due (the member then owes whoever covered it)."""
    from halqa.mutual_aid import cover

    with open_vault() as vault:
        emit(cover(vault, name, member, round_no, by, day), _ok("mutual_aid.msg.covered", by="coverer"))


@pool_app.command("payout")
def pool_payout(name: Annotated[str, typer.Argument(help="Pool name.")],
                round_no: Annotated[Optional[int], typer.Option("--round", help="Round (default: the next one).")] = None,
                day: Day = None) -> None:
    """Hand a round's pot to its recipient (once every due is settled)."""
    from halqa.mutual_aid import payout

    with open_vault() as vault:
        emit(payout(vault, name, round_no, day), _ok("mutual_aid.msg.paid_out"))


@pool_app.command("swap")
def pool_swap(name: Annotated[str, typer.Argument(help="Pool name.")],
              a: Annotated[str, typer.Argument(help="One member.")],
              b: Annotated[str, typer.Argument(help="The other member.")], day: Day = None) -> None:
    """Exchange two members' turns."""
    from halqa.mutual_aid import swap

    with open_vault() as vault:
        emit(swap(vault, name, a, b, day), lambda d: console.print(t("mutual_aid.msg.swapped", a=a, b=b)))


@pool_app.command("repay")
def pool_repay(name: Annotated[str, typer.Argument(help="Pool name.")],
               debtor: Annotated[str, typer.Option("--member", help="Who is paying back.")],
               creditor: Annotated[str, typer.Option("--to", help="Who covered for them.")],
               amount: Annotated[Optional[str], typer.Option("--amount", help="Part (default: all owed).")] = None,
               day: Day = None) -> None:
    """Record a member paying back whoever covered a missed due."""
    from halqa.mutual_aid import repay

    with open_vault() as vault:
        emit(repay(vault, name, debtor, creditor, amount, day), _ok("mutual_aid.msg.repaid"))


@pool_app.command("close")
def pool_close(name: Annotated[str, typer.Argument(help="Pool name.")],
               reason: Annotated[str, typer.Option("--reason", help="Why (short).")] = "", day: Day = None) -> None:
    """Stop a pool before it completes."""
    from halqa.mutual_aid import close_pool

    with open_vault() as vault:
        emit(close_pool(vault, name, reason, day), _ok("mutual_aid.msg.closed"))


def _render_status(status: PoolStatus) -> None:
    d = to_data(status)
    console.rule(t("mutual_aid.msg.pool_status", pool=d["pool"], status=t(f"mutual_aid.status.{d['status']}"),
                   round=d["round"] or "-", rounds=d["rounds"]))
    _table(d["schedule"], ["round", "due", "recipient", "pot", "paid", "paid_out"])
    if d["this_round"]:
        r = d["this_round"]
        console.print(t("mutual_aid.msg.this_round", round=r["round"], due=r["due"], recipient=r["recipient"] or "?"))
        _table([o | {"late": "!" if o["late"] else ""} for o in r["owes"]],
               ["member", "due", "paid", "left", "late"])
    if d["debts"]:
        _table(d["debts"], ["debtor", "creditor", "amount"])


@pool_app.command("status")
def pool_status_cmd(name: Annotated[str, typer.Argument(help="Pool name.")],
                    today: Annotated[Optional[str], typer.Option("--today", help="Judge lateness as of this day.")] = None) -> None:
    """Schedule, who owes what this round, debts and history."""
    from halqa.mutual_aid import pool_status

    with open_vault() as vault:
        emit(pool_status(vault, name, today), _render_status)


@pool_app.command("remind")
def pool_remind(today: Annotated[Optional[str], typer.Option("--today", help="As of this day.")] = None,
                ahead: Annotated[int, typer.Option("--ahead", help="Also dues within this many days.")] = 3) -> None:
    """Dues open now or soon, in every open pool."""
    from halqa.mutual_aid import reminders

    with open_vault() as vault:
        emit(reminders(vault, today, ahead), lambda rows: _table(rows, ["pool", "round", "member", "due", "left", "overdue"]))


# ---------------------------------------------------------------------------- tools and repairs
@tools_app.command("add")
def tools_add(name: Annotated[str, typer.Argument(help="What it is (no serial numbers).")],
              category: Annotated[str, typer.Option("--category", help="generator-part, filter, solar-panel, battery, "
                                                    "tool, cable, pump, other.")] = "tool",
              keeper: Annotated[str, typer.Option("--keeper", help="Who keeps it (pseudonym).")] = "",
              note: Note = "", day: Day = None) -> None:
    """Add an item to the tool library."""
    from halqa.mutual_aid import add_item

    with open_vault() as vault:
        emit(add_item(vault, name, category, keeper, note, day), _ok("mutual_aid.msg.item_added"))


@tools_app.command("lend")
def tools_lend(item: Annotated[str, typer.Argument(help="Item id (or its name if unique).")],
               to: Annotated[str, typer.Option("--to", help="Borrower (pseudonym).")],
               days: Annotated[int, typer.Option("--days", help="Due back after this many days.")] = 7,
               day: Day = None) -> None:
    """Lend an item."""
    from halqa.mutual_aid import lend

    with open_vault() as vault:
        emit(lend(vault, item, to, days, day), _ok("mutual_aid.msg.lent"))


@tools_app.command("return")
def tools_return(item: Annotated[str, typer.Argument(help="Item id (or its name if unique).")],
                 condition: Annotated[str, typer.Option("--condition", help="ok, needs repair...")] = "",
                 day: Day = None) -> None:
    """Record that a lent item came back."""
    from halqa.mutual_aid import return_item

    with open_vault() as vault:
        emit(return_item(vault, item, day, condition), _ok("mutual_aid.msg.returned"))


@tools_app.command("list")
def tools_list(overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue loans.")] = False,
               retired: Annotated[bool, typer.Option("--all", help="Include used-up and retired items.")] = False,
               today: Annotated[Optional[str], typer.Option("--today", help="Judge overdue as of this day.")] = None) -> None:
    """Items and who holds them."""
    from halqa.mutual_aid import list_items

    with open_vault() as vault:
        emit(list_items(vault, today, overdue, retired),
             lambda rows: _table(rows, ["id", "name", "category", "holder", "due", "days_overdue"]))


@repairs_app.command("log")
def repairs_log(what: Annotated[str, typer.Argument(help="What was repaired.")],
                area: Annotated[str, typer.Option("--area", help="Area code, e.g. NKH.")],
                who: Annotated[str, typer.Option("--who", help="Who worked on it, comma-separated pseudonyms.")],
                parts: Annotated[Optional[list[str]], typer.Option("--part", help="Part used (item id or text), "
                                                                    "repeatable.")] = None,
                done: Annotated[bool, typer.Option("--done", help="Finished the same day.")] = False,
                note: Note = "", day: Day = None) -> None:
    """Log a repair job."""
    from halqa.mutual_aid import log_repair

    with open_vault() as vault:
        emit(log_repair(vault, what, area, [w.strip() for w in who.split(",") if w.strip()], parts, day, done, note),
             _ok("mutual_aid.msg.repair_logged"))


@repairs_app.command("done")
def repairs_done(repair: Annotated[str, typer.Argument(help="Repair id.")],
                 parts: Annotated[Optional[list[str]], typer.Option("--part", help="Another part used, repeatable.")] = None,
                 day: Day = None) -> None:
    """Mark a repair finished."""
    from halqa.mutual_aid import finish_repair

    with open_vault() as vault:
        emit(finish_repair(vault, repair, day, parts), _ok("mutual_aid.msg.repair_done"))


@repairs_app.command("list")
def repairs_list(area: Annotated[Optional[str], typer.Option("--area", help="Only this area.")] = None,
                 open_only: Annotated[bool, typer.Option("--open", help="Only unfinished jobs.")] = False) -> None:
    """The repair log, newest first."""
    from halqa.mutual_aid import list_repairs

    with open_vault() as vault:
        rows, names = list_repairs(vault, area, open_only), area_names(vault)
    emit(rows, lambda rows: _table([{**to_data(r), "area": names.get(r.area, r.area)} for r in rows],
                                   ["id", "day", "area", "what", "done"]))


@repairs_app.command("stats")
def repairs_stats(since: Annotated[Optional[str], typer.Option("--since", help="From this day.")] = None) -> None:
    """Repair figures for circle health."""
    from halqa.mutual_aid import repair_stats

    with open_vault() as vault:
        data = repair_stats(vault, since)
    emit(data, lambda d: _table([{k: v for k, v in to_data(d).items() if not isinstance(v, dict)}],
                                ["logged", "done", "open", "median_days", "people"]))
