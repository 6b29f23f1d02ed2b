"""Commands of halqa.learning: ``halqa learn ...``, ``halqa care ...``, ``halqa circles health|replicate``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from halqa.cli.common import console, emit, joined, literal, named, open_vault
from halqa.errors import InvalidInput
from halqa.i18n import current_language, t

if TYPE_CHECKING:  # the package itself is imported by each command, when it runs
    from halqa.learning import Care, CareStatus, Health, Plan, QuietCards, Replication, Session, Tactic

learn_app = typer.Typer(no_args_is_help=True, help="Monthly learning sessions across circles and the tactic archive.")
session_app = typer.Typer(no_args_is_help=True, help="Learning sessions: what a circle studied, and how the experiment went.")
learn_app.add_typer(session_app, name="session")
care_app = typer.Typer(no_args_is_help=True, help="Care after risk: decompression gatherings, private check-ins, attendance.")


def _split(items: Optional[list[str]]) -> list[str]:
    return [p.strip() for item in items or [] for p in item.split(",") if p.strip()]


# ---------------------------------------------------------------------------- learn
@learn_app.command("plan")
def plan_cmd(
    months: Annotated[int, typer.Option("--months", help="How many months to plan.")] = 12,
    start: Annotated[Optional[str], typer.Option("--start", help="First month, YYYY-MM (default next month).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed (which circle starts).")] = None,
    save: Annotated[bool, typer.Option("--save/--dry-run", help="Record the plan (default) or only show it.")] = True,
) -> None:
    """Plan a fair rotation of study and report sessions across circles, respecting blackouts."""
    from halqa.learning import plan

    with open_vault() as vault:
        data = plan(vault, months=months, start=start, save=save, seed=seed)

    def human(d: Plan) -> None:
        table = Table(t("learning.col_month"), t("learning.col_kind"), t("learning.col_circle"))
        for s in d.sessions:
            table.add_row(s.month, t(f"learning.kind_{s.kind}"), s.circle)
        console.print(table)
        console.print(t("learning.plan_done", n=len(d.sessions), months=months))

    emit(data, human)


@learn_app.command("blackout")
def blackout_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    month: Annotated[list[str], typer.Argument(help="Months YYYY-MM in which the circle cannot host.")],
    remove: Annotated[bool, typer.Option("--remove", help="Lift these blackout months instead.")] = False,
) -> None:
    """Mark months in which a circle cannot host a learning session."""
    from halqa.learning import blackout

    with open_vault() as vault:
        data = blackout(vault, circle, month, remove=remove)
    emit(data, lambda d: console.print(t("learning.blackout_done", circle=d.circle, months=", ".join(d.months))))


def _session_human(d: Session) -> None:
    console.print(t("learning.session_line", id=d.id, circle=d.circle, month=d.month, tactic=d.tactic,
                    tries=d.tries, due=d.due))
    if d.outcome:
        console.print(t("learning.session_outcome", outcome=t(f"learning.outcome_{d.outcome}"),
                        keep=t("learning.yes") if d.keep else t("learning.no")))


@session_app.command("add")
def session_add(
    circle: Annotated[str, typer.Option("--circle", help="The circle that studied.")],
    movement: Annotated[str, typer.Option("--movement", help="The movement studied.")],
    tactic: Annotated[str, typer.Option("--tactic", help="The tactic extracted (or use --from).")] = "",
    from_tactic: Annotated[Optional[str], typer.Option(
        "--from", help="A tactic id in the archive (e.g. lib-flint-water-testing).")] = None,
    month: Annotated[Optional[str], typer.Option("--month", help="Month of the session, YYYY-MM (default this month).")] = None,
    place: Annotated[str, typer.Option("--place", help="Where the movement was.")] = "",
    years: Annotated[str, typer.Option("--years", help="When, e.g. 1980-1981.")] = "",
    theme: Annotated[Optional[list[str]], typer.Option(
        "--theme", help="Theme: water, wages, power, repression... (repeatable).")] = None,
    adapt: Annotated[str, typer.Option("--adapt", help="How it will be adapted here.")] = "",
    tries: Annotated[Optional[str], typer.Option(
        "--tries", help="The circle that tries it (default: next month's reporter).")] = None,
    due: Annotated[Optional[str], typer.Option("--due", help="Try it by this day, YYYY-MM-DD (default end of next month).")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day recorded (default today).")] = None,
) -> None:
    """Record a study session: movement, tactic, adaptation, who tries it and by when."""
    from halqa.learning import add_session

    with open_vault() as vault:
        data = add_session(vault, circle, movement, tactic, month=month, place=place, years=years, themes=_split(theme),
                           adaptation=adapt, tries=tries, due=due, tactic_id=from_tactic, day=day)
    emit(data, _session_human)


@session_app.command("report")
def session_report(
    session: Annotated[str, typer.Argument(help="Session id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="tried, not_tried or partly.")],
    happened: Annotated[str, typer.Option("--happened", help="What happened.")] = "",
    change: Annotated[str, typer.Option("--change", help="What to change next time.")] = "",
    keep: Annotated[Optional[bool], typer.Option("--keep/--drop", help="Keep the tactic or drop it.")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day of the report (default today).")] = None,
) -> None:
    """Report how the experiment went."""
    from halqa.learning import report_session

    with open_vault() as vault:
        data = report_session(vault, session, outcome, happened, change, keep, day)
    emit(data, _session_human)


@session_app.command("list")
def session_list(
    circle: Annotated[Optional[str], typer.Option("--circle", help="Only sessions this circle held or tried.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only sessions not yet reported.")] = False,
) -> None:
    """List sessions, newest first (late reports marked)."""
    from halqa.learning import sessions

    with open_vault() as vault:
        data = {"sessions": sessions(vault, circle, open_only)}

    def human(d: dict[str, Any]) -> None:
        table = Table(t("col.id"), t("learning.col_month"), t("learning.col_circle"), t("learning.col_tactic"),
                      t("learning.col_tries"), t("learning.col_due"), t("learning.col_outcome"))
        for s in d["sessions"]:
            outcome = t(f"learning.outcome_{s.outcome}") if s.outcome else (t("learning.late") if s.overdue else "")
            table.add_row(s.id, s.month, s.circle, s.tactic, s.tries, s.due, outcome)
        console.print(table)

    emit(data, human)


def _tactic_rows(d: dict[str, Any]) -> None:
    table = Table(t("col.id"), t("learning.col_tactic"), t("learning.col_place"), t("learning.col_years"),
                  t("learning.col_themes"), t("learning.col_trials"))
    for x in d["tactics"]:
        table.add_row(x.id, x.title, x.place or "", named("years", x.years or ""),
                      joined(named("theme", theme) for theme in x.themes), f"{x.tried}/{len(x.trials)}")
    console.print(table)
    console.print(t("learning.tactics_found", n=len(d["tactics"])))


@learn_app.command("tactics")
def tactics_cmd(
    theme: Annotated[Optional[str], typer.Option("--theme", help="water, wages, power, repression, ...")] = None,
    outcome: Annotated[Optional[str], typer.Option("--outcome", help="Tactics with a trial of this outcome.")] = None,
    circle: Annotated[Optional[str], typer.Option("--circle", help="Tactics this circle studied or tried.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Words in the title, place or description.")] = None,
) -> None:
    """Search the tactic archive (the starter library and the circles' own tactics)."""
    from halqa.learning import tactics

    with open_vault() as vault:
        data = {"tactics": tactics(vault, theme, outcome, circle, search, lang=current_language())}
    emit(data, _tactic_rows)


@learn_app.command("tactic")
def tactic_cmd(tactic_id: Annotated[str, typer.Argument(help="Tactic id.")]) -> None:
    """One tactic with its description, sources and history of trials across circles."""
    from halqa.learning import tactic

    with open_vault() as vault:
        data = tactic(vault, tactic_id, lang=current_language())

    def human(d: Tactic) -> None:
        console.print(Text.assemble((literal(d.title or ""), "bold"), literal(f" ({d.place or ''} {d.years or ''})")))
        console.print(d.description or "")
        for s in d.sources:
            console.print(f"  · {s}")
        for x in d.trials:
            console.print(t("learning.trial_line", month=x.month, circle=x.tried_by,
                            outcome=t(f"learning.outcome_{x.outcome}") if x.outcome else t("learning.pending")))

    emit(data, human)


@learn_app.command("quiet")
def quiet_cmd(
    day: Annotated[str, typer.Option("--day", help="Day of the act, YYYY-MM-DD.")],
    hour: Annotated[int, typer.Option("--hour", help="Local hour (0-23).")],
    instruction: Annotated[list[str], typer.Option(
        "--instruction", help="CIRCLE=ACTION (repeatable); ACTION: silence, cleanup, candles, white, pause, greet, plant, "
                              "share_food.")],
    lang: Annotated[str, typer.Option("--line-lang", help="Language of the cards: en, ar or ckb.")] = "en",
) -> None:
    """Plan a synchronised quiet action: one card per circle, holding only the time and its own action,
    written with that circle's codebook."""
    from halqa.learning import quiet_action

    pairs = {}
    for item in instruction:
        circle, sep, text = item.partition("=")
        if not sep:
            raise InvalidInput("learning.bad_instruction", circle=item, actions="silence, cleanup, ...")
        pairs[circle.strip()] = text
    with open_vault() as vault:
        data = quiet_action(vault, day, hour, pairs, lang=lang)

    def human(d: QuietCards) -> None:
        console.print(t("learning.quiet_done", n=len(d.cards)))
        for c in d.cards:
            console.print(f"{c.circle}: {c.card}")

    emit(data, human)


@learn_app.command("card")
def card_cmd(
    circle: Annotated[str, typer.Argument(help="Your circle id.")],
    card: Annotated[str, typer.Argument(help="The card you received (quote it: it is a line of words).")],
) -> None:
    """Read a quiet-action card meant for your circle."""
    from halqa.learning import open_card

    with open_vault() as vault:
        data = open_card(vault, circle, card)
    emit(data, lambda d: console.print(t("learning.card_line", day=d.day, hour=d.hour, do=t(f"learning.quiet_{d.do}"))))


@learn_app.command("circle-key")
def circle_key_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    set_key: Annotated[Optional[str], typer.Option(
        "--set", help="Record the key this circle already uses (64 hex characters).")] = None,
) -> None:
    """Show the codebook key cards for a circle are written with (to hand to it once), or record its own."""
    from halqa.learning import circle_key, set_circle_key

    with open_vault() as vault:
        if set_key:
            recorded = set_circle_key(vault, circle, set_key)
            emit(recorded, lambda d: console.print(t("learning.circle_key_set", circle=d.circle)))
            return
        key = circle_key(vault, circle).hex()
    emit({"circle": circle, "key": key}, lambda d: console.print(t("learning.circle_key_line", circle=d["circle"], key=d["key"])))


