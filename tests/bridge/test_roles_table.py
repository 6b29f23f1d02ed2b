"""The kinds-per-role table in docs/threat-model.md is the one in the code."""

from __future__ import annotations

from pathlib import Path

from halqa import domains
from halqa.vault import registered_kinds
from halqa.vault.authz import AUTHOR, ROLES, Grant, roles_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"
BEGIN, END = "<!-- roles table: generated, do not edit by hand -->\n", "<!-- end of roles table -->"


def test_threat_model_table_matches_the_code():
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert text.split(BEGIN, 1)[1].split(END, 1)[0] == roles_markdown()


def test_every_role_is_in_the_table_and_every_listed_kind_exists():
    domains.load()
    table = roles_markdown()
    assert all(f"| `{role}` |" in table for role in ROLES)
    kinds = registered_kinds()
    for rules in AUTHOR.values():
        for rule in rules:
            assert rule.kind in kinds, rule.kind
            fields = kinds[rule.kind].__struct_fields__
            for name in (rule.owned, *(f for f, _ in rule.scope), rule.parent and rule.parent[0]):
                assert not name or name in fields, (rule.kind, name)
            assert all(attribute in Grant.__dataclass_fields__ for _, attribute in rule.scope), rule.kind
    # Trust decisions never leave the device role.
    assert not any(r.kind.startswith(("bridge_contact.", "vault.")) for rules in AUTHOR.values() for r in rules)
