"""What the institutions domain records: its event kinds, their payloads and projections.

Every record is an event folded by a :class:`~halqa.vault.RecordProjection`:

==============================  ============================  ==========================================
kind                            table                         key
==============================  ============================  ==========================================
``institutions_proposal.put``   ``institutions_proposal``     ``id`` (a proposal; its result at close)
``institutions_position.put``   ``institutions_position``     ``proposal|member`` (one member's position)
``institutions_count.put``      ``institutions_count``        ``id`` (an in-person tally: counts only)
``institutions_link.put``       ``institutions_link``         ``id`` (what followed a decision)
``institutions_service.put``    ``institutions_service``      ``id`` (a shared service)
``institutions_asset.put``      ``institutions_asset``        ``id`` (an asset of a service)
``institutions_cost.put``       ``institutions_cost``         ``id`` (a running cost: a fund entry)
``institutions_shift.put``      ``institutions_shift``        ``service|day`` (who is on shift)
``institutions_delivery.put``   ``institutions_delivery``     ``id`` (units delivered to a household)
==============================  ============================  ==========================================

A position is keyed by proposal and member, so a member who changes their mind on two phones
ends with the later position (last writer wins by the hybrid logical clock) and positions from
several devices merge. An in-person count carries the meeting day and numbers per option and
**no member at all**, neither in the event nor in the table.
"""

from __future__ import annotations

import msgspec

from halqa.vault import RecordProjection, register_kind, register_projection

__all__ = ["KINDS", "UNITS", "AssetPut", "CostPut", "CountPut", "DeliveryPut", "LinkPut", "PositionPut", "ProposalPut",
           "ServicePut", "ShiftPut"]

UNSET = msgspec.UNSET

#: Kinds of shared service and the unit each delivers in.
UNITS: dict[str, str] = {"water": "litres", "power": "hours", "repair": "repairs", "childcare": "shifts",
                         "shuttle": "rides", "food": "baskets"}
KINDS: tuple[str, ...] = tuple(UNITS)

class ProposalPut(msgspec.Struct, kw_only=True):
    id: str
    title: str | msgspec.UnsetType = UNSET
    text: str | msgspec.UnsetType = UNSET
    options: list[str] | msgspec.UnsetType = UNSET
    mode: str | msgspec.UnsetType = UNSET
    circles: list[str] | msgspec.UnsetType = UNSET  # circles whose members may take part
    members: list[str] | msgspec.UnsetType = UNSET  # further members (a cooperative's)
    closes: str | msgspec.UnsetType | None = UNSET  # last day positions are taken
    quorum: int | msgspec.UnsetType = UNSET
    created: str | msgspec.UnsetType = UNSET
    closed: str | msgspec.UnsetType | None = UNSET  # the day it was closed
    outcome: str | msgspec.UnsetType | None = UNSET
    participants: int | msgspec.UnsetType | None = UNSET
    counts: dict[str, int] | msgspec.UnsetType | None = UNSET
    rounds: list[dict[str, int]] | msgspec.UnsetType | None = UNSET
    took_part: list[str] | msgspec.UnsetType | None = UNSET  # named participants (in-person ones are only counted)
    in_person: int | msgspec.UnsetType | None = UNSET
    refs: dict[str, str] | msgspec.UnsetType = UNSET  # option -> the record it stands for (a tactic id)


class PositionPut(msgspec.Struct, kw_only=True):
    id: str  # proposal|member
    proposal: str | msgspec.UnsetType = UNSET
    member: str | msgspec.UnsetType = UNSET
    choice: list[str] | msgspec.UnsetType = UNSET  # one option, or a ranking
    day: str | msgspec.UnsetType = UNSET


class CountPut(msgspec.Struct, kw_only=True):
    id: str
    proposal: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    counts: dict[str, int] | msgspec.UnsetType = UNSET  # option (or "A>B>C") -> ballots; never a name


class LinkPut(msgspec.Struct, kw_only=True):
    id: str
    proposal: str | msgspec.UnsetType = UNSET
    kind: str | msgspec.UnsetType = UNSET  # task, fund_entry, pool, service, repair, session, note
    ref: str | msgspec.UnsetType = UNSET
    note: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET


class ServicePut(msgspec.Struct, kw_only=True):
    id: str
    kind: str | msgspec.UnsetType = UNSET
    unit: str | msgspec.UnsetType = UNSET
    areas: list[str] | msgspec.UnsetType = UNSET  # every household of these areas is served
    households: list[str] | msgspec.UnsetType = UNSET  # and these
    circles: list[str] | msgspec.UnsetType = UNSET  # the circles that run it
    rota: list[str] | msgspec.UnsetType = UNSET  # who takes shifts (pseudonyms)
    fund: str | msgspec.UnsetType | None = UNSET
    pool: str | msgspec.UnsetType | None = UNSET
    created: str | msgspec.UnsetType = UNSET
    note: str | msgspec.UnsetType = UNSET


class AssetPut(msgspec.Struct, kw_only=True):
    id: str
    service: str | msgspec.UnsetType = UNSET
    name: str | msgspec.UnsetType = UNSET
    item: str | msgspec.UnsetType | None = UNSET  # a tool-library item id
    repairs: list[str] | msgspec.UnsetType = UNSET  # repair ids from the mutual-aid repair log
    added: str | msgspec.UnsetType = UNSET


class CostPut(msgspec.Struct, kw_only=True):
    id: str
    service: str | msgspec.UnsetType = UNSET
    fund: str | msgspec.UnsetType = UNSET
    entry: str | msgspec.UnsetType = UNSET  # the fund entry paying it
    amount: str | msgspec.UnsetType = UNSET
    currency: str | msgspec.UnsetType = UNSET
    purpose: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET


class ShiftPut(msgspec.Struct, kw_only=True):
    id: str  # service|day
    service: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    part: str | msgspec.UnsetType = UNSET
    member: str | msgspec.UnsetType | None = UNSET  # None: a shift dropped by a later plan (no tombstone: days recur)


class DeliveryPut(msgspec.Struct, kw_only=True):
    id: str
    service: str | msgspec.UnsetType = UNSET
    day: str | msgspec.UnsetType = UNSET
    household: str | msgspec.UnsetType = UNSET
    area: str | msgspec.UnsetType = UNSET
    quantity: float | msgspec.UnsetType = UNSET
    worker: str | msgspec.UnsetType | None = UNSET  # who was on shift, when the service keeps a rota


_TABLES: list[tuple[str, type[msgspec.Struct], tuple[str, ...]]] = [
    ("institutions_proposal", ProposalPut, ("closed",)),
    ("institutions_position", PositionPut, ("proposal",)),
    ("institutions_count", CountPut, ("proposal",)),
    ("institutions_link", LinkPut, ("proposal",)),
    ("institutions_service", ServicePut, ()),
    ("institutions_asset", AssetPut, ("service",)),
    ("institutions_cost", CostPut, ("service",)),
    ("institutions_shift", ShiftPut, ("service",)),
    ("institutions_delivery", DeliveryPut, ("service", "day")),
]

#: Table versions: bumped when a table's columns change, so vaults rebuild it from the log.
_VERSIONS = {"institutions_proposal": 2}  # 2: refs (what each option stands for)

for _name, _put, _idx in _TABLES:
    register_kind(f"{_name}.put", _put)
    register_projection(RecordProjection(_name, _put, key="id", indexes=_idx, version=_VERSIONS.get(_name, 1)))
