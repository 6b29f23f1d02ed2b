"""Vault-level operations behind each ``halqa circles`` command: one function per command."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from halqa.circles import records
from halqa.circles.formation import form
from halqa.circles.graph import TrustGraph, from_vault
from halqa.circles.measures import compare, exposure, network_measures, structure_graph
from halqa.circles.objective import Weights
from halqa.circles.schedule import plan, to_ics
from halqa.errors import InvalidInput, NotFound
from halqa.vault import Vault
from halqa.vault.values import check_day, today, today_date

__all__ = ["export_ics", "exposure_report", "form_circles", "measure", "schedule", "show"]


def _stored_circles(vault: Vault, g: TrustGraph) -> dict[str, list[int]]:
    return {c["id"]: [g.index[p] for p in c["members"] if p in g.index] for c in records.circles(vault)}


def form_circles(vault: Vault, min_size: int = 5, max_size: int = 7, mix: str | None = None, apply: bool = False,
                 fresh: bool = False, method: str | None = None, seed: int | None = None,
                 weights: Weights | None = None, exact: bool | None = None, time_limit: float = 25.0,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Form (or re-form) circles from the vault's members and vouches; with ``apply`` record them.

    Existing circles are kept where they are still valid unless ``fresh``. Without ``seed`` a
    random one is drawn; the seed used is in ``settings`` so the same formation can be asked for
    again (a preview, then the same circles recorded). Returns the JSON shape of ``halqa circles
    form --json``.
    """
    g = from_vault(vault)
    if g.n == 0:
        raise InvalidInput("circles.no_members")
    existing = {} if fresh else {c["id"]: c["members"] for c in records.circles(vault)}
    seed = seed if seed is not None else secrets.randbits(31)
    result = form(g, min_size, max_size, mix, existing=existing, methods=[method] if method else None,
                  weights=weights, seed=seed, exact=exact, time_limit=time_limit, progress=progress)
    out = result.to_dict()
    out["settings"]["seed"] = seed
    if apply:
        formed = today()
        with vault.transaction() as tx:
            for cid in sorted(set(existing) - set(result.circles)):
                tx.append("circles_circle.delete", {"id": cid})
            for cid, ms in result.circles.items():
                names = sorted(g.names[v] for v in ms)
                if existing.get(cid) is not None and sorted(existing[cid]) == names:
                    continue
                payload = records.CirclePut(id=cid, members=names)
                if cid not in existing:
                    payload.formed = formed
                tx.append("circles_circle.put", payload)
        out["applied"] = True
    return out


def measure(vault: Vault, with_circles: bool = False) -> dict[str, Any]:
    """Information, secrecy and balance of the vouching graph (with ``with_circles``: plus full
    links inside each recorded circle)."""
    g = from_vault(vault)
    circles = list(_stored_circles(vault, g).values()) if with_circles else []
    if with_circles and not circles:
        raise InvalidInput("circles.none_formed")
    return network_measures(structure_graph(g, circles))


def exposure_report(vault: Vault, k: int = 3, trials: int = 1000, with_compare: bool = False, min_size: int = 5,
                    seed: int | None = None) -> dict[str, Any]:
    """Exposure of the recorded circles (and with ``with_compare``: one big group and a hierarchy)."""
    if not 1 <= k <= 1000 or not 1 <= trials <= 1_000_000:
        raise InvalidInput("circles.bad_trials", k=k, trials=trials)
    g = from_vault(vault)
    circles = list(_stored_circles(vault, g).values())
    if not circles:
        raise InvalidInput("circles.none_formed")
    seed = seed if seed is not None else secrets.randbits(31)
    if with_compare:
        return {"compare": compare(g, circles, min_size, k, trials, seed)}
    return exposure(g, circles, min_size, k, trials, seed)


def schedule(vault: Vault, circle_id: str, weeks: int = 8, start: str | None = None, min_gap: int = 4,
             max_gap: int = 11, target: float = 0.75, save: bool = True, seed: int | None = None,
             lang: str = "en") -> dict[str, Any]:
    """Plan irregular meetings for one circle (replacing its planned meetings from ``start`` on)."""
    circle = records.circle(vault, circle_id)
    people = {m["pseudonym"]: m for m in records.members(vault)}
    members = [people[p] for p in circle["members"] if p in people]
    first = dt.date.fromisoformat(check_day(start, required=True)) if start else today_date() + dt.timedelta(days=1)
    places = sorted({m["area"] for m in members if m.get("area")})
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    result = plan(members, first, weeks, min_gap, max_gap, rng, places, target, lang=lang)
    for i, m in enumerate(result["meetings"]):
        m["id"] = f"{circle_id}:{m['day']}:{i}"
        m["circle"] = circle_id
    if save:
        with vault.transaction() as tx:
            for old in records.meetings(vault, circle_id):
                if old["day"] >= first.isoformat():
                    tx.append("circles_meeting.delete", {"id": old["id"]})
            for m in result["meetings"]:
                tx.append("circles_meeting.put", records.MeetingPut(**{k: m[k] for k in (
                    "id", "circle", "day", "part", "hour", "host", "place", "kind", "cover")}))
    result["circle"] = circle_id
    result["saved"] = save
    return result


def export_ics(vault: Vault, circle_id: str, path: Path | str) -> dict[str, Any]:
    """Write a circle's recorded meetings as innocuous calendar entries (.ics)."""
    records.circle(vault, circle_id)
    meetings = records.meetings(vault, circle_id)
    if not meetings:
        raise NotFound("circles.no_meetings", circle=circle_id)
    Path(path).write_text(to_ics(meetings), encoding="utf-8", newline="")
    return {"file": str(path), "events": len(meetings)}


def show(vault: Vault, circle_id: str | None = None) -> dict[str, Any]:
    """Overview (counts, circles and their sizes) or one circle in detail."""
    if circle_id:
        return records.circle(vault, circle_id)
    g = from_vault(vault)
    circles = records.circles(vault)
    placed = {p for c in circles for p in c["members"]}
    return {"members": g.n, "ties": g.m, "labels": sorted(g.labels), "circles": [
        {"id": c["id"], "size": len(c["members"]), "project": c["project"], "liaison": c["liaison"],
         "meetings": len(records.meetings(vault, c["id"]))} for c in circles],
        "unplaced": len(set(g.names) - placed)}
