"""进线 (lead) statistics of the manual's 统计分析 (第二章 第七节 5, 7, 8, 9): 进线销售统计,
媒体时段进线统计, 员工进线销售统计, 区域进线销售统计.

Definitions (docs/statistics.md, "Leads"):
- a lead is an inbound call (direction 'in') that is not from an internal number
  (internal false), counted on the site day and minute it was queued (queued_at). The
  call_record.lead flag is not used: agent-ctid also requires the dialled number to be a
  configured hotline (源被叫) for it, so a call to a number since removed from the CTI
  configuration would drop out of past statistics; the manual leaves out only 集团电话.
- an answered lead has answered_at; a lead's agent is call_record.agent_login.
- sales are the orders created in the period (created_at, site time) that are neither
  cancelled nor voided; an order's amount is its total (the sum of its lines), a
  product's or a sales kind's amount the sum of its lines (unit price × quantity).
- conversion is orders ÷ answered leads (a lead becomes an order only once answered).
- a lead's region is the one whose area code (区号) the caller's number has (手机号段 for
  a mobile, the number's own for a landline); an order's region is its customer's.

Each report is ONE SQL statement: the leads and the orders are two SELECTs grouped in the
database (by the site day or minute and the report's dimension) joined by UNION ALL; the
roll-up into weeks/months/…, the slots and the ratios is Python over the grouped rows.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import case, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from agent_app.errors import ValidationError
from agent_app.reports import (
    ChartSpec,
    Choice,
    Col,
    Param,
    Query,
    ReportDef,
    Row,
    customer_lookup,
    ratio,
    register,
)
from agent_app.reports.calls import GRAIN
from agent_app.reports.period import as_date, bounds, bucket, local_day, local_minute, slot_label
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import LineKind, OrderStatus
from db.models import (
    CallRecord,
    Customer,
    Department,
    Employee,
    Medium,
    MobilePrefix,
    OrderLine,
    Placement,
    Product,
    Region,
    SalesOrder,
    Variety,
)

NONE = "—"          # the row of leads or orders without the dimension (no agent, no region …)
SLOT_MINUTES = 30
CENT = Decimal("0.01")
LEAD, ORDER, ALL = "L", "O", "T"

_prefix = aliased(MobilePrefix)
_caller_region = aliased(Region)
_agent = aliased(Employee)
_agent_dept = aliased(Department)
_seller = aliased(Employee)
_seller_dept = aliased(Department)

KIND_TITLES = {LineKind.DIRECT.value: N("reports", "Direct sale"),
               LineKind.BUNDLED.value: N("reports", "Bundled sale"),
               LineKind.GIFT.value: N("reports", "Gift")}


# -- the two halves of every statement ------------------------------------------------------
def _zero():
    return literal(0)


def _leads(s, q: Query, time, key, label):
    """SELECT 'L', time, key, label, leads, answered, 0, 0, 0 FROM the period's leads."""
    start, end = bounds(q.date_from, q.date_to)
    return (select(literal(LEAD).label("src"), time.label("t"), key.label("k"),
                   label.label("label"), func.count().label("leads"),
                   func.count(CallRecord.answered_at).label("answered"),
                   _zero().label("orders"), _zero().label("qty"), _zero().label("amount"))
            .select_from(CallRecord)
            .where(CallRecord.direction == "in", CallRecord.internal.is_(False),
                   CallRecord.queued_at >= start, CallRecord.queued_at < end))


def _sold(stmt, q: Query):
    start, end = bounds(q.date_from, q.date_to)
    return stmt.where(SalesOrder.created_at >= start, SalesOrder.created_at < end,
                      SalesOrder.status.notin_([OrderStatus.CANCELLED.value,
                                                OrderStatus.VOIDED.value]))


def _orders(s, q: Query, time, key, label, src=ORDER):
    """SELECT src, time, key, label, 0, 0, orders, 0, amount FROM the period's sales (order
    level: the order's total, no line join)."""
    stmt = (select(literal(src).label("src"), time.label("t"), key.label("k"),
                   label.label("label"), _zero(), _zero(), func.count(),
                   _zero(), func.coalesce(func.sum(SalesOrder.total), 0))
            .select_from(SalesOrder))
    return _sold(stmt, q)


