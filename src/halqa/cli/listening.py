"""Commands of halqa.listening: ``halqa listen ...`` (thin: parse, call one function, render)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from halqa.cli.common import (
    STATE,
    area_names,
    cols,
    console,
    emit,
    group_label,
    joined,
    json_text,
    label,
    named,
    open_vault,
    progress,
)
from halqa.i18n import current_language, t
from halqa.results import to_data
from halqa.vault.outside import remember

listen_app = typer.Typer(no_args_is_help=True, help="Listening: grievances, disguised notes, shared causes, hotspots.")
theme_app = typer.Typer(no_args_is_help=True, help="Grievance themes.")
group_app = typer.Typer(no_args_is_help=True, help="Speaker-group keys (sect, sector, origin...).")
listen_app.add_typer(theme_app, name="theme")
listen_app.add_typer(group_app, name="group")


def _interactive() -> bool:
    return not STATE.yes and not STATE.json and sys.stdin.isatty()


def _theme_name(th: Any) -> str:
    return str(getattr(th, f"name_{current_language()}") or th.name_en or th.id)


def _theme_names(vault: Any) -> dict[str, str]:
    """Theme id -> its name in the chosen language (for people; ids stay in ``--json``)."""
    from halqa.listening import themes

    return {th.id: _theme_name(th) for th in themes(vault)}


def _languages() -> list[str]:
    """The languages whose names a table shows: the chosen one first, English only to English readers."""
    lang = current_language()
    return [lang, *(x for x in ("ar", "ckb") if x != lang)]


def _table(columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(*columns, box=None, show_edge=False)
    for row in rows:
        table.add_row(*(str(c) for c in row))
    console.print(table)


@listen_app.command("add")
def add(
    theme: Annotated[Optional[list[str]], typer.Option("--theme", help="Theme id (repeatable).")] = None,
    place: Annotated[Optional[str], typer.Option("--place", help="Area code (NKH) or coarse H3 cell.")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day heard, YYYY-MM-DD.")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="What was said (optional).")] = None,
    group: Annotated[Optional[list[str]], typer.Option("--group", help="Speaker group key=value (repeatable).")] = None,
    tone: Annotated[Optional[str], typer.Option("--tone", help="angry, bitter_humour, numb or hopeful.")] = None,
    count: Annotated[int, typer.Option("--count", help="How often it was heard.")] = 1,
    voice: Annotated[Optional[Path], typer.Option("--voice", help="Voice note file to keep, encrypted, in the vault.")] = None,
) -> None:
    """Record one grievance (prompts for what is missing unless --yes)."""
    from halqa.listening import add_grievance, suggest_themes

    with open_vault() as vault:
        if _interactive():
            place = place or typer.prompt(t("listening.prompt_place"))
            day = day or typer.prompt(t("listening.prompt_day"))
            if text is None:
                text = typer.prompt(t("listening.prompt_text"), default="", show_default=False) or None
            if not theme and text:
                found = suggest_themes(vault, texts=[text])[0].suggestions
                guess = ",".join(s.theme for s in found)
                theme = [x for x in typer.prompt(t("listening.prompt_themes"), default=guess).split(",") if x.strip()]
        data = voice.read_bytes() if voice is not None else None
        g = add_grievance(vault, themes=theme or [], place=place or "", day=day or "", text=text, groups=group or [],
                          tone=tone, count=count, voice=data)
        names = _theme_names(vault)
    emit(g, lambda d: console.print(t("listening.added", id=d.id, themes=joined(names.get(x, x) for x in d.themes) or "-")))


@listen_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV (text,themes,place,day,groups,tone,count) or JSON file.")],
    fmt: Annotated[Optional[str], typer.Option("--format", help="csv or json (default: by suffix).")] = None,
) -> None:
    """Import grievances; every bad row is reported with its line number, good rows are kept."""
    from halqa.listening import import_grievances

    with open_vault() as vault:
        with progress("progress.import_grievances") as step:
            report = import_grievances(vault, file, fmt=fmt, progress=step)

    def human(d: dict) -> None:
        console.print(t("listening.imported", kept=d["kept"], rejected=len(d["rejected"])))
        for bad in d["rejected"]:
            console.print(t("listening.rejected_row", line=bad["line"], reason=bad["reason"]))

    emit(report.to_dict(), human)
    if report.kept == 0:
        raise SystemExit(2)  # nothing kept: invalid input (click swallows typer.Exit here)


@listen_app.command("list")
def list_(
    theme: Annotated[Optional[str], typer.Option("--theme")] = None,
    place: Annotated[Optional[str], typer.Option("--place")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    unconfirmed: Annotated[bool, typer.Option("--unconfirmed", help="Only grievances whose themes nobody confirmed.")] = False,
) -> None:
    """List grievances, newest first."""
    from halqa.listening import list_grievances

    with open_vault() as vault:
        rows = list_grievances(vault, theme=theme, place=place, since=since, limit=limit, unconfirmed=unconfirmed)
        names, areas = _theme_names(vault), area_names(vault)
    emit(rows, lambda d: _table(cols("id", "day", "place", "themes", "count", "text"),
                                [[r.id, r.day, areas.get(r.place, r.place),
                                  joined(names.get(x, x) for x in r.themes), r.count, (r.text or "")[:50]]
                                 for r in d]))


@listen_app.command("delete")
def delete(gid: Annotated[str, typer.Argument(help="Grievance id.")]) -> None:
    """Delete a grievance and its voice note."""
    from halqa.cli.common import confirm
    from halqa.listening import delete_grievance

    confirm("listening.confirm_delete", id=gid)
    with open_vault() as vault:
        delete_grievance(vault, gid)
    emit({"ok": True, "id": gid}, lambda d: console.print(t("listening.deleted", id=gid)))


@listen_app.command("voice")
def voice(
    gid: Annotated[str, typer.Argument(help="Grievance id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write the voice note to.")],
) -> None:
    """Write a grievance's voice note out of the vault (decrypted) to a file."""
    from halqa.listening import voice_note

    with open_vault() as vault:
        output = remember(vault, output, "voice_note")
        data, mime = voice_note(vault, gid)
    output.write_bytes(data)
    emit({"ok": True, "file": str(output), "bytes": len(data), "mime": mime},
         lambda d: console.print(t("listening.voice_written", file=d["file"], bytes=d["bytes"])))


