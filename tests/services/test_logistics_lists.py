"""出库目录 / 出库查找 (LogisticsService.catalog) and 物流管理's reports, on SQLite and
MariaDB: which orders each shows, their figures, and the refusals of bad criteria."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agent_app import clock
from agent_app.errors import Forbidden, ValidationError
from agent_app.reports import load_all
from agent_app.services.archives import ArchiveService
from agent_app.services.logistics import DispatchQuery, FeedbackEntry
from agent_app.services.orders import OrderDraft, OrderLineDraft
from agent_app.services.reports import ReportService
from db.models import SalesOrder
from tests.services.depot import make, version


def catalog_nos(depot, q: DispatchQuery | None = None, **kw) -> list[str]:
    page = depot.logistics.catalog(depot.clerk, q or DispatchQuery(), **kw)
    return [r.order_no for r in page.rows]


def no(depot, oid) -> str:
    return depot.svc.get(oid).order_no


def test_the_catalog_shows_confirmed_orders_of_the_last_days(depot):
    confirmed, draft, printed, withdrawn = (make(depot, s) for s in (
        "confirmed", "draft", "printed", "withdrawn"))
    old = make(depot, "confirmed")
    with depot.db.transaction() as s:      # confirmed three days ago: outside 近2天
        s.get(SalesOrder, old).confirmed_at = clock.now() - dt.timedelta(days=3)
    assert catalog_nos(depot) == [no(depot, printed), no(depot, confirmed)]  # newest first
    ArchiveService(depot.db).set_settings(depot.admin, {"dispatch_days": "5"})
    assert catalog_nos(depot)[-1] == no(depot, old)
    # the 撤销单 list instead: withdrawn and not confirmed again
    assert catalog_nos(depot, DispatchQuery(withdrawn=True)) == [no(depot, withdrawn)]
    row = depot.logistics.catalog(depot.clerk, DispatchQuery(printed=True)).rows[0]
    assert (row.order_no, row.print_count, row.status) == (no(depot, printed), 1, "in_transit")
    assert row.goods == "眼保姆豪华版×1, 眼保姆护目贴×2"
    assert row.cod_amount == Decimal("515.00") and row.address == "杭州市文三路8号"
    assert draft not in [r.id for r in depot.logistics.catalog(depot.clerk, DispatchQuery()).rows]


def test_catalog_criteria_apply_only_when_given(depot):
    a, b = make(depot, "confirmed"), make(depot, "delivered")
    today = clock.site_today()
    q = DispatchQuery(date_from=today, date_to=today)
    assert set(catalog_nos(depot, q)) == {no(depot, a), no(depot, b)}
    assert catalog_nos(depot, DispatchQuery(fed_back=True)) == [no(depot, b)]
    assert catalog_nos(depot, DispatchQuery(fed_back=False)) == [no(depot, a)]
    assert catalog_nos(depot, DispatchQuery(status="accepted")) == [no(depot, b)]
    assert catalog_nos(depot, DispatchQuery(delivery_method="A")) == []
    p3 = depot.products[2]
    assert catalog_nos(depot, DispatchQuery(product_id=p3.id)) == []
    assert len(catalog_nos(depot, DispatchQuery(product_id=depot.products[0].id))) == 2
    # the manual's kinds: order number by prefix, name whole, remark contains
    assert catalog_nos(depot, DispatchQuery(field="order_no", text=no(depot, a)[:-1])) != []
    assert catalog_nos(depot, DispatchQuery(field="customer_name", text="王建")) == []
    assert len(catalog_nos(depot, DispatchQuery(field="customer_name", text="王建国"))) == 2
    for bad in (DispatchQuery(date_from=today), DispatchQuery(date_from=today, date_to=today
                                                               - dt.timedelta(days=1)),
                DispatchQuery(field="customer_name", text=" "), DispatchQuery(field="nope",
                                                                               text="x")):
        with pytest.raises(ValidationError):
            depot.logistics.catalog(depot.clerk, bad)
    with pytest.raises(Forbidden):
        depot.logistics.catalog(depot.agent, DispatchQuery())


def test_catalog_pages_by_keyset_and_masks_phones(depot):
    ids = [make(depot, "confirmed") for _ in range(5)]
    first = depot.logistics.catalog(depot.clerk, DispatchQuery(), page_size=3)
    rest = depot.logistics.catalog(depot.clerk, DispatchQuery(), page_size=3,
                                   after=first.next_after)
    assert [r.id for r in first.rows + rest.rows] == ids[::-1] and rest.next_after is None
    assert first.rows[0].phone == "13800138000"
    assert depot.logistics.catalog(depot.clerk2, DispatchQuery()).rows[0].phone == "138****8000"


def test_the_catalog_shows_what_a_resend_changed_until_printed(depot):
    oid = make(depot, "edited")
    assert depot.logistics.rows_for(depot.clerk, [oid])[0].resent == ""
    depot.logistics.resend(depot.agent, oid, version(depot, oid))
    assert depot.logistics.rows_for(depot.clerk, [oid])[0].resent == "来源 江苏卫视 -> 官网"
    depot.logistics.record_printed(depot.clerk, [oid], "local_76x130")
    assert depot.logistics.rows_for(depot.clerk, [oid])[0].resent == ""


# -- reports -----------------------------------------------------------------------------------
def run(depot, name, actor=None, **params):
    today = clock.site_today()
    return ReportService(depot.db).run(actor or depot.clerk, name, today, today, params)


def test_the_logistics_reports_are_in_the_logistics_menu():
    reports = load_all()
    names = {n for n, r in reports.items() if r.menu == "logistics"}
    assert names == {"dispatch-feedback", "delivery-stats", "dispatch-pending", "voided-orders",
                     "mailing-list"}
    assert all(reports[n].permission == "dispatch_feedback" for n in names)


def test_feedback_details_and_delivery_statistics(depot):
    couriers = {c.login: c.id for c in depot.logistics.couriers()}
    ids = [make(depot, "printed") for _ in range(3)]
    trial = make(depot, "confirmed")
    with depot.db.transaction() as s:
        s.get(SalesOrder, trial).trial = True
    lg = depot.logistics
    lg.feedback(depot.clerk, [
        FeedbackEntry(ids[0], "delivered", couriers["3001"], "8"),
        FeedbackEntry(ids[1], "returned", couriers["3001"], "5", "拒收"),
        FeedbackEntry(ids[2], "delivered", couriers["3002"], "8"),
        FeedbackEntry(trial, "delivered", couriers["3002"], "0")])
    detail = run(depot, "dispatch-feedback")
    assert [(r["order_no"], r["result"], r["returned"]) for r in detail.rows] == [
        (no(depot, ids[0]), "Delivered", False), (no(depot, ids[1]), "Returned", True),
        (no(depot, ids[2]), "Delivered", False), (no(depot, trial), "Delivered", False)]
    assert detail.rows[1]["remark"] == "拒收" and detail.rows[1]["courier"] == "孙强"
    assert len(run(depot, "dispatch-feedback", trial="trial").rows) == 1
    stats = {r["courier"]: r for r in run(depot, "delivery-stats").rows}
    assert (stats["孙强"]["parcels"], stats["孙强"]["delivered"], stats["孙强"]["returned"],
            stats["孙强"]["cod"], stats["孙强"]["fees"]) == (2, 1, 1, Decimal("515.00"),
                                                             Decimal("13.00"))
    assert stats["马军"]["cod"] == Decimal("1030.00") and stats["马军"]["rate"] == 1.0
    paid = {r["courier"]: r for r in run(depot, "delivery-stats", trial="paid").rows}
    assert paid["马军"]["parcels"] == 1
    with pytest.raises(Forbidden):
        run(depot, "delivery-stats", actor=depot.agent)


def test_pending_voided_and_mailing_list(depot):
    waiting, printed, fed, cancelled = (make(depot, s) for s in (
        "confirmed", "printed", "delivered", "cancelled"))
    voided, returned = make(depot, "voided"), make(depot, "returned")
    with depot.db.transaction() as s:       # waiting since four days
        s.get(SalesOrder, waiting).confirmed_at = clock.now() - dt.timedelta(days=4)
    today = clock.site_today()
    pending = ReportService(depot.db).run(depot.clerk, "dispatch-pending",
                                          today - dt.timedelta(days=7), today)
    assert [(r["order_no"], r["days"]) for r in pending.rows] == [
        (no(depot, waiting), 4), (no(depot, printed), 0)]
    assert pending.rows[0]["phone"] == "138****8000"
    assert pending.total["cod"] == Decimal("1030.00") and pending.total["order_no"] == "2"
    gone = {r["order_no"]: (r["how"], r["reason"]) for r in run(depot, "voided-orders").rows}
    assert gone == {no(depot, voided): ("Voided", "打印的地址错了"),
                    no(depot, returned): ("Returned", "")}
    handed = [r["order_no"] for r in run(depot, "mailing-list", delivery="all").rows]
    # confirmed today, cancelled left out (waiting was confirmed four days ago)
    assert set(handed) == {no(depot, o) for o in (printed, fed, voided, returned)}
    assert run(depot, "mailing-list", delivery="A").rows == []
    del cancelled


def test_withdrawn_orders_deleted_leave_the_catalog(depot):
    oid = make(depot, "withdrawn")
    depot.logistics.delete_withdrawn(depot.clerk, oid, version(depot, oid), "重复下单")
    assert catalog_nos(depot, DispatchQuery(withdrawn=True)) == []
    o = depot.svc.create(depot.agent, OrderDraft(customer_id=depot.customer.id, lines=(
        OrderLineDraft(depot.products[0].id),)))
    assert o.order_no not in catalog_nos(depot)
