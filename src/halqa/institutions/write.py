"""Typed writes of institutions: deciding together and running shared services.

**Decisions.** A proposal names who may take part (the members of some circles, a cooperative's
members, or anyone the vault knows by pseudonym when it names neither), a mode
(:mod:`~halqa.institutions.tally`), an optional closing day and a quorum. Members record positions
until the proposal is closed (and not after its closing day); a meeting that votes by hand records
only the counts. :func:`close` computes the result once and records it on the proposal with who
took part by name and how many took part in person; later positions cannot change it.
:func:`link` records what followed (a task, a fund entry, a service...), and
:func:`~halqa.institutions.decision_log` is a circle's record of all of it.

**Services.** A *service* (a water filter station, a generator share, a solar repair brigade, a
child-care rotation, a medical shuttle, a food distribution) serves every household of some areas
and any households named; it is run by circles and, for shifts, by a rota of members. Its *assets*
point at tool-library items and at the repair log of :mod:`halqa.mutual_aid` (repairs are logged
there, never copied here); its *running costs* are disbursements from a fund
(:func:`halqa.mutual_aid.disburse`), linked by entry id. Shifts are planned with the circles' fair,
irregular scheduling (:func:`halqa.circles.plan`: nobody twice running, turns within one of each
other, no fixed pattern). *Deliveries* are units to one household on one day, in the unit of the
service's kind (:data:`~halqa.institutions.events.UNITS`).

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from halqa.circles import Member, circle, plan, tasks
from halqa.circles import members as circle_members
from halqa.errors import InvalidInput, NotFound
from halqa.i18n import t
from halqa.institutions.events import (
    KINDS,
    UNITS,
    AssetPut,
    CostPut,
    CountPut,
    DeliveryPut,
    LinkPut,
    PositionPut,
    ProposalPut,
    ServicePut,
    ShiftPut,
)
from halqa.institutions.read import (
    Delivery,
    Proposal,
    Service,
    Shift,
    all_terms,
    asset_row,
    ballots,
    check_month,
    eligible,
    on_shift,
    proposal,
    proposal_row,
    service,
    service_exists,
    service_row,
    shift_ids,
    terms,
)
from halqa.institutions.tally import CONSENT, MODES, RANK_SEP, tally
from halqa.learning import Session, add_session, tactic
from halqa.mutual_aid import Repair, disburse, funds, list_items, list_repairs, log_repair, pools
from halqa.mutual_aid.common import check_name, check_pseudonym
from halqa.places import areas as known_areas
from halqa.places import households
from halqa.places import households as known_households
from halqa.results import to_data
from halqa.vault import Vault
from halqa.vault.values import check_day, json_list, new_id

__all__ = [
    "LINK_KINDS",
    "AssetAdded",
    "AssetRepair",
    "CostPaid",
    "Imported",
    "InPersonCount",
    "Linked",
    "PositionTaken",
    "Rota",
    "RowError",
    "add_asset",
    "adopt_tactic",
    "choose_tactic",
    "close",
    "count_in_person",
    "create_service",
    "deliver",
    "import_deliveries",
    "link",
    "log_asset_repair",
    "pay_cost",
    "plan_rota",
    "position",
    "propose",
]

#: What can follow a decision.
LINK_KINDS: tuple[str, ...] = ("task", "fund_entry", "pool", "service", "repair", "session", "note")

#: Largest quantity one delivery may carry (a tanker's load; catches typing slips).
MAX_QUANTITY = 1_000_000.0


class PositionTaken(msgspec.Struct, kw_only=True, frozen=True):
    """A member's recorded position: one option, or a ranking (best first)."""

    proposal: str
    member: str
    choice: list[str]
    day: str


class InPersonCount(msgspec.Struct, kw_only=True, frozen=True):
    """A meeting's hand count: numbers per option, no names."""

    id: str
    proposal: str
    day: str
    counts: dict[str, int]
    ballots: int


