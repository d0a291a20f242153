"""ui/kit/chart.py: bar, line and pie charts with 0, 1 and many points, the pie's slices
equal the values, bad input changes nothing, and the PNG for reports."""
from __future__ import annotations

import pytest
from PySide6.QtCharts import QBarSeries, QLineSeries, QPieSeries
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage

from tests.ui.reports import REGIONS
from ui.kit.chart import PALETTE, ChartView


@pytest.fixture
def chart(qtbot, english):
    view = ChartView()
    view.resize(640, 400)
    qtbot.addWidget(view)
    view.show()
    return view


def data(n: int):
    categories = [f"{REGIONS[i % 7]}{i}" for i in range(n)]
    return categories, {"进线": [float(i * 3) for i in range(n)],
                        "成交": [float(i) for i in range(n)]}


@pytest.mark.parametrize("n", [0, 1, 40])
def test_bars_with_zero_one_and_many_categories(chart, n):
    categories, series = data(n)
    chart.set_bar(categories, series, title="各区域进线")
    (bars,) = chart.chart().series()
    assert isinstance(bars, QBarSeries) and chart.kind == "bar"
    assert [s.label() for s in bars.barSets()] == ["进线", "成交"]
    assert [bars.barSets()[0].at(i) for i in range(n)] == series["进线"]
    assert chart.chart().axes()[0].categories() == categories
    assert chart.empty.isVisible() == (n == 0)
    assert chart.chart().title() == "各区域进线"


@pytest.mark.parametrize("n", [0, 1, 40])
def test_lines_with_zero_one_and_many_points(chart, n):
    categories, series = data(n)
    chart.set_line(categories, series)
    lines = chart.chart().series()
    assert [type(s) for s in lines] == [QLineSeries, QLineSeries] and chart.kind == "line"
    assert [p.y() for p in lines[0].points()] == series["进线"]
    assert lines[0].pen().color() == QColor(PALETTE[0])
    assert chart.empty.isVisible() == (n == 0)


@pytest.mark.parametrize("values", [[], [5.0], [300.0, 120.0, 80.0, 0.0, 5.0]])
def test_the_pie_slices_equal_the_values(chart, values):
    labels = ["电视广告", "报纸", "网络", "广播", "户外"][:len(values)]
    chart.set_pie(labels, values, title="媒体进线占比")
    (pie,) = chart.chart().series()
    assert isinstance(pie, QPieSeries) and chart.kind == "pie"
    assert [s.value() for s in pie.slices()] == values
    assert [s.label().split(" ")[0] for s in pie.slices()] == labels
    assert chart.empty.isVisible() == (not values)


def test_bad_input_is_refused_and_changes_nothing(chart):
    chart.set_bar(["华东"], {"进线": [1]})
    before = chart.chart()
    with pytest.raises(ValueError, match="series '成交' has 1 values for 2 categories"):
        chart.set_bar(["华东", "华南"], {"进线": [1, 2], "成交": [1]})
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        chart.set_pie(["华东", "华南"], [1])
    with pytest.raises(ValueError, match="negative"):
        chart.set_pie(["华东", "华南"], [3, -1])
    assert chart.chart() is before and chart.kind == "bar"


def test_save_png_at_a_report_size(chart, tmp_path):
    chart.set_pie(["电视广告", "报纸"], [3, 1], title="媒体进线占比")
    path = tmp_path / "pie.png"
    assert chart.save_png(path, QSize(800, 500))
    image = QImage(str(path))
    assert image.size() == QSize(800, 500)
    assert chart.size() == QSize(640, 400)  # the widget on screen keeps its size
    colours = {image.pixel(x, y) for x in range(0, 800, 10) for y in range(0, 500, 10)}
    assert QColor(PALETTE[0]).rgb() in colours and QColor(PALETTE[1]).rgb() in colours
