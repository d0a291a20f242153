"""出库反馈 as clerk 3001 uses it: from the keyboard alone, three parcels scanned (one
returned), a bad number refused at the scan, and 受理 after one question; a parcel another
clerk fed back meanwhile stays in the batch with the reason."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from agent_app.services.logistics import FeedbackEntry, LogisticsService
from db.enums import Permission, Role
from tests.ui.helpers import run, until


def clerk(accounts, login="3001", name="孙强"):
    admin = accounts.authenticate("0001", "admin123").actor
    accounts.add_employee(admin, login=login, name=name, role=Role.OPERATOR,
                          password="pass1234", department="物流部", must_change_password=False,
                          permissions={Permission.DISPATCH_FEEDBACK,
                                       Permission.VIEW_FULL_NUMBERS})
    return accounts.authenticate(login, "pass1234").actor


def test_scan_enter_and_accept_from_the_keyboard(sales_window, shop, accounts, aloop, qtbot,
                                                english):
    clerk(accounts)
    other = clerk(accounts, "3002", "马军")
    c = shop.customer("王建国", mobile="13800138000")
    orders = [shop.order(c.id, confirm=True) for _ in range(4)]
    draft = shop.order(c.id)
    w = sales_window("3001", "pass1234")
    assert set(w.registry_actions("logistics")) == {"catalog", "feedback", "sheets"}
    panel = w.panel("logistics.feedback")
    panel.ensure_built()
    run(aloop, until(lambda: panel.courier.count() == 3              # blank, 3001, 3002
                     and not panel.__dict__.get("_tasks"), 20))
    assert panel.courier.currentText() == "3001 孙强"        # the clerk's own round

    def scan(text: str):
        panel.ref.setFocus()
        qtbot.keyClicks(panel.ref, text)
        qtbot.keyClick(panel.ref, Qt.Key.Key_Return)         # the scanner's own Enter

    async def parcel(order_no: str, returned: bool = False):
        scan(order_no)
        await until(lambda: panel.pending is not None and panel.pending.order_no == order_no, 20)
        assert order_no in panel.summary.text() and "¥398.00" in panel.summary.text()
        if returned:
            panel.returned.setChecked(True)
        qtbot.keyClick(panel.ref, Qt.Key.Key_Return)          # Enter: into the batch
        assert panel.model.rows[-1].order_no == order_no
        assert panel.ref.text() == "" and panel.delivered.isChecked()

    async def scenario():
        await parcel(orders[0].order_no)
        await parcel(orders[1].order_no, returned=True)
        await parcel(orders[2].order_no)
        assert panel.totals.text() == "3 parcels, 1 returned; COD delivered ¥796.00"
        # refused at the scan, with the reason, and nothing added
        scan("NOPE123")
        await until(lambda: "No order has the number or waybill NOPE123" in panel.status.text(), 20)
        scan(draft.order_no)
        await until(lambda: "is not confirmed for logistics" in panel.status.text(), 20)
        scan(orders[0].order_no)
        await until(lambda: "already in the batch" in panel.status.text(), 20)
        # the same parcel by a waybill another clerk gave it after it was scanned: the
        # batch knows it by the order, not by the text scanned
        LogisticsService(shop.db).set_waybill(other, orders[0].id, orders[0].version,
                                              "YD2026000001")
        scan("YD2026000001")
        await until(lambda: "YD2026000001 is already in the batch as "
                    f"{orders[0].order_no}." in panel.status.text(), 20)
        assert panel.pending is None and len(panel.model.rows) == 3
        # another clerk feeds back parcel 3 meanwhile; then 受理, after one question
        LogisticsService(shop.db).feedback(other, [FeedbackEntry(orders[2].id, "delivered")])
        qtbot.keyClick(panel.ref, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: panel.confirm_box is not None, 20)
        assert "3 parcels" in panel.confirm_box.text()
        panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: len(panel.model.rows) == 1 and w.ctx.runner.in_flight == 0, 20)
        left = panel.model.rows[0]
        assert left.order_no == orders[2].order_no
        assert "already fed back by 3002" in left.problem
        assert "2 parcels accepted; 1 refused" in panel.status.text()
    run(aloop, scenario())
    one, two = (shop.orders.get(o.id) for o in orders[:2])
    assert (one.status, one.feedback_state) == ("accepted", "accepted")
    assert (two.status, two.feedback_state) == ("voided", "accepted")
    assert shop.orders.get(orders[3].id).feedback_state == "none"


def test_the_menu_is_for_logistics_clerks_only(sales_window):
    w = sales_window("1001", "pass1234")
    assert "logistics.feedback" in w.entries
    assert w.registry_actions("logistics") == {}   # a seller has no 物流管理 menu


def test_a_closed_orders_refusal_reads_in_chinese(qapp, shop, accounts):
    """The state named inside the message is translated with it."""
    from agent_app.errors import Conflict
    from agent_app.services.logistics import LogisticsService
    from ui import i18n
    from ui.errors import error_text

    actor = clerk(accounts)
    c = shop.customer("王建国", mobile="13800138000")
    o = shop.order(c.id)
    shop.orders.cancel(shop.admin, o.id, o.version, "不要了")
    i18n.install("zh_CN", qapp)
    try:
        try:
            LogisticsService(shop.db).set_waybill(actor, o.id, shop.orders.get(o.id).version,
                                                  "YD1")
        except Conflict as exc:
            text = error_text(exc)
        else:
            raise AssertionError("a cancelled order was withdrawn")
        assert text == f"订单 {o.order_no} 已取消，不能再更改。"
    finally:
        i18n.install("en", qapp)
