"""Main window, archive windows, layouts per user, --screenshot (pytest-qt offscreen)."""
from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from agent_app.services.archives import ArchiveService, ProductInfo
from agent_app.services.sequences import lane_number, lane_of
from tests.ui.helpers import until
from ui.archives import ARCHIVE_KEYS
from ui.kit.layout import path_for as layout_path
from ui.kit.registry import MENU_KEYS
from ui.kit.table import Column, TableModel
from ui.main_window import MainWindow


def settle(aloop, window) -> None:
    """Let every open archive window finish loading on the qasync loop."""
    aloop.run_until_complete(until(lambda: all(p.loaded for p in archives(window).values())))


def archives(window) -> dict:
    return {k: p for k, p in window.panels.items() if k in ARCHIVE_KEYS}


@pytest.fixture
def window_for(qtbot, make_ctx):
    def make(login="0001", password="admin123"):
        w = MainWindow(make_ctx(login, password), database_label="SQLite test")
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        return w
    return make


def test_menus_and_status_bar(window_for):
    w = window_for()
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    # a menu with nothing in it for this user (物流管理 in this version) is not shown
    assert titles == ["System", "Archives", "Direct sales", "Logistics", "Calls", "Statistics",
                      "Help"]
    for key in MENU_KEYS:
        assert w.menu(key) is not None
    assert "王明辉 (0001)" in w.user_label.text() and "Super administrator" in w.user_label.text()
    assert w.db_label.text() == "Database: SQLite test"
    assert w.toolbar() is w.findChild(type(w.toolbar()), "mainToolBar")


@pytest.mark.parametrize("action, key, rows", [("act_products", "products", 0),
                                               ("act_departments", "departments", 4),
                                               ("act_employees", "employees", 2),
                                               ("act_regions", "regions", 0),
                                               ("act_varieties", "varieties", 0),
                                               ("act_media", "media", 0),
                                               ("act_placements", "placements", 0),
                                               ("act_system_settings", "system_settings", None)])
def test_menu_actions_open_archive_windows(window_for, aloop, action, key, rows):
    w = window_for()
    act = w.findChild(type(w.menu("system").actions()[0]), action)
    act.trigger()
    panel = w.panels[key]
    assert panel.isVisible() and panel.is_built
    settle(aloop, w)
    if rows is not None:
        assert panel.model.rowCount() == rows
    else:
        assert panel.browse_days.value() == 7
    act.trigger()  # a second trigger raises the same window
    assert list(archives(w)) == [key]


def test_product_add_shows_validation_next_to_the_field(window_for, aloop, sqlite_db, make_ctx):
    w = window_for()
    admin = make_ctx().actor
    variety = ArchiveService(sqlite_db).save_variety(admin, name="眼保姆")
    panel = w.open_archive("products")

    async def scenario():
        await until(lambda: panel.loaded)
        form = await panel.open_form(None)
        form.widgets["name"].setText("护眼仪")
        form.widgets["unit"].setText("台")
        form.widgets["short_code"].setText("hyy")
        variety_combo = form.widgets["variety_id"]
        variety_combo.setCurrentIndex(variety_combo.findData(variety.id))
        await form.submit()  # no price
        assert form.isVisible()
        err = form.errors.labels["retail_price"]
        assert err.isVisible() and err.text() == "The retail price is required."
        assert not form.errors.labels["name"].isVisible()
        assert ArchiveService(sqlite_db).list_products(admin) == []
        form.widgets["retail_price"].setText("398")
        await form.submit()
        assert not form.isVisible()
        await until(lambda: panel.model.rowCount() == 1)
        return panel.model.row_at(0)

    product = aloop.run_until_complete(scenario())
    # the code comes from the admin's counter lane (agent_app/services/sequences.py)
    assert product.code == f"{lane_number(1, lane_of(admin.login)):06d}"
    assert product.retail_price == Decimal("398.00")


def test_filter_and_sort(window_for, aloop, sqlite_db, make_ctx):
    svc, admin = ArchiveService(sqlite_db), make_ctx().actor
    for name, code in (("杭州", "0571"), ("宁波", "0574"), ("温州", "0577")):
        svc.save_region(admin, name=name, province="浙江", area_code=code)
    w = window_for()
    panel = w.open_archive("regions")
    aloop.run_until_complete(until(lambda: panel.loaded))
    panel.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert panel.proxy.index(0, 0).data() == "温州"
    panel.filter.setText("0574")
    assert panel.proxy.rowCount() == 1 and panel.proxy.index(0, 0).data() == "宁波"


