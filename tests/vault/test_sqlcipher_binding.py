"""Values bound on the SQLCipher connection: the adapters registered to skip sqlcipher3's slow
adaptation (docs/performance.md, issue 19) must bind exactly what was bound without them."""

from __future__ import annotations

import os
from pathlib import Path

import sqlcipher3

from halqa.vault.storage.sqlcipher import connect


def test_fast_binding_adapters_are_registered() -> None:
    # Without them each bytes, bool or None value costs a failed __adapt__/__conform__ lookup.
    for kind in (bytes, bool, type(None)):
        assert (kind, sqlcipher3.PrepareProtocol) in sqlcipher3.adapters, kind


def test_bound_values_are_stored_as_before(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db", os.urandom(32))
    try:
        conn.execute("CREATE TABLE t (v)")
        values = [b"\x00\xffbytes", b"", True, False, None, 7, "text", 1.5]
        conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
        conn.execute("INSERT INTO t VALUES (?)", (b"one",))
        rows = [tuple(r) for r in conn.execute("SELECT typeof(v), v FROM t ORDER BY rowid")]
    finally:
        conn.close()
    assert rows == [("blob", b"\x00\xffbytes"), ("blob", b""), ("integer", 1), ("integer", 0), ("null", None),
                    ("integer", 7), ("text", "text"), ("real", 1.5), ("blob", b"one")]
    assert all(type(v) is bytes for t, v in rows if t == "blob")
