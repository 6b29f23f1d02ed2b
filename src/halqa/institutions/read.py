"""Typed reads of institutions: proposals and the decision log, services with their assets, costs,
shifts and deliveries. With :mod:`~halqa.institutions.events`, the only module whose SQL names the
``institutions_*`` tables (the account in :mod:`~halqa.institutions.analysis` reads its deliveries
through :func:`delivery_columns`)."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from halqa.circles import circle
from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid import Repair, list_repairs
from halqa.vault import Vault
from halqa.vault.values import check_day, json_dict, json_list

__all__ = [
    "Asset",
    "Cost",
    "Delivery",
    "MonthDelivered",
    "Proposal",
    "ProposalLink",
    "Service",
    "ServiceSummary",
    "Shift",
    "check_month",
    "decision_log",
    "deliveries",
    "delivery_span",
    "proposal",
    "proposals",
    "service",
    "services",
    "shifts",
]

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def check_month(value: str) -> str:
    """``YYYY-MM``."""
    text = str(value or "").strip()
    if not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12:
        raise InvalidInput("institutions.bad_month", month=value)
    return text


# --------------------------------------------------------------------------- decisions
class ProposalLink(msgspec.Struct, kw_only=True, frozen=True):
    """What followed a decision (see :func:`~halqa.institutions.link`)."""

    id: str
    kind: str
    ref: str
    note: str
    day: str


class Proposal(msgspec.Struct, kw_only=True, frozen=True):
    """A proposal: its terms, how many positions so far, and once closed its result, who took part
    and what followed. ``counts`` and ``rounds`` are ``None`` until it is closed."""

    id: str
    mode: str
    outcome: str | None
    participants: int | None
    counts: dict[str, int] | None
    title: str
    text: str
    options: list[str]
    circles: list[str]
    members: list[str]
    closes: str | None
    quorum: int
    created: str
    closed: str | None
    positions: int
    took_part: list[str]
    in_person: int
    rounds: list[dict[str, int]] | None
    refs: dict[str, str]
    links: list[ProposalLink]


def proposal_row(vault: Vault, proposal_id: str) -> Any:
    """A proposal's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM institutions_proposal WHERE id = ?", (str(proposal_id),))
    if row is None:
        raise NotFound("institutions.unknown_proposal", id=proposal_id)
    return row


def eligible(vault: Vault, row: Any) -> set[str] | None:
    """Who may take part in a proposal, or None for anyone."""
    circles, members = json_list(row["circles"]), json_list(row["members"])
    if not circles and not members:
        return None

    out = set(members)
    for c in circles:
        out |= set(circle(vault, c).members)
    return out


def ballots(vault: Vault, row: Any) -> tuple[dict[str, list[str]], list[dict[str, int]]]:
    """A proposal's named positions and in-person counts taken by its closing day."""
    named = {r["member"]: json_list(r["choice"])
             for r in vault.query("SELECT member, choice, day FROM institutions_position WHERE proposal = ? "
                                  "ORDER BY member", (row["id"],))
             if not row["closes"] or r["day"] <= row["closes"]}
    counted = [json_dict(r["counts"]) for r in vault.query(
        "SELECT counts, day FROM institutions_count WHERE proposal = ? ORDER BY id", (row["id"],))
        if not row["closes"] or r["day"] <= row["closes"]]
    return named, counted


def _public(vault: Vault, row: Any) -> Proposal:
    n_positions = vault.query_one("SELECT count(*) FROM institutions_position WHERE proposal = ?", (row["id"],))[0]
    options = json_list(row["options"])
    counts, rounds = json_dict(row["counts"]), json_list(row["rounds"])
    links = [ProposalLink(id=r["id"], kind=r["kind"], ref=r["ref"], note=r["note"] or "", day=r["day"])
             for r in vault.query("SELECT * FROM institutions_link WHERE proposal = ? ORDER BY day, id", (row["id"],))]
    # stored as canonical JSON (keys sorted): give them back in the proposal's order of options
    return Proposal(
        id=row["id"], mode=row["mode"], outcome=row["outcome"], participants=row["participants"],
        counts={o: counts.get(o, 0) for o in options} if counts else None, title=row["title"],
        text=row["text"] or "", options=options, circles=json_list(row["circles"]),
        members=json_list(row["members"]), closes=row["closes"], quorum=row["quorum"] or 0,
        created=row["created"], closed=row["closed"], positions=int(n_positions),
        took_part=json_list(row["took_part"]), in_person=row["in_person"] or 0,
        rounds=[{o: r[o] for o in options if o in r} for r in rounds] or None, refs=json_dict(row["refs"]),
        links=links)


