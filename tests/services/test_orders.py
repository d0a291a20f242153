"""Orders: numbers, totals, the lock rules of 物流确认, cancellation, history, the sales
directory search, stale edits, and a dropped connection mid-save (SQLite and MariaDB)."""
from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent_app.cli.identity import SHELL
from agent_app.errors import Conflict, Forbidden, NotFound, StaleEdit, ValidationError
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import (
    SITE_ZONE,
    OrderDraft,
    OrderLineDraft,
    OrderService,
    SalesQuery,
)
from agent_app.services.sequences import lane_number, lane_of
from db.enums import Permission, Role
from db.models import Customer, OrderEvent, OrderLine, SalesOrder


def three_lines(shop) -> tuple[OrderLineDraft, ...]:
    p1, p2, _ = shop.products
    return (OrderLineDraft(p1.id), OrderLineDraft(p2.id, quantity=2, kind="bundled"),
            OrderLineDraft(p2.id, kind="gift"))


def draft(shop, **kw) -> OrderDraft:
    base = dict(customer_id=shop.customer.id, lines=three_lines(shop),
                medium_id=shop.media[0].id, delivery_requirements="工作日送货")
    base.update(kw)
    return OrderDraft(**base)


def order_state(shop) -> int:
    with shop.db.reading() as s:
        return s.scalar(select(Customer.order_state).where(Customer.id == shop.customer.id))


