"""Commands of halqa.places: ``halqa places import-boundaries FILE`` (the areas' shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from halqa.cli.common import console, emit, open_vault
from halqa.i18n import t

places_app = typer.Typer(no_args_is_help=True, help="Areas and their boundaries (the shapes every map draws).")


def _import_human(d: dict) -> None:
    console.print(t("places.msg.imported", kept=d["kept"], rejected=len(d["rejected"])))
    for r in d["rejected"]:
        console.print(t("places.msg.rejected", feature=r["feature"], code=r["code"] or "-", reason=r["message"]))


@places_app.command("import-boundaries")
def import_boundaries_cmd(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection in WGS84 (QGIS, OpenStreetMap, ogr2ogr).")],
    code_field: Annotated[str, typer.Option("--code-field", help="The property holding each feature's area code.")] = "code",
) -> None:
    """Import the areas' shapes; every rejected feature is shown with its reason, good ones are kept."""
    from halqa.places import import_boundaries

    with open_vault() as vault:
        result = import_boundaries(vault, file, code_field)
    emit(result.to_dict(), _import_human)
    if not result.kept:
        raise SystemExit(2)  # nothing kept: as for every import (click swallows typer.Exit here)


def register(app: typer.Typer) -> None:
    app.add_typer(places_app, name="places")
