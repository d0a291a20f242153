"""广告响应: what each placement (媒体投放) brought — its calls, its orders, what they cost —
and the response curve minute by minute after the air time (docs/statistics.md,
"Advert response").

Definitions (the placement's air time is its air_date + start_time, site local time):
- calls of a placement (进线): inbound, not internal calls with that placement_id, queued
  from the air time up to HORIZON_DAYS (7) after (a call tied to it but queued before the
  advert ran is no response to it and is counted nowhere);
- orders of a placement: orders with that placement_id, not cancelled or voided, created
  from the air time up to 7 days after; amount = the sum of their totals;
- baseline: the calls per minute the medium had anyway — the inbound, not internal calls
  of the placement's medium (call_record.medium_id, tied to any placement or none) queued
  in the 30 minutes before the air time, ÷ 30;
- response window: the first 60 minutes from the air time (minutes 0..59);
- lift: the placement's calls in the response window ÷ (baseline × 60), the calls the
  medium would have had in the same 60 minutes; empty when the baseline is 0;
- cost per call / per order: cost ÷ calls / orders; empty without a cost or without calls
  / orders. For a group (medium, slot, product) the cost is the sum of the entered costs
  and is divided by the calls / orders of the placements that have a cost.

SQL: four fixed aggregated queries per run (placements, their calls, their orders, their
media's calls around the air time), each GROUP BY placement (or minute offset) in the
database; calls and orders read by their time index over the period + 7 days and joined to
the placement by key, the media's calls by call_record's queued_at index within each
placement's window. The cost grows linearly with the period's calls and placements (a
year on the large demo data: ~20-30 s on MariaDB, see docs/statistics.md).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import Integer, String, and_, case, cast, func, select, text

from agent_app.reports import ChartSpec, Choice, Col, Param, Query, ReportDef, Row, register
from agent_app.reports.period import _offset_hours, as_date, bounds, is_sqlite, slot_label
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import OrderStatus
from db.models import CallRecord, Medium, Placement, Product, SalesOrder, Variety

BASELINE_MIN = 30    # the baseline: the medium's calls in the 30 minutes before air time
WINDOW_MIN = 60      # the response window: minutes 0..59 after air time
CURVE_LAST = 60      # advert-curve: minutes −30..60
SLOT_MIN = 30        # by slot: the 30-minute air slot of the start time
HORIZON_DAYS = 7     # a placement's calls and orders: those of the 7 days from air time
OUT = (OrderStatus.CANCELLED, OrderStatus.VOIDED)

P, C, SO = Placement, CallRecord, SalesOrder


# -- site-time SQL around a placement's air time ----------------------------------------------
def _air_text(s):
    """SQLite: the placement's local air time as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text."""
    return cast(P.air_date, String) + " " + cast(P.start_time, String)


def air_utc(s, shift_min: int):
    """SQL: the placement's air time in stored UTC, moved by shift_min minutes (a bound
    the queued_at index can range over, placement by placement)."""
    minutes = shift_min - _offset_hours() * 60
    if is_sqlite(s):
        return func.datetime(_air_text(s), f"{minutes:+d} minutes")
    return func.timestampadd(text("MINUTE"), minutes, func.timestamp(P.air_date, P.start_time))


def minutes_after(s, col):
    """SQL: the whole minutes (floored: −1 is the minute before) from the placement's
    local air time to the stored UTC time `col`."""
    hours = _offset_hours()
    if is_sqlite(s):
        # strftime('%s') truncates the call's fraction of a second, i.e. floors it (times
        # after 1970); start_time has no fraction (the archive stores whole seconds)
        sec = (cast(func.strftime("%s", col), Integer) + hours * 3600
               - cast(func.strftime("%s", _air_text(s)), Integer))
        # floor division: SQLite's integer / and % truncate towards zero
        return (sec - (sec % 60 + 60) % 60).self_group().op("/")(60)
    micro = func.timestampdiff(text("MICROSECOND"), func.timestamp(P.air_date, P.start_time),
                               func.addtime(col, f"{hours:02d}:00:00"))
    return func.floor(micro.op("/")(60_000_000))


