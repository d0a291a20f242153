"""新客户订单 / 销售内容 and 销售目录: lines and totals, 物流确认, the lock after it,
cancelling, and the sales directory's paging and colours."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from agent_app.cli.identity import SHELL
from agent_app.services.accounts import AccountService
from db.enums import Permission
from tests.ui.helpers import run, until
from ui.sales.models import BROWN_GREEN, YELLOW
from ui.sales.order_lines import KIND, PRICE, PRODUCT, QUANTITY, SPEC, TRIAL

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def open_form(aloop, w, customer_id, order_id=0, *, call=None):
    feature = w.features["sales"]
    if call is not None:  # the record of a screen-pop: its orders take the call's medium
        run(aloop, feature.record.open_customer(customer_id, call=call))
    dialog = feature.open_order(customer_id, order_id)
    run(aloop, until(lambda: dialog.loaded))
    return dialog


def answer(aloop, dialog, button):
    run(aloop, until(lambda: dialog.confirm_box is not None and dialog.confirm_box.isVisible()))
    dialog.confirm_box.button(button).click()


def test_order_with_three_lines_and_totals_then_confirm(shop, sales_window, aloop):
    c = shop.customer("王建国")
    w = sales_window()
    record = w.features["sales"].record
    run(aloop, record.open_customer(c.id))
    dialog = open_form(aloop, w, c.id)
    assert dialog.isVisible() and not dialog.isModal()
    assert "王建国" in dialog.customer_info.text() and c.registration_no in dialog.customer_info.text()
    assert dialog.delivery.currentData() == "B" and dialog.payment.currentData() == "cod"
    m = dialog.lines
    assert m.rowCount() == 1  # a first empty line, ready to pick a product
    # picking by local short code fills price, quantity 1 and 直接销售
    assert m.setData(m.index(0, PRODUCT), "ybm")
    assert (m.index(0, PRICE).data(), m.index(0, QUANTITY).data(), m.lines[0].kind) == (
        "398.00", "1", "direct")
    dialog.line_buttons["add"].click()
    assert m.setData(m.index(1, PRODUCT), "眼保姆眼贴")
    assert m.setData(m.index(1, QUANTITY), 3)
    dialog.line_buttons["add"].click()
    assert m.setData(m.index(2, PRODUCT), "AMKD")
    assert m.setData(m.index(2, KIND), "gift") and m.setData(m.index(2, PRICE), "0")
    assert m.setData(m.index(2, TRIAL), Qt.CheckState.Checked.value,
                     Qt.ItemDataRole.CheckStateRole)
    assert not m.setData(m.index(1, QUANTITY), 0)  # refused: at least one
    assert m.total() == Decimal("602.00")
    assert dialog.totals.text() == "Total: ¥602.00  (5 item(s))"
    dialog.medium.setCurrentIndex(dialog.medium.findData(shop.medium.id))
    dialog.requirements.setText("下午送")
    task = dialog.save()
    answer(aloop, dialog, QMessageBox.StandardButton.Yes)  # 是否进行物流确认? yes
    order = run(aloop, task)
    assert order.confirmed and len(order.lines) == 3 and order.total == Decimal("602.00")
    assert [ln.kind for ln in order.lines] == ["direct", "direct", "gift"]
    assert order.lines[2].trial and order.delivery_requirements == "下午送"
    # confirmed: read-only except the medium
    assert dialog.read_only
    assert not (m.flags(m.index(0, PRICE)) & Qt.ItemFlag.ItemIsEditable)
    for widget in (dialog.delivery, dialog.payment, *dialog.line_buttons.values()):
        assert not widget.isEnabled()
    assert dialog.requirements.isReadOnly()
    assert dialog.medium.isEnabled() and dialog.save_button.isEnabled()
    assert dialog.history.count() >= 2  # created, confirmed
    # the record's sales tab now shows it, brownish green
    run(aloop, until(lambda: record.sales.model.rowCount() == 1
                     and record.sales.model.row_at(0).confirmed))
    assert record.sales.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color() == \
        BROWN_GREEN
    # the medium may still change
    dialog.medium.setCurrentIndex(dialog.medium.findData(shop.medium2.id))
    run(aloop, dialog.save())
    assert shop.orders.get(order.id).medium_id == shop.medium2.id
    assert dialog.confirm_box is None  # no second question for a confirmed order


def test_unconfirmed_order_stays_editable_and_reopens(shop, sales_window, aloop):
    c = shop.customer("李娜")
    w = sales_window()
    dialog = open_form(aloop, w, c.id, call={"medium_id": shop.medium2.id})
    assert dialog.medium.currentData() == shop.medium2.id  # from the call's placement
    dialog.lines.setData(dialog.lines.index(0, PRODUCT), "YT")
    task = dialog.save()
    answer(aloop, dialog, QMessageBox.StandardButton.No)
    order = run(aloop, task)
    assert not order.confirmed and not dialog.read_only
    again = open_form(aloop, w, c.id, order.id)
    assert again.lines.rowCount() == 1 and again.lines.lines[0].product_name == "眼保姆眼贴"
    assert not again.read_only and again.order_info.text().startswith(f"Order {order.order_no}")
    again.lines.setData(again.lines.index(0, QUANTITY), 2)
    task = again.save()
    answer(aloop, again, QMessageBox.StandardButton.No)
    assert run(aloop, task).total == Decimal("136.00")


def test_empty_order_is_refused_in_the_form(shop, sales_window, aloop):
    c = shop.customer()
    w = sales_window()
    dialog = open_form(aloop, w, c.id)
    run(aloop, dialog.save())
    assert dialog.message.text() == "Add at least one product."
    assert shop.orders.for_customer(c.id) == []


def test_cancel_needs_the_permission(shop, sales_window, aloop, accounts):
    c = shop.customer()
    order = shop.order(c.id)
    w = sales_window("1001", "pass1234")
    dialog = open_form(aloop, w, c.id, order.id)
    assert not dialog.cancel_order_button.isVisibleTo(dialog)
    boss = sales_window()
    dialog = open_form(aloop, boss, c.id, order.id)
    assert dialog.cancel_order_button.isVisibleTo(dialog)
    task = dialog.cancel_order()
    run(aloop, until(lambda: getattr(dialog, "reason_dialog", None) is not None
                     and dialog.reason_dialog.isVisible()))
    dialog.reason_dialog.setTextValue("客户不要了")
    dialog.reason_dialog.accept()
    run(aloop, task)
    cancelled = shop.orders.get(order.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "客户不要了"
    assert dialog.read_only and not dialog.save_button.isEnabled()
    assert Permission.CANCEL_ORDER not in AccountService(shop.db).list_employees(
        shop.admin, name_prefix="李")[0].permissions


def test_an_evening_order_is_in_todays_sales_directory(shop, sales_window, aloop,
                                                        monkeypatch):
    """At 17:00 UTC it is already tomorrow at the site (Asia/Shanghai): an order taken
    then is numbered with the site's day, and the directory's default period - "today"
    - must be that day too, whatever the workstation's clock says (on a UTC machine the
    evening's orders once fell outside it)."""
    from agent_app import clock

    evening = dt.datetime.now(dt.UTC).replace(hour=17, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: evening)
    site_day = (evening + dt.timedelta(hours=8)).date()
    o = shop.order(shop.customer().id)
    assert o.order_no.startswith(f"{site_day:%y%m%d}")
    w = sales_window()
    feature = w.features["sales"]
    panel = feature.sales
    feature.actions["sales_directory"].trigger()
    run(aloop, until(lambda: panel.choices_ready))
    assert panel.date_to.date().toPython() == site_day
    run(aloop, panel.search())   # the default period, as the agent opens it
    run(aloop, until(lambda: panel.model.rowCount() == 1 and not panel.model.busy))
    assert panel.model.row_at(0).order_no == o.order_no


