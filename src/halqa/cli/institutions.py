"""Commands of halqa.institutions: ``halqa decide ...`` and ``halqa services ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from halqa.cli.common import area_names, console, emit, joined, open_vault
from halqa.errors import InvalidInput
from halqa.i18n import current_language, t
from halqa.results import to_data

decide_app = typer.Typer(no_args_is_help=True, help="Decide together: proposals, positions, in-person counts, results.")
services_app = typer.Typer(no_args_is_help=True, help="Shared services, their deliveries and shifts, and the monthly account.")


# ---------------------------------------------------------------------------- decide
@decide_app.command("propose")
def propose_cmd(
    title: Annotated[str, typer.Option("--title", help="What is proposed.")],
    option: Annotated[Optional[list[str]], typer.Option("--option", help="An option (repeat; not for consent).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="consent, majority or ranked.")] = "majority",
    closes: Annotated[Optional[str], typer.Option("--closes", help="Last day positions are taken, YYYY-MM-DD.")] = None,
    quorum: Annotated[int, typer.Option("--quorum", help="Fewest participants for a valid result.")] = 0,
    text: Annotated[str, typer.Option("--text", help="The proposal in full.")] = "",
    circle: Annotated[Optional[list[str]], typer.Option("--circle", help="A circle whose members take part (repeat).")] = None,
    member: Annotated[Optional[list[str]], typer.Option("--member", help="A further member who takes part (repeat).")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day it opens (default today).")] = None,
) -> None:
    """Open a proposal; prints its id."""
    from halqa.institutions import propose

    with open_vault() as vault:
        data = propose(vault, title, option or [], mode=mode, text=text, circles=circle or [], members=member or [],
                       closes=closes, quorum=quorum, day=day)
    emit({"id": data.id}, lambda d: console.print(t("institutions.cli.proposed", id=d["id"])))


@decide_app.command("position")
def position_cmd(
    proposal: Annotated[str, typer.Argument(help="Proposal id.")],
    member: Annotated[str, typer.Option("--member", help="The member's pseudonym.")],
    choice: Annotated[list[str], typer.Option("--choice", help="The option chosen (ranked: repeat, best first).")],
    day: Annotated[Optional[str], typer.Option("--day", help="Day of the position (default today).")] = None,
) -> None:
    """Record or change a member's position."""
    from halqa.institutions import position

    with open_vault() as vault:
        data = position(vault, proposal, member, choice, day=day)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.position", member=d["member"], choice=" > ".join(d["choice"]))))


