"""Small circles for the learning tests: cliques of vouching members, recorded as circles."""

from __future__ import annotations

import random

from halqa.circles import add_member
from halqa.circles.events import CirclePut, MeetingPut, VouchPut, vouch_id
from halqa.places import add_area


def make_circles(vault, sizes=(6, 6, 5), seed: int = 1, availability=("any:evening",)) -> list[dict]:
    """Circles ``c0, c1, ...`` of the given sizes, each a clique of vouches; returns them."""
    rng = random.Random(seed)
    add_area(vault, "NKH", "حي النخيل", "Palm Quarter")
    out = []
    with vault.transaction() as tx:
        for ci, size in enumerate(sizes):
            names = [f"c{ci}m{j}" for j in range(size)]
            for n in names:
                add_member(vault, n, availability=list(availability), area="NKH")
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    tx.append("circles_vouch.put", VouchPut(id=vouch_id(a, b, False), voucher=a, vouchee=b,
                                                            strength=rng.randint(2, 5), directed=False))
            tx.append("circles_circle.put", CirclePut(id=f"c{ci}", members=names, liaison=names[0], formed="2026-01-01"))
            out.append({"id": f"c{ci}", "members": names})
    return out


def add_meetings(vault, circle: str, days: list[str]) -> list[str]:
    ids = []
    with vault.transaction() as tx:
        for i, day in enumerate(days):
            mid = f"{circle}:{day}:{i}"
            tx.append("circles_meeting.put", MeetingPut(id=mid, circle=circle, day=day, part="evening", hour=19,
                                                        host=f"{circle}m0", place="NKH", kind="regular", cover="Family visit"))
            ids.append(mid)
    return ids
