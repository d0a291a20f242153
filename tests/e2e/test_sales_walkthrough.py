"""The direct-sales day of issue #3, through the real main window on the demo data, on
SQLite and on MariaDB: register → 资料重复 refused → contact → a reminder fires → an order
with three lines → 物流确认 → edits refused. Every step goes through the panels and the
services behind them; the database is read back to check what each step left there."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from agent_app.demodata import demo_password, load
from agent_app.services.accounts import AccountService
from agent_app.services.contacts import ContactService
from agent_app.services.customers import CustomerService
from agent_app.services.orders import OrderService
from db.engine import Database
from db.models import Customer, Product, SalesOrder
from tests.ui.helpers import until
from ui.sales.order_lines import KIND, PRODUCT, QUANTITY

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


def run(aloop, coro_or_task):
    return aloop.run_until_complete(coro_or_task)


@pytest.fixture
def demo_desk(db_url, qtbot, aloop):
    """The demo data (small) in a fresh database and agent 1001's main window at 1366×768."""
    from agent_app.config import WorkstationSettings
    from ui.context import AppContext, Services
    from ui.main_window import MainWindow
    from ui.worker import DbRunner

    load(db_url, "small", seed=5)
    db = Database.open(db_url)
    actor = AccountService(db).authenticate("1001", demo_password("1001")).actor
    runner = DbRunner(max_workers=2)
    ctx = AppContext(actor=actor, settings=WorkstationSettings(seat=""), runner=runner,
                     services=Services(db))
    w = MainWindow(ctx, database_label="walkthrough")
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    sales = w.features["sales"]
    sales.notifier.timer.stop()  # the test asks for reminders itself
    run(aloop, until(lambda: sales.directory.loaded and sales.record.choices_ready, 20))
    yield w, db
    sales.notifier.stop()
    w.close()
    runner.shutdown()
    db.dispose()


def test_direct_sales_walkthrough(demo_desk, aloop):
    w, db = demo_desk
    sales = w.features["sales"]
    record = sales.record
    customers = CustomerService(db)

    # 1. register a new caller: region suggested from the phone, saved, numbered
    sales.new_customer(phone="138-0013-8000")
    record.profile.edits["name"].setText("王建国")
    record.profile.edits["address"].setText("杭州市西湖区文三路8号")
    assert run(aloop, record.save()) is True
    mine = customers.find_by_phone("13800138000")
    assert [c.name for c in mine] == ["王建国"] and record.customer_id == mine[0].id
    assert re.fullmatch(r"\d{8}001001\d{4}", mine[0].registration_no)  # day + login + seq
    me = mine[0]

    # 2. 资料重复: a demo customer's phone under another name is refused, nothing added
    with db.reading() as s:
        other = s.execute(select(Customer.id, Customer.name, Customer.mobile)
                          .where(Customer.mobile != "", Customer.id != me.id).limit(1)).one()
        count = s.query(Customer).count()
    sales.new_customer(phone=other.mobile)
    record.profile.edits["name"].setText("冒名顶替")
    assert run(aloop, record.save()) is False
    assert other.name in record.status.text() and record.open_existing.isVisible()
    with db.reading() as s:
        assert s.query(Customer).count() == count
    record.open_existing.click()
    run(aloop, until(lambda: record.customer_id == other.id))

    # 3. a contact on our new customer
    run(aloop, record.open_customer(me.id))
    tab = record.contacts
    run(aloop, until(lambda: tab.variety.count() > 1))
    tab.content.setText("看了江苏卫视的广告，询问眼保姆的价格")
    tab.demand_type.setCurrentIndex(tab.demand_type.findData("consult"))
    run(aloop, tab.save())
    assert [c.content for c in ContactService(db).for_customer(me.id)] == [
        "看了江苏卫视的广告，询问眼保姆的价格"]

    # 4. a reminder due a minute ago fires as a notice (never a box)
    record.buttons["remind"].click()
    dialog = sales.dialogs[-1]
    dialog.due.setDateTime(QDateTime.currentDateTime().addSecs(-60))
    dialog.note.setPlainText("问是否决定买")
    run(aloop, dialog.submit())
    due = run(aloop, sales.notifier.check(dt.datetime.now(dt.UTC)))
    assert "王建国" in [r.customer_name for r in due]
    assert any("王建国" in label.text() and "问是否决定买" in label.text()
               for label in w.toaster.visible)
    assert not w.findChildren(QMessageBox)

    # 5. an order with three lines (direct, bundled, gift), confirmed for logistics
    with db.reading() as s:
        # by product code: the demo's first two products share a name (two specifications)
        names = s.scalars(select(Product.code).where(Product.active.is_(True))
                          .order_by(Product.id).limit(3)).all()
    order_dialog = sales.open_order(me.id, 0)
    run(aloop, until(lambda: order_dialog.loaded))
    m = order_dialog.lines
    assert m.setData(m.index(0, PRODUCT), names[0])
    order_dialog.line_buttons["add"].click()
    assert m.setData(m.index(1, PRODUCT), names[1]) and m.setData(m.index(1, QUANTITY), 2)
    assert m.setData(m.index(1, KIND), "bundled")
    order_dialog.line_buttons["add"].click()
    assert m.setData(m.index(2, PRODUCT), names[2]) and m.setData(m.index(2, KIND), "gift")
    task = order_dialog.save()
    run(aloop, until(lambda: order_dialog.confirm_box is not None
                     and order_dialog.confirm_box.isVisible()))
    order_dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    order = run(aloop, task)
    assert order.confirmed and [ln.kind for ln in order.lines] == ["direct", "bundled", "gift"]
    assert order.lines[2].unit_price == 0
    with db.reading() as s:
        assert s.get(Customer, me.id).order_state == 2            # pink in the directory
        assert s.get(SalesOrder, order.id).order_no == order.order_no

    # the record at a glance: the order, the open reminder and the contact, no click needed
    run(aloop, record.open_customer(me.id))
    glance = record.glance.text()
    assert order.order_no in glance and "问是否决定买" in glance and "询问眼保姆" in glance

    # 6. edits refused: the form locks, and the service refuses what the form would not
    assert order_dialog.read_only and not order_dialog.payment.isEnabled()
    from agent_app.errors import Conflict
    from agent_app.services.orders import OrderDraft, OrderLineDraft

    with pytest.raises(Conflict):
        OrderService(db).update(w.ctx.actor, order.id, order.version, OrderDraft(
            customer_id=me.id, lines=(OrderLineDraft(order.lines[0].product_id),)))
    assert OrderService(db).get(order.id).version == order.version