def _lines(s, q: Query, time, key, label, src=ORDER):
    """SELECT src, time, key, label, 0, 0, orders, quantity, amount FROM the period's sold
    lines (orders counted once per group however many lines they have there)."""
    stmt = (select(literal(src).label("src"), time.label("t"), key.label("k"),
                   label.label("label"), _zero(), _zero(),
                   func.count(func.distinct(SalesOrder.id)),
                   func.coalesce(func.sum(OrderLine.quantity), 0),
                   func.coalesce(func.sum(OrderLine.unit_price * OrderLine.quantity), 0))
            .select_from(OrderLine).join(SalesOrder, SalesOrder.id == OrderLine.order_id))
    return _sold(stmt, q)


def _fetch(s, *selects) -> list[tuple]:
    stmt = selects[0] if len(selects) == 1 else union_all(*selects)
    return list(s.execute(stmt))


def _money(value) -> Decimal:
    # SQLite sums DECIMAL as floating point; a union's column may come back as int or float
    return Decimal(str(value or 0)).quantize(CENT)


def _no_key(key):
    # a bare NULL: MariaDB refuses a UNION of a CAST(NULL AS CHAR), whose collation is the
    # connection's, with a column of the table's collation
    return null() if key is None else key


def _caller_area():
    """SQL: the area code (区号) of the caller's number: a mobile's from the 手机号段 table
    (its first 7 digits), a landline's own (3 digits for 010 and 02x, else 4)."""
    caller = CallRecord.caller
    return case((caller.like("1%"), func.nullif(_prefix.area_code, "")),
                (caller.like("01%") | caller.like("02%"), func.substr(caller, 1, 3)),
                (caller.like("0%"), func.substr(caller, 1, 4)),
                else_=null())


def _caller_region_joins(stmt):
    """The lead's region: the region (区域) whose area code is the caller's. One row per
    area code (the lowest region id, should two regions share one), so a lead is never
    counted twice. The prefix table (~100k rows) and the regions are small enough to stay
    in memory, unlike a customer row per lead."""
    areas = (select(Region.area_code.label("area_code"), func.min(Region.id).label("id"))
             .where(Region.area_code != "").group_by(Region.area_code).subquery())
    return (stmt.outerjoin(_prefix, _prefix.prefix == func.substr(CallRecord.caller, 1, 7))
            .outerjoin(areas, areas.c.area_code == _caller_area())
            .outerjoin(_caller_region, _caller_region.id == areas.c.id))


def _blank() -> Row:
    return Row(label="", leads=0, answered=0, orders=0, quantity=0, amount=Decimal("0.00"))


def _add(r: Row, leads, answered, orders, qty, amount) -> None:
    r["leads"] += int(leads or 0)
    r["answered"] += int(answered or 0)
    r["orders"] += int(orders or 0)
    r["quantity"] += int(qty or 0)
    r["amount"] += _money(amount)


def _rates(r: Row) -> Row:
    r["conversion"] = ratio(r["orders"], r["answered"])
    r["answer_rate"] = ratio(r["answered"], r["leads"])
    return r


def _sum_total(rows: Sequence[Row]) -> Row:
    t = _blank()
    for r in rows:
        _add(t, r["leads"], r["answered"], r["orders"], r["quantity"], r["amount"])
    if rows and "all_orders" in rows[0]:
        # by product / sales kind an order with two products is in two rows: the total is
        # the number of distinct orders, counted by the statement itself
        t["orders"] = rows[0]["all_orders"]
    return _rates(t)


def _check_by(q: Query, allowed: Sequence[str]) -> str:
    by = q.param("by")
    if by not in allowed:  # the service checks the choices; a direct caller gets this
        raise ValidationError(N("errors", "Choose one of the listed values."), field="by")
    return by


# -- 5. 进线销售统计 ---------------------------------------------------------------------------
SALES_BY = ("slot", "employee", "product", "sale", "region")
BY_TITLES = {"slot": N("reports", "Time slot"), "employee": N("reports", "Employee"),
             "product": N("reports", "Product"), "sale": N("reports", "Sales kind"),
             "region": N("reports", "Region"), "source": N("reports", "Source"),
             "medium": N("reports", "Medium"), "variety": N("reports", "Variety"),
             "business": N("reports", "Business number"),
             "department": N("reports", "Department")}


