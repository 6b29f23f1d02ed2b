"""The poster kinds: each reads aggregates through a domain's public functions and returns a
:class:`~halqa.publish.common.Figure` (texts, one Vega-Lite chart, the aggregates it draws).

Nothing here draws a household or a member: every cell passes the bridge's small-cell suppression
(:mod:`halqa.publish.disclosure`) before it reaches the chart, the data, a headline or a note;
withheld cells are listed by label only. Pool and fund posters show rounds and purposes, never
pseudonyms, and fund cells with fewer payments than the threshold are pooled or withheld.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from typing import Any

from halqa.errors import InvalidInput
from halqa.ledger import calendar, report, water_records, water_summary
from halqa.listening import hotspots as find_hotspots
from halqa.listening import shared_causes, themes
from halqa.publish.built_kinds import built
from halqa.publish.care_kinds import fund, pool
from halqa.publish.charts import boundaries, chart_spec, classes, is_dark, legend_entries, map_layers
from halqa.publish.common import (
    Figure,
    Request,
    area_label,
    area_names,
    check_area,
    day_label,
    ledger_period,
    period_text,
    reference_rows,
    short_name,
)
from halqa.publish.disclosure import control
from halqa.publish.style import localise_digits
from halqa.results import to_data

Builder = Callable[[Request, float, float], Figure]


def _ledger_report(req: Request, daily: bool = False) -> tuple[dict[str, Any], str, str]:
    first, last = ledger_period(req)
    return to_data(report(req.vault, first, last, daily=daily)), first, last


def _published_areas(req: Request, rep: dict[str, Any], fig: Figure) -> dict[str, dict[str, Any]]:
    """The report's districts that pass the bridge's suppression (n = households recording)."""
    kept, withheld = control(sorted(rep["areas"].items()), lambda item: item[1].get("households") or 0, req.threshold)
    fig.suppressed += [code for code, _ in withheld]
    return dict(kept)


def _suppressed_note(req: Request, fig: Figure) -> None:
    if fig.suppressed:
        fig.notes.append(req.tr("publish.note.suppressed", n=req.threshold,
                                areas="، ".join(area_label(req, c) for c in fig.suppressed)))


# ---------------------------------------------------------------------------- blackouts
def blackouts(req: Request, width: float, height: float) -> Figure:
    """Blackout calendar: days down, hours across, the share of households without power."""
    area = check_area(req)
    rep, first, last = _ledger_report(req)
    fig = Figure("blackouts", req.tr("publish.blackouts.title", area=area_label(req, area) if area else req.tr("publish.city")),
                 req.tr2("publish.blackouts.title", area=area_label(req, area, req.lang2) if area else req.tr2("publish.city")),
                 period=period_text(req, first, last))
    areas = _published_areas(req, rep, fig)
    codes = [area] if area else list(areas)
    codes = [c for c in codes if c in areas]
    if not codes:
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    rows = []
    breaks = [0.25, 0.5, 0.75]
    for code in codes:
        cal = to_data(calendar(req.vault, code, first, last))
        for d in cal["days"]:
            for h, share in enumerate(d["hours"]):
                rows.append({"area": area_label(req, code), "day": day_label(d["day"], req.digits), "hour": h, "share": share})
    idx, colours = classes(req, [r["share"] for r in rows], breaks)
    labels = [req.tr("publish.blackouts.class", low=int(b0 * 100), high=int(b1 * 100))
              for b0, b1 in zip([0, *breaks], [*breaks, 1], strict=True)]
    for r, i in zip(rows, idx, strict=True):
        r["class"] = labels[i]
    days = sorted({r["day"] for r in rows}, key=[r["day"] for r in rows].index)
    supply = sum(areas[c]["supply_hours_per_day"] for c in codes) / len(codes)
    fig.headline = req.tr("publish.blackouts.headline", hours=req.num(24 - supply, 1))
    fig.headline2 = req.tr2("publish.blackouts.headline", hours=req.num(24 - supply, 1, lang2=True))
    fig.notes.append(req.tr("publish.blackouts.note", n=req.num(sum(areas[c]["households"] for c in codes))))
    _suppressed_note(req, fig)
    fig.data = [{"area": c, "households": areas[c]["households"], "supply_hours_per_day": areas[c]["supply_hours_per_day"]}
                for c in codes]
    hour_values = list(range(0, 24, 3))
    encoding: dict[str, Any] = {
        "x": {"field": "hour", "type": "ordinal", "title": req.tr("publish.axis.hour"),
              "axis": {"values": hour_values, "labelExpr": _digits_expr(req), "labelAngle": 0}},
        "y": {"field": "day", "type": "ordinal", "sort": days, "title": None,
              "axis": {"values": days[::7], "ticks": False}},
    }
    if req.style.name == "print1":
        size_for = {lab: s for lab, s in zip(labels, (0, 0.25, 0.55, 1.0), strict=True)}
        for r in rows:
            r["size"] = size_for[r["class"]]
        mark = {"type": "square", "filled": True, "fill": req.style.ink, "stroke": None}
        encoding["size"] = {"field": "size", "type": "quantitative", "scale": {"range": [0, 1]}, "legend": None}
    else:
        mark = {"type": "rect", "stroke": None}
        encoding["color"] = {"field": "class", "type": "ordinal", "sort": labels, "title": req.tr("publish.blackouts.legend"),
                             "scale": {"domain": labels, "range": colours}}
    n_panels = len(codes)
    cols = 1 if n_panels == 1 else 3
    rows_n = (n_panels + cols - 1) // cols
    cell_w = (width - 60 * req.scale) / cols - 16 * req.scale
    cell_h = (height - (70 if n_panels == 1 else 90) * req.scale) / rows_n - 24 * req.scale
    if req.style.name == "print1":
        encoding["size"]["scale"] = {"range": [0, max(1.0, (cell_w / 24) * (cell_h / len(days)))]}
    unit = {"mark": mark, "encoding": encoding, "width": cell_w, "height": cell_h}
    if n_panels == 1:
        fig.spec = chart_spec({"data": {"values": rows}, **unit})
    else:
        fig.spec = chart_spec({"data": {"values": rows}, "facet": {"field": "area", "type": "nominal", "title": None},
                          "columns": cols, "spec": unit})
    return fig


def _digits_expr(req: Request) -> str:
    if req.digits != "arab":
        return "datum.label"
    expr = "datum.label"
    for i, ch in enumerate("٠١٢٣٤٥٦٧٨٩"):
        expr = f"replace({expr}, /{i}/g, '{ch}')"
    return expr


# ---------------------------------------------------------------------------- supply
def supply(req: Request, width: float, height: float) -> Figure:
    """Supply hours per district, measured by households, against the official claim."""
    area = check_area(req)
    rep, first, last = _ledger_report(req)
    fig = Figure("supply", req.tr("publish.supply.title"), req.tr2("publish.supply.title"), period=period_text(req, first, last))
    areas = _published_areas(req, rep, fig)
    if not areas or (area is not None and area not in areas):
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    claims: dict[str, float] = {}
    for c in rep.get("claims", []):
        claims[c["area"]] = c["claimed_hours"]
    rows = [{"code": c, "name": area_label(req, c), "hours": round(a["supply_hours_per_day"], 1),
             "label": req.num(a["supply_hours_per_day"], 1), "claim": claims.get(c), "focus": area in (None, c),
             "households": a["households"]} for c, a in areas.items()]
    rows.sort(key=lambda r: r["hours"])
    fig.data = [{k: r[k] for k in ("code", "hours", "claim", "households")} for r in rows]
    focus = [r for r in rows if r["code"] == area] if area else rows
    mean = sum(r["hours"] for r in focus) / len(focus)
    claim_values = [r["claim"] for r in focus if r["claim"] is not None]
    if claim_values:
        claim = sum(claim_values) / len(claim_values)
        fig.headline = req.tr("publish.supply.headline_claim", hours=req.num(mean, 1), claim=req.num(claim, 0))
        fig.headline2 = req.tr2("publish.supply.headline_claim", hours=req.num(mean, 1, True), claim=req.num(claim, 0, True))
        fig.notes.append(req.tr("publish.supply.claim_note"))
    else:
        fig.headline = req.tr("publish.supply.headline", hours=req.num(mean, 1))
        fig.headline2 = req.tr2("publish.supply.headline", hours=req.num(mean, 1, True))
    fig.notes.append(req.tr("publish.supply.note"))
    _suppressed_note(req, fig)
    s = req.scale * (1.0 if req.style.name == "screen" else 1.25)
    other = "#9fb3c2" if req.style.name == "screen" else req.style.ink
    bar_h = height - 70 * req.scale
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "bar"},
         "encoding": {"color": {"condition": {"test": "datum.focus", "value": req.style.ink}, "value": other}}},
        {"mark": {"type": "text", "dx": 0, "dy": -12 * s, "fontSize": 18 * s, "fontWeight": "bold"},
         "encoding": {"text": {"field": "label"}}},
    ]
    if any(r["claim"] is not None for r in rows):
        layers.append({"mark": {"type": "tick", "thickness": max(req.style.min_stroke * 1.6, 4), "color": req.style.accent,
                                "size": (width - 80 * req.scale) / max(len(rows), 1) * 0.9},
                       "encoding": {"y": {"field": "claim", "type": "quantitative"}}})
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 60 * req.scale, "height": bar_h,
                      "encoding": {"x": {"field": "name", "type": "nominal", "sort": [r["name"] for r in rows], "title": None,
                                         "axis": {"labelAngle": 0, "labelFontSize": 12 * s, "labelLimit": 400}},
                                   "y": {"field": "hours", "type": "quantitative", "title": req.tr("publish.axis.hours_day"),
                                         "scale": {"domain": [0, 24]}, "axis": {"values": [0, 4, 8, 12, 16, 20, 24]}}},
                      "layer": layers})
    return fig


# ---------------------------------------------------------------------------- reliability
def reliability(req: Request, width: float, height: float) -> Figure:
    """Weekly hours without power per household (SAIDI per week) and the period's IEEE 1366 indices."""
    area = check_area(req)
    rep, first, last = _ledger_report(req, daily=True)
    fig = Figure("reliability", req.tr("publish.reliability.title"), req.tr2("publish.reliability.title"),
                 period=period_text(req, first, last))
    areas = _published_areas(req, rep, fig)
    codes = [c for c in ([area] if area else list(areas)) if c in areas]
    if not codes:
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    rows = []
    for c in codes:
        weekly: dict[int, float] = defaultdict(float)
        for k, d in enumerate(areas[c].get("daily", [])):
            if d.get("saidi_minutes") is not None:
                weekly[k // 7] += d["saidi_minutes"] / 60
        for w, hours in sorted(weekly.items()):
            start = areas[c]["daily"][w * 7]["day"]
            rows.append({"area": area_label(req, c), "week": w + 1,
                         "start": day_label(start, req.digits), "hours": round(hours, 1)})
    a = areas[codes[0]] if len(codes) == 1 else None
    if a is not None:
        fig.headline = req.tr("publish.reliability.headline", saidi=req.num(a["saidi_minutes"] / 60, 0),
                              saifi=req.num(a["saifi"], 0), caidi=req.num((a["caidi_minutes"] or 0) / 60, 1))
        fig.headline2 = req.tr2("publish.reliability.headline", saidi=req.num(a["saidi_minutes"] / 60, 0, True),
                                saifi=req.num(a["saifi"], 0, True), caidi=req.num((a["caidi_minutes"] or 0) / 60, 1, True))
    else:
        worst = max(codes, key=lambda c: areas[c]["saidi_minutes"])
        fig.headline = req.tr("publish.reliability.headline_city", area=area_label(req, worst),
                              saidi=req.num(areas[worst]["saidi_minutes"] / 60, 0))
        fig.headline2 = req.tr2("publish.reliability.headline_city", area=area_label(req, worst, req.lang2 or req.lang),
                                saidi=req.num(areas[worst]["saidi_minutes"] / 60, 0, True))
    fig.data = [{"area": c, "saifi": areas[c]["saifi"], "saidi_hours": round(areas[c]["saidi_minutes"] / 60, 1),
                 "caidi_hours": round((areas[c]["caidi_minutes"] or 0) / 60, 2), "asai": areas[c]["asai"],
                 "major_event_days": len(areas[c]["major_event_days"])} for c in codes]
    fig.notes.append(req.tr("publish.reliability.note"))
    _suppressed_note(req, fig)
    starts = sorted({(r["week"], r["start"]) for r in rows})
    enc: dict[str, Any] = {
        "x": {"field": "start", "type": "ordinal", "sort": [s for _, s in starts], "title": req.tr("publish.axis.week"),
              "axis": {"labelAngle": 0, "values": [s for _, s in starts][::2]}},
        "y": {"field": "hours", "type": "quantitative", "title": req.tr("publish.axis.hours_week")},
    }
    if len(codes) > 1:
        if req.style.name == "screen":
            enc["color"] = {"field": "area", "type": "nominal", "title": None}
        else:
            enc["strokeDash"] = {"field": "area", "type": "nominal", "title": None}
            enc["color"] = {"field": "area", "type": "nominal", "title": None}
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 70 * req.scale,
                      "height": height - (110 if len(codes) > 1 else 60) * req.scale,
                      "mark": {"type": "line", "point": len(codes) == 1}, "encoding": enc})
    return fig


