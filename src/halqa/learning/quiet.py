"""Synchronised quiet actions: one symbolic act across circles, without a central list.

A distributed act (a minute of silence, market clean-ups on one day) is planned by giving each
circle a **card**: one innocuous errand line holding only the day, the hour and that circle's own
action, written with *that circle's* codebook (:meth:`halqa.listening.Codebook.encode_quiet`).
``visit auntie on 1/4/2027 at 12:00, take dates and rice to Abu Hassan's`` means nothing to
someone inspecting a phone, and nothing to another circle: with another circle's codebook it reads
as "not a code". A card names no other circle, and nothing is stored: the vault keeps no list of
who was asked to do what.

**Which codebook is a circle's.** In the vault that plans the act, circle ``C``'s codebook key is
the key recorded for it (:func:`set_circle_key`: the key of its starter kit, or the key its own
vault already uses), else one derived from this vault's own codebook key and the circle id
(:func:`circle_key`). Hand that key to the circle once; its vault takes it with
:func:`halqa.listening.adopt_codebook` (``halqa listen adopt-codebook``), and then reads its cards
with :func:`open_card`. The actions are :data:`halqa.listening.QUIET_ACTIONS`.
"""

from __future__ import annotations

import hashlib

import msgspec

from halqa.errors import InvalidInput
from halqa.learning.read import recorded_circle_key, require_circle
from halqa.listening import QUIET_ACTIONS, codebook, codebook_for_key
from halqa.vault import Vault
from halqa.vault.values import check_day

__all__ = ["OpenedCard", "QuietCard", "QuietCards", "circle_key", "open_card", "quiet_action"]


class QuietCard(msgspec.Struct, kw_only=True, frozen=True):
    """The card for one circle: hand it to that circle only."""

    circle: str
    card: str


class QuietCards(msgspec.Struct, kw_only=True, frozen=True):
    """A synchronised quiet action: the day, the hour and one card per circle."""

    day: str
    hour: int
    cards: list[QuietCard]


class OpenedCard(msgspec.Struct, kw_only=True, frozen=True):
    """What a card says: the day, the hour and what to ``do``."""

    day: str
    hour: int
    do: str


def circle_key(vault: Vault, circle: str) -> bytes:
    """Circle ``circle``'s codebook key as this vault knows it: recorded, else derived (see above)."""

    require_circle(vault, circle)
    recorded = recorded_circle_key(vault, circle)
    if recorded is not None:
        return recorded
    own = codebook(vault).key
    return hashlib.blake2b(circle.encode("utf-8"), key=own, person=b"halqa-circle-cb1", digest_size=32).digest()


def quiet_action(vault: Vault, day: str, hour: int, instructions: dict[str, str], lang: str = "en") -> QuietCards:
    """Cards for a synchronised act on ``day`` at ``hour`` (0-23): ``instructions`` maps each circle
    id to its action (one of :data:`halqa.listening.QUIET_ACTIONS`). Returns ``{"day", "hour",
    "cards": [{"circle", "card"}]}``; hand each card to its circle only."""

    the_day = check_day(day)
    if not 0 <= int(hour) <= 23:
        raise InvalidInput("learning.bad_hour", hour=hour)
    if not instructions:
        raise InvalidInput("learning.no_circles")
    cards = []
    for circle, action in sorted(instructions.items()):
        require_circle(vault, circle)
        action = (action or "").strip().lower().replace("-", "_")
        if action not in QUIET_ACTIONS:
            raise InvalidInput("learning.bad_instruction", circle=circle, actions=", ".join(QUIET_ACTIONS))
        book = codebook_for_key(circle_key(vault, circle))
        cards.append(QuietCard(circle=circle, card=book.encode_quiet(the_day, int(hour), action, lang=lang)))
    return QuietCards(day=the_day, hour=int(hour), cards=cards)


def open_card(vault: Vault, circle: str, card: str) -> OpenedCard:
    """Read a card meant for ``circle``: ``{"day", "hour", "do"}`` (``do`` is the action). Tries the
    circle's key as this vault knows it, then this vault's own codebook (a circle's own vault that
    adopted its key); refuses a card made for another circle."""

    keys = [circle_key(vault, circle), codebook(vault).key]
    for key in keys:
        found = codebook_for_key(key).decode_quiet(card)
        if "not_a_code" not in found:
            return OpenedCard(day=found["day"], hour=found["hour"], do=found["action"])
    raise InvalidInput("learning.bad_card", circle=circle)
