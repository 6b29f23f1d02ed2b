"""Commands of halqa.circles: ``halqa circles ...`` (members, vouches, form, measure, exposure, schedule)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from halqa.cli.common import area_names, cols, console, emit, joined, label, named, open_vault, progress
from halqa.errors import InvalidInput
from halqa.i18n import current_language, t
from halqa.results import to_data
from halqa.vault.outside import remember

if TYPE_CHECKING:
    from halqa.circles import Held, ImportReport, Member, Task

circles_app = typer.Typer(no_args_is_help=True, help="Trust circles: members, vouches, forming circles, exposure, meetings.")
member_app = typer.Typer(no_args_is_help=True, help="Members (pseudonyms with optional group labels).")
circles_app.add_typer(member_app, name="member")


def _import_report(d: ImportReport) -> None:
    console.print(t("circles.imported", n=d.imported, bad=len(d.errors)))
    for e in d.errors:
        console.print(t("circles.row_error", line=e.line, reason=label("circles.row_reason", e.reason, e.reason),
                        detail=e.detail))


def _finish_import(report: ImportReport) -> None:
    emit(report, _import_report)
    if report.errors:
        raise SystemExit(2)  # typer.Exit(2) is swallowed by main() (standalone_mode=False)


def _labels(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput("circles.bad_label", label=item)
        out[key] = value
    return out


@member_app.command("add")
def member_add(
    pseudonym: Annotated[Optional[str], typer.Argument(help="Pseudonym (default: a new random one).")] = None,
    label: Annotated[Optional[list[str]], typer.Option("--label", help="Group label key=value (repeatable).")] = None,
    skill: Annotated[Optional[list[str]], typer.Option("--skill", help="A skill (repeatable).")] = None,
    available: Annotated[Optional[list[str]], typer.Option("--available", help="day:part, e.g. sat:evening (repeatable).")] = None,
    area: Annotated[Optional[str], typer.Option("--area", help="Area code where they can host.")] = None,
) -> None:
    """Record (or update) a member."""
    from halqa.circles import add_member

    with open_vault() as vault:
        pid = add_member(vault, pseudonym, _labels(label), skill or (), available or (), area)
    emit({"pseudonym": pid}, lambda d: console.print(t("circles.member_added", member=d["pseudonym"])))


@member_app.command("import")
def member_import(file: Annotated[Path, typer.Argument(help="CSV: header 'pseudonym' then group-label columns.")]) -> None:
    """Import members from a CSV (bad rows are reported, good ones kept)."""
    from halqa.circles import import_members

    with open_vault() as vault:
        with progress("progress.import_members") as step:
            report = import_members(vault, file, progress=step)
    _finish_import(report)


@member_app.command("list")
def member_list() -> None:
    """List members with their labels."""
    from halqa.circles import members

    with open_vault() as vault:
        people = members(vault)
        names = area_names(vault)

    def human(rows: list[Member]) -> None:
        table = Table(*cols("pseudonym", "labels", "area", "availability"))
        for r in rows:
            table.add_row(r.pseudonym, joined(f"{k}={v}" for k, v in r.labels.items()),
                          names.get(r.area or "", r.area or ""),
                          " ".join(r.availability))
        console.print(table)

    emit(people, human)


@circles_app.command("vouch")
def vouch(
    args: Annotated[list[str], typer.Argument(help="A B (A vouches for B), or: import FILE.")],
    strength: Annotated[int, typer.Option("--strength", help="Strength of trust, 1-5.")] = 3,
    years: Annotated[Optional[int], typer.Option("--years", help="Years known.")] = None,
    directed: Annotated[bool, typer.Option("--directed", help="Count the tie one way only (A for B).")] = False,
) -> None:
    """Record a vouch 'A B', or import 'import FILE' (CSV from,to,strength)."""
    from halqa.circles import add_vouch, import_vouches

    if len(args) == 2 and args[0] == "import":
        with open_vault() as vault:
            with progress("progress.import_vouches") as step:
                report = import_vouches(vault, Path(args[1]), directed=directed, progress=step)
        _finish_import(report)
        return
    if len(args) != 2:
        raise InvalidInput("circles.vouch_usage")
    with open_vault() as vault:
        tie = add_vouch(vault, args[0], args[1], strength, years, directed)
    emit({"id": tie}, lambda d: console.print(t("circles.vouch_added", tie=d["id"])))


def _form_human(d: dict[str, Any]) -> None:
    m = d["metrics"]
    table = Table(*cols("circle", "members"))
    for c in d["circles"]:
        table.add_row(c["id"], " ".join(c["members"]))
    console.print(table)
    console.print(t("circles.formed", circles=len(d["circles"]), placed=f"{m['placed_share']:.0%}", unplaced=len(d["unplaced"])))
    for key, value in m.items():
        console.print(f"  {label('field', key)}: {named('', value)}")
    parts = d["objective"]["parts"]
    console.print(f"{t('circles.objective')}: {d['objective']['total']} (" +
                  joined(f"{label('objective', k)} {v}" for k, v in parts.items()) + ")")
    if d.get("exact"):
        e = d["exact"]
        console.print(t("circles.exact_gap", status=named("solver", e["status"]), bound=named("", e["bound"]),
                        gap=named("", e["gap"])))
    if d["unplaced"]:
        console.rule(t("circles.unplaced"))
        for u in d["unplaced"]:
            console.print(f"  {u['member']}: {t('circles.reason.' + u['reason'])}")
    console.print(t("circles.applied") if d.get("applied") else t("circles.not_applied"))


@circles_app.command("form")
def form_cmd(
    min_size: Annotated[int, typer.Option("--min", help="Smallest circle.")] = 5,
    max_size: Annotated[int, typer.Option("--max", help="Largest circle.")] = 7,
    mix: Annotated[Optional[str], typer.Option("--mix", help="Group label to mix inside circles (e.g. sect).")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Record the circles in the vault.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore existing circles (default: re-form, changing few).")] = False,
    method: Annotated[Optional[str], typer.Option("--method", help="First pass: greedy, leiden or metis (default: best).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed (for repeatable results).")] = None,
    exact: Annotated[Optional[bool], typer.Option("--exact/--no-exact", help="CP-SAT optimum or bound (default: n <= 40).")] = None,
) -> None:
    """Partition members into circles of min..max with two vouchers inside for everyone."""
    from halqa.circles import form_circles

    with open_vault() as vault:
        with progress("progress.form") as step:
            result = form_circles(vault, min_size, max_size, mix, apply=apply, fresh=fresh, method=method, seed=seed,
                                  exact=exact, progress=step)
    emit(result, lambda r: _form_human(to_data(r)))


@circles_app.command("show")
def show_cmd(circle: Annotated[Optional[str], typer.Argument(help="A circle id (default: overview).")] = None) -> None:
    """Show members, ties and circles, or one circle with roles and meetings."""
    from halqa.circles import show

    with open_vault() as vault:
        data = show(vault, circle)

    def human(d: dict[str, Any]) -> None:  # the JSON-shaped data: an overview, or one circle with roles
        if "roles" in d:
            console.print(f"{d['id']}: " + " ".join(f"{p}({named('circle_role', d['roles'][p])})" if p in d["roles"] else p
                                                    for p in d["members"]))
            table = Table(*cols("day", "part", "hour", "host", "place", "kind"))
            for m in d["meetings"]:
                table.add_row(m["day"], named("part", m["part"]), str(m["hour"]), m["host"] or "", m["place"] or "",
                              named("meeting", m["kind"]))
            console.print(table)
            return
        values = (d["members"], d["ties"], joined(d["labels"]) or "-", d["unplaced"])
        console.print(joined(f"{head}: {value}" for head, value in zip(cols("members", "ties", "labels", "unplaced"), values,
                                                                       strict=True)))
        table = Table(*cols("circle", "size", "liaison", "meetings"))
        for c in d["circles"]:
            table.add_row(c["id"], str(c["size"]), c["liaison"] or "", str(c["meetings"]))
        console.print(table)

    emit(data, lambda r: human(to_data(r)))


@circles_app.command("measure")
def measure_cmd(
    with_circles: Annotated[bool, typer.Option("--circles", help="Add full links inside each recorded circle.")] = False,
) -> None:
    """Information, secrecy (S1, S3) and balance of the vouching graph (Lindelauf et al. 2009)."""
    from halqa.circles import measure

    with open_vault() as vault:
        data = measure(vault, with_circles)

    def human(d: dict[str, Any]) -> None:
        console.rule(t("circles.measure"))
        for k, v in d.items():
            console.print(f"  {label('measure', k)}: {named('', v)}")

    emit(data, lambda r: human(to_data(r)))


@circles_app.command("exposure")
def exposure_cmd(
    k: Annotated[int, typer.Option("--k", help="Compromises to simulate at once.")] = 3,
    trials: Annotated[int, typer.Option("--trials", help="Simulated rounds.")] = 1000,
    compare_: Annotated[bool, typer.Option("--compare", help="Compare with one big group and a leader-centred hierarchy.")] = False,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed.")] = None,
) -> None:
    """How many are exposed when members are arrested and name everyone they know."""
    from halqa.circles import exposure_report

    with open_vault() as vault:
        data = exposure_report(vault, k, trials, compare_, seed=seed)

    def human(d: dict[str, Any]) -> None:
        rows = d["compare"] if "compare" in d else {"lattice": {"exposure": d}}
        table = Table("", *cols("one_mean", "one_worst", "k_exposed", "k_working", "secrecy_s1", "information", k=k))
        for name, r in rows.items():
            e, ms = r["exposure"], r.get("measures", {})
            table.add_row(t(f"circles.structure.{name}"), str(e["one"]["mean"]), str(e["one"]["worst"]),
                          str(e["after_k"]["mean_exposed"]), f"{e['after_k']['circles_working']:.0%}",
                          str(ms.get("secrecy_s1", "")), str(ms.get("information", "")))
        console.rule(t("circles.exposure"))
        console.print(table)

    emit(data, lambda r: human(to_data(r)))


@circles_app.command("schedule")
def schedule_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks to plan.")] = 8,
    start: Annotated[Optional[str], typer.Option("--start", help="First possible day, YYYY-MM-DD (default tomorrow).")] = None,
    min_gap: Annotated[int, typer.Option("--min-gap", help="Fewest days between meetings.")] = 4,
    max_gap: Annotated[int, typer.Option("--max-gap", help="Most days between meetings.")] = 11,
    target: Annotated[float, typer.Option("--target", help="Least acceptable unpredictability (0-1).")] = 0.75,
    ics: Annotated[Optional[Path], typer.Option("--ics", help="Also write a cover calendar (.ics).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan without recording it.")] = False,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed.")] = None,
) -> None:
    """Plan irregular meetings with rotating hosts; optionally export a cover calendar (.ics)."""
    from halqa.circles import schedule, to_ics

    with open_vault() as vault:
        ics = remember(vault, ics, "calendar") if ics is not None else None
        data = schedule(vault, circle, weeks, start, min_gap, max_gap, target, save=not dry_run, seed=seed,
                        lang=current_language())
    out = to_data(data)  # the plan's JSON shape, with the calendar file when one was written
    if ics is not None:
        ics.write_text(to_ics(data.meetings), encoding="utf-8", newline="")
        out["ics"] = str(ics)

    def human(d: dict[str, Any]) -> None:
        table = Table(*cols("day", "part", "hour", "host", "place", "kind", "cover"))
        for m in d["meetings"]:
            table.add_row(m["day"], named("part", m["part"]), str(m["hour"]), m["host"], m["place"] or "",
                          named("meeting", m["kind"]), m["cover"])
        console.print(table)
        u = d["unpredictability"]
        console.print(t("circles.schedule_done", n=len(d["meetings"]), circle=d["circle"], score=u["score"], target=d["target"]))
        console.print("  " + joined(f"{label('unpredictability', k)} {u[k]}" for k in ("weekday", "hour", "host", "gap")))
        if not d["meets_target"]:
            console.print(t("circles.below_target"))
        for hole in d.get("unscheduled", []):
            console.print(t("circles.unscheduled", start=hole["from"], end=hole["to"],
                            reason=t(f"circles.unscheduled_reason.{hole['reason']}")))
        if "ics" in d:
            console.print(t("circles.ics_written", events=len(d["meetings"]), file=d["ics"]))

    emit(out, human)


@circles_app.command("calendar")
def calendar_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help=".ics file to write.")],
) -> None:
    """Export a circle's recorded meetings as innocuous calendar entries (.ics)."""
    from halqa.circles import export_ics

    with open_vault() as vault:
        output = remember(vault, output, "calendar")
        data = export_ics(vault, circle, output)
    emit(data, lambda d: console.print(t("circles.ics_written", events=d.events, file=d.file)))


