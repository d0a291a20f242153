"""The generic report window (ui/statistics/window.py): the manual's 年 + 周/月/季 picker
sets 从/到, the report's params and group reach the service, and the 标题 tick decides
the Excel title row."""
from __future__ import annotations

import datetime as dt

import openpyxl
from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from tests.ui.helpers import run, until
from tests.ui.test_kit_report import call


def _period(panel) -> tuple[dt.date, dt.date]:
    return panel.period()


def test_the_year_and_number_pick_the_period(sales_window, english):
    panel = sales_window().panel("statistics.daily_calls")
    grain = panel.param_boxes["grain"]
    grain.setCurrentIndex(grain.findData("week"))
    panel.year_spin.setValue(2026)
    panel.number_spin.setValue(53)  # 2026 has an ISO week 53
    assert _period(panel) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    panel.year_spin.setValue(2025)  # 2025 has not: the dates stay, a message says why
    assert _period(panel) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    assert panel.status.text() == "That year has no such week."
    grain.setCurrentIndex(grain.findData("quarter"))
    assert panel.number_spin.maximum() == 4
    panel.number_spin.setValue(4)
    assert _period(panel) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    grain.setCurrentIndex(grain.findData("month"))
    panel.number_spin.setValue(2)
    assert _period(panel) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    grain.setCurrentIndex(grain.findData("year"))
    assert not panel.number_spin.isEnabled()
    assert _period(panel) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_params_group_and_the_title_row(sales_window, aloop, sqlite_db, qtbot, tmp_path,
                                        english):
    from sqlalchemy import update

    from db.models import CallRecord
    day = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    for n in range(6):  # 3 in group 21 on 3 March, 3 in group 22 on 10 March
        call(sqlite_db, n, day + dt.timedelta(days=7 * (n // 3)))
    with sqlite_db.transaction() as s:
        s.execute(update(CallRecord).where(CallRecord.call_id.in_(["r3", "r4", "r5"]))
                  .values(group_number="22"))
    w = sales_window()
    panel = w.panel("statistics.daily_calls")
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))
    grain = panel.param_boxes["grain"]
    grain.setCurrentIndex(grain.findData("month"))
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))
    panel.group_edit.setText("22")

    async def counted():
        panel.loaded = False
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    run(aloop, counted())
    assert [(r.period, r.inbound) for r in panel.rows] == [("2026-03", 3)]
    assert "Report Monthly" in panel.filters_text() and "22" in panel.filters_text()

    panel.title_row.setChecked(False)
    export = panel.export()
    export.dialog.reject()
    with qtbot.waitSignal(export.succeeded, timeout=10_000):
        export.start(str(tmp_path / "plain.xlsx"))
    sheet = list(openpyxl.load_workbook(tmp_path / "plain.xlsx").active.iter_rows(values_only=True))
    assert sheet[0][:2] == ("Period", "Inbound") and sheet[1][:2] == ("2026-03", 3)


def test_a_report_past_the_time_limit_says_so_and_can_run_again(sales_window, aloop,
                                                                monkeypatch, english):
    """Not "Cannot reach the database": the server stopped it, the user picks less."""
    import dataclasses

    from sqlalchemy import text

    from agent_app.reports import REPORTS
    monkeypatch.setattr("agent_app.services.reports.TIME_LIMIT_S", 0.2)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    quick = REPORTS["daily-calls"]
    monkeypatch.setitem(REPORTS, "daily-calls", dataclasses.replace(
        quick, compute=lambda s, q: s.execute(text(slow)).all()))
    w = sales_window()
    panel = w.panel("statistics.daily_calls")

    async def counted():
        panel.refresh()
        await until(lambda: not panel.__dict__.get("_tasks"))  # the count has ended
    run(aloop, counted())
    assert panel.status.text() == ("The report took longer than 0.2 seconds and was stopped. "
                                   "Choose a shorter period or one group, then run it again.")
    assert not panel.loaded and panel.run_button.isEnabled()
    REPORTS["daily-calls"] = quick  # the user chose less: it runs, and the message goes
    run(aloop, counted())
    assert panel.loaded and panel.status.text() == "0 rows."


def test_a_report_opens_with_two_thirds_of_the_height(sales_window, qtbot):
    """At 1366×768 the report's dock group takes 2/3 of the window's height (the call
    console keeps the rest), so the table shows more than the ten rows of an even split;
    the console is not hidden."""
    w = sales_window()
    console = w.panel("call.console")
    panel = w.panel("statistics.region_lead_sales")
    # (the group's 2/3 less its tab bar and title; Qt's even split gave the panel 0.49)
    qtbot.waitUntil(lambda: panel.height() >= 0.55 * w.height(), timeout=5_000)
    assert console.isVisible() and console.height() >= 180


def test_the_chart_sums_a_category_and_keeps_the_largest_in_order():
    from agent_app.reports import ChartSpec, Row
    from ui.statistics.window import chart_data

    rows = [Row(who="李娜", a=1, b=2), Row(who="张伟", a=5, b=0), Row(who="李娜", a=3, b=1),
            Row(who="刘芳", a=2, b=7), Row(who=None, a=1, b=1)]
    assert chart_data(rows, ChartSpec("bar", "who", ("a", "b"))) == (
        ["李娜", "张伟", "刘芳", ""], [[4, 5, 2, 1], [3, 0, 7, 1]])
    # two bars allowed: the two largest by the first series, in the report's order
    assert chart_data(rows, ChartSpec("bar", "who", ("a", "b"), limit=2)) == (
        ["李娜", "张伟"], [[4, 5], [3, 0]])


def test_the_rows_are_made_ready_and_charted_on_the_worker(sales_window, aloop, sqlite_db,
                                                          monkeypatch):
    """The GUI thread only shows a result: the chart's sums over its rows (35 ms of a
    17,520-row result) are made on the worker with the rows."""
    import threading

    from ui.statistics import window as W
    threads = []
    real = W.chart_data

    def spy(rows, spec):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(rows, spec)
    monkeypatch.setattr(W, "chart_data", spy)
    day = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    for n in range(4):
        call(sqlite_db, n, day + dt.timedelta(days=n))
    w = sales_window()
    panel = w.panel("statistics.daily_calls")
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    async def counted():
        panel.loaded = False
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    threads.clear()
    run(aloop, counted())
    assert threads == [False]  # summed once, on the worker
    assert panel.chart.isVisible() and sum(r.inbound for r in panel.rows) == 4
