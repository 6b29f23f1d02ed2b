"""Grievance records, themes, group keys, borders, voice notes and the codebook: events and projections.

Tables (all pure folds of events in ``(hlc, id)`` order):

* ``listening_grievance``: one row per grievance (``themes`` and ``groups`` as canonical JSON);
  ``listening_grievance_theme`` (gid, theme) and ``listening_grievance_group`` (gid, key, value)
  are derived link tables so analyses stay in SQL/columnar form; ``listening_agg_*``
  (:data:`AGG_TABLES`) are counts kept by the same fold, which the analyses read from a vault.
* ``listening_theme``: themes a circle added or renamed (the packaged defaults are not events).
* ``listening_group_key``: speaker-group keys a circle uses (``sect``, ``sector``, ``origin``…),
  optionally with a closed list of values.
* ``listening_border``: which areas touch (the neighbourhood adjacency used by hotspots).
* ``listening_voice``: voice notes, stored as bytes inside the encrypted vault.
* ``listening_codebook`` (the circle key) and ``listening_code`` (place -> shop keeper, theme ->
  item): the disguised-notes codebook (:mod:`halqa.listening.codebook`).

The checks a payload's ``check()`` makes (:func:`check_place`, :func:`check_count`) live here too,
so an imported or synced event is held to the same rules as a typed one.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import msgspec

from halqa.errors import InvalidInput
from halqa.vault import Projection, RecordProjection, register_kind, register_projection
from halqa.vault.events import Event
from halqa.vault.values import check_stored_day

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType

#: Tones an organiser can note. Ids are stable (files, scripts); the spellings a person may type are in write.py.
TONES: tuple[str, ...] = ("angry", "bitter_humour", "numb", "hopeful")

#: Words that name the grievance's own place when used as a grouping key.
PLACE_KEYS = ("district", "place")
MAX_TEXT = 2000
MAX_COUNT = 10_000
MAX_VOICE_BYTES = 25 * 1024 * 1024
MAX_H3_RES = 8  # coarser than ~0.7 km²: a neighbourhood, not a house

_AREA = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
_GPS = re.compile(r"^\s*-?\d{1,3}\.\d+\s*[, ]\s*-?\d{1,3}\.\d+\s*$")


# ---------------------------------------------------------------------------- events
class GrievancePut(msgspec.Struct, kw_only=True):
    id: str
    text: str | Unset | None = UNSET
    themes: list[str] | Unset = UNSET
    place: str | Unset = UNSET
    day: str | Unset = UNSET
    groups: dict[str, str] | Unset = UNSET
    tone: str | Unset | None = UNSET
    count: int | Unset = UNSET
    lang: str | Unset = UNSET
    confirmed: bool | Unset = UNSET  # themes confirmed by an organiser (training labels)
    voice: str | Unset | None = UNSET

    def check(self) -> None:
        """The rules of a grievance, whether typed here or imported (themes are checked
        against the codebook only when typed: an imported one may name a theme not yet here)."""
        self.check_place()
        self.check_day()
        self.check_count()
        self.check_tone()
        self.check_text()

    def check_place(self) -> None:
        if isinstance(self.place, str) and check_place(self.place) != self.place:
            raise InvalidInput("listening.bad_place", place=self.place[:40])

    def check_day(self) -> None:
        if isinstance(self.day, str):
            check_stored_day(self.day, past=True)

    def check_count(self) -> None:
        if isinstance(self.count, int):
            check_count(self.count)

    def check_tone(self) -> None:
        if isinstance(self.tone, str) and self.tone not in TONES:
            raise InvalidInput("listening.bad_tone", tone=self.tone[:40], tones=", ".join(TONES))

    def check_text(self) -> None:
        if isinstance(self.text, str) and len(self.text) > MAX_TEXT:
            raise InvalidInput("listening.text_too_long", max=MAX_TEXT)


class GrievanceBatch(msgspec.Struct, kw_only=True):
    """Many new grievances at once (an import), applied in bulk by the projection: one event per
    few thousand rows instead of one each, as ``ledger_batch.put`` does for outage intervals."""

    id: str
    items: list[GrievancePut]

    def check(self) -> None:
        """:meth:`GrievancePut.check` of every item, in order (the same first error), each distinct
        place, day, count and tone checked once: an import repeats a few of each many times."""
        places: set[Any] = set()
        days: set[Any] = set()
        counts: set[Any] = set()
        tones: set[Any] = set()
        for item in self.items:
            if item.place not in places:
                item.check_place()
                places.add(item.place)
            if item.day not in days:
                item.check_day()
                days.add(item.day)
            count = (type(item.count), item.count)  # True == 1, but only 1 is a count
            if count not in counts:
                item.check_count()
                counts.add(count)
            if item.tone not in tones:
                item.check_tone()
                tones.add(item.tone)
            item.check_text()


class GrievanceDelete(msgspec.Struct):
    id: str


class ThemePut(msgspec.Struct, kw_only=True):
    id: str
    name_ar: str | Unset = UNSET
    name_ckb: str | Unset = UNSET
    name_en: str | Unset = UNSET
    keywords: list[str] | Unset = UNSET


class GroupKeyPut(msgspec.Struct, kw_only=True):
    key: str
    values: list[str] | Unset = UNSET


class BorderPut(msgspec.Struct, kw_only=True):
    id: str  # "A|B" with A < B
    a: str | Unset = UNSET
    b: str | Unset = UNSET
    touching: bool | Unset = UNSET


class VoicePut(msgspec.Struct, kw_only=True):
    id: str
    grievance: str | Unset = UNSET
    mime: str | Unset = UNSET
    data: bytes | Unset = UNSET
    sha256: str | Unset = UNSET


class CodebookPut(msgspec.Struct, kw_only=True):
    id: str
    key: bytes | msgspec.UnsetType = UNSET


class CodePut(msgspec.Struct, kw_only=True):
    place: str
    shop: int | msgspec.UnsetType = UNSET


# The grievance projection is not a RecordProjection, so it declares its own delete kind.
register_kind("listening_grievance.delete", GrievanceDelete)
register_kind("listening_grievance.batch", GrievanceBatch)
for _name, _put in (("listening_grievance", GrievancePut), ("listening_theme", ThemePut),
                    ("listening_group_key", GroupKeyPut), ("listening_border", BorderPut), ("listening_voice", VoicePut)):
    register_kind(f"{_name}.put", _put)
register_kind("listening_codebook.put", CodebookPut)
register_kind("listening_code.put", CodePut)


_GRIEVANCE_COLUMNS = ("id", "text", "themes", "place", "day", "groups", "tone", "count", "lang", "confirmed", "voice")


#: Aggregate tables kept by :class:`GrievanceProjection` next to the rows, so shared causes,
#: hotspots and trends read a few thousand counts instead of every grievance. Every count is the
#: number of grievances (``n``) or their summed ``count`` (``hearings``); a row whose ``n`` drops
#: to zero is deleted, so an incremental fold and a rebuild give identical tables.
AGG_TABLES = ("listening_agg_total", "listening_agg_theme", "listening_agg_group", "listening_agg_group_theme",
              "listening_agg_place", "listening_agg_place_theme", "listening_agg_place_day",
              "listening_agg_place_theme_day", "listening_agg_theme_day")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def regular_day(day: Any) -> bool:
    """A stored day the aggregates can bin: ISO ``YYYY-MM-DD``, valid, inside pandas' ns range."""
    if not isinstance(day, str) or not _DAY.match(day):
        return False
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return False
    return 1700 <= d.year <= 2200