# ---------------------------------------------------------------------------- water
def water(req: Request, width: float, height: float) -> Figure:
    """Money spent on bottled water per recording household per month, by district (from the
    ledger's :func:`halqa.ledger.water_records`, one per household and day)."""
    area = check_area(req)
    records = water_records(req.vault, area)
    if not records:
        raise InvalidInput("publish.error.no_water")
    currencies: dict[str, int] = defaultdict(int)
    for r in records:
        currencies[r.currency] += 1
    cur = max(currencies, key=lambda c: currencies[c])
    per: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in records:
        if r.currency == cur:
            per[(r.area, r.day[:7])][r.household] += Decimal(r.spent)
    months = sorted({m for _, m in per})
    fig = Figure("water", req.tr("publish.water.title"), req.tr2("publish.water.title"),
                 period=" – ".join(f"{req.tr(f'publish.month.{int(m[5:])}')} {localise_digits(m[:4], req.digits)}"
                                   for m in (months[0], months[-1])))
    data: list[dict[str, Any]] = []
    kept, withheld = control(sorted(per.items()), lambda item: len(item[1]), req.threshold)
    fig.suppressed += [f"{code} {month}" for (code, month), _ in withheld]
    for (code, month), spend in kept:
        mean = sum(spend.values()) / len(spend)
        data.append({"code": code, "area": area_label(req, code), "month": month,
                     "month_name": req.tr(f"publish.month.{int(month[5:])}"), "households": len(spend),
                     "spent_per_household": float(round(mean))})
    if not data:
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    fig.data = [{k: d[k] for k in ("code", "month", "households", "spent_per_household")} for d in data]
    homes: dict[str, set[str]] = defaultdict(set)
    for r in records:
        homes[r.area].add(r.household)
    shown_areas = {c for c, _ in control(sorted(homes.items()), lambda item: len(item[1]), req.threshold)[0]}
    summary = to_data(water_summary(req.vault, months[0] + "-01", months[-1] + "-28", area))
    days = sum(s["days"] for c, s in summary.items() if c in shown_areas)
    no_water = sum(s["no_water_days"] for c, s in summary.items() if c in shown_areas)
    bad = sum(s["contaminated_days"] for c, s in summary.items() if c in shown_areas)
    avg = sum(d["spent_per_household"] * d["households"] for d in data) / sum(d["households"] for d in data)
    fig.headline = req.tr("publish.water.headline", amount=req.num(avg), currency=req.tr(f"publish.currency.{cur.lower()}"))
    fig.headline2 = req.tr2("publish.water.headline", amount=req.num(avg, 0, True),
                            currency=req.tr2(f"publish.currency.{cur.lower()}"))
    if days:
        fig.notes.append(req.tr("publish.water.days", no_water=req.num(100 * no_water / days), bad=req.num(100 * bad / days)))
    fig.notes.append(req.tr("publish.water.note", n=req.threshold))
    if fig.suppressed:
        fig.notes.append(req.tr("publish.note.suppressed_cells", n=req.threshold, count=req.num(len(fig.suppressed))))
    s = req.scale * (1.0 if req.style.name == "screen" else 1.25)
    enc: dict[str, Any] = {
        "x": {"field": "month_name", "type": "nominal", "sort": [req.tr(f"publish.month.{int(m[5:])}") for m in months],
              "title": None, "axis": {"labelAngle": 0, "labelFontSize": 12 * s}},
        "y": {"field": "spent_per_household", "type": "quantitative", "title": req.tr("publish.axis.spent", currency=cur)},
    }
    n_areas = len({d["code"] for d in data})
    if n_areas > 1:
        enc["xOffset"] = {"field": "area", "type": "nominal"}
        enc["color"] = {"field": "area", "type": "nominal", "title": None}
    fig.spec = chart_spec({"data": {"values": data}, "width": width - 80 * req.scale,
                      "height": height - (110 if n_areas > 1 else 60) * req.scale, "mark": {"type": "bar"}, "encoding": enc})
    return fig


