"""客户目录 and 客户档案查询: paging, row colours, opening a record, the query dialog."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import run, until
from ui.kit.table import Column, PagedTableModel
from ui.sales.models import BLUE, BROWN_GREEN, PINK, YELLOW, customer_colour
from ui.sales.order_lines import LinesModel


def loaded_directory(aloop, w, page_size=5):
    panel = w.features["sales"].directory
    panel.page_size = page_size
    run(aloop, panel.refresh())
    return panel


def test_directory_view_fetches_pages_as_it_needs_rows(shop, sales_window, aloop):
    for _ in range(12):
        shop.customer()
    w = sales_window()
    panel = w.features["sales"].directory
    pages = []
    panel.model.loaded.connect(pages.append)
    panel.page_size = 5
    run(aloop, panel.refresh())
    # the view has room for more rows than a page: it asks (fetchMore) until it is full
    run(aloop, until(lambda: panel.model.rowCount() == 12 and not panel.model.busy))
    assert pages == [5, 10, 12] and not panel.model.canFetchMore()
    m = panel.model
    assert len({m.row_at(i).id for i in range(12)}) == 12
    assert shop.customers.get(m.row_at(0).id).name == "客户011"  # newest first
    assert re.match(r"12 customer(s|\(s\))?\b", panel.status.text())  # %n plural, en .qm or not
    assert m.headerData(1, Qt.Orientation.Horizontal) == "Customer name"


def test_paged_model_fetches_one_page_at_a_time(shop, aloop, runner, make_ctx):
    from agent_app.services.customer_query import CustomerQueryService

    for _ in range(7):
        shop.customer()
    svc = CustomerQueryService(shop.db)
    model = PagedTableModel([Column("name", "Name")], customer_colour)

    async def fetch(after):
        return await runner.call(svc.directory, shop.admin, days=1, page_size=3, after=after)
    run(aloop, model.reset(fetch))
    assert model.rowCount() == 3 and model.canFetchMore()

    async def scroll():
        model.fetchMore()  # what a view does at the end of its rows
        assert model.busy and not model.canFetchMore()  # no second request meanwhile
        await until(lambda: not model.busy)
    run(aloop, scroll())
    assert model.rowCount() == 6
    assert run(aloop, model.fetch_more()) and model.rowCount() == 7
    assert not model.canFetchMore() and not run(aloop, model.fetch_more())


def test_rows_are_coloured_by_order_state(shop, sales_window, aloop):
    none = shop.customer("无订单")
    open_order = shop.customer("未确认")
    confirmed = shop.customer("已确认")
    shop.order(open_order.id)
    shop.order(confirmed.id, confirm=True)
    w = sales_window()
    m = loaded_directory(aloop, w, 100).model
    colours = {m.row_at(r).name: m.index(r, 0).data(Qt.ItemDataRole.BackgroundRole).color()
               for r in range(m.rowCount())}
    assert colours == {none.name: BLUE, open_order.name: BLUE, confirmed.name: PINK}


def test_opening_a_row_fills_the_record(shop, sales_window, aloop):
    c = shop.customer("王建国", remark="老客户")
    shop.order(c.id)
    w = sales_window()
    feature = w.features["sales"]
    panel = loaded_directory(aloop, w)
    panel.view.activated.emit(panel.model.index(0, 1))  # Enter or double-click
    record = feature.record
    run(aloop, until(lambda: record.customer_id == c.id))
    assert record.profile.edits["name"].text() == "王建国"
    assert record.profile.edits["remark"].text() == "老客户"
    assert record.profile.registration_no.text() == c.registration_no
    assert record.profile.region.currentText() == "杭州"
    assert record.sales.model.rowCount() == 1
    assert record.sales.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color() == YELLOW
    assert c.registration_no in record.heading


def test_search_by_name_initials_and_empty_text(shop, sales_window, aloop):
    shop.customer("王建国")
    shop.customer("李娜")
    w = sales_window()
    panel = loaded_directory(aloop, w)
    panel.field.setCurrentIndex(panel.field.findData("name"))
    panel.text.setText("wjg")
    run(aloop, panel.search())
    assert [panel.model.row_at(r).name for r in range(panel.model.rowCount())] == ["王建国"]
    panel.text.clear()
    run(aloop, panel.search())
    assert panel.status.text() == "Type what to search for."
    assert panel.model.rowCount() == 1  # the last result stays


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen, top-level dialog
def test_query_dialog_applies_only_ticked_criteria(shop, sales_window, aloop):
    shop.customer("杭州客户")
    shop.customer("宁波客户", region_id=shop.other_region.id)
    w = sales_window()
    feature = w.features["sales"]
    panel = loaded_directory(aloop, w)
    dialog = feature.open_query()
    assert dialog.isVisible() and not dialog.isModal()
    run(aloop, until(lambda: dialog.region.count() == 2))
    dialog.region.setCurrentIndex(dialog.region.findData(shop.other_region.id))
    assert not dialog.region.isEnabled()  # unticked: the criterion does not apply
    run(aloop, dialog.submit())
    assert panel.model.rowCount() == 2
    dialog.region_check.setChecked(True)
    run(aloop, dialog.submit())
    assert [panel.model.row_at(r).name for r in range(panel.model.rowCount())] == ["宁波客户"]
    dialog.date_check.setChecked(True)
    dialog.date_to.setDate(dialog.date_from.date().addDays(-1))
    run(aloop, dialog.submit())
    assert dialog.message.text()  # the service's message about the dates


@pytest.mark.parametrize("colour", [None, customer_colour])
def test_paged_model_passes_modeltester(qtmodeltester, shop, colour):
    from agent_app.services.customer_query import CustomerQueryService

    for _ in range(3):
        shop.customer()
    page = CustomerQueryService(shop.db).directory(shop.admin, days=1)
    model = PagedTableModel([Column("registration_no", "No"), Column("name", "Name")], colour)
    model.set_rows(page.rows)
    qtmodeltester.check(model)
    assert model.rowCount() == 3


def test_lines_model_passes_modeltester(qtmodeltester, shop):
    model = LinesModel()
    model.products = {p.id: p for p in shop.products}
    for p in shop.products:
        model.add_line(p)
    qtmodeltester.check(model)


def test_order_colours_are_the_manuals():
    from ui.sales.models import order_colour

    class Row:
        confirmed = False
    assert order_colour(Row()) == YELLOW
    Row.confirmed = True
    assert order_colour(Row()) == BROWN_GREEN
