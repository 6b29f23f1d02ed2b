"""The hub's connection: placing the vault's ``?`` parameters for psycopg (:func:`halqa.vault.storage.postgres.pyformat`),
and many rows of an INSERT in one statement.

The placeholders found must be exactly the ones the SQL means: a ``?`` or ``%`` inside a string,
a quoted name or a comment is text. Checked two ways: against the text the SQL was built from, and
by running generated statements on a real PostgreSQL and on SQLite with the same parameters and
comparing every value that comes back.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halqa.vault.storage.postgres import PgConnection, _bulk_insert, connect, pyformat

# Characters that matter to a lexer: quotes, comment starts, placeholders, percent signs.
_TRICKY = st.text(alphabet=st.sampled_from("a ?%'\"-*/$\\;\n(،"), max_size=12)


def _line(text: str) -> str:
    return text.replace("\n", " ")


def _block(text: str) -> str:
    # A comment body that neither ends nor opens a comment (SQLite does not nest them; PostgreSQL does).
    while "*/" in text or "/*" in text:
        text = text.replace("*/", "* /").replace("/*", "/ *")
    return text


@st.composite
def statement(draw: st.DrawFn, dollar: bool = False) -> tuple[str, str, list[object], list[object]]:
    """A SELECT of random items: ``(sql, expected pyformat, parameters, expected row)``."""
    sql: list[str] = ["SELECT "]
    want: list[str] = ["SELECT "]
    params: list[object] = []
    row: list[object] = []

    def both(text: str) -> None:
        sql.append(text)
        want.append(text.replace("%", "%%"))

    for i in range(draw(st.integers(1, 8))):
        if i:
            both(",")
        kind = draw(st.sampled_from(["param", "string", "mod", "dollar"] if dollar else ["param", "string", "mod"]))
        if kind == "param":
            value = draw(st.one_of(st.integers(-1000, 1000), _TRICKY))
            sql.append("?")
            want.append("%s")
            params.append(value)
            row.append(value)
        elif kind == "string":
            text = draw(_TRICKY)
            both("'" + text.replace("'", "''") + "'")
            row.append(text)
        elif kind == "mod":
            a, b = draw(st.integers(0, 99)), draw(st.integers(1, 9))
            both(f"{a} % {b}")
            row.append(a % b)
        else:
            text = draw(_TRICKY).replace("$", "")
            both(f"$${text}$$")
            row.append(text)
        if draw(st.booleans()):
            name = draw(st.text(alphabet=st.sampled_from("ab?%'\"-*/ "), min_size=1, max_size=10))
            both(' AS "' + name.replace('"', '""') + '"')
        comment = draw(st.sampled_from(["", "line", "block"]))
        if comment == "line":
            both(" --" + _line(draw(_TRICKY)) + "\n")
        elif comment == "block":
            both(" /* " + _block(draw(_TRICKY)) + " */ ")
    return "".join(sql), "".join(want), params, row


@settings(deadline=None)
@given(statement(dollar=True))
def test_placeholders_are_the_ones_the_sql_means(case):
    sql, want, params, _ = case
    placed = pyformat.__wrapped__(sql)  # not the cache: the tokenizer on every example
    assert placed == want
    assert placed.replace("%%", "").count("%s") == len(params)


def test_what_a_regex_got_wrong_and_what_cannot_be_placed():
    # PostgreSQL nests block comments: the ? after the inner comment's end is still a comment.
    assert pyformat("SELECT /* a /* b */ ? */ ?") == "SELECT /* a /* b */ ? */ %s"
    assert pyformat("SELECT E'it\\'s ?', ?") == "SELECT E'it\\'s ?', %s"
    assert pyformat("SELECT $tag$ ? % $tag$, ? % 2") == "SELECT $tag$ ? %% $tag$, %s %% 2"
    with pytest.raises(ValueError):
        pyformat("SELECT ?1")  # SQLite's numbered parameter: psycopg has no equivalent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=statement())
def test_the_same_statement_means_the_same_on_postgresql_and_sqlite(pg_url, case):
    sql, _, params, row = case
    got_sqlite = list(sqlite3.connect(":memory:").execute(sql, params).fetchone())
    got_pg = list(pg_url.execute(sql, params).fetchone())
    assert got_sqlite == row
    assert got_pg == row


@pytest.fixture(scope="module")
def pg_url(pg_server):
    raw = connect(pg_server())
    yield PgConnection(raw)
    raw.close()


# ---------------------------------------------------------------------------- many rows in one statement
_KEYS = st.tuples(st.sampled_from(["a", "b", "c?", "d'%"]), st.integers(0, 3))
_ROW = st.tuples(_KEYS, st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                 st.text(alphabet=st.sampled_from("xy?%'\" "), max_size=6))
_ROWS = st.one_of(st.lists(_ROW, max_size=15), st.lists(_ROW, min_size=16, max_size=60))  # below and above _BULK_FROM
_CONFLICTS = ["", " ON CONFLICT DO NOTHING", " ON CONFLICT (k, i) DO NOTHING",
              " ON CONFLICT (k, i) DO UPDATE SET v = excluded.v, t = excluded.t || bulk_t.t"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_ROWS, conflict=st.sampled_from(_CONFLICTS), held=_ROWS)
def test_many_rows_in_one_statement_give_what_one_statement_per_row_gives(pg_url, rows, conflict, held):
    """``executemany`` of an INSERT goes as one ``unnest`` statement from 16 rows on; whatever the
    rows (repeated keys, NULLs, quotes), the table ends as with psycopg's one statement per row."""
    if not conflict:
        rows = list({r[0]: r for r in rows}.values())  # a plain INSERT of a repeated key fails either way
        held = [r for r in held if r[0] not in {k for k, _, _ in rows}]
    flat = [(k, i, v, t) for (k, i), v, t in rows]
    old = list({(k, i): (k, i, v, t) for (k, i), v, t in held}.values())
    tables = {}
    for name in ("bulk_t", "one_t"):
        pg_url.execute(f"DROP TABLE IF EXISTS {name}")
        pg_url.execute(f"CREATE TABLE {name} (k TEXT NOT NULL, i BIGINT NOT NULL, v DOUBLE PRECISION, t TEXT, "
                       "PRIMARY KEY (k, i))")
        pg_url.raw.cursor().executemany(f"INSERT INTO {name} VALUES (%s, %s, %s, %s)", old)
        sql = f"INSERT INTO {name} (k, i, v, t) VALUES (?, ?, ?, ?){conflict.replace('bulk_t', name)}"
        if name == "bulk_t":
            pg_url.execute("BEGIN")
            try:
                pg_url.executemany(sql, flat)
            finally:
                pg_url.execute("COMMIT")  # a failed transaction ends too: the next example starts clean
        elif flat:
            pg_url.raw.cursor().executemany(pyformat(sql), flat)
        tables[name] = sorted(tuple(r) for r in pg_url.execute(f"SELECT * FROM {name}").fetchall())
    assert tables["bulk_t"] == tables["one_t"]


def test_which_inserts_go_as_one_statement():
    assert _bulk_insert("INSERT INTO t (a, b) VALUES (?, ?)") == ("t", "(a, b)", "", ())
    assert _bulk_insert('INSERT INTO "t" ("a", b) VALUES (?, ?) ON CONFLICT ("a") DO UPDATE SET b = excluded.b') == \
        ('"t"', '("a", b)', ' ON CONFLICT ("a") DO UPDATE SET b = excluded.b', (0,))
    for sql in ("INSERT INTO t (a) VALUES (?) RETURNING a",  # a result per row
                "INSERT INTO t VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = 1",  # no column list: key unknown
                "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO UPDATE SET b = 1",
                "INSERT INTO t (a) VALUES (?), (?)", "INSERT INTO t (a) VALUES (1)", "UPDATE t SET a = ?",
                "INSERT INTO t (a) SELECT ?"):
        assert _bulk_insert(sql) is None, sql