def test_create_numbers_prices_totals_and_history(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    # the day, then the first number of the seller's counter lane (services/sequences.py)
    assert re.fullmatch(rf"\d{{6}}{lane_number(1, lane_of(shop.agent.login)):04d}", o.order_no)
    assert [ln.unit_price for ln in o.lines] == [Decimal("398.00"), Decimal("58.50"),
                                                 Decimal("0.00")]   # a gift costs nothing
    assert [ln.kind for ln in o.lines] == ["direct", "bundled", "gift"]
    assert o.total == Decimal("515.00")
    assert (o.variety_name, o.medium_name, o.employee_name) == ("眼保姆", "江苏卫视", "李娜")
    assert not o.confirmed and o.status == "not_sent"
    assert order_state(shop) == 1   # blue: ordered, not yet confirmed
    second = shop.svc.create(shop.agent, draft(shop))
    assert second.order_no == o.order_no[:6] + f"{lane_number(2, lane_of(shop.agent.login)):04d}"
    assert [e.action for e in shop.svc.history(o.id)] == ["create"]


def test_bad_drafts_are_refused_and_write_nothing(shop):
    p1 = shop.products[0]
    bad = [draft(shop, lines=()),
           draft(shop, lines=(OrderLineDraft(p1.id, quantity=0),)),
           draft(shop, lines=(OrderLineDraft(p1.id, unit_price="abc"),)),
           draft(shop, lines=(OrderLineDraft(p1.id, unit_price=-1),)),
           draft(shop, lines=(OrderLineDraft(999999),)),
           draft(shop, delivery_method="Z"), draft(shop, payment="cheque"),
           draft(shop, medium_id=999999)]
    for d in bad:
        with pytest.raises(ValidationError):
            shop.svc.create(shop.agent, d)
    with pytest.raises(NotFound):
        shop.svc.create(shop.agent, draft(shop, customer_id=999999))
    with shop.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == 0
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 0
    assert order_state(shop) == 0


def test_unconfirmed_order_changes_all_but_number_and_variety(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    p1, p2, p3 = shop.products
    new_lines = (OrderLineDraft(p3.id, unit_price="1200"), OrderLineDraft(p1.id, quantity=3))
    u = shop.svc.update(shop.agent, o.id, o.version,
                        draft(shop, lines=new_lines, delivery_method="A", payment="prepaid",
                              remark="客户要发票"))
    assert u.order_no == o.order_no and u.variety_name == "眼保姆"   # fixed at creation
    assert [(ln.product_id, ln.quantity) for ln in u.lines] == [(p3.id, 1), (p1.id, 3)]
    assert u.total == Decimal("2394.00") and u.delivery_method == "A" and u.version > o.version
    with pytest.raises(Conflict):   # the customer of an order never changes
        other = CustomerService(shop.db).register(shop.agent, CustomerDraft(
            name="李四", mobile="13900139000"))
        shop.svc.update(shop.agent, o.id, u.version, draft(shop, customer_id=other.id))


def test_confirmed_order_allows_only_its_medium(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    assert o.confirmed and o.confirmed_at is not None
    assert order_state(shop) == 2   # pink
    for change in (dict(remark="改备注"), dict(delivery_method="C"), dict(payment="prepaid"),
                   dict(lines=three_lines(shop)[:1])):
        with pytest.raises(Conflict) as e:
            shop.svc.update(shop.agent, o.id, o.version, draft(shop, **change))
        assert o.order_no in str(e.value)
    assert shop.svc.get(o.id).version == o.version   # nothing was written
    u = shop.svc.update(shop.agent, o.id, o.version, draft(shop, medium_id=shop.media[1].id))
    assert u.medium_name == "官网" and u.total == o.total
    with pytest.raises(Conflict):
        shop.svc.confirm(shop.agent, o.id, u.version)
    assert [e.action for e in shop.svc.history(o.id)] == ["create", "confirm", "edit"]


def test_stale_edit_names_who_changed_it(shop):
    o = shop.svc.create(shop.agent, draft(shop))
    shop.svc.update(shop.admin, o.id, o.version, draft(shop, remark="先改的"))
    with pytest.raises(StaleEdit) as e:
        shop.svc.update(shop.agent, o.id, o.version, draft(shop, remark="后改的"))
    assert "0001" in str(e.value)
    assert shop.svc.get(o.id).remark == "先改的"


def test_cancel_needs_permission_and_a_reason_and_only_before_dispatch(shop):
    o = shop.svc.create(shop.agent, draft(shop), confirm=True)
    with pytest.raises(Forbidden):
        shop.svc.cancel(shop.agent, o.id, o.version, "不要了")
    with pytest.raises(ValidationError):
        shop.svc.cancel(shop.admin, o.id, o.version, "  ")
    c = shop.svc.cancel(shop.admin, o.id, o.version, "客户不要了")
    assert (c.status, c.cancel_reason) == ("cancelled", "客户不要了")
    assert order_state(shop) == 0   # nothing on its way any more
    with pytest.raises(Conflict):
        shop.svc.update(shop.admin, o.id, c.version, draft(shop))
    printed = shop.svc.create(shop.agent, draft(shop), confirm=True)
    with shop.db.transaction() as s:   # logistics printed the slip (在途)
        row = s.get(SalesOrder, printed.id)
        row.status, row.printed_at = "in_transit", dt.datetime.now(dt.UTC)
    with pytest.raises(Conflict):
        shop.svc.cancel(shop.admin, printed.id, printed.version + 1, "太晚了")
    hist = shop.svc.history(o.id)
    assert (hist[-1].action, hist[-1].from_status, hist[-1].to_status) == \
        ("cancel", "not_sent", "cancelled")


def test_operator_with_cancel_permission_may_cancel(shop):
    accounts = AccountService(shop.db)
    accounts.set_permissions(shop.admin, shop.agent.id, {Permission.CANCEL_ORDER})
    agent = accounts.authenticate("1001", "pass1234").actor
    o = shop.svc.create(agent, draft(shop))
    assert shop.svc.cancel(agent, o.id, o.version, "重复下单").status == "cancelled"


def test_sales_search_kinds_and_paging(shop):
    made = [shop.svc.create(shop.agent, draft(shop, remark=f"备注{i}号"), confirm=i % 2 == 0)
            for i in range(7)]
    today = dt.datetime.now(SITE_ZONE).date()
    q = SalesQuery(date_from=today, date_to=today)
    seen, after = [], None
    while True:
        page = shop.svc.search(shop.agent, q, page_size=3, after=after)
        seen += [r.order_no for r in page.rows]
        after = page.next_after
        if after is None:
            break
    assert seen == [o.order_no for o in reversed(made)]
    first = made[0].order_no

    def nos(**kw):
        args = dict(date_from=today, date_to=today) | kw
        return [r.order_no for r in shop.svc.search(shop.agent, SalesQuery(**args)).rows]
    assert nos(field="order_no", text=first) == [first]
    assert len(nos(field="order_no", text=first[:6])) == 7          # A: leading part
    assert nos(field="order_no", text=first[2:]) == []              # A: not from the middle
    assert len(nos(field="registration_no", text=shop.customer.registration_no[:8])) == 7
    assert len(nos(field="customer_name", text="王建国")) == 7       # B: whole only
    assert nos(field="customer_name", text="王建") == []
    assert len(nos(field="phone", text="138-0013-8000")) == 7
    assert nos(field="remark", text="3号") == [made[3].order_no]    # C: anywhere
    assert len(nos(confirmed=True)) == 4 and len(nos(confirmed=False)) == 3
    assert len(nos(medium_id=shop.media[0].id)) == 7 and nos(medium_id=shop.media[1].id) == []
    assert nos(date_from=today - dt.timedelta(days=3), date_to=today - dt.timedelta(days=1)) == []
    row = shop.svc.search(shop.agent, q).rows[0]
    assert (row.customer_name, row.phone, row.variety_name, row.delivery_method) == \
        ("王建国", "13800138000", "眼保姆", "B")
    for bad in (dict(field="order_no", text=""), dict(field="nonsense", text="x"),
                dict(text="x"), dict(date_to=today - dt.timedelta(days=1))):
        args = dict(date_from=today, date_to=today) | bad
        with pytest.raises(ValidationError):
            shop.svc.search(shop.agent, SalesQuery(**args))


def test_dropped_connection_mid_save_leaves_no_half_order(shop, monkeypatch):
    """The connection dies after the order row is inserted and before its history: nothing
    is kept and the same save succeeds when retried. On MariaDB the connection is really
    killed from another session (KILL); SQLite has no server, so the driver error is raised."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    import agent_app.services.orders as orders_mod
    from agent_app.errors import DatabaseUnavailable

    real = orders_mod._event
    calls = {"n": 0}

    def dying(s, o, actor, action, before, detail=""):
        calls["n"] += 1
        if calls["n"] == 1:
            if shop.db.is_sqlite:
                raise OperationalError("INSERT", {}, Exception(2013, "Lost connection"))
            conn_id = s.execute(text("SELECT CONNECTION_ID()")).scalar()
            killer = create_engine(shop.db.engine.url, isolation_level="AUTOCOMMIT")
            with killer.connect() as k:
                k.execute(text(f"KILL {int(conn_id)}"))
            killer.dispose()
        return real(s, o, actor, action, before, detail)
    monkeypatch.setattr(orders_mod, "_event", dying)
    with pytest.raises(DatabaseUnavailable):
        shop.svc.create(shop.agent, draft(shop))
    with shop.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == 0
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 0
        assert s.scalar(select(func.count()).select_from(OrderEvent)) == 0
    o = shop.svc.create(shop.agent, draft(shop))
    assert len(o.lines) == 3 and order_state(shop) == 1


@pytest.mark.mysql
def test_order_numbers_unique_with_50_concurrent_writers(mysql_url):
    """50 desks of one login saving orders at the same moment on MariaDB: they share a
    counter lane, so they queue on its row and get its first 50 numbers, no error."""
    from db.engine import Database
    from db.migrate import upgrade
    from db.seed import seed_reference_data

    upgrade(mysql_url)
    seed_reference_data(mysql_url)
    db = Database.open(mysql_url, pool_size=30)
    accounts = AccountService(db)
    accounts.add_employee(SHELL, login="0001", name="王明辉", role=Role.SUPERADMIN,
                          password="admin123", must_change_password=False)
    admin = accounts.authenticate("0001", "admin123").actor
    arch = ArchiveService(db)
    v = arch.save_variety(admin, name="眼保姆")
    p = arch.save_product(admin, name="眼保姆", variety_id=v.id, unit="台", short_code="Y1",
                          retail_price="398")
    customers = CustomerService(db)
    ids = [customers.register(admin, CustomerDraft(name=f"客户{i}", mobile=f"1380000{i:04d}")).id
           for i in range(10)]
    svc = OrderService(db)
    barrier = threading.Barrier(50)
    numbers, errors = [], []

    def writer(i: int) -> None:
        try:
            barrier.wait()
            o = svc.create(admin, OrderDraft(customer_id=ids[i % 10],
                                             lines=(OrderLineDraft(p.id),)), confirm=i % 3 == 0)
            numbers.append(o.order_no)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    db.dispose()
    assert errors == []
    assert len(numbers) == 50 and len(set(numbers)) == 50
    lane = lane_of(admin.login)
    assert sorted(int(n[6:]) for n in numbers) == [lane_number(i, lane) for i in range(1, 51)]