def _counts(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        key, sep, n = item.rpartition("=")
        if not sep or not key.strip() or not n.strip().isdigit():
            raise InvalidInput("institutions.cli.bad_tally", item=item)
        out[key.strip()] = out.get(key.strip(), 0) + int(n)
    return out


@decide_app.command("count")
def count_cmd(
    proposal: Annotated[str, typer.Argument(help="Proposal id.")],
    tally: Annotated[list[str], typer.Option("--tally", help="OPTION=N from a hand count (ranked: A>B>C=N); repeat.")],
    day: Annotated[Optional[str], typer.Option("--day", help="Day of the meeting (default today).")] = None,
) -> None:
    """Record a meeting's hand count: numbers only, never names."""
    from halqa.institutions import count_in_person

    with open_vault() as vault:
        data = count_in_person(vault, proposal, _counts(tally), day=day)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.counted", n=d["ballots"], id=d["proposal"])))


def _result_human(d: dict[str, Any]) -> None:
    console.print(t("institutions.cli.result", id=d["id"], outcome=_outcome(d["outcome"]), n=d["participants"]))
    table = Table(t("institutions.col_option"), t("institutions.col_votes"))
    for option, n in (d["counts"] or {}).items():
        table.add_row(_outcome(option), str(n))
    console.print(table)


def _outcome(value: str | None) -> str:
    if value is None:
        return t("institutions.open")
    text = t(f"institutions.outcome.{value}")
    return value if text.startswith("institutions.") else text


@decide_app.command("close")
def close_cmd(
    proposal: Annotated[str, typer.Argument(help="Proposal id.")],
    day: Annotated[Optional[str], typer.Option("--day", help="Day it closes (default today).")] = None,
) -> None:
    """Close a proposal: compute and record the result."""
    from halqa.institutions import close

    with open_vault() as vault:
        data = close(vault, proposal, day=day)
    emit({k: to_data(data)[k] for k in ("id", "mode", "outcome", "participants", "counts")}, _result_human)


@decide_app.command("show")
def show_cmd(proposal: Annotated[str, typer.Argument(help="Proposal id.")]) -> None:
    """Show a proposal: its terms, how many positions so far, its result and what followed."""
    from halqa.institutions import proposal as get

    with open_vault() as vault:
        data = get(vault, proposal)

    def human(d: dict[str, Any]) -> None:
        console.print(Text.assemble((d["title"], "bold"), f" ({d['id']}, {t('institutions.mode.' + d['mode'])})"))
        console.print(t("institutions.cli.terms", options=", ".join(map(_outcome, d["options"])), closes=d["closes"] or "-",
                        quorum=d["quorum"], positions=d["positions"]))
        if d["closed"]:
            _result_human(d)
        for ln in d["links"]:
            console.print(f"→ {t('institutions.link.' + ln['kind'])}: {ln['ref']} {ln['note']}")

    emit(to_data(data), human)


def _proposal_table(rows: list[dict[str, Any]]) -> None:
    table = Table(t("institutions.col_id"), t("institutions.col_title"), t("institutions.col_mode"),
                  t("institutions.col_closed"), t("institutions.col_outcome"), t("institutions.col_participants"))
    for p in rows:
        table.add_row(p["id"], p["title"], t(f"institutions.mode.{p['mode']}"), p["closed"] or "-", _outcome(p["outcome"]),
                      str(p["participants"] if p["participants"] is not None else p["positions"]))
    console.print(table)


@decide_app.command("list")
def list_cmd(
    circle: Annotated[Optional[str], typer.Option("--circle", help="Only proposals this circle takes part in.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open proposals.")] = False,
) -> None:
    """List proposals, newest first."""
    from halqa.institutions import proposals

    with open_vault() as vault:
        data = proposals(vault, circle=circle, open_only=open_only)
    emit({"proposals": to_data(data)}, lambda d: _proposal_table(d["proposals"]))


@decide_app.command("link")
def link_cmd(
    proposal: Annotated[str, typer.Argument(help="Proposal id.")],
    kind: Annotated[str, typer.Option("--kind", help="task, fund_entry, pool, service, repair, session or note.")],
    ref: Annotated[str, typer.Option("--ref", help="The id of what followed.")],
    note: Annotated[str, typer.Option("--note", help="A few words.")] = "",
    day: Annotated[Optional[str], typer.Option("--day", help="Day (default today).")] = None,
) -> None:
    """Record what followed a decision."""
    from halqa.institutions import link

    with open_vault() as vault:
        data = link(vault, proposal, kind, ref, note=note, day=day)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.linked", id=d["proposal"], ref=d["ref"])))


@decide_app.command("log")
def log_cmd(
    circle: Annotated[Optional[str], typer.Option("--circle", help="Only this circle's decisions.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Closed on or after this day.")] = None,
) -> None:
    """The decision log: what was decided, when, by whom, and what followed."""
    from halqa.institutions import decision_log

    with open_vault() as vault:
        data = decision_log(vault, circle=circle, since=since)
    emit({"decisions": to_data(data)}, lambda d: _proposal_table(d["decisions"]))


@decide_app.command("tactic")
def tactic_cmd(
    circle: Annotated[str, typer.Option("--circle", help="The circle choosing.")],
    tactic: Annotated[list[str], typer.Option("--tactic", help="A tactic id from the archive (repeat).")],
    month: Annotated[str, typer.Option("--month", help="The month of the test, YYYY-MM.")],
    closes: Annotated[Optional[str], typer.Option("--closes", help="Last day positions are taken, YYYY-MM-DD.")] = None,
    quorum: Annotated[int, typer.Option("--quorum", help="Fewest participants for a valid result.")] = 0,
    day: Annotated[Optional[str], typer.Option("--day", help="Day it opens (default today).")] = None,
) -> None:
    """Open a ranked choice of the one tactic to test this month; prints its id."""
    from halqa.i18n import current_language
    from halqa.institutions import choose_tactic

    with open_vault() as vault:
        data = choose_tactic(vault, circle, tactic, month, closes=closes, quorum=quorum, day=day, lang=current_language())
    emit({"id": data.id, "options": data.options}, lambda d: console.print(t("institutions.cli.proposed", id=d["id"])))


@decide_app.command("adopt")
def adopt_cmd(
    proposal: Annotated[str, typer.Argument(help="A closed tactic choice.")],
    month: Annotated[Optional[str], typer.Option("--month", help="Month of the session (default: of the close).")] = None,
    tries: Annotated[Optional[str], typer.Option("--tries", help="The circle that tries it.")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day recorded (default today).")] = None,
) -> None:
    """Turn the chosen tactic into the month's learning session, linked to the decision."""
    from halqa.institutions import adopt_tactic
    from halqa.learning import tactic

    with open_vault() as vault:
        data = adopt_tactic(vault, proposal, month=month, tries=tries, day=day)
        title = tactic(vault, data.tactic_id or "", lang=current_language()).title  # the archive's, in the reader's language
    emit(data, lambda d: console.print(t("institutions.cli.adopted", id=d.id, circle=d.circle, tactic=title,
                                         month=d.month)))


# ---------------------------------------------------------------------------- services
@services_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="Short name, e.g. nakheel-water.")],
    kind: Annotated[str, typer.Option("--kind", help="water, power, repair, childcare, shuttle or food.")],
    area: Annotated[Optional[list[str]], typer.Option("--area", help="An area it serves (repeat).")] = None,
    household: Annotated[Optional[list[str]], typer.Option("--household", help="A household it serves (repeat).")] = None,
    circle: Annotated[Optional[list[str]], typer.Option("--circle", help="A circle that runs it (repeat).")] = None,
    rota: Annotated[Optional[list[str]], typer.Option("--rota", help="A member who takes shifts (repeat).")] = None,
    fund: Annotated[Optional[str], typer.Option("--fund", help="The fund that pays its costs.")] = None,
    pool: Annotated[Optional[str], typer.Option("--pool", help="A savings pool that finances it.")] = None,
    note: Annotated[str, typer.Option("--note", help="A few words.")] = "",
    day: Annotated[Optional[str], typer.Option("--day", help="Day it starts (default today).")] = None,
) -> None:
    """Start a shared service."""
    from halqa.institutions import create_service

    with open_vault() as vault:
        data = create_service(vault, name, kind, areas=area or [], households=household or [], circles=circle or [],
                              rota=rota or [], fund=fund, pool=pool, note=note, day=day)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.service_added", service=d["id"],
                                         unit=t(f"institutions.unit.{d['unit']}"))))


