"""Recording what was heard: validating grievances, themes, group keys and borders, and appending
their events (one function, one action; each returns what it wrote, read back).

:class:`Vocabulary` and :func:`build_grievance` are the checks every way in shares (typed here,
imported from a file, sent from a member's phone through the outbox, made by the demo).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date
from typing import Any

from halqa.errors import InvalidInput
from halqa.listening.events import (
    MAX_TEXT,
    MAX_VOICE_BYTES,
    PLACE_KEYS,
    TONES,
    BorderPut,
    GrievanceDelete,
    GrievancePut,
    GroupKeyPut,
    ThemePut,
    VoicePut,
    check_count,
    check_place,
)
from halqa.listening.read import Border, Grievance, Theme, get_grievance, group_keys, theme_ids, themes
from halqa.listening.text import detect_language
from halqa.vault import Vault
from halqa.vault.values import check_day, new_id

#: Spellings of the :data:`~halqa.listening.events.TONES` a person may type.
_TONE_ALIASES = {"bitter humour": "bitter_humour", "bitter humor": "bitter_humour", "bitter_humor": "bitter_humour",
                 "bitter-humour": "bitter_humour", "bitter-humor": "bitter_humour", "humour": "bitter_humour",
                 "غاضب": "angry", "سخرية مرة": "bitter_humour", "لامبالي": "numb", "متفائل": "hopeful",
                 "تووڕە": "angry", "گاڵتەی تاڵ": "bitter_humour", "بێهەست": "numb", "هیوادار": "hopeful"}
_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


# ---------------------------------------------------------------------------- validation
def check_tone(tone: str | None) -> str | None:
    if tone is None or not tone.strip():
        return None
    t = tone.strip().lower()
    t = _TONE_ALIASES.get(t, t)
    if t not in TONES:
        raise InvalidInput("listening.bad_tone", tone=tone, tones=", ".join(TONES))
    return t


def check_themes(values: list[str], known: set[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        t = value.strip().lower()
        if not t:
            continue
        if t not in known:
            raise InvalidInput("listening.unknown_theme", theme=value.strip())
        if t not in out:
            out.append(t)
    return sorted(out)


def check_groups(pairs: dict[str, str], keys: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs.items():
        k = key.strip().lower()
        if k not in keys:
            raise InvalidInput("listening.unknown_group_key", key=key, keys=", ".join(keys))
        v = _group_value(value)
        if keys[k] and v not in keys[k]:
            raise InvalidInput("listening.bad_group_choice", key=k, value=value, values=", ".join(keys[k]))
        out[k] = v
    return dict(sorted(out.items()))


def parse_groups(cell: str | list[str] | dict[str, str] | None) -> dict[str, str]:
    """``"sect=sunni|sector=port"`` (or a list of ``key=value``, or a dict) to a dict."""
    if cell is None:
        return {}
    if isinstance(cell, dict):
        return {str(k): str(v) for k, v in cell.items()}
    parts = cell if isinstance(cell, list) else cell.split("|")
    out: dict[str, str] = {}
    for part in parts:
        if not part.strip():
            continue
        if "=" not in part:
            raise InvalidInput("listening.bad_group_pair", pair=part.strip())
        k, v = part.split("=", 1)
        if not k.strip() or not v.strip():
            raise InvalidInput("listening.bad_group_pair", pair=part.strip())
        if k.strip().lower() in out:
            raise InvalidInput("listening.duplicate_group_key", key=k.strip())
        out[k.strip().lower()] = v.strip()
    return out


def parse_themes(cell: str | list[str] | None) -> list[str]:
    if cell is None:
        return []
    return [t for t in (cell if isinstance(cell, list) else cell.split("|")) if t.strip()]


_UNSEEN = object()


class Vocabulary:
    """What a vault accepts (themes, group keys), read once for a batch of rows, and the answers
    of the checks already made for that batch: an import of a million rows holds a few hundred
    distinct places, days, theme and group cells, so each is checked once (an error too), and short
    texts repeat ("no power again"), so their language is detected once."""

    def __init__(self, vault: Vault) -> None:
        self.themes = theme_ids(vault)
        self.keys = group_keys(vault)
        self._seen: dict[tuple[Any, ...], Any] = {}

    def checked(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)``, remembered for this batch (arguments are the raw cells, so hashable)."""
        key = (fn, *args)
        try:
            hit = self._seen.get(key, _UNSEEN)
        except TypeError:  # an unhashable cell (a list or dict from JSON): not remembered
            return fn(*args)
        if hit is _UNSEEN:
            try:
                hit = self._seen[key] = fn(*args)
            except InvalidInput as exc:
                hit = self._seen[key] = exc
        if isinstance(hit, InvalidInput):
            raise InvalidInput(hit.msg_id, **hit.params)
        return hit