class Linked(msgspec.Struct, kw_only=True, frozen=True):
    """What followed a decision, as recorded."""

    id: str
    proposal: str
    kind: str
    ref: str
    note: str
    day: str


class AssetAdded(msgspec.Struct, kw_only=True, frozen=True):
    """An asset recorded for a service."""

    id: str
    service: str
    name: str
    item: str | None
    repairs: list[str]
    added: str


class AssetRepair(Repair, kw_only=True, frozen=True):
    """A repair logged in the mutual-aid repair log and attached to an asset of a service."""

    asset: str
    service: str


class CostPaid(msgspec.Struct, kw_only=True, frozen=True):
    """A running cost paid from the service's fund (``entry``: the disbursement)."""

    id: str
    service: str
    fund: str
    entry: str
    amount: str
    currency: str
    purpose: str
    day: str


class Rota(msgspec.Struct, kw_only=True, frozen=True):
    """Shifts planned for a service, with the plan's fairness and unpredictability."""

    service: str
    shifts: list[Shift]
    fair: bool
    unpredictability: float
    complete: bool
    unscheduled: list[dict[str, Any]]


class RowError(msgspec.Struct, kw_only=True, frozen=True):
    """A CSV row refused by :func:`import_deliveries`: its line, message id and message."""

    line: int
    error: str
    message: str


class Imported(msgspec.Struct, kw_only=True, frozen=True):
    """What :func:`import_deliveries` kept and refused."""

    kept: int
    rejected: int
    errors: list[RowError]


# --------------------------------------------------------------------------- decisions
def _text(value: str, what: str, most: int) -> str:
    text = " ".join(str(value or "").split())
    if not text or len(text) > most:
        raise InvalidInput("institutions.bad_text", what=what, most=most)
    return text


def _options(mode: str, options: Sequence[str]) -> list[str]:
    if mode == "consent":
        if options and [o.strip().lower() for o in options] != list(CONSENT):
            raise InvalidInput("institutions.consent_options", positions=", ".join(CONSENT))
        return list(CONSENT)
    out = [_text(o, "option", 80) for o in options]
    if any(RANK_SEP in o for o in out):
        raise InvalidInput("institutions.bad_option", option=next(o for o in out if RANK_SEP in o), sep=RANK_SEP)
    if len(out) < 2 or len(set(out)) != len(out) or len(out) > 30:
        raise InvalidInput("institutions.need_options", n=len(out))
    return out


def propose(vault: Vault, title: str, options: Sequence[str] = (), mode: str = "majority", text: str = "",
            circles: Sequence[str] = (), members: Sequence[str] = (), closes: str | None = None, quorum: int = 0,
            day: str | None = None, refs: Mapping[str, str] | None = None) -> Proposal:
    """Open a proposal; returns it with its new id (``p-…``).

    ``mode`` is ``consent`` (options are always agree/abstain/disagree/block), ``majority`` or
    ``ranked``. ``circles`` and ``members`` say who may take part; neither means anyone. ``refs``
    maps options to the records they stand for (see :func:`choose_tactic`)."""
    if mode not in MODES:
        raise InvalidInput("institutions.bad_mode", mode=mode, modes=", ".join(MODES))
    opts = _options(mode, options)
    if isinstance(quorum, bool) or not isinstance(quorum, int) or not 0 <= quorum <= 100_000:
        raise InvalidInput("institutions.bad_quorum", quorum=quorum)
    created = check_day(day)
    end = check_day(closes) if closes else None
    if end is not None and end < created:
        raise InvalidInput("institutions.closes_before", closes=end, created=created)
    circle_ids = [check_name(c, "circle") for c in circles]
    if circle_ids:
        for c in circle_ids:
            circle(vault, c)  # NotFound for an unknown circle
    put = ProposalPut(id=new_id("p"), title=_text(title, "title", 200), text=" ".join(str(text).split())[:4000],
                      options=opts, mode=mode, circles=circle_ids, members=sorted({check_pseudonym(m) for m in members}),
                      closes=end, quorum=quorum, created=created, closed=None, outcome=None,
                      refs={o: r for o, r in (refs or {}).items() if o in opts})
    vault.append("institutions_proposal.put", put)
    return proposal(vault, put.id)


