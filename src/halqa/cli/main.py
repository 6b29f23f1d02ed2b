"""The ``halqa`` command: the vault's commands, and the domains' command groups mounted below.

Exit codes: 0 ok, 1 unexpected failure, 2 invalid input or usage, 3 wrong passphrase or locked
vault, 4 corrupt or unreadable vault (docs/user-guide.md).
"""

from __future__ import annotations

import importlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from halqa.cli.common import (
    STATE,
    _read_secret_file,
    confirm,
    console,
    emit,
    fail,
    hoist_global_options,
    label,
    named,
    new_passphrase,
    open_vault,
    passphrase,
    progress,
)
from halqa.errors import HalqaError, InvalidInput, VaultCorrupt
from halqa.i18n import set_language, t
from halqa.results import to_data
from halqa.vault.integrity import integrity_problems

app = typer.Typer(name="halqa", no_args_is_help=True, add_completion=False,
                  help="halqa: an encrypted toolkit for mutual-aid circles.")
duress_app = typer.Typer(no_args_is_help=True, help="Duress passphrase (opens a decoy vault).")
recovery_app = typer.Typer(no_args_is_help=True, help="k-of-n recovery shares of the vault key.")
config_app = typer.Typer(no_args_is_help=True, help="Vault settings.")
app.add_typer(duress_app, name="duress")
app.add_typer(recovery_app, name="recovery")
app.add_typer(config_app, name="config")

#: Each domain's commands live in its own module, which adds them with ``register(app)``.
CLI_MODULES: tuple[str, ...] = tuple(
    f"halqa.cli.{name}" for name in
    ("listening", "ledger", "circles", "mutual_aid", "learning", "institutions", "bridge", "publish", "web", "places"))
for _module in CLI_MODULES:
    importlib.import_module(_module).register(app)


@app.callback()
def _global(
    vault: Annotated[Optional[Path], typer.Option("--vault", help="Vault folder (env HALQA_VAULT).")] = None,
    passphrase_file: Annotated[Optional[Path], typer.Option(
        "--passphrase-file", help="Read the passphrase from this file (else env HALQA_PASSPHRASE, else a prompt).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Skip confirmations.")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help="ar (default), ckb or en (env HALQA_LANG).")] = None,
) -> None:
    STATE.vault, STATE.passphrase_file, STATE.json, STATE.yes = vault, passphrase_file, json_out, yes
    set_language(lang)


#: Summary fields whose values are fixed words with names (``--json`` keeps the words).
_NAMED_FIELDS = {"ally_role": "role", "bundle_kind": "bundle"}


def _kv_table(data: dict) -> None:
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        if isinstance(value, bool) or key in _NAMED_FIELDS:
            value = named(_NAMED_FIELDS.get(key, ""), value)
        elif isinstance(value, dict):
            # keys inside a value are mostly codes (areas, circles, currencies): kept unless named
            value = ", ".join(f"{label('field', str(k), str(k))}: {v}" for k, v in value.items()) or "-"
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        table.add_row(label("field", key), str(value))
    console.print(table)


# ---------------------------------------------------------------------------- the vault
@app.command()
def init(
    kdf_memory: Annotated[int, typer.Option(help="Argon2id memory in MiB.")] = 256,
    kdf_time: Annotated[int, typer.Option(help="Argon2id passes.")] = 5,
    kdf_lanes: Annotated[int, typer.Option(help="Argon2id lanes.")] = 2,
) -> None:
    """Create a new encrypted vault (and its decoy)."""
    from halqa.domains import create_vault
    from halqa.vault import KdfParams

    path = STATE.vault_path
    pw = passphrase(confirm_twice=True)
    if len(pw) < 8:
        raise InvalidInput("error.passphrase_short")
    kdf = KdfParams(kdf_time, kdf_memory * 1024, kdf_lanes)
    # Only the test suite (tests/conftest.py) makes fast, weak vaults; nobody else should.
    if os.environ.get("HALQA_INSECURE_TEST_KDF") != "1":
        kdf.check_floor()
    start = time.perf_counter()
    with create_vault(path, pw, kdf) as vault:
        info = vault.info()
    info["path"] = str(path)
    info["seconds"] = round(time.perf_counter() - start, 2)
    emit(info, lambda d: console.print(t("msg.created", path=d["path"])))