def test_operator_sees_archives_read_only(window_for, aloop):
    w = window_for("1001", "pass1234")
    for key in ("products", "employees"):
        panel = w.open_archive(key)
        aloop.run_until_complete(until(lambda p=panel: p.loaded))
        assert not panel.add_button.isVisibleTo(panel)
        assert not panel.edit_button.isVisibleTo(panel)
    emp = w.panels["employees"]
    assert not any(b.isVisibleTo(emp) for b in emp.action_buttons.values())
    assert emp.model.rowCount() == 2  # operators view the employee archive


def test_superadmin_bans_an_employee_from_the_archive(window_for, aloop, accounts):
    from agent_app.errors import AuthFailed

    w = window_for()
    emp = w.open_archive("employees")
    aloop.run_until_complete(until(lambda: emp.loaded))
    row = [r for r in range(emp.proxy.rowCount()) if emp.proxy.index(r, 0).data() == "1001"][0]
    emp.view.selectRow(row)

    aloop.run_until_complete(emp.on_ban())
    assert emp.status.text() == "1001 can no longer log in."
    statuses = {emp.model.index(r, 0).data(): emp.model.index(r, 4).data()
                for r in range(emp.model.rowCount())}
    assert statuses == {"0001": "Active", "1001": "Login banned"}
    with pytest.raises(AuthFailed):
        accounts.authenticate("1001", "pass1234")


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen, floating dock
def test_layout_is_saved_and_restored_per_user(window_for, aloop):
    a = window_for()
    a.open_archive("products")
    a.open_archive("regions")
    a.panels["regions"].setFloating(True)
    settle(aloop, a)
    a.close()
    assert layout_path("0001").exists()
    again = window_for()
    settle(aloop, again)
    assert set(archives(again)) == {"products", "regions"}
    assert again.panels["regions"].isFloating()
    other = window_for("1001", "pass1234")
    assert archives(other) == {}  # another user starts from the default layout
    layout_path("1001").parent.mkdir(parents=True, exist_ok=True)
    layout_path("1001").write_text("{damaged", encoding="utf-8")
    assert archives(window_for("1001", "pass1234")) == {}


def test_show_notice_never_blocks_and_goes_away(window_for, qtbot):
    w = window_for()
    label = w.show_notice("新的提醒", msec=50)
    assert label.isVisible() and label.text() == "新的提醒"
    qtbot.waitUntil(lambda: w.toaster.visible == [], timeout=2000)


def test_record_model_passes_modeltester(qtmodeltester):
    model = TableModel([Column("code", "Code"), Column("name", "Name"),
                        Column("retail_price", "Price", kind="money")])
    model.set_rows([ProductInfo(i, f"{i:06d}", f"商品{i}", "", 1, "品种", "台", f"S{i}",
                                Decimal("9.90") * i, True, 1) for i in range(1, 6)])
    qtmodeltester.check(model)
    assert model.index(1, 2).data() == "¥19.80"


def test_screenshot_option_writes_a_png(tmp_path):
    out = tmp_path / "main.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AGENT_DESK_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "ui.app", "--screenshot", str(out),
                           "--size", "1024x700", "--lang", "zh_CN"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1024, 700)


def test_bad_size_is_refused():
    from ui.app import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--screenshot", "x.png", "--size", "big"])
    assert parse_args(["--size", "1920x1080"]).size == (1920, 1080)


def test_language_switch_retranslates_menus_and_panels(window_for, aloop, qapp, qtbot):
    from ui import i18n

    w = window_for()
    panel = w.open_archive("products")
    settle(aloop, w)
    try:
        i18n.install("zh_CN", qapp)
        qtbot.waitUntil(lambda: w.menu("archives").title() == "档案管理(&A)")
        assert panel.windowTitle() == "商品档案"
        assert panel.model.headerData(0, Qt.Orientation.Horizontal) == "商品编码"
        assert panel.add_button.text() == "新增(&A)"
    finally:
        i18n.install("en", qapp)
    qtbot.waitUntil(lambda: w.menu("archives").title() == "&Archives")


def test_a_saved_layout_bigger_than_this_screen_is_fitted_inside_it(qtbot):
    """A layout saved on a 1920×1080 desk, restored on a smaller screen: the whole window,
    status bar included, stays on the screen's available area."""
    from PySide6.QtWidgets import QMainWindow

    from ui.kit import layout

    w = QMainWindow()
    qtbot.addWidget(w)
    w.statusBar().showMessage("status")
    w.show()
    area = w.screen().availableGeometry()
    w.resize(area.width() + 600, area.height() + 400)
    w.move(area.left() - 100, area.bottom() - 50)
    layout.fit_inside_screen(w)
    assert w.width() <= area.width() and w.height() <= area.height()
    assert area.contains(w.frameGeometry())
    w.resize(400, 300)
    w.move(area.left() + 10, area.top() + 10)
    layout.fit_inside_screen(w)  # a window already inside is left alone
    assert (w.width(), w.height(), w.x(), w.y()) == (400, 300, area.left() + 10, area.top() + 10)