def proposal(vault: Vault, proposal_id: str) -> Proposal:
    """One proposal: its terms, how many positions so far (never the running counts: they would
    sway the rest), and once closed its result, who took part and what followed."""
    return _public(vault, proposal_row(vault, proposal_id))


def proposals(vault: Vault, circle: str | None = None, open_only: bool = False) -> list[Proposal]:
    """Proposals, newest first; ``circle`` keeps those its members take part in."""
    rows = vault.query("SELECT * FROM institutions_proposal ORDER BY created DESC, id")
    out = []
    for r in rows:
        if open_only and r["closed"]:
            continue
        if circle is not None and circle not in json_list(r["circles"]):
            continue
        out.append(_public(vault, r))
    return out


def decision_log(vault: Vault, circle: str | None = None, since: str | None = None) -> list[Proposal]:
    """What was decided (closed proposals), when, by whom (named participants and the in-person
    count), and what followed, oldest first. ``circle`` keeps that circle's decisions."""
    start = check_day(since) if since else "0000-01-01"
    rows = vault.query("SELECT * FROM institutions_proposal WHERE closed IS NOT NULL AND closed >= ? "
                       "ORDER BY closed, id", (start,))
    return [_public(vault, r) for r in rows if circle is None or circle in json_list(r["circles"])]


# --------------------------------------------------------------------------- services
class Shift(msgspec.Struct, kw_only=True, frozen=True):
    """Who is on shift on a day (``part``: the part of the day)."""

    day: str
    part: str
    member: str


class Asset(msgspec.Struct, kw_only=True, frozen=True):
    """An asset of a service with its repairs from the mutual-aid repair log."""

    id: str
    name: str
    item: str | None
    added: str
    repairs: list[Repair]


class Cost(msgspec.Struct, kw_only=True, frozen=True):
    """A running cost of a service: a disbursement (``entry``) from its fund."""

    id: str
    day: str
    amount: str
    currency: str
    purpose: str
    fund: str
    entry: str


class MonthDelivered(msgspec.Struct, kw_only=True, frozen=True):
    """What a service delivered in a month."""

    month: str
    deliveries: int
    quantity: float
    households: int