@circles_app.command("role")
def role_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    member: Annotated[str, typer.Argument(help="Member pseudonym.")],
    role: Annotated[str, typer.Argument(help="liaison, host, treasurer, carer, learning or member.")],
) -> None:
    """Give a member a role in their circle (liaison also becomes the circle's liaison)."""
    from halqa.circles import set_role

    with open_vault() as vault:
        data = set_role(vault, circle, member, role)
    emit(data, lambda d: console.print(t("circles.role_set", **(d | {"role": named("circle_role", d["role"])}))))


meeting_app = typer.Typer(no_args_is_help=True, help="Meetings: record that a meeting was held and who came.")
task_app = typer.Typer(no_args_is_help=True, help="Project tasks: each circle's concrete project, step by step.")
circles_app.add_typer(meeting_app, name="meeting")
circles_app.add_typer(task_app, name="task")


def _names(items: Optional[list[str]]) -> list[str]:
    return [p.strip() for item in items or [] for p in item.split(",") if p.strip()]


@meeting_app.command("held")
def meeting_held_cmd(
    meeting: Annotated[str, typer.Argument(help="Meeting id (or a new id, with --circle and --day).")],
    present: Annotated[Optional[list[str]], typer.Option(
        "--present", help="Who came (pseudonyms, comma-separated or repeated).")] = None,
    not_held: Annotated[bool, typer.Option("--not-held", help="The meeting did not take place.")] = False,
    circle: Annotated[Optional[str], typer.Option("--circle", help="Circle, for a meeting not planned in halqa.")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day, for a meeting not planned in halqa.")] = None,
) -> None:
    """Record that a meeting was held (or not) and who came (feeds circle health)."""
    from halqa.circles import meeting_held

    with open_vault() as vault:
        data = meeting_held(vault, meeting, _names(present), not not_held, circle, day)
    def human(d: Held) -> None:
        console.print(t("circles.held_done" if d.held else "circles.not_held_done", meeting=d.meeting, n=len(d.present)))

    emit(data, human)


@meeting_app.command("list")
def meeting_list_cmd(circle: Annotated[str, typer.Argument(help="Circle id.")]) -> None:
    """A circle's planned meetings with whether they were held and how many came."""
    from halqa.circles import attendance
    from halqa.circles import circle as get_circle

    with open_vault() as vault:
        planned = get_circle(vault, circle).meetings
        held = {a.meeting: a for a in attendance(vault, circle)}
    rows = [{"meeting": m.id, "day": m.day, "host": m.host, "held": held[m.id].held if m.id in held else None,
             "present": held[m.id].present if m.id in held else []} for m in planned]
    rows += [{"meeting": a.meeting, "day": a.day, "host": None, "held": a.held, "present": a.present}
             for a in held.values() if a.meeting not in {m.id for m in planned}]
    data = {"circle": circle, "meetings": sorted(rows, key=lambda r: (r["day"], r["meeting"]))}

    def human(d: dict[str, Any]) -> None:
        table = Table(*cols("meeting", "day", "host", "held", "present"))
        for r in d["meetings"]:
            table.add_row(r["meeting"], r["day"], r["host"] or "", "" if r["held"] is None else t(
                "circles.yes" if r["held"] else "circles.no"), str(len(r["present"])) if r["held"] else "")
        console.print(table)

    emit(data, human)


@task_app.command("add")
def task_add_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    title: Annotated[str, typer.Argument(help="What is to be done.")],
    due: Annotated[str, typer.Option("--due", help="Due day, YYYY-MM-DD.")],
    task_id: Annotated[Optional[str], typer.Option("--id", help="Task id (default: a new random one).")] = None,
) -> None:
    """Add a task to a circle's project."""
    from halqa.circles import add_task

    with open_vault() as vault:
        data = add_task(vault, circle, title, due, task_id)
    def human(d: Task) -> None:
        console.print(t("circles.task_added", task=d.id, circle=d.circle, due=d.due))

    emit(data, human)