def _by(name: str, values: Sequence[str]) -> Param:
    return Param(name, N("reports", "By"), tuple(Choice(v, BY_TITLES[v]) for v in values))


def inbound_sales(s, q: Query) -> list[Row]:
    by = _check_by(q, SALES_BY)
    zero = _zero()
    if by == "slot":
        rows = _fetch(s,
                      _leads(s, q, local_minute(s, CallRecord.queued_at), _no_key(None),
                             literal("")).group_by("t"),
                      _orders(s, q, local_minute(s, SalesOrder.created_at), _no_key(None),
                              literal("")).group_by("t"))
    elif by == "employee":
        rows = _fetch(s,
                      _leads(s, q, zero, CallRecord.agent_login, _agent.name)
                      .outerjoin(_agent, _agent.login == CallRecord.agent_login)
                      .group_by(CallRecord.agent_login, _agent.name),
                      _orders(s, q, zero, _seller.login, _seller.name)
                      .outerjoin(_seller, _seller.id == SalesOrder.employee_id)
                      .group_by(_seller.login, _seller.name))
    elif by == "region":
        rows = _fetch(s,
                      _caller_region_joins(_leads(s, q, zero, _caller_region.id,
                                                  _caller_region.name))
                      .group_by(_caller_region.id, _caller_region.name),
                      customer_lookup(_orders(s, q, zero, Region.id, Region.name)
                                      .join(Customer, Customer.id == SalesOrder.customer_id)
                                      .outerjoin(Region, Region.id == Customer.region_id)
                                      .group_by(Region.id, Region.name)))
    elif by == "product":
        label = Product.name + " " + Product.specification
        rows = _fetch(s,
                      _lines(s, q, zero, Product.id, label)
                      .join(Product, Product.id == OrderLine.product_id)
                      .group_by(Product.id, Product.name, Product.specification),
                      # every order has a line (OrderService), so the
                      # distinct orders of the total need no line join
                      _orders(s, q, zero, _no_key(None), literal(""), src=ALL))
    else:  # sale: 销售手段
        rows = _fetch(s,
                      _lines(s, q, zero, OrderLine.kind, OrderLine.kind)
                      .group_by(OrderLine.kind),
                      # every order has a line (OrderService), so the
                      # distinct orders of the total need no line join
                      _orders(s, q, zero, _no_key(None), literal(""), src=ALL))
    out: dict = {}
    all_orders = 0
    for src, t, key, label, leads, answered, orders, qty, amount in rows:
        if src == ALL:
            all_orders += int(orders or 0)
            continue
        if by == "slot":
            key = int(t) - int(t) % SLOT_MINUTES
            label = slot_label(key, SLOT_MINUTES)
        elif by == "sale":
            label = KIND_TITLES.get(key, key)
        r = out.setdefault(key, _blank())
        r["label"] = label if key is not None else NONE
        r["key"] = key
        _add(r, leads, answered, orders, qty, amount)
    if by == "slot":
        result = [out[k] for k in sorted(out)]
    else:
        result = sorted(out.values(), key=lambda r: (r["key"] is None, -r["leads"],
                                                     -r["amount"], str(r["label"])))
    for r in result:
        if by in ("product", "sale"):
            r["all_orders"] = all_orders
        _rates(r)
    return result


def _inbound_sales_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "slot")
    # the sales kinds are source texts ("Direct sale"): shown translated
    first = Col("label", BY_TITLES.get(by, BY_TITLES["slot"]), translated=by == "sale")
    orders = (Col("orders", N("reports", "Orders"), "int"),
              Col("amount", N("reports", "Amount"), "money"))
    if by in ("product", "sale"):
        return (first, Col("orders", N("reports", "Orders"), "int"),
                Col("quantity", N("reports", "Quantity"), "int"),
                Col("amount", N("reports", "Amount"), "money"))
    return (first, Col("leads", N("reports", "Leads"), "int"),
            Col("answered", N("reports", "Answered"), "int"), *orders,
            Col("conversion", N("reports", "Conversion"), "percent"))