class _Deltas:
    """Signed changes to the aggregate tables, summed over a batch of events, then written once."""

    def __init__(self) -> None:
        self.total = [0, 0, 0]  # grievances, themed, irregular (no place or no regular day)
        self.theme: dict[str, int] = {}
        self.group: dict[tuple[str, str], list[int]] = {}  # (key, value) -> [n, themed]
        self.group_theme: dict[tuple[str, str, str], int] = {}
        self.place: dict[str, list[int]] = {}  # place -> [n, themed]
        self.place_theme: dict[tuple[str, str], int] = {}
        self.place_day: dict[tuple[str, str], list[int]] = {}  # (day, place) -> [n, hearings]
        self.place_theme_day: dict[tuple[str, str, str], list[int]] = {}  # (theme, day, place) -> [n, hearings]
        self.theme_day: dict[tuple[str, str], list[int]] = {}  # (theme, day) -> [n, hearings]
        self.labels = 0  # training labels (:func:`is_label`): signed count
        self.label_changes = 0  # and the events that added, changed or removed one

    def label(self, was: bool, now: bool) -> None:
        """A grievance was a training label or not, and now is or not (its label columns changed)."""
        if was or now:
            self.labels += now - was
            self.label_changes += 1

    def add(self, state: tuple[frozenset[str], tuple[tuple[str, str], ...], Any, Any, int], sign: int) -> None:
        themes, groups, place, day, count = state
        themed = 1 if themes else 0
        irregular = place is None or not regular_day(day)
        self.total[0] += sign
        self.total[1] += sign * themed
        self.total[2] += sign * irregular
        for t in themes:
            self.theme[t] = self.theme.get(t, 0) + sign
        for kv in groups:
            acc = self.group.setdefault(kv, [0, 0])
            acc[0] += sign
            acc[1] += sign * themed
            for t in themes:
                key = (kv[0], kv[1], t)
                self.group_theme[key] = self.group_theme.get(key, 0) + sign
        if place is None:
            return
        acc = self.place.setdefault(place, [0, 0])
        acc[0] += sign
        acc[1] += sign * themed
        for t in themes:
            self.place_theme[(place, t)] = self.place_theme.get((place, t), 0) + sign
        if irregular:
            return
        acc = self.place_day.setdefault((day, place), [0, 0])
        acc[0] += sign
        acc[1] += sign * count
        for t in themes:
            acc = self.place_theme_day.setdefault((t, day, place), [0, 0])
            acc[0] += sign
            acc[1] += sign * count
            acc = self.theme_day.setdefault((t, day), [0, 0])
            acc[0] += sign
            acc[1] += sign * count

    def write(self, conn: Any) -> None:
        if self.label_changes:  # the row stays when no label is left: the count of changes only grows
            conn.execute("INSERT INTO listening_label_rev VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                         "n = n + excluded.n, changes = changes + excluded.changes", (self.labels, self.label_changes))
        if any(self.total):
            conn.execute("INSERT INTO listening_agg_total VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                         "n = n + excluded.n, themed = themed + excluded.themed, irregular = irregular + excluded.irregular",
                         tuple(self.total))
            conn.execute("DELETE FROM listening_agg_total WHERE n = 0")
        for table, pk, cols, items in (
                ("listening_agg_theme", ("theme",), ("n",), self.theme),
                ("listening_agg_group", ("key", "value"), ("n", "themed"), self.group),
                ("listening_agg_group_theme", ("key", "value", "theme"), ("n",), self.group_theme),
                ("listening_agg_place", ("place",), ("n", "themed"), self.place),
                ("listening_agg_place_theme", ("place", "theme"), ("n",), self.place_theme),
                ("listening_agg_place_day", ("day", "place"), ("n", "hearings"), self.place_day),
                ("listening_agg_place_theme_day", ("theme", "day", "place"), ("n", "hearings"), self.place_theme_day),
                ("listening_agg_theme_day", ("theme", "day"), ("n", "hearings"), self.theme_day)):
            rows = []
            gone = []
            for key, val in items.items():
                k = key if isinstance(key, tuple) else (key,)
                v = val if isinstance(val, list) else [val]
                if any(v):
                    rows.append((*k, *v))
                    if v[0] < 0:
                        gone.append(k)
            if not rows:
                continue
            names = ", ".join((*pk, *cols))
            sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in cols)
            conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * (len(pk) + len(cols)))}) "
                             f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {sets}", rows)
            if gone:
                where = " AND ".join(f"{c} = ?" for c in pk)
                conn.executemany(f"DELETE FROM {table} WHERE {where} AND n = 0", gone)