def _open(row: Any, day: str) -> None:
    if row["closed"]:
        raise InvalidInput("institutions.closed", id=row["id"], day=row["closed"])
    if row["closes"] and day > row["closes"]:
        raise InvalidInput("institutions.past_closing", id=row["id"], closes=row["closes"], day=day)


def position(vault: Vault, proposal_id: str, member: str, choice: str | Sequence[str],
             day: str | None = None) -> PositionTaken:
    """Record (or change) a member's position: one option, or for ``ranked`` a ranking (best first).

    Refused after the proposal is closed or past its closing day, for a member who may not take
    part, and for a choice that is not an option (nothing is written)."""
    d = check_day(day)
    who = check_pseudonym(member)
    choices = [choice] if isinstance(choice, str) else list(choice)
    choices = [" ".join(str(c).split()) for c in choices]
    with vault.transaction():
        row = proposal_row(vault, proposal_id)
        _open(row, d)
        allowed = eligible(vault, row)
        if allowed is not None and who not in allowed:
            raise InvalidInput("institutions.not_eligible", member=who, id=row["id"])
        opts = json_list(row["options"])
        if row["mode"] == "consent":
            choices = [c.lower() for c in choices]
        bad = [c for c in choices if c not in opts]
        if bad or not choices:
            raise InvalidInput("institutions.bad_choice", choice=", ".join(bad) or "-", options=", ".join(opts))
        if len(set(choices)) != len(choices) or (row["mode"] != "ranked" and len(choices) != 1):
            raise InvalidInput("institutions.one_choice" if row["mode"] != "ranked" else "institutions.repeated_choice")
        vault.append("institutions_position.put", PositionPut(id=f"{row['id']}|{who}", proposal=row["id"], member=who,
                                                              choice=choices, day=d))
    return PositionTaken(proposal=row["id"], member=who, choice=choices, day=d)


def count_in_person(vault: Vault, proposal_id: str, counts: Mapping[str, int], day: str | None = None) -> InPersonCount:
    """Record a meeting's hand count: ``{option: n}`` (ranked: ``{"A>B>C": n}``). No names are
    taken or kept, so a secret ballot by hand stays secret."""
    d = check_day(day)
    with vault.transaction():
        row = proposal_row(vault, proposal_id)
        _open(row, d)
        opts = json_list(row["options"])
        clean: dict[str, int] = {}
        for key, n in counts.items():
            parts = [" ".join(p.split()) for p in str(key).split(RANK_SEP)]
            if row["mode"] == "consent":
                parts = [p.lower() for p in parts]
            if any(p not in opts for p in parts) or len(set(parts)) != len(parts) or (
                    row["mode"] != "ranked" and len(parts) != 1):
                raise InvalidInput("institutions.bad_choice", choice=key, options=", ".join(opts))
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100_000:
                raise InvalidInput("institutions.bad_count", option=key, n=n)
            name = RANK_SEP.join(parts)
            clean[name] = clean.get(name, 0) + n
        if not sum(clean.values()):
            raise InvalidInput("institutions.empty_count")
        put = CountPut(id=new_id("c"), proposal=row["id"], day=d, counts=clean)
        vault.append("institutions_count.put", put)
    return InPersonCount(id=put.id, proposal=row["id"], day=d, counts=clean, ballots=sum(clean.values()))


