"""Commands of halqa.ledger: ``halqa ledger ...`` (record outages, import, report)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from halqa.cli.common import area_names, console, emit, open_vault, progress
from halqa.i18n import t

if TYPE_CHECKING:
    from halqa.ledger import Calendar, ImportReport, Report

ledger_app = typer.Typer(no_args_is_help=True, help="The lights-out ledger: outages, water, reliability evidence.")
households_app = typer.Typer(no_args_is_help=True, help="Households whose ledgers count (customers served).")
ledger_app.add_typer(households_app, name="households")

FromOpt = Annotated[str, typer.Option("--from", help="First day (ISO, inclusive).")]
ToOpt = Annotated[str, typer.Option("--to", help="Last day (ISO, inclusive).")]
AreaOpt = Annotated[Optional[str], typer.Option("--area", help="Area code.")]
TzOpt = Annotated[str, typer.Option("--tz", help="Time zone of times with an offset.")]


def _import_human(d: ImportReport) -> None:
    console.print(t("ledger.msg.imported", kept=d.kept, rejected=len(d.rejected)))
    for r in d.rejected:
        console.print(t("ledger.msg.rejected_row", line=r.line, reason=t(r.error, **r.params)))
    for f in d.fixed:
        console.print(t("ledger.msg.fixed_row", line=f.line, note=t(f.error, **f.params)))
    if d.areas_created:
        console.print(t("ledger.msg.areas_created", areas=", ".join(d.areas_created)))


def _exit_if_nothing_kept(d: ImportReport) -> None:
    if not d.kept:
        raise SystemExit(2)  # click swallows typer.Exit when not standalone


@households_app.command("import")
def households_import(file: Annotated[Path, typer.Argument(help="CSV with header household,area.")]) -> None:
    """Enrol households from a CSV (household,area); unknown areas are created by code."""
    from halqa.ledger import enrol_households

    with open_vault() as vault:
        with progress("progress.import_households") as step:
            result = enrol_households(vault, file, progress=step)
    emit(result, _import_human)
    _exit_if_nothing_kept(result)


@ledger_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="File to import.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, gridwatch, eaglei or upnepa.")] = "csv",
    area: AreaOpt = None,
    tz: TzOpt = "Asia/Baghdad",
) -> None:
    """Import outage records; every rejected row is shown with its reason."""
    from halqa.ledger import import_file

    with open_vault() as vault:
        with progress("progress.import_outages") as step:
            result = import_file(vault, file, fmt, area, tz, progress=step)
    emit(result, _import_human)
    _exit_if_nothing_kept(result)


@ledger_app.command("start")
def start(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    at: Annotated[Optional[str], typer.Option("--at", help="When the power went off (default: now).")] = None,
    source: Annotated[str, typer.Option("--source", help="grid or generator.")] = "grid",
    note: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """The power just went off."""
    from halqa.ledger import start_outage

    with open_vault() as vault:
        outage = start_outage(vault, household, at, source, note)
    emit(outage, lambda d: console.print(t("ledger.msg.started", household=household)))


@ledger_app.command("stop")
def stop(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    at: Annotated[Optional[str], typer.Option("--at", help="When the power came back (default: now).")] = None,
) -> None:
    """The power came back."""
    from halqa.ledger import stop_outage

    with open_vault() as vault:
        result = stop_outage(vault, household, at)
    emit(result, lambda d: console.print(t("ledger.msg.stopped", household=household, minutes=d.minutes)))


@ledger_app.command("add")
def add(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    start_at: Annotated[str, typer.Argument(metavar="START", help="ISO 8601 local time.")],
    end_at: Annotated[Optional[str], typer.Argument(metavar="[END]", help="ISO 8601 local time (omit: still off).")] = None,
    source: Annotated[str, typer.Option("--source", help="grid or generator.")] = "grid",
    note: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """Record one outage interval."""
    from halqa.ledger import add_interval

    with open_vault() as vault:
        iid = add_interval(vault, household, start_at, end_at, source, note)
    emit({"id": iid}, lambda d: console.print(t("ledger.msg.added", id=d["id"])))


@ledger_app.command("delete")
def delete(interval_id: Annotated[str, typer.Argument(metavar="ID", help="Interval id.")]) -> None:
    """Delete one interval."""
    from halqa.ledger import delete_interval

    with open_vault() as vault:
        delete_interval(vault, interval_id)
    emit({"ok": True, "id": interval_id}, lambda d: console.print(t("ledger.msg.deleted", id=interval_id)))


@ledger_app.command("paper")
def paper(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    patterns: Annotated[list[str], typer.Argument(help="24 boxes per day: x = off, . = on.")],
    first_day: FromOpt,
) -> None:
    """Type a paper ledger: one 24-hour pattern per day."""
    from halqa.ledger import add_paper_grid

    with open_vault() as vault:
        result = add_paper_grid(vault, household, first_day, patterns)
    emit(result, lambda d: console.print(t("ledger.msg.paper", days=d.days, intervals=d.intervals,
                                           hours=round(d.hours_off, 1))))


@ledger_app.command("tally")
def tally(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    hours: Annotated[list[float], typer.Argument(help="Hours without power, one number per day.")],
    first_day: FromOpt,
) -> None:
    """Daily tally: hours without power on each day."""
    from halqa.ledger import add_tally

    with open_vault() as vault:
        result = add_tally(vault, household, first_day, hours)
    emit(result, lambda d: console.print(t("ledger.msg.tally", days=d.days)))


@ledger_app.command("water")
def water(
    household: Annotated[str, typer.Argument(help="Household pseudonym.")],
    day: Annotated[str, typer.Option("--day", help="ISO day.")],
    no_water: Annotated[bool, typer.Option("--no-water", help="No tap water that day.")] = False,
    contaminated: Annotated[bool, typer.Option("--contaminated", help="Visibly dirty water.")] = False,
    smell: Annotated[bool, typer.Option("--smell", help="The water smelled.")] = False,
    illness: Annotated[int, typer.Option("--illness", help="People ill.")] = 0,
    litres: Annotated[int, typer.Option("--litres", help="Litres of bottled water bought.")] = 0,
    spent: Annotated[str, typer.Option("--spent", help="Money spent on water (e.g. 2500).")] = "0",
    currency: Annotated[str, typer.Option("--currency")] = "IQD",
) -> None:
    """Water ledger for one household-day."""
    from halqa.ledger import add_water

    with open_vault() as vault:
        key = add_water(vault, household, day, no_water, contaminated, smell, illness, litres, spent, currency)
    emit({"id": key}, lambda d: console.print(t("ledger.msg.water", household=household, day=day)))


@ledger_app.command("claim")
def claim(
    hours: Annotated[float, typer.Option("--hours", help="Claimed supply hours per day.")],
    first_day: FromOpt,
    last_day: ToOpt,
    area: Annotated[str, typer.Option("--area", help="Area code (empty: all areas).")] = "",
    claimant: Annotated[str, typer.Option("--claimant", help="Who claims it.")] = "ministry",
) -> None:
    """Record an official claim of supply hours, to compare in reports."""
    from halqa.ledger import add_claim

    with open_vault() as vault:
        cid = add_claim(vault, hours, first_day, last_day, area, claimant)
    emit({"id": cid}, lambda d: console.print(t("ledger.msg.claim", hours=hours)))


def _report_human(d: Report, names: dict[str, str]) -> None:
    table = Table(title=t("ledger.title.report", first=d.period.first, last=d.period.last))
    for col in ("area", "households", "supply", "saifi", "saidi", "caidi", "maifi", "asai", "med"):
        table.add_column(t(f"ledger.col.{col}"))
    for code, a in d.areas.items():
        table.add_row(names.get(code, code), str(a.households), f"{a.supply_hours_per_day:.1f}", f"{a.saifi:.2f}",
                      f"{(a.saidi_minutes or 0) / 60:.1f}", "-" if a.caidi_minutes is None else f"{a.caidi_minutes:.0f}",
                      "-" if a.maifi is None else f"{a.maifi:.2f}", f"{a.asai:.4f}", str(len(a.major_event_days)))
    console.print(table)
    console.print(t("ledger.msg.events", n=len(d.events)))
    for e in sorted(d.events, key=lambda e: -e.households)[:10]:
        console.print(t("ledger.msg.event", area=names.get(e.area, e.area), start=e.start, end=e.end or "…",
                        households=e.households, confidence=e.confidence))
    for c in d.claims:
        console.print(t("ledger.msg.claim_gap", area=names.get(c.area, c.area), claimed=c.claimed_hours,
                        measured=c.measured_hours))


@ledger_app.command("report")
def report_cmd(
    first_day: FromOpt,
    last_day: ToOpt,
    area: AreaOpt = None,
    daily: Annotated[bool, typer.Option("--daily", help="Add daily supply hours and SAIDI per area.")] = False,
    momentary_minutes: Annotated[float, typer.Option("--momentary-minutes", help="Momentary limit.")] = 5.0,
    cemi_n: Annotated[int, typer.Option("--cemi-n", help="n of CEMIn.")] = 3,
    min_households: Annotated[int, typer.Option("--min-households", help="Households for an area event.")] = 3,
    window: Annotated[int, typer.Option("--window-seconds", help="Event window.")] = 600,
    max_span: Annotated[int, typer.Option("--max-span-seconds", help="Longest event onset.")] = 3000,
    min_confidence: Annotated[float, typer.Option("--min-confidence", help="Hide weaker events.")] = 0.5,
    med_history: Annotated[int, typer.Option("--med-history-days", help="Days before the period for T_MED.")] = 0,
) -> None:
    """Reliability evidence: supply hours, IEEE 1366 indices, major event days, area events."""
    from halqa.ledger import Params, report

    params = Params(momentary_seconds=int(momentary_minutes * 60), cemi_n=cemi_n, event_min_households=min_households,
                    event_window_seconds=window, event_max_span_seconds=max_span, event_min_confidence=min_confidence)
    with open_vault() as vault:
        result = report(vault, first_day, last_day, area, params, daily=daily, med_history_days=med_history)
        names = area_names(vault)
    emit(result, lambda d: _report_human(d, names))


@ledger_app.command("calendar")
def calendar_cmd(area: Annotated[str, typer.Option("--area", help="Area code.")], first_day: FromOpt, last_day: ToOpt) -> None:
    """Blackout calendar: share of households without power, per day and hour."""
    from halqa.ledger import calendar

    with open_vault() as vault:
        result = calendar(vault, area, first_day, last_day)
        names = area_names(vault)

    def human(d: Calendar) -> None:
        shades = " ░▒▓█"
        console.print(t("ledger.title.calendar", area=names.get(d.area, d.area), households=d.households))
        console.print("           " + "".join(f"{h:<3d}"[:1] if h % 6 else "|" for h in range(24)))
        for row in d.days:
            console.print(row.day + " " + "".join(shades[min(4, int(x * 4.999))] for x in row.hours))

    emit(result, human)


@ledger_app.command("supply")
def supply(household: Annotated[str, typer.Argument(help="Household pseudonym.")], first_day: FromOpt, last_day: ToOpt) -> None:
    """Daily supply hours of one household."""
    from halqa.ledger import SupplyDay, household_supply

    with open_vault() as vault:
        result = household_supply(vault, household, first_day, last_day)

    def human(d: list[SupplyDay]) -> None:
        for r in d:
            console.print(f"{r.day}  {r.supply_hours:.1f}")

    emit(result, human)


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app."""
    app.add_typer(ledger_app, name="ledger")
