"""Synchronised quiet actions: one symbolic act across circles, without a central list.

A distributed act (a minute of silence, market clean-ups on one day) is planned by giving each
circle a **card** holding only the day, the hour and that circle's own instruction, sealed
(XSalsa20-Poly1305, :class:`nacl.secret.SecretBox`) with a key derived from the circle's
codebook key (:func:`halqa.listening.codebook`) and the circle id. A card names no other circle,
and nothing is stored: the vault keeps no list of who was asked to do what. A circle reads its
card with :func:`open_card` on a vault holding the same codebook.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from halqa.errors import InvalidInput
from halqa.learning.records import check_day, require_circle
from halqa.vault import Vault

__all__ = ["open_card", "quiet_action"]


def _card_key(vault: Vault, circle: str) -> bytes:
    from halqa.listening import codebook

    key = codebook(vault).key
    return hashlib.blake2b(circle.encode("utf-8"), key=key, person=b"halqa-quiet-v1", digest_size=32).digest()


def quiet_action(vault: Vault, day: str, hour: int, instructions: dict[str, str]) -> dict[str, Any]:
    """Cards for a synchronised act on ``day`` at ``hour`` (0-23): ``instructions`` maps each circle
    id to its own instruction. Returns ``{"day", "hour", "cards": [{"circle", "card"}]}``; hand each
    card to its circle only."""
    the_day = check_day(day)
    if not 0 <= int(hour) <= 23:
        raise InvalidInput("learning.bad_hour", hour=hour)
    if not instructions:
        raise InvalidInput("learning.no_circles")
    cards = []
    for circle, text in sorted(instructions.items()):
        require_circle(vault, circle)
        text = (text or "").strip()
        if not text or len(text) > 280:
            raise InvalidInput("learning.bad_instruction", circle=circle)
        body = json.dumps({"day": the_day, "hour": int(hour), "do": text}, ensure_ascii=False).encode("utf-8")
        sealed = SecretBox(_card_key(vault, circle)).encrypt(body)
        cards.append({"circle": circle, "card": base64.urlsafe_b64encode(bytes(sealed)).decode("ascii")})
    return {"day": the_day, "hour": int(hour), "cards": cards}


def open_card(vault: Vault, circle: str, card: str) -> dict[str, Any]:
    """Read a card meant for ``circle``: ``{"day", "hour", "do"}``; refuses a card for another circle."""
    try:
        raw = base64.urlsafe_b64decode(card.strip().encode("ascii"))
        body = SecretBox(_card_key(vault, circle)).decrypt(raw)
    except (ValueError, CryptoError):
        raise InvalidInput("learning.bad_card", circle=circle) from None
    return json.loads(body)