@listen_app.command("suggest")
def suggest(
    gid: Annotated[Optional[list[str]], typer.Argument(help="Grievance ids (default: every unconfirmed one).")] = None,
    text: Annotated[Optional[list[str]], typer.Option("--text", help="Suggest for this text instead (repeatable).")] = None,
    method: Annotated[str, typer.Option("--method", help="tfidf (fast) or embedding (packaged e5 model, slower).")] = "tfidf",
) -> None:
    """Suggest themes offline (lexicon + a model trained on your confirmed labels)."""
    from halqa.listening import suggest_themes

    with open_vault() as vault:
        found = suggest_themes(vault, texts=text, gids=gid, unconfirmed=not gid and not text, method=method)
        names = _theme_names(vault)

    def shown(r: Any) -> str:
        return joined(f"{names.get(s.theme, s.theme)} {s.score:.2f}" for s in r.suggestions) or "-"

    emit(found, lambda d: _table(cols("id", "lang", "suggested", "text"),
                                 [[r.id or "-", label("lang", r.lang, r.lang), shown(r), r.text[:50]] for r in d]))


@listen_app.command("confirm")
def confirm_(
    gid: Annotated[str, typer.Argument(help="Grievance id.")],
    theme: Annotated[list[str], typer.Option("--theme", help="The right theme id (repeatable).")],
) -> None:
    """Confirm or correct a grievance's themes (this trains the next suggestion)."""
    from halqa.listening import confirm_themes

    with open_vault() as vault:
        g = confirm_themes(vault, gid, theme)
    emit(g, lambda d: console.print(t("listening.confirmed", id=d.id, themes=", ".join(d.themes))))


@listen_app.command("encode")
def encode(
    theme: Annotated[str, typer.Option("--theme")],
    count: Annotated[int, typer.Option("--count")],
    place: Annotated[str, typer.Option("--place")],
    lang: Annotated[str, typer.Option("--line-lang", help="Language of the line: en, ar or ckb.")] = "en",
) -> None:
    """Disguise a grievance as a shopping-list line (prints one line)."""
    from halqa.listening import encode_line

    with open_vault() as vault:
        line = encode_line(vault, theme, count, place, lang=lang)
    emit({"line": line}, lambda d: console.print(d["line"]))


