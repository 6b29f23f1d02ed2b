"""Commands of halqa.bridge: ``halqa id``, ``halqa contacts``, ``halqa sync``, ``halqa publish``, ``halqa hub``.

Thin: parse, call one library function, render with :func:`emit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from halqa.cli.common import STATE, area_names, confirm, console, emit, json_text, named, open_vault, progress
from halqa.i18n import current_language, t
from halqa.results import to_data
from halqa.vault.outside import remember

if TYPE_CHECKING:
    from halqa.bridge.bundle import BundleSent
    from halqa.bridge.privacy import PublishedTable
    from halqa.vault import Vault

id_app = typer.Typer(no_args_is_help=True, help="This device's identity (keys, fingerprint, QR code).")
contacts_app = typer.Typer(no_args_is_help=True, help="Contacts: devices and allies you exchange bundles with.")
sync_app = typer.Typer(no_args_is_help=True, help="Sealed bundles: export, import, QR codes, local-network push.")
publish_app = typer.Typer(no_args_is_help=True, help="Publishable tables with differential-privacy noise and a budget.")
hub_app = typer.Typer(no_args_is_help=True, help="The allies' hub on PostgreSQL: collect aggregates from many circles.")


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app (and ``halqa config max-clock-ahead``)."""
    for group in app.registered_groups:
        if group.name == "config" and group.typer_instance is not None:
            group.typer_instance.command("max-clock-ahead")(config_max_clock_ahead)
    app.add_typer(id_app, name="id")
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(sync_app, name="sync")
    app.add_typer(publish_app, name="publish")
    app.add_typer(hub_app, name="hub")


