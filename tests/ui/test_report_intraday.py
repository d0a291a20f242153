"""日内排班 in the desk: the generic report window with its interval and goal choices, the
table and the needed-vs-staffed line chart."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate

from agent_app.services.customers import SITE_ZONE
from db.models import AgentStateLog, CallRecord
from tests.ui.helpers import run, until


def test_the_intraday_window(sales_window, aloop, sqlite_db, english):
    nine = dt.datetime(2026, 3, 3, 9, 0, tzinfo=SITE_ZONE)
    with sqlite_db.transaction() as s:
        for n in range(12):  # 12 calls 09:00-09:30, answered within 10 s, 120 s talk
            at = nine + dt.timedelta(minutes=2 * n)
            s.add(CallRecord(call_id=f"i{n}", direction="in", caller="13900000000",
                             dialed="4006000000", group_number="21", queued_at=at,
                             offered_at=at, answered_at=at + dt.timedelta(seconds=10),
                             wait_s=10, talk_s=120, end_cause="answered"))
        s.add(AgentStateLog(at=nine, agent_login="1001", state="ready", groups="21"))
        s.add(AgentStateLog(at=nine + dt.timedelta(minutes=45), agent_login="1001",
                            state="logged_out", groups=""))
    w = sales_window()
    assert w.action("statistics.intraday").text() == "&Intraday staffing"
    panel = w.panel("statistics.intraday")
    panel.date_from.setDate(QDate(2026, 3, 3))
    panel.date_to.setDate(QDate(2026, 3, 3))

    async def counted():
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0)
    run(aloop, counted())
    assert panel.status.text() == "2 rows."
    assert panel.chart.isVisible()
    columns, rows = panel.table()
    assert [c[0] for c in columns] == ["Interval", "Offered", "AHT", "Agents needed",
                                       "Agents staffed", "Gap", "Service level"]
    by_slot = {r[0]: r for r in rows}
    assert by_slot["09:00-09:30"][1] == 12 and by_slot["09:00-09:30"][4] == 1.0
    assert by_slot["09:30-10:00"][1] == 0 and by_slot["09:30-10:00"][4] == 0.5
