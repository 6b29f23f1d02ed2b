"""Every domain the composition root lists has the whole house: a CLI, web views, messages in three
languages, a guide page and tests (docs/contributing.md, "A new domain").

:func:`missing_parts` is the checker; it is tested on a fake domain, part by part, so that it is
known to fail when a part is missing.
"""

from __future__ import annotations

import importlib
import json
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import typer

from halqa.domains import DOMAINS
from halqa.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class House:
    """Where the parts of a domain are looked for."""

    root: Path  # the repository: src/halqa/i18n, docs/guide, tests
    module: Callable[[str], types.ModuleType | None]  # a module by name, None when there is none
    cli_modules: Sequence[str]  # what the ``halqa`` command registers (halqa.cli.main.CLI_MODULES)
    views: Sequence[types.ModuleType]  # what the web app serves (halqa.web.app.VIEWS)


def _import(name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name is not None and name.startswith(err.name):  # the module itself, not one it imports
            return None
        raise


def real_house() -> House:
    from halqa.cli.main import CLI_MODULES
    from halqa.web.app import VIEWS

    return House(ROOT, _import, CLI_MODULES, VIEWS)


def missing_parts(domain: str, house: House) -> list[str]:
    """What domain ``halqa.<name>`` lacks of the shape every domain has, as readable lines."""
    name = domain.rsplit(".", 1)[-1]
    missing: list[str] = []

    cli = house.module(f"halqa.cli.{name}")
    if cli is None or not callable(getattr(cli, "register", None)):
        missing.append(f"cli: halqa/cli/{name}.py with register(app)")
    else:
        probe = typer.Typer()
        cli.register(probe)
        if not (probe.registered_groups or probe.registered_commands):
            missing.append(f"cli: halqa/cli/{name}.py register(app) adds no command")
        if cli.__name__ not in house.cli_modules:
            missing.append(f"cli: halqa.cli.{name} is not in halqa.cli.main.CLI_MODULES")

    views = house.module(f"halqa.web.views.{name}")
    if views is None or not isinstance(getattr(views, "routes", None), list) or not views.routes \
            or not hasattr(views, "nav"):
        missing.append(f"web: halqa/web/views/{name}.py exporting routes (non-empty) and nav")
    elif views not in house.views:
        missing.append(f"web: halqa.web.views.{name} is not in halqa.web.app.VIEWS")

    keys: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        path = house.root / "src" / "halqa" / "i18n" / f"{lang}.{name}.json"
        if not path.is_file():
            missing.append(f"messages: src/halqa/i18n/{lang}.{name}.json")
            continue
        keys[lang] = set(json.loads(path.read_text(encoding="utf-8")))
        if not keys[lang]:
            missing.append(f"messages: src/halqa/i18n/{lang}.{name}.json is empty")
    for lang, have in keys.items():
        if lang != "en" and "en" in keys and have != keys["en"]:
            missing.append(f"messages: {lang}.{name}.json and en.{name}.json differ: {sorted(have ^ keys['en'])[:5]}")

    guide = house.root / "docs" / "guide" / f"{name}.md"
    if not guide.is_file() or not guide.read_text(encoding="utf-8").strip():
        missing.append(f"guide: docs/guide/{name}.md")

    folder = house.root / "tests" / name
    if not any("\ndef test_" in p.read_text(encoding="utf-8") for p in folder.glob("test_*.py")):
        missing.append(f"tests: tests/{name}/test_*.py")
    return missing


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_its_cli_views_messages_guide_and_tests(domain):
    assert missing_parts(domain, real_house()) == []


# ---------------------------------------------------------------------------- the checker itself
def _fake_house(tmp_path: Path) -> House:
    """A complete fake domain ``halqa.fake`` in a repository of its own."""
    for lang in LANGUAGES:
        (tmp_path / "src" / "halqa" / "i18n").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "halqa" / "i18n" / f"{lang}.fake.json").write_text('{"fake.hello": "…"}', encoding="utf-8")
    (tmp_path / "docs" / "guide").mkdir(parents=True)
    (tmp_path / "docs" / "guide" / "fake.md").write_text("# The fake domain\n", encoding="utf-8")
    (tmp_path / "tests" / "fake").mkdir(parents=True)
    (tmp_path / "tests" / "fake" / "test_fake.py").write_text("\ndef test_it():\n    pass\n", encoding="utf-8")

    cli = types.ModuleType("halqa.cli.fake")
    group = typer.Typer()

    @group.command()
    def hello() -> None:
        """Say hello."""

    cli.register = lambda app: app.add_typer(group, name="fake")
    views = types.ModuleType("halqa.web.views.fake")
    views.routes = [object()]
    views.nav = None
    modules = {cli.__name__: cli, views.__name__: views}
    return House(tmp_path, modules.get, [cli.__name__], [views])


