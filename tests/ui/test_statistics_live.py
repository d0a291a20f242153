"""A live report (ReportDef.live: 广告响应, 响应曲线) re-runs itself on a timer while its
window is shown and its period includes today; never before the user ran it, never over
a run in flight, never for a past period; other reports have no timer."""
from __future__ import annotations

import datetime as dt

from agent_app.services.customers import SITE_ZONE
from db.models import CallRecord, Medium, Placement, Variety
from tests.ui.helpers import idle, run, until
from ui.kit.formats import site_today_qdate
from ui.statistics.window import DefinedReport


def _placement_today(db) -> tuple[int, dt.datetime]:
    today = site_today_qdate().toPython()
    with db.transaction() as s:
        m, v = Medium(type="电视", name="央视二套"), Variety(name="眼保姆")
        s.add_all([m, v])
        s.flush()
        p = Placement(medium_id=m.id, variety_id=v.id, air_date=today,
                      start_time=dt.time(0, 0), length_s=60)
        s.add(p)
        s.flush()
        return p.id, dt.datetime.combine(today, dt.time(0, 0), SITE_ZONE)


def _lead(db, n: int, placement_id: int, at: dt.datetime) -> None:
    with db.transaction() as s:
        s.add(CallRecord(call_id=f"live{n}", direction="in", caller="13900000000",
                         queued_at=at, placement_id=placement_id))


def test_a_live_report_reruns_on_its_timer(sales_window, sqlite_db, aloop, monkeypatch,
                                           english):
    monkeypatch.setattr(DefinedReport, "live_interval_ms", 20)  # injected: no 60 s wait
    pid, air = _placement_today(sqlite_db)
    _lead(sqlite_db, 1, pid, air + dt.timedelta(seconds=1))
    w = sales_window()
    runner = w.ctx.runner
    assert w.panel("statistics.daily_calls").live_timer is None  # not a live report
    panel = w.panel("statistics.advert_response")
    assert panel.live_timer.isActive() and panel.live_timer.interval() == 20
    ran = []
    real_refresh = panel.refresh
    monkeypatch.setattr(panel, "refresh", lambda: (ran.append(1), real_refresh()))

    # all of it with the qasync loop running, as on the desk: the runner needs a running
    # asyncio loop (qtbot.waitUntil spins only Qt's events), and a task the timer starts
    # must not be left half-run between two loop runs; until() polls, no fixed sleep
    async def live():
        await until(lambda: runner.in_flight == 0)
        panel.live_tick()
        assert ran == []  # never run yet: the timer does not start a report nobody asked for
        real_refresh()
        await until(lambda: panel.loaded and runner.in_flight == 0
                    and panel.run_button.isEnabled())
        assert [r.calls for r in panel.rows] == [1]

        # a new lead: the timer's next ordinary refresh shows it
        _lead(sqlite_db, 2, pid, air + dt.timedelta(seconds=2))
        await until(lambda: [r.calls for r in panel.rows] == [2])
        assert ran  # through the timer, not by hand
        # the rest calls the tick by hand: stop the timer, let the runs it started finish
        panel.live_timer.stop()
        await idle(runner)

        # no refresh while one is in flight (the run button is off while counting)
        ran.clear()
        panel.run_button.setEnabled(False)
        panel.live_tick()
        assert ran == []
        panel.run_button.setEnabled(True)

        # a past period does not change: no refresh
        today = site_today_qdate()
        panel.date_from.setDate(today.addDays(-10))
        panel.date_to.setDate(today.addDays(-1))
        panel.live_tick()
        assert ran == []

        # hidden: no refresh; shown again with today in the period: refreshed
        panel.date_to.setDate(today)
        panel.hide()
        panel.live_tick()
        assert ran == []
        panel.show()
        panel.live_tick()
        assert ran == [1]
        await idle(runner)
        assert panel.run_button.isEnabled() and [r.calls for r in panel.rows] == [2]

    run(aloop, live())


def test_the_curve_is_live_too(sales_window, english):
    w = sales_window()
    panel = w.panel("statistics.advert_curve")
    # the real interval: a minute
    assert panel.live_timer.isActive() and panel.live_timer.interval() == 60_000
