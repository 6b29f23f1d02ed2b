"""What every command shares: global options, passphrases, opening the vault, output, errors.

Commands stay thin: parse, call one library function, render with :func:`emit`.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from halqa.errors import HalqaError, InvalidInput, VaultLocked
from halqa.i18n import RTL, current_language, t
from halqa.results import to_data

__all__ = [
    "STATE",
    "State",
    "area_names",
    "cols",
    "confirm",
    "console",
    "default_vault_path",
    "emit",
    "fail",
    "group_label",
    "joined",
    "json_text",
    "label",
    "literal",
    "named",
    "new_passphrase",
    "open_vault",
    "passphrase",
    "progress",
]

#: Control characters a terminal would obey (escape sequences, C1 controls, NUL, DEL); tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


class _LiteralConsole(Console):
    """A console that prints every string as it is: stored text (a grievance, a name, a path) is
    never read as Rich markup or emoji codes, and its control characters are shown, not obeyed.

    Markup and emoji are off for the whole console, so a new command cannot turn them back on by
    accident; styled output is built from :class:`rich.text.Text` (see :func:`fail`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, soft_wrap=True, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # Every string printed, in a table cell, a rule or a title passes through here.
        kwargs["markup"] = kwargs["emoji"] = False
        return super().render_str(literal(text), **kwargs)


def literal(text: str) -> str:
    """``text`` with its control characters made visible (``\\x1b``) so the terminal cannot obey them."""
    return _CONTROL.sub(_visible, text)


console = _LiteralConsole()
err_console = _LiteralConsole(stderr=True)


@contextmanager
def progress(msg_id: str, **params: Any) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar for a command that can take more than a second, titled by message ``msg_id``.

    Yields ``step(done, total)`` (``total`` None: a moving bar without an end). The bar is drawn on
    standard error and only on a terminal, and never with ``--json``: what a script reads from
    standard output stays exactly the JSON document, and a log file gets no control sequences.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err_console, transient=True, disable=STATE.json or not err_console.is_terminal,
                   redirect_stdout=False, redirect_stderr=False)  # what the command prints is left alone
    with bar:
        task = bar.add_task(t(msg_id, **params), total=None)

        def step(done: int, total: int | None = None) -> None:
            bar.update(task, completed=done, total=total, refresh=True)  # steps are few (per batch): draw each

        yield step

#: Options that may stand anywhere on the command line; the value-taking ones take one word.
GLOBAL_FLAGS = {"--json", "--yes", "-y"}
GLOBAL_VALUED = {"--vault", "--passphrase-file", "--lang"}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options to the front so ``halqa info --json`` and ``halqa --json info``
    mean the same (every command accepts them, as scripts expect)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif name in GLOBAL_VALUED:
            front.append(arg)
            if "=" not in arg and i + 1 < len(argv):
                front.append(argv[i + 1])
                i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def default_vault_path() -> Path:
    """``$HALQA_VAULT``, else ``$XDG_DATA_HOME/halqa/vault.halqa`` (``~/.local/share``)."""
    env = os.environ.get("HALQA_VAULT")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "halqa" / "vault.halqa"


@dataclass
class State:
    vault: Path | None = None
    passphrase_file: Path | None = None
    json: bool = False
    yes: bool = False

    @property
    def vault_path(self) -> Path:
        return self.vault or default_vault_path()


STATE = State()


def _read_secret_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise InvalidInput("error.file_missing", path=str(path)) from None
    return text[:-1] if text.endswith("\n") else text


def _prompt(msg_id: str, confirm_twice: bool) -> str:
    if not sys.stdin.isatty():
        raise VaultLocked("error.no_passphrase")
    first = getpass.getpass(t(msg_id) + " ")
    if confirm_twice and getpass.getpass(t("prompt.repeat") + " ") != first:
        raise InvalidInput("error.passphrase_mismatch")
    return first


def passphrase(confirm_twice: bool = False) -> str:
    """The vault passphrase: ``--passphrase-file``, ``HALQA_PASSPHRASE``, or a prompt."""
    if STATE.passphrase_file is not None:
        return _read_secret_file(STATE.passphrase_file)
    env = os.environ.get("HALQA_PASSPHRASE")
    if env:
        return env
    return _prompt("prompt.passphrase", confirm_twice)


