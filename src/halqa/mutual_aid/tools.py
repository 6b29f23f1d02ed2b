"""The tool library and shared repairs.

*Items* are things the circle owns together (generator parts, filters, solar panels, tools), each
with a *keeper* who holds it when it is not lent. *Loans* record who borrowed what, when it is due
back and when it came back; a loan past its due day is overdue. *Repairs* are a log of jobs (what,
where by area code, who by pseudonym, parts used, done): a part that is a library item is used up
by the repair. :func:`repair_stats` sums the log for circle health.
"""

from __future__ import annotations

import re
import statistics
from datetime import date
from typing import Any

import msgspec

from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid.common import check_pseudonym
from halqa.vault import RecordProjection, Vault, register_kind, register_projection
from halqa.vault.values import check_day, json_list, new_id

__all__ = [
    "CATEGORIES",
    "add_item",
    "finish_repair",
    "lend",
    "list_items",
    "list_repairs",
    "log_repair",
    "repair_stats",
    "return_item",
]

UNSET = msgspec.UNSET

CATEGORIES = ("generator-part", "filter", "solar-panel", "battery", "tool", "cable", "pump", "other")
#: Categories that are used up when a repair lists them as parts.
CONSUMABLE = frozenset({"generator-part", "filter", "cable", "other"})


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

_AREA = re.compile(r"^[A-Z0-9-]{1,16}$")


def _text(value: str, what: str, most: int = 120) -> str:
    v = " ".join(str(value).split())
    if not v or len(v) > most:
        raise InvalidInput("mutual_aid.error.text", what=what, most=most)
    return v


def _item(vault: Vault, ref: str) -> Any:
    """An item by id, or by name when exactly one item has it."""
    row = vault.query_one("SELECT * FROM mutual_aid_item WHERE id = ?", (ref,))
    if row is not None:
        return row
    rows = vault.query("SELECT * FROM mutual_aid_item WHERE name = ? AND retired IS NULL", (ref,))
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise InvalidInput("mutual_aid.error.item_ambiguous", name=ref, ids=", ".join(r["id"] for r in rows))
    raise NotFound("mutual_aid.error.no_item", item=ref)


def add_item(vault: Vault, name: str, category: str = "tool", keeper: str = "", note: str = "",
             day: str | None = None) -> dict:
    """Add an item to the library; returns it with its new id (``t-…``)."""
    cat = str(category).strip().lower()
    if cat not in CATEGORIES:
        raise InvalidInput("mutual_aid.error.category", category=category, known=", ".join(CATEGORIES))
    item = ItemPut(id=new_id("t"), name=_text(name, "name", 80), category=cat,
                   keeper=check_pseudonym(keeper) if keeper else "", added=check_day(day), note=note, retired=None)
    vault.append("mutual_aid_item.put", item)
    return msgspec.structs.asdict(item)


def _open_loan(vault: Vault, item_id: str) -> Any:
    return vault.query_one("SELECT * FROM mutual_aid_loan WHERE item = ? AND back IS NULL ORDER BY out DESC", (item_id,))


def lend(vault: Vault, item: str, borrower: str, days: int = 7, day: str | None = None) -> dict:
    """Lend an item for ``days`` days. Refused if it is out already or no longer in the library."""
    row = _item(vault, item)
    if row["retired"]:
        raise InvalidInput("mutual_aid.error.item_retired", item=row["id"], day=row["retired"])
    if not 1 <= int(days) <= 365:
        raise InvalidInput("mutual_aid.error.loan_days", days=days)
    who = check_pseudonym(borrower)
    with vault.transaction():
        current = _open_loan(vault, row["id"])
        if current is not None:
            raise InvalidInput("mutual_aid.error.item_out", item=row["id"], borrower=current["borrower"],
                               due=current["due"])
        out = check_day(day)
        due = date.fromordinal(date.fromisoformat(out).toordinal() + int(days)).isoformat()
        loan = LoanPut(id=new_id("l"), item=row["id"], borrower=who, out=out, due=due, back=None, condition="")
        vault.append("mutual_aid_loan.put", loan)
    return msgspec.structs.asdict(loan) | {"name": row["name"]}


def return_item(vault: Vault, item: str, day: str | None = None, condition: str = "") -> dict:
    """Record that a lent item came back (optionally how: ``ok``, ``needs repair``...)."""
    row = _item(vault, item)
    current = _open_loan(vault, row["id"])
    if current is None:
        raise InvalidInput("mutual_aid.error.item_not_out", item=row["id"])
    back = check_day(day)
    if back < current["out"]:
        raise InvalidInput("mutual_aid.error.return_before_lend", day=back, out=current["out"])
    vault.append("mutual_aid_loan.put", LoanPut(id=current["id"], back=back, condition=condition))
    return {"id": current["id"], "item": row["id"], "name": row["name"], "borrower": current["borrower"],
            "out": current["out"], "due": current["due"], "back": back, "late": back > current["due"]}