def _table(columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(*columns, box=None, show_edge=False)
    for row in rows:
        table.add_row(*("-" if c is None else str(c) for c in row))
    console.print(table)


def _value_names(vault: Any | None) -> dict[str, dict[str, str]]:
    """What a cell's codes are called in the chosen language: areas and themes by their names (a
    hub, which has no vault, knows only the packaged themes; its areas stay codes)."""
    from halqa.listening import themes
    from halqa.listening.text import default_themes

    lang = current_language()
    if vault is None:
        return {"theme": {th["id"]: th.get(lang) or th["id"] for th in default_themes()}}
    return {"area": area_names(vault),
            "theme": {th.id: getattr(th, f"name_{lang}") or th.id for th in themes(vault)}}


def _cells_table(rows: Sequence[Any], names: dict[str, dict[str, str]], columns: Sequence[str] | None = None) -> None:
    """Aggregate cells as a table: headers and codes (areas, themes, datasets) by their names;
    ``columns`` in the order given (by default the cells' own)."""
    data: list[dict[str, Any]] = to_data(rows)
    if not data:
        _table([t("bridge.none")], [])
        return
    columns = [c for c in columns if c in data[0]] if columns is not None else list(data[0])
    _table([t(f"bridge.col_{c}") if t(f"bridge.col_{c}") != f"bridge.col_{c}" else c for c in columns],
           [[named("dataset", row[c]) if c == "dataset" else names.get(c, {}).get(row[c], row[c]) for c in columns]
            for row in data])


def config_max_clock_ahead(
    hours: Annotated[float, typer.Argument(help="Hours an imported entry may be ahead of this device's clock (default 24).")],
) -> None:
    """Refuse imported entries dated more than HOURS ahead of this device's clock."""
    from halqa.vault.authz import set_max_ahead_hours

    with open_vault() as vault:
        set_max_ahead_hours(vault, hours)
    emit({"ok": True, "max_clock_ahead_hours": hours}, lambda d: console.print(t("sync.max_ahead_set", hours=hours)))


# ---------------------------------------------------------------------------- id
@id_app.command("show")
def id_show(
    png: Annotated[Optional[Path], typer.Option("--png", help="Also write the identity QR code as a PNG.")] = None,
    pairing: Annotated[bool, typer.Option("--pairing", help="Also print the pairing text the QR code carries.")] = False,
) -> None:
    """Print this device's fingerprint, age recipient and identity QR code."""
    from halqa.bridge import identity, identity_qr

    with open_vault() as vault:
        ident = identity(vault)
        code = identity_qr(vault, png) if (png or not STATE.json) else ""
    data: dict[str, Any] = {"fingerprint": ident.fingerprint, "age_recipient": ident.age_recipient}
    if pairing:
        data["pairing_text"] = ident.text

    def human(d: dict) -> None:
        console.print(t("bridge.id_fingerprint", fingerprint=d["fingerprint"]))
        console.print(t("bridge.id_recipient", recipient=d["age_recipient"]))
        print(code, end="")
        if pairing:
            print(d["pairing_text"])
        if png:
            console.print(t("bridge.written", path=str(png)))

    emit(data, human)


@id_app.command("export-age-identity")
def id_export(output: Annotated[Path, typer.Option("-o", "--output", help="File for the secret AGE-SECRET-KEY-1... line.")],
              ) -> None:
    """Write this device's age identity (a secret) so a standard age client can open bundles."""
    import os

    from halqa.bridge import age_identity_text

    confirm("bridge.confirm_export_identity", path=str(output))
    with open_vault() as vault:
        output = remember(vault, output, "age_identity")
        secret = age_identity_text(vault)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    emit({"ok": True, "file": str(output)}, lambda d: console.print(t("bridge.written", path=d["file"])))


# ---------------------------------------------------------------------------- contacts
# The ways to give a contact's keys (``add`` and ``rekey``).
AgeRecipient = Annotated[Optional[str], typer.Option("--age-recipient", help="Their age1... key (age-keygen).")]
SigningKey = Annotated[Optional[str], typer.Option("--signing-key", help="Their device signing key (64 hex).")]
PairingText = Annotated[Optional[str], typer.Option("--text", help="Their pairing text (halqa-id:1:...) or age1... key.")]
QrImage = Annotated[Optional[Path], typer.Option("--qr-image", help="A photo or PNG of their identity QR code.")]
Verified = Annotated[Optional[str], typer.Option(
    "--verified", help="How you checked the keys: in-person, qr, phone, messenger or unverified.")]
MemberCircle = Annotated[Optional[str], typer.Option(
    "--circle", help="A member's own circle: its check-ins belong to it (none: no check-ins for any circle).")]


@contacts_app.command("add")
def contacts_add(
    name: Annotated[str, typer.Argument(help="What you call this contact.")],
    age_recipient: AgeRecipient = None,
    signing_key: SigningKey = None,
    text: PairingText = None,
    qr_image: QrImage = None,
    verified: Verified = None,
    role: Annotated[str, typer.Option(
        "--role", help="What they are to this vault: device, member, ally (default), circle or hub.")] = "ally",
    household: Annotated[Optional[str], typer.Option("--household", help="A member's own household (pseudonym).")] = None,
    pseudonym: Annotated[Optional[str], typer.Option("--pseudonym", help="A member's own pseudonym.")] = None,
    circle: MemberCircle = None,
) -> None:
    """Add a contact from their key, pairing text or QR code, with its role and how it was verified."""
    from halqa.bridge import add_contact

    with open_vault() as vault:
        c = add_contact(vault, name, text=text, age_recipient=age_recipient, signing_key=signing_key,
                        qr_image=qr_image, verified=verified, role=role, household=household, pseudonym=pseudonym,
                        circle=circle)
    emit(c, lambda d: console.print(t("bridge.contact_added", name=d.name, fingerprint=d.fingerprint,
                                               verified=named("verified", d.verified))
                                             + " " + t("bridge.contact_role", role=named("role", d.role))))


@contacts_app.command("list")
def contacts_list() -> None:
    """List contacts with their roles, fingerprints and how they were verified."""
    from halqa.bridge import contacts

    with open_vault() as vault:
        rows = contacts(vault)
    emit(rows, lambda d: _table([t("bridge.col_name"), t("bridge.col_role"), t("bridge.col_fingerprint"),
                                 t("bridge.col_verified"), t("bridge.col_added"), t("bridge.col_can_send")],
                                [[c.name, named("role", c.role) if c.confirmed
                                  else t("bridge.role_unconfirmed", role=named("role", c.role)),
                                  c.fingerprint, named("verified", c.verified), c.added,
                                  t("bridge.yes") if c.signing_key else t("bridge.no")] for c in d]))


@contacts_app.command("set-role")
def contacts_set_role(
    name: Annotated[str, typer.Argument(help="The contact's name.")],
    role: Annotated[str, typer.Argument(help="device, member, ally, circle or hub.")],
    household: Annotated[Optional[str], typer.Option("--household", help="A member's own household (pseudonym).")] = None,
    pseudonym: Annotated[Optional[str], typer.Option("--pseudonym", help="A member's own pseudonym.")] = None,
    circle: MemberCircle = None,
) -> None:
    """Change what a contact is to this vault (a device is trusted with everything: you are asked)."""
    from halqa.bridge import get_contact, set_role

    with open_vault() as vault:
        c = get_contact(vault, name)
        if role == "device":
            confirm("bridge.confirm_device", name=c.name, fingerprint=c.fingerprint)
        c = set_role(vault, name, role, household=household, pseudonym=pseudonym, circle=circle)
    emit(c, lambda d: console.print(t("bridge.role_set", name=d.name, role=named("role", d.role))))


@contacts_app.command("confirm-roles")
def contacts_confirm_roles(
    device: Annotated[Optional[list[str]], typer.Option(
        "--device", help="A contact that is another device of this circle (repeatable); the others become allies.")] = None,
) -> None:
    """Confirm the roles of contacts added before roles existed: each becomes a device only if you
    say so (asked one by one, or named with --device), otherwise an ally."""
    import sys

    from halqa.bridge import set_role, unconfirmed

    listed = set(device or ())
    done = []
    with open_vault() as vault:
        for c in unconfirmed(vault):
            if device is not None:
                is_device = c.name in listed
            elif sys.stdin.isatty() and not STATE.json:
                is_device = typer.confirm(t("bridge.ask_device", name=c.name, fingerprint=c.fingerprint), default=False)
            else:
                is_device = False
            done.append(set_role(vault, c.name, "device" if is_device else "ally"))

    def human(d: list) -> None:
        for c in d:
            console.print(t("bridge.role_set", name=c.name, role=named("role", c.role)))
        if not d:
            console.print(t("bridge.roles_all_confirmed"))

    emit(done, human)


@contacts_app.command("rekey")
def contacts_rekey(
    name: Annotated[str, typer.Argument(help="The contact's name.")],
    age_recipient: AgeRecipient = None,
    signing_key: SigningKey = None,
    text: PairingText = None,
    qr_image: QrImage = None,
    verified: Verified = None,
) -> None:
    """Replace a contact's keys, after showing the old and new fingerprints and asking (or --yes)."""
    from halqa.bridge import rekey_contact

    def ask(old: str, new: str) -> bool:
        confirm("bridge.confirm_rekey", name=name, old=old, new=new)
        return True

    with open_vault() as vault:
        c = rekey_contact(vault, name, text=text, age_recipient=age_recipient, signing_key=signing_key,
                          qr_image=qr_image, verified=verified, confirm=ask)
    emit(c, lambda d: console.print(t("bridge.rekeyed" if d.changed else "bridge.rekey_same",
                                               name=d.name, fingerprint=d.fingerprint)))


@contacts_app.command("remove")
def contacts_remove(name: Annotated[str, typer.Argument(help="The contact's name.")]) -> None:
    """Forget a contact (on every device of the circle, as the change travels)."""
    from halqa.bridge import remove_contact

    with open_vault() as vault:
        c = remove_contact(vault, name)
    emit({"ok": True, "name": c.name}, lambda d: console.print(t("bridge.contact_removed", name=d["name"])))


# ---------------------------------------------------------------------------- sync
@sync_app.command("export")
def sync_export(
    to: Annotated[list[str], typer.Option("--to", help="Contact to seal the bundle to (repeatable).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Bundle file to write (an age file).")],
    since: Annotated[Optional[str], typer.Option("--since", help="Only commits from this day or time on (ISO).")] = None,
    kinds: Annotated[Optional[str], typer.Option("--kinds", help="Only these event kinds' contents (comma-separated).")] = None,
    aggregate_only: Annotated[bool, typer.Option(
        "--aggregate-only", help="Only counts, even for a device: no members, households or text.")] = False,
    everything: Annotated[bool, typer.Option(
        "--full", "--all", help="Every commit, not only what the recipients lack (device contacts only).")] = False,
    threshold: Annotated[int, typer.Option("--threshold", help="Suppress aggregate cells below this count.")] = 5,
    label: Annotated[str, typer.Option("--label", help="A label for this circle in aggregate bundles.")] = "",
) -> None:
    """Seal what the recipients' roles may receive into a bundle file: commits they lack for this
    circle's devices, aggregates (small cells suppressed) for everyone else."""
    from halqa.bridge import export_bundle

    kind_list = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    with open_vault() as vault:
        output = remember(vault, output, "bundle")
        res = export_bundle(vault, to, output, since=since, kinds=kind_list, aggregate_only=aggregate_only or None,
                            everything=everything, threshold=threshold, label=label)

    def human(d: BundleSent) -> None:
        console.print(t("bridge.exported", file=d.file, commits=d.commits, events=d.events,
                        recipients=", ".join(d.recipients), bytes=d.size))
        for ds, s in (d.aggregates or {}).items():
            console.print(t("bridge.exported_aggregates", dataset=named("dataset", ds), cells=s.cells,
                            suppressed=s.suppressed))

    emit(res, human)


@sync_app.command("import")
def sync_import(
    file: Annotated[Path, typer.Argument(help="Bundle file (an age file sealed to this device), or a phone's outbox.")],
    max_mb: Annotated[int, typer.Option("--max-mb", help="Refuse bundles larger than this many MiB.")] = 1024,
) -> None:
    """Verify a bundle (or a member phone's outbox file) completely and merge it (nothing is
    written if anything is wrong)."""
    from halqa.bridge import import_bundle, import_outbox, is_outbox
    from halqa.bridge.bundle import read_bundle_file

    data = read_bundle_file(file, max_bytes=max_mb << 20)
    if is_outbox(data):
        with open_vault() as vault:
            got = import_outbox(vault, data)
        emit(got, lambda d: console.print(t("outbox.imported", added=d.added, events=d.events, duplicates=d.duplicates)))
        return
    with open_vault() as vault:
        res = import_bundle(vault, data, max_bytes=max_mb << 20)
    emit(res.counts(), lambda d: console.print(t("bridge.imported", new=d.commits_new, known=d.commits_known,
                                                 events=d.events_new)))


@contextmanager
def _listed_if_vault() -> Iterator[Callable[[Path, str], Path]]:
    """``where(path, kind)`` for a file about to be written: with a vault, it goes through
    :func:`remember` (a relative path into the vault's output folder, listed for panic; the vault
    is unlocked for that); without one (an ally's laptop before ``halqa init``), it is the path
    as given."""
    from halqa.vault.store import HEADER_FILE

    if not (STATE.vault_path / HEADER_FILE).exists():
        yield lambda path, kind: path
        return
    with open_vault() as vault:
        yield lambda path, kind: remember(vault, path, kind)


@sync_app.command("qr")
def sync_qr(
    file: Annotated[Path, typer.Argument(help="A small bundle file.")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Folder for one PNG per code.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Draw the codes in the terminal.")] = False,
) -> None:
    """Turn a small bundle into a sequence of QR codes (PNG files and/or on screen)."""
    from halqa.bridge import qr_images
    from halqa.bridge.bundle import read_bundle_file
    from halqa.bridge.qr import MAX_QR_BUNDLE, frames, terminal_codes

    data = read_bundle_file(file, max_bytes=MAX_QR_BUNDLE)
    paths: list[str] = []
    if output:
        with _listed_if_vault() as where:
            paths = [str(p) for p in qr_images(data, output, before=lambda p: where(p, "bundle_qr"))]
    res = {"codes": len(frames(data)), "files": paths}

    def human(d: dict) -> None:
        if show:
            for i, code in enumerate(terminal_codes(data), 1):
                console.print(t("bridge.qr_code_n", i=i, n=d["codes"]))
                print(code, end="")
        console.print(t("bridge.qr_made", n=d["codes"], folder=str(Path(paths[0]).parent) if paths else "-"))

    emit(res, human)


@sync_app.command("unqr")
def sync_unqr(
    images: Annotated[list[Path], typer.Argument(help="Photos or PNGs of the QR codes, in any order.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Bundle file to write.")],
) -> None:
    """Scan a QR-code sequence back from images into a bundle file (then 'halqa sync import')."""
    from halqa.bridge import join_frames, scan_texts
    from halqa.bridge.bundle import _write_atomic

    data = join_frames(scan_texts(images))
    with _listed_if_vault() as where:
        output = where(output, "bundle")
        _write_atomic(output, data)
    emit({"ok": True, "file": str(output), "bytes": len(data)},
         lambda d: console.print(t("bridge.written", path=d["file"])))


@sync_app.command("listen")
def sync_listen(
    host: Annotated[str, typer.Option("--host", help="This device's Wi-Fi address to listen on, e.g. 192.168.1.20 "
                                      "(default 127.0.0.1: this device only; never every network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 47113,
    forever: Annotated[bool, typer.Option("--forever", help="Keep accepting pushes (default: stop after one succeeds).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Stop waiting after this many seconds.")] = 300.0,
) -> None:
    """Wait for a paired device to push a bundle over the local network, and import it."""
    from halqa.bridge import serve_push

    with open_vault() as vault:
        if not STATE.json:
            console.print(t("bridge.listening", host=host, port=port))
        results = serve_push(vault, host, port, once=not forever, timeout=timeout)

    def human(d: list) -> None:
        for r in d:
            if r.error:
                console.print(t("bridge.push_refused", error=t(r.error)))
            else:
                console.print(t("bridge.imported", new=r.commits_new, known=r.commits_known, events=r.events_new))

    emit(results, human)
    if results and all(r.error for r in results):  # refused strays do not undo a push that worked
        raise typer.Exit(2)


@sync_app.command("push")
def sync_push(
    name: Annotated[str, typer.Argument(help="The contact to push to.")],
    address: Annotated[str, typer.Option("--address", help="Their HOST:PORT (shown by 'halqa sync listen').")],
    everything: Annotated[bool, typer.Option("--all", help="Everything, not only what they lack.")] = False,
) -> None:
    """Push what a paired device lacks straight to it over the local network."""
    from halqa.bridge import push_bundle

    with open_vault() as vault:
        res = push_bundle(vault, name, address, everything=everything)
    emit(res, lambda d: console.print(t("bridge.pushed", name=name, commits=d.sent.commits, new=d.received.commits_new)))


@sync_app.command("aggregates")
def sync_aggregates(
    threshold: Annotated[int, typer.Option("--threshold", help="Suppress cells below this count.")] = 5,
) -> None:
    """Preview what an aggregate-only bundle would carry (nothing is written)."""
    from halqa.bridge import aggregate_tables

    with open_vault() as vault:
        tables = aggregate_tables(vault, threshold)

    def human(d: dict) -> None:
        for ds, v in d.items():
            console.print(t("bridge.exported_aggregates", dataset=named("dataset", ds), cells=len(v.cells),
                            suppressed=v.suppressed))
            _table([t("bridge.col_area"), t("bridge.col_theme"), t("bridge.col_period"), t("bridge.col_value"), "n"],
                   [list(c) for c in v.cells[:40]])

    emit(tables, human)


@sync_app.command("received")
def sync_received(
    dataset: Annotated[str, typer.Option("--dataset", help="grievances or outages.")] = "grievances",
    by: Annotated[str, typer.Option("--by", help="Group by (comma-separated): source, area, theme, period.")] = "theme,period",
) -> None:
    """Aggregates received from other circles, summed across them."""
    from halqa.bridge import received_aggregates

    keys = tuple(b.strip() for b in by.split(",") if b.strip())
    with open_vault() as vault:
        rows = received_aggregates(vault, dataset, keys)
        names = _value_names(vault)
    emit(rows, lambda d: _cells_table(d, names, (*keys, "value", "n", "circles")))


# ---------------------------------------------------------------------------- publish
@publish_app.command("table")
def publish_table_cmd(
    dataset: Annotated[str, typer.Argument(help="grievances or outages.")],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy cost of this table (spent from the budget).")],
    threshold: Annotated[int, typer.Option("--threshold", help="Withhold cells whose noisy count is below this.")] = 5,
    max_themes: Annotated[int, typer.Option("--max-themes", help="Themes counted per grievance (sensitivity).")] = 3,
    first: Annotated[Optional[str], typer.Option("--from", help="First day (ISO).")] = None,
    last: Annotated[Optional[str], typer.Option("--to", help="Last day (ISO).")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write the table as CSV (.csv) or JSON.")] = None,
) -> None:
    """Produce a publishable table with differential-privacy noise, spending from the dataset's budget."""
    from halqa.bridge import publish_table

    with open_vault() as vault:
        output = remember(vault, output, "table") if output is not None else None
        res = publish_table(vault, dataset, epsilon, threshold=threshold, max_themes=max_themes, first=first, last=last)
        names = _value_names(vault)
    if output is not None:
        _write_table(output, res)

    def human(_: Any) -> None:
        console.print(t("bridge.published", dataset=named("dataset", res.dataset), cells=len(res.cells),
                        suppressed=res.suppressed, epsilon=res.epsilon, remaining=res.budget.remaining))
        console.print(t("bridge.published_error", error=res.error95, typical=res.typical_count or "-",
                        relative=res.relative_error_typical if res.relative_error_typical is not None else "-"))
        if not output:
            _cells_table(res.cells[:60], names)

    emit(res if output is None else {**to_data(res), "file": str(output)}, human)


def _write_table(path: Path, res: PublishedTable) -> None:
    from halqa.bridge.bundle import _write_atomic
    from halqa.bridge.privacy import table_csv

    if path.suffix.lower() == ".csv":
        data = table_csv(res.cells)
    else:
        data = json_text(to_data(res), indent=2).encode()
    _write_atomic(path, data)


@publish_app.command("budget")
def publish_budget(
    dataset: Annotated[Optional[str], typer.Argument(help="grievances or outages (omit to list all).")] = None,
    set_to: Annotated[Optional[float], typer.Option("--set", help="Set the dataset's total budget (epsilon).")] = None,
) -> None:
    """Show the privacy budgets (total, spent, remaining), or set one with --set."""
    from halqa.bridge import budget, set_budget
    from halqa.errors import InvalidInput

    with open_vault() as vault:
        if set_to is not None:
            if not dataset:
                raise InvalidInput("bridge.need_dataset")
            set_budget(vault, dataset, set_to)
        data = budget(vault)
    if dataset:
        data = {dataset: data[dataset]} if dataset in data else data
    emit(data, lambda d: _table([t("bridge.col_dataset"), t("bridge.col_total"), t("bridge.col_spent"),
                                 t("bridge.col_remaining"), t("bridge.col_publications")],
                                [[named("dataset", k), v.total, v.spent, v.remaining, v.publications]
                                 for k, v in d.items()]))


# ---------------------------------------------------------------------------- hub
def _hub(url: str, create: bool = False) -> Vault:
    """Open (or create) the hub with every domain loaded: a full import verifies commits of any kind."""
    from halqa.bridge import hub_init, hub_open
    from halqa.domains import load

    load()
    return hub_init(url) if create else hub_open(url)


@hub_app.command("init")
def hub_init_cmd(url: Annotated[str, typer.Argument(help="postgresql://user@host:port/database (an empty database).")]) -> None:
    """Create the hub's tables and keys in an empty PostgreSQL database."""
    from halqa.bridge import identity

    hub = _hub(url, create=True)
    try:
        ident = identity(hub)
    finally:
        hub.close()
    data = {"fingerprint": ident.fingerprint, "age_recipient": ident.age_recipient, "pairing_text": ident.text}
    emit(data, lambda d: console.print(t("bridge.hub_created", recipient=d["age_recipient"], fingerprint=d["fingerprint"])))


@hub_app.command("id")
def hub_id(url: Annotated[str, typer.Argument(help="The hub's postgresql:// URL.")]) -> None:
    """The hub's identity: give circles its pairing text so they can seal bundles to it."""
    from halqa.bridge import identity

    hub = _hub(url)
    try:
        ident = identity(hub)
    finally:
        hub.close()
    data = {"fingerprint": ident.fingerprint, "age_recipient": ident.age_recipient, "pairing_text": ident.text}
    emit(data, lambda d: console.print(f"{d['fingerprint']}\n{d['pairing_text']}"))


@hub_app.command("add-circle")
def hub_add_circle(
    url: Annotated[str, typer.Argument(help="The hub's postgresql:// URL.")],
    name: Annotated[str, typer.Argument(help="What the hub calls this circle.")],
    text: Annotated[str, typer.Option("--text", help="The circle device's pairing text (halqa id show --pairing).")],
    verified: Annotated[str, typer.Option("--verified", help="How the key was checked.")] = "unverified",
) -> None:
    """Accept bundles from a circle's device (its pairing text names both keys)."""
    from halqa.bridge import add_contact

    hub = _hub(url)
    try:
        c = add_contact(hub, name, text=text, verified=verified, role="circle")
    finally:
        hub.close()
    emit(c, lambda d: console.print(t("bridge.contact_added", name=d.name, fingerprint=d.fingerprint,
                                      verified=named("verified", d.verified))))


@hub_app.command("import")
def hub_import(
    url: Annotated[str, typer.Argument(help="The hub's postgresql:// URL.")],
    files: Annotated[list[Path], typer.Argument(help="Bundle files sealed to the hub.")],
    full: Annotated[bool, typer.Option(
        "--full", help="Also take commit bundles (still only what each author's role may author here).")] = False,
) -> None:
    """Import bundles from circles into the hub (each verified; bad ones reported, good ones kept)."""
    from halqa.bridge.hub import HubImport, import_many

    hub = _hub(url)
    try:
        with progress("progress.hub_import") as step:
            res = import_many(hub, files, accept=("aggregates", "commits") if full else ("aggregates",), progress=step)
    finally:
        hub.close()

    def human(d: HubImport) -> None:
        console.print(t("bridge.hub_imported", ok=d.imported, commits=d.commits_new, events=d.events_new))
        for bad in d.rejected:
            console.print(t("bridge.hub_rejected", file=bad.file, error=bad.message))

    emit(res, human)
    if res.rejected:
        raise typer.Exit(2)


@hub_app.command("query")
def hub_query(
    url: Annotated[str, typer.Argument(help="The hub's postgresql:// URL.")],
    dataset: Annotated[str, typer.Option("--dataset", help="grievances or outages.")] = "grievances",
    by: Annotated[str, typer.Option("--by", help="Group by (comma-separated): source, area, theme, period.")] = "theme,period",
) -> None:
    """Aggregates across every circle that sent bundles to the hub."""
    from halqa.bridge import received_aggregates

    keys = tuple(b.strip() for b in by.split(",") if b.strip())
    hub = _hub(url)
    try:
        rows = received_aggregates(hub, dataset, keys)
    finally:
        hub.close()
    emit(rows, lambda d: _cells_table(d, _value_names(None), (*keys, "value", "n", "circles")))