def new_passphrase(file: Path | None, env: str, msg_id: str) -> str:
    """A second passphrase (new, duress): its own file option, env variable, or a prompt."""
    if file is not None:
        value = _read_secret_file(file)
    else:
        value = os.environ.get(env) or _prompt(msg_id, confirm_twice=True)
    if len(value) < 8:
        raise InvalidInput("error.passphrase_short")
    return value


@contextmanager
def open_vault() -> Iterator[Any]:
    """Unlock the vault named by the global options; close it afterwards."""
    from halqa.domains import load
    from halqa.vault import Vault

    load()
    vault = Vault.open(STATE.vault_path, passphrase())
    try:
        yield vault
    finally:
        vault.close()


def confirm(msg_id: str, **params: Any) -> None:
    """Ask before something irreversible, unless ``--yes``."""
    if STATE.yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput("error.needs_yes")
    if not typer.confirm(t(msg_id, **params), default=False):
        raise typer.Exit(0)


#: Every character outside ASCII's printable range (a run of them): checked one by one below.
_NOT_PLAIN = re.compile("[\x7f-\U0010ffff]+")
#: Control, format (bidi overrides and isolates, marks, joiners, tags), separator and surrogate
#: categories: shown as ``\\uXXXX`` rather than obeyed by whoever reads the output.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _shown(run: str) -> str:
    out = []
    for char in run:
        if unicodedata.category(char) not in _HIDDEN:
            out.append(char)
        elif (code := ord(char)) > 0xFFFF:  # JSON spells it as its UTF-16 surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def json_text(data: Any, **options: Any) -> str:
    """``data`` as JSON for ``--json`` (readable Arabic and Sorani), with every bidi, format and
    control character escaped: stored text from other people cannot reorder or hide what a person
    or a script sees, and decoding the JSON gives the original strings back. (Outside strings, JSON
    is ASCII, so every such character found is inside a string, where an escape means the same.)"""
    return _NOT_PLAIN.sub(lambda m: _shown(m.group()), json.dumps(data, ensure_ascii=False, default=str, **options))


def emit(data: Any, human: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON with ``--json``, else through ``human`` (or as plain text)."""
    if STATE.json:
        sys.stdout.write(json_text(to_data(data), indent=2) + "\n")
    elif human is not None:
        human(data)
    else:
        console.print(data)


def cols(*names: str, **params: Any) -> list[str]:
    """Table headers in the chosen language (``col.<name>`` in the catalogues)."""
    return [t(f"col.{name}", **params) for name in names]


def label(kind: str, key: str, fallback: str | None = None) -> str:
    """The translated label of a demo step or summary field (``<kind>.<key>``); without a translation,
    ``fallback`` (by default the key as words)."""
    text = t(f"{kind}.{key}")
    if text != f"{kind}.{key}":
        return text
    return key.replace("_", " ") if fallback is None else fallback


def named(kind: str, value: Any) -> str:
    """A fixed value (a state, kind, method, role) by its name in the chosen language
    (``value.<kind>.<value>``); a value without a name (a code, a person's word) is shown as it is."""
    if isinstance(value, bool):
        return t("value.yes" if value else "value.no")
    if value is None:
        return "-"
    if not kind:
        return str(value)
    key = f"value.{kind}.{value}"
    text = t(key)
    return str(value) if text == key else text


def joined(items: Iterable[Any]) -> str:
    """Items listed with the chosen language's comma (Arabic and Sorani write «،»)."""
    return ("، " if current_language() in RTL else ", ").join(map(str, items))


def area_names(vault: Any) -> dict[str, str]:
    """Area code -> the area's name in the chosen language (else its Arabic name, else the code)."""
    from halqa.places import areas

    lang = current_language()
    return {a.code: getattr(a, f"name_{lang}", None) or a.name_ar or a.code for a in areas(vault)}


def group_label(group: str, areas: dict[str, str]) -> str:
    """A speaker group ``key=value`` as a person reads it: ``district=NKH`` -> "district: Palm Quarter"."""
    key, sep, value = group.partition("=")
    if not sep:
        return group
    if key in ("district", "place"):
        value = areas.get(value, value)
    else:
        value = named(key, value)
    return f"{named('group', key)}: {value}"


def fail(err: HalqaError) -> None:
    """Report an error the way scripts and people both expect, then exit with its code."""
    if STATE.json:
        sys.stdout.write(json_text(err.to_dict()) + "\n")
    else:
        err_console.print(Text.assemble((t("label.error"), "bold red"), ": ", literal(err.render())))
    raise SystemExit(err.exit_code)