@task_app.command("done")
def task_done_cmd(
    task: Annotated[str, typer.Argument(help="Task id.")],
    day: Annotated[Optional[str], typer.Option("--day", help="Day it was done (default today).")] = None,
) -> None:
    """Mark a project task done."""
    from halqa.circles import task_done

    with open_vault() as vault:
        data = task_done(vault, task, day)
    def human(d: Task) -> None:
        console.print(t("circles.task_done_on_time" if d.on_time else "circles.task_done_late", task=d.id, day=d.done,
                        due=d.due))

    emit(data, human)


@task_app.command("list")
def task_list_cmd(
    circle: Annotated[Optional[str], typer.Option("--circle", help="One circle only.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only tasks not yet done.")] = False,
) -> None:
    """List project tasks by due day."""
    from halqa.circles import tasks

    with open_vault() as vault:
        data = {"tasks": tasks(vault, circle, open_only)}

    def human(d: dict[str, list[Task]]) -> None:
        table = Table(*cols("id", "circle", "title", "due", "done"))
        for x in d["tasks"]:
            done = x.done or ""
            if x.done and not x.on_time:
                done += " " + t("circles.late")
            table.add_row(x.id, x.circle, x.title, x.due, done)
        console.print(table)

    emit(data, human)


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root ``halqa`` app."""
    app.add_typer(circles_app, name="circles")


