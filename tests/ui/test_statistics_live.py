"""A live report (ReportDef.live: 广告响应, 响应曲线) re-runs itself on a timer while its
window is shown and its period includes today; never before the user ran it, never over
a run in flight, never for a past period; other reports have no timer."""
from __future__ import annotations

import datetime as dt

from agent_app.services.customers import SITE_ZONE
from db.models import CallRecord, Medium, Placement, Variety
from tests.ui.helpers import run, until
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
    def wait(pred) -> None:
        # the desk's runner needs the qasync loop running (qtbot.waitUntil only spins Qt
        # events, and the worker's call then finds no running asyncio loop): the tests'
        # until() polls the condition with the loop running, no fixed sleep
        run(aloop, until(pred))

    monkeypatch.setattr(DefinedReport, "live_interval_ms", 20)  # injected: no 60 s wait
    pid, air = _placement_today(sqlite_db)
    _lead(sqlite_db, 1, pid, air + dt.timedelta(seconds=1))
    w = sales_window()
    assert w.panel("statistics.daily_calls").live_timer is None  # not a live report
    panel = w.panel("statistics.advert_response")
    assert panel.live_timer.isActive() and panel.live_timer.interval() == 20
    runner = w.ctx.runner

    ran = []
    real_refresh = panel.refresh
    monkeypatch.setattr(panel, "refresh", lambda: (ran.append(1), real_refresh()))
    panel.live_tick()
    assert ran == []  # never run yet: the timer does not start a report nobody asked for

    real_refresh()
    wait(lambda: panel.loaded and runner.in_flight == 0 and panel.run_button.isEnabled())
    assert [r.calls for r in panel.rows] == [1]

    # a new lead: the timer's next ordinary refresh shows it
    _lead(sqlite_db, 2, pid, air + dt.timedelta(seconds=2))
    wait(lambda: [r.calls for r in panel.rows] == [2])
    assert ran  # through the timer, not by hand
    wait(lambda: runner.in_flight == 0 and panel.run_button.isEnabled())

    # no refresh while one is in flight (the run button is off while counting)
    panel.live_timer.stop()
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
    wait(lambda: runner.in_flight == 0 and panel.run_button.isEnabled())


def test_the_curve_is_live_too(sales_window, english):
    w = sales_window()
    panel = w.panel("statistics.advert_curve")
    # the real interval: a minute
    assert panel.live_timer.isActive() and panel.live_timer.interval() == 60_000