def close(vault: Vault, proposal_id: str, day: str | None = None) -> Proposal:
    """Close a proposal: compute the result and record it with who took part.

    Returns ``{"id", "mode", "outcome", "participants", "counts", ...}`` (see :func:`proposal`)."""
    d = check_day(day)
    with vault.transaction():
        row = proposal_row(vault, proposal_id)
        if row["closed"]:
            raise InvalidInput("institutions.closed", id=row["id"], day=row["closed"])
        named, counted = ballots(vault, row)
        res = tally(row["mode"], json_list(row["options"]), named, counted, int(row["quorum"] or 0))
        vault.append("institutions_proposal.put", ProposalPut(
            id=row["id"], closed=d, outcome=res.outcome, participants=res.participants, counts=res.counts,
            rounds=res.rounds if isinstance(res.rounds, list) else None, took_part=sorted(named),
            in_person=sum(sum(c.values()) for c in counted)))
    return proposal(vault, row["id"])


def link(vault: Vault, proposal_id: str, kind: str, ref: str, note: str = "", day: str | None = None) -> Linked:
    """Record what followed a decision: ``kind`` in :data:`LINK_KINDS`, ``ref`` its id (a task, a
    fund entry, a service...). Tasks and services are checked to exist."""
    if kind not in LINK_KINDS:
        raise InvalidInput("institutions.bad_link", kind=kind, kinds=", ".join(LINK_KINDS))
    row = proposal_row(vault, proposal_id)
    target = _text(ref, "ref", 120)
    if kind == "service" and not service_exists(vault, target):
        raise NotFound("institutions.unknown_service", service=target)
    if kind == "task":
        if target not in {t.id for t in tasks(vault)}:
            raise NotFound("institutions.unknown_task", task=target)
    words, d = " ".join(str(note).split())[:400], check_day(day)
    put = LinkPut(id=new_id("l"), proposal=row["id"], kind=kind, ref=target, note=words, day=d)
    vault.append("institutions_link.put", put)
    return Linked(id=put.id, proposal=row["id"], kind=kind, ref=target, note=words, day=d)


def choose_tactic(vault: Vault, circle: str, tactic_ids: Sequence[str], month: str, closes: str | None = None,
                  quorum: int = 0, day: str | None = None, lang: str = "ar") -> Proposal:
    """Open the circle's ranked choice of "the one tactic to test" in ``month`` among tactics of the
    learning archive (:func:`halqa.learning.tactic`): the options are their titles in ``lang``.
    Close it as any proposal, then :func:`adopt_tactic` turns the winner into the month's session."""
    found = [tactic(vault, tid, lang=lang) for tid in dict.fromkeys(tactic_ids)]
    titles = [" ".join(str(x.title).split())[:70] for x in found]
    options = [f"{title} ({x.id})" if titles.count(title) > 1 else title for title, x in zip(titles, found, strict=True)]
    return propose(vault, t("institutions.tactic_title", lang=lang, month=check_month(month)), options, mode="ranked",
                   circles=[circle], closes=closes, quorum=quorum, day=day,
                   refs={o: x.id for o, x in zip(options, found, strict=True)})


def adopt_tactic(vault: Vault, proposal_id: str, month: str | None = None, tries: str | None = None,
                 day: str | None = None) -> Session:
    """Record the learning session of a closed tactic choice: the circle studies the winning tactic
    (``month`` defaults to the month of the close) and the session is linked to the decision.
    Refused while the proposal is open or when it chose no tactic (a tie, no quorum)."""

    p = proposal(vault, proposal_id)
    if not p.closed:
        raise InvalidInput("institutions.still_open", id=p.id)
    tactic_id = p.refs.get(p.outcome or "")
    if tactic_id is None or len(p.circles) != 1:
        raise InvalidInput("institutions.no_tactic_chosen", id=p.id, outcome=p.outcome or "-")
    chosen = tactic(vault, tactic_id)
    with vault.transaction():
        session = add_session(vault, p.circles[0], chosen.movement or chosen.title or "", tactic_id=tactic_id,
                              month=month or p.closed[:7], place=chosen.place or "",
                              years=chosen.years or "", tries=tries, day=day)
        link(vault, p.id, "session", session.id, day=day)
    return session