def is_label(text: Any, themes: Any, day: Any, confirmed: Any) -> bool:
    """Whether a grievance's stored columns (``themes`` as stored JSON) make it a training label:
    what the suggestion model learns from (:data:`halqa.listening.read.MAX_TRAIN`), confirmed, with
    a text and a theme. ``day`` is a label column too (the newest are learnt from) but decides
    nothing here.

    The projection keeps the count of labels and of the events that added, changed or removed
    one (:class:`GrievanceProjection`): the model is trained again when that revision changes. A
    count of changes, not a hash of the labels kept by adding and subtracting, which someone who
    writes grievances could keep as it was while changing their text (a sum of hashes is
    linear); it only grows, and a rebuild folds the same events to the same count."""
    del day
    return confirmed == 1 and text is not None and text != "" and themes is not None and themes != "[]"  # as read.py's SQL


def _state(themes: Any, groups: Any, place: Any, day: Any, count: Any) -> tuple[Any, ...]:
    """What one grievance contributes to the aggregates (the link tables' view of it)."""
    return (frozenset(themes or ()), tuple(sorted((groups or {}).items())), place, day, 1 if count is None else count)


_JSON = msgspec.json.Decoder()
_JSON_ENC = msgspec.json.Encoder(order="deterministic")
_EMPTY = _state(None, None, None, None, None)


