"""物流管理's acceptance on the demo data, on SQLite and on MariaDB, as clerk 3001:
confirmed orders in 出库目录; three labels printed to PDF and read back (76×130 mm pages,
barcodes that decode to the numbers); the three scanned in 出库反馈, one returned, then
受理; the seller's sales directory showing 反 = 受 and the states; a withdrawn order edited
by its seller and confirmed again."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QDialog, QMessageBox

from agent_app.demodata import demo_password, ensure_demo_database
from agent_app.services.accounts import AccountService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from tests.ui.helpers import run, until


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def demo(request, tmp_path):
    import shutil

    from db.engine import Database
    if request.param == "sqlite":
        path = tmp_path / "demo.sqlite3"
        shutil.copy(request.getfixturevalue("demo_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("mysql_url")
        ensure_demo_database(url)
    db = Database.open(url)
    yield db
    db.dispose()


@pytest.fixture
def window(demo, demo_window):
    return lambda login: demo_window(demo, login)


def page_image(doc: QPdfDocument, page: int, dpi: int = 200) -> QImage:
    """A PDF page rendered on white, in grey (zxing reads it)."""
    size = doc.pagePointSize(page)
    img = doc.render(page, QSize(round(size.width() / 72 * dpi), round(size.height() / 72 * dpi)))
    flat = QImage(img.size(), QImage.Format.Format_RGB32)
    flat.fill(QColor("white"))
    painter = QPainter(flat)
    painter.drawImage(0, 0, img)
    painter.end()
    return flat.convertToFormat(QImage.Format.Format_Grayscale8)


def test_clerk_3001_walks_through_logistics(window, demo, aloop, qtbot, tmp_path, english):
    import zxingcpp

    w = window("3001")
    assert {"catalog", "feedback"} <= set(w.registry_actions("logistics"))
    catalog = w.panel("logistics.catalog")
    catalog.ensure_built()
    # its page and its pick lists in (a task left mid-way would step outside the loop)
    run(aloop, until(lambda: catalog.model.rows and not catalog.model.busy
                     and not catalog.__dict__.get("_tasks"), 20))
    # 1. the last days' confirmed orders, newest confirmation first
    rows = catalog.model.rows
    assert all(r.confirmed_at is not None for r in rows)
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    assert all(r.confirmed_at.replace(tzinfo=r.confirmed_at.tzinfo or dt.UTC) >= cutoff
               for r in rows)
    waiting = [r for r in rows if r.status == "not_sent" and r.feedback_state == "none"]
    assert len(waiting) >= 3, "the demo data has unprinted orders of the last two days"
    chosen = waiting[:3]
    # 2. three labels to PDF on the 76×130 template, read back
    catalog.template.setCurrentIndex(catalog.template.findData("local_76x130"))
    for r in chosen:
        catalog.model.checked.add(r.id)
    pdf = tmp_path / "labels.pdf"
    assert run(aloop, catalog.save_pdf(str(pdf))) == 3
    doc = QPdfDocument(None)
    doc.load(str(pdf))
    assert doc.pageCount() == 3
    for i, r in enumerate(chosen):
        size = doc.pagePointSize(i)
        assert abs(size.width() / 72 * 25.4 - 76) < 0.5
        assert abs(size.height() / 72 * 25.4 - 130) < 0.5
        codes = {b.text for b in zxingcpp.read_barcodes(page_image(doc, i))}
        assert codes == {r.waybill_no or r.order_no}
    run(aloop, until(lambda: not catalog.model.busy and catalog.model.rows, 20))
    printed = {r.id: r for r in catalog.model.rows if r.id in {c.id for c in chosen}}
    assert {r.status for r in printed.values()} == {"in_transit"}
    assert {r.print_count for r in printed.values()} == {1}
    # 3. scanned in 出库反馈, the second returned, then 受理
    feedback = w.panel("logistics.feedback")
    feedback.ensure_built()
    run(aloop, until(lambda: not feedback.__dict__.get("_tasks"), 20))   # its couriers

    async def scan_all():
        for i, r in enumerate(chosen):
            feedback.ref.setText(r.order_no)
            assert await feedback.look_up(r.order_no) is not None
            if i == 1:
                feedback.returned.setChecked(True)
            assert feedback.add_pending() is not None
        task = feedback.spawn(feedback.accept())
        await until(lambda: feedback.confirm_box is not None)
        feedback.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        return await task
    assert run(aloop, scan_all()) == 3
    # 4. the seller sees 反 = 受 and the states in the sales directory
    orders = OrderService(demo)
    sw = window(login_of(demo, orders.get(chosen[0].id).employee_id))
    directory = sw.panel("sales.sales_directory")
    directory.ensure_built()
    directory.date_from.setDate(directory.date_to.date().addDays(-30))
    directory.field.setCurrentIndex(directory.field.findData("order_no"))
    for i, r in enumerate(chosen):
        directory.text.setText(r.order_no)
        run(aloop, directory.search())
        (row,) = [x for x in directory.model.rows if x.order_no == r.order_no]
        assert row.feedback_state == "accepted"
        assert row.status == ("voided" if i == 1 else "accepted")
    # 5. an order withdrawn by the clerk is fixed by its seller and confirmed again
    run(aloop, catalog.recent())
    run(aloop, until(lambda: not catalog.model.busy, 20))
    target = next(r for r in catalog.model.rows
                  if r.status == "not_sent" and r.feedback_state == "none" and not r.print_count)
    catalog.view.selectRow(next(i for i, r in enumerate(catalog.model.rows) if r.id == target.id))

    async def withdraw():
        task = catalog.spawn(catalog.correct("withdraw"))
        await until(lambda: catalog.dialog is not None)
        catalog.dialog.setTextValue("地址写错了")
        catalog.dialog.done(QDialog.DialogCode.Accepted)
        return await task
    assert run(aloop, withdraw())
    run(aloop, until(lambda: not catalog.model.busy, 20))
    assert target.id not in {r.id for r in catalog.model.rows}
    o = orders.get(target.id)
    assert not o.confirmed
    seller = login_of(demo, o.employee_id)
    seller_actor = AccountService(demo).authenticate(seller, demo_password(seller)).actor
    fixed = orders.update(seller_actor, o.id, o.version, OrderDraft(
        customer_id=o.customer_id, medium_id=o.medium_id, placement_id=o.placement_id,
        delivery_method=o.delivery_method, payment=o.payment,
        delivery_requirements="改送单位地址", remark=o.remark,
        lines=tuple(OrderLineDraft(ln.product_id, ln.quantity, ln.unit_price, ln.kind, ln.trial)
                    for ln in o.lines)))
    again = orders.confirm(seller_actor, o.id, fixed.version)
    assert again.confirmed and again.delivery_requirements == "改送单位地址"
    run(aloop, catalog.recent())
    run(aloop, until(lambda: not catalog.model.busy, 20))
    assert target.id in {r.id for r in catalog.model.rows}
    assert [e.action for e in orders.history(o.id)][-3:] == ["withdraw", "edit", "confirm"]


def login_of(db, employee_id: int) -> str:
    from db.models import Employee
    with db.reading() as s:
        return s.get(Employee, employee_id).login