@services_app.command("list")
def services_cmd() -> None:
    """List the services with what each has delivered."""
    from halqa.institutions import services

    with open_vault() as vault:
        data = services(vault)
        names = area_names(vault)

    def human(d: dict[str, Any]) -> None:
        table = Table(t("institutions.col_service"), t("institutions.col_kind"), t("institutions.col_areas"),
                      t("institutions.col_deliveries"), t("institutions.col_delivered"))
        for s in d["services"]:
            table.add_row(s["id"], t(f"institutions.kind.{s['kind']}"), joined(names.get(a, a) for a in s["areas"]) or "-",
                          str(s["deliveries"]),
                          f"{s['delivered']:g} {t('institutions.unit.' + s['unit'])}")
        console.print(table)

    emit({"services": to_data(data)}, human)


@services_app.command("show")
def service_cmd(name: Annotated[str, typer.Argument(help="Service name.")]) -> None:
    """Show a service: whom it serves, assets and repairs, costs, shifts, deliveries by month."""
    from halqa.institutions import service

    with open_vault() as vault:
        data = service(vault, name)

    def human(d: dict[str, Any]) -> None:
        console.print(Text.assemble((d["id"], "bold"), f" ({t('institutions.kind.' + d['kind'])}) {d['note']}"))
        for a in d["assets"]:
            console.print(f"· {a['name']} ({len(a['repairs'])} {t('institutions.col_repairs')})")
        table = Table(t("institutions.col_month"), t("institutions.col_deliveries"), t("institutions.col_delivered"),
                      t("institutions.col_households"))
        for m in d["by_month"]:
            table.add_row(m["month"], str(m["deliveries"]), f"{m['quantity']:g}", str(m["households"]))
        console.print(table)

    emit(to_data(data), human)


