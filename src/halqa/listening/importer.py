"""Importing grievances from CSV or JSON: every bad row reported, good rows kept, one commit.

CSV header (exactly these names, any order; extra columns are an error so typos are caught)::

    text,themes,place,day,groups,tone,count

``themes`` are ids separated by ``|``; ``groups`` are ``key=value`` pairs separated by ``|``;
``day`` is an ISO date; every cell may be empty except ``place`` and ``day``. Quoted cells may hold
newlines: line numbers are those of the line where the row starts in the file.

JSON: an array of objects, or JSON Lines (one object per line), with the same keys; ``themes``
may also be a list and ``groups`` an object. Line numbers are those where each object starts.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from halqa.errors import InvalidInput
from halqa.listening.events import MAX_TEXT, GrievanceBatch, GrievancePut, check_count, check_place
from halqa.listening.text import detect_language
from halqa.listening.write import (
    Vocabulary,
    _day_cell,
    _groups_cell,
    _themes_cell,
    build_grievance,
    check_tone,
    new_grievance_ids,
)
from halqa.vault import Vault

__all__ = ["COLUMNS", "ImportReport", "import_grievances", "parse_rows"]

COLUMNS: tuple[str, ...] = ("text", "themes", "place", "day", "groups", "tone", "count")
#: ``progress(done, total)``: told how far a long call is (the command line draws a bar).
Progress = Callable[[int, int], None]
_NULLS = {"", "n/a", "na", "null", "none", "-"}


#: Grievances per ``listening_grievance.batch`` event (the ledger's imports use the same size).
BATCH = 5000


@dataclass
class ImportReport:
    """What an import did: how many rows were kept, and each rejected row with its reason."""

    kept: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "rejected": self.rejected, "ids": self.ids}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        bare = value.strip()
        if len(bare) <= 4 and bare.lower() in _NULLS:  # the longest null is "none"
            return None
    return value


def _csv_cells(text: str) -> tuple[list[str], list[int], list[list[str]], list[dict[str, Any]]]:
    """The header's names, then each row's line and cells, and the rows rejected before validation."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("listening.import_empty") from None
    except csv.Error as exc:
        raise InvalidInput("listening.import_unreadable", detail=str(exc)) from None
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in ("place", "day") if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise InvalidInput("listening.import_header", expected=",".join(COLUMNS), found=",".join(names))
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[dict[str, Any]] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append({"line": start, "reason": str(exc), "error": "listening.import_unreadable"})
            break
        line, start = start, reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            bad.append({"line": line, "error": "listening.import_cells",
                        "params": {"found": len(cells), "expected": len(names)}})
            continue
        lines.append(line)
        rows.append(cells)
    return names, lines, rows, bad


def _csv_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    names, lines, rows, bad = _csv_cells(text)
    return [(line, dict(zip(names, cells, strict=True))) for line, cells in zip(lines, rows, strict=True)], bad