@app.command()
def unlock() -> None:
    """Check the passphrase and the vault's integrity (every page's HMAC)."""
    start = time.perf_counter()
    with open_vault() as vault:
        unlock_s = time.perf_counter() - start
        problems = integrity_problems(vault)
    if problems:
        raise VaultCorrupt("error.integrity", detail="; ".join(problems[:5]))
    emit({"ok": True, "unlock_seconds": round(unlock_s, 3)},
         lambda d: console.print(t("msg.unlocked", seconds=d["unlock_seconds"])))


@app.command()
def info() -> None:
    """What the vault holds (counts only)."""
    with open_vault() as vault:
        data = vault.info()
    data["path"] = str(STATE.vault_path)
    emit(data, _kv_table)


@app.command()
def passwd(
    new_passphrase_file: Annotated[Optional[Path], typer.Option(
        help="Read the new passphrase from this file (else env HALQA_NEW_PASSPHRASE, else a prompt).")] = None,
) -> None:
    """Change the passphrase (rewraps the key; the data is not re-encrypted)."""
    with open_vault() as vault:
        vault.change_passphrase(new_passphrase(new_passphrase_file, "HALQA_NEW_PASSPHRASE", "prompt.new_passphrase"))
    emit({"ok": True}, lambda d: console.print(t("msg.passwd_done")))


@app.command()
def rebuild() -> None:
    """Re-derive every table from the event log."""
    with open_vault() as vault:
        before = vault.digests()
        start = time.perf_counter()
        with progress("progress.rebuild"):
            after = vault.rebuild()
        seconds = time.perf_counter() - start
        events = vault.count_events()
    same = before == after
    emit({"ok": same, "events": events, "seconds": round(seconds, 2), "projections": after},
         lambda d: console.print(t("msg.rebuilt", events=d["events"], seconds=d["seconds"])))
    if not same:
        raise HalqaError("error.rebuild_differs")


@app.command()
def panic() -> None:
    """Destroy the vault now: keys first, then the files halqa wrote, then the vault. Needs no
    passphrase; given one (--passphrase-file or HALQA_PASSPHRASE, never a prompt) it also finds
    the files halqa wrote outside the vault folder."""
    from halqa.vault import panic as destroy
    from halqa.vault.outside import listed_files

    confirm("confirm.panic", path=str(STATE.vault_path))
    start = time.perf_counter()
    given = (_read_secret_file(STATE.passphrase_file) if STATE.passphrase_file and STATE.passphrase_file.is_file()
             else os.environ.get("HALQA_PASSPHRASE", ""))
    outside = listed_files(STATE.vault_path, given) if given else []
    destroy(STATE.vault_path, outside)
    emit({"ok": True, "seconds": round(time.perf_counter() - start, 3)},
         lambda d: console.print(t("msg.panic_done")))


@duress_app.command("set")
def duress_set(
    duress_passphrase_file: Annotated[Optional[Path], typer.Option(
        help="Read the duress passphrase from this file (else env HALQA_DURESS_PASSPHRASE, else a prompt).")] = None,
    destroy: Annotated[bool, typer.Option(
        "--destroy/--no-destroy", help="Opening with the duress passphrase also destroys the real key.")] = False,
) -> None:
    """Set a duress passphrase: it opens a harmless decoy vault."""
    with open_vault() as vault:
        vault.set_duress(new_passphrase(duress_passphrase_file, "HALQA_DURESS_PASSPHRASE",
                                        "prompt.duress_passphrase"), destroy=destroy)
    emit({"ok": True, "destroy": destroy}, lambda d: console.print(t("msg.duress_set")))


@config_app.command("wipe-after")
def wipe_after(failures: Annotated[int, typer.Argument(help="Wrong passphrases before the vault is destroyed (0 = off).")]) -> None:
    """Destroy the vault after N wrong passphrases in a row (off by default)."""
    with open_vault() as vault:
        vault.set_wipe_after(failures)
    emit({"ok": True, "wipe_after": failures}, lambda d: console.print(t("msg.wipe_after", n=failures)))


@recovery_app.command("split")
def recovery_split(
    shares: Annotated[int, typer.Option("--shares", help="How many shares to make.")] = 5,
    threshold: Annotated[int, typer.Option("--threshold", help="How many shares rebuild the key.")] = 3,
) -> None:
    """Split the vault key into shares for trusted members."""
    from halqa.vault import split

    with open_vault() as vault:
        parts = [s.encode() for s in split(vault.master_key, shares, threshold, vault.meta("vault_id"))]

    def human(d: dict) -> None:
        console.print(t("msg.shares", n=shares, k=threshold))
        for line in d["shares"]:
            print(line)

    emit({"shares": parts, "threshold": threshold}, human)