def _inbound_sales_chart(params: Mapping[str, str]) -> ChartSpec:
    by = params.get("by", "slot")
    if by in ("product", "sale"):
        return ChartSpec("bar", "label", ("quantity",))
    if by == "slot":  # the day's 48 half hours: a curve over the day
        return ChartSpec("line", "label", ("leads", "orders"), limit=48)
    return ChartSpec("bar", "label", ("leads", "orders"))


register(ReportDef(
    name="inbound-sales",
    title=N("reports", "Inbound sales"),
    columns=_inbound_sales_columns,
    compute=inbound_sales,
    params=(_by("by", SALES_BY),),
    chart=_inbound_sales_chart,
    total=_sum_total,
    order=500,
))


# -- 7. 媒体时段进线统计 -----------------------------------------------------------------------
MEDIA_BY = ("source", "medium", "variety", "business")


def media_slot_leads(s, q: Query) -> list[Row]:
    by = _check_by(q, MEDIA_BY)
    day = local_day(s, CallRecord.queued_at)
    if by == "source":  # 来源: the kind of medium the caller saw the advert in (电视/报纸/网络)
        stmt = (_leads(s, q, day, Medium.type, Medium.type)
                .outerjoin(Medium, Medium.id == CallRecord.medium_id)
                .group_by("t", Medium.type))
    elif by == "medium":
        stmt = (_leads(s, q, day, Medium.id, Medium.name)
                .outerjoin(Medium, Medium.id == CallRecord.medium_id)
                .group_by("t", Medium.id, Medium.name))
    elif by == "variety":  # the variety of the placement (advert) the caller answered
        stmt = (_leads(s, q, day, Variety.id, Variety.name)
                .outerjoin(Placement, Placement.id == CallRecord.placement_id)
                .outerjoin(Variety, Variety.id == Placement.variety_id)
                .group_by("t", Variety.id, Variety.name))
    else:  # 业务号: the number the caller dialled (源被叫)
        dialed = func.nullif(CallRecord.dialed, "")
        stmt = _leads(s, q, day, dialed, dialed).group_by("t", dialed)
    return _by_period(q, _fetch(s, stmt))


def _by_period(q: Query, rows) -> list[Row]:
    grain = q.param("grain")
    out: dict = {}
    for _src, t, key, label, leads, answered, orders, qty, amount in rows:
        period, first = bucket(as_date(t), grain)
        r = out.setdefault((period, key), _blank())
        r.update(period=period, first=first, key=key,
                 label=label if key is not None else NONE)
        _add(r, leads, answered, orders, qty, amount)
    result = sorted(out.values(), key=lambda r: (r["first"], r["key"] is None, -r["leads"],
                                                 -r["amount"], str(r["label"])))
    for r in result:
        r["chart_label"] = f"{r['period']} {r['label']}"
        _rates(r)
    return result


def _media_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "source")
    return (Col("period", N("reports", "Period")),
            Col("label", BY_TITLES.get(by, BY_TITLES["source"])),
            Col("leads", N("reports", "Leads"), "int"),
            Col("answered", N("reports", "Answered"), "int"),
            Col("answer_rate", N("reports", "Answer rate"), "percent"))


def _period_total(rows: Sequence[Row]) -> Row:
    t = _sum_total(rows)
    t["period"] = ""
    return t


register(ReportDef(
    name="media-slot-leads",
    title=N("reports", "Leads by medium and period"),
    columns=_media_columns,
    compute=media_slot_leads,
    params=(GRAIN, _by("by", MEDIA_BY)),
    chart=ChartSpec("bar", "chart_label", ("leads",)),
    total=_period_total,
    order=510,
))


# -- 8. 员工进线销售统计 -----------------------------------------------------------------------
EMPLOYEE_BY = ("department", "employee", "variety")