def test_the_checker_passes_a_complete_fake_domain(tmp_path):
    assert missing_parts("halqa.fake", _fake_house(tmp_path)) == []


def _no_cli(house: House) -> House:
    return replace(house, module=lambda name: None if name == "halqa.cli.fake" else house.module(name))


def _silent_cli(house: House) -> House:
    cli = types.ModuleType("halqa.cli.fake")
    cli.register = lambda app: None
    return replace(house, module=lambda name: cli if name == "halqa.cli.fake" else house.module(name))


def _cli_not_registered(house: House) -> House:
    return replace(house, cli_modules=[])


def _no_views(house: House) -> House:
    return replace(house, module=lambda name: None if name == "halqa.web.views.fake" else house.module(name))


def _views_without_nav(house: House) -> House:
    views = types.ModuleType("halqa.web.views.fake")
    views.routes = [object()]
    return replace(house, module=lambda name: views if name == "halqa.web.views.fake" else house.module(name))


def _views_not_served(house: House) -> House:
    return replace(house, views=[])


def _no_sorani(house: House) -> House:
    (house.root / "src" / "halqa" / "i18n" / "ckb.fake.json").unlink()
    return house


def _english_has_a_key_the_others_lack(house: House) -> House:
    (house.root / "src" / "halqa" / "i18n" / "en.fake.json").write_text('{"fake.hello": "hi", "fake.bye": "bye"}',
                                                                        encoding="utf-8")
    return house


def _no_guide(house: House) -> House:
    (house.root / "docs" / "guide" / "fake.md").unlink()
    return house


def _tests_folder_without_tests(house: House) -> House:
    (house.root / "tests" / "fake" / "test_fake.py").write_text("# nothing yet\n", encoding="utf-8")
    return house


@pytest.mark.parametrize(("break_it", "expected"), [
    (_no_cli, "cli: halqa/cli/fake.py with register(app)"),
    (_silent_cli, "cli: halqa/cli/fake.py register(app) adds no command"),
    (_cli_not_registered, "cli: halqa.cli.fake is not in halqa.cli.main.CLI_MODULES"),
    (_no_views, "web: halqa/web/views/fake.py exporting routes (non-empty) and nav"),
    (_views_without_nav, "web: halqa/web/views/fake.py exporting routes (non-empty) and nav"),
    (_views_not_served, "web: halqa.web.views.fake is not in halqa.web.app.VIEWS"),
    (_no_sorani, "messages: src/halqa/i18n/ckb.fake.json"),
    (_english_has_a_key_the_others_lack, "messages: ar.fake.json and en.fake.json differ: ['fake.bye']"),
    (_no_guide, "guide: docs/guide/fake.md"),
    (_tests_folder_without_tests, "tests: tests/fake/test_*.py"),
], ids=lambda v: getattr(v, "__name__", "")[1:] or None)
def test_the_checker_names_each_missing_part(tmp_path, break_it, expected):
    missing = missing_parts("halqa.fake", break_it(_fake_house(tmp_path)))
    assert expected in missing and all(line.split(":")[0] == expected.split(":")[0] for line in missing), missing