# ---------------------------------------------------------------------------- maps
def supply_map(req: Request, width: float, height: float) -> Figure:
    """Map of districts: supply hours per day, in solid classes, labelled on the map."""
    rep, first, last = _ledger_report(req)
    fig = Figure("map", req.tr("publish.map.title"), req.tr2("publish.map.title"), period=period_text(req, first, last))
    areas = _published_areas(req, rep, fig)
    geo = boundaries(req)
    codes = list(areas)
    breaks = [8.0, 12.0, 16.0, 20.0]
    idx, colours = classes(req, [24 - areas[c]["supply_hours_per_day"] for c in codes], [24 - b for b in reversed(breaks)])
    values = {}
    for c, i in zip(codes, idx, strict=True):
        fill = colours[i]
        values[c] = {"fill": fill, "label": req.tr("publish.map.label", hours=req.num(areas[c]["supply_hours_per_day"], 1)),
                     "dark": is_dark(fill)}
    for c in fig.suppressed:
        values[c] = {"fill": req.style.paper, "label": req.tr("publish.map.suppressed"), "class": req.tr("publish.map.suppressed")}
    bounds = [24, *reversed(breaks), 0]   # the classes (lightest first) in supply hours: 20–24, 16–20…
    class_labels = [req.tr("publish.map.class", low=req.num(lo), high=req.num(hi))
                    for hi, lo in pairwise(bounds)]
    legend = legend_entries(class_labels, colours)
    if fig.suppressed:
        legend.append((req.tr("publish.map.suppressed"), req.style.paper))
    fig.data = [{"code": c, "supply_hours_per_day": areas[c]["supply_hours_per_day"], "households": areas[c]["households"]}
                for c in codes]
    worst = min(codes, key=lambda c: areas[c]["supply_hours_per_day"]) if codes else None
    if worst:
        fig.headline = req.tr("publish.map.headline", area=area_label(req, worst),
                              hours=req.num(areas[worst]["supply_hours_per_day"], 1))
        fig.headline2 = req.tr2("publish.map.headline", area=area_label(req, worst, req.lang2 or req.lang),
                                hours=req.num(areas[worst]["supply_hours_per_day"], 1, True))
    fig.notes.append(req.tr("publish.map.note"))
    if geo["missing"]:
        fig.notes.append(req.tr("publish.map.missing", areas="، ".join(area_label(req, c) for c in geo["missing"])))
    _suppressed_note(req, fig)
    fig.spec = chart_spec(map_layers(req, geo, values, width - 20 * req.scale, height - 20 * req.scale, legend=legend,
                                legend_title=req.tr("publish.map.legend")))
    return fig