# ---------------------------------------------------------------------------- care
def _care_human(d: Care) -> None:
    g = d.gathering
    console.print(t("learning.care_line", action=d.action, circle=d.circle, day=g.day,
                    part=t(f"learning.daypart_{g.part}"),
                    form=t(f"learning.form_{g.form}"), host=g.host or "-", due=g.due))
    console.print(t(f"learning.care_status_{d.status}"))


@care_app.command("plan")
def care_plan_cmd(
    action: Annotated[str, typer.Argument(help="A meeting id, or any id for an action.")],
    circle: Annotated[Optional[str], typer.Option("--circle", help="The circle (taken from the meeting if a meeting).")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day of the action, YYYY-MM-DD.")] = None,
    within: Annotated[int, typer.Option("--within", help="Hold the gathering within this many days.")] = 3,
    form: Annotated[str, typer.Option("--form", help="meal, poetry, prayer, silence, walk or music.")] = "meal",
) -> None:
    """Mark a meeting or action high-risk and plan its decompression gathering."""
    from halqa.learning import care_plan

    with open_vault() as vault:
        data = care_plan(vault, action, circle, day, within, form)
    emit(data, _care_human)


@care_app.command("held")
def care_held_cmd(
    action: Annotated[str, typer.Argument(help="The high-risk action or meeting id.")],
    day: Annotated[Optional[str], typer.Option("--day", help="Day it was held (default today).")] = None,
    form: Annotated[Optional[str], typer.Option("--form", help="What it was, if not as planned.")] = None,
) -> None:
    """Record that the decompression gathering was held (stops the reminders)."""
    from halqa.learning import care_held

    with open_vault() as vault:
        data = care_held(vault, action, day, form)
    emit(data, _care_human)


@care_app.command("checkin")
def checkin_cmd(
    circle: Annotated[str, typer.Option("--circle", help="Your circle.")],
    score: Annotated[int, typer.Option("--score", help="1 (very strained) to 5 (well).")],
    word: Annotated[str, typer.Option("--word", help="One word for how you are.")] = "",
    member: Annotated[Optional[str], typer.Option("--member", help="Your pseudonym (stored only with --share).")] = None,
    share: Annotated[bool, typer.Option("--share", help="Let your circle's organiser see this check-in as yours.")] = False,
    day: Annotated[Optional[str], typer.Option("--day", help="Day (only its week is kept).")] = None,
) -> None:
    """A private well-being check-in (shown only as circle-level trends unless --share)."""
    from halqa.learning import checkin

    with open_vault() as vault:
        data = checkin(vault, circle, score, word, member, share, day)
    emit(data, lambda d: console.print(t("learning.checkin_shared" if d.shared else "learning.checkin_private",
                                         week=d.week)))


@care_app.command("status")
def care_status_cmd(circle: Annotated[Optional[str], typer.Option("--circle", help="One circle only.")] = None) -> None:
    """Gatherings still to hold, and each circle's well-being trend (strained circles flagged)."""
    from halqa.learning import care_status

    with open_vault() as vault:
        data = care_status(vault, circle)

    def human(d: CareStatus) -> None:
        if not d.reminders:
            console.print(t("learning.no_reminders"))
        for r in d.reminders:
            _care_human(r)
        table = Table(t("learning.col_circle"), t("learning.col_weeks"), t("learning.col_strained"), t("learning.col_notify"))
        for c in d.circles:
            weeks = " ".join("·" if w.mean is None else str(w.mean) for w in c.weeks)
            table.add_row(c.circle, weeks, t("learning.yes") if c.strained else "", c.notify or "")
        console.print(table)

    emit(data, human)


# ---------------------------------------------------------------------------- circles health / replicate
def health_cmd(
    circle: Annotated[Optional[str], typer.Option("--circle", help="One circle only.")] = None,
    months: Annotated[int, typer.Option("--months", help="Months of records to weigh.")] = 3,
    today: Annotated[Optional[str], typer.Option("--today", help="As of this day, YYYY-MM-DD (default today).")] = None,
) -> None:
    """Circle health from what is recorded, and which circles are ready to replicate."""
    from halqa.learning import PARTS, health

    with open_vault() as vault:
        data = health(vault, circle=circle, today=today, months=months)

    def human(d: Health) -> None:
        table = Table(t("learning.col_circle"), t("learning.col_score"), t("learning.col_ready"), t("learning.col_parts"))
        for c in d.circles:
            parts = ", ".join(f"{t(f'learning.part_{p}')} {c.parts[p]:.2f}" for p in PARTS if c.parts[p] is not None)
            table.add_row(c.id, "-" if c.score is None else str(c.score),
                          t("learning.yes") if c.replication_ready else "", parts or "-")
        console.print(table)

    emit(data, human)


def replicate_cmd(
    circle: Annotated[str, typer.Argument(help="Circle id.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run/--record", help="Only show the suggestion (default), or also record it.")] = True,
    today: Annotated[Optional[str], typer.Option("--today", help="As of this day, YYYY-MM-DD (default today).")] = None,
) -> None:
    """Suggest a split along the circle's weakest trust cut and a starter kit for a new circle (never a command)."""
    from halqa.learning import replicate

    with open_vault() as vault:
        data = replicate(vault, circle, dry_run=dry_run, today=today)

    def human(d: Replication) -> None:
        console.print(t("learning.replicate_ready" if d.ready else "learning.replicate_not_ready", circle=d.circle,
                        score="-" if d.score is None else d.score))
        for r in d.reasons:
            console.print("  · " + t(f"learning.reason_{r}"))
        if d.split:
            console.print(t("learning.split_line", stay=", ".join(d.split.stay), new=", ".join(d.split.new)))
        kit = d.kit
        console.print(t("learning.kit_line", tactics=len(kit.tactics_that_worked),
                        roles=", ".join(kit.practices.roles) or "-"))
        console.print(t("learning.suggestion_only"))

    emit(data, human)


def register(app: typer.Typer) -> None:
    """Add ``halqa learn``, ``halqa care`` and, on the circles group (registered before this
    module), ``health`` and ``replicate``."""
    app.add_typer(learn_app, name="learn")
    app.add_typer(care_app, name="care")
    circles_group = next((g.typer_instance for g in app.registered_groups if g.name == "circles"), None)
    if circles_group is None:  # an app without circles (a test's probe): the shared learn group stays as it is
        return
    circles_group.command("health")(health_cmd)
    circles_group.command("replicate")(replicate_cmd)
