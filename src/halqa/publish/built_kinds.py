"""The poster of what the network provides itself: "what we built this month" (institutions).

Split from :mod:`halqa.publish.kinds` by subject. It draws :func:`halqa.institutions.account`:
households served per service kind and area, with the water and power figures set beside the
state's in the notes. Every cell passes the bridge's disclosure control
(:mod:`halqa.publish.disclosure`): a (kind, area) cell with fewer households than the threshold is
withheld, and an area's side-by-side figures are shown only when the households behind each side
reach it (served households for the network; households recording for the grid; household-days
recorded for tap water).
"""

from __future__ import annotations

from typing import Any

from halqa.errors import InvalidInput
from halqa.institutions import KINDS, account, delivery_span
from halqa.publish.charts import chart_spec
from halqa.publish.common import Figure, Request, area_label, check_area
from halqa.publish.disclosure import control
from halqa.publish.style import localise_digits
from halqa.results import to_data


def _month(req: Request) -> str:
    if req.last:
        return req.last[:7]
    span = delivery_span(req.vault)
    if span is None:
        raise InvalidInput("publish.error.no_deliveries")
    return span[1][:7]


def built(req: Request, width: float, height: float) -> Figure:
    """What we built this month: households our own services reached, network beside state."""
    month = _month(req)
    acc = to_data(account(req.vault, month))  # the account as data: this poster reads it as the API gives it
    area = check_area(req)
    areas = {c: a for c, a in acc["areas"].items() if area in (None, c)}
    cells = [(code, kind, s) for code, a in sorted(areas.items()) for kind, s in a["services"].items()]
    mname = f"{req.tr(f'publish.month.{int(month[5:])}')} {localise_digits(month[:4], req.digits)}"
    fig = Figure("built", req.tr("publish.built.title"), req.tr2("publish.built.title"), period=mname)
    kept, withheld = control(cells, lambda c: c[2]["households"], req.threshold)
    fig.suppressed += [f"{code} {kind}" for code, kind, _ in withheld]
    if not kept:
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    rows = [{"code": code, "area": area_label(req, code), "kind": req.tr(f"institutions.kind.{kind}"),
             "households": s["households"], "quantity": s["quantity"]} for code, kind, s in kept]
    fig.data = [{"code": r["code"], "kind": k, "households": r["households"], "quantity": r["quantity"]}
                for r, (_, k, _) in zip(rows, kept, strict=True)]
    shown, _ = control(sorted(areas.items()), lambda item: item[1]["households_served"], req.threshold)
    served = sum(a["households_served"] for _, a in shown)
    fig.headline = req.tr("publish.built.headline", households=req.num(served), kinds=req.num(len({k for _, k, _ in kept})))
    fig.headline2 = req.tr2("publish.built.headline", households=req.num(served, 0, True),
                            kinds=req.num(len({k for _, k, _ in kept}), 0, True))
    for code, a in shown:
        fig.notes += _beside(req, code, a)
    if acc["network"]["decisions"]:
        fig.notes.append(req.tr("publish.built.decisions", n=req.num(acc["network"]["decisions"])))
    fig.notes.append(req.tr("publish.built.note", n=req.threshold))
    if fig.suppressed:
        fig.notes.append(req.tr("publish.built.hidden", n=req.threshold, count=req.num(len(fig.suppressed))))
    order = [req.tr(f"institutions.kind.{k}") for k in KINDS]
    enc: dict[str, Any] = {
        "x": {"field": "kind", "type": "nominal", "sort": order, "title": None, "axis": {"labelAngle": 0}},
        "y": {"field": "households", "type": "quantitative", "title": req.tr("publish.built.axis")},
    }
    if len({r["code"] for r in rows}) > 1:
        enc["xOffset"] = {"field": "area", "type": "nominal"}
        enc["color"] = {"field": "area", "type": "nominal", "title": None}
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 80 * req.scale, "height": height - 90 * req.scale,
                           "mark": {"type": "bar"}, "encoding": enc})
    return fig


def _beside(req: Request, code: str, a: dict[str, Any]) -> list[str]:
    """The area's network figures beside the state's, each side only when enough households stand behind it."""
    out = []
    name = area_label(req, code)
    w, p = a.get("water"), a.get("power")
    if w and w["network_households"] >= req.threshold:
        if (w["state_days_recorded"] or 0) >= req.threshold:
            out.append(req.tr("publish.built.water_state", area=name, litres=req.num(w["network_litres"]),
                              share=req.num(100 * w["state_no_water_share"])))
        else:
            out.append(req.tr("publish.built.water", area=name, litres=req.num(w["network_litres"])))
    if p and p["network_households"] >= req.threshold:
        if p["state_grid_hours_per_day"] is not None and (p["state_households"] or 0) >= req.threshold:
            out.append(req.tr("publish.built.power_state", area=name, hours=req.num(p["network_hours_per_household_day"], 1),
                              grid=req.num(p["state_grid_hours_per_day"], 1)))
        else:
            out.append(req.tr("publish.built.power", area=name, hours=req.num(p["network_hours_per_household_day"], 1)))
    return out
