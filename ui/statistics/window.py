"""The desk's window for any report of agent_app.reports: the kit's ReportPanel, with the
report's own filters (its params as combo boxes, the 组 field, the manual's 年 + 周/月/季
picker) and its chart drawn from the report's ChartSpec.

One class serves every report; `panel_class(name)` gives each report its own subclass
(named `Report_<name>`, so the docked window's objectName, which the saved layout keys
on, stays stable), and the registry reaches it as "ui.statistics.window:Report_<name>".
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from agent_app.reports import REPORTS, Col, ReportDef, Row, load_all
from agent_app.reports.period import period_of
from agent_app.services.exports import ExportService
from agent_app.services.reports import ReportResult, ReportService
from ui.kit.chart import ChartView
from ui.kit.export import export_rows
from ui.kit.formats import site_today_qdate
from ui.kit.report import ReportPanel
from ui.kit.table import Column

KIND_OF = {"number": "float"}  # the core's kinds → the kit table's
LINE_FROM = 16  # categories from which a bar chart is drawn as a line


def tr_report(text: str) -> str:
    return QCoreApplication.translate("reports", text)


def _number(value: Any) -> str:
    """A report's "number" (an average per day, positions needed): two decimals."""
    return "" if value is None else f"{float(value):,.2f}"


def kit_columns(cols: Sequence[Col]) -> list[Column]:
    return [Column(c.attr, tr_report(c.title), kind=KIND_OF.get(c.kind, c.kind),
                   fmt=_number if c.kind == "number" else None) for c in cols]


def chart_data(rows: Sequence[Any], spec) -> tuple[list[str], list[list[float]]]:
    """The chart's categories and one value list per series: rows of one category (an
    employee's days) are summed into one bar; past `spec.limit` categories, the largest
    by the first series are kept, in the report's order (time slots stay in time); a
    line chart (figures over time) keeps them all."""
    sums: dict[str, list[float]] = {}
    series = tuple(enumerate(spec.series))
    for r in rows:
        # a report's Row is a dict: .get, not attribute access through __getattr__, which
        # took 70 ms of the GUI thread for advert-response's 17,520 rows
        get = r.get if isinstance(r, dict) else lambda a, d=None, r=r: getattr(r, a, d)
        label = str(get(spec.category, "") or "")
        acc = sums.setdefault(label, [0.0] * len(spec.series))
        for i, attr in series:
            acc[i] += float(get(attr, 0) or 0)
    labels = list(sums)
    if spec.kind != "line" and len(labels) > spec.limit:  # a line keeps every point
        top = set(sorted(labels, key=lambda k: -sums[k][0])[:spec.limit])
        labels = [k for k in labels if k in top]
    return labels, [[sums[k][i] for k in labels] for i in range(len(spec.series))]


# a ReportDef.highlight row (退包 in 出库反馈明细表): the manual shows them in red
HIGHLIGHT = QColor("#ffd6d6")


@dataclass
class Shown:
    """A report's result made ready for the window on the worker thread: the rows with
    their source-text cells translated, and the chart's categories and values. Summing
    advert-response's 17,520 rows into its chart took ~35 ms of the GUI thread's ~100 ms
    when the result arrived."""

    result: ReportResult
    rows: list
    chart: tuple[list[str], list[list[float]]] | None  # chart_data's, or None: no chart


def shown(result: ReportResult) -> Shown:
    # cells that are source texts (a class's "A VIP") shown, charted and exported in the
    # user's language (QCoreApplication.translate is thread-safe)
    names = [c.attr for c in result.columns if c.translated]
    rows = result.rows if not names else [
        Row(r, **{a: tr_report(r[a]) for a in names if r.get(a)}) for r in result.rows]
    spec = result.report.chart_for(result.query.params)
    return Shown(result, rows, chart_data(rows, spec) if spec is not None else None)


def run_and_show(run: Callable[..., ReportResult], *args: Any) -> Shown:
    """On the worker: run the report, then make it ready for the window."""
    return shown(run(*args))