def list_items(vault: Vault, today: str | None = None, overdue_only: bool = False, include_retired: bool = False) -> list[dict]:
    """Items with where they are now: with their keeper, or lent (to whom, due when, overdue)."""
    now = check_day(today)
    out = []
    for r in vault.query("SELECT * FROM mutual_aid_item ORDER BY category, name, id"):
        if r["retired"] and not include_retired:
            continue
        loan = _open_loan(vault, r["id"])
        overdue = loan is not None and now > loan["due"]
        if overdue_only and not overdue:
            continue
        out.append({"id": r["id"], "name": r["name"], "category": r["category"], "keeper": r["keeper"] or None,
                    "holder": loan["borrower"] if loan else (r["keeper"] or None), "lent": loan is not None,
                    "due": loan["due"] if loan else None, "overdue": overdue,
                    "days_overdue": (date.fromisoformat(now) - date.fromisoformat(loan["due"])).days if overdue else 0,
                    "retired": r["retired"]})
    return out


def log_repair(vault: Vault, what: str, area: str, who: list[str], parts: list[str] | None = None,
               day: str | None = None, done: bool = False, note: str = "") -> dict:
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
        rep = RepairPut(id=rid, what=_text(what, "what"), area=code, who=people, parts=used, day=d,
                        done=d if done else None, note=note)
        vault.append("mutual_aid_repair.put", rep)
    return msgspec.structs.asdict(rep)


def _use_parts(vault: Vault, parts: list[str], repair_id: str, day: str) -> None:
    for part in parts:
        row = vault.query_one("SELECT * FROM mutual_aid_item WHERE id = ?", (part,))
        if row is None:
            continue
        if row["retired"]:
            raise InvalidInput("mutual_aid.error.item_retired", item=part, day=row["retired"])
        if _open_loan(vault, part) is not None:
            raise InvalidInput("mutual_aid.error.item_out", item=part, borrower="", due="")
        if row["category"] in CONSUMABLE:
            vault.append("mutual_aid_item.put", ItemPut(id=part, retired=day, note=f"used in {repair_id}"))


def finish_repair(vault: Vault, repair_id: str, day: str | None = None, parts: list[str] | None = None) -> dict:
    """Mark a repair done (and add parts used while finishing it)."""
    row = vault.query_one("SELECT * FROM mutual_aid_repair WHERE id = ?", (repair_id,))
    if row is None:
        raise NotFound("mutual_aid.error.no_repair", id=repair_id)
    if row["done"]:
        raise InvalidInput("mutual_aid.error.repair_done", id=repair_id, day=row["done"])
    d = check_day(day)
    if d < row["day"]:
        raise InvalidInput("mutual_aid.error.return_before_lend", day=d, out=row["day"])
    extra = [_text(p, "part", 80) for p in (parts or [])]
    with vault.transaction():
        _use_parts(vault, extra, repair_id, d)
        vault.append("mutual_aid_repair.put", RepairPut(id=repair_id, done=d, parts=json_list(row["parts"]) + extra))
    return {"id": repair_id, "done": d, "days": (date.fromisoformat(d) - date.fromisoformat(row["day"])).days}


def list_repairs(vault: Vault, area: str | None = None, open_only: bool = False) -> list[dict]:
    """The repair log, newest first."""
    sql, args = "SELECT * FROM mutual_aid_repair WHERE 1 = 1", []
    if area:
        sql += " AND area = ?"
        args.append(area.strip().upper())
    if open_only:
        sql += " AND done IS NULL"
    return [{"id": r["id"], "day": r["day"], "what": r["what"], "area": r["area"], "who": json_list(r["who"]),
             "parts": json_list(r["parts"]), "done": r["done"], "note": r["note"] or ""}
            for r in vault.query(sql + " ORDER BY day DESC, id", args)]


def repair_stats(vault: Vault, since: str | None = None) -> dict:
    """Figures for circle health: jobs logged, done and open, median days to finish, people who
    took part, and jobs per area and month."""
    start = check_day(since) if since else "0000-01-01"
    rows = vault.query("SELECT * FROM mutual_aid_repair WHERE day >= ?", (start,))
    days = [(date.fromisoformat(r["done"]) - date.fromisoformat(r["day"])).days for r in rows if r["done"]]
    by_area: dict[str, int] = {}
    by_month: dict[str, int] = {}
    people: set[str] = set()
    for r in rows:
        by_area[r["area"]] = by_area.get(r["area"], 0) + 1
        by_month[r["day"][:7]] = by_month.get(r["day"][:7], 0) + 1
        people |= set(json_list(r["who"]))
    return {"logged": len(rows), "done": len(days), "open": len(rows) - len(days),
            "median_days": statistics.median(days) if days else None, "people": len(people),
            "by_area": dict(sorted(by_area.items())), "by_month": dict(sorted(by_month.items()))}