_ID_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"
_ID_TABLE = {i: c for i, c in enumerate(_ID_ALPHABET)}


def new_grievance_ids(n: int) -> list[str]:
    """``n`` random ids such as ``g-3kq7x2pm9d`` from one read of the system's random source (bytes
    below 240 taken modulo 30, so every letter is equally likely)."""
    out: list[str] = []
    while len(out) < n:
        raw = bytes(b % 30 for b in secrets.token_bytes(12 * (n - len(out)) + 16) if b < 240)
        out += ["g-" + raw[i:i + 10].decode("latin-1").translate(_ID_TABLE) for i in range(0, len(raw) - 9, 10)]
    return out[:n]


def new_grievance_id() -> str:
    """A random id such as ``g-3kq7x2pm9d``."""
    n = secrets.randbelow(len(_ID_ALPHABET) ** 10)  # one draw, not ten: an import makes a million of these
    out = []
    for _ in range(10):
        n, r = divmod(n, len(_ID_ALPHABET))
        out.append(_ID_ALPHABET[r])
    return "g-" + "".join(out)


def build_grievance(vocab: Vocabulary, *, themes: list[str] | str | None = None, place: str = "", day: str = "",
                    text: str | None = None, groups: dict[str, str] | list[str] | str | None = None,
                    tone: str | None = None, count: int | str | None = None, confirmed: bool | None = None,
                    gid: str | None = None, today: date | None = None) -> GrievancePut:
    """Validate one grievance and return its event payload (raises :class:`InvalidInput`)."""
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_TEXT:
        raise InvalidInput("listening.text_too_long", max=MAX_TEXT)
    theme_list = vocab.checked(_themes_cell, themes, vocab)
    return GrievancePut(
        id=gid or new_grievance_id(), text=text, themes=list(theme_list), place=vocab.checked(check_place, place),
        day=vocab.checked(_day_cell, day, today), groups=dict(vocab.checked(_groups_cell, groups, vocab)),
        tone=vocab.checked(check_tone, tone), count=vocab.checked(check_count, count),
        lang=(vocab.checked(detect_language, text) if len(text) <= 64 else detect_language(text)) if text else "und",
        confirmed=bool(theme_list) if confirmed is None else confirmed, voice=None)


def _themes_cell(cell: Any, vocab: Vocabulary) -> list[str]:
    return check_themes(parse_themes(cell), vocab.themes)


def _groups_cell(cell: Any, vocab: Vocabulary) -> dict[str, str]:
    return check_groups(parse_groups(cell), vocab.keys)


def _day_cell(cell: Any, today: date | None) -> str:
    return check_day(cell, required=True, past=True, now=today)


# ---------------------------------------------------------------------------- vocabulary
def add_theme(vault: Vault, theme_id: str, name_ar: str = "", name_en: str = "", name_ckb: str = "",
              keywords: list[str] | None = None) -> Theme:
    """Add a circle theme (or rename a default one). ``keywords`` extend the suggestion lexicon."""
    theme_id = theme_id.strip().lower()
    if not _ID.match(theme_id):
        raise InvalidInput("listening.bad_theme_id", id=theme_id)
    known = theme_id in theme_ids(vault)
    if not known and not (name_ar.strip() or name_en.strip()):
        raise InvalidInput("listening.theme_needs_name", id=theme_id)
    put = ThemePut(id=theme_id)
    for field, value in (("name_ar", name_ar), ("name_en", name_en), ("name_ckb", name_ckb)):
        if value.strip():
            setattr(put, field, value.strip())
    if not known and not name_ckb.strip():
        put.name_ckb = (name_ar or name_en).strip()
    if keywords:
        put.keywords = sorted({k.strip() for k in keywords if k.strip()})
    vault.append("listening_theme.put", put)
    return next(t for t in themes(vault) if t.id == theme_id)