# --------------------------------------------------------------------------- services
def create_service(vault: Vault, name: str, kind: str, areas: Sequence[str] = (), households: Sequence[str] = (),
                   circles: Sequence[str] = (), rota: Sequence[str] = (), fund: str | None = None,
                   pool: str | None = None, note: str = "", day: str | None = None) -> Service:
    """Start a service of ``kind`` (:data:`~halqa.institutions.events.KINDS`) serving the
    households of ``areas`` and the ``households`` named. ``fund`` pays its running costs and
    ``pool`` is a savings pool that finances it (both from :mod:`halqa.mutual_aid`)."""
    sid = check_name(name, "service")
    if kind not in KINDS:
        raise InvalidInput("institutions.bad_kind", kind=kind, kinds=", ".join(KINDS))

    codes = sorted({str(a).strip().upper() for a in areas})
    have = {a.code for a in known_areas(vault)}
    for code in codes:
        if code not in have:
            raise NotFound("error.unknown_area", code=code)
    homes = sorted({check_pseudonym(h) for h in households})
    known = {h.id for h in known_households(vault)}
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
        if service_exists(vault, sid):
            raise InvalidInput("institutions.service_exists", service=sid)
        vault.append("institutions_service.put", ServicePut(
            id=sid, kind=kind, unit=UNITS[kind], areas=codes, households=homes, circles=list(circles),
            rota=sorted({check_pseudonym(m) for m in rota}), fund=fund, pool=pool, created=check_day(day),
            note=" ".join(note.split())[:400]))
    return service(vault, sid)


def add_asset(vault: Vault, svc: str, name: str, item: str | None = None, repairs: Sequence[str] = (),
              day: str | None = None) -> AssetAdded:
    """Record an asset of a service (a filter, a generator, a minibus), optionally a tool-library
    ``item`` and repairs already in the mutual-aid repair log (by id)."""
    row = service_row(vault, svc)
    label = " ".join(str(name).split())
    if not label or len(label) > 80:
        raise InvalidInput("institutions.bad_text", what="name", most=80)

    if item and item not in {i.id for i in list_items(vault, include_retired=True)}:
        raise NotFound("mutual_aid.error.no_item", item=item)
    logged = {r.id for r in list_repairs(vault)}
    missing = [r for r in repairs if r not in logged]
    if missing:
        raise NotFound("mutual_aid.error.no_repair", id=missing[0])
    added = check_day(day)
    put = AssetPut(id=new_id("a"), service=row["id"], name=label, item=item, repairs=list(repairs), added=added)
    vault.append("institutions_asset.put", put)
    return AssetAdded(id=put.id, service=row["id"], name=label, item=item, repairs=list(repairs), added=added)


def log_asset_repair(vault: Vault, asset: str, what: str, who: Sequence[str], parts: Sequence[str] = (),
                     day: str | None = None, done: bool = False, area: str | None = None) -> AssetRepair:
    """Log a repair of an asset in the mutual-aid repair log (:func:`halqa.mutual_aid.log_repair`,
    in the service's first area unless ``area``) and attach it to the asset."""

    row = asset_row(vault, asset)
    svc = terms(service_row(vault, row["service"]))
    code = area or (svc["areas"][0] if svc["areas"] else "")
    with vault.transaction():
        rep = log_repair(vault, what, code, list(who), parts=list(parts), day=day, done=done)
        vault.append("institutions_asset.put", AssetPut(id=asset, repairs=[*json_list(row["repairs"]), rep.id]))
    return AssetRepair(**msgspec.structs.asdict(rep), asset=asset, service=svc["id"])


