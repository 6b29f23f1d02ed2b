"""Posters of the circle's care: fund transparency and savings-pool rounds (mutual aid).

Split from :mod:`halqa.publish.kinds` by subject; each builder takes a request and the page size
and returns a :class:`~halqa.publish.common.Figure` whose cells passed the bridge's disclosure control.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from halqa.errors import InvalidInput, NotFound
from halqa.mutual_aid import cash_months, funds, pool_status, pools, statement
from halqa.publish.charts import chart_spec
from halqa.publish.common import (
    Figure,
    Request,
)
from halqa.publish.disclosure import control


# ---------------------------------------------------------------------------- funds and pools
def fund(req: Request, width: float, height: float) -> Figure:
    """Fund transparency: money in and out each month, out by purpose; nobody named."""
    all_funds = funds(req.vault)
    if not all_funds:
        raise InvalidInput("publish.error.no_fund")
    name = req.name or all_funds[0].name
    info = next((f for f in all_funds if f.name == name), None)
    if info is None:
        raise NotFound("publish.error.unknown_fund", name=name, known=", ".join(f.name for f in all_funds))
    months = cash_months(req.vault, name)
    cur = info.currency
    fig = Figure("fund", req.tr("publish.fund.title", name=name), req.tr2("publish.fund.title", name=name))
    rows = []
    hidden = 0   # payments behind withheld cells
    merged = 0   # payments shown only within "other purposes"
    for m in months:
        st = statement(req.vault, name, month=m, hide_parties=True, entries=True)
        mname = req.tr(f"publish.month.{int(m[5:])}")
        ins = [Decimal(e.amount) for e in st.entries or [] if e.type == "contribution" and e.currency == cur]
        outs: dict[str, list[Decimal]] = defaultdict(list)
        for e in st.entries or []:
            if e.type == "disbursement" and e.currency == cur:
                outs[e.purpose or "other"].append(abs(Decimal(e.amount)))
        # n behind a cell: the payments in it. Purposes with too few payments are pooled; a pool
        # still too small is withheld (one payment for medicine in a month names a family).
        cells = [("in", "contributions", ins)] + [("out", p, v) for p, v in sorted(outs.items())]
        kept, small = control(cells, lambda c: len(c[2]), req.threshold)
        small = [c for c in small if c[0] == "out"] + [c for c in small if c[0] == "in"]
        pooled = [x for c in small if c[0] == "out" for x in c[2]]
        if pooled and len([c for c in small if c[0] == "out"]) > 1:
            got, lost = control([("out", "pooled", pooled)], lambda c: len(c[2]), req.threshold)
            kept += got
            merged += len(pooled) if got else 0
            small = [c for c in small if c[0] == "in"] + [c for c in lost]
        hidden += sum(len(c[2]) for c in small)
        if small:
            fig.suppressed += [f"{m} {c[1]}" for c in small]
        for flow, part, values in kept:
            label = (req.tr("publish.fund.contributions") if flow == "in" else req.tr("publish.fund.pooled")
                     if part == "pooled" else req.tr(f"publish.purpose.{part}") if part in _PURPOSES else part)
            rows.append({"month": mname, "flow": req.tr(f"publish.fund.{flow}"), "part": label, "amount": float(sum(values))})
    fig.data = [dict(r) for r in rows]
    currency = req.tr(f"publish.currency.{cur.lower()}")
    if 0 < hidden < req.threshold:  # the balance and the shown cells would give the hidden payments back
        fig.headline = req.tr("publish.fund.headline_hidden")
        fig.headline2 = req.tr2("publish.fund.headline_hidden")
    else:
        fig.headline = req.tr("publish.fund.headline", balance=req.num(float(info.balance)), currency=currency)
        fig.headline2 = req.tr2("publish.fund.headline", balance=req.num(float(info.balance), 0, True),
                                currency=req.tr2(f"publish.currency.{cur.lower()}"))
    if hidden or merged:
        fig.notes.append(req.tr("publish.fund.hidden", n=req.threshold, count=req.num(hidden + merged)))
    other = {c: a for c, a in info.holdings.items() if c != cur}
    if other:
        fig.notes.append(req.tr("publish.fund.other", holdings="، ".join(f"{req.num(float(a), 2)} {c}" for c, a in other.items())))
    fig.notes.append(req.tr("publish.fund.note"))
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 90 * req.scale, "height": height - 110 * req.scale,
                      "mark": {"type": "bar", "stroke": req.style.paper if req.style.name != "screen" else None,
                               "strokeWidth": req.style.min_stroke},
                      "encoding": {"x": {"field": "month", "type": "nominal", "title": None, "axis": {"labelAngle": 0},
                                         "sort": [req.tr(f"publish.month.{int(m[5:])}") for m in months]},
                                   "xOffset": {"field": "flow", "type": "nominal",
                                               "sort": [req.tr("publish.fund.in"), req.tr("publish.fund.out")]},
                                   "y": {"field": "amount", "type": "quantitative",
                                         "title": req.tr("publish.axis.amount", currency=cur)},
                                   "color": {"field": "part", "type": "nominal", "title": None}}})
    return fig


_PURPOSES = ("family", "medicine", "fuel", "food", "repairs", "rent", "legal", "transport", "childcare", "other")


def pool(req: Request, width: float, height: float) -> Figure:
    """Pool (jam'iyya) transparency: each round's pot, what was paid in and what was paid out."""
    all_pools = pools(req.vault)
    if not all_pools:
        raise InvalidInput("publish.error.no_pool")
    name = req.name or all_pools[0].name
    if name not in {p.name for p in all_pools}:
        raise NotFound("publish.error.unknown_pool", name=name, known=", ".join(p.name for p in all_pools))
    st = pool_status(req.vault, name)
    # n behind a round: the members paying into it. A pool smaller than the threshold is not drawn.
    schedule, withheld = control(st.schedule, lambda r: len(st.members), req.threshold)
    if withheld:
        raise InvalidInput("publish.error.small_pool", n=req.threshold)
    rows = []
    for r in schedule:
        label = req.tr("publish.pool.round", n=req.num(r.round))
        pot = float(r.pot or st.amount) if r.pot else float(st.amount) * (len(st.members) - 1)
        rows.append({"round": label, "what": req.tr("publish.pool.due"), "amount": pot})
        rows.append({"round": label, "what": req.tr("publish.pool.paid"), "amount": float(r.paid)})
        rows.append({"round": label, "what": req.tr("publish.pool.paid_out"), "amount": float(r.paid_out or 0)})
    fig = Figure("pool", req.tr("publish.pool.title", name=name), req.tr2("publish.pool.title", name=name))
    paid_out = sum(1 for r in st.schedule if r.paid_out)
    fig.headline = req.tr("publish.pool.headline", done=req.num(paid_out), rounds=req.num(st.rounds),
                          members=req.num(len(st.members)), amount=req.num(float(st.amount)))
    fig.headline2 = req.tr2("publish.pool.headline", done=req.num(paid_out, 0, True), rounds=req.num(st.rounds, 0, True),
                            members=req.num(len(st.members), 0, True), amount=req.num(float(st.amount), 0, True))
    fig.notes.append(req.tr("publish.pool.note"))
    fig.data = [dict(r) for r in rows]
    order = [req.tr("publish.pool.due"), req.tr("publish.pool.paid"), req.tr("publish.pool.paid_out")]
    fig.spec = chart_spec({"data": {"values": rows}, "width": width - 90 * req.scale, "height": height - 110 * req.scale,
                      "mark": {"type": "bar"},
                      "encoding": {"x": {"field": "round", "type": "nominal", "title": None, "axis": {"labelAngle": 0},
                                         "sort": [req.tr("publish.pool.round", n=req.num(i + 1)) for i in range(st.rounds)]},
                                   "xOffset": {"field": "what", "type": "nominal", "sort": order},
                                   "y": {"field": "amount", "type": "quantitative",
                                         "title": req.tr("publish.axis.amount", currency=st.currency)},
                                   "color": {"field": "what", "type": "nominal", "sort": order, "title": None}}})
    return fig


# ---------------------------------------------------------------------------- the same failure elsewhere