@services_app.command("asset")
def asset_cmd(
    name: Annotated[str, typer.Argument(help="Service name.")],
    asset: Annotated[str, typer.Option("--name", help="What the asset is.")],
    item: Annotated[Optional[str], typer.Option("--item", help="A tool-library item id.")] = None,
    repair: Annotated[Optional[list[str]], typer.Option("--repair", help="A repair id already logged (repeat).")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day (default today).")] = None,
) -> None:
    """Record an asset of a service."""
    from halqa.institutions import add_asset

    with open_vault() as vault:
        data = add_asset(vault, name, asset, item=item, repairs=repair or [], day=day)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.asset_added", id=d["id"], service=d["service"])))


@services_app.command("repair")
def repair_cmd(
    asset: Annotated[str, typer.Argument(help="Asset id.")],
    what: Annotated[str, typer.Option("--what", help="What was repaired.")],
    who: Annotated[list[str], typer.Option("--who", help="Who worked on it (repeat).")],
    part: Annotated[Optional[list[str]], typer.Option("--part", help="A part used (repeat).")] = None,
    done: Annotated[bool, typer.Option("--done", help="The repair is finished.")] = False,
    day: Annotated[Optional[str], typer.Option("--day", help="Day (default today).")] = None,
) -> None:
    """Log a repair of an asset (in the mutual-aid repair log)."""
    from halqa.institutions import log_asset_repair

    with open_vault() as vault:
        data = log_asset_repair(vault, asset, what, who, parts=part or [], day=day, done=done)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.repair_logged", id=d["id"], asset=d["asset"])))


@services_app.command("cost")
def cost_cmd(
    name: Annotated[str, typer.Argument(help="Service name.")],
    amount: Annotated[str, typer.Argument(help="Amount, in the fund's currency.")],
    purpose: Annotated[str, typer.Option("--purpose", help="fuel, repairs, food, transport, childcare, other...")] = "other",
    note: Annotated[str, typer.Option("--note", help="A few words.")] = "",
    day: Annotated[Optional[str], typer.Option("--day", help="Day (default today).")] = None,
) -> None:
    """Pay a running cost of a service from its fund."""
    from halqa.institutions import pay_cost

    with open_vault() as vault:
        data = pay_cost(vault, name, amount, purpose=purpose, day=day, note=note)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.cost_paid", amount=d["amount"], currency=d["currency"],
                                         fund=d["fund"], entry=d["entry"])))


@services_app.command("rota")
def rota_cmd(
    name: Annotated[str, typer.Argument(help="Service name.")],
    start: Annotated[Optional[str], typer.Option("--start", help="First day, YYYY-MM-DD (default today).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks to plan.")] = 4,
    min_gap: Annotated[int, typer.Option("--min-gap", help="Fewest days between shifts.")] = 1,
    max_gap: Annotated[int, typer.Option("--max-gap", help="Most days between shifts.")] = 3,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Random seed.")] = None,
) -> None:
    """Plan who is on shift (fair, irregular, like circle meetings) and record it."""
    from halqa.institutions import plan_rota

    with open_vault() as vault:
        data = plan_rota(vault, name, start, weeks=weeks, min_gap=min_gap, max_gap=max_gap, seed=seed)

    def human(d: dict[str, Any]) -> None:
        table = Table(t("institutions.col_day"), t("institutions.col_part"), t("institutions.col_member"))
        for s in d["shifts"]:
            table.add_row(s["day"], t(f"institutions.part.{s['part']}"), s["member"])
        console.print(table)
        console.print(t("institutions.cli.rota", n=len(d["shifts"]), fair=t("institutions.yes" if d["fair"] else "institutions.no"),
                        score=d["unpredictability"]))

    emit(to_data(data), human)