@recovery_app.command("combine")
def recovery_combine(
    share: Annotated[Optional[list[str]], typer.Argument(help="Shares (or '-' to read them from standard input).")] = None,
    new_passphrase_file: Annotated[Optional[Path], typer.Option(
        help="New passphrase file (else env HALQA_NEW_PASSPHRASE, else a prompt).")] = None,
) -> None:
    """Rebuild the vault key from shares and set a new passphrase."""
    from halqa.domains import load
    from halqa.vault.recovery import recover

    texts = list(share or [])
    if not texts or texts == ["-"]:
        texts = [line for line in sys.stdin.read().split() if line.strip()]
    load()
    recover(STATE.vault_path, texts,
            lambda: new_passphrase(new_passphrase_file, "HALQA_NEW_PASSPHRASE", "prompt.new_passphrase"))
    emit({"ok": True}, lambda d: console.print(t("msg.recovered")))


@app.command()
def backup(output: Annotated[Path, typer.Option("-o", "--output", help="Backup file to write.")]) -> None:
    """Write an encrypted backup of the whole vault to one file."""
    from halqa.vault import backup as do_backup
    from halqa.vault.outside import remember

    with open_vault() as vault:
        output = remember(vault, output, "backup")
        size = do_backup(vault, output)
    emit({"ok": True, "file": str(output), "bytes": size},
         lambda d: console.print(t("msg.backup_done", file=d["file"], bytes=d["bytes"])))


@app.command()
def restore(file: Annotated[Path, typer.Argument(help="Backup file made by 'halqa backup'.")]) -> None:
    """Restore a backup as the vault (the vault path must be free)."""
    from halqa.vault import restore as do_restore

    do_restore(file, STATE.vault_path)
    emit({"ok": True, "vault": str(STATE.vault_path)},
         lambda d: console.print(t("msg.restored", path=d["vault"])))


@app.command()
def demo(
    path: Annotated[Optional[Path], typer.Option("--path", help="Folder for demo.halqa (default: a new temporary folder).")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the demo vault in the browser afterwards.")] = False,
    kdf_memory: Annotated[int, typer.Option(help="Argon2id memory in MiB.")] = 64,
) -> None:
    """Create a demo vault with a synthetic neighbourhood and show the whole cycle."""
    from halqa.domains import run_demo
    from halqa.vault import KdfParams

    directory = path or Path(tempfile.mkdtemp(prefix="halqa-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    pw = os.environ.get("HALQA_PASSPHRASE") or ("demo-" + secrets.token_urlsafe(9))
    vault_path, report = run_demo(directory, pw, kdf=KdfParams(3, kdf_memory * 1024, 2),
                                  progress=lambda step: None if STATE.json else console.print(f"· {label('step', step)}"))
    report["path"] = str(vault_path)
    if not os.environ.get("HALQA_PASSPHRASE"):
        report["passphrase"] = pw

    def human(d: dict) -> None:
        console.print(t("msg.demo_created", path=d["path"]))
        if "passphrase" in d:
            console.print(t("msg.demo_passphrase", passphrase=d["passphrase"]))
        for step, part in d.items():
            if step in ("path", "passphrase", "url", "open_with", "phone"):
                continue
            console.rule(label("step", step))
            data = to_data(part)  # a step's summary: a dict or a struct
            _kv_table(data) if isinstance(data, dict) else console.print(part)

    from halqa.web import serve as run_web
    from halqa.web.server import DEFAULT_PORT

    report["url"] = f"http://127.0.0.1:{DEFAULT_PORT}"
    report["open_with"] = f"halqa serve --vault {vault_path}"
    report["phone"] = f"halqa serve --lan --vault {vault_path}"
    emit(report, human)
    if not STATE.json:
        console.print(t("msg.demo_open", url=report["url"], command=report["open_with"]), markup=False)
        console.print(t("member.demo_phone", command=report["phone"]), markup=False)
    if serve:
        run_web(vault_path, pw, port=DEFAULT_PORT, echo=lambda line: console.print(line, markup=False))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``halqa`` console script."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        # Without standalone mode click *returns* the code of typer.Exit(n) instead of exiting.
        code = app(args=args, prog_name="halqa", standalone_mode=False)
        if isinstance(code, int) and code:
            raise SystemExit(code)
    except HalqaError as err:
        fail(err)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: no tracebacks for users
        # Typer vendors click (typer._click): recognise its usage errors by their interface.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            raise SystemExit(code) from None
        if os.environ.get("HALQA_DEBUG"):
            raise
        fail(HalqaError("error.unexpected", detail=f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    main()
