"""A record projection's table is declared once, by its put struct."""

from __future__ import annotations

import msgspec
import pytest

from halqa.vault import RecordProjection, registered_kinds, registered_projections
from halqa.vault.projections import sql_columns


def _records() -> list[RecordProjection]:
    return [p for p in registered_projections() if isinstance(p, RecordProjection)]


def test_every_record_table_has_exactly_its_structs_fields(vault):
    records = _records()
    assert len(records) >= 40  # every domain is loaded
    kinds = registered_kinds()
    for p in records:
        struct = kinds[p.put_kind]
        assert struct is p.put, p.name
        fields = [f.name for f in msgspec.structs.fields(struct)]
        table = [(r[1], r[2]) for r in vault.query(f'PRAGMA table_info("{p.table}")')]
        assert [name for name, _ in table] == fields, p.name
        assert dict(table) == p.columns, p.name


class _Thing(msgspec.Struct, kw_only=True):
    id: str
    count: int | msgspec.UnsetType = msgspec.UNSET
    share: float | msgspec.UnsetType | None = msgspec.UNSET
    flag: bool | msgspec.UnsetType = msgspec.UNSET
    blob: bytes | msgspec.UnsetType = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET
    extra: dict[str, int] | None = None
    renamed: str = msgspec.field(default="", name="as_stored")


def test_sql_columns_follow_the_field_types_in_order():
    assert sql_columns(_Thing) == {"id": "TEXT", "count": "INTEGER", "share": "REAL", "flag": "INTEGER",
                                   "blob": "BLOB", "tags": "TEXT", "extra": "TEXT", "renamed": "TEXT"}


def test_an_override_replaces_one_type_and_must_name_a_field():
    assert sql_columns(_Thing, {"share": "TEXT"})["share"] == "TEXT"
    with pytest.raises(ValueError, match="nope"):
        sql_columns(_Thing, {"nope": "TEXT"})


def test_a_field_of_two_types_has_no_column_type():
    class Mixed(msgspec.Struct):
        id: str
        value: int | str

    with pytest.raises(ValueError, match=r"Mixed\.value"):
        sql_columns(Mixed)


def test_the_key_must_be_a_field():
    with pytest.raises(ValueError, match="no key field"):
        RecordProjection("test_thing", _Thing, key="missing")
