"""Orders, the paths next to the named rules (issue #16, found by mutation testing):
confirm() on its own, cancel of closed and stale orders, inactive products, the colour of
other customers, the site's day, and every validation error's field at its limits."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from agent_app import clock
from agent_app.errors import Conflict, Forbidden, NotFound, StaleEdit, UserError, ValidationError
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import MAX_LINES, MAX_QUANTITY, MAX_TOTAL, OrderLineDraft
from agent_app.services.sequences import lane_number, lane_of
from db.models import Customer, OrderEvent, Product, SalesOrder
from tests.services.test_orders import draft, order_state, three_lines


def refused(exc_type, fn, *args, **kw) -> UserError:
    with pytest.raises(exc_type) as e:
        fn(*args, **kw)
    return e.value


def set_order(shop, order_id, **values):
    with shop.db.transaction() as s:
        row = s.get(SalesOrder, order_id)
        for k, v in values.items():
            setattr(row, k, v)
    return shop.svc.get(order_id)


def state_of(shop, customer_id) -> int:
    with shop.db.reading() as s:
        return s.scalar(select(Customer.order_state).where(Customer.id == customer_id))


def fixed_clock(monkeypatch, *args):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(*args, tzinfo=dt.UTC))


# -- confirm --------------------------------------------------------------------------------
def test_confirm_an_unconfirmed_order(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    c = shop.svc.confirm(shop.agent, o.id, o.version)
    assert c.confirmed and c.confirmed_at is not None and c.version > o.version
    assert c.updated_by_login == "1001" and order_state(shop) == 2
    hist = shop.svc.history(o.id)
    assert [(e.action, e.actor_login, e.from_status, e.to_status) for e in hist] == [
        ("create", "1001", None, "not_sent"), ("confirm", "1001", "not_sent", "not_sent")]
    assert shop.svc.get(o.id).confirmed


def test_confirm_with_a_stale_version_is_refused(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    u = shop.svc.update(shop.admin, o.id, o.version, draft(shop, remark="改了"))
    e = refused(StaleEdit, shop.svc.confirm, shop.agent, o.id, o.version)
    assert e.code == "stale" and "0001" in str(e)
    assert not shop.svc.get(o.id).confirmed and order_state(shop) == 1
    assert shop.svc.confirm(shop.agent, o.id, u.version).confirmed


def test_confirm_refused_for_confirmed_cancelled_voided_or_missing(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    e = refused(Conflict, shop.svc.confirm, shop.agent, o.id, o.version)
    assert e.code == "conflict" and o.order_no in str(e) and "already" in str(e)
    for status in ("cancelled", "voided", "in_transit"):
        x = shop.svc.create(shop.agent, draft(shop))
        x = set_order(shop, x.id, status=status)
        e = refused(Conflict, shop.svc.confirm, shop.agent, x.id, x.version)
        assert x.order_no in str(e) and not shop.svc.get(x.id).confirmed
    assert refused(NotFound, shop.svc.confirm, shop.agent, 999999, 1).code == "not_found"


def test_create_and_confirm_writes_both_events(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    assert [e.action for e in shop.svc.history(o.id)] == ["create", "confirm"]


# -- cancel ----------------------------------------------------------------------------------
def test_cancel_refused_for_cancelled_voided_printed_or_stale(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    c = shop.svc.cancel(shop.admin, o.id, o.version, "  客户不要了  ")
    assert c.cancel_reason == "客户不要了" and c.updated_by_login == "0001"
    e = refused(Conflict, shop.svc.cancel, shop.admin, o.id, c.version, "再取消")
    assert e.code == "conflict" and o.order_no in str(e)
    voided = shop.svc.create(shop.agent, draft(shop))
    voided = set_order(shop, voided.id, status="voided")
    refused(Conflict, shop.svc.cancel, shop.admin, voided.id, voided.version, "作废的")
    printed = shop.svc.create(shop.agent, draft(shop))   # printed, still marked not sent
    printed = set_order(shop, printed.id, printed_at=dt.datetime.now(dt.UTC))
    refused(Conflict, shop.svc.cancel, shop.admin, printed.id, printed.version, "打印了")
    stale = shop.svc.create(shop.agent, draft(shop))
    shop.svc.update(shop.agent, stale.id, stale.version, draft(shop, remark="改"))
    e = refused(StaleEdit, shop.svc.cancel, shop.admin, stale.id, stale.version, "旧的")
    assert e.code == "stale"
    for x in (voided, printed, stale):
        assert shop.svc.get(x.id).status != "cancelled"
    assert [e.action for e in shop.svc.history(o.id)] == ["create", "cancel"]


def test_cancel_reason_limits_and_permission_codes(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    assert refused(Forbidden, shop.svc.cancel, shop.agent, o.id, o.version, "x").code == \
        "forbidden"
    for reason in ("", "   ", None):
        e = refused(ValidationError, shop.svc.cancel, shop.admin, o.id, o.version, reason)
        assert e.field == "reason"
    e = refused(ValidationError, shop.svc.cancel, shop.admin, o.id, o.version, "长" * 201)
    assert e.field == "reason"
    assert shop.svc.get(o.id).status == "not_sent"
    c = shop.svc.cancel(shop.admin, o.id, o.version, "长" * 200)
    assert c.cancel_reason == "长" * 200
    assert refused(NotFound, shop.svc.cancel, shop.admin, 999999, 1, "x").code == "not_found"


def test_cancel_keeps_the_customer_pink_while_another_confirmed_order_lives(shop):
    a = shop.svc.create(shop.agent, draft(shop), confirm=True)
    b = shop.svc.create(shop.agent, draft(shop), confirm=True)
    shop.svc.cancel(shop.admin, a.id, a.version, "重复")
    assert order_state(shop) == 2
    shop.svc.cancel(shop.admin, b.id, b.version, "不要")
    assert order_state(shop) == 0


# -- products, prices, lines ----------------------------------------------------------------
def deactivate(shop, product_id):
    with shop.db.transaction() as s:
        s.get(Product, product_id).active = False


def test_inactive_product_refused_on_new_order_but_kept_on_edit(shop):
    p1, p2, _ = shop.products
    o = shop.svc.create(shop.agent, draft(shop, lines=(OrderLineDraft(p1.id),
                                                       OrderLineDraft(p2.id))))
    deactivate(shop, p2.id)
    e = refused(ValidationError, shop.svc.create, shop.agent,
                draft(shop, lines=(OrderLineDraft(p1.id), OrderLineDraft(p2.id))))
    assert (e.field, e.params) == ("lines", {"line": 2})
    u = shop.svc.update(shop.agent, o.id, o.version,
                        draft(shop, lines=(OrderLineDraft(p2.id, quantity=2),)))
    assert [(ln.product_id, ln.quantity) for ln in u.lines] == [(p2.id, 2)]
    e = refused(ValidationError, shop.svc.update, shop.agent, o.id, u.version,
                draft(shop, lines=(OrderLineDraft(999999),)))
    assert (e.field, e.params) == ("lines", {"line": 1})


def test_validation_errors_name_their_field(shop):
    p1 = shop.products[0]

    def one(**kw):
        return (OrderLineDraft(p1.id, **kw),)
    cases = [
        (dict(lines=()), "lines"),
        (dict(lines=one() * (MAX_LINES + 1)), "lines"),
        (dict(lines=one(quantity=0)), "quantity"),
        (dict(lines=one(quantity=MAX_QUANTITY + 1)), "quantity"),
        (dict(lines=one(quantity=1.5)), "quantity"),
        (dict(lines=one(kind="free")), "kind"),
        (dict(lines=one(unit_price="abc")), "unit_price"),
        (dict(lines=one(unit_price="-0.01")), "unit_price"),
        (dict(lines=one(unit_price="10000000")), "unit_price"),
        (dict(delivery_method="Z"), "delivery_method"),
        (dict(payment="cheque"), "payment"),
        (dict(remark="x" * 501), "remark"),
        (dict(delivery_requirements="x" * 201), "delivery_requirements"),  # its own field
        (dict(medium_id=999999), "medium_id"),
    ]
    for kw, field in cases:
        e = refused(ValidationError, shop.svc.create, shop.agent, draft(shop, **kw))
        assert (e.code, e.field) == ("invalid", field), kw
    e = refused(ValidationError, shop.svc.create, shop.agent, draft(shop, lines=one() * 51))
    assert e.params == {"n": MAX_LINES}
    e = refused(ValidationError, shop.svc.create, shop.agent, draft(shop, lines=one(quantity=0)))
    assert e.params == {"max": MAX_QUANTITY}
    e = refused(ValidationError, shop.svc.create, shop.agent,
                draft(shop, lines=one(unit_price="abc")))
    assert e.params == {"value": "abc"}
    assert order_state(shop) == 0


def test_limits_that_are_accepted(shop):
    p1, p2, _ = shop.products
    o = shop.svc.create(shop.agent, draft(
        shop, lines=(OrderLineDraft(p1.id, quantity=MAX_QUANTITY, unit_price="9999.99"),)
        + (OrderLineDraft(p2.id, quantity=1, unit_price="0.00"),) * (MAX_LINES - 1),
        remark="x" * 500, delivery_requirements="y" * 200))
    assert len(o.lines) == MAX_LINES and o.lines[0].quantity == MAX_QUANTITY
    assert o.lines[0].unit_price == Decimal("9999.99") and o.lines[1].unit_price == 0
    assert o.total == Decimal("9999.99") * MAX_QUANTITY
    assert o.remark == "x" * 500 and o.delivery_requirements == "y" * 200
    top = shop.svc.create(shop.agent, draft(shop, lines=(
        OrderLineDraft(p1.id, quantity=1, unit_price="9999999.99"),)))
    assert top.total == Decimal("9999999.99")


def test_order_total_must_fit_its_column(shop):
    """sales_order.total is DECIMAL(12,2): MariaDB refused a bigger total with a raw
    DataError (a crash dialog) and SQLite kept it; now it is a validation error."""
    p1 = shop.products[0]
    big = "9999999.99"
    o = shop.svc.create(shop.agent, draft(shop, lines=(
        OrderLineDraft(p1.id, quantity=1000, unit_price=big),)))
    assert o.total == Decimal("9999999990.00")
    for quantity in (1001, MAX_QUANTITY):
        e = refused(ValidationError, shop.svc.create, shop.agent, draft(shop, lines=(
            OrderLineDraft(p1.id, quantity=quantity, unit_price=big),)))
        assert (e.field, e.params) == ("lines", {"max": MAX_TOTAL})
    e = refused(ValidationError, shop.svc.update, shop.agent, o.id, o.version, draft(
        shop, lines=(OrderLineDraft(p1.id, quantity=1001, unit_price=big),)))
    assert e.field == "lines"
    assert shop.svc.get(o.id).total == Decimal("9999999990.00")


def test_explicit_prices_are_rounded_and_zero_is_kept(shop):
    p1, p2, _ = shop.products
    o = shop.svc.create(shop.agent, draft(shop, lines=(
        OrderLineDraft(p1.id, unit_price=0), OrderLineDraft(p2.id, unit_price="12.345",
                                                            quantity=2),
        OrderLineDraft(p2.id, kind="gift", unit_price="5"))))
    assert [ln.unit_price for ln in o.lines] == [Decimal("0.00"), Decimal("12.34"),
                                                 Decimal("5.00")]
    assert [ln.amount for ln in o.lines] == [Decimal("0.00"), Decimal("24.68"), Decimal("5.00")]
    assert o.total == Decimal("29.68")


def test_variety_from_the_first_direct_line_and_trial_flag(shop):
    p1, _p2, p3 = shop.products
    o = shop.svc.create(shop.agent, draft(shop, lines=(
        OrderLineDraft(p1.id, kind="gift"), OrderLineDraft(p3.id, trial=True))))
    assert o.variety_name == "操盘手软件" and o.trial and [ln.trial for ln in o.lines] == \
        [False, True]
    gifts = shop.svc.create(shop.agent, draft(shop, lines=(
        OrderLineDraft(p3.id, kind="gift"), OrderLineDraft(p1.id, kind="bundled"))))
    assert gifts.variety_name == "操盘手软件" and not gifts.trial
    assert [ln.line_no for ln in gifts.lines] == [1, 2]
    assert [(ln.product_code, ln.product_name) for ln in gifts.lines][1][1] == "眼保姆豪华版"


def test_create_fields_and_missing_customer(shop):
    o = shop.svc.create(shop.agent, draft(shop, delivery_method="C", payment="prepaid",
                                          delivery_requirements=" 周末 ", remark=" 发票 "))
    assert (o.delivery_method, o.payment, o.delivery_requirements, o.remark) == \
        ("C", "prepaid", "周末", "发票")
    assert (o.customer_id, o.customer_name, o.employee_id) == \
        (shop.customer.id, "王建国", shop.agent.id)
    assert o.updated_by_login == "1001" and o.medium_id == shop.media[0].id
    assert shop.svc.create(shop.agent, draft(shop, medium_id=None)).medium_name == ""
    assert refused(NotFound, shop.svc.create, shop.agent,
                   draft(shop, customer_id=999999)).code == "not_found"
    assert refused(NotFound, shop.svc.get, 999999).code == "not_found"


# -- update -----------------------------------------------------------------------------------
def test_update_records_what_changed_and_refuses_closed_orders(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    u = shop.svc.update(shop.admin, o.id, o.version,
                        draft(shop, remark="新备注", payment="prepaid"))
    assert u.updated_by_login == "0001" and u.payment == "prepaid"
    edit = shop.svc.history(o.id)[-1]
    assert (edit.action, edit.actor_login, edit.detail) == ("edit", "0001", "payment, remark")
    assert (edit.from_status, edit.to_status) == ("not_sent", "not_sent")
    e = refused(Conflict, shop.svc.update, shop.agent, o.id, u.version,
                draft(shop, customer_id=999999))
    assert e.field == "customer"
    voided = set_order(shop, o.id, status="voided")
    e = refused(Conflict, shop.svc.update, shop.agent, o.id, voided.version, draft(shop))
    assert o.order_no in str(e)
    assert refused(NotFound, shop.svc.update, shop.agent, 999999, 1, draft(shop)).code == \
        "not_found"


def test_confirmed_order_names_the_first_changed_field_and_keeps_old_prices(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    e = refused(Conflict, shop.svc.update, shop.agent, o.id, o.version,
                draft(shop, remark="x", payment="prepaid"))
    assert e.field == "payment"
    e = refused(Conflict, shop.svc.update, shop.agent, o.id, o.version,
                draft(shop, lines=three_lines(shop)[::-1]))
    assert e.field == "lines"
    p1 = shop.products[0]
    lines = list(three_lines(shop))
    lines[0] = OrderLineDraft(p1.id, unit_price="1.00")     # a new price is a change
    e = refused(Conflict, shop.svc.update, shop.agent, o.id, o.version,
                draft(shop, lines=tuple(lines)))
    assert e.field == "lines"
    with shop.db.transaction() as s:                          # the retail price moves on
        s.get(Product, p1.id).retail_price = Decimal("450.00")
    u = shop.svc.update(shop.agent, o.id, o.version,
                        draft(shop, medium_id=shop.media[1].id, placement_id=None))
    assert u.total == o.total and u.medium_id == shop.media[1].id
    assert shop.svc.history(o.id)[-1].detail == "来源 江苏卫视 -> 官网"   # names: 传物流 shows it
    assert u.updated_by_login == "1001" and u.version > o.version
    e = refused(ValidationError, shop.svc.update, shop.agent, o.id, u.version,
                draft(shop, medium_id=999999))
    assert e.field == "medium_id"


def test_unconfirmed_update_may_set_explicit_price_zero_and_reprice(shop):
    p1, p2, _ = shop.products
    o = shop.svc.create(shop.agent, draft(shop, lines=(OrderLineDraft(p1.id),)))
    u = shop.svc.update(shop.agent, o.id, o.version,
                        draft(shop, lines=(OrderLineDraft(p1.id, unit_price="0.00"),
                                           OrderLineDraft(p2.id, kind="gift"))))
    assert [ln.unit_price for ln in u.lines] == [0, 0] and u.total == 0
    assert shop.svc.history(o.id)[-1].detail == "lines"


# -- the colour of the directory (order_state) -------------------------------------------------
def test_saving_one_customers_order_leaves_other_customers_colours(shop):
    other = CustomerService(shop.db).register(shop.agent, CustomerDraft(
        name="李四", mobile="13900139000"))
    third = CustomerService(shop.db).register(shop.agent, CustomerDraft(
        name="张三", mobile="13700137000"))
    mine = shop.svc.create(shop.agent, draft(shop), confirm=True)          # pink
    theirs = shop.svc.create(shop.agent, draft(shop, customer_id=other.id))
    assert (order_state(shop), state_of(shop, other.id), state_of(shop, third.id)) == (2, 1, 0)
    shop.svc.confirm(shop.agent, theirs.id, theirs.version)
    shop.svc.cancel(shop.admin, mine.id, mine.version, "不要")
    assert (order_state(shop), state_of(shop, other.id), state_of(shop, third.id)) == (0, 2, 0)
    shop.svc.create(shop.agent, draft(shop, customer_id=third.id))
    assert (order_state(shop), state_of(shop, other.id), state_of(shop, third.id)) == (0, 2, 1)


# -- the site's day ---------------------------------------------------------------------------
def nth(shop, k: int) -> str:
    """The seller's k-th order number of a day, after the date (services/sequences.py)."""
    return f"{lane_number(k, lane_of(shop.agent.login)):04d}"


