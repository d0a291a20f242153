"""出库目录's batch print going past bad orders and 撤销单/删撤销单, and the courier-sheet
window's check and import, as a clerk uses them (SQLite; the services are tested on both
back ends)."""
from __future__ import annotations

import openpyxl
from PySide6.QtWidgets import QDialog, QMessageBox

from agent_app.services.logistics import FeedbackEntry, LogisticsService
from db.enums import Permission, Role
from tests.ui.helpers import run, until


def clerk(accounts):
    admin = accounts.authenticate("0001", "admin123").actor
    accounts.add_employee(admin, login="3001", name="孙强", role=Role.OPERATOR,
                          password="pass1234", department="物流部", must_change_password=False,
                          permissions={Permission.DISPATCH_FEEDBACK, Permission.WITHDRAW_ORDER,
                                       Permission.DELETE_WITHDRAWN, Permission.CANCEL_ORDER})
    return accounts.authenticate("3001", "pass1234").actor


async def answer(panel, text: str | None = None):
    """Accept the panel's open question (a reason typed when it asks for one)."""
    await until(lambda: panel.dialog is not None, 20)
    if text is not None:
        panel.dialog.setTextValue(text)
        panel.dialog.done(QDialog.DialogCode.Accepted)
    else:
        panel.dialog.button(QMessageBox.StandardButton.Yes).click()


def test_batch_print_goes_past_bad_orders_and_withdrawn_orders_are_deleted(
        sales_window, shop, accounts, aloop, tmp_path, english):
    actor = clerk(accounts)
    c = shop.customer("王建国", mobile="13800138000")
    ok1, fed, ok2 = (shop.order(c.id, confirm=True) for _ in range(3))
    LogisticsService(shop.db).feedback(actor, [FeedbackEntry(fed.id, "delivered")])
    w = sales_window("3001", "pass1234")
    panel = w.panel("logistics.catalog")
    panel.ensure_built()
    run(aloop, until(lambda: len(panel.model.rows) == 3 and not panel.model.busy
                     and not panel.__dict__.get("_tasks"), 20))
    panel.model.set_all(True)
    assert run(aloop, panel.save_pdf(str(tmp_path / "l.pdf"))) == 2
    run(aloop, until(lambda: not panel.model.busy and "2 orders printed" in panel.status.text(), 20))
    assert f"Not printed: {fed.order_no} (already fed back)" in panel.status.text()
    assert {shop.orders.get(o.id).status for o in (ok1, ok2)} == {"in_transit"}
    # a printed order cannot be withdrawn: the reason is said, nothing changes
    row = next(i for i, r in enumerate(panel.model.rows) if r.id == ok1.id)
    panel.view.selectRow(row)

    async def correct(action, reason):
        task = panel.spawn(panel.correct(action))
        await answer(panel, reason)
        return await task
    assert not run(aloop, correct("withdraw", "错单"))
    assert "has been printed: void it (作废) instead" in panel.status.text()
    # 联号 typed for it; the 交寄清单 of the ticked orders is previewed with its total

    async def waybill(text):
        task = panel.spawn(panel.set_waybill())
        await answer(panel, text)
        return await task
    assert not run(aloop, waybill("YD 12"))          # refused: spaces
    assert "letters and digits" in panel.status.text()
    assert run(aloop, waybill("YD1234567890"))
    assert shop.orders.get(ok1.id).waybill_no == "YD1234567890"
    run(aloop, until(lambda: not panel.model.busy and panel.model.rows, 20))
    panel.model.set_all(True)
    columns, rows = panel._list_table()
    assert [r[0] for r in rows] == [r.order_no for r in panel.model.rows]
    assert ("YD1234567890" in {r[1] for r in rows}) and all("****" in r[3] for r in rows)
    preview = panel.mailing_list()
    assert preview.isVisible()
    preview.close()
    panel.model.set_all(False)
    row = next(i for i, r in enumerate(panel.model.rows) if r.id == ok1.id)
    panel.view.selectRow(row)
    # an unprinted one goes back to sales, then is deleted from the 撤销单 list
    fresh = shop.order(c.id, confirm=True)
    run(aloop, panel.search())
    panel.view.selectRow(next(i for i, r in enumerate(panel.model.rows) if r.id == fresh.id))
    assert run(aloop, correct("withdraw", "地址错"))
    panel.withdrawn.setChecked(True)
    assert panel.delete_button.isVisibleTo(panel)
    run(aloop, panel.search())
    run(aloop, until(lambda: [r.id for r in panel.model.rows] == [fresh.id], 20))
    panel.view.selectRow(0)
    assert run(aloop, correct("delete_withdrawn", "重复下单"))
    run(aloop, until(lambda: panel.model.rows == [] and not panel.model.busy, 20))
    assert f"{fresh.order_no} is deleted." in panel.status.text()


def test_a_courier_sheet_is_checked_then_imported(sales_window, shop, accounts, aloop, tmp_path,
                                                  english):
    clerk(accounts)
    c = shop.customer("王建国", mobile="13800138000")
    a, b = shop.order(c.id, confirm=True), shop.order(c.id, confirm=True)
    book = openpyxl.Workbook()
    for r in (("快递单号", "物流状态"), (a.order_no, 3), (b.order_no, 14), ("YD404", 3)):
        book.active.append(list(r))
    book.save(tmp_path / "kd.xlsx")
    w = sales_window("3001", "pass1234")
    panel = w.panel("logistics.sheets")
    panel.ensure_built()
    run(aloop, until(lambda: panel.courier.count() >= 2 and not panel.__dict__.get("_tasks"),
                     20))
    panel.courier.setCurrentText("kuaidi100")
    panel.path.setText(str(tmp_path / "kd.xlsx"))
    checked = run(aloop, panel.run_sheet(dry_run=True))
    assert [r.fate for r in checked.rows] == ["applied", "applied", "refused"]
    assert panel.totals.text() == "Would apply 2; differs 0, skipped 0, refused 1."
    assert shop.orders.get(a.id).feedback_state == "none"        # a check writes nothing
    assert panel.model.rows[2].why == "no order has this number"
    assert panel._colour(panel.model.rows[1]) is not None         # the returned one in red
    fate = panel.model.index(0, 6)
    assert panel.model.data(fate) == "Would apply"       # a check says what an import would do
    panel.problems_only.setChecked(True)        # the red and amber rows, in the sheet's order
    assert [r.line for r in panel.model.rows] == [checked.rows[1].line, checked.rows[2].line]
    panel.problems_only.setChecked(False)
    assert len(panel.model.rows) == 3

    async def apply():
        task = panel.spawn(panel.run_sheet(dry_run=False))
        await answer(panel)
        return await task
    done = run(aloop, apply())
    assert done.applied == 2 and panel.totals.text().startswith("Applied 2")
    assert panel.model.data(panel.model.index(0, 6)) == "Applied"
    assert (shop.orders.get(a.id).status, shop.orders.get(b.id).status) == ("accepted", "voided")