class GrievanceProjection(Projection):
    """The grievance table plus its theme and group link tables and the aggregate tables.

    Puts set the fields they carry (last writer wins per field, in ``(hlc, id)`` order); a
    delete leaves a tombstone no put can undo. Self-contained (it does not lean on
    :class:`RecordProjection` internals), so batching changes in the core cannot skip the links.

    Aggregates (:data:`AGG_TABLES`): each event first subtracts the grievance's old
    contribution (read from its own row) and adds the new one, in the same fold, so edits that
    move a grievance to other themes, groups, places or days, and deletions, keep the counts exact;
    the changes of a batch are summed in memory and written once per :meth:`apply_many`.
    """

    name = "listening_grievance"
    version = 4  # 4: listening_label_rev (a count of label changes) instead of a sum of label hashes
    kinds = frozenset({"listening_grievance.put", "listening_grievance.delete", "listening_grievance.batch"})
    tables = ("listening_grievance", "listening_grievance_theme", "listening_grievance_group", *AGG_TABLES,
              "listening_label_rev")

    def create(self, conn: Any) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS listening_grievance (id TEXT PRIMARY KEY, text TEXT, themes TEXT, "
                     "place TEXT, day TEXT, groups TEXT, tone TEXT, count INTEGER, lang TEXT, confirmed INTEGER, voice TEXT)")
        conn.execute("CREATE INDEX IF NOT EXISTS listening_grievance_place ON listening_grievance (place)")
        conn.execute("CREATE INDEX IF NOT EXISTS listening_grievance_day ON listening_grievance (day)")
        # the newest unconfirmed ones (the suggestion page) without walking the confirmed archive
        conn.execute("CREATE INDEX IF NOT EXISTS listening_grievance_unconfirmed ON listening_grievance (day DESC, id) "
                     "WHERE coalesce(confirmed, 0) = 0")
        # the training labels' count and changes (:func:`is_label`): one row, read by the model cache
        conn.execute("CREATE TABLE IF NOT EXISTS listening_label_rev (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
                     "changes INTEGER NOT NULL)")
        # the link tables are their primary keys (one b-tree each, not a table and its key's
        # index): a million-row import writes two or three of their rows per grievance
        conn.execute("CREATE TABLE IF NOT EXISTS listening_grievance_theme (gid TEXT NOT NULL, theme TEXT NOT NULL, "
                     "PRIMARY KEY (gid, theme)) WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_grievance_group (gid TEXT NOT NULL, key TEXT NOT NULL, "
                     "value TEXT NOT NULL, PRIMARY KEY (gid, key)) WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_total (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
                     "themed INTEGER NOT NULL, irregular INTEGER NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_theme (theme TEXT PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_group (key TEXT NOT NULL, value TEXT NOT NULL, "
                     "n INTEGER NOT NULL, themed INTEGER NOT NULL, PRIMARY KEY (key, value))")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_group_theme (key TEXT NOT NULL, value TEXT NOT NULL, "
                     "theme TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, value, theme))")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_place (place TEXT PRIMARY KEY, n INTEGER NOT NULL, "
                     "themed INTEGER NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_place_theme (place TEXT NOT NULL, theme TEXT NOT NULL, "
                     "n INTEGER NOT NULL, PRIMARY KEY (place, theme))")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_place_day (day TEXT NOT NULL, place TEXT NOT NULL, "
                     "n INTEGER NOT NULL, hearings INTEGER NOT NULL, PRIMARY KEY (day, place))")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_place_theme_day (theme TEXT NOT NULL, day TEXT NOT NULL, "
                     "place TEXT NOT NULL, n INTEGER NOT NULL, hearings INTEGER NOT NULL, PRIMARY KEY (theme, day, place))")
        conn.execute("CREATE TABLE IF NOT EXISTS listening_agg_theme_day (theme TEXT NOT NULL, day TEXT NOT NULL, "
                     "n INTEGER NOT NULL, hearings INTEGER NOT NULL, PRIMARY KEY (theme, day))")

    def apply_many(self, conn: Any, events: list[Event]) -> None:
        deltas = _Deltas()
        for event in events:
            self._apply(conn, event, deltas)
        deltas.write(conn)

    def apply(self, conn: Any, event: Event) -> None:
        self.apply_many(conn, [event])

    def _old(self, conn: Any, gid: str) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        """The grievance's stored contribution to the aggregates and its label columns
        ``(text, themes JSON, day, confirmed)``; ``None`` if it is not stored."""
        row = conn.execute("SELECT themes, groups, place, day, count, text, confirmed FROM listening_grievance "
                           "WHERE id = ?", (gid,)).fetchone()
        if row is None:
            return None
        return (_state(_JSON.decode(row[0]) if row[0] else None, _JSON.decode(row[1]) if row[1] else None,
                       row[2], row[3], row[4]), (row[5], row[0], row[3], row[6]))

    def _apply(self, conn: Any, event: Event, deltas: _Deltas) -> None:
        p = event.payload
        if event.kind == "listening_grievance.batch":
            self._apply_batch(conn, p.items, deltas)
            return
        if event.kind == "listening_grievance.delete":
            old = self._old(conn, p.id)
            if old is not None:
                deltas.add(old[0], -1)
                deltas.label(is_label(*old[1]), False)
            self.tombstone(conn, p.id)
            conn.execute("DELETE FROM listening_grievance WHERE id = ?", (p.id,))
            conn.execute("DELETE FROM listening_grievance_theme WHERE gid = ?", (p.id,))
            conn.execute("DELETE FROM listening_grievance_group WHERE gid = ?", (p.id,))
            return
        self._put(conn, p, deltas)

    def _apply_batch(self, conn: Any, items: list[GrievancePut], deltas: _Deltas) -> None:
        """A batch: grievances new to this vault are written with one ``executemany`` per table; an id
        already stored, deleted, or given twice in the batch takes the one-by-one path, in order."""
        ids = [p.id for p in items]
        repeated = {i for i, k in Counter(ids).items() if k > 1}
        known: set[str] = set()
        tombstoned = self.has_tombstones(conn)
        for lo in range(0, len(ids), 500):
            chunk = ids[lo:lo + 500]
            marks = ", ".join("?" * len(chunk))
            known.update(r[0] for r in conn.execute(f"SELECT id FROM listening_grievance WHERE id IN ({marks})", chunk))
            if tombstoned:
                known |= self.tombstoned_keys(conn, chunk)
        rows: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        theme_rows: list[tuple[str, str]] = []
        group_rows: list[tuple[str, str, str]] = []
        states: Counter[tuple[Any, ...]] = Counter()
        full: list[tuple[Any, ...]] = []  # rows that set every column (what an import writes)
        for p in items:
            if p.id in known or p.id in repeated:
                self._put(conn, p, deltas)
                continue
            values = msgspec.structs.astuple(p)
            if UNSET not in values and isinstance(p.themes, list) and isinstance(p.groups, dict):
                themes_json, groups_json = _JSON_ENC.encode(p.themes).decode(), _JSON_ENC.encode(p.groups).decode()
                full.append((p.id, p.text, themes_json, p.place, p.day, groups_json, *values[6:]))
                states[_state(p.themes, p.groups, p.place, p.day, p.count)] += 1
                theme_rows += [(p.id, t) for t in dict.fromkeys(p.themes)]
                group_rows += [(p.id, k, v) for k, v in sorted(p.groups.items())]
                deltas.label(False, is_label(p.text, themes_json, p.day, p.confirmed))
                continue
            fields = {c: v for c, v in zip(p.__struct_fields__, msgspec.structs.astuple(p), strict=True) if v is not UNSET}
            states[_state(fields.get("themes"), fields.get("groups"), fields.get("place"), fields.get("day"),
                          fields.get("count"))] += 1
            if p.themes is not UNSET:
                theme_rows += [(p.id, t) for t in dict.fromkeys(p.themes)]
                fields["themes"] = msgspec.json.encode(p.themes, order="deterministic").decode()
                deltas.label(False, is_label(fields.get("text"), fields["themes"], fields.get("day"),
                                             fields.get("confirmed")))
            if p.groups is not UNSET:
                group_rows += [(p.id, k, v) for k, v in sorted(p.groups.items())]
                fields["groups"] = msgspec.json.encode(p.groups, order="deterministic").decode()
            rows.setdefault(tuple(fields), []).append(tuple(fields.values()))
        for state, k in states.items():  # many rows share a contribution: add each once, k times
            deltas.add(state, k)
        if full:
            rows.setdefault(_GRIEVANCE_COLUMNS, []).extend(full)
        for cols, vals in rows.items():
            names = ", ".join(f'"{c}"' for c in cols)
            conn.executemany(f"INSERT INTO listening_grievance ({names}) VALUES ({', '.join('?' * len(cols))})", vals)
        conn.executemany("INSERT OR IGNORE INTO listening_grievance_theme VALUES (?, ?)", theme_rows)
        conn.executemany("INSERT INTO listening_grievance_group VALUES (?, ?, ?)", group_rows)

    def _put(self, conn: Any, p: GrievancePut, deltas: _Deltas) -> None:
        if self.is_tombstoned(conn, p.id):
            return
        fields = {c: getattr(p, c) for c in _GRIEVANCE_COLUMNS if getattr(p, c) is not UNSET}
        found = self._old(conn, p.id)
        old, old_label = found if found is not None else (None, (None, None, None, None))
        if old is None or any(c in fields for c in ("themes", "groups", "place", "day", "count")):
            if old is not None:
                deltas.add(old, -1)
            base = old or _EMPTY
            deltas.add((frozenset(p.themes) if p.themes is not UNSET else base[0],
                        tuple(sorted(p.groups.items())) if p.groups is not UNSET else base[1],
                        p.place if p.place is not UNSET else base[2], p.day if p.day is not UNSET else base[3],
                        p.count if p.count is not UNSET else base[4]), 1)
        for c in ("themes", "groups"):
            if c in fields:
                fields[c] = msgspec.json.encode(fields[c], order="deterministic").decode()
        new_label = tuple(fields[c] if c in fields else v for c, v in zip(("text", "themes", "day", "confirmed"), old_label,
                                                                         strict=True))
        if new_label != old_label:
            deltas.label(is_label(*old_label), is_label(*new_label))
        names = ", ".join(f'"{c}"' for c in fields)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in fields if c != "id")
        conn.execute(f"INSERT INTO listening_grievance ({names}) VALUES ({', '.join('?' * len(fields))}) "
                     f"ON CONFLICT (id) {'DO UPDATE SET ' + updates if updates else 'DO NOTHING'}", tuple(fields.values()))
        if p.themes is not UNSET:
            conn.execute("DELETE FROM listening_grievance_theme WHERE gid = ?", (p.id,))
            conn.executemany("INSERT OR IGNORE INTO listening_grievance_theme VALUES (?, ?)", [(p.id, t) for t in p.themes])
        if p.groups is not UNSET:
            conn.execute("DELETE FROM listening_grievance_group WHERE gid = ?", (p.id,))
            conn.executemany("INSERT INTO listening_grievance_group VALUES (?, ?, ?)",
                             [(p.id, k, v) for k, v in sorted(p.groups.items())])


