"""The feature registry: the main window is built from the declarations (menus, tool bar,
docks, permissions, lazy panels, translated texts, layout restore), and features meet only
through the contracts and the change bus."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject

from tests.ui.helpers import idle, run, settle, until
from ui.features import FEATURES
from ui.kit.changes import Change
from ui.kit.contracts import CustomerScreen, Dialer
from ui.kit.panel import Panel
from ui.kit.registry import MENU_KEYS, ActionEntry, PanelEntry, load
from ui.main_window import DESK, DESK_LAST, MainWindow

ENTRIES = [e for f in (DESK, *FEATURES, DESK_LAST) for e in f.entries]


def test_declarations_are_complete_and_unique():
    keys = [e.key for e in ENTRIES]
    assert len(keys) == len(set(keys))
    for e in ENTRIES:
        assert e.menu in ("", *MENU_KEYS), e.key
        if isinstance(e, PanelEntry):
            assert issubclass(load(e.target), Panel), e.target
            assert all(k in keys for k in e.tab_with), e.key
        else:
            assert isinstance(e, ActionEntry)
    for f in FEATURES:  # every handler exists on its feature's controller
        if f.controller:
            cls = load(f.controller)
            for e in f.entries:
                if isinstance(e, ActionEntry):
                    assert callable(getattr(cls, e.handler, None)), (f.name, e.handler)
    shortcuts = [e.shortcut for e in ENTRIES if e.shortcut]
    assert len(shortcuts) == len(set(shortcuts))


@pytest.fixture
def window_of(qtbot, make_ctx, aloop):
    """A full main window (every feature), its first loads done on the qasync loop."""
    def make(login="0001", password="admin123", demo=False, first_loads=True):
        ctx = make_ctx(login, password)
        ctx.demo = demo
        w = MainWindow(ctx, database_label="SQLite test")
        qtbot.addWidget(w)
        w.resize(1366, 768)
        w.show()
        w.features["sales"].notifier.timer.stop()
        if first_loads:
            settle(aloop, w)
        made.append(w)
        return w
    made = []
    yield make
    for w in made:  # what the last step started ends before the loop is closed
        run(aloop, idle(w.ctx.runner))


async def opened(w, key):
    """Open a panel from its menu action, inside the running loop (its first load)."""
    w.action(key).trigger()
    await until(lambda: key in w.panels)
    await idle(w.ctx.runner)  # its loads, and the loads they start, have come back


def test_menus_toolbar_and_docks_come_from_the_registry(window_of, aloop):
    w = window_of()
    sales_menu = [a.objectName() for a in w.menu("sales").actions() if not a.isSeparator()]
    assert sales_menu == ["act_sales_new_customer", "act_sales_directory", "act_sales_query",
                          "act_sales_sales_directory", "act_sales_reminders",
                          "act_sales_maintenance"]
    assert [a.objectName() for a in w.toolbar().actions()] == [
        "act_sales_new_customer", "act_sales_directory"]  # the demo call only in the demo
    assert w.action("call.answer").shortcut().toString() == "F2"
    # the working set is docked at login; the other panels only when first opened
    assert set(w.panels) == {"sales.directory", "sales.record", "sales.sales_directory",
                             "sales.reminders", "call.console"}
    assert not any(p.is_built for k, p in w.panels.items() if not p.isVisible())
    run(aloop, opened(w, "call.missed"))
    missed = w.panels["call.missed"]
    assert missed.isVisible() and missed.is_built
    assert missed in w.tabifiedDockWidgets(w.panels["sales.record"])


def test_entries_a_user_may_not_use_are_not_shown(window_of):
    w = window_of("1001", "pass1234")  # an operator: no 监控, no 客户维护
    assert "call.supervisor" not in w.registry_actions("call") and \
        "act_call_supervisor" not in [a.objectName() for a in w.menu("calls").actions()]
    assert "maintenance" not in w.registry_actions("sales")
    assert "demo_call" not in w.registry_actions("call")
    admin = window_of()
    assert "supervisor" in admin.registry_actions("call")
    demo = window_of(demo=True)
    assert demo.action("call.demo_call") in demo.toolbar().actions()


def test_menu_texts_follow_the_language(window_of, qapp, qtbot):
    from ui import i18n

    w = window_of()
    try:
        i18n.install("zh_CN", qapp)
        qtbot.waitUntil(lambda: w.action("call.query").text() == "通话查询(&Q)")
        assert w.action("sales.new_customer").text().startswith("新客户")
        assert w.action("call.answer").text() == "接听"
        # and the widgets inside the panels: the record's form and its tabs
        profile = w.features["sales"].record.profile
        assert profile.captions["name"].text() == "客户名(&N)"
    finally:
        i18n.install("en", qapp)
    qtbot.waitUntil(lambda: w.action("call.query").text() == "Call &query")


def test_every_panel_comes_back_at_the_next_login(window_of, aloop):
    w = window_of()
    run(aloop, opened(w, "call.internal"))
    run(aloop, opened(w, "products"))
    w.close()
    again = window_of(first_loads=False)  # the record may be a tab behind them now
    run(aloop, until(lambda: again.ctx.runner.in_flight == 0))
    assert {"call.internal", "products"} <= set(again.panels)
    assert again.panels["call.internal"].isVisible()


def test_features_meet_through_contracts(window_of):
    w = window_of()
    screen, dialer = w.lookup(CustomerScreen), w.lookup(Dialer)
    assert isinstance(screen, CustomerScreen) and screen is w.features["sales"]
    assert isinstance(dialer, Dialer) and dialer is w.features["call"]
    assert not dialer.can_dial()  # no CTI link in this test


def test_the_record_dials_through_the_dialer(window_of, aloop, shop):
    w = window_of()
    sales = w.features["sales"]
    run(aloop, sales.record.open_customer(shop.customer("拨号").id))
    dialled = []

    class FakeDialer(QObject):
        def can_dial(self):
            return True

        def dial(self, number, *, customer_id=None):
            dialled.append((number, customer_id))

    w.provide(Dialer, FakeDialer())
    sales.record.dial()
    assert dialled == [(sales.record.profile.phones()[0], sales.record.customer_id)]


def test_a_saved_order_refreshes_the_open_record(window_of, aloop, shop, monkeypatch):
    w = window_of()
    record = w.features["sales"].record
    c = shop.customer("刷新")
    run(aloop, record.open_customer(c.id))
    shop.order(c.id)  # saved elsewhere (another desk, or the order form)
    reloaded = []
    record.lists_reloaded.connect(lambda: reloaded.append(record.sales.model.rowCount()))

    async def announce():
        w.ctx.changes.announce(Change.ORDER, 1, customer_id=c.id)
        await until(lambda: reloaded)
    run(aloop, announce())
    assert reloaded == [1]  # the new order is on the record's 销售情况 tab
    asked = []
    monkeypatch.setattr(record, "reload_lists", lambda: asked.append(1))
    w.ctx.changes.announce(Change.ORDER, 2, customer_id=c.id + 999)  # another customer's
    w.ctx.changes.announce(Change.CALL, 3, customer_id=c.id)  # not shown on the tabs
    assert asked == []
    w.ctx.changes.announce(Change.REMINDER, 4, customer_id=c.id)
    assert asked == [1]