def pay_cost(vault: Vault, svc: str, amount: Any, purpose: str = "other", day: str | None = None,
             note: str = "") -> CostPaid:
    """Pay a running cost of a service out of its fund (a mutual-aid disbursement to the service)
    and link the entry to the service. Refused when the fund does not hold enough."""

    row = service_row(vault, svc)
    if not row["fund"]:
        raise InvalidInput("institutions.no_fund", service=row["id"])
    d = check_day(day)
    with vault.transaction():
        entry = disburse(vault, row["fund"], row["id"], amount, purpose=purpose, day=d, note=note or f"service {row['id']}")
        put = CostPut(id=new_id("k"), service=row["id"], fund=row["fund"], entry=entry.id, amount=entry.amount,
                      currency=entry.currency, purpose=purpose, day=d)
        vault.append("institutions_cost.put", put)
    return CostPaid(id=put.id, service=row["id"], fund=row["fund"], entry=entry.id, amount=entry.amount,
                    currency=entry.currency, purpose=purpose, day=d)


# --------------------------------------------------------------------------- shifts
def plan_rota(vault: Vault, svc: str, start: str | dt.date | None, weeks: int = 4, min_gap: int = 1, max_gap: int = 3,
              seed: int | None = None) -> Rota:
    """Plan who is on shift, with :func:`halqa.circles.plan` (the circles' fair, irregular meetings:
    shift days ``min_gap..max_gap`` days apart, nobody twice running, turns within one of each
    other, members' recorded availability respected). Records the shifts, replacing any planned
    for those weeks; returns the plan with its fairness and unpredictability."""

    row = service_row(vault, svc)
    rota = json_list(row["rota"])
    if len(rota) < 2:
        raise InvalidInput("institutions.rota_too_small", service=row["id"], n=len(rota))
    first = dt.date.fromisoformat(check_day(start))
    known = {m.pseudonym: m for m in circle_members(vault)}
    people = [Member(pseudonym=p, availability=known[p].availability if p in known else []) for p in rota]
    rng = random.Random(seed) if seed is not None else None
    planned = plan(people, first, weeks=weeks, min_gap=min_gap, max_gap=max_gap, rng=rng)
    last = (first + dt.timedelta(days=7 * weeks - 1)).isoformat()
    with vault.transaction():
        for old in shift_ids(vault, row["id"], first.isoformat(), last):
            vault.append("institutions_shift.put", ShiftPut(id=old, member=None))
        for m in planned.meetings:
            vault.append("institutions_shift.put", ShiftPut(id=f"{row['id']}|{m.day}", service=row["id"],
                                                            day=m.day, part=m.part, member=m.host))
    return Rota(service=row["id"], shifts=[Shift(day=m.day, part=m.part, member=m.host) for m in planned.meetings],
                fair=planned.fair, unpredictability=planned.unpredictability["score"],
                complete=planned.complete, unscheduled=to_data(planned.unscheduled))


class _Checker:
    """Everything a delivery is checked against, read once (imports check thousands of rows)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.home_area = {h.id: h.area for h in households(vault)}
        self.services = all_terms(vault)
        self.shifts = on_shift(vault)
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
            worker: str | None = None) -> Delivery:
    """Record ``quantity`` units (the service's unit) delivered to a household it serves.
    ``worker``, when given for a service with shifts, must be the member on shift that day."""
    with vault.transaction():
        put = _Checker(vault).check(svc, household, quantity, day, worker)
        vault.append("institutions_delivery.put", put)
    return Delivery(**msgspec.structs.asdict(put))


def import_deliveries(vault: Vault, source: str | bytes | os.PathLike[str], svc: str | None = None) -> Imported:
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
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        if None in record:  # more cells than the header names: DictReader files them under None
            err = InvalidInput("institutions.extra_cells", count=len(record[None]))
            errors.append(RowError(line=line, error=err.msg_id, message=err.render()))
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        try:
            good.append(checker.check(row.get("service") or svc or "", row["household"], row["quantity"],
                                      row["day"] or "?", row.get("worker") or None))
        except InvalidInput as err:
            errors.append(RowError(line=line, error=err.msg_id, message=err.render()))
    if good:
        vault.append_many(("institutions_delivery.put", p) for p in good)
    return Imported(kept=len(good), rejected=len(errors), errors=errors)