def test_sales_directory_pages_colours_and_opens(shop, sales_window, aloop):
    customers = [shop.customer() for _ in range(3)]
    for i, c in enumerate(customers):
        shop.order(c.id, confirm=i == 0)
        shop.order(c.id)
    w = sales_window()
    feature = w.features["sales"]
    panel = feature.sales
    feature.actions["sales_directory"].trigger()  # a tab behind the call console
    run(aloop, until(lambda: panel.choices_ready))
    panel.page_size = 4
    today = dt.date.today()
    panel.date_from.setDate(today - dt.timedelta(days=1))
    panel.date_to.setDate(today + dt.timedelta(days=1))
    pages = []
    panel.model.loaded.connect(pages.append)
    run(aloop, panel.search())
    m = panel.model
    run(aloop, until(lambda: m.rowCount() == 6 and not m.busy))  # the view asked for more
    assert pages == [4, 6] and not m.canFetchMore()
    colours = [m.index(r, 0).data(Qt.ItemDataRole.BackgroundRole).color()
               for r in range(6)]
    assert colours.count(BROWN_GREEN) == 1 and colours.count(YELLOW) == 5
    assert re.match(r"6 order(s|\(s\))?\b", panel.status.text())  # %n plural, en .qm or not
    panel.confirmed.setCurrentIndex(panel.confirmed.findData(True))
    run(aloop, panel.search())
    assert m.rowCount() == 1 and m.row_at(0).customer_id == customers[0].id
    panel.confirmed.setCurrentIndex(0)
    panel.field.setCurrentIndex(panel.field.findData("order_no"))
    panel.text.setText(m.row_at(0).order_no)
    run(aloop, panel.search())
    assert m.rowCount() == 1
    panel.view.activated.emit(m.index(0, 0))
    dialog = feature.dialogs[-1]
    run(aloop, until(lambda: dialog.loaded))
    assert dialog.order.order_no == m.row_at(0).order_no and dialog.read_only