def _in_period(q: Query):
    return P.air_date.between(q.date_from, q.date_to)


def _leads():
    return (C.direction == "in", C.internal.is_(False))


def _medium_calls(s, q: Query, first_min: int, end_min: int):
    """The join of the placements to their media's calls in [air + first_min, air + end_min)
    minutes."""
    return and_(C.medium_id == P.medium_id,
                C.queued_at >= air_utc(s, first_min), C.queued_at < air_utc(s, end_min))


def _by_time(col, table, q: Query, stmt, first_min: int = 0):
    """The calls (orders) of the period's placements read by the time index, from the
    period's first air time to HORIZON_DAYS after its last (mostly in primary-key order:
    rows are written as they happen), each joined to its placement by primary key —
    rather than each placement's calls by placement_id, a random read per call."""
    start, end = bounds(q.date_from, q.date_to)
    stmt = stmt.where(col >= start + dt.timedelta(minutes=first_min),
                      col < end + dt.timedelta(days=HORIZON_DAYS))
    index = "ix_call_record_queued_at" if table is C else "ix_sales_order_created_at"
    return (stmt.prefix_with("STRAIGHT_JOIN", dialect="mysql")
            .with_hint(table, f"FORCE INDEX ({index})", dialect_name="mysql"))


def _by_air_window(stmt):
    """MariaDB: the placements first, then each one's calls by a range of the queued_at
    index ("Range checked for each record"): ~30-90 minutes of calls per placement. Left
    to itself the optimizer reads every call of the medium (medium_id's index) or joins
    the period's calls in a join buffer, minutes instead of milliseconds."""
    return (stmt.prefix_with("STRAIGHT_JOIN", dialect="mysql")
            .with_hint(C, "FORCE INDEX (ix_call_record_queued_at)", dialect_name="mysql"))


# -- advert-response ----------------------------------------------------------------------------
def _placements(s, q: Query) -> dict[int, Row]:
    stmt = (select(P.id, P.air_date, P.start_time, P.length_s, P.cost, Medium.name,
                   Variety.name, Product.name)
            .join(Medium, Medium.id == P.medium_id).join(Variety, Variety.id == P.variety_id)
            .outerjoin(Product, Product.id == P.product_id)
            .where(_in_period(q)))
    out: dict[int, Row] = {}
    for pid, day, start, length, cost, medium, variety, product in s.execute(stmt):
        day = as_date(day)
        minute = start.hour * 60 + start.minute
        out[pid] = Row(id=pid, air_date=day, start=f"{start:%H:%M}", length_s=int(length),
                       slot=slot_label(minute, SLOT_MIN), medium=medium,
                       item=f"{variety} / {product}" if product else variety,
                       product=product or variety,
                       cost=None if cost is None else Decimal(cost),
                       calls=0, window_calls=0, orders=0, amount=Decimal("0"),
                       before=0)
    return out


def _placement_figures(s, q: Query) -> dict[int, Row]:
    rows = _placements(s, q)
    if not rows:
        return rows
    m = minutes_after(s, C.queued_at)
    calls = _by_time(C.queued_at, C, q, select(
        P.id, func.sum(case((m >= 0, 1), else_=0)),
        func.sum(case((and_(m >= 0, m < WINDOW_MIN), 1), else_=0)))
        .select_from(C).join(P, C.placement_id == P.id)
        .where(_in_period(q), *_leads(), m < HORIZON_DAYS * 1440).group_by(P.id))
    for pid, n, window in s.execute(calls):
        rows[pid]["calls"], rows[pid]["window_calls"] = int(n or 0), int(window or 0)
    mo = minutes_after(s, SO.created_at)
    orders = _by_time(SO.created_at, SO, q, select(
        P.id, func.sum(case((mo >= 0, 1), else_=0)),
        func.sum(case((mo >= 0, SO.total), else_=0)))
        .select_from(SO).join(P, SO.placement_id == P.id)
        .where(_in_period(q), SO.status.not_in(OUT), mo < HORIZON_DAYS * 1440).group_by(P.id))
    for pid, n, amount in s.execute(orders):
        rows[pid]["orders"], rows[pid]["amount"] = int(n or 0), Decimal(amount or 0)
    base = _by_air_window(
        select(P.id, func.count(C.id)).select_from(P).join(C, _medium_calls(s, q, -BASELINE_MIN, 0))
        .where(_in_period(q), *_leads()).group_by(P.id))
    for pid, n in s.execute(base):
        rows[pid]["before"] = int(n)
    return rows


