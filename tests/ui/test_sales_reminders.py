"""客户提醒, the reminder pop-ups (notices, never a box; speech that cannot break
anything), menus and 客户维护."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from agent_app.services.reminders import ReminderService
from tests.ui.helpers import run, until
from ui.sales import notifier as notifier_module

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


def test_notifier_shows_a_notice_for_a_due_reminder(shop, sales_window, aloop):
    c = shop.customer("王建国")
    w = sales_window()
    n = w.features["sales"].notifier
    now = dt.datetime.now(dt.UTC)
    ReminderService(shop.db).create(shop.admin, c.id, now - dt.timedelta(minutes=5),
                                    "问是否决定买操盘手软件")
    due = run(aloop, n.check(now))
    assert [r.customer_name for r in due] == ["王建国"]
    texts = [label.text() for label in w.toaster.visible]
    assert any("王建国" in t and "操盘手" in t for t in texts)
    assert not any(isinstance(x, QMessageBox) for x in w.findChildren(QMessageBox))
    # the next look does not repeat it, but does show one saved with a time already past
    assert run(aloop, n.check(now + dt.timedelta(seconds=30))) == []
    ReminderService(shop.db).create(shop.admin, c.id, now - dt.timedelta(minutes=10), "补记")
    assert [r.note for r in run(aloop, n.check(now + dt.timedelta(seconds=60)))] == ["补记"]


def test_many_due_reminders_are_summed_up(shop, sales_window, aloop):
    w = sales_window()
    n = w.features["sales"].notifier
    now = dt.datetime.now(dt.UTC)
    for i in range(5):
        c = shop.customer()
        ReminderService(shop.db).create(shop.admin, c.id, now - dt.timedelta(minutes=i + 1))
    assert len(run(aloop, n.check(now))) == 5
    assert any("2 more reminders" in label.text() for label in w.toaster.visible)


def test_speaking_never_breaks_anything(monkeypatch, caplog):
    import pyttsx3

    def broken_init(*_a, **_k):
        raise OSError("no voice installed")
    monkeypatch.setattr(pyttsx3, "init", broken_init)
    with caplog.at_level(logging.WARNING, logger="ui.sales.notifier"):
        notifier_module.speak("提醒")
    assert "cannot read the reminder aloud" in caplog.text


def test_speech_runs_on_its_own_thread(shop, sales_window, aloop, monkeypatch):
    import threading

    spoken = []
    monkeypatch.setattr(notifier_module, "speak",
                        lambda text: spoken.append((text, threading.current_thread().name)))
    w = sales_window()
    w.ctx.settings.speak_reminders = True
    n = w.features["sales"].notifier
    c = shop.customer("李娜")
    now = dt.datetime.now(dt.UTC)
    ReminderService(shop.db).create(shop.admin, c.id, now - dt.timedelta(minutes=1), "回访")
    n.last_check = now - dt.timedelta(minutes=2)
    run(aloop, n.check(now))
    n._speaker.shutdown(wait=True)
    n._speaker = None
    assert len(spoken) == 1 and "李娜" in spoken[0][0] and spoken[0][1].startswith("tts")


def test_reminder_list_marks_done_and_jumps_to_the_customer(shop, sales_window, aloop):
    c = shop.customer("赵六")
    ReminderService(shop.db).create(shop.admin, c.id,
                                    dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), "回电")
    w = sales_window()
    feature = w.features["sales"]
    panel = feature.reminders
    panel.show()
    panel.raise_()
    run(aloop, until(lambda: panel.loaded and panel.model.rowCount() == 1))
    panel.view.selectRow(0)
    run(aloop, panel.mark_done())
    run(aloop, until(lambda: panel.model.row_at(0).done))
    panel.buttons["open"].click()
    run(aloop, until(lambda: feature.record.customer_id == c.id))


def test_menu_entries_and_maintenance_permission(shop, sales_window, aloop):
    boss = sales_window()
    names = [a.objectName() for a in boss.menu("sales").actions() if a.objectName()]
    assert names == ["act_sales_new_customer", "act_sales_directory", "act_sales_query",
                     "act_sales_sales_directory", "act_sales_reminders",
                     "act_sales_maintenance"]
    assert boss.findChild(QAction, "act_sales_new_customer") in boss.toolbar().actions()
    operator = sales_window("1001", "pass1234")
    assert "act_sales_maintenance" not in [a.objectName()
                                           for a in operator.menu("sales").actions()]


def test_maintenance_changes_the_owner_of_selected_customers(shop, sales_window, aloop,
                                                             accounts):
    a, b = shop.customer("甲"), shop.customer("乙")
    shop.customer("丙")
    w = sales_window()
    panel = w.panel("sales.maintenance")
    run(aloop, until(lambda: panel.employee.count() == 2))
    panel.field.setCurrentIndex(panel.field.findData("address"))
    panel.text.setText("文三路")
    run(aloop, panel.search())
    assert panel.model.rowCount() == 3
    panel.view.selectAll()
    names = {panel.model.row_at(r).name: r for r in range(3)}
    panel.view.clearSelection()
    for name in ("甲", "乙"):
        panel.view.selectionModel().select(
            panel.model.index(names[name], 0),
            panel.view.selectionModel().SelectionFlag.Select
            | panel.view.selectionModel().SelectionFlag.Rows)
    li_na = [i for i in range(panel.employee.count()) if "1001" in panel.employee.itemText(i)]
    panel.employee.setCurrentIndex(li_na[0])
    task = panel.set_owner()
    run(aloop, until(lambda: panel.confirm_box is not None and panel.confirm_box.isVisible()))
    assert re.search(r"2 customer(s|\(s\))?\b", panel.confirm_box.text())
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert run(aloop, task) == 2
    owners = {shop.customers.get(x.id).owner_id for x in (a, b)}
    assert owners == {panel.employee.currentData()}
    assert re.fullmatch(r"2 customer(s|\(s\))? changed\.", panel.status.text())


def test_maintenance_removes_a_duplicate_order_and_cancels_reminders(shop, sales_window,
                                                                    aloop):
    c = shop.customer("重复单")
    keep, duplicate = shop.order(c.id), shop.order(c.id)
    ReminderService(shop.db).create(shop.admin, c.id,
                                    dt.datetime.now(dt.UTC) + dt.timedelta(days=1), "回访")
    w = sales_window()
    panel = w.panel("sales.maintenance")
    panel.field.setCurrentIndex(panel.field.findData("name"))
    panel.text.setText("重复单")
    run(aloop, panel.search())
    panel.view.selectRow(0)
    run(aloop, until(lambda: panel.orders.rowCount() == 2 and panel.reminders.rowCount() == 1))
    row = [r for r in range(2) if panel.orders.row_at(r).id == duplicate.id][0]
    panel.order_view.selectRow(row)
    task = panel.remove_orders()
    run(aloop, until(lambda: panel.confirm_box is not None and panel.confirm_box.isVisible()))
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert run(aloop, task) == 1
    assert [o.id for o in shop.orders.for_customer(c.id)] == [keep.id]
    panel.reminder_view.selectRow(0)
    task = panel.cancel_reminders()
    run(aloop, until(lambda: panel.confirm_box is not None and panel.confirm_box.isVisible()))
    panel.confirm_box.button(QMessageBox.StandardButton.No).click()  # changed my mind
    assert run(aloop, task) is None
    assert len(ReminderService(shop.db).for_customer(c.id)) == 1
    task = panel.cancel_reminders()
    run(aloop, until(lambda: panel.confirm_box is not None and panel.confirm_box.isVisible()))
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert run(aloop, task) == 1
    assert ReminderService(shop.db).for_customer(c.id) == []
