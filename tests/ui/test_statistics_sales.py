"""销售统计表 in the desk: the generic report window shows the service's figures."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from agent_app.services.reports import ReportService
from tests.ui.helpers import run, until


def orders(db) -> None:
    """Three sellers' orders in March 2026 (one cancelled, left out), two products."""
    from sqlalchemy import select

    from db.models import Customer, Employee, OrderLine, Product, SalesOrder, Variety

    with db.transaction() as s:
        emp = {e.login: e.id for e in s.scalars(select(Employee))}
        v = Variety(name="测试品种")
        s.add(v)
        s.flush()
        p1 = Product(code="T1", name="眼保姆", specification="豪华版", variety_id=v.id,
                     unit="台", short_code="T1", retail_price=Decimal("398.00"))
        p2 = Product(code="T2", name="护目贴", specification="", variety_id=v.id,
                     unit="盒", short_code="T2", retail_price=Decimal("58.50"))
        c = Customer(registration_no="RT1", name="张三")
        s.add_all([p1, p2, c])
        s.flush()
        day = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
        plan = [("0001", "accepted", [(p1, 2)]), ("1001", "in_transit", [(p1, 1), (p2, 3)]),
                ("1002", "accepted", [(p2, 1)]), ("1001", "cancelled", [(p1, 9)])]
        for n, (login, status, lines) in enumerate(plan):
            so = SalesOrder(order_no=f"26030300{n:02d}", customer_id=c.id,
                            employee_id=emp[login], created_at=day + dt.timedelta(hours=n),
                            status=status,
                            total=sum((p.retail_price * q for p, q in lines), Decimal("0")))
            so.lines = [OrderLine(line_no=i, product_id=p.id, unit_price=p.retail_price,
                                  quantity=q) for i, (p, q) in enumerate(lines, 1)]
            s.add(so)


def test_the_sales_summary_window_shows_the_ranking(sales_window, aloop, sqlite_db, accounts,
                                                     english):
    admin = accounts.authenticate("0001", "admin123").actor
    accounts.add_employee(admin, login="1002", name="张伟", role="operator",
                          password="pass1234", department="回访部",
                          must_change_password=False)
    orders(sqlite_db)
    expected = ReportService(sqlite_db).run(admin, "sales-summary", dt.date(2026, 3, 1),
                                            dt.date(2026, 3, 31), {"by": "ranking"})
    assert len(expected.rows) == 3  # the data has a ranking to show

    w = sales_window()
    panel = w.panel("statistics.sales_summary")
    box = panel.param_boxes["by"]
    box.setCurrentIndex(box.findData("ranking"))
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    async def counted():
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    run(aloop, counted())
    columns, rows = panel.table()
    assert columns == [("Rank", "int"), ("Seller", "text"), ("Amount", "money"),
                       ("Share", "percent")]
    assert rows == [(r.rank, r.seller, r.amount, r.share) for r in expected.rows]
    # 王明辉 2 × 398 = 796 ahead of 李娜 398 + 3 × 58.50 = 573.50 and 张伟 58.50
    assert [r[:3] for r in rows] == [(1, "王明辉", Decimal("796.00")),
                                     (2, "李娜", Decimal("573.50")), (3, "张伟", Decimal("58.50"))]
    assert panel.totals(panel.rows) == ("Total", None, Decimal("1428.00"), 1.0)
    assert expected.total["amount"] == Decimal("1428.00")
    assert panel.chart.isVisible()
