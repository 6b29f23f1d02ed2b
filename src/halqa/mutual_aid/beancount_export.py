"""Export funds as a plain-text double-entry ledger in Beancount's syntax.

The file opens in Fava and passes ``bean-check``; it is written by hand here (no Beancount code
is imported: Beancount is GPL-2.0-only and only the tests run its checker). Accounts::

    Assets:Funds:<Fund>:Cash            what the fund holds
    Assets:Funds:<Fund>:Pledged         promised, not yet handed over
    Income:Funds:<Fund>:Contributions   Income:Funds:<Fund>:Pledges
    Expenses:Funds:<Fund>:<Purpose>     e.g. Expenses:Funds:Families:Medicine

Currency exchanges are written with a total price (``-100 USD @@ 131000 IQD``), rates as
``price`` directives, and each fund's holdings are asserted with ``balance`` directives the day
after the last entry, so ``bean-check`` verifies halqa's own totals.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from halqa.mutual_aid.money import format_minor
from halqa.mutual_aid.read import ledger_rows
from halqa.vault import Vault
from halqa.vault.values import today

__all__ = ["account_component", "export_beancount"]

_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")


def account_component(name: str) -> str:
    """A Beancount account component for a fund or purpose name: ``arrested-families`` ->
    ``Arrested-Families``; names Beancount cannot spell (Arabic, Sorani) -> ``F-<hash>``."""
    parts = [p for p in re.split(r"[_.\s]+", name) if p]
    candidate = "-".join(p[:1].upper() + p[1:] for p in parts).replace("--", "-")
    if candidate and _COMPONENT.match(candidate) and candidate.isascii():
        return candidate
    return "F-" + hashlib.blake2b(name.encode("utf-8"), digest_size=4).hexdigest().upper()


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _account(fund_c: str, account: str, sub: str) -> str:
    if account == "cash":
        return f"Assets:Funds:{fund_c}:Cash"
    if account == "pledged":
        return f"Assets:Funds:{fund_c}:Pledged"
    if account == "income":
        return f"Income:Funds:{fund_c}:{account_component(sub or 'contributions')}"
    if account == "expense":
        return f"Expenses:Funds:{fund_c}:{account_component(sub or 'other')}"
    return f"Equity:Funds:{fund_c}:Conversions"


def export_beancount(vault: Vault, fund: str | None = None, hide_parties: bool = False,
                     title: str = "halqa funds") -> str:
    """The ledger (one fund, or all) as Beancount text. Private entries never name their party;
    ``hide_parties`` leaves out every party."""
    rows = ledger_rows(vault, fund)
    fund_rows, postings, entries, rates = rows.funds, rows.postings, rows.entries, rows.rates
    names = [r["name"] for r in fund_rows]
    comps: dict[str, str] = {}
    for n in names:
        c = account_component(n)
        while c in comps.values():  # two names that spell the same component
            c = c + "-" + hashlib.blake2b(n.encode(), digest_size=2).hexdigest().upper()
        comps[n] = c
    by_entry: dict[str, list[Any]] = defaultdict(list)
    for p in postings:
        by_entry[p["entry"]].append(p)
    # A transfer to a fund outside the export still needs an account on the other side.
    for p in postings:
        if p["fund"] not in comps:
            comps[p["fund"]] = "Other-" + account_component(p["fund"])
    days = [r["created"] for r in fund_rows if r["created"]] + [e["day"] for e in entries]
    days += [r["day"] for r in rates]
    first = min(days) if days else today()
    last = max(days) if days else first
    currencies = sorted({r["currency"] for r in fund_rows} | {p["currency"] for p in postings}
                        | {r["currency"] for r in rates} | {r["quote"] for r in rates})
    operating = fund_rows[0]["currency"] if fund_rows else "IQD"

    out: list[str] = [f"; {title}: exported by halqa. Amounts are exact; pseudonyms, not names.",
                      f"option \"title\" {_quote(title)}", f"option \"operating_currency\" \"{operating}\"", ""]
    for cur in currencies:
        out.append(f"{first} commodity {cur}")
    out.append("")
    accounts: set[str] = set()
    for r in fund_rows:
        c = comps[r["name"]]
        accounts |= {_account(c, "cash", ""), _account(c, "pledged", ""), _account(c, "income", "contributions"),
                     _account(c, "income", "pledges")}
    for p in postings:
        accounts.add(_account(comps[p["fund"]], p["account"], p["sub"]))
    names_by_comp = {v: k for k, v in comps.items()}
    for acc in sorted(accounts):
        fund_name = names_by_comp.get(acc.split(":")[2], "")
        out.append(f"{first} open {acc}")
        out.append(f"  fund: {_quote(fund_name)}")
    out.append("")
    for r in rates:
        out.append(f"{r['day']} price {r['currency']} {r['rate']} {r['quote']}")
    if rates:
        out.append("")
    held: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        party = "" if hide_parties or e["private"] else (e["party"] or "")
        narration = e["type"] + (f" ({e['purpose']})" if e["purpose"] else "") + (f": {e['note']}" if e["note"] else "")
        head = f"{e['day']} * " + (f"{_quote(party)} " if party else "") + _quote(narration)
        out.append(head)
        out.append(f"  halqa-id: {_quote(e['id'])}")
        if e["ref"]:
            out.append(f"  ref: {_quote(e['ref'])}")
        lines = by_entry[e["id"]]
        if e["type"] == "exchange" or (e["type"] == "void" and any(p["account"] == "conversion" for p in lines)):
            out += _exchange_lines(lines, comps)
        else:
            for p in lines:
                out.append(f"  {_account(comps[p['fund']], p['account'], p['sub'])}  "
                           f"{format_minor(p['amount'], p['currency'])} {p['currency']}")
        for p in lines:
            if p["account"] in ("cash", "pledged"):
                held[(_account(comps[p["fund"]], p["account"], ""), p["currency"])] += int(p["amount"])
        out.append("")
    check_day = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    for (acc, cur), amount in sorted(held.items()):
        if acc.split(":")[2] in names_by_comp and names_by_comp[acc.split(":")[2]] in names:
            out.append(f"{check_day} balance {acc}  {format_minor(amount, cur)} {cur}")
    out.append("")
    return "\n".join(out)


def _exchange_lines(lines: list[Any], comps: dict[str, str]) -> list[str]:
    """Cash legs only, the sold side priced at the total received (``@@``)."""
    cash = [p for p in lines if p["account"] == "cash"]
    sold = next(p for p in cash if p["amount"] < 0)
    bought = next(p for p in cash if p["amount"] > 0)
    return [
        f"  {_account(comps[sold['fund']], 'cash', '')}  {format_minor(sold['amount'], sold['currency'])} "
        f"{sold['currency']} @@ {format_minor(bought['amount'], bought['currency'])} {bought['currency']}",
        f"  {_account(comps[bought['fund']], 'cash', '')}  {format_minor(bought['amount'], bought['currency'])} "
        f"{bought['currency']}",
    ]
