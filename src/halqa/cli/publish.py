"""Commands of halqa.publish: ``halqa poster list``, ``halqa poster KIND -o FILE``, ``halqa poster batch``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from halqa.cli.common import area_names, console, emit, open_vault, progress
from halqa.i18n import t
from halqa.vault.outside import place, remember

if TYPE_CHECKING:  # the package itself is imported by each command, when it runs
    from halqa.publish import PosterKind

poster_app = typer.Typer(no_args_is_help=True, help="Posters, infographics and maps from the circle's own data.")

AreaOpt = Annotated[Optional[str], typer.Option("--area", help="District code (e.g. NKH); default: every district.")]
StyleOpt = Annotated[str, typer.Option("--style", help="print1 (one ink), print2 (two inks) or screen.")]
SizeOpt = Annotated[str, typer.Option("--size", help="a4, a3 or sack (a flour-sack label).")]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="File to write: .pdf, .png or .svg.")]
DigitsOpt = Annotated[Optional[str], typer.Option("--digits", help="arab (٠١٢) or latn (012); default follows the main language.")]
FromOpt = Annotated[Optional[str], typer.Option("--from", help="First day (ISO), for ledger posters.")]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="Last day (ISO), for ledger posters.")]
NameOpt = Annotated[Optional[str], typer.Option("--name", help="Fund or pool name (default: the first).")]
DpiOpt = Annotated[int, typer.Option("--dpi", help="PNG resolution.")]


def poster_langs(ctx: typer.Context) -> str:
    """The poster languages: ``--lang ar,en`` is a global option (hoisted to the root command,
    which keeps only the first language for messages), so the full value is read from there."""
    root = ctx.find_root()
    return (root.params.get("lang") if root is not None else None) or "ar,en"


def _kind_command(kind: str, doc: str) -> Callable[..., None]:
    def command(ctx: typer.Context, output: OutOpt, area: AreaOpt = None, style: StyleOpt = "screen",
                size: SizeOpt = "a4", digits: DigitsOpt = None, first: FromOpt = None, last: ToOpt = None,
                name: NameOpt = None, dpi: DpiOpt = 300) -> None:
        from halqa.publish import render

        with open_vault() as vault:
            output = remember(vault, output, "poster")
            result = render(vault, kind, output, area=area, lang=poster_langs(ctx), style=style, size=size, digits=digits,
                            first=first, last=last, name=name, dpi=dpi)
        emit(result, lambda d: console.print(t("publish.cli.written", file=d.file, bytes=d.bytes, seconds=d.seconds)))

    command.__doc__ = doc
    command.__name__ = f"poster_{kind}"
    return command


@poster_app.command("list")
def poster_list() -> None:
    """List the poster kinds."""
    from rich.table import Table

    from halqa.publish import poster_kinds

    kinds = poster_kinds()

    def human(rows: list[PosterKind]) -> None:
        table = Table(show_header=False, box=None)
        for r in rows:
            table.add_row(f"--kind={r.kind}", r.title, r.description)  # what to type after `poster batch`
        console.print(table)

    emit(kinds, human)


@poster_app.command("batch")
def poster_batch(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the posters.")],
    kind: Annotated[Optional[list[str]], typer.Option("--kind", help="Only these kinds (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated formats: pdf,png,svg.")] = "pdf,png",
    style: StyleOpt = "screen", size: SizeOpt = "a4",
    every_area: Annotated[bool, typer.Option("--every-area/--city-only", help="Also one poster per district.")] = True,
    dpi: DpiOpt = 300,
) -> None:
    """Draw every poster (and one per district) into a folder, with a progress bar."""
    from halqa.publish import DrawnPoster, SkippedPoster, poster_kinds, render_batch

    formats = tuple(f.strip().lower() for f in fmt.split(",") if f.strip())
    with open_vault() as vault, progress("publish.cli.drawing") as bar:
        output = place(vault, output)
        results = render_batch(vault, output, kinds=kind or None, formats=formats, lang=poster_langs(ctx), style=style,
                               size=size, every_area=every_area, progress=lambda done, total, _label: bar(done, total),
                               dpi=dpi)
        for r in results:
            if isinstance(r, DrawnPoster):
                remember(vault, r.file, "poster")
        names = area_names(vault)
    kinds = {k.kind: k.description for k in poster_kinds()}  # a skipped kind by what it shows

    def human(rows: list[DrawnPoster | SkippedPoster]) -> None:
        for r in rows:
            if isinstance(r, SkippedPoster):
                console.print(t("publish.cli.skipped", kind=kinds.get(r.kind, r.kind),
                                area=names.get(r.area or "", r.area or ""), reason=r.skipped))
            else:
                print(r.file)
        console.print(t("publish.cli.batch_done", n=sum(1 for r in rows if isinstance(r, DrawnPoster)),
                        folder=str(output)))

    emit(results, human)


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app."""
    from halqa.publish.kinds import KINDS

    for kind, (builder, _, _) in KINDS.items():
        doc = (builder.__doc__ or kind).strip().splitlines()[0]
        poster_app.command(kind)(_kind_command(kind, doc))
    app.add_typer(poster_app, name="poster")
