"""The call panels as the program docks them at 1366×768 (the whole main window: the sales
feature's record in the middle, the call console at the bottom): 通话查询 shows ten rows or
more, and notices never lie over the console's dial box or call buttons."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect

from tests.ui.calls import MULTIMEDIA_NOISE
from tests.ui.helpers import run, until

pytestmark = pytest.mark.qt_log_ignore(*MULTIMEDIA_NOISE)


def rect_in(widget, window) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def test_call_query_shows_ten_rows_with_the_other_conditions_folded(sales_window, aloop):
    w = sales_window("1001", "pass1234")
    panel = w.features["call"].open_panel("query")
    run(aloop, until(lambda: panel.view.isVisible() and w.ctx.runner.in_flight == 0))
    view = panel.view
    rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert rows >= 10, f"{rows} rows in a {view.viewport().height()} px list"
    assert not panel.conditions.isVisible() and panel.start.isVisible()
    assert panel.search_button.isVisible() and not panel.player.isVisible()
    # unfolded, every condition is there; folded again, the button says one is set
    panel.more_button.click()
    assert panel.conditions.isVisible() and panel.dialed.isVisible()
    panel.dialed.setText("4006000000")
    panel.more_button.click()
    assert not panel.conditions.isVisible()
    assert panel.more_button.text() == "More conditions (1 set)"
    assert panel.query().dialed == "4006000000"  # folded conditions still narrow the search


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_notices_never_cover_the_call_console(sales_window, aloop, qapp, size):
    w = sales_window("1001", "pass1234")
    w.resize(*size)
    console = w.features["call"].console
    console.raise_()
    run(aloop, until(lambda: console.answer_button.isVisible() and w.size().width() == size[0]))
    working = [console.pad, console.pad.number, console.pad.dial_button, console.answer_button,
               console.hangup_button, console.hold_button, console.transfer_button,
               console.ready_button, console.busy_button, console.connect_button]
    assert all(x.isVisible() for x in working)
    texts = ["提醒：客户 张三 的回访时间到了（10:05）", "提醒：客户 李四 的回访时间到了",
             "演示：您已就绪，可以接听电话。演示客户每 45 秒来电一次，或使用“拨打演示电话”。",
             "已到期的提醒：3 条"]
    for text in texts:
        w.show_notice(text, 60_000)
    qapp.processEvents()
    toasts = [rect_in(t, w) for t in w.toaster.visible]
    assert len(toasts) == len(texts)
    dock = rect_in(console, w)
    for t in toasts:
        assert w.rect().contains(t)
        assert not t.intersects(dock), (t, dock)
        for x in working:
            assert not t.intersects(rect_in(x, w)), (t, x.objectName())
    for i, a in enumerate(toasts):  # stacked, none over another
        assert not any(a.intersects(b) for b in toasts[i + 1:])
    # the window shrinks under them: they move with it and still keep clear
    w.resize(size[0] - 200, size[1] - 100)
    run(aloop, until(lambda: w.width() == size[0] - 200))
    qapp.processEvents()
    dock = rect_in(console, w)
    assert w.toaster.visible
    assert not any(rect_in(t, w).intersects(dock) for t in w.toaster.visible)
