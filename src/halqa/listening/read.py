"""Reading what was heard: grievances, themes, group keys, borders, voice notes, and the counts the
analyses, the suggestion model and the codebook need.

With :mod:`~halqa.listening.events` (the projections' own SQL), the only module whose SQL names the
listening tables: the topic modules (analysis, suggest, codebook) call the reads here. The reads
behind the analyses return plain rows (tuples), which the analyses turn into numpy arrays.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from halqa.errors import NotFound
from halqa.listening.events import check_place
from halqa.listening.text import default_themes
from halqa.vault import Vault
from halqa.vault.values import check_day

#: Group keys every circle starts with; ``origin`` has a closed list of values.
DEFAULT_GROUP_KEYS: dict[str, list[str]] = {
    "sect": [],
    "sector": [],
    "origin": ["resident", "returnee", "migrant"],
}


class Grievance(msgspec.Struct, kw_only=True, frozen=True):
    """One grievance as stored (``themes`` sorted; ``confirmed``: an organiser confirmed them).

    ``place``, ``day``, ``count`` and ``lang`` are set on every grievance typed or imported here;
    they may be empty only on one written by hand-made or redacted events."""

    id: str
    text: str | None
    themes: list[str]
    place: str | None
    day: str | None
    groups: dict[str, str]
    tone: str | None
    count: int | None
    lang: str | None
    confirmed: bool
    voice: str | None


class Theme(msgspec.Struct, kw_only=True, frozen=True):
    """A theme: a packaged default (``default``) or the circle's own, with its names and the
    keywords the circle added for suggestions."""

    id: str
    name_ar: str
    name_ckb: str
    name_en: str
    keywords: list[str]
    default: bool


class Border(msgspec.Struct, kw_only=True, frozen=True):
    """Whether two areas touch (``a`` < ``b``)."""

    a: str
    b: str
    touching: bool


# ---------------------------------------------------------------------------- vocabulary
def themes(vault: Vault) -> list[Theme]:
    """Every theme: packaged defaults, then the circle's own (a circle may rename a default)."""
    out: dict[str, dict[str, Any]] = {}
    for t in default_themes():
        out[t["id"]] = {"id": t["id"], "name_ar": t["ar"], "name_ckb": t["ckb"], "name_en": t["en"],
                        "keywords": [], "default": True}
    for row in vault.query("SELECT * FROM listening_theme ORDER BY id"):
        item = out.setdefault(row["id"], {"id": row["id"], "name_ar": "", "name_ckb": "", "name_en": "",
                                          "keywords": [], "default": False})
        for col in ("name_ar", "name_ckb", "name_en"):
            if row[col]:
                item[col] = row[col]
        if row["keywords"]:
            item["keywords"] = msgspec.json.decode(row["keywords"])
    return [Theme(**item) for item in out.values()]


def theme_ids(vault: Vault) -> set[str]:
    """The ids of every known theme."""
    return {t.id for t in themes(vault)}


def group_keys(vault: Vault) -> dict[str, list[str]]:
    """Speaker-group keys in use: key -> allowed values (empty list = any value)."""
    keys = {k: list(v) for k, v in DEFAULT_GROUP_KEYS.items()}
    for row in vault.query("SELECT key, \"values\" FROM listening_group_key"):
        keys[row[0]] = msgspec.json.decode(row[1]) if row[1] else []
    return dict(sorted(keys.items()))


def borders(vault: Vault) -> list[tuple[str, str]]:
    """Pairs of touching areas, each once with the smaller code first."""
    return [(r[0], r[1]) for r in vault.query("SELECT a, b FROM listening_border WHERE touching = 1 ORDER BY a, b")]


# ---------------------------------------------------------------------------- grievances
def _grievance(r: Any) -> Grievance:
    return Grievance(id=r["id"], text=r["text"], themes=msgspec.json.decode(r["themes"]) if r["themes"] else [],
                     place=r["place"], day=r["day"], groups=msgspec.json.decode(r["groups"]) if r["groups"] else {},
                     tone=r["tone"], count=r["count"], lang=r["lang"], confirmed=bool(r["confirmed"]), voice=r["voice"])


def get_grievance(vault: Vault, gid: str) -> Grievance:
    """One grievance (:class:`NotFound` if there is none with that id)."""
    row = vault.query_one("SELECT * FROM listening_grievance WHERE id = ?", (gid,))
    if row is None:
        raise NotFound("listening.unknown_grievance", id=gid)
    return _grievance(row)


def get_grievances(vault: Vault, gids: Sequence[str]) -> list[Grievance]:
    """The grievances ``gids``, in that order, read at once (a page's twenty are one query, not
    twenty waits for the vault while a model's labels are read in the background);
    :class:`NotFound` for the first that does not exist."""
    found: dict[str, Grievance] = {}
    unique = list(dict.fromkeys(gids))
    for lo in range(0, len(unique), 500):
        part = unique[lo:lo + 500]
        found.update((r[0], _grievance(r)) for r in vault.query(
            f"SELECT * FROM listening_grievance WHERE id IN ({', '.join('?' * len(part))})", part))
    missing = next((g for g in gids if g not in found), None)
    if missing is not None:
        raise NotFound("listening.unknown_grievance", id=missing)
    return [found[g] for g in gids]


