"""客户资料数统计 in the generic report window: the chart follows the chosen grouping
(a pie for the few classes, bars for the many regions)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import QBarSeries, QPieSeries
from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from db.models import Customer, Region
from tests.ui.helpers import run, until


def test_customer_counts_chart_follows_the_grouping(sales_window, aloop, sqlite_db, english):
    at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    with sqlite_db.transaction() as s:
        region = Region(name="杭州市")
        s.add(region)
        s.flush()
        for n, cls in enumerate("AABC"):
            s.add(Customer(registration_no=f"W{n}", name=f"客户{n}", customer_class=cls,
                           region_id=region.id if n else None, registered_at=at))
    w = sales_window()
    panel = w.panel("statistics.customer_counts")
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    async def counted(status: str):
        panel.refresh()
        await until(lambda: panel.status.text() == status and w.ctx.runner.in_flight == 0)

    run(aloop, counted("3 rows."))
    (pie,) = panel.chart.chart().series()
    assert isinstance(pie, QPieSeries) and [sl.value() for sl in pie.slices()] == [2, 1, 1]
    box = panel.param_boxes["by"]
    box.setCurrentIndex(box.findData("region"))
    run(aloop, counted("2 rows."))
    (bars,) = panel.chart.chart().series()
    assert isinstance(bars, QBarSeries)
    _, rows = panel.table()
    assert sorted((r[0], r[2]) for r in rows) == [("No region", 1), ("杭州市", 3)]