def test_new_order_takes_the_medium_of_the_advert_the_caller_answers(shop, sales_window, aloop):
    from agent_app.services.archives import ArchiveService
    from agent_app.services.cti_config import CtiConfigService

    now = dt.datetime.now(dt.UTC)
    # began five minutes ago, site time (the air date too: just after midnight it is
    # yesterday's advert)
    start = now.astimezone(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=5)
    placement = ArchiveService(shop.db).save_placement(
        shop.admin, medium_id=shop.medium2.id, variety_id=shop.variety.id,
        air_date=start.date(), start_time=start.time().replace(microsecond=0),
        length_s=600)
    cti = CtiConfigService(shop.db)
    cti.set_group(SHELL, "21", name="接线组")
    cti.set_number(SHELL, "4006000001", group="21", medium=shop.medium2.name)
    c = shop.customer()
    w = sales_window()
    dialog = open_form(aloop, w, c.id, call={"call_id": "c-9", "dialed": "4006000001",
                                             "queued_at": now.isoformat()})
    assert dialog.medium.currentData() == shop.medium2.id
    assert dialog.draft().placement_id == placement.id


def test_closing_the_form_while_it_saves_loses_nothing(shop, sales_window, aloop, monkeypatch):
    """Close pressed while the save is still on a worker: the form hides at once, the order
    is saved and reported (saved), and the form is deleted only afterwards."""
    import threading

    from shiboken6 import isValid

    c = shop.customer("慢保存")
    w = sales_window()
    dialog = open_form(aloop, w, c.id)
    m = dialog.lines
    assert m.setData(m.index(0, PRODUCT), "ybm")
    real = dialog.orders.create
    release = threading.Event()

    def slow(*args, **kwargs):
        assert release.wait(10), "the test never released the save"
        return real(*args, **kwargs)
    monkeypatch.setattr(dialog.orders, "create", slow)
    saved = []
    dialog.saved.connect(saved.append)
    task = dialog.save()
    run(aloop, until(lambda: dialog._in_flight == 1))
    dialog.close_button.click()
    assert not dialog.isVisible() and isValid(dialog)   # hidden, not deleted mid-save
    release.set()
    run(aloop, task)
    assert [o.customer_id for o in saved] == [c.id]
    assert [o.customer_id for o in shop.orders.for_customer(c.id)] == [c.id]


def test_a_call_with_no_advert_airing_takes_the_hotlines_medium(shop, sales_window, aloop):
    """The banner names the hotline's medium; the order says the same, with no placement."""
    from agent_app.services.cti_config import CtiConfigService

    cti = CtiConfigService(shop.db)
    cti.set_group(SHELL, "21", name="接线组")
    cti.set_number(SHELL, "4006000002", group="21", medium=shop.medium2.name)
    c = shop.customer()
    w = sales_window()
    now = dt.datetime.now(dt.UTC).isoformat()
    dialog = open_form(aloop, w, c.id, call={"call_id": "c-10", "dialed": "4006000002",
                                             "queued_at": now})
    assert dialog.medium.currentData() == shop.medium2.id
    assert dialog.draft().placement_id is None
    # a hotline no one set up leaves the medium for the agent to choose
    c2 = shop.customer()
    dialog = open_form(aloop, w, c2.id, call={"call_id": "c-11", "dialed": "4009999999",
                                              "queued_at": now})
    assert dialog.medium.currentData() is None and dialog.message.text() == ""