class DefinedReport(ReportPanel):
    report_name = ""  # set by panel_class
    # a live report's (ReportDef.live) re-run, in ms; a class attribute so a test can
    # shorten it before the window is built
    live_interval_ms = 60_000
    _chart_ready: tuple[list[str], list[list[float]]] | None = None

    @property
    def report(self) -> ReportDef:
        return REPORTS[self.report_name]

    def title(self) -> str:
        return tr_report(self.report.title)

    def row_colour(self, row) -> QColor | None:
        key = self.report.highlight
        return HIGHLIGHT if key and row.get(key) else None

    def columns(self) -> list[Column]:
        result = getattr(self, "result", None)
        cols = result.columns if result is not None else self.report.columns_for(
            {p.name: p.default for p in self.report.params})
        return kit_columns(cols)

    # -- filters ------------------------------------------------------------------------------
    def add_filters(self, form: QFormLayout) -> None:
        self.result: ReportResult | None = None
        self.param_boxes: dict[str, QComboBox] = {}
        self.param_labels: dict[str, QLabel] = {}
        row = QHBoxLayout()
        for p in self.report.params:
            box = QComboBox()
            box.setObjectName(f"param_{p.name}")
            for c in p.choices:
                box.addItem(tr_report(c.title), c.value)
            box.setCurrentIndex(p.values().index(p.default))
            label = QLabel()
            label.setBuddy(box)
            self.param_boxes[p.name], self.param_labels[p.name] = box, label
            row.addWidget(label)
            row.addWidget(box)
        self.group_edit: QLineEdit | None = None
        if self.report.group:
            self.group_edit = QLineEdit()
            self.group_edit.setObjectName("reportGroup")
            self.group_edit.setMaximumWidth(120)
            self.group_label = QLabel()
            self.group_label.setBuddy(self.group_edit)
            row.addWidget(self.group_label)
            row.addWidget(self.group_edit)
        row.addStretch(1)
        if self.report.params or self.report.group:
            form.addRow(row)
        if "grain" in self.param_boxes:  # the manual's 年 + 周/月/季 number sets 从/到
            pick = QHBoxLayout()
            today = site_today_qdate()
            self.year_spin = QSpinBox()
            self.year_spin.setObjectName("reportYear")
            self.year_spin.setRange(2000, 2100)
            self.year_spin.setValue(today.year())
            self.number_spin = QSpinBox()
            self.number_spin.setObjectName("reportNumber")
            self.number_spin.setRange(1, 53)
            self.number_spin.setValue(today.month())
            self.pick_label = QLabel()
            self.pick_label.setBuddy(self.year_spin)
            self.number_label = QLabel()
            self.number_label.setBuddy(self.number_spin)
            for w in (self.pick_label, self.year_spin, self.number_label, self.number_spin):
                pick.addWidget(w)
            pick.addStretch(1)
            form.addRow(pick)
            for w in (self.year_spin, self.number_spin):
                w.valueChanged.connect(self.pick_period)
            self.param_boxes["grain"].currentIndexChanged.connect(self.grain_changed)
        self.title_row = QCheckBox()
        self.title_row.setObjectName("reportTitleRow")
        self.title_row.setChecked(True)

    def grain_changed(self) -> None:
        """A new 统计方式: the number starts at today's week, month or quarter."""
        grain = self.param_boxes["grain"].currentData()
        today = site_today_qdate().toPython()
        number = {"week": today.isocalendar()[1], "month": today.month,
                  "quarter": (today.month - 1) // 3 + 1}.get(grain, 1)
        self.number_spin.blockSignals(True)
        self.number_spin.setMaximum({"week": 53, "month": 12, "quarter": 4}.get(grain, 1))
        self.number_spin.setValue(number)
        self.number_spin.blockSignals(False)
        self.pick_period()

    def pick_period(self) -> None:
        """年 + number → 从/到 (a week is ISO; 日报 keeps the dates as they are)."""
        grain = self.param_boxes["grain"].currentData()
        self.number_spin.setEnabled(grain in ("week", "month", "quarter"))
        if grain == "day":
            return
        try:
            first, last = period_of(grain, self.year_spin.value(), self.number_spin.value())
        except ValueError:  # ISO week 53 of a year that has 52
            self.status.setText(QCoreApplication.translate(
                "DefinedReport", "That year has no such week."))
            return
        self.date_from.setDate(first)
        self.date_to.setDate(last)

    def filters(self) -> dict[str, Any]:
        return {name: box.currentData() for name, box in self.param_boxes.items()}

    def group(self) -> str | None:
        return (self.group_edit.text().strip() or None) if self.group_edit else None

    def filters_text(self) -> str:
        parts = [f"{self.param_labels[n].text().replace('&', '')} {b.currentText()}"
                 for n, b in self.param_boxes.items()]
        if self.group():
            parts.append(f"{self.group_label.text().replace('&', '')} {self.group()}")
        return " · ".join(parts)

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        for p in self.report.params:
            self.param_labels[p.name].setText(tr_report(p.title))
            box = self.param_boxes[p.name]
            for i, c in enumerate(p.choices):
                box.setItemText(i, tr_report(c.title))
        if self.group_edit is not None:
            text = (QCoreApplication.translate("DefinedReport", "ACD &group")
                    if self.report.group == "acd"
                    else QCoreApplication.translate("DefinedReport", "&Department"))
            self.group_label.setText(text)
        if hasattr(self, "year_spin"):
            self.pick_label.setText(QCoreApplication.translate("DefinedReport", "&Year"))
            self.number_label.setText(QCoreApplication.translate("DefinedReport", "&No."))
        self.title_row.setText(QCoreApplication.translate("DefinedReport", "Title row in Excel"))

    def build(self):
        page = super().build()
        # the rows in the report's own order (a ranking high to low, periods in time) until
        # the user clicks a header; the kit's sortable view otherwise starts sorted on the
        # first column, descending, and a ranking showed its last place first
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        buttons = page.layout().itemAt(1).layout()
        buttons.insertWidget(2, self.title_row)
        self.live_timer: QTimer | None = None
        if self.report.live:  # 广告响应 while the advert airs: see live_tick
            self.live_timer = QTimer(self)
            self.live_timer.setObjectName("reportLiveTimer")
            self.live_timer.setInterval(self.live_interval_ms)
            self.live_timer.timeout.connect(self.live_tick)
            self.live_timer.start()
        return page

    def live_tick(self) -> None:
        """A live report's timer: re-run it as the user last ran it, an ordinary refresh,
        only while the window is shown, once it has been run (the timer never runs a
        report nobody asked for), when the period includes today (a past period does not
        change) and when no run is in flight (the run button is off while counting)."""
        if not (self.is_built and self.isVisible() and self.loaded
                and self.run_button.isEnabled()):
            return
        date_from, date_to = self.period()
        if date_from <= site_today_qdate().toPython() <= date_to:
            self.refresh()

    # -- running ------------------------------------------------------------------------------
    def query(self, date_from, date_to, extra):
        service = self.ctx.services.get(ReportService)
        return (run_and_show, service.run, self.ctx.actor, self.report_name, date_from,
                date_to, extra, self.group())

    def show_rows(self, result: ReportResult | Shown) -> None:  # type: ignore[override]
        ready = result if isinstance(result, Shown) else shown(result)
        self.result = ready.result
        self.model.set_columns(self.columns())
        self._chart_ready = ready.chart  # for draw(), called by the kit's show_rows
        try:
            super().show_rows(ready.rows)
        finally:
            self._chart_ready = None

    def draw(self, chart: ChartView, rows) -> bool:
        spec = self.report.chart_for(self.result.query.params if self.result else
                                     {p.name: p.default for p in self.report.params})
        if spec is None:
            return False
        titles = {c.attr: tr_report(c.title) for c in (self.result.columns if self.result
                                                      else self.report.columns_for({}))}
        # summed on the worker with the rows (Shown); summed here when redrawn
        labels, values = self._chart_ready or chart_data(rows, spec)
        if spec.kind == "pie":
            chart.set_pie(labels, values[0], title=self.title())
        else:
            series = {titles.get(a, a): v for a, v in zip(spec.series, values, strict=True)}
            # a bar per day of a month is a comb: periods past LINE_FROM are a line
            line = spec.kind == "line" or (spec.category == "period" and len(labels) > LINE_FROM)
            setter = chart.set_line if line else chart.set_bar
            setter(labels, series, title=self.title())
        return True

    def totals(self, rows):
        if self.result is None or not rows:
            return None
        total = self.result.total
        cols = self.result.columns
        first = QCoreApplication.translate("ReportPanel", "Total")
        return tuple(first if i == 0 and not total.get(c.attr) else total.get(c.attr)
                     for i, c in enumerate(cols))

    def export(self):
        columns, rows = self.table()
        exports = self.ctx.services.get(ExportService)
        actor, name = self.ctx.actor, self.report_name
        period = f"{self.period()[0].isoformat()}..{self.period()[1].isoformat()}"
        title_row = f"{self.title()} {self.heading()}" if self.title_row.isChecked() else ""
        return export_rows(self, self.title(), columns, lambda: rows, total=len(rows),
                           file_name=f"{self.title()} {self.period()[0]:%Y%m%d}",
                           check=lambda: exports.check(actor, name),
                           record=lambda n: exports.record(actor, name, n, period=period),
                           title_row=title_row)


_classes: dict[str, type[DefinedReport]] = {}


def panel_class(name: str) -> type[DefinedReport]:
    if name not in _classes:
        cls_name = "Report_" + name.replace("-", "_")
        _classes[name] = type(cls_name, (DefinedReport,), {"report_name": name,
                                                            "__module__": __name__})
    return _classes[name]


def __getattr__(attr: str) -> type[DefinedReport]:
    """"ui.statistics.window:Report_daily_calls" → the panel class of report daily-calls."""
    if attr.startswith("Report_"):
        load_all()
        name = attr[len("Report_"):].replace("_", "-")
        if name in REPORTS:
            return panel_class(name)
    raise AttributeError(attr)