def hotspots(req: Request, width: float, height: float) -> Figure:
    """Complaint hotspot map: hearings per district over the last eight weeks, Gi* hot spots marked."""
    res = to_data(find_hotspots(req.vault, weeks=8))
    fig = Figure("hotspots", req.tr("publish.hotspots.title"), req.tr2("publish.hotspots.title"),
                 period=period_text(req, res["window"]["from"], res["window"]["until"]))
    geo = boundaries(req)
    shown, withheld = control(res["places"], lambda p: p["grievances"], req.threshold)
    fig.suppressed = [p["place"] for p in withheld]
    top = max((p["hearings"] for p in shown), default=1) or 1
    idx, colours = classes(req, [p["hearings"] / top for p in shown], [0.5, 0.75, 0.9])
    values = {}
    for p, i in zip(shown, idx, strict=True):
        fill = req.style.accent if p["hot"] and req.style.name != "screen" else colours[i]
        values[p["place"]] = {"fill": fill, "label": req.tr("publish.hotspots.label", n=req.num(p["hearings"]))
                              + (" ●" if p["hot"] else ""), "dark": is_dark(fill)}
    for c in fig.suppressed:
        values[c] = {"fill": req.style.paper, "label": req.tr("publish.map.suppressed"), "class": req.tr("publish.map.suppressed")}
    bounds = [0, 50, 75, 90, 100]
    legend = legend_entries([req.tr("publish.hotspots.class", low=req.num(lo), high=req.num(hi))
                             for lo, hi in pairwise(bounds)], colours)
    if res["hot"] and req.style.name != "screen" and req.style.accent not in colours:
        legend.append((req.tr("publish.hotspots.hot"), req.style.accent))
    if fig.suppressed:
        legend.append((req.tr("publish.map.suppressed"), req.style.paper))
    fig.data = [{"place": p["place"], "hearings": p["hearings"], "z": p["z"], "q": p["q"], "hot": p["hot"]} for p in shown]
    if res["hot"]:
        fig.headline = req.tr("publish.hotspots.headline_hot", areas="، ".join(area_label(req, c) for c in res["hot"]))
        fig.headline2 = req.tr2("publish.hotspots.headline_hot", areas=", ".join(
            area_label(req, c, req.lang2 or req.lang) for c in res["hot"]))
    elif shown:
        most = max(shown, key=lambda p: p["hearings"])
        fig.headline = req.tr("publish.hotspots.headline_none", area=area_label(req, most["place"]), n=req.num(most["hearings"]))
        fig.headline2 = req.tr2("publish.hotspots.headline_none", area=area_label(req, most["place"], req.lang2 or req.lang),
                                n=req.num(most["hearings"], 0, True))
    fig.notes.append(req.tr("publish.hotspots.note", alpha=req.num(res["alpha"], 2)))
    _suppressed_note(req, fig)
    fig.spec = chart_spec(map_layers(req, geo, values, width - 20 * req.scale, height - 20 * req.scale, legend=legend,
                                legend_title=req.tr("publish.hotspots.legend")))
    return fig