def list_grievances(vault: Vault, theme: str | None = None, place: str | None = None, since: str | None = None,
                    limit: int | None = None, unconfirmed: bool = False) -> list[Grievance]:
    """Grievances, newest day first, optionally filtered."""
    sql = "SELECT g.* FROM listening_grievance g WHERE 1 = 1"
    args: list[Any] = []
    if theme:
        sql += " AND EXISTS (SELECT 1 FROM listening_grievance_theme t WHERE t.gid = g.id AND t.theme = ?)"
        args.append(theme.strip().lower())
    if place:
        sql += " AND g.place = ?"
        args.append(check_place(place))
    if since:
        sql += " AND g.day >= ?"
        args.append(check_day(since, required=True, past=True))
    if unconfirmed:
        sql += " AND coalesce(g.confirmed, 0) = 0"
    sql += " ORDER BY g.day DESC, g.id"
    if limit:
        sql += " LIMIT ?"
        args.append(int(limit))
    return [_grievance(r) for r in vault.query(sql, args)]


def voice_note(vault: Vault, gid: str) -> tuple[bytes, str]:
    """The voice note of grievance ``gid``: ``(bytes, mime type)``."""
    row = vault.query_one("SELECT v.data, v.mime FROM listening_grievance g JOIN listening_voice v ON v.id = g.voice "
                          "WHERE g.id = ?", (gid,))
    if row is None:
        raise NotFound("listening.no_voice", id=gid)
    return bytes(row[0]), row[1]


# ---------------------------------------------------------------------------- rows for the analyses
def grievance_rows(vault: Vault) -> list[tuple[Any, ...]]:
    """``(id, place, day, count, tone, lang)`` of every grievance, by id."""
    return [tuple(r) for r in vault.query("SELECT id, place, day, count, tone, lang FROM listening_grievance ORDER BY id")]


def grievance_theme_rows(vault: Vault) -> list[tuple[str, str]]:
    """``(grievance id, theme)`` for every theme of every grievance."""
    return [(r[0], r[1]) for r in vault.query("SELECT gid, theme FROM listening_grievance_theme")]


def grievance_group_rows(vault: Vault) -> list[tuple[str, str, str]]:
    """``(grievance id, key, value)`` for every speaker group of every grievance."""
    return [(r[0], r[1], r[2]) for r in vault.query("SELECT gid, key, value FROM listening_grievance_group")]


# ---------------------------------------------------------------------------- the aggregate tables
def agg_totals(vault: Vault) -> tuple[int, int, int]:
    """(grievances, grievances with a theme, irregular ones: no place or no regular ISO day)."""
    row = vault.query_one("SELECT n, themed, irregular FROM listening_agg_total")
    return (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))


def agg_themes(vault: Vault) -> list[tuple[str, int]]:
    """``(theme, grievances)`` for every theme any grievance has, by theme."""
    return sorted((str(r[0]), int(r[1])) for r in vault.query("SELECT theme, n FROM listening_agg_theme"))


def agg_group_keys(vault: Vault) -> list[str]:
    """The speaker-group keys any grievance has, sorted."""
    return sorted(str(r[0]) for r in vault.query("SELECT DISTINCT key FROM listening_agg_group"))