def _figures(r: Row, costed_calls: int, costed_orders: int) -> Row:
    """The ratios of a row holding the sums (cost, calls, orders, before, window_calls)."""
    cost = r["cost"]
    r["cost_per_call"] = (cost / costed_calls).quantize(Decimal("0.01")) \
        if cost is not None and costed_calls else None
    r["cost_per_order"] = (cost / costed_orders).quantize(Decimal("0.01")) \
        if cost is not None and costed_orders else None
    r["baseline"] = r["before"] / BASELINE_MIN
    expected = r["baseline"] * WINDOW_MIN
    r["lift"] = r["window_calls"] / expected if expected else None
    return r


def _group(rows: Sequence[Row], key: str) -> list[Row]:
    """Sum the placements' figures per `key` (medium / slot / product), or all of them."""
    out: dict[str, Row] = {}
    for p in rows:
        k = p[key] if key else ""
        g = out.setdefault(k, Row(key=k, placements=0, cost=None, calls=0, window_calls=0,
                                  orders=0, amount=Decimal("0"), before=0,
                                  costed_calls=0, costed_orders=0))
        g["placements"] += 1
        for f in ("calls", "window_calls", "orders", "amount", "before"):
            g[f] += p[f]
        if p["cost"] is not None:
            g["cost"] = (g["cost"] or Decimal("0")) + p["cost"]
            g["costed_calls"] += p["calls"]
            g["costed_orders"] += p["orders"]
    if key:
        for g in out.values():
            g[key] = g["key"]
    return [_figures(g, g["costed_calls"], g["costed_orders"]) for g in out.values()]


def advert_response(s, q: Query) -> list[Row]:
    placements = list(_placement_figures(s, q).values())
    by = q.param("by")
    if by == "placement":
        rows = []
        for p in placements:
            p["key"] = f"{p['air_date']:%m-%d} {p['start']} {p['medium']}"
            rows.append(_figures(p, p["calls"], p["orders"]))
        rows.sort(key=lambda r: (r["air_date"], r["start"], r["medium"]))
    else:
        rows = sorted(_group(placements, by), key=lambda r: r["key"])
    # the chart's top 30: the most calls first (ties in the order above)
    rows.sort(key=lambda r: -r["calls"])
    return rows


def _response_total(rows: Sequence[Row]) -> Row:
    """All rows together; the ratios from the sums (a ratio is not a sum)."""
    t = Row(key="", placements=0, cost=None, calls=0, window_calls=0, orders=0,
            amount=Decimal("0"), before=0)
    costed_calls = costed_orders = 0
    for r in rows:
        t["placements"] += r.get("placements", 1)
        for f in ("calls", "window_calls", "orders", "amount", "before"):
            t[f] += r[f]
        if r["cost"] is not None:
            t["cost"] = (t["cost"] or Decimal("0")) + r["cost"]
            costed_calls += r.get("costed_calls", r["calls"])
            costed_orders += r.get("costed_orders", r["orders"])
    return _figures(t, costed_calls, costed_orders)


BY_TITLES = {"placement": N("reports", "Placement"), "medium": N("reports", "Medium"),
             "slot": N("reports", "Air slot"), "product": N("reports", "Product")}
BY = Param("by", N("reports", "By"), tuple(Choice(v, t) for v, t in BY_TITLES.items()))

FIGURES = (Col("cost", N("reports", "Cost"), "money"),
           Col("calls", N("reports", "Calls"), "int"),
           Col("orders", N("reports", "Orders"), "int"),
           Col("amount", N("reports", "Amount"), "money"),
           Col("cost_per_call", N("reports", "Cost per call"), "money"),
           Col("cost_per_order", N("reports", "Cost per order"), "money"),
           Col("baseline", N("reports", "Baseline calls/min"), "number"),
           Col("window_calls", N("reports", "Calls in 60 min"), "int"),
           Col("lift", N("reports", "Lift"), "number"))