def employee_lead_sales(s, q: Query) -> list[Row]:
    by = _check_by(q, EMPLOYEE_BY)
    lead_day = local_day(s, CallRecord.queued_at)
    order_day = local_day(s, SalesOrder.created_at)
    if by == "employee":
        calls = (_leads(s, q, lead_day, CallRecord.agent_login, _agent.name)
                 .group_by("t", CallRecord.agent_login, _agent.name))
        sold = (_orders(s, q, order_day, _seller.login, _seller.name)
                .group_by("t", _seller.login, _seller.name))
    elif by == "department":
        calls = (_leads(s, q, lead_day, _agent_dept.id, _agent_dept.name)
                 .group_by("t", _agent_dept.id, _agent_dept.name))
        sold = (_orders(s, q, order_day, _seller_dept.id, _seller_dept.name)
                .group_by("t", _seller_dept.id, _seller_dept.name))
    else:  # the lead's variety: its placement's; the order's: the order's own (品种)
        calls = (_leads(s, q, lead_day, Variety.id, Variety.name)
                 .outerjoin(Placement, Placement.id == CallRecord.placement_id)
                 .outerjoin(Variety, Variety.id == Placement.variety_id)
                 .group_by("t", Variety.id, Variety.name))
        order_variety = aliased(Variety)
        sold = (_orders(s, q, order_day, order_variety.id, order_variety.name)
                .outerjoin(order_variety, order_variety.id == SalesOrder.variety_id)
                .group_by("t", order_variety.id, order_variety.name))
    # the agent's and the seller's department, for the dimension and the 部门 filter
    calls = (calls.outerjoin(_agent, _agent.login == CallRecord.agent_login)
             .outerjoin(_agent_dept, _agent_dept.id == _agent.department_id))
    sold = (sold.outerjoin(_seller, _seller.id == SalesOrder.employee_id)
            .outerjoin(_seller_dept, _seller_dept.id == _seller.department_id))
    if q.group:
        calls = calls.where(_agent_dept.name == q.group)
        sold = sold.where(_seller_dept.name == q.group)
    return _by_period(q, _fetch(s, calls, sold))


def _employee_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "department")
    return (Col("period", N("reports", "Period")),
            Col("label", BY_TITLES.get(by, BY_TITLES["department"])),
            Col("leads", N("reports", "Leads"), "int"),
            Col("answered", N("reports", "Answered"), "int"),
            Col("orders", N("reports", "Orders"), "int"),
            Col("amount", N("reports", "Amount"), "money"),
            Col("conversion", N("reports", "Conversion"), "percent"))


register(ReportDef(
    name="employee-lead-sales",
    title=N("reports", "Employee leads and sales"),
    columns=_employee_columns,
    compute=employee_lead_sales,
    params=(GRAIN, _by("by", EMPLOYEE_BY)),
    chart=ChartSpec("bar", "chart_label", ("answered", "orders")),
    group="department",
    total=_period_total,
    order=520,
))


# -- 9. 区域进线销售统计 -----------------------------------------------------------------------
def region_lead_sales(s, q: Query) -> list[Row]:
    zero = _zero()
    rows = _fetch(s,
                  _caller_region_joins(_leads(s, q, zero, _caller_region.id,
                                              _caller_region.name))
                  .group_by(_caller_region.id, _caller_region.name),
                  customer_lookup(_lines(s, q, zero, Region.id, Region.name)
                                  .join(Customer, Customer.id == SalesOrder.customer_id)
                                  .outerjoin(Region, Region.id == Customer.region_id)
                                  .group_by(Region.id, Region.name)))
    out: dict = {}
    for _src, _t, key, label, leads, answered, orders, qty, amount in rows:
        r = out.setdefault(key, _blank())
        r.update(key=key, label=label if key is not None else NONE)
        _add(r, leads, answered, orders, qty, amount)
    result = sorted(out.values(), key=lambda r: (r["key"] is None, -r["leads"],
                                                 -r["amount"], str(r["label"])))
    return [_rates(r) for r in result]


register(ReportDef(
    name="region-lead-sales",
    title=N("reports", "Region leads and sales"),
    columns=(Col("label", N("reports", "Region")),
             Col("leads", N("reports", "Leads"), "int"),
             Col("orders", N("reports", "Orders"), "int"),
             Col("quantity", N("reports", "Quantity"), "int"),
             Col("amount", N("reports", "Amount"), "money")),
    compute=region_lead_sales,
    chart=ChartSpec("bar", "label", ("leads", "orders")),
    total=_sum_total,
    order=530,
))