def agg_group_cells(vault: Vault, key: str, by_place: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """For one grouping: ``(value, themed grievances)`` per group and ``(value, theme, grievances)``
    per group and theme; by the grievance's place when ``by_place``, else by speaker-group ``key``."""
    if by_place:
        sizes = vault.query("SELECT place, themed FROM listening_agg_place")
        cells = vault.query("SELECT place, theme, n FROM listening_agg_place_theme")
    else:
        sizes = vault.query("SELECT value, themed FROM listening_agg_group WHERE key = ?", (key,))
        cells = vault.query("SELECT value, theme, n FROM listening_agg_group_theme WHERE key = ?", (key,))
    return [tuple(r) for r in sizes], [tuple(r) for r in cells]


def agg_place_days(vault: Vault, theme: str | None = None) -> list[tuple[Any, ...]]:
    """``(place, day, grievances, hearings)`` per place and day, for one theme or all."""
    if theme is None:
        cells = vault.query("SELECT place, day, n, hearings FROM listening_agg_place_day")
    else:
        cells = vault.query("SELECT place, day, n, hearings FROM listening_agg_place_theme_day WHERE theme = ?", (theme,))
    return [tuple(r) for r in cells]


def agg_day_range(vault: Vault) -> tuple[str | None, str | None]:
    """The first and last regular day any grievance with a place was heard (``None`` without one)."""
    row = vault.query_one("SELECT min(day), max(day) FROM listening_agg_place_day")
    return (None, None) if row is None else (row[0], row[1])


def agg_place_window(vault: Vault, theme: str | None, first: str, last: str) -> list[tuple[Any, ...]]:
    """``(place, grievances, hearings)`` per place over the days ``first`` to ``last`` (ISO, inclusive)."""
    if theme is None:
        cells = vault.query("SELECT place, sum(n), sum(hearings) FROM listening_agg_place_day WHERE day >= ? AND day <= ? "
                            "GROUP BY place", (first, last))
    else:
        cells = vault.query("SELECT place, sum(n), sum(hearings) FROM listening_agg_place_theme_day WHERE theme = ? "
                            "AND day >= ? AND day <= ? GROUP BY place", (theme, first, last))
    return [tuple(r) for r in cells]


def agg_places(vault: Vault) -> list[str]:
    """Every place any grievance names."""
    return [str(r[0]) for r in vault.query("SELECT place FROM listening_agg_place")]


def agg_theme_days(vault: Vault, first: str, last: str) -> list[tuple[Any, ...]]:
    """``(theme, day, hearings)`` per theme and day over the days ``first`` to ``last`` (ISO, inclusive)."""
    return [tuple(r) for r in vault.query("SELECT theme, day, hearings FROM listening_agg_theme_day "
                                          "WHERE day >= ? AND day <= ?", (first, last))]


# ---------------------------------------------------------------------------- training labels
#: The newest confirmed grievances a model learns from. Accuracy flattens after a few hundred
#: labels per theme (docs/performance.md); training on a whole archive of hundreds of thousands
#: took minutes and held the vault meanwhile.
MAX_TRAIN = 20_000
_TRAINING = ("FROM listening_grievance WHERE confirmed = 1 AND coalesce(text, '') != '' AND coalesce(themes, '[]') != '[]' "
             "ORDER BY day DESC, id LIMIT ?")


def label_revision(vault: Vault) -> str:
    """The count of training labels (confirmed, with a text and a theme) and of the events that
    added, changed or removed one, kept by the grievance projection
    (:func:`halqa.listening.events.is_label`): it changes whenever a label does, so the model cache
    reads one row to know whether to train."""
    row = vault.query_one("SELECT n, changes FROM listening_label_rev WHERE id = 1")
    return "0" if row is None else f"{row[0]}:{row[1]}"


def training_rows(vault: Vault) -> list[tuple[str, list[str]]]:
    """``(text, confirmed themes)`` of the newest :data:`MAX_TRAIN` confirmed grievances with a text."""
    return [(r[0], msgspec.json.decode(r[1])) for r in vault.query(f"SELECT text, themes {_TRAINING}", (MAX_TRAIN,))]


_LABEL = "FROM listening_grievance WHERE confirmed = 1 AND coalesce(text, '') != '' AND coalesce(themes, '[]') != '[]'"


def training_rows_in_pieces(vault: Vault, piece: int = 1000, pause: float = 0.002) -> list[tuple[str, list[str]]] | None:
    """:func:`training_rows`, read ``piece`` rows per query so that a background reader holds the
    vault only briefly at a time (the pages go on meanwhile); ``None`` if anything was written in
    between (the pieces might not be one training set). It waits ``pause`` seconds before each
    piece after the first: a thread that takes the vault's lock again as soon as it let it go
    keeps it (the waiting page's thread must first get the interpreter back), and a page viewed
    meanwhile waited for every piece (0.16 s) instead of at most one."""
    top = vault.last_event_id()
    rows: list[Any] = []
    cols = f"SELECT text, themes, day, id {_LABEL}"
    while len(rows) < MAX_TRAIN:
        if rows:
            time.sleep(pause)
        want = min(piece, MAX_TRAIN - len(rows))
        if not rows:
            got = vault.query(f"{cols} ORDER BY day DESC, id LIMIT ?", (want,))
        elif rows[-1][2] is not None:  # after (day, id), newest day first; days before the ones without a day
            day, gid = rows[-1][2], rows[-1][3]
            got = vault.query(f"{cols} AND day <= ? AND (day < ? OR id > ?) ORDER BY day DESC, id LIMIT ?",
                              (day, day, gid, want))
            if len(got) < want:  # the rows without a day come last
                got += vault.query(f"{cols} AND day IS NULL ORDER BY id LIMIT ?", (want - len(got),))
        else:
            got = vault.query(f"{cols} AND day IS NULL AND id > ? ORDER BY id LIMIT ?", (rows[-1][3], want))
        rows += got
        if len(got) < want:
            break
    if vault.last_event_id() != top:
        return None
    return [(r[0], msgspec.json.decode(r[1])) for r in rows]


# ---------------------------------------------------------------------------- the codebook
def circle_key(vault: Vault) -> bytes | None:
    """The circle's codebook key, if it has one yet."""
    row = vault.query_one("SELECT key FROM listening_codebook WHERE id = 'circle'")
    return bytes(row[0]) if row is not None and row[0] else None


def stored_codes(vault: Vault) -> dict[str, int]:
    """Codes assigned so far: place -> shop keeper, ``theme:<id>`` -> item."""
    return {r[0]: int(r[1]) for r in vault.query("SELECT place, shop FROM listening_code")}

