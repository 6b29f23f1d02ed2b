"""The public surface of the core is small and pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import halqa
import halqa.vault


def test_vault_api():
    assert sorted(halqa.vault.__all__) == sorted([
        "Commit", "CommitRecord", "EventRecord", "Event", "HLC", "KdfParams", "Projection",
        "RecordProjection", "Share", "Storage", "TEST_KDF", "Vault", "Writer", "backup", "combine",
        "export_commits", "heads", "ingest", "panic", "read_header", "redact", "register_kind",
        "register_projection", "registered_kinds", "registered_projections", "restore", "split", "verify_commit",
    ])
    for name in halqa.vault.__all__:
        assert getattr(halqa.vault, name).__doc__ or name in {"TEST_KDF"}, name


def test_vault_methods_documented():
    for name in ("create", "open", "append", "transaction", "query", "events", "rebuild", "info",
                 "change_passphrase", "set_duress", "set_wipe_after"):
        assert getattr(halqa.vault.Vault, name).__doc__, name


def test_root():
    assert halqa.__all__ == ["HalqaError", "__version__"]


def test_values_api():
    """Days, ids and JSON columns: the one definition every domain uses (docs/contributing.md)."""
    from halqa.vault import values

    assert sorted(values.__all__) == sorted([
        "ID_BYTES", "check_day", "check_stored_day", "day_of_ms", "day_start_ms", "json_dict", "json_list", "json_text", "new_id",
        "today", "today_date",
    ])
    for name in values.__all__:
        assert getattr(values, name).__doc__ or name == "ID_BYTES", name