register_projection(GrievanceProjection())
register_projection(RecordProjection("listening_theme", ThemePut))
register_projection(RecordProjection("listening_group_key", GroupKeyPut, key="key"))
register_projection(RecordProjection("listening_border", BorderPut))
register_projection(RecordProjection("listening_voice", VoicePut, indexes=("grievance",)))
register_projection(RecordProjection("listening_codebook", CodebookPut))
register_projection(RecordProjection("listening_code", CodePut, key="place"))


# ---------------------------------------------------------------------------- checks the payloads make
def check_place(place: str) -> str:
    """An area code (``NKH``) or a coarse H3 cell (resolution ≤ 8); never GPS coordinates."""
    raw = (place or "").strip()
    if not raw:
        raise InvalidInput("listening.place_missing")
    if _GPS.match(raw):
        raise InvalidInput("listening.place_gps", place=raw)
    if len(raw) == 15 and all(c in "0123456789abcdefABCDEF" for c in raw):
        import h3

        cell = raw.lower()
        if not h3.is_valid_cell(cell):
            raise InvalidInput("listening.bad_place", place=raw)
        if h3.get_resolution(cell) > MAX_H3_RES:
            raise InvalidInput("listening.place_too_fine", place=raw, max=MAX_H3_RES)
        return cell
    code = raw.upper()
    if not _AREA.match(code):
        raise InvalidInput("listening.bad_place", place=raw)
    return code


def check_count(count: int | str | None) -> int:
    if count is None or (isinstance(count, str) and not count.strip()):
        return 1
    try:
        n = int(str(count).strip()) if not isinstance(count, int) else count
    except ValueError:
        raise InvalidInput("listening.bad_count", count=count) from None
    if isinstance(count, bool) or not 1 <= n <= MAX_COUNT:
        raise InvalidInput("listening.bad_count", count=count)
    return n
