"""Deciding together: proposals, positions, in-person counts, the result and what followed.

A proposal names who may take part (the members of some circles, a cooperative's members, or
anyone the vault knows by pseudonym when it names neither), a mode (:mod:`~halqa.institutions.tally`),
an optional closing day and a quorum. Members record positions until the proposal is closed (and
not after its closing day); a meeting that votes by hand records only the counts. :func:`close`
computes the result once and records it on the proposal with who took part by name and how many
took part in person; later positions cannot change it. :func:`link` records what followed (a task,
a fund entry, a service...), and :func:`decision_log` is a circle's record of all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from halqa.circles import circle, tasks
from halqa.errors import InvalidInput, NotFound
from halqa.institutions.records import (
    CountPut,
    LinkPut,
    PositionPut,
    ProposalPut,
    check_name,
    check_pseudonym,
)
from halqa.institutions.tally import CONSENT, MODES, RANK_SEP, tally
from halqa.learning import Session, add_session, tactic
from halqa.vault import Vault
from halqa.vault.values import check_day, json_dict, json_list, new_id

__all__ = ["LINK_KINDS", "adopt_tactic", "choose_tactic", "close", "count_in_person", "decision_log", "link", "position",
           "proposal", "proposals", "propose"]

#: What can follow a decision.
LINK_KINDS: tuple[str, ...] = ("task", "fund_entry", "pool", "service", "repair", "session", "note")


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
            day: str | None = None, refs: Mapping[str, str] | None = None) -> dict[str, Any]:
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


def _row(vault: Vault, proposal_id: str) -> Any:
    row = vault.query_one("SELECT * FROM institutions_proposal WHERE id = ?", (str(proposal_id),))
    if row is None:
        raise NotFound("institutions.unknown_proposal", id=proposal_id)
    return row


def _eligible(vault: Vault, row: Any) -> set[str] | None:
    """Who may take part, or None for anyone."""
    circles, members = json_list(row["circles"]), json_list(row["members"])
    if not circles and not members:
        return None

    out = set(members)
    for c in circles:
        out |= set(circle(vault, c).members)
    return out


def _open(row: Any, day: str) -> None:
    if row["closed"]:
        raise InvalidInput("institutions.closed", id=row["id"], day=row["closed"])
    if row["closes"] and day > row["closes"]:
        raise InvalidInput("institutions.past_closing", id=row["id"], closes=row["closes"], day=day)


def position(vault: Vault, proposal_id: str, member: str, choice: str | Sequence[str],
             day: str | None = None) -> dict[str, Any]:
    """Record (or change) a member's position: one option, or for ``ranked`` a ranking (best first).

    Refused after the proposal is closed or past its closing day, for a member who may not take
    part, and for a choice that is not an option (nothing is written)."""
    d = check_day(day)
    who = check_pseudonym(member)
    choices = [choice] if isinstance(choice, str) else list(choice)
    choices = [" ".join(str(c).split()) for c in choices]
    with vault.transaction():
        row = _row(vault, proposal_id)
        _open(row, d)
        allowed = _eligible(vault, row)
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
    return {"proposal": row["id"], "member": who, "choice": choices, "day": d}


def count_in_person(vault: Vault, proposal_id: str, counts: Mapping[str, int], day: str | None = None) -> dict[str, Any]:
    """Record a meeting's hand count: ``{option: n}`` (ranked: ``{"A>B>C": n}``). No names are
    taken or kept, so a secret ballot by hand stays secret."""
    d = check_day(day)
    with vault.transaction():
        row = _row(vault, proposal_id)
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
    return {"id": put.id, "proposal": row["id"], "day": d, "counts": clean, "ballots": sum(clean.values())}


def _ballots(vault: Vault, row: Any) -> tuple[dict[str, list[str]], list[dict[str, int]]]:
    named = {r["member"]: json_list(r["choice"])
             for r in vault.query("SELECT member, choice, day FROM institutions_position WHERE proposal = ? "
                                  "ORDER BY member", (row["id"],))
             if not row["closes"] or r["day"] <= row["closes"]}
    counted = [json_dict(r["counts"]) for r in vault.query(
        "SELECT counts, day FROM institutions_count WHERE proposal = ? ORDER BY id", (row["id"],))
        if not row["closes"] or r["day"] <= row["closes"]]
    return named, counted


def close(vault: Vault, proposal_id: str, day: str | None = None) -> dict[str, Any]:
    """Close a proposal: compute the result and record it with who took part.

    Returns ``{"id", "mode", "outcome", "participants", "counts", ...}`` (see :func:`proposal`)."""
    d = check_day(day)
    with vault.transaction():
        row = _row(vault, proposal_id)
        if row["closed"]:
            raise InvalidInput("institutions.closed", id=row["id"], day=row["closed"])
        named, counted = _ballots(vault, row)
        res = tally(row["mode"], json_list(row["options"]), named, counted, int(row["quorum"] or 0))
        vault.append("institutions_proposal.put", ProposalPut(
            id=row["id"], closed=d, outcome=res["outcome"], participants=res["participants"], counts=res["counts"],
            rounds=res.get("rounds"), took_part=sorted(named), in_person=sum(sum(c.values()) for c in counted)))
    return proposal(vault, row["id"])


def _public(vault: Vault, row: Any) -> dict[str, Any]:
    n_positions = vault.query_one("SELECT count(*) FROM institutions_position WHERE proposal = ?", (row["id"],))[0]
    options = json_list(row["options"])
    counts, rounds = json_dict(row["counts"]), json_list(row["rounds"])
    # stored as canonical JSON (keys sorted): give them back in the proposal's order of options
    out = {"id": row["id"], "mode": row["mode"], "outcome": row["outcome"], "participants": row["participants"],
           "counts": {o: counts.get(o, 0) for o in options} if counts else None, "title": row["title"],
           "text": row["text"] or "", "options": options, "circles": json_list(row["circles"]),
           "members": json_list(row["members"]), "closes": row["closes"], "quorum": row["quorum"] or 0,
           "created": row["created"], "closed": row["closed"], "positions": int(n_positions),
           "took_part": json_list(row["took_part"]), "in_person": row["in_person"] or 0,
           "rounds": [{o: r[o] for o in options if o in r} for r in rounds] or None, "refs": json_dict(row["refs"])}
    out["links"] = [{"id": r["id"], "kind": r["kind"], "ref": r["ref"], "note": r["note"] or "", "day": r["day"]}
                    for r in vault.query("SELECT * FROM institutions_link WHERE proposal = ? ORDER BY day, id",
                                         (row["id"],))]
    return out


def proposal(vault: Vault, proposal_id: str) -> dict[str, Any]:
    """One proposal: its terms, how many positions so far (never the running counts: they would
    sway the rest), and once closed its result, who took part and what followed."""
    return _public(vault, _row(vault, proposal_id))


def proposals(vault: Vault, circle: str | None = None, open_only: bool = False) -> list[dict[str, Any]]:
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


def link(vault: Vault, proposal_id: str, kind: str, ref: str, note: str = "", day: str | None = None) -> dict[str, Any]:
    """Record what followed a decision: ``kind`` in :data:`LINK_KINDS`, ``ref`` its id (a task, a
    fund entry, a service...). Tasks and services are checked to exist."""
    if kind not in LINK_KINDS:
        raise InvalidInput("institutions.bad_link", kind=kind, kinds=", ".join(LINK_KINDS))
    row = _row(vault, proposal_id)
    target = _text(ref, "ref", 120)
    if kind == "service" and vault.query_one("SELECT 1 FROM institutions_service WHERE id = ?", (target,)) is None:
        raise NotFound("institutions.unknown_service", service=target)
    if kind == "task":
        if target not in {t.id for t in tasks(vault)}:
            raise NotFound("institutions.unknown_task", task=target)
    put = LinkPut(id=new_id("l"), proposal=row["id"], kind=kind, ref=target, note=" ".join(str(note).split())[:400],
                  day=check_day(day))
    vault.append("institutions_link.put", put)
    return {"id": put.id, "proposal": row["id"], "kind": kind, "ref": target, "note": put.note, "day": put.day}


def decision_log(vault: Vault, circle: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """What was decided (closed proposals), when, by whom (named participants and the in-person
    count), and what followed, oldest first. ``circle`` keeps that circle's decisions."""
    start = check_day(since) if since else "0000-01-01"
    rows = vault.query("SELECT * FROM institutions_proposal WHERE closed IS NOT NULL AND closed >= ? "
                       "ORDER BY closed, id", (start,))
    return [_public(vault, r) for r in rows if circle is None or circle in json_list(r["circles"])]



def choose_tactic(vault: Vault, circle: str, tactic_ids: Sequence[str], month: str, closes: str | None = None,
                  quorum: int = 0, day: str | None = None, lang: str = "ar") -> dict[str, Any]:
    """Open the circle's ranked choice of "the one tactic to test" in ``month`` among tactics of the
    learning archive (:func:`halqa.learning.tactic`): the options are their titles in ``lang``.
    Close it as any proposal, then :func:`adopt_tactic` turns the winner into the month's session."""
    from halqa.i18n import t
    from halqa.institutions.records import check_month

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
    if not p["closed"]:
        raise InvalidInput("institutions.still_open", id=p["id"])
    tactic_id = p["refs"].get(p["outcome"] or "")
    if tactic_id is None or len(p["circles"]) != 1:
        raise InvalidInput("institutions.no_tactic_chosen", id=p["id"], outcome=p["outcome"] or "-")
    chosen = tactic(vault, tactic_id)
    with vault.transaction():
        session = add_session(vault, p["circles"][0], chosen.movement or chosen.title or "", tactic_id=tactic_id,
                              month=month or p["closed"][:7], place=chosen.place or "",
                              years=chosen.years or "", tries=tries, day=day)
        link(vault, p["id"], "session", session.id, day=day)
    return session
