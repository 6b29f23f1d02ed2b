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
is stored whatever its kind. At a thousand circles (docs/scaling.md) two things keep it fast:
:func:`import_many` checks bundles one by one but merges them in batches (one transaction, one
projection catch-up, in clock order), and ``hub_area_month`` keeps each circle's newest snapshot
summed per area and month, so the cross-circle question (:func:`area_months`) reads thousands of
rows, not millions of cells. The hub holds its device keys in the ``secrets`` table: keep the
database on an encrypted disk and restrict who can connect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from halqa.bridge.aggregates import DATASETS
from halqa.bridge.bundle import check_opened, import_bundle, note_bundle, open_bundle, read_bundle_file
from halqa.bridge.read import AreaMonth, aggregate_sources, area_totals, bundles_seen, import_grants, sender_keys
from halqa.errors import HalqaError, InvalidInput
from halqa.vault import Vault, ingest
from halqa.vault.authz import authorise
from halqa.vault.projections import Projection, registered_projections
from halqa.vault.storage.postgres import PostgresStorage
from halqa.vault.store import init_storage

__all__ = ["HUB_PROJECTIONS", "HubImport", "HubInfo", "RejectedBundle", "area_months", "hub_info", "hub_init", "hub_open",
           "hub_projections", "import_many"]

#: Projections maintained on the hub (their SQL runs on both dialects).
HUB_PROJECTIONS = ("bridge_contact", "bridge_known", "bridge_seen", "bridge_aggregate", "authz_owner", "hub_area_month")

#: Bundles merged per transaction by :func:`import_many` (each is still checked on its own).
BATCH = 200


def area_months(store: Vault, dataset: str = "outages") -> list[AreaMonth]:
    """Per area and month, across every circle's newest snapshot: ``value`` and ``n`` summed and
    how many ``circles`` sent that cell. Works on the hub and on a vault (which counts its own
    snapshots too)."""
    if dataset not in DATASETS:
        raise InvalidInput("bridge.bad_dataset", dataset=dataset, datasets=", ".join(DATASETS))
    return area_totals(store, dataset)


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


class HubInfo(msgspec.Struct, kw_only=True, frozen=True):
    """What the hub holds: the vault's counts (:meth:`halqa.vault.Vault.info`, a hub has no
    passphrase header) and how many circles sent aggregates."""

    events: int
    commits: int
    devices: int
    created: str | None
    schema: int
    vault_id: str | None
    device: str
    kinds: dict[str, int]
    projections: list[str]
    circles: int


def hub_info(hub: Vault) -> HubInfo:
    """What the hub holds: the vault's counts and how many circles sent aggregates."""
    return msgspec.convert({**hub.info(), "circles": aggregate_sources(hub)}, HubInfo)


def hub_projections() -> list[Projection]:
    """The projections the hub maintains."""
    return [p for p in registered_projections() if p.name in HUB_PROJECTIONS]


class RejectedBundle(msgspec.Struct, kw_only=True, frozen=True):
    """A bundle :func:`import_many` refused: its file (``#N`` for bytes), the message id and text."""

    file: str
    error: str
    message: str


class HubImport(msgspec.Struct, kw_only=True):
    """What :func:`import_many` did: bundles imported, commits and events new or already known,
    and the bundles refused with their reasons."""

    imported: int = 0
    commits_new: int = 0
    commits_known: int = 0
    events_new: int = 0
    rejected: list[RejectedBundle] = msgspec.field(default_factory=list)


def import_many(store: Vault, files: Iterable[str | Path | bytes], accept: Sequence[str] = ("aggregates",),
                progress: Callable[[int, int], None] | None = None, batch: int = BATCH) -> HubImport:
    """Import many bundles (into a hub or a vault): each one verified on its own, bad ones
    reported with their reason and skipped, good ones kept. By default only aggregate bundles are
    taken, so no circle's member data lands on a hub by mistake.

    The good bundles of each ``batch`` are authorised together and merged in one transaction, in
    the order of their clocks (so the projections fold on instead of starting again); if the
    batch is refused as a whole (an author's role, a conflict), its bundles are imported one by one
    and only the offending ones are reported."""
    out = HubImport()
    files = list(files)
    for start in range(0, len(files), max(1, batch)):
        opened: list[tuple[int, Any, list[Any]]] = []
        refused: list[tuple[int, HalqaError]] = []
        for i in range(start, min(start + max(1, batch), len(files))):
            if progress is not None:
                progress(i, len(files))
            try:
                opened.append((i, *open_bundle(store, read_bundle_file(files[i]))))
            except HalqaError as err:
                refused.append((i, err))
        # check_bundle's checks, with the senders and the ids already imported asked once for the batch.
        senders = sender_keys(store)
        known = lambda key, senders=senders: key.hex() in senders  # noqa: E731 - bound to this batch's senders
        imported = bundles_seen(store, [header.bundle_id.hex() for _, header, _ in opened])
        checked: list[tuple[int, Any, Any, list[Any]]] = []
        seen: set[str] = set()
        for i, header, records in opened:
            try:
                check_opened(store, header, records, accept, seen, known, imported.__contains__)
            except HalqaError as err:
                refused.append((i, err))
                continue
            seen.add(header.bundle_id.hex())
            checked.append((i, files[i], header, records))
        for i, error in sorted(refused, key=lambda r: r[0]):
            _reject(out, i, files[i], error)
        if checked:
            _merge(store, checked, accept, out)
    return out


def _reject(out: HubImport, i: int, f: str | Path | bytes, err: HalqaError) -> None:
    name = f"#{i + 1}" if isinstance(f, bytes) else str(f)
    out.rejected.append(RejectedBundle(file=name, error=err.msg_id, message=err.render()))


def _merge(store: Vault, checked: list[tuple[int, Any, Any, list[Any]]], accept: Sequence[str], out: HubImport) -> None:
    checked.sort(key=lambda c: min((r.hlc for r in c[3]), default=0))
    records = [r for c in checked for r in c[3]]
    try:
        approved = authorise(store, records, import_grants(store, records))
        with store.transaction() as tx:
            for c in checked:
                note_bundle(tx, c[2])
            tx.flush()  # our own events take their ids before the merge adds more
            counts = ingest(store, approved)
    except HalqaError:
        for i, f, _, _ in sorted(checked, key=lambda c: c[0]):  # one by one, in the order given
            try:
                res = import_bundle(store, f, accept=accept)
            except HalqaError as err:
                _reject(out, i, f, err)
                continue
            out.imported += 1
            out.commits_new += res.commits_new
            out.commits_known += res.commits_known
            out.events_new += res.events_new
        return
    out.imported += len(checked)
    out.commits_new += counts["commits"]
    out.commits_known += counts["duplicates"]
    out.events_new += counts["events"]