@listen_app.command("decode")
def decode() -> None:
    """Read disguised lines on standard input; print one JSON object per line."""
    from halqa.listening import decode_lines

    lines = sys.stdin.read().splitlines()
    with open_vault() as vault:
        found = decode_lines(vault, lines)
    for item in found:
        sys.stdout.write(json_text(to_data(item)) + "\n")


@listen_app.command("codebook")
def codebook_show() -> None:
    """Show this circle's codebook (learn it, then keep it off the phone)."""
    from halqa.listening import codebook

    with open_vault() as vault:
        table = codebook(vault).table()
        names, areas = _theme_names(vault), area_names(vault)

    def human(d: dict) -> None:
        # The code words a reader of the chosen language learns (English ones only for English readers).
        langs = _languages()
        heads = [t(f"lang.{x}") for x in langs]
        _table(cols("theme") + heads, [[names.get(k, k), *(v[x] for x in langs)] for k, v in d["themes"].items()])
        _table(cols("place") + heads, [[areas.get(k, k), *(v[x] for x in langs)] for k, v in d["places"].items()])

    emit(table, human)


@listen_app.command("adopt-codebook")
def adopt_codebook_cmd(
    key: Annotated[str, typer.Argument(help="The codebook key of your starter kit (64 hex characters).")],
    place: Annotated[Optional[list[str]], typer.Option(
        "--place", help="The kit's places, in the kit's order (repeatable or comma-separated).")] = None,
) -> None:
    """Take the codebook of a starter kit as this new circle's own (refused if the vault has another)."""
    from halqa.listening import adopt_codebook

    places = [p.strip() for item in place or [] for p in item.split(",") if p.strip()]
    with open_vault() as vault:
        table = adopt_codebook(vault, key, places).table()
    emit(table, lambda d: console.print(t("listening.codebook_adopted", places=len(d["places"]))))


@listen_app.command("shared")
def shared(
    by: Annotated[str, typer.Option("--by", help="Group keys, comma-separated: sect,sector,district,origin...")] = "district",
    min_n: Annotated[int, typer.Option("--min-n", help="Groups with fewer records are flagged, not judged.")] = 10,
    level: Annotated[float, typer.Option("--level", help="Credibility of the intervals and the score.")] = 0.95,
) -> None:
    """Rank themes by how surely they recur in every group (the shared cause)."""
    from halqa.listening import shared_causes

    with open_vault() as vault:
        result = shared_causes(vault, by=[k for k in by.split(",") if k.strip()], min_n=min_n, level=level)
        names, areas = _theme_names(vault), area_names(vault)
    data = {"themes": to_data(result.themes), "too_few": result.too_few}

    def human(d: dict) -> None:
        _table([t("listening.col_theme"), t("listening.col_score"), t("listening.col_overall"), t("listening.col_weakest"),
                t("listening.col_range")],
               [[names.get(x["theme"], x["theme"]), f"{x['score']:.2f}", f"{x['overall']:.0%}",
                 group_label(x["weakest"], areas) if x["weakest"] else "-",
                 joined(f"{group_label(g, areas)} {v['low']:.0%}-{v['high']:.0%}" for g, v in list(x["groups"].items())[:4])]
                for x in d["themes"]])
        if d["too_few"]:
            console.print(t("listening.too_few", groups=joined(group_label(g, areas) for g in d["too_few"]), n=min_n))

    emit(data, human)


