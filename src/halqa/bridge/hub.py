"""The allies' hub: a vault whose storage is PostgreSQL.

Allies abroad who collect aggregate bundles from many circles keep them in PostgreSQL instead of
the embedded SQLCipher file. A hub is a plain :class:`halqa.vault.Vault` on
:class:`halqa.vault.storage.postgres.PostgresStorage`: the same core tables (made by the
PostgreSQL migration list, never copied), the same writer, the same :func:`halqa.vault.ingest`
(signature checks, set union, forks, redaction), the same authorisation of every event against its
author's role (:func:`halqa.vault.authz.authorise`: circles are ``circle`` contacts and may send
aggregates only), the same bundle import (:func:`halqa.bridge.import_bundle`), and the bridge's
projections folded by the same code.

Only projections whose SQL both dialects accept run on the hub (``HUB_PROJECTIONS``); every event
is stored whatever its kind. The hub holds its device keys in the ``secrets`` table: keep the
database on an encrypted disk and restrict who can connect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from halqa.errors import InvalidInput
from halqa.vault import Vault
from halqa.vault.projections import Projection, registered_projections
from halqa.vault.storage.postgres import PostgresStorage
from halqa.vault.store import init_storage

__all__ = ["HUB_PROJECTIONS", "hub_info", "hub_init", "hub_open", "hub_projections", "import_many"]

#: Projections maintained on the hub (their SQL runs on both dialects).
HUB_PROJECTIONS = ("bridge_contact", "bridge_known", "bridge_seen", "bridge_aggregate", "authz_owner")


def _redact_dsn(dsn: str) -> str:
    return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", dsn)


def _storage(dsn: str) -> PostgresStorage:
    if not re.match(r"^postgres(ql)?://", dsn):
        raise InvalidInput("bridge.hub_bad_url", url=_redact_dsn(dsn))
    return PostgresStorage(dsn)


def hub_init(dsn: str) -> Vault:
    """Create the hub's tables and keys in an empty PostgreSQL database and open it.

    The caller (a face) loads the domains first (``halqa.domains.load``): a full import verifies commits of any kind."""
    storage = _storage(dsn)
    try:
        if not storage.is_empty():
            raise InvalidInput("bridge.hub_exists", url=_redact_dsn(dsn))
        init_storage(storage, {"backend": "postgresql"}, label="hub")
        return Vault(storage, projections=HUB_PROJECTIONS)
    except BaseException:
        storage.close()
        raise


def hub_open(dsn: str) -> Vault:
    """Open an existing hub (after ``halqa.domains.load``, as for :func:`hub_init`); a hub made by an
    older halqa gets the migrations it lacks."""
    storage = _storage(dsn)
    try:
        if storage.is_empty():
            raise InvalidInput("bridge.hub_missing", url=_redact_dsn(dsn))
        storage.migrate(_now())
        return Vault(storage, projections=HUB_PROJECTIONS)
    except BaseException:
        storage.close()
        raise


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat()


def hub_info(hub: Vault) -> dict[str, Any]:
    """What the hub holds: the vault's counts and how many circles sent aggregates."""
    info = hub.info()
    row = hub.query_one("SELECT count(DISTINCT source) FROM bridge_aggregate")
    return {**info, "circles": int(row[0]) if row else 0}


def hub_projections() -> list[Projection]:
    """The projections the hub maintains."""
    return [p for p in registered_projections() if p.name in HUB_PROJECTIONS]


def import_many(store: Vault, files: Iterable[str | Path | bytes], accept: Sequence[str] = ("aggregates",),
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import many bundles (into a hub or a vault): each one verified and merged on its own, bad
    ones reported with their reason and skipped, good ones kept. By default only aggregate
    bundles are taken, so no circle's member data lands on a hub by mistake."""
    from halqa.bridge.bundle import import_bundle
    from halqa.errors import HalqaError

    out: dict[str, Any] = {"imported": 0, "commits_new": 0, "commits_known": 0, "events_new": 0, "rejected": []}
    files = list(files)
    for i, f in enumerate(files):
        if progress is not None:
            progress(i, len(files))
        try:
            res = import_bundle(store, f, accept=accept)
        except HalqaError as err:
            name = f"#{i + 1}" if isinstance(f, bytes) else str(f)
            out["rejected"].append({"file": name, "error": err.msg_id, "message": err.render()})
            continue
        out["imported"] += 1
        for k, v in res.as_dict().items():
            out[k] += v
    return out
