"""No key chord means two things at once: the main window as the program builds it (every
feature installed) with each tab of the customer record and each bottom panel in front,
the customer maintenance panel, and each sales dialog, in zh_CN and in English. A clash is
two things on screen answering the same Alt+letter or shortcut: Qt then only moves the
focus between them, and what a key does depends on the last key pressed."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from tests.ui.helpers import run, settle, until
from tests.ui.keymap import clashes, reachable_keys
from ui import i18n
from ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# the menu bar's mnemonics, the same letters in both languages (ui/main_window.py); L is
# 物流管理, which the super administrator (who holds 反馈) sees
MENU_BAR = {"Alt+S", "Alt+A", "Alt+D", "Alt+L", "Alt+C", "Alt+T", "Alt+H"}
PHONE_KEYS = {"F2", "F3", "F4", "F5"}


@pytest.fixture(params=["zh_CN", "en"])
def lang(request, qapp):
    i18n.install(request.param, qapp)
    yield request.param
    i18n.install("en", qapp)


@pytest.fixture
def desk(shop, qtbot, make_ctx, aloop, lang):
    """The main window of the super administrator (who sees every panel), a customer open."""
    w = MainWindow(make_ctx(), database_label="SQLite test")
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.features["sales"].notifier.timer.stop()
    settle(aloop, w)
    customer = shop.customer("王建国")
    shop.order(customer.id)
    run(aloop, w.features["sales"].record.open_customer(customer.id))
    return w, customer


def bottom_docks(w) -> list[QDockWidget]:
    return [d for d in w.findChildren(QDockWidget)
            if w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
            and not d.isFloating() and not d.isHidden()]


def test_the_main_window_has_no_clashing_keys(desk, aloop, lang):
    w, _customer = desk
    record = w.features["sales"].record
    keys = reachable_keys(w)
    assert MENU_BAR | PHONE_KEYS | {"F6", "F7", "Ctrl+N", "Ctrl+F", "Ctrl+S"} <= set(keys), \
        sorted(keys)
    docks = bottom_docks(w)
    assert len(docks) >= 3  # the call console, the sales directory, the reminders
    seen = 0
    for dock in docks:
        dock.raise_()
        if hasattr(dock, "ensure_built"):
            dock.ensure_built()
        run(aloop, until(lambda d=dock: d.isVisible() and w.ctx.runner.in_flight == 0))
        for tab in range(record.tabs.count()):
            record.tabs.setCurrentIndex(tab)
            found = clashes(w)
            assert found == {}, f"{lang}, {dock.objectName()} in front, record tab {tab}"
            seen += 1
    assert seen == len(docks) * 5


def test_the_maintenance_panel_has_no_clashing_keys(desk, aloop, lang):
    w, _customer = desk
    panel = w.panel("sales.maintenance")
    record = w.features["sales"].record
    run(aloop, until(lambda: panel.isVisible() and w.ctx.runner.in_flight == 0))
    # the record behind it is parked, not hidden: Qt still answers its keys
    assert record.isVisible() and record in w.tabifiedDockWidgets(panel)
    assert "Alt+Y" in reachable_keys(w)  # its own letters are collected (Emplo&yee)
    assert clashes(w) == {}, lang


def test_the_sales_dialogs_have_no_clashing_keys(desk, aloop, lang, shop):
    w, customer = desk
    sales = w.features["sales"]
    order = sales.open_order(customer.id)
    run(aloop, until(lambda: order.loaded))
    keys = reachable_keys(order)
    assert {"Alt+A", "Alt+O", "Ctrl+Return"} <= set(keys)
    assert clashes(order) == {}, lang
    reminder = sales.open_reminder(customer.id, customer.name)
    assert "Ctrl+Return" in reachable_keys(reminder)
    assert clashes(reminder) == {}, lang
    query = sales.open_query()
    run(aloop, until(lambda: query.region.count() == 2))
    assert clashes(query) == {}, lang
    pick = sales.pick_customer([shop.customers.get(customer.id)] * 2)
    assert clashes(pick) == {}, lang
    for dialog in (order, reminder, query, pick):
        dialog.close()