@pytest.mark.parametrize("utc, day", [((2026, 3, 1, 15, 59, 59), "260301"),
                                      ((2026, 3, 1, 16, 0, 0), "260302"),
                                      ((2026, 12, 31, 23, 30), "270101")])
def test_order_numbers_follow_the_sites_day(shop, monkeypatch, utc, day):
    fixed_clock(monkeypatch, *utc)
    o = shop.svc.create(shop.agent, draft(shop))
    assert o.order_no == day + nth(shop, 1)
    assert shop.svc.create(shop.agent, draft(shop)).order_no == day + nth(shop, 2)


def test_order_sequence_restarts_on_the_sites_next_day(shop, monkeypatch):
    fixed_clock(monkeypatch, 2026, 3, 1, 15, 0)
    assert shop.svc.create(shop.agent, draft(shop)).order_no == "260301" + nth(shop, 1)
    fixed_clock(monkeypatch, 2026, 3, 1, 16, 0)
    assert shop.svc.create(shop.agent, draft(shop)).order_no == "260302" + nth(shop, 1)
    with shop.db.reading() as s:
        assert len(s.scalars(select(OrderEvent)).all()) == 2


def test_order_info_carries_the_customer_and_logistics_fields(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    assert (o.registration_no, o.customer_class) == (shop.customer.registration_no, "C")
    assert (o.placement_id, o.feedback_state, o.receipt_state, o.waybill_no) == \
        (None, "none", "none", None)
    assert (o.printed_at, o.cancel_reason, o.confirmed_at) == (None, None, None)


def test_confirmed_order_with_a_bad_price_names_the_price(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    lines = (OrderLineDraft(shop.products[0].id, unit_price="abc"),)
    e = refused(ValidationError, shop.svc.update, shop.agent, o.id, o.version,
                draft(shop, lines=lines))
    assert e.field == "unit_price"