# -- the product picker, by keys ---------------------------------------------------------------
@pytest.fixture
def deluxe(shop):
    """A second 眼保姆护眼仪: another specification, another price."""
    from agent_app.services.archives import ArchiveService

    return ArchiveService(shop.db).save_product(
        shop.admin, name="眼保姆护眼仪", specification="豪华型", variety_id=shop.variety.id,
        unit="台", short_code="YBMH", retail_price="598")


def focused_form(aloop, qtbot, w, customer_id):
    """The new-order form, loaded, as the active window."""
    dialog = w.features["sales"].open_order(customer_id)
    dialog.activateWindow()
    run(aloop, until(lambda: dialog.loaded and dialog.isActiveWindow()))
    return dialog


def reactivate(aloop, dialog) -> None:
    """The offscreen platform leaves no window active once a popup (the suggestions)
    closes; a desktop gives the focus back to the dialog."""
    dialog.activateWindow()
    run(aloop, until(dialog.isActiveWindow))


def product_editor(dialog, row=0):
    return dialog.table.indexWidget(dialog.lines.index(row, PRODUCT))


def key(qtbot, k, modifier=Qt.KeyboardModifier.NoModifier):
    from PySide6.QtWidgets import QApplication

    qtbot.keyClick(QApplication.activePopupWidget() or QApplication.focusWidget(), k, modifier)


def test_the_form_opens_with_the_product_editor_open_and_focused(shop, sales_window, aloop,
                                                                 qtbot):
    """Every time, before and after the catalogue arrives (it was open one time in two)."""
    c = shop.customer()
    w = sales_window()
    for _ in range(5):
        dialog = w.features["sales"].open_order(c.id)
        editor = product_editor(dialog)  # at once, before any load
        assert editor is not None and dialog.focusWidget() is editor and not dialog.loaded
        dialog.activateWindow()
        run(aloop, until(lambda d=dialog: d.loaded and d.isActiveWindow()))
        assert product_editor(dialog) is editor and editor.hasFocus()
        dialog.close()


def test_down_opens_the_list_and_never_picks_by_itself(shop, deluxe, sales_window, aloop, qtbot):
    c = shop.customer()
    w = sales_window()
    dialog = focused_form(aloop, qtbot, w, c.id)
    editor = product_editor(dialog)
    popup = editor.completer().popup()
    key(qtbot, Qt.Key.Key_Down)  # was: silently the catalogue's first product
    assert popup.isVisible() and editor.completer().completionCount() == 4
    assert dialog.lines.lines[0].product_id is None and dialog.lines.total() == 0
    key(qtbot, Qt.Key.Key_Escape)
    assert not popup.isVisible() and dialog.lines.lines[0].product_id is None
    qtbot.keyClicks(editor, "ybm")  # both specifications, told apart by 规格 and price
    assert popup.isVisible()
    labels = [editor.completer().completionModel().index(i, 0).data() for i in range(2)]
    assert labels == ["眼保姆护眼仪  ¥398.00  [YBM]", "眼保姆护眼仪  豪华型  ¥598.00  [YBMH]"]
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Down)
    assert dialog.lines.lines[0].product_id is None  # moving in the list picks nothing
    key(qtbot, Qt.Key.Key_Return)  # one Return takes the highlighted row
    line = dialog.lines.lines[0]
    assert (line.product_id, line.specification, line.unit_price) == (
        deluxe.id, "豪华型", Decimal("598.00"))
    assert dialog.lines.index(0, SPEC).data() == "豪华型"
    assert product_editor(dialog) is None and not popup.isVisible()
    assert dialog.order is None  # Return in the table never presses 确定