def _json_rows(text: str) -> list[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    rows: list[tuple[int, Any]] = []
    pos = 0
    n = len(text)

    def skip(p: int, chars: str = " \t\r\n") -> int:
        while p < n and text[p] in chars:
            p += 1
        return p

    pos = skip(pos)
    array = pos < n and text[pos] == "["
    if array:
        pos = skip(pos + 1)
    while pos < n:
        if array and text[pos] == "]":
            break
        line = text.count("\n", 0, pos) + 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidInput("listening.import_json", line=text.count("\n", 0, exc.pos) + 1, detail=exc.msg) from None
        rows.append((line, obj))
        pos = skip(end, " \t\r\n," if array else " \t\r\n")
    return rows


def parse_rows(text: str, fmt: str = "csv") -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Split a file into ``(line, row)`` pairs plus rows rejected before validation."""
    if fmt == "csv":
        return _csv_rows(text)
    rows, bad = [], []
    for line, obj in _json_rows(text):
        if not isinstance(obj, dict):
            bad.append({"line": line, "error": "listening.import_not_object"})
            continue
        unknown = [k for k in obj if k not in COLUMNS]
        if unknown:
            bad.append({"line": line, "error": "listening.import_unknown_keys", "params": {"keys": ",".join(unknown)}})
            continue
        rows.append((line, obj))
    return rows, bad


def _render(entry: dict[str, Any]) -> dict[str, Any]:
    from halqa.i18n import t

    out = {"line": entry["line"], "error": entry["error"]}
    out["reason"] = entry.get("reason") or t(entry["error"], **entry.get("params", {}))
    return out


def _build_rows(vocab: Vocabulary, rows: list[tuple[int, dict[str, Any]]], ids: list[str], today: date | None,
                progress: Progress | None) -> tuple[list[GrievancePut], list[dict[str, Any]]]:
    """Check each row (a dict of cells: JSON, or CSV read by :func:`parse_rows`) into a grievance, or
    its error with its line. ``progress`` counts rows checked out of twice the rows."""
    good: list[GrievancePut] = []
    bad: list[dict[str, Any]] = []
    total = 2 * len(rows)
    for i, ((line, row), gid) in enumerate(zip(rows, ids, strict=True)):
        if progress is not None and i % 10_000 == 0:
            progress(i, total)
        cells = {k: _clean(v) for k, v in row.items()}
        rows[i] = (line, {})  # let the row go: a million of them next to their grievances would double the memory
        try:
            good.append(build_grievance(vocab, themes=cells.get("themes"), place=cells.get("place") or "",
                                        day=cells.get("day") or "", text=cells.get("text"), groups=cells.get("groups"),
                                        tone=cells.get("tone"), count=cells.get("count"), today=today, gid=gid))
        except InvalidInput as err:
            bad.append({"line": line, "error": err.msg_id, "params": err.params})
        except (TypeError, ValueError, AttributeError) as exc:
            bad.append({"line": line, "error": "listening.import_bad_value", "params": {"detail": str(exc)}})
    return good, bad


class _Failed:
    """A cell's check that raised: the error, reported for every row with that cell."""

    __slots__ = ("exc",)

    def __init__(self, exc: Exception) -> None:
        self.exc = exc


def _each_distinct(column: Any, fn: Callable[[Any], Any]) -> list[Any]:
    """``fn`` of every cell of a column, computed once per distinct cell (a raised error kept as
    :class:`_Failed`): an import of a million rows holds a few hundred places, days and counts."""
    answers: dict[Any, Any] = {}
    for cell in set(column):
        try:
            answers[cell] = fn(cell)
        except (InvalidInput, TypeError, ValueError, AttributeError) as exc:
            answers[cell] = _Failed(exc)
    return [answers[cell] for cell in column]


def _build_columns(vocab: Vocabulary, names: list[str], lines: list[int], rows: list[list[str]], ids: list[str],
                   today: date | None, progress: Progress | None) -> tuple[list[GrievancePut], list[dict[str, Any]]]:
    """What :func:`_build_rows` gives for the same CSV rows (the same grievances, the same error
    for each bad row: the first of its cells in :func:`build_grievance`'s order), checked column by
    column, each distinct cell once (``tests/listening/test_import.py`` compares the two)."""
    n = len(rows)
    empty = (None,) * n
    columns = dict(zip(names, zip(*rows, strict=True), strict=True)) if n else {}
    rows.clear()  # the columns hold the cells now

    def column(name: str) -> Any:
        return columns.pop(name, empty)

    def text_of(cell: Any) -> str | None:
        text = (_clean(cell) or "").strip() or None
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidInput("listening.text_too_long", max=MAX_TEXT)
        return text

    texts = _each_distinct(column("text"), text_of)
    themes = _each_distinct(column("themes"), lambda c: vocab.checked(_themes_cell, _clean(c), vocab))
    places = _each_distinct(column("place"), lambda c: vocab.checked(check_place, _clean(c) or ""))
    days = _each_distinct(column("day"), lambda c: vocab.checked(_day_cell, _clean(c) or "", today))
    groups = _each_distinct(column("groups"), lambda c: vocab.checked(_groups_cell, _clean(c), vocab))
    tones = _each_distinct(column("tone"), lambda c: vocab.checked(check_tone, _clean(c)))
    counts = _each_distinct(column("count"), lambda c: vocab.checked(check_count, _clean(c)))
    langs = _each_distinct(texts, lambda t: "und" if t is None or isinstance(t, _Failed) else detect_language(t))
    good: list[GrievancePut] = []
    bad: list[dict[str, Any]] = []
    for lo in range(0, n, 10_000):
        if progress is not None:
            progress(lo, 2 * n)
        for row in zip(ids[lo:lo + 10_000], texts[lo:lo + 10_000], themes[lo:lo + 10_000], places[lo:lo + 10_000],
                       days[lo:lo + 10_000], groups[lo:lo + 10_000], tones[lo:lo + 10_000], counts[lo:lo + 10_000],
                       langs[lo:lo + 10_000], lines[lo:lo + 10_000], strict=True):
            gid, text, theme_list, place, day, group, tone, count, lang, line = row
            failed = next((c for c in row[1:9] if type(c) is _Failed), None)
            if failed is not None:
                exc = failed.exc
                if isinstance(exc, InvalidInput):
                    bad.append({"line": line, "error": exc.msg_id, "params": exc.params})
                else:
                    bad.append({"line": line, "error": "listening.import_bad_value", "params": {"detail": str(exc)}})
                continue
            good.append(GrievancePut(id=gid, text=text, themes=list(theme_list), place=place, day=day, groups=dict(group),
                                     tone=tone, count=count, lang=lang, confirmed=bool(theme_list), voice=None))
    return good, bad


def import_grievances(vault: Vault, source: str | Path, fmt: str | None = None, today: date | None = None,
                      progress: Progress | None = None) -> ImportReport:
    """Import grievances from a CSV or JSON file (``source`` is a path, or the text itself).

    Every bad row is reported with its line number and reason; the good ones are written in one
    transaction (all or none of them). ``fmt`` is ``"csv"`` or ``"json"`` (default: by the file
    suffix, else by the first character). ``progress(done, total)`` is told how far it is, in rows
    checked plus rows written (``total`` is twice the rows).
    """
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except OSError:
            raise InvalidInput("error.file_missing", path=str(source)) from None
        except UnicodeDecodeError:
            raise InvalidInput("listening.import_encoding", path=str(source)) from None
        fmt = fmt or ("json" if source.suffix.lower() in (".json", ".jsonl", ".ndjson") else None)
    else:
        text = source
    fmt = fmt or ("json" if text.lstrip()[:1] in ("[", "{") else "csv")
    if fmt not in ("csv", "json"):
        raise InvalidInput("listening.import_format", fmt=fmt)
    vocab = Vocabulary(vault)
    if fmt == "csv":
        names, lines, cells, bad = _csv_cells(text)
        del text
        good, bad_rows = _build_columns(vocab, names, lines, cells, new_grievance_ids(len(lines)), today, progress)
        n_rows = len(lines)
    else:
        rows, bad = parse_rows(text, fmt)
        good, bad_rows = _build_rows(vocab, rows, new_grievance_ids(len(rows)), today, progress)
        n_rows = len(rows)
    bad += bad_rows
    total = 2 * n_rows
    batch = "gb-" + secrets.token_hex(6)
    report = ImportReport(rejected=sorted((_render(b) for b in bad), key=lambda b: b["line"]))
    if good:
        with vault.transaction() as tx:
            for lo in range(0, len(good), BATCH):
                if progress is not None:
                    progress(n_rows + lo, total)
                tx.append("listening_grievance.batch", GrievanceBatch(id=f"{batch}-{lo // BATCH}", items=good[lo:lo + BATCH]))
    if progress is not None:
        progress(total, total)
    report.kept = len(good)
    report.ids = [g.id for g in good]
    return report