@listen_app.command("hotspots")
def hotspots_(
    theme: Annotated[Optional[str], typer.Option("--theme", help="Only this theme.")] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Window: the last N weeks (0 = all time).")] = 8,
    until: Annotated[Optional[str], typer.Option("--until", help="Last day of the window (default: latest record).")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="False discovery rate.")] = 0.05,
    trends: Annotated[bool, typer.Option("--trends/--no-trends", help="Also show weekly trend per theme.")] = True,
) -> None:
    """Where complaints cluster (Gi* with FDR over neighbouring places) and which themes grow."""
    from halqa.listening import hotspots, theme_trends

    with open_vault() as vault:
        data = to_data(hotspots(vault, theme=theme, weeks=weeks or None, until=until, alpha=alpha))
        if trends:
            data["trends"] = to_data(theme_trends(vault, weeks=max(weeks, 4) if weeks else 12, until=until))
        names, areas = _theme_names(vault), area_names(vault)

    def human(d: dict) -> None:
        console.print(t("listening.window", start=d["window"]["from"], end=d["window"]["until"]))
        _table([*cols("place", "hearings"), "z", "q", ""],
               [[areas.get(r["place"], r["place"]), r["hearings"], f"{r['z']:+.2f}", f"{r['q']:.3f}",
                 t("listening.hot") if r["hot"] else (t("listening.cold") if r["cold"] else "")] for r in d["places"]])
        for tr in d.get("trends", []):
            console.print(f"{names.get(tr['theme'], tr['theme'])}: {t('listening.trend_' + tr['direction'])} "
                          f"({tr['slope']:+.2f}{t('unit.per_week')}) "
                          + " ".join(map(str, tr["weekly"])))

    emit(data, human)


@listen_app.command("border")
def border(
    a: Annotated[str, typer.Argument(help="Area code.")],
    b: Annotated[str, typer.Argument(help="Area code.")],
    remove: Annotated[bool, typer.Option("--remove", help="They do not touch after all.")] = False,
) -> None:
    """Declare that two areas touch (the neighbourhood adjacency used by hotspots)."""
    from halqa.listening import set_border

    with open_vault() as vault:
        res = set_border(vault, a, b, touching=not remove)
    emit(res, lambda d: console.print(t("listening.border_set", a=d.a, b=d.b)))


@theme_app.command("add")
def theme_add(
    theme_id: Annotated[str, typer.Argument(metavar="ID", help="Stable id: lower case letters, digits, _.")],
    name_ar: Annotated[str, typer.Option("--name-ar")] = "",
    name_en: Annotated[str, typer.Option("--name-en")] = "",
    name_ckb: Annotated[str, typer.Option("--name-ckb")] = "",
    keyword: Annotated[Optional[list[str]], typer.Option("--keyword", help="Keyword for suggestions (repeatable).")] = None,
) -> None:
    """Add a circle theme (or rename a default one)."""
    from halqa.listening import add_theme

    with open_vault() as vault:
        th = add_theme(vault, theme_id, name_ar=name_ar, name_en=name_en, name_ckb=name_ckb, keywords=keyword)
    emit(th, lambda d: console.print(t("listening.theme_added", id=d.id, name=_theme_name(d))))


@theme_app.command("list")
def theme_list() -> None:
    """List themes with their names."""
    from halqa.listening import themes

    with open_vault() as vault:
        rows = themes(vault)
    # "--theme=water" is what a person types to use the theme; the names are what they read.
    emit(rows, lambda d: _table([*(t(f"lang.{x}") for x in _languages()), t("col.to_type")],
                                [[*(getattr(r, f"name_{x}") for x in _languages()), f"--theme={r.id}"] for r in d]))


@group_app.command("add")
def group_add(
    key: Annotated[str, typer.Argument(help="Group key, e.g. sector.")],
    value: Annotated[Optional[list[str]], typer.Option("--value", help="Allowed value (repeatable; none = any).")] = None,
) -> None:
    """Add a speaker-group key (optionally with a closed list of values)."""
    from halqa.listening import add_group_key

    with open_vault() as vault:
        keys = add_group_key(vault, key, value)
    emit(keys, lambda d: console.print(t("listening.group_added", key=key.strip().lower())))


@group_app.command("list")
def group_list() -> None:
    """List speaker-group keys and their allowed values."""
    from halqa.listening import group_keys

    with open_vault() as vault:
        keys = group_keys(vault)
    emit(keys, lambda d: _table([*cols("group", "values"), t("col.to_type")],
                                [[named("group", k), joined(named(k, x) for x in v) or t("value.any"), f"--group={k}="]
                                 for k, v in d.items()]))


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app."""
    app.add_typer(listen_app, name="listen")