# ---------------------------------------------------------------------------- grievances
def grievances(req: Request, width: float, height: float) -> Figure:
    """Top shared grievances: in how many of each group's notes a theme is heard, with 95% intervals."""
    res = to_data(shared_causes(req.vault, by=("district",), min_n=10))
    names = {t.id: getattr(t, f"name_{req.lang}") or t.id for t in themes(req.vault)}
    names2 = {t.id: getattr(t, f"name_{req.lang2}") or t.id for t in themes(req.vault)} if req.lang2 else {}
    top = [t for t in res["themes"] if t["groups"]]
    if not top:
        raise InvalidInput("publish.error.no_grievances")
    # as many themes as leave each district's label a full line (print styles use bigger type)
    s = req.scale * (1.0 if req.style.name == "screen" else 1.2)
    per_theme = max(len(t["groups"]) for t in top) * 17 * s + 36 * s
    top = top[:max(1, min(4, int((height - 70 * req.scale) // per_theme)))]
    fig = Figure("grievances", req.tr("publish.grievances.title"), req.tr2("publish.grievances.title"))
    cells = [(t, g, v) for t in top for g, v in t["groups"].items()]
    # n behind a cell: the grievance records of that district naming that theme (the bridge's grievance cells count the same)
    kept, withheld = control(cells, lambda c: round(c[2]["prevalence"] * c[2]["n"]), req.threshold)
    fig.suppressed = [f"{t['theme']} {g.split('=', 1)[1]}" for t, g, _ in withheld]
    rows = []
    for t, g, v in kept:
        code = g.split("=", 1)[1]
        rows.append({"theme": short_name(names.get(t["theme"], t["theme"])),
                     "group": area_label(req, code) if code in area_names(req.vault) else code,
                     "prevalence": v["prevalence"], "low": v["low"], "high": v["high"], "n": v["n"]})
    top = [t for t in top if any(c[0] is t for c in kept)]
    if not top:
        raise InvalidInput("publish.error.no_grievances")
    first = top[0]
    bound = _joint_low([v for t, _, v in kept if t is first], res["level"])
    fig.headline = req.tr("publish.grievances.headline", theme=short_name(names.get(first["theme"], first["theme"])),
                          low=req.num(100 * bound))
    fig.headline2 = req.tr2("publish.grievances.headline", theme=short_name(names2.get(first["theme"], first["theme"])),
                            low=req.num(100 * bound, 0, True))
    # no overall share: with the shown cells it would give a hidden cell back by subtraction
    fig.data = [{"theme": t["theme"], "groups": {g: v for tt, g, v in kept if tt is t}} for t in top]
    fig.notes.append(req.tr("publish.grievances.note", level=req.num(100 * res["level"]), records=req.num(res["records"])))
    if withheld:
        fig.notes.append(req.tr("publish.grievances.hidden", n=req.threshold, count=req.num(len(withheld))))
    if res["too_few"]:
        fig.notes.append(req.tr("publish.grievances.too_few", groups="، ".join(g.split("=", 1)[1] for g in res["too_few"])))
    theme_order = [short_name(names.get(t["theme"], t["theme"])) for t in top]
    n_groups = len({r["group"] for r in rows})
    row_h = (height - 90 * req.scale) / max(len(top), 1)
    enc_y = {"field": "group", "type": "nominal", "title": None, "axis": {"labelFontSize": 11 * s, "labelPadding": 4 * s}}
    enc_x = {"field": "prevalence", "type": "quantitative", "title": req.tr("publish.axis.share"),
             "axis": {"format": ".0%"}, "scale": {"domain": [0, 1]}}
    fig.spec = chart_spec({
        "data": {"values": rows},
        "facet": {"row": {"field": "theme", "type": "nominal", "sort": theme_order, "title": None,
                          "header": {"labelAngle": 0, "labelOrient": "top",
                                     "labelAlign": "right" if req.lang in ("ar", "ckb") else "left",
                                     "labelAnchor": "end" if req.lang in ("ar", "ckb") else "start", "labelFontSize": 14 * s}}},
        "spacing": 8 * s,
        "spec": {"width": width - 150 * req.scale, "height": max(row_h - 34 * s, n_groups * 17 * s),
                 "layer": [
                     {"mark": {"type": "rule", "strokeWidth": max(req.style.min_stroke * 1.5, 3), "stroke": req.style.ink},
                      "encoding": {"y": enc_y, "x": {**enc_x, "field": "low"}, "x2": {"field": "high"}}},
                     {"mark": {"type": "point", "filled": True, "fill": req.style.accent, "stroke": req.style.accent,
                               "size": 110 * s * s},
                      "encoding": {"y": enc_y, "x": enc_x}},
                 ]},
        "resolve": {"scale": {"y": "independent"}},
    })
    return fig


def _joint_low(cells: list[dict[str, Any]], level: float) -> float:
    """The weakest shown district's lower bound, Bonferroni-adjusted over the shown districts (the
    listening score's method, restricted to cells that passed suppression)."""
    from scipy.stats import beta

    if not cells:
        return 0.0
    m = len(cells)
    lows = []
    for v in cells:
        n = v["n"]
        k = round(v["prevalence"] * n)
        lows.append(float(beta.ppf((1 - level) / m, k + 0.5, n - k + 0.5)) if k > 0 else 0.0)
    return min(lows)


def compare(req: Request, width: float, height: float) -> Figure:
    """What burns here also flickers elsewhere: the circle's hours without power per day beside
    published figures (each with its source and year on the picture)."""
    area = check_area(req)
    rep, first, last = _ledger_report(req)
    fig = Figure("compare", req.tr("publish.compare.title"), req.tr2("publish.compare.title"), period=period_text(req, first, last))
    areas = _published_areas(req, rep, fig)
    codes = [c for c in ([area] if area else list(areas)) if c in areas]
    if not codes:
        raise InvalidInput("publish.error.suppressed", n=req.threshold)
    here = sum(24 - areas[c]["supply_hours_per_day"] for c in codes) / len(codes)
    place = area_label(req, area) if area else req.tr("publish.city")
    rows = [{"place": place, "hours": round(here, 2), "label": req.tr("publish.compare.hours_day", h=req.num(here, 1)),
             "ours": True, "source": ""}]
    ref = reference_rows()
    for r in ref:
        if r["measure"] == "hours_without_power_per_year":
            per_day = r["value"] / 365.25
            rows.append({"place": f"{r.get('place_' + req.lang) or r['place_en']}، {localise_digits(str(r['year']), req.digits)}",
                         "hours": round(per_day, 3),
                         "label": req.tr("publish.compare.minutes_day", m=req.num(per_day * 60, 1)),
                         "ours": False, "source": r["source"]})
            if f"{r['source']}: {r['url']}" not in fig.sources:
                fig.sources.append(f"{r['source']}: {r['url']}")
    ratio = here / (rows[1]["hours"] if len(rows) > 1 and rows[1]["hours"] else 1)
    fig.headline = req.tr("publish.compare.headline", place=place, ratio=req.num(ratio))
    fig.headline2 = req.tr2("publish.compare.headline", place=area_label(req, area, req.lang2 or req.lang)
                            if area else req.tr2("publish.city"),
                            ratio=req.num(ratio, 0, True))
    for r in ref:
        if r["topic"] == "water":
            fig.notes.append(req.tr(f"publish.compare.ref.{r['id']}"))
            if req.lang2:
                fig.notes2.append(req.tr2(f"publish.compare.ref.{r['id']}"))
            if f"{r['source']}: {r['url']}" not in fig.sources:
                fig.sources.append(f"{r['source']}: {r['url']}")
    fig.notes.insert(0, req.tr("publish.compare.note"))
    fig.data = [{"place": r["place"], "hours_without_power_per_day": r["hours"], "source": r["source"]} for r in rows]
    s = req.scale * (1.0 if req.style.name == "screen" else 1.2)
    bar_h = min(height * 0.5, 70 * s * len(rows))
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 40 * req.scale, "height": bar_h,
                      "encoding": {"y": {"field": "place", "type": "nominal", "sort": None, "title": None,
                                         "axis": {"labelFontSize": 12 * s, "labelLimit": 600,
                                                  "orient": "right" if req.lang != "en" else "left"}},
                                   "x": {"field": "hours", "type": "quantitative", "title": req.tr("publish.axis.off_hours_day"),
                                         "scale": {"domain": [0, 24], "reverse": req.lang != "en"},
                                         "axis": {"values": [0, 6, 12, 18, 24]}}},
                      "layer": [{"mark": {"type": "bar"},
                                 "encoding": {"color": {"condition": {"test": "datum.ours", "value": req.style.accent},
                                                        "value": req.style.ink}}},
                                {"mark": {"type": "text", "align": "right" if req.lang != "en" else "left",
                                          "dx": -8 * s if req.lang != "en" else 8 * s, "fontSize": 14 * s, "fontWeight": "bold"},
                                 "encoding": {"text": {"field": "label"}}}]})
    return fig


#: Poster kinds: id -> (builder, needs ledger/listening/mutual aid/institutions, takes --area).
KINDS: dict[str, tuple[Builder, str, bool]] = {
    "blackouts": (blackouts, "ledger", True),
    "supply": (supply, "ledger", True),
    "reliability": (reliability, "ledger", True),
    "map": (supply_map, "ledger", False),
    "water": (water, "ledger", True),
    "grievances": (grievances, "listening", False),
    "hotspots": (hotspots, "listening", False),
    "fund": (fund, "mutual_aid", False),
    "pool": (pool, "mutual_aid", False),
    "compare": (compare, "ledger", True),
    "built": (built, "institutions", True),
}
