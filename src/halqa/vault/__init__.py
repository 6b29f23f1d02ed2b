"""halqa's encrypted core: vault, events, projections, keys.

Public surface (pinned by ``tests/test_public_api.py``)::

    Vault.create(path, passphrase) / Vault.open(path, passphrase)
    vault.append(kind, payload) / vault.transaction() / vault.query(sql, params)
    Vault(storage, projections=...)          # any other backend (the hub's PostgreSQL)
    export_commits / verify_commit / ingest / heads / redact   # moving commits between vaults
    register_kind(kind, Struct) / register_projection(Projection) / RecordProjection
    panic(path) / backup(vault, file) / restore(file, path) / split / combine

Who may author what in a vault (trust roles, clocks, payload checks on import) is
:mod:`halqa.vault.authz`; :func:`ingest` merges only what it approved.
"""

from halqa.vault.backup import backup, restore
from halqa.vault.events import HLC, Commit, Event, register_kind, registered_kinds
from halqa.vault.keyslots import TEST_KDF, KdfParams
from halqa.vault.projections import (
    Projection,
    RecordProjection,
    register_projection,
    registered_projections,
)
from halqa.vault.recovery import Share, combine, split
from halqa.vault.storage import Storage
from halqa.vault.store import Vault, panic, read_header
from halqa.vault.sync import CommitRecord, EventRecord, export_commits, heads, ingest, redact, verify_commit
from halqa.vault.writer import Writer

__all__ = [
    "HLC",
    "TEST_KDF",
    "Commit",
    "CommitRecord",
    "Event",
    "EventRecord",
    "KdfParams",
    "Projection",
    "RecordProjection",
    "Share",
    "Storage",
    "Vault",
    "Writer",
    "backup",
    "combine",
    "export_commits",
    "heads",
    "ingest",
    "panic",
    "read_header",
    "redact",
    "register_kind",
    "register_projection",
    "registered_kinds",
    "registered_projections",
    "restore",
    "split",
    "verify_commit",
]
