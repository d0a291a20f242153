"""物流管理's reports (第二章 第五节): 出库反馈明细表, 投递统计, 出库压单明细表, 作废表 and
交寄清单. They sit in the 物流管理 menu (`menu="logistics"`) and need 反馈 (the
permission that makes an employee a logistics clerk); `agent-admin report` runs them too.

Definitions (docs/logistics.md):
- 出库反馈明细表: the feedback recorded in the period (by the site day of 受理), one row
  per parcel; returned parcels (退包) are painted red.
- 投递统计: the same feedback per courier (投递员): parcels, delivered, returned, the COD
  amount of the delivered ones and the fees; for all parcels (成退包), 非试单 or 试单.
- 出库压单明细表: orders confirmed in the period that are still live (neither cancelled
  nor voided) and not fed back, oldest first, with the days they have waited (today's
  site day minus the site day of 物流确认), so nothing is forgotten.
- 作废表: orders voided in the period: 作废 by logistics, and returned parcels (退包),
  which the manual's status list also calls 已作废.
- 交寄清单 (the mailing list): the orders confirmed in the period, as the manual defines it
  (所有物流确认的单子), by delivery class, cancelled ones left out, printed or not.
Phones are masked in the middle on every list here, as on the labels (隐私面单).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from agent_app import clock
from agent_app.phones import mask_phone
from agent_app.reports import ChartSpec, Choice, Col, Param, Query, ReportDef, Row, register
from agent_app.reports.period import as_date, bounds, local_day, to_local
from agent_app.reports.sales import money
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import FeedbackResult, FeedbackState, OrderStatus, Payment, Permission
from db.models import (
    Customer,
    DispatchFeedback,
    Employee,
    OrderEvent,
    Region,
    SalesOrder,
)

ZERO = Decimal("0.00")
RESULT_TEXT = {FeedbackResult.DELIVERED: N("reports", "Delivered"),
               FeedbackResult.RETURNED: N("reports", "Returned")}
TRIAL = Param("trial", N("reports", "Which parcels"),
              (Choice("all", N("reports", "All (delivered and returned)")),
               Choice("paid", N("reports", "Not trial")),
               Choice("trial", N("reports", "Trial"))))
CLASS = Param("delivery", N("reports", "Delivery class"),
              (Choice("all", N("reports", "All")), Choice("A", N("reports", "A EMS")),
               Choice("B", N("reports", "B Local delivery")), Choice("C", N("reports", "C Post")),
               Choice("D", N("reports", "D Other"))))
PERMISSION = Permission.DISPATCH_FEEDBACK


def _trial_filter(stmt, q: Query):
    choice = q.params.get("trial", "all")
    if choice == "paid":
        return stmt.where(SalesOrder.trial.is_(False))
    if choice == "trial":
        return stmt.where(SalesOrder.trial.is_(True))
    return stmt


def _class_filter(stmt, q: Query):
    choice = q.params.get("delivery", "all")
    return stmt if choice == "all" else stmt.where(SalesOrder.delivery_method == choice)


def _cod(payment: str, total) -> Decimal:
    return money(total) if payment == Payment.COD else ZERO


def goods_of(s, order_ids: list[int]) -> dict[int, str]:
    """Each order's lines as "name×qty" (services/logistics.py's, in chunks of 500)."""
    from agent_app.services.logistics import goods_text

    out: dict[int, str] = {}
    for i in range(0, len(order_ids), 500):
        out.update(goods_text(s, order_ids[i:i + 500]))
    return out


# -- 出库反馈明细表 ------------------------------------------------------------------------------
def feedback_detail(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    courier = aliased(Employee)
    stmt = (select(DispatchFeedback.at, SalesOrder.order_no, SalesOrder.waybill_no,
                   Customer.name, Region.name.label("region"), courier.name.label("courier"),
                   DispatchFeedback.result, SalesOrder.payment, SalesOrder.total,
                   DispatchFeedback.delivery_fee, SalesOrder.trial, DispatchFeedback.remark,
                   DispatchFeedback.actor_login)
            .join(SalesOrder, SalesOrder.id == DispatchFeedback.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .outerjoin(Region, Region.id == Customer.region_id)
            .outerjoin(courier, courier.id == DispatchFeedback.courier_id)
            .where(DispatchFeedback.at >= start, DispatchFeedback.at < end)
            .order_by(DispatchFeedback.at, DispatchFeedback.id))
    rows = []
    for r in s.execute(_trial_filter(stmt, q)):
        returned = r.result == FeedbackResult.RETURNED
        rows.append(Row(at=to_local(r.at), order_no=r.order_no, waybill_no=r.waybill_no or "",
                        customer=r.name, region=r.region or "", courier=r.courier or "",
                        result=RESULT_TEXT.get(r.result, r.result),
                        cod=_cod(r.payment, r.total), fee=money(r.delivery_fee),
                        trial=N("reports", "Trial") if r.trial else "",
                        remark=r.remark, clerk=r.actor_login, returned=returned))
    return rows


register(ReportDef(
    name="dispatch-feedback",
    title=N("reports", "Dispatch feedback details"),
    columns=(Col("at", N("reports", "Accepted"), "datetime"),
             Col("order_no", N("reports", "Order no.")),
             Col("waybill_no", N("reports", "Waybill no.")),
             Col("customer", N("reports", "Customer")),
             Col("region", N("reports", "Region")),
             Col("courier", N("reports", "Courier")),
             Col("result", N("reports", "Result"), translated=True),
             Col("cod", N("reports", "COD amount"), "money"),
             Col("fee", N("reports", "Delivery fee"), "money"),
             Col("trial", N("reports", "Trial"), translated=True),
             Col("remark", N("reports", "Remark")),
             Col("clerk", N("reports", "Clerk"))),
    compute=feedback_detail, permission=PERMISSION, params=(TRIAL,), order=10,
    menu="logistics", highlight="returned",
))


# -- 投递统计 ---------------------------------------------------------------------------------
def delivery_stats(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    courier = aliased(Employee)
    # grouped by result and payment too: the COD sum of the delivered is taken from them
    stmt = (select(courier.name.label("courier"), DispatchFeedback.result, SalesOrder.payment,
                   func.count().label("n"), func.sum(SalesOrder.total).label("amount"),
                   func.sum(DispatchFeedback.delivery_fee).label("fees"))
            .join(SalesOrder, SalesOrder.id == DispatchFeedback.order_id)
            .outerjoin(courier, courier.id == DispatchFeedback.courier_id)
            .where(DispatchFeedback.at >= start, DispatchFeedback.at < end)
            .group_by(courier.name, DispatchFeedback.result, SalesOrder.payment))
    out: dict[str, Row] = {}
    for r in s.execute(_trial_filter(stmt, q)):
        name = r.courier or "—"
        row = out.setdefault(name, Row(courier=name, parcels=0, delivered=0, returned=0,
                                       rate=0.0, cod=ZERO, fees=ZERO))
        row["parcels"] += r.n
        row["fees"] += money(r.fees)
        if r.result == FeedbackResult.DELIVERED:
            row["delivered"] += r.n
            if r.payment == Payment.COD:
                row["cod"] += money(r.amount)
        else:
            row["returned"] += r.n
    for row in out.values():
        row["rate"] = row["delivered"] / row["parcels"] if row["parcels"] else 0.0
    return sorted(out.values(), key=lambda r: (-r["parcels"], r["courier"]))


def _delivery_total(rows) -> Row:
    total = Row(courier="", parcels=sum(r["parcels"] for r in rows),
                delivered=sum(r["delivered"] for r in rows),
                returned=sum(r["returned"] for r in rows),
                cod=sum((r["cod"] for r in rows), ZERO), fees=sum((r["fees"] for r in rows), ZERO))
    total["rate"] = total["delivered"] / total["parcels"] if total["parcels"] else 0.0
    return total


register(ReportDef(
    name="delivery-stats",
    title=N("reports", "Delivery statistics"),
    columns=(Col("courier", N("reports", "Courier")),
             Col("parcels", N("reports", "Parcels"), "int"),
             Col("delivered", N("reports", "Delivered"), "int"),
             Col("returned", N("reports", "Returned"), "int"),
             Col("rate", N("reports", "Delivered share"), "percent"),
             Col("cod", N("reports", "COD delivered"), "money"),
             Col("fees", N("reports", "Delivery fees"), "money")),
    compute=delivery_stats, permission=PERMISSION, params=(TRIAL,), order=11,
    chart=ChartSpec("bar", "courier", ("delivered", "returned")), total=_delivery_total,
    menu="logistics",
))


# -- 出库压单明细表 ------------------------------------------------------------------------------
def pending(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    seller = aliased(Employee)
    today = clock.site_today()
    stmt = (select(SalesOrder.id, SalesOrder.order_no, SalesOrder.confirmed_at,
                   local_day(s, SalesOrder.confirmed_at).label("day"), Customer.name,
                   Customer.mobile, Customer.landline, Region.name.label("region"),
                   SalesOrder.delivery_method, SalesOrder.payment, SalesOrder.total,
                   SalesOrder.status, SalesOrder.printed_at, seller.name.label("seller"))
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .outerjoin(Region, Region.id == Customer.region_id)
            .outerjoin(seller, seller.id == SalesOrder.employee_id)
            .where(SalesOrder.confirmed.is_(True),
                   SalesOrder.confirmed_at >= start, SalesOrder.confirmed_at < end,
                   SalesOrder.feedback_state == FeedbackState.NONE,
                   SalesOrder.status.not_in((OrderStatus.CANCELLED, OrderStatus.VOIDED)))
            .order_by(SalesOrder.confirmed_at, SalesOrder.id))
    rows = []
    for r in s.execute(_class_filter(stmt, q)):
        rows.append(Row(order_no=r.order_no, confirmed=to_local(r.confirmed_at),
                        days=(today - as_date(r.day)).days, customer=r.name,
                        phone=mask_phone(r.mobile or r.landline or ""), region=r.region or "",
                        delivery=r.delivery_method, cod=_cod(r.payment, r.total),
                        printed=N("reports", "Printed") if r.printed_at else "",
                        seller=r.seller or ""))
    return rows


register(ReportDef(
    name="dispatch-pending",
    title=N("reports", "Pending dispatch"),
    columns=(Col("order_no", N("reports", "Order no.")),
             Col("confirmed", N("reports", "Confirmed"), "datetime"),
             Col("days", N("reports", "Days waiting"), "int"),
             Col("customer", N("reports", "Customer")),
             Col("phone", N("reports", "Phone")),
             Col("region", N("reports", "Region")),
             Col("delivery", N("reports", "Delivery")),
             Col("cod", N("reports", "COD amount"), "money"),
             Col("printed", N("reports", "Printed"), translated=True),
             Col("seller", N("reports", "Seller"))),
    compute=pending, permission=PERMISSION, params=(CLASS,), order=12, menu="logistics",
    # a count of days is not summed: the totals row counts the orders and their COD
    total=lambda rows: Row(order_no=str(len(rows)), cod=sum((r["cod"] for r in rows), ZERO)),
))


# -- 作废表 ------------------------------------------------------------------------------------
def voided(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    stmt = (select(OrderEvent.at, OrderEvent.action, OrderEvent.actor_login, OrderEvent.detail,
                   SalesOrder.order_no, SalesOrder.waybill_no, SalesOrder.payment,
                   SalesOrder.total, Customer.name)
            .join(SalesOrder, SalesOrder.id == OrderEvent.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .where(OrderEvent.at >= start, OrderEvent.at < end,
                   OrderEvent.to_status == OrderStatus.VOIDED,
                   OrderEvent.action.in_(("void", "feedback")),
                   SalesOrder.status == OrderStatus.VOIDED)
            .order_by(OrderEvent.at, OrderEvent.id))
    rows = []
    for r in s.execute(stmt):
        how = N("reports", "Voided") if r.action == "void" else N("reports", "Returned")
        reason = r.detail if r.action == "void" else r.detail.partition(": ")[2]
        rows.append(Row(at=to_local(r.at), order_no=r.order_no, waybill_no=r.waybill_no or "",
                        customer=r.name, how=how, amount=money(r.total), reason=reason,
                        by=r.actor_login))
    return rows


register(ReportDef(
    name="voided-orders",
    title=N("reports", "Voided orders"),
    columns=(Col("at", N("reports", "Voided"), "datetime"),
             Col("order_no", N("reports", "Order no.")),
             Col("waybill_no", N("reports", "Waybill no.")),
             Col("customer", N("reports", "Customer")),
             Col("how", N("reports", "How"), translated=True),
             Col("amount", N("reports", "Amount"), "money"),
             Col("reason", N("reports", "Reason")),
             Col("by", N("reports", "Done by"))),
    compute=voided, permission=PERMISSION, order=13, menu="logistics",
))


# -- 交寄清单 ----------------------------------------------------------------------------------
def mailing_list(s, q: Query) -> list[Row]:
    """The orders confirmed in the period (by confirmed_at's index), by delivery class."""
    start, end = bounds(q.date_from, q.date_to)
    stmt = (select(SalesOrder.id, SalesOrder.order_no, SalesOrder.waybill_no,
                   SalesOrder.confirmed_at, Customer.name, Customer.mobile, Customer.landline,
                   Customer.address, SalesOrder.delivery_method, SalesOrder.payment,
                   SalesOrder.total)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .where(SalesOrder.confirmed.is_(True),
                   SalesOrder.confirmed_at >= start, SalesOrder.confirmed_at < end,
                   SalesOrder.status != OrderStatus.CANCELLED)
            .order_by(SalesOrder.delivery_method, SalesOrder.confirmed_at, SalesOrder.id))
    found = s.execute(_class_filter(stmt, q)).all()
    goods = goods_of(s, [r.id for r in found])
    return [Row(order_no=r.order_no, waybill_no=r.waybill_no or "",
                confirmed=to_local(r.confirmed_at),
                recipient=r.name, phone=mask_phone(r.mobile or r.landline or ""),
                address=r.address or "", goods=goods.get(r.id, ""), delivery=r.delivery_method,
                cod=_cod(r.payment, r.total))
            for r in found]


register(ReportDef(
    name="mailing-list",
    title=N("reports", "Mailing list"),
    columns=(Col("order_no", N("reports", "Order no.")),
             Col("waybill_no", N("reports", "Waybill no.")),
             Col("confirmed", N("reports", "Confirmed"), "datetime"),
             Col("recipient", N("reports", "Recipient")),
             Col("phone", N("reports", "Phone")),
             Col("address", N("reports", "Address")),
             Col("goods", N("reports", "Goods")),
             Col("delivery", N("reports", "Delivery")),
             Col("cod", N("reports", "COD amount"), "money")),
    compute=mailing_list, permission=PERMISSION, params=(CLASS,), order=14, menu="logistics",
    total=lambda rows: Row(order_no=str(len(rows)), cod=sum((r["cod"] for r in rows), ZERO)),
))