@services_app.command("deliver")
def deliver_cmd(
    name: Annotated[str, typer.Argument(help="Service name.")],
    household: Annotated[str, typer.Option("--household", help="The household served.")],
    quantity: Annotated[str, typer.Option("--quantity", help="Units delivered (litres, hours, rides...).")],
    worker: Annotated[Optional[str], typer.Option("--worker", help="Who was on shift.")] = None,
    day: Annotated[Optional[str], typer.Option("--day", help="Day (default today).")] = None,
) -> None:
    """Record a delivery to a household."""
    from halqa.institutions import deliver

    with open_vault() as vault:
        data = deliver(vault, name, household, quantity, day=day, worker=worker)
    emit(to_data(data), lambda d: console.print(t("institutions.cli.delivered", quantity=f"{d['quantity']:g}",
                                                  household=d["household"], service=d["service"])))


@services_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="CSV with service,day,household,quantity[,worker].")],
    name: Annotated[Optional[str], typer.Option("--service", help="The service, when the file has no service column.")] = None,
) -> None:
    """Import deliveries; every bad row is reported, the good ones kept."""
    from halqa.institutions import import_deliveries

    with open_vault() as vault:
        data = import_deliveries(vault, path, svc=name)

    def human(d: dict[str, Any]) -> None:
        console.print(t("institutions.cli.imported", kept=d["kept"], rejected=d["rejected"]))
        for e in d["errors"]:
            console.print(f"  {t('institutions.line')} {e['line']}: {e['message']}")

    emit(to_data(data), human)


@services_app.command("account")
def account_cmd(month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")]) -> None:
    """The monthly account per area: what the network delivered beside what the state did."""
    from halqa.institutions import account

    with open_vault() as vault:
        data = account(vault, month)
        names = area_names(vault)

    def human(d: dict[str, Any]) -> None:
        table = Table(t("institutions.col_area"), t("institutions.col_households"), t("institutions.col_litres"),
                      t("institutions.col_no_tap"), t("institutions.col_coop_hours"), t("institutions.col_grid_hours"),
                      t("institutions.col_repairs"))
        for code, a in d["areas"].items():
            w, p = a.get("water") or {}, a.get("power") or {}
            share = w.get("state_no_water_share")
            table.add_row(names.get(code, code), str(a["households_served"]), f"{w.get('network_litres', 0):g}",
                          "-" if share is None else f"{100 * share:.0f}%",
                          _num(p.get("network_hours_per_household_day")), _num(p.get("state_grid_hours_per_day")),
                          str(a["repairs_done"]))
        console.print(table)
        console.print(t("institutions.cli.network", decisions=d["network"]["decisions"],
                        served=d["network"]["households_served"]))

    emit(to_data(data), human)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@services_app.command("trend")
def trend_cmd(
    month: Annotated[str, typer.Option("--month", help="The last month, YYYY-MM.")],
    months: Annotated[int, typer.Option("--months", help="How many months.")] = 6,
) -> None:
    """Headline figures month over month."""
    from halqa.institutions import account_trend

    with open_vault() as vault:
        data = account_trend(vault, month, months)

    def human(d: dict[str, Any]) -> None:
        table = Table(t("institutions.col_month"), t("institutions.col_households"), t("institutions.col_litres"),
                      t("institutions.col_power_hours"), t("institutions.col_repairs"), t("institutions.col_decisions"))
        for m in d["months"]:
            a = m["areas"].values()
            table.add_row(m["month"], str(sum(x["households_served"] for x in a)), f"{sum(x['litres'] for x in a):g}",
                          f"{sum(x['power_hours'] for x in a):g}", str(sum(x["repairs_done"] for x in a)), str(m["decisions"]))
        console.print(table)

    emit({"months": to_data(data)}, human)


def register(app: typer.Typer) -> None:
    """Add ``halqa decide`` and ``halqa services``."""
    app.add_typer(decide_app, name="decide")
    app.add_typer(services_app, name="services")