def test_one_return_takes_the_top_suggestion_and_letters_after_add_line_all_arrive(
        shop, sales_window, aloop, qtbot):
    c = shop.customer()
    w = sales_window()
    dialog = focused_form(aloop, qtbot, w, c.id)
    qtbot.keyClicks(product_editor(dialog), "yt")
    key(qtbot, Qt.Key.Key_Return)
    assert dialog.lines.lines[0].product_name == "眼保姆眼贴"
    reactivate(aloop, dialog)
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # 增加 (&Add line)
    run(aloop, until(lambda: product_editor(dialog, 1) is not None))
    editor = product_editor(dialog, 1)
    assert dialog.focusWidget() is editor
    from PySide6.QtWidgets import QApplication
    qtbot.keyClicks(QApplication.focusWidget(), "AMKD")  # at once, no pause after 增加
    assert editor.text() == "AMKD"
    key(qtbot, Qt.Key.Key_Return)
    assert [ln.product_name for ln in dialog.lines.lines] == ["眼保姆眼贴", "按摩靠垫"]


def test_a_text_naming_no_single_product_picks_nothing_and_says_so(shop, deluxe, sales_window,
                                                                   aloop, qtbot):
    c = shop.customer()
    w = sales_window()
    dialog = focused_form(aloop, qtbot, w, c.id)
    qtbot.keyClicks(product_editor(dialog), "xyz")
    assert not product_editor(dialog).completer().popup().isVisible()
    key(qtbot, Qt.Key.Key_Return)  # the editor commits on the next turn of the loop
    run(aloop, until(lambda: product_editor(dialog) is None))
    assert dialog.lines.lines[0].product_id is None
    assert dialog.message.text() == "No product matches “xyz”: pick one from the list."
    # one name, two specifications: the name alone names neither
    assert dialog.lines.find_product("眼保姆护眼仪") is None
    assert dialog.lines.find_product("ybmh").id == deluxe.id


def test_letters_typed_before_the_catalogue_arrives_get_their_suggestions(
        shop, sales_window, aloop, qtbot):
    """The agent types right after 销售: the letters land in the editor, and the list opens
    as soon as the catalogue is there."""
    c = shop.customer()
    w = sales_window()
    dialog = w.features["sales"].open_order(c.id)
    dialog.activateWindow()
    editor = product_editor(dialog)
    qtbot.keyClicks(editor, "yt")
    assert editor.text() == "yt" and not dialog.loaded
    run(aloop, until(lambda: dialog.loaded and editor.completer().popup().isVisible()))
    assert editor.completer().completionCount() == 1
    key(qtbot, Qt.Key.Key_Return)
    assert dialog.lines.lines[0].product_name == "眼保姆眼贴"
    # the table itself (no editor open): a letter opens the editor with that letter in it
    reactivate(aloop, dialog)
    dialog.table.setFocus()
    dialog.table.setCurrentIndex(dialog.lines.index(0, PRODUCT))
    key(qtbot, Qt.Key.Key_Down)  # moves in the table; nothing is picked
    assert dialog.lines.lines[0].product_name == "眼保姆眼贴"
    from PySide6.QtWidgets import QApplication
    qtbot.keyClicks(QApplication.focusWidget(), "a")
    assert product_editor(dialog).text() == "a"


def test_the_seller_sends_an_edit_to_logistics_and_records_the_receipt(shop, sales_window,
                                                                     aloop, english):
    """传物流 after a confirmed order's medium changed (logistics sees what changed), and
    垂 (未/取/拒) recorded on the order, both with their history lines."""
    from agent_app.services.logistics import LogisticsService

    c = shop.customer()
    order = shop.order(c.id, confirm=True)
    w = sales_window()
    dialog = open_form(aloop, w, c.id, order.id)
    assert dialog.resend_button.isVisibleTo(dialog) and dialog.receipt.isVisibleTo(dialog)
    run(aloop, dialog.resend())          # nothing changed since 物流确认: refused, said
    assert "has no change since it was confirmed" in dialog.message.text()
    dialog.medium.setCurrentIndex(dialog.medium.findData(shop.medium2.id))
    run(aloop, dialog.save())
    run(aloop, dialog.resend())
    assert dialog.message.text() == "Sent to logistics: 来源 江苏卫视 -> 浙江卫视"
    row = LogisticsService(shop.db).rows_for(shop.admin, [order.id])[0]
    assert row.resent == "来源 江苏卫视 -> 浙江卫视"
    dialog.receipt.setCurrentIndex(dialog.receipt.findData("received"))
    run(aloop, dialog.save_receipt())
    assert shop.orders.get(order.id).receipt_state == "received"
    texts = [dialog.history.item(i).text() for i in range(dialog.history.count())]
    assert any("sent to logistics" in t for t in texts) and any("receipt" in t for t in texts)
