"""ReportPanel, through the worked example of docs/architecture.md (来电日报): the period,
the query on a worker, the typed table, the chart, Excel and print, the run policy."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt

from agent_app.services.customers import SITE_ZONE
from db.models import CallRecord
from tests.ui.helpers import run, until
from ui.kit.printing import save_pdf


def call(db, n: int, at: dt.datetime, answered: bool = True, talk: float = 60.0) -> None:
    with db.transaction() as s:
        s.add(CallRecord(call_id=f"r{n}", direction="in", caller="13900000000",
                         dialed="4006000000", queued_at=at,
                         answered_at=at if answered else None,
                         talk_s=talk if answered else None,
                         end_cause="answered" if answered else "abandoned"))


def test_the_daily_calls_report(sales_window, aloop, sqlite_db, tmp_path, english):
    day = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    for n in range(9):  # 3 March: 9 calls, 6 answered; 4 March: 10 calls, all answered
        call(sqlite_db, n, day, answered=n % 3 != 0, talk=30)
    for n in range(10):
        call(sqlite_db, 100 + n, day + dt.timedelta(days=1), talk=90)
    w = sales_window()
    assert w.action("statistics.daily_calls").text() == "&Daily calls"
    panel = w.panel("statistics.daily_calls")
    assert not panel.export_button.isEnabled()  # nothing to export yet
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    async def counted():
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    run(aloop, counted())
    assert panel.status.text() == "2 rows."
    assert panel.chart.isVisible() and panel.export_button.isEnabled()
    # typed sort: 10 above 9 (as text "9" > "10"), the rate as a number
    panel.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    columns, rows = panel.table()
    assert [r[1] for r in rows] == [10, 9]
    assert columns[4] == ("Answer rate", "percent") and rows[1][4] == 6 / 9
    assert panel.view.model().index(1, 4).data() == "66.7%"
    assert panel.totals(panel.rows) == ("Total", 19, 16, 3, 16 / 19, (6 * 30 + 10 * 90) / 16)
    pages = save_pdf(tmp_path / "daily.pdf", panel.title(), panel.heading(), columns, rows,
                     totals=panel.totals(panel.rows))
    assert pages == 1 and (tmp_path / "daily.pdf").stat().st_size > 1000


def test_a_period_that_ends_before_it_starts_runs_nothing(sales_window, aloop):
    w = sales_window()
    panel = w.panel("statistics.daily_calls")
    panel.date_from.setDate(QDate(2026, 3, 9))
    panel.date_to.setDate(QDate(2026, 3, 1))
    panel.refresh()
    assert panel.status.text() == "The period ends before it starts."
    assert w.ctx.runner.in_flight == 0 and not panel.loaded


def test_without_the_statistics_permission_there_is_no_report(sales_window, aloop):
    """Without 统计 only the sales statistics (the manual): the menu is there, with the
    three sales reports and no other (not the dispatch export, not the call reports)."""
    w = sales_window("1001", "pass1234")
    assert set(w.registry_actions("statistics")) == {"media_sales", "sales_detail",
                                                     "sales_summary"}
    assert w.menu("statistics").menuAction() in w.menuBar().actions()
    shown = {a.text() for a in w.menu("statistics").actions() if not a.isSeparator()}
    assert shown == {a.text() for a in w.registry_actions("statistics").values()}


def _exports(db) -> list[tuple]:
    from sqlalchemy import select

    from db.models import AuditLog
    with db.reading() as s:
        return [(a.actor_login, a.target, a.detail["rows"]) for a in s.scalars(
            select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id))]


def _counted(w, aloop, panel):
    panel.date_from.setDate(QDate(2026, 3, 1))
    panel.date_to.setDate(QDate(2026, 3, 31))

    async def counted():
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    run(aloop, counted())


def test_a_report_export_is_checked_and_audited_by_the_core(sales_window, aloop, sqlite_db,
                                                            accounts, qtbot, tmp_path, english):
    from db.enums import Permission, Role

    day = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    for n in range(3):
        call(sqlite_db, n, day + dt.timedelta(days=n), talk=30)
    admin = accounts.authenticate("0001", "admin123").actor
    accounts.add_employee(admin, login="1003", name="刘芳", role=Role.OPERATOR,
                          password="pass1234", must_change_password=False,
                          permissions={Permission.STATISTICS})
    out = tmp_path / "out"
    out.mkdir()

    # statistics but not 导出: the button is there, the core refuses; no file, no audit row
    w = sales_window("1003", "pass1234")
    panel = w.panel("statistics.daily_calls")
    _counted(w, aloop, panel)
    export = panel.export()
    export.dialog.reject()
    with qtbot.waitSignal(export.failed, timeout=10_000) as failed:
        export.start(str(out / "daily.xlsx"))
    assert failed.args[0].startswith("You do not have permission")
    assert list(out.iterdir()) == [] and _exports(sqlite_db) == []

    # the super administrator: written, and audited with the report and its row count
    w = sales_window()
    panel = w.panel("statistics.daily_calls")
    _counted(w, aloop, panel)
    export = panel.export()
    export.dialog.reject()
    with qtbot.waitSignal(export.succeeded, timeout=10_000) as done:
        export.start(str(out / "daily.xlsx"))
    assert done.args == [str(out / "daily.xlsx"), 3]
    assert _exports(sqlite_db) == [("0001", "daily-calls", 3)]
