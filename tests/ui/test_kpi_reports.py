"""The KPI reports in the generic report window: params, table, totals and chart."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from db.models import AgentStateLog, CallRecord
from tests.ui.helpers import run, until


def test_kpi_reports_render_in_the_report_window(sales_window, aloop, sqlite_db, english):
    at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SITE_ZONE)
    with sqlite_db.transaction() as s:
        s.add(CallRecord(call_id="k1", direction="in", caller="13900000000",
                         dialed="4006000000", group_number="21", agent_login="1001",
                         queued_at=at, answered_at=at + dt.timedelta(seconds=4),
                         ended_at=at + dt.timedelta(seconds=64), talk_s=60.0,
                         end_cause="answered"))
        for off, state, reason in ((0, "busy", ""), (60, "ready", ""), (120, "busy", "lunch"),
                                   (600, "logged_out", "logout")):
            s.add(AgentStateLog(at=at + dt.timedelta(seconds=off), agent_login="1001",
                                seat="8001", state=state, reason=reason, groups="21"))
    w = sales_window()
    for action, params, rows_text in (
            ("statistics.kpi_intervals", {"interval": "15", "by": "agent"}, "1 row."),
            ("statistics.hold_time", {}, "25 rows."),
            ("statistics.agent_states", {"detail": "states"}, "1 row."),
            ("statistics.agent_states", {"detail": "busy-reasons"}, "2 rows.")):
        panel = w.panel(action)
        panel.date_from.setDate(QDate(2026, 3, 3))
        panel.date_to.setDate(QDate(2026, 3, 3))
        for name, value in params.items():
            box = panel.param_boxes[name]
            box.setCurrentIndex(box.findData(value))

        async def counted(panel=panel, rows_text=rows_text):
            panel.refresh()
            await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0
                        and panel.status.text() == rows_text)
        run(aloop, counted())
        assert panel.status.text() == rows_text, (action, panel.status.text())
        assert panel.chart.isVisible()
        columns, rows = panel.table()
        if action == "statistics.kpi_intervals":
            first = dict(zip([c[0] for c in columns], rows[0], strict=True))
            assert first["Offered"] == 1 and first["Service level"] == 1.0
            assert first["ASA"] == 4 and first["Ready"] == 60 and first["Occupancy"] == 0.5
        if params.get("detail") == "busy-reasons":
            assert sorted(r[2] for r in rows) == ["", "lunch"]
