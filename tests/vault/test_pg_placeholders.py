"""Placing the vault's ``?`` parameters for psycopg (:func:`halqa.vault.storage.postgres.pyformat`).

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

from halqa.vault.storage.postgres import PgConnection, connect, pyformat

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
