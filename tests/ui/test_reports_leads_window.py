"""进线销售统计's window: the chart follows the 统计方式 (by) chosen — leads and orders per
time slot, quantity per product (ReportDef.chart_for)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from db.models import CallRecord, Customer, OrderLine, Product, SalesOrder, Variety
from tests.ui.helpers import run, until


def test_the_inbound_sales_chart_follows_by(sales_window, aloop, sqlite_db, english):
    at = dt.datetime(2026, 3, 3, 10, 5, tzinfo=SITE_ZONE)
    with sqlite_db.transaction() as s:
        v = Variety(name="眼保姆")
        s.add(v)
        s.flush()
        p = Product(code="P1", name="眼保姆护眼仪", specification="EB-3", variety_id=v.id,
                    unit="台", short_code="YBM", retail_price=Decimal("398"))
        c = Customer(registration_no="R1", name="王芳")
        s.add_all([p, c])
        s.flush()
        s.add(CallRecord(call_id="x1", direction="in", caller="13900000000",
                         dialed="4006000000", queued_at=at, answered_at=at,
                         end_cause="answered"))
        s.add(SalesOrder(order_no="2603030001", customer_id=c.id, created_at=at,
                         total=Decimal("796"),
                         lines=[OrderLine(line_no=1, product_id=p.id, quantity=2,
                                          unit_price=Decimal("398"))]))
    w = sales_window()
    panel = w.panel("statistics.inbound_sales")
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    def counted(by: str):
        box = panel.param_boxes["by"]
        box.setCurrentIndex(box.findData(by))

        async def go():
            panel.loaded = False
            panel.refresh()
            await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
        run(aloop, go())
        series = panel.chart.chart().series()
        categories = panel.chart.chart().axes()[0].categories()
        if panel.chart.kind == "line":  # the day's half hours: one line per figure
            return (panel.chart.kind, [x.name() for x in series], categories,
                    [x.at(0).y() for x in series])
        (bars,) = series
        return (panel.chart.kind, [b.label() for b in bars.barSets()], categories,
                [b.at(0) for b in bars.barSets()])

    assert counted("slot") == ("line", ["Leads", "Orders"], ["10:00-10:30"], [1.0, 1.0])
    assert counted("product") == ("bar", ["Quantity"], ["眼保姆护眼仪 EB-3"], [2.0])
    assert [c[0] for c in panel.table()[0]] == ["Product", "Orders", "Quantity", "Amount"]
