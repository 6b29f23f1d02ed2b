"""Shared services: what a cooperative runs, with what, at what cost, who is on shift, what it delivered.

A *service* (a water filter station, a generator share, a solar repair brigade, a child-care
rotation, a medical shuttle, a food distribution) serves every household of some areas and any
households named; it is run by circles and, for shifts, by a rota of members. Its *assets* point at
tool-library items and at the repair log of :mod:`halqa.mutual_aid` (repairs are logged there, never
copied here); its *running costs* are disbursements from a fund (:func:`halqa.mutual_aid.disburse`),
linked by entry id. Shifts are planned with the circles' fair, irregular scheduling
(:func:`halqa.circles.plan`: nobody twice running, turns within one of each other, no fixed
pattern). *Deliveries* are units to one household on one day, in the unit of the service's kind
(:data:`~halqa.institutions.records.UNITS`).

Bad input (a household not served, a quantity that is not positive, a worker not on shift that
day) is refused with a clear message and nothing written; :func:`import_deliveries` reports every
bad row with its line number and keeps the good ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from halqa.circles import circle, plan
from halqa.circles import members as circle_members
from halqa.errors import InvalidInput, NotFound
from halqa.institutions.records import (
    KINDS,
    UNITS,
    AssetPut,
    CostPut,
    DeliveryPut,
    ServicePut,
    ShiftPut,
    check_month,
    check_name,
    check_pseudonym,
)
from halqa.mutual_aid import disburse, funds, list_items, list_repairs, log_repair, pools
from halqa.places import areas as known_areas
from halqa.places import households
from halqa.places import households as known_households
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list, new_id

__all__ = ["add_asset", "create_service", "deliver", "deliveries", "import_deliveries", "log_asset_repair",
           "pay_cost", "plan_rota", "service", "services", "shifts"]

#: Largest quantity one delivery may carry (a tanker's load; catches typing slips).
MAX_QUANTITY = 1_000_000.0


def _row(vault: Vault, name: str) -> Any:
    row = vault.query_one("SELECT * FROM institutions_service WHERE id = ?", (str(name),))
    if row is None:
        raise NotFound("institutions.unknown_service", service=name)
    return row


def create_service(vault: Vault, name: str, kind: str, areas: Sequence[str] = (), households: Sequence[str] = (),
                   circles: Sequence[str] = (), rota: Sequence[str] = (), fund: str | None = None,
                   pool: str | None = None, note: str = "", day: str | None = None) -> dict[str, Any]:
    """Start a service of ``kind`` (:data:`~halqa.institutions.records.KINDS`) serving the
    households of ``areas`` and the ``households`` named. ``fund`` pays its running costs and
    ``pool`` is a savings pool that finances it (both from :mod:`halqa.mutual_aid`)."""
    sid = check_name(name, "service")
    if kind not in KINDS:
        raise InvalidInput("institutions.bad_kind", kind=kind, kinds=", ".join(KINDS))

    codes = sorted({str(a).strip().upper() for a in areas})
    have = {a["code"] for a in known_areas(vault)}
    for code in codes:
        if code not in have:
            raise NotFound("error.unknown_area", code=code)
    homes = sorted({check_pseudonym(h) for h in households})
    known = {h["id"] for h in known_households(vault)}
    for h in homes:
        if h not in known:
            raise NotFound("institutions.unknown_household", household=h)
    if not codes and not homes:
        raise InvalidInput("institutions.serves_nobody", service=sid)
    if circles:
        for c in circles:
            circle(vault, c)
    if fund:
        if fund not in {f.name for f in funds(vault)}:
            raise NotFound("mutual_aid.error.no_fund", name=fund)
    if pool:
        if pool not in {p.name for p in pools(vault)}:
            raise NotFound("institutions.unknown_pool", pool=pool)
    with vault.transaction():
        if vault.query_one("SELECT 1 FROM institutions_service WHERE id = ?", (sid,)):
            raise InvalidInput("institutions.service_exists", service=sid)
        vault.append("institutions_service.put", ServicePut(
            id=sid, kind=kind, unit=UNITS[kind], areas=codes, households=homes, circles=list(circles),
            rota=sorted({check_pseudonym(m) for m in rota}), fund=fund, pool=pool, created=check_day(day),
            note=" ".join(note.split())[:400]))
    return service(vault, sid)


def _summary(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "kind": row["kind"], "unit": row["unit"], "areas": json_list(row["areas"]),
            "households": json_list(row["households"]), "circles": json_list(row["circles"]),
            "rota": json_list(row["rota"]), "fund": row["fund"], "pool": row["pool"], "created": row["created"],
            "note": row["note"] or ""}


def services(vault: Vault) -> list[dict[str, Any]]:
    """Every service, with its delivery totals."""
    totals = {r[0]: (int(r[1]), float(r[2] or 0)) for r in vault.query(
        "SELECT service, count(*), sum(quantity) FROM institutions_delivery GROUP BY service")}
    return [_summary(r) | {"deliveries": totals.get(r["id"], (0, 0.0))[0], "delivered": totals.get(r["id"], (0, 0.0))[1]}
            for r in vault.query("SELECT * FROM institutions_service ORDER BY id")]


def service(vault: Vault, name: str) -> dict[str, Any]:
    """One service: whom it serves, its assets with their repairs (from the mutual-aid repair log),
    its running costs, its shifts and what it has delivered, per month."""
    out = _summary(_row(vault, name))

    repairs = {r.id: to_data(r) for r in list_repairs(vault)}
    out["assets"] = [{"id": a["id"], "name": a["name"], "item": a["item"], "added": a["added"],
                      "repairs": [repairs[r] for r in json_list(a["repairs"]) if r in repairs]}
                     for a in vault.query("SELECT * FROM institutions_asset WHERE service = ? ORDER BY added, id",
                                          (out["id"],))]
    out["costs"] = [{"id": c["id"], "day": c["day"], "amount": c["amount"], "currency": c["currency"],
                     "purpose": c["purpose"], "fund": c["fund"], "entry": c["entry"]}
                    for c in vault.query("SELECT * FROM institutions_cost WHERE service = ? ORDER BY day, id",
                                         (out["id"],))]
    out["shifts"] = shifts(vault, out["id"])
    out["by_month"] = [{"month": r[0], "deliveries": int(r[1]), "quantity": float(r[2]), "households": int(r[3])}
                       for r in vault.query(
                           "SELECT substr(day, 1, 7) AS m, count(*), sum(quantity), count(DISTINCT household) "
                           "FROM institutions_delivery WHERE service = ? GROUP BY m ORDER BY m", (out["id"],))]
    return out


def add_asset(vault: Vault, svc: str, name: str, item: str | None = None, repairs: Sequence[str] = (),
              day: str | None = None) -> dict[str, Any]:
    """Record an asset of a service (a filter, a generator, a minibus), optionally a tool-library
    ``item`` and repairs already in the mutual-aid repair log (by id)."""
    row = _row(vault, svc)
    label = " ".join(str(name).split())
    if not label or len(label) > 80:
        raise InvalidInput("institutions.bad_text", what="name", most=80)

    if item and item not in {i.id for i in list_items(vault, include_retired=True)}:
        raise NotFound("mutual_aid.error.no_item", item=item)
    logged = {r.id for r in list_repairs(vault)}
    missing = [r for r in repairs if r not in logged]
    if missing:
        raise NotFound("mutual_aid.error.no_repair", id=missing[0])
    put = AssetPut(id=new_id("a"), service=row["id"], name=label, item=item, repairs=list(repairs), added=check_day(day))
    vault.append("institutions_asset.put", put)
    return {"id": put.id, "service": row["id"], "name": label, "item": item, "repairs": list(repairs), "added": put.added}


def log_asset_repair(vault: Vault, asset: str, what: str, who: Sequence[str], parts: Sequence[str] = (),
                     day: str | None = None, done: bool = False, area: str | None = None) -> dict[str, Any]:
    """Log a repair of an asset in the mutual-aid repair log (:func:`halqa.mutual_aid.log_repair`,
    in the service's first area unless ``area``) and attach it to the asset."""

    row = vault.query_one("SELECT * FROM institutions_asset WHERE id = ?", (asset,))
    if row is None:
        raise NotFound("institutions.unknown_asset", asset=asset)
    svc = _summary(_row(vault, row["service"]))
    code = area or (svc["areas"][0] if svc["areas"] else "")
    with vault.transaction():
        rep = log_repair(vault, what, code, list(who), parts=list(parts), day=day, done=done)
        vault.append("institutions_asset.put", AssetPut(id=asset, repairs=[*json_list(row["repairs"]), rep.id]))
    return to_data(rep) | {"asset": asset, "service": svc["id"]}


def pay_cost(vault: Vault, svc: str, amount: Any, purpose: str = "other", day: str | None = None,
             note: str = "") -> dict[str, Any]:
    """Pay a running cost of a service out of its fund (a mutual-aid disbursement to the service)
    and link the entry to the service. Refused when the fund does not hold enough."""

    row = _row(vault, svc)
    if not row["fund"]:
        raise InvalidInput("institutions.no_fund", service=row["id"])
    d = check_day(day)
    with vault.transaction():
        entry = disburse(vault, row["fund"], row["id"], amount, purpose=purpose, day=d, note=note or f"service {row['id']}")
        put = CostPut(id=new_id("k"), service=row["id"], fund=row["fund"], entry=entry.id, amount=entry.amount,
                      currency=entry.currency, purpose=purpose, day=d)
        vault.append("institutions_cost.put", put)
    return {"id": put.id, "service": row["id"], "fund": row["fund"], "entry": entry.id, "amount": entry.amount,
            "currency": entry.currency, "purpose": purpose, "day": d}


# --------------------------------------------------------------------------- shifts
def plan_rota(vault: Vault, svc: str, start: str | dt.date | None, weeks: int = 4, min_gap: int = 1, max_gap: int = 3,
              seed: int | None = None) -> dict[str, Any]:
    """Plan who is on shift, with :func:`halqa.circles.plan` (the circles' fair, irregular meetings:
    shift days ``min_gap..max_gap`` days apart, nobody twice running, turns within one of each
    other, members' recorded availability respected). Records the shifts, replacing any planned
    for those weeks; returns the plan with its fairness and unpredictability."""

    row = _row(vault, svc)
    rota = json_list(row["rota"])
    if len(rota) < 2:
        raise InvalidInput("institutions.rota_too_small", service=row["id"], n=len(rota))
    first = dt.date.fromisoformat(check_day(start))
    known = {m["pseudonym"]: m for m in circle_members(vault)}
    people = [{"pseudonym": p, "availability": known.get(p, {}).get("availability", []), "area": None} for p in rota]
    rng = random.Random(seed) if seed is not None else None
    planned = plan(people, first, weeks=weeks, min_gap=min_gap, max_gap=max_gap, rng=rng)
    last = (first + dt.timedelta(days=7 * weeks - 1)).isoformat()
    with vault.transaction():
        for old in vault.query("SELECT id FROM institutions_shift WHERE service = ? AND day BETWEEN ? AND ?",
                               (row["id"], first.isoformat(), last)):
            vault.append("institutions_shift.put", ShiftPut(id=old["id"], member=None))
        for m in planned["meetings"]:
            vault.append("institutions_shift.put", ShiftPut(id=f"{row['id']}|{m['day']}", service=row["id"],
                                                            day=m["day"], part=m["part"], member=m["host"]))
    return {"service": row["id"], "shifts": [{"day": m["day"], "part": m["part"], "member": m["host"]}
                                             for m in planned["meetings"]],
            "fair": planned["fair"], "unpredictability": planned["unpredictability"]["score"],
            "complete": planned["complete"], "unscheduled": planned["unscheduled"]}


def shifts(vault: Vault, svc: str, first: str | None = None, last: str | None = None) -> list[dict[str, Any]]:
    """The recorded shifts of a service, by day."""
    rows = vault.query("SELECT day, part, member FROM institutions_shift WHERE service = ? AND member IS NOT NULL "
                       "AND day BETWEEN ? AND ? ORDER BY day", (svc, first or "0000-01-01", last or "9999-12-31"))
    return [{"day": r["day"], "part": r["part"], "member": r["member"]} for r in rows]


# --------------------------------------------------------------------------- deliveries
class _Checker:
    """Everything a delivery is checked against, read once (imports check thousands of rows)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.home_area = {h["id"]: h["area"] for h in households(vault)}
        self.services = {r["id"]: _summary(r) for r in vault.query("SELECT * FROM institutions_service")}
        self.shifts = {(r["service"], r["day"]): r["member"]
                       for r in vault.query("SELECT service, day, member FROM institutions_shift WHERE member IS NOT NULL")}
        self.with_rota = {s for s, _ in self.shifts}

    def check(self, svc: str, household: str, quantity: Any, day: str | None, worker: str | None) -> DeliveryPut:
        s = self.services.get(str(svc).strip())
        if s is None:
            raise NotFound("institutions.unknown_service", service=svc)
        d = check_day(day)
        hh = str(household or "").strip()
        area = self.home_area.get(hh)
        if area is None:
            raise NotFound("institutions.unknown_household", household=hh)
        if hh not in s["households"] and area not in s["areas"]:
            raise InvalidInput("institutions.not_served", household=hh, service=s["id"])
        q = _quantity(quantity)
        who = check_pseudonym(worker) if worker else None
        if who is not None and s["id"] in self.with_rota and self.shifts.get((s["id"], d)) != who:
            raise InvalidInput("institutions.not_on_shift", worker=who, service=s["id"], day=d,
                               on_shift=self.shifts.get((s["id"], d)) or "-")
        return DeliveryPut(id=new_id("d"), service=s["id"], day=d, household=hh, area=area, quantity=q, worker=who)


def _quantity(value: Any) -> float:
    try:
        q = float(str(value).strip()) if not isinstance(value, (int, float)) or isinstance(value, bool) else float(value)
    except ValueError:
        raise InvalidInput("institutions.bad_quantity", quantity=value) from None
    if isinstance(value, bool) or not math.isfinite(q) or q > MAX_QUANTITY:
        raise InvalidInput("institutions.bad_quantity", quantity=value)
    if q <= 0:
        raise InvalidInput("institutions.negative_quantity", quantity=value)
    return q


def deliver(vault: Vault, svc: str, household: str, quantity: Any, day: str | None = None,
            worker: str | None = None) -> dict[str, Any]:
    """Record ``quantity`` units (the service's unit) delivered to a household it serves.
    ``worker``, when given for a service with shifts, must be the member on shift that day."""
    with vault.transaction():
        put = _Checker(vault).check(svc, household, quantity, day, worker)
        vault.append("institutions_delivery.put", put)
    return {"id": put.id, "service": put.service, "day": put.day, "household": put.household, "area": put.area,
            "quantity": put.quantity, "worker": put.worker}


def import_deliveries(vault: Vault, source: str | bytes | os.PathLike[str], svc: str | None = None) -> dict[str, Any]:
    """Import deliveries from CSV with a header ``service,day,household,quantity[,worker]``
    (``service`` may be left out when ``svc`` is given). Every bad row is reported with its line
    number and message; the good rows are written together in one commit."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source and Path(source).is_file()):
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("institutions.not_utf8") from None
        except OSError:
            raise InvalidInput("error.file_missing", path=str(source)) from None
    else:
        try:
            text = source.decode("utf-8-sig") if isinstance(source, bytes) else str(source)
        except UnicodeDecodeError:
            raise InvalidInput("institutions.not_utf8") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"day", "household", "quantity"} | (set() if svc else {"service"})
    if not reader.fieldnames or not need <= {f.strip() for f in reader.fieldnames}:
        raise InvalidInput("institutions.bad_header", need=", ".join(sorted(need)))
    checker = _Checker(vault)
    good: list[DeliveryPut] = []
    errors: list[dict[str, Any]] = []
    for record in reader:
        line = reader.line_num
        if None in record:  # more cells than the header names: DictReader files them under None
            err = InvalidInput("institutions.extra_cells", count=len(record[None]))
            errors.append({"line": line, "error": err.msg_id, "message": err.render()})
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        try:
            good.append(checker.check(row.get("service") or svc or "", row["household"], row["quantity"],
                                      row["day"] or "?", row.get("worker") or None))
        except InvalidInput as err:
            errors.append({"line": line, "error": err.msg_id, "message": err.render()})
    if good:
        vault.append_many(("institutions_delivery.put", p) for p in good)
    return {"kept": len(good), "rejected": len(errors), "errors": errors}


def deliveries(vault: Vault, svc: str | None = None, month: str | None = None, household: str | None = None,
               limit: int = 1000) -> list[dict[str, Any]]:
    """Recorded deliveries, newest first (filtered by service, month ``YYYY-MM``, household)."""
    sql, args = "SELECT * FROM institutions_delivery WHERE 1 = 1", []
    if svc:
        sql += " AND service = ?"
        args.append(svc)
    if month:
        sql += " AND day LIKE ?"
        args.append(check_month(month) + "-%")
    if household:
        sql += " AND household = ?"
        args.append(household)
    rows = vault.query(sql + " ORDER BY day DESC, id LIMIT ?", [*args, int(limit)])
    return [{"id": r["id"], "service": r["service"], "day": r["day"], "household": r["household"], "area": r["area"],
             "quantity": r["quantity"], "worker": r["worker"]} for r in rows]
