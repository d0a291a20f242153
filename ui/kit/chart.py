"""The one chart widget of the report windows (bar, line, pie) and its PNG for reports.

    chart = ChartView(parent)
    chart.set_bar(["华东", "华南"], {self.tr("Leads"): [120, 80], self.tr("Orders"): [30, 25]},
                  title=self.tr("Leads by region"))
    chart.set_line(["11-01", "11-02", "11-03"], {self.tr("Leads"): [5, 9, 7]}, title=...)
    chart.set_pie(["电视广告", "报纸"], [300, 120], title=...)
    chart.save_png(path)            # the chart as shown, or at a given size

Titles and series names come translated from the caller. Empty data draws an empty chart
with "No data" in the middle; lengths that do not match and negative pie values are
refused with ValueError before anything changes.

Qt Charts (PySide6-Addons) draws it: deprecated since Qt 6.10 but shipped with every
PySide6 the project allows, and the only Qt option with a pie chart. Nothing outside this
module touches it, so another drawing library can replace it behind the same methods.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.fonts import cjk_family

# distinct on screen and on a grey-scale printout, in this order
PALETTE = ("#2f6db5", "#e8833a", "#3a9d5d", "#c8423b", "#8463b0", "#8c6d46", "#d46fb0",
           "#6f7b87", "#b5b53a", "#2ba7b8")
ROTATE_LABELS_FROM = 8  # categories from which the axis labels are turned


def colour(i: int) -> QColor:
    return QColor(PALETTE[i % len(PALETTE)])


class ChartView(QWidget):
    """A bar, line or pie chart. `kind` is "bar", "line", "pie" or "" (nothing set)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = ""
        self.view = QChartView(self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.empty = QLabel(self.tr("No data"), self.view)
        self.empty.setObjectName("chartNoData")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #888; font-size: 14pt;")
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setMinimumSize(320, 240)
        self._new_chart("")

    # -- the three kinds --------------------------------------------------------------------
    def set_bar(self, categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
                title: str = "", value_title: str = "") -> None:
        """Grouped bars: one bar set per series, one group per category."""
        _check_lengths(categories, series)
        chart = self._new_chart(title)
        bars = QBarSeries()
        for i, (name, values) in enumerate(series.items()):
            bar_set = QBarSet(name)
            bar_set.append([float(v) for v in values])
            bar_set.setColor(colour(i))
            bar_set.setBorderColor(colour(i).darker(120))
            bars.append(bar_set)
        chart.addSeries(bars)
        self._axes(chart, [bars], categories, series, value_title)
        self._done("bar", chart, empty=not categories or not series)

    def set_line(self, categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
                 title: str = "", value_title: str = "") -> None:
        """One line per series over the categories (days, hours, months …)."""
        _check_lengths(categories, series)
        chart = self._new_chart(title)
        lines = []
        for i, (name, values) in enumerate(series.items()):
            line = QLineSeries()
            line.setName(name)
            for x, v in enumerate(values):
                line.append(x, float(v))
            line.setPen(QPen(colour(i), 2))
            line.setPointsVisible(len(values) <= 60)  # a single point is seen at all
            chart.addSeries(line)
            lines.append(line)
        self._axes(chart, lines, categories, series, value_title)
        self._done("line", chart, empty=not categories or not series)

    def set_pie(self, labels: Sequence[str], values: Sequence[float], *, title: str = "") -> None:
        """Slices labelled "label 12.5%"; zero slices are kept (a legend entry, no area)."""
        if len(labels) != len(values):
            raise ValueError(f"{len(labels)} labels for {len(values)} values")
        if any(v < 0 or math.isnan(v) for v in values):
            raise ValueError("a pie cannot show negative or missing values")
        chart = self._new_chart(title)
        pie = QPieSeries()
        total = float(sum(values))
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            share = value / total * 100 if total else 0.0
            s = pie.append(f"{label} {share:.1f}%", float(value))
            s.setColor(colour(i))
            s.setLabelVisible(share >= 3)  # thinner slices only in the legend
            s.setLabelFont(self._font(9))
        pie.setPieSize(0.7)
        chart.addSeries(pie)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        self._done("pie", chart, empty=total == 0)

    def clear(self) -> None:
        self._done("", self._new_chart(""), empty=False)

    # -- output -----------------------------------------------------------------------------
    def save_png(self, path: str | os.PathLike, size: QSize | None = None) -> bool:
        """The chart as a PNG; at `size` (e.g. QSize(1200, 700) for a report) or as shown."""
        if size is not None and size != self.size():
            old = self.size()
            self.resize(size)
            try:
                return self.grab().save(str(path), "PNG")
            finally:
                self.resize(old)
        return self.grab().save(str(path), "PNG")

    def chart(self) -> QChart:
        return self.view.chart()

    # -- helpers ----------------------------------------------------------------------------
    def _font(self, points: float, bold: bool = False) -> QFont:
        font = QFont(self.font())
        family = cjk_family()
        if family:
            font.setFamilies([family, *font.families()])
        font.setPointSizeF(points)
        font.setBold(bold)
        return font

    def _new_chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setTitle(title)
        chart.setTitleFont(self._font(11, bold=True))
        chart.legend().setFont(self._font(9))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(6, 6, 6, 6))
        chart.setBackgroundRoundness(0)
        return chart

    def _axes(self, chart: QChart, series_items, categories, series, value_title) -> None:
        x = QBarCategoryAxis()
        x.append([str(c) for c in categories])
        x.setLabelsFont(self._font(9))
        x.setTruncateLabels(False)
        if len(categories) >= ROTATE_LABELS_FROM:
            x.setLabelsAngle(-45)
        y = QValueAxis()
        y.setLabelsFont(self._font(9))
        y.setTitleText(value_title)
        y.setTitleFont(self._font(9))
        values = [float(v) for vs in series.values() for v in vs]
        low, high = min([0.0, *values]), max([0.0, *values])
        counts = all(v.is_integer() for v in values)
        if counts:
            high = max(high, 5.0)  # small counts still get whole-number ticks 0..5
        y.setRange(low, high if high > low else 1.0)
        y.applyNiceNumbers()
        y.setLabelFormat("%.0f" if counts else "%.1f")
        y.setLabelsVisible(bool(values))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for s in series_items:
            s.attachAxis(x)
            s.attachAxis(y)
        chart.legend().setVisible(len(series) > 1)

    def _done(self, kind: str, chart: QChart, *, empty: bool) -> None:
        old = self.view.chart()
        self.view.setChart(chart)  # the view takes the new chart; the old one is ours to drop
        if old is not None and old is not chart:
            old.deleteLater()
        self.kind = kind
        self.empty.setVisible(empty)
        self._place_empty()

    def _place_empty(self) -> None:
        self.empty.setGeometry(self.view.rect())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place_empty()


def _check_lengths(categories: Sequence[str], series: Mapping[str, Sequence[float]]) -> None:
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for "
                             f"{len(categories)} categories")
