"""No table header is clipped: every table of the main window (sales and call panels)
and of every archive window, in Chinese and in English, gives each visible column at
least the width its caption needs."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QTableView

from tests.ui.helpers import run, until
from ui import i18n
from ui.kit.panel import Panel
from ui.kit.registry import PanelEntry, allowed


def text_width_needed(view: QTableView, section: int) -> int:
    """What the caption needs: its text, the header's margins, and the sort indicator
    where the view sorts (measured here, not by the factory)."""
    header = view.horizontalHeader()
    text = str(view.model().headerData(section, Qt.Orientation.Horizontal) or "")
    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    need = header.fontMetrics().horizontalAdvance(text) + 2 * margin
    if view.isSortingEnabled():
        need += header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None,
                                           header)
    return need


def clipped_headers(window) -> list[str]:
    bad = []
    for view in window.findChildren(QTableView):
        header = view.horizontalHeader()
        for i in range(view.model().columnCount()):
            if header.isSectionHidden(i):
                continue
            need = text_width_needed(view, i)
            if header.sectionSize(i) < need:
                text = view.model().headerData(i, Qt.Orientation.Horizontal)
                bad.append(f"{view.objectName()}[{i}] {text!r}: {header.sectionSize(i)} < {need}")
    return bad


def test_no_table_header_is_clipped_in_either_language(sales_window, aloop, qapp):
    w = sales_window()

    async def open_all():  # every window this user may open, each first load done
        for key, entry in w.entries.items():
            if isinstance(entry, PanelEntry) and allowed(entry, w.ctx.actor, w.ctx.demo):
                w.panel(key)
        await until(lambda: w.ctx.runner.in_flight == 0, 20)
    run(aloop, open_all())
    for panel in w.findChildren(Panel):
        panel.ensure_built()
    tables = w.findChildren(QTableView)
    assert len(tables) >= 15  # the sales, call and archive tables are all there
    customer = next(v for v in tables if v.objectName() == "customerTable")
    captions = []
    try:
        for lang in ("zh_CN", "en"):
            async def switch(lang=lang):  # in the loop: panels reload their pick lists
                i18n.install(lang, qapp)
                await until(lambda: clipped_headers(w) == [] and w.ctx.runner.in_flight == 0,
                            5)  # the fitters run once the new captions are in
            try:
                run(aloop, switch())
            except AssertionError:
                raise AssertionError(f"{lang}: {clipped_headers(w)}") from None
            captions.append(customer.model().headerData(1, Qt.Orientation.Horizontal))
        assert captions == ["客户名", "Customer name"]  # the language did change
    finally:
        async def back():
            i18n.install("en", qapp)
            await until(lambda: w.ctx.runner.in_flight == 0)
        run(aloop, back())