class _Terms(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    kind: str
    unit: str
    areas: list[str]
    households: list[str]
    circles: list[str]
    rota: list[str]
    fund: str | None
    pool: str | None
    created: str
    note: str


class ServiceSummary(_Terms, kw_only=True, frozen=True):
    """A service in the list of services, with its delivery totals."""

    deliveries: int
    delivered: float


class Service(_Terms, kw_only=True, frozen=True):
    """One service with its assets, running costs, shifts and deliveries per month."""

    assets: list[Asset]
    costs: list[Cost]
    shifts: list[Shift]
    by_month: list[MonthDelivered]


class Delivery(msgspec.Struct, kw_only=True, frozen=True):
    """Units delivered to one household on one day."""

    id: str
    service: str
    day: str
    household: str
    area: str
    quantity: float
    worker: str | None


def service_row(vault: Vault, name: str) -> Any:
    """A service's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM institutions_service WHERE id = ?", (str(name),))
    if row is None:
        raise NotFound("institutions.unknown_service", service=name)
    return row


def service_exists(vault: Vault, name: str) -> bool:
    """Whether one is recorded under ``name``."""
    return vault.query_one("SELECT 1 FROM institutions_service WHERE id = ?", (name,)) is not None


def terms(row: Any) -> dict[str, Any]:
    """A service row's terms (whom it serves, who runs it, what pays for it)."""
    return {"id": row["id"], "kind": row["kind"], "unit": row["unit"], "areas": json_list(row["areas"]),
            "households": json_list(row["households"]), "circles": json_list(row["circles"]),
            "rota": json_list(row["rota"]), "fund": row["fund"], "pool": row["pool"], "created": row["created"],
            "note": row["note"] or ""}


def all_terms(vault: Vault) -> dict[str, dict[str, Any]]:
    """Every service's terms by id."""
    return {r["id"]: terms(r) for r in vault.query("SELECT * FROM institutions_service")}


def services(vault: Vault) -> list[ServiceSummary]:
    """Every service, with its delivery totals."""
    totals = {r[0]: (int(r[1]), float(r[2] or 0)) for r in vault.query(
        "SELECT service, count(*), sum(quantity) FROM institutions_delivery GROUP BY service")}
    return [ServiceSummary(**terms(r), deliveries=totals.get(r["id"], (0, 0.0))[0],
                           delivered=totals.get(r["id"], (0, 0.0))[1])
            for r in vault.query("SELECT * FROM institutions_service ORDER BY id")]


def service(vault: Vault, name: str) -> Service:
    """One service: whom it serves, its assets with their repairs (from the mutual-aid repair log),
    its running costs, its shifts and what it has delivered, per month."""
    out = terms(service_row(vault, name))

    repairs = {r.id: r for r in list_repairs(vault)}
    assets = [Asset(id=a["id"], name=a["name"], item=a["item"], added=a["added"],
                    repairs=[repairs[r] for r in json_list(a["repairs"]) if r in repairs])
              for a in vault.query("SELECT * FROM institutions_asset WHERE service = ? ORDER BY added, id", (out["id"],))]
    costs = [Cost(id=c["id"], day=c["day"], amount=c["amount"], currency=c["currency"], purpose=c["purpose"],
                  fund=c["fund"], entry=c["entry"])
             for c in vault.query("SELECT * FROM institutions_cost WHERE service = ? ORDER BY day, id", (out["id"],))]
    by_month = [MonthDelivered(month=r[0], deliveries=int(r[1]), quantity=float(r[2]), households=int(r[3]))
                for r in vault.query(
                    "SELECT substr(day, 1, 7) AS m, count(*), sum(quantity), count(DISTINCT household) "
                    "FROM institutions_delivery WHERE service = ? GROUP BY m ORDER BY m", (out["id"],))]
    return Service(**out, assets=assets, costs=costs, shifts=shifts(vault, out["id"]), by_month=by_month)


def asset_row(vault: Vault, asset: str) -> Any:
    """An asset's row, or :class:`NotFound`."""
    row = vault.query_one("SELECT * FROM institutions_asset WHERE id = ?", (asset,))
    if row is None:
        raise NotFound("institutions.unknown_asset", asset=asset)
    return row


def shifts(vault: Vault, svc: str, first: str | None = None, last: str | None = None) -> list[Shift]:
    """The recorded shifts of a service, by day."""
    rows = vault.query("SELECT day, part, member FROM institutions_shift WHERE service = ? AND member IS NOT NULL "
                       "AND day BETWEEN ? AND ? ORDER BY day", (svc, first or "0000-01-01", last or "9999-12-31"))
    return [Shift(day=r["day"], part=r["part"], member=r["member"]) for r in rows]


def shift_ids(vault: Vault, svc: str, first: str, last: str) -> list[str]:
    """The ids of a service's shift records between two days (dropped ones too)."""
    return [r["id"] for r in vault.query("SELECT id FROM institutions_shift WHERE service = ? AND day BETWEEN ? AND ?",
                                         (svc, first, last))]


def on_shift(vault: Vault) -> dict[tuple[str, str], str]:
    """Who is on shift, by ``(service, day)``."""
    return {(r["service"], r["day"]): r["member"]
            for r in vault.query("SELECT service, day, member FROM institutions_shift WHERE member IS NOT NULL")}


def deliveries(vault: Vault, svc: str | None = None, month: str | None = None, household: str | None = None,
               limit: int = 1000) -> list[Delivery]:
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
    return [Delivery(id=r["id"], service=r["service"], day=r["day"], household=r["household"], area=r["area"],
                     quantity=r["quantity"], worker=r["worker"]) for r in rows]


def delivery_span(vault: Vault) -> tuple[str, str] | None:
    """The first and last day (ISO) any service delivered, or ``None`` before the first delivery."""
    row = vault.query_one("SELECT min(day), max(day) FROM institutions_delivery")
    return None if row is None or row[0] is None else (str(row[0]), str(row[1]))


#: Joins the values of one column in :func:`delivery_columns`: the ASCII unit separator, never in
#: an area code, a pseudonym, a service name or a number.
SEP = "\x1f"


def delivery_columns(vault: Vault, first: str, last: str) -> tuple[int, str, str, str, str, str]:
    """The deliveries between two days as columns, each one string joined by :data:`SEP`: ``(count,
    areas, months, services, households, quantities)``.

    Joined in SQLite (``group_concat``), which skips building a Python row per delivery (that cost
    1 s of 1.5 s at a million deliveries). All the aggregates of one query step through the same
    rows in the same order, so the columns line up. The day index is bypassed (``+day``): a scan
    read 24 months twice as fast, and one month as fast."""
    row = vault.query_one(
        "SELECT count(*), group_concat(area, char(31)), group_concat(substr(day, 1, 7), char(31)), "
        "group_concat(service, char(31)), group_concat(household, char(31)), group_concat(quantity, char(31)) "
        "FROM institutions_delivery WHERE +day BETWEEN ? AND ?", (first, last))
    return int(row[0] or 0), row[1] or "", row[2] or "", row[3] or "", row[4] or "", row[5] or ""


def service_kinds(vault: Vault) -> dict[str, str]:
    """Each service's kind, by id."""
    return {r[0]: r[1] for r in vault.query("SELECT id, kind FROM institutions_service")}