def add_group_key(vault: Vault, key: str, values: list[str] | None = None) -> dict[str, list[str]]:
    """Add (or redefine) a speaker-group key, optionally with a closed list of values."""
    key = key.strip().lower()
    if not _ID.match(key) or key in PLACE_KEYS:
        raise InvalidInput("listening.bad_group_key", key=key)
    clean = sorted({_group_value(v) for v in values or [] if v.strip()})
    vault.append("listening_group_key.put", GroupKeyPut(key=key, values=clean))
    return group_keys(vault)


def _group_value(value: str) -> str:
    v = value.strip().lower().replace(" ", "_")
    if not v or len(v) > 40 or any(c in v for c in "|=,"):
        raise InvalidInput("listening.bad_group_value", value=value)
    return v


def set_border(vault: Vault, a: str, b: str, touching: bool = True) -> Border:
    """Declare that areas ``a`` and ``b`` touch (or no longer do): the adjacency for hotspots."""
    a, b = sorted((check_place(a), check_place(b)))
    if a == b:
        raise InvalidInput("listening.border_self", place=a)
    vault.append("listening_border.put", BorderPut(id=f"{a}|{b}", a=a, b=b, touching=touching))
    return Border(a=a, b=b, touching=touching)


# ---------------------------------------------------------------------------- grievances
def add_grievance(vault: Vault, *, themes: list[str] | None = None, place: str, day: str, text: str | None = None,
                  groups: dict[str, str] | list[str] | None = None, tone: str | None = None, count: int = 1,
                  voice: bytes | None = None, voice_mime: str = "audio/ogg") -> Grievance:
    """Record one grievance (and its voice note, if given) in one commit; return it."""
    put = build_grievance(Vocabulary(vault), themes=themes, place=place, day=day, text=text, groups=groups,
                          tone=tone, count=count)
    with vault.transaction() as tx:
        if voice is not None:
            put.voice = _voice_put(tx, put.id, voice, voice_mime)
        tx.append("listening_grievance.put", put)
    return get_grievance(vault, put.id)


def _voice_put(tx: Any, gid: str, data: bytes, mime: str) -> str:
    if not data:
        raise InvalidInput("listening.voice_empty")
    if len(data) > MAX_VOICE_BYTES:
        raise InvalidInput("listening.voice_too_big", max_mb=MAX_VOICE_BYTES // (1024 * 1024))
    vid = new_id("v")
    tx.append("listening_voice.put", VoicePut(id=vid, grievance=gid, mime=mime, data=bytes(data),
                                              sha256=hashlib.sha256(data).hexdigest()))
    return vid


def attach_voice(vault: Vault, gid: str, data: bytes, mime: str = "audio/ogg") -> str:
    """Attach a voice note to an existing grievance (replacing any earlier one); return its id."""
    old = get_grievance(vault, gid).voice
    with vault.transaction() as tx:
        if old:
            tx.append("listening_voice.delete", {"id": old})
        vid = _voice_put(tx, gid, data, mime)
        tx.append("listening_grievance.put", GrievancePut(id=gid, voice=vid))
    return vid


def confirm_themes(vault: Vault, gid: str, theme_list: list[str]) -> Grievance:
    """Set a grievance's themes as confirmed by an organiser: they become training labels."""
    get_grievance(vault, gid)
    clean = check_themes(theme_list, theme_ids(vault))
    if not clean:
        raise InvalidInput("listening.need_theme")
    vault.append("listening_grievance.put", GrievancePut(id=gid, themes=clean, confirmed=True))
    return get_grievance(vault, gid)


def delete_grievance(vault: Vault, gid: str) -> None:
    """Delete a grievance (a tombstone) and its voice note."""
    g = get_grievance(vault, gid)
    with vault.transaction() as tx:
        if g.voice:
            tx.append("listening_voice.delete", {"id": g.voice})
        tx.append("listening_grievance.delete", GrievanceDelete(id=gid))