def response_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "placement")
    if by == "placement":
        return (Col("air_date", N("reports", "Air date"), "date"),
                Col("start", N("reports", "Start")),
                Col("slot", N("reports", "Air slot")),
                Col("medium", N("reports", "Medium")),
                Col("item", N("reports", "Variety / product")),
                *FIGURES)
    return (Col(by, BY_TITLES[by]), Col("placements", N("reports", "Placements"), "int"),
            *FIGURES)


# -- advert-curve -------------------------------------------------------------------------------
def advert_curve(s, q: Query) -> list[Row]:
    rows = {m: Row(minute=m, calls=0, orders=0, amount=Decimal("0"), medium_calls=0)
            for m in range(-BASELINE_MIN, CURVE_LAST + 1)}
    m = minutes_after(s, C.queued_at).label("m")
    tied = _by_time(C.queued_at, C, q, select(m, func.count()).select_from(C)
                    .join(P, C.placement_id == P.id)
                    .where(_in_period(q), *_leads(), m.between(-BASELINE_MIN, CURVE_LAST))
                    .group_by(m), first_min=-BASELINE_MIN)
    for minute, n in s.execute(tied):
        rows[int(minute)]["calls"] = int(n)
    mo = minutes_after(s, SO.created_at).label("m")
    orders = _by_time(SO.created_at, SO, q, select(mo, func.count(), func.sum(SO.total))
                      .select_from(SO).join(P, SO.placement_id == P.id)
                      .where(_in_period(q), SO.status.not_in(OUT),
                             mo.between(-BASELINE_MIN, CURVE_LAST))
                      .group_by(mo), first_min=-BASELINE_MIN)
    for minute, n, amount in s.execute(orders):
        rows[int(minute)]["orders"] = int(n)
        rows[int(minute)]["amount"] = Decimal(amount or 0)
    mm = minutes_after(s, C.queued_at).label("m")
    medium = _by_air_window(
        select(mm, func.count()).select_from(P)
        .join(C, _medium_calls(s, q, -BASELINE_MIN, CURVE_LAST + 1))
        .where(_in_period(q), *_leads()).group_by(mm))
    for minute, n in s.execute(medium):
        rows[int(minute)]["medium_calls"] = int(n)
    baseline = sum(rows[i]["medium_calls"] for i in range(-BASELINE_MIN, 0)) / BASELINE_MIN
    for r in rows.values():
        r["baseline"] = baseline
    return [rows[i] for i in sorted(rows)]


def _curve_total(rows: Sequence[Row]) -> Row:
    """Calls and orders of minutes 0..60 (the response), the media's calls of all rows."""
    after = [r for r in rows if r["minute"] >= 0]
    return Row(minute=None, calls=sum(r["calls"] for r in after),
               orders=sum(r["orders"] for r in after),
               amount=sum((r["amount"] for r in after), Decimal("0")),
               medium_calls=sum(r["medium_calls"] for r in rows),
               baseline=rows[0]["baseline"] if rows else 0.0)


register(ReportDef(
    name="advert-response",
    title=N("reports", "Advert response"),
    columns=response_columns,
    compute=advert_response,
    params=(BY,),
    chart=ChartSpec("bar", "key", ("calls", "orders")),
    total=_response_total,
    order=700,
    menu_text=N("reports", "Advert &response"),
    live=True,
))

register(ReportDef(
    name="advert-curve",
    title=N("reports", "Response curve"),
    columns=(Col("minute", N("reports", "Minute"), "int"),
             Col("calls", N("reports", "Calls"), "int"),
             Col("orders", N("reports", "Orders"), "int"),
             Col("amount", N("reports", "Amount"), "money"),
             Col("medium_calls", N("reports", "Medium calls"), "int"),
             Col("baseline", N("reports", "Baseline calls/min"), "number")),
    compute=advert_curve,
    chart=ChartSpec("line", "minute", ("calls", "baseline"), limit=CURVE_LAST + BASELINE_MIN + 1),
    total=_curve_total,
    order=710,
    menu_text=N("reports", "Response &curve"),
    live=True,
))
