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
from halqa.listening.events import GrievanceBatch, GrievancePut
from halqa.listening.write import Vocabulary, build_grievance, new_grievance_ids
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


def _csv_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
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
    rows: list[tuple[int, dict[str, Any]]] = []
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
        rows.append((line, dict(zip(names, cells, strict=True))))
    return rows, bad


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
    rows, bad = parse_rows(text, fmt)
    vocab = Vocabulary(vault)
    good: list[GrievancePut] = []
    ids = new_grievance_ids(len(rows))
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
    batch = "gb-" + secrets.token_hex(6)
    report = ImportReport(rejected=sorted((_render(b) for b in bad), key=lambda b: b["line"]))
    if good:
        with vault.transaction() as tx:
            for lo in range(0, len(good), BATCH):
                if progress is not None:
                    progress(len(rows) + lo, total)
                tx.append("listening_grievance.batch", GrievanceBatch(id=f"{batch}-{lo // BATCH}", items=good[lo:lo + BATCH]))
    if progress is not None:
        progress(total, total)
    report.kept = len(good)
    report.ids = [g.id for g in good]
    return report
