"""`ReportPanel`: the statistics window every report is (filters + table + chart + Excel +
print), so a report is a few dozen lines of its own.

A subclass gives:

    title()                  the window title, translated
    columns()                the table's `Column`s (translated headers, typed kinds)
    query(date_from, date_to, extra)
                             (service function, args…): run on a worker thread; returns
                             the rows (objects with the columns' attributes)
    add_filters(form)        optional: more filter widgets under 从/到; `filters()` is
                             then the dict `query` gets as `extra`, `filters_text()` the
                             line printed under the title
    draw(chart, rows)        optional: the chart (ui.kit.chart.ChartView); none by default
    totals(rows)             optional: the bold last row of the print-out

The panel runs the query with 统计 (or Return in a filter), through the kit's one run
policy (a known error in the message line, a bug to the crash dialog). 导出 Excel writes
what is shown, in a worker with a progress bar; 打印预览 opens the preview (PDF from the
printer list). The table sorts by typed value (money, dates and numbers as such).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.exports import ExportService
from ui.kit.chart import ChartView
from ui.kit.export import export_rows
from ui.kit.formats import site_today_qdate
from ui.kit.panel import Panel
from ui.kit.printing import print_preview
from ui.kit.table import Column, TableModel
from ui.kit.views import make_table_view


def _tr(text: str, n: int = -1) -> str:
    # one context for every report: a subclass's self.tr() would look in its own
    return QCoreApplication.translate("ReportPanel", text, "", n)


class ReportPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    default_days = 7  # the period the window opens with: the last week, today included
    # a report is read as a table and a chart: at 1366×768 an even split with the call
    # console below left the table ten rows
    height_share = 0.66

    # -- what a report gives ------------------------------------------------------------------
    def columns(self) -> Sequence[Column]:  # pragma: no cover - abstract
        raise NotImplementedError

    def row_colour(self, row: Any) -> QColor | None:
        """A row's background (None: the view's own)."""
        return None

    def query(self, date_from: dt.date, date_to: dt.date,
              extra: dict[str, Any]) -> tuple[Callable[..., Any], ...]:  # pragma: no cover
        raise NotImplementedError

    def add_filters(self, form: QFormLayout) -> None:
        """More filter widgets (none by default)."""

    def filters(self) -> dict[str, Any]:
        return {}

    def filters_text(self) -> str:
        return ""

    def draw(self, chart: ChartView, rows: Sequence[Any]) -> bool:
        """Draw the chart for `rows`; False: this report has no chart."""
        return False

    def totals(self, rows: Sequence[Any]) -> tuple | None:
        return None

    # -- the window ---------------------------------------------------------------------------
    def build(self) -> QWidget:
        self.rows: list[Any] = []
        self.loaded = False
        page = QWidget()
        today = site_today_qdate()
        self.date_from = QDateEdit(today.addDays(1 - self.default_days))
        self.date_to = QDateEdit(today)
        for edit, name in ((self.date_from, "reportFrom"), (self.date_to, "reportTo")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.from_label, self.to_label = QLabel(), QLabel()
        self.from_label.setBuddy(self.date_from)
        self.to_label.setBuddy(self.date_to)
        form = QFormLayout()
        period = QHBoxLayout()
        for w in (self.from_label, self.date_from, self.to_label, self.date_to):
            period.addWidget(w)
        period.addStretch(1)
        form.addRow(period)
        self.add_filters(form)
        self.run_button = QPushButton()
        self.run_button.setObjectName("reportRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.refresh)
        self.export_button = QPushButton()
        self.export_button.setObjectName("reportExport")
        self.export_button.clicked.connect(self.export)
        self.print_button = QPushButton()
        self.print_button.setObjectName("reportPrint")
        self.print_button.clicked.connect(self.preview)
        buttons = QHBoxLayout()
        for b in (self.run_button, self.export_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.status = self.message_label("reportStatus", wrap=False)
        self.model = TableModel(self.columns(), colour=self.row_colour)
        self.view = make_table_view(self.model, "reportTable", sortable=True)
        self.chart = ChartView()
        self.chart.setObjectName("reportChart")
        # side by side: the dock sits in the desk's middle area, wide and not tall (at
        # 1366×768 a chart under the table would leave the table two rows)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.chart)
        self.chart.hide()  # until the report draws one
        self.chart.setMinimumWidth(280)
        self.splitter.setStretchFactor(0, 3)  # the figures first, the chart beside them
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        for key in ("Return", "Enter"):  # 统计 from any filter field
            QShortcut(QKeySequence(key), page, self.refresh,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        lay = QVBoxLayout(page)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.splitter, 1)
        lay.addWidget(self.status)
        self._set_enabled()
        return page

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.from_label.setText(_tr("&From"))
        self.to_label.setText(_tr("T&o"))
        self.run_button.setText(_tr("&Run"))
        self.export_button.setText(_tr("E&xport to Excel…"))
        self.print_button.setText(_tr("&Print preview…"))
        self.model.set_columns(self.columns())

    def _set_enabled(self) -> None:
        self.export_button.setEnabled(bool(self.rows))
        self.print_button.setEnabled(bool(self.rows))

    # -- running ------------------------------------------------------------------------------
    def period(self) -> tuple[dt.date, dt.date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()

    def refresh(self) -> None:
        date_from, date_to = self.period()
        if date_from > date_to:
            self.status.setText(_tr("The period ends before it starts."))
            return
        fn, *args = self.query(date_from, date_to, self.filters())
        self.spawn(self._count(fn, args))

    async def _count(self, fn: Callable[..., Any], args: list) -> None:
        self.run_button.setEnabled(False)
        self.status.setText(_tr("Counting…"))
        ok, rows = await self.attempt(self.ctx.runner.call(fn, *args))
        self.run_button.setEnabled(True)  # (a panel deleted meanwhile ended in attempt)
        if ok:
            self.show_rows(rows)

    def show_rows(self, rows: Sequence[Any]) -> None:
        self.rows = list(rows)
        self.loaded = True
        self.model.set_rows(self.rows)
        self.chart.setVisible(self.draw(self.chart, self.rows))
        self.status.setText(_tr("%n row(s).", len(self.rows)))
        self._set_enabled()

    # -- output -------------------------------------------------------------------------------
    def table(self) -> tuple[list[tuple[str, str]], list[tuple]]:
        """The columns as (title, kind) and the rows as tuples, in the order shown."""
        cols = list(self.columns())
        rows = [tuple(c.export_value(getattr(r, c.attr, None)) for c in cols)
                for r in self.model.rows]     # the model sorts its own rows (a header click)
        return [(c.header, c.export_kind()) for c in cols], rows

    def heading(self) -> str:
        date_from, date_to = self.period()
        extra = self.filters_text()
        text = _tr("{start} to {end}").format(start=date_from.isoformat(),
                                                  end=date_to.isoformat())
        return f"{text} · {extra}" if extra else text

    def export(self):
        """The rows shown, to Excel: the 导出 permission checked and the export audited by
        the core (ExportService), on the export's worker thread."""
        columns, rows = self.table()
        exports = self.ctx.services.get(ExportService)
        actor, report = self.ctx.actor, type(self).__name__  # the audit names the report
        return export_rows(self, self.title(), columns, lambda: rows, total=len(rows),
                           file_name=f"{self.title()} {self.period()[0]:%Y%m%d}",
                           check=lambda: exports.check(actor, report),
                           record=lambda n: exports.record(actor, report, n))

    def preview(self):
        columns, rows = self.table()
        return print_preview(self, self.title(), self.heading(), columns, rows,
                             totals=self.totals(self.rows))
