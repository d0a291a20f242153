"""Benchmark: 统计分析 on the large demo database (MariaDB, stock buffer pool).

1. Every report through ReportService, for the last month and the last year of the data
   (3 runs each: the first, cold, and the median of the rest), against the targets
   (a month ≤ 1 s, a year ≤ 3 s), and the cost of 1, 3 and 12 months (how it grows).
2. An Excel export of 100,000 order rows (sales-dispatch-export with the 联号 column):
   wall time and the process's peak memory (target ≤ 15 s, ≤ 200 MB), in a child process
   so the peak is the export's own.
3. The GUI thread: each report window opened in the real main window as supervisor 4001
   and run for the year, offscreen; the worst event-loop lag meanwhile (a 5 ms timer;
   target: never blocked more than 50 ms).

    .venv/bin/python tests/perf/bench_reports.py [--url mysql+pymysql://root@127.0.0.1/agent_large]
                                                 [--skip-gui] [--skip-export]
Not a pytest test: run it by hand; it prints its figures.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MONTH_S, YEAR_S = 1.0, 3.0
PERIODS = (31, 92, 365)
ONLY: list[str] = []


def last_day(db) -> dt.date:
    from sqlalchemy import func, select

    from agent_app.reports.period import as_utc, to_local
    from db.models import CallRecord
    with db.reading() as s:
        last = s.scalar(select(func.max(CallRecord.queued_at)))
    return to_local(as_utc(last)).date()


RUNS = 3


def timed(fn, runs: int | None = None) -> tuple[float, float, object]:
    runs = runs or RUNS
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:] or times), result


def service_figures(url: str) -> bool:
    from agent_app.cli.identity import SHELL
    from agent_app.errors import UserError
    from agent_app.reports import load_all
    from agent_app.services.reports import ReportService
    from db.engine import Database

    db = Database.open(url)
    svc = ReportService(db)
    end = last_day(db)
    ok = True
    print(f"data up to {end}; times in ms: cold / warm median")
    print(f"{'report':28} {'1 month':>16} {'3 months':>16} {'12 months':>16}  rows(12m)")
    names = ONLY or sorted(load_all())
    for name in names:
        cells = []
        rows = 0
        for days, target in ((31, MONTH_S), (92, None), (365, YEAR_S)):
            if days not in PERIODS:
                cells.append(f"{'-':>15}")
                continue
            try:
                cold, warm, result = timed(
                    lambda d=days, n=name: svc.run(SHELL, n, end - dt.timedelta(days=d - 1), end))
            except UserError as exc:  # stopped at the time limit (TooSlow, 25 s), or refused
                cells.append(f"{type(exc).__name__[:14]:>15}!")
                ok = False
                continue
            rows = len(result.rows)
            flag = "" if target is None or warm <= target else " !"
            ok &= not flag
            cells.append(f"{cold * 1000:7.0f} /{warm * 1000:6.0f}{flag}")
        print(f"{name:28} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}  {rows}")
    db.dispose()
    return ok


def export_child(url: str, out: str, days: int) -> None:
    """In a child process: run sales-dispatch-export and write the sheet; print JSON."""
    from agent_app.cli.identity import SHELL
    from agent_app.services.reports import ReportService
    from db.engine import Database

    db = Database.open(url)
    svc = ReportService(db)
    end = last_day(db)
    t = time.perf_counter()
    result = svc.run(SHELL, "sales-dispatch-export", end - dt.timedelta(days=days - 1), end,
                     {"waybill": "yes"})
    counted = time.perf_counter() - t
    n = svc.write_xlsx(SHELL, result, out)
    total = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": n, "count_s": counted, "total_s": total, "peak_mb": peak_mb,
                      "size_mb": os.path.getsize(out) / 1e6}))


def days_holding(url: str, orders: int) -> int:
    """The fewest last days of the data whose confirmed orders number at least `orders`
    (the export's rows: one per order that is not cancelled or voided)."""
    from sqlalchemy import func, select

    from agent_app.reports.period import bounds
    from agent_app.reports.sales import LEFT_OUT
    from db.engine import Database
    from db.models import SalesOrder

    db = Database.open(url)
    end = last_day(db)
    try:
        with db.reading() as s:
            for days in range(7, 366):
                start, stop = bounds(end - dt.timedelta(days=days - 1), end)
                n = s.scalar(select(func.count()).where(
                    SalesOrder.confirmed_at >= start, SalesOrder.confirmed_at < stop,
                    SalesOrder.confirmed.is_(True), SalesOrder.status.not_in(LEFT_OUT)))
                if n >= orders:
                    return days
        return 365
    finally:
        db.dispose()


def export_figures(url: str) -> bool:
    from agent_app.reports import load_all
    if "sales-dispatch-export" not in load_all():
        print("export: sales-dispatch-export is not defined; skipped")
        return True
    days = days_holding(url, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dispatch.xlsx")
        proc = subprocess.run([sys.executable, __file__, "--export-child", out,
                               "--days", str(days), "--url", url],
                              capture_output=True, text=True, check=False)
        if proc.returncode:  # stopped at the time limit, say: say so and go on
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"export over {days} days failed: {last} !")
            return False
        fig = json.loads(proc.stdout.strip().splitlines()[-1])
    ok = fig["total_s"] <= 15 and fig["peak_mb"] <= 200
    print(f"export of {fig['rows']:,} order rows ({days} days counted): count "
          f"{fig['count_s']:.1f} s, count + write {fig['total_s']:.1f} s, peak RSS "
          f"{fig['peak_mb']:.0f} MB, file {fig['size_mb']:.1f} MB  (targets 15 s, 200 MB)"
          f"{'' if ok else ' !'}")
    return ok


def gui_figures(url: str) -> bool:
    import qasync
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    from agent_app.config import WorkstationSettings
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from ui.collector import GuiThreadCollector
    from ui.context import AppContext, Services
    from ui.main_window import MainWindow
    from ui.statistics import FEATURE
    from ui.worker import DbRunner, LagProbe, share_the_gil

    app = QApplication([])
    collector = GuiThreadCollector(app)
    collector.start()
    share_the_gil()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    db = Database.open(url)
    end = last_day(db)
    actor = AccountService(db).authenticate("4001", "demo4001").actor
    ctx = AppContext(actor=actor, settings=WorkstationSettings(seat=""), runner=DbRunner(),
                     services=Services(db))
    window = MainWindow(ctx, database_label="bench")
    window.resize(1366, 768)
    window.show()
    probe = LagProbe(interval_ms=5)
    probe.start()

    async def go():
        out = []
        await asyncio.sleep(1.0)
        for entry in FEATURE.panels():
            if entry.permission is not None and not actor.can(entry.permission):
                continue
            if ONLY and entry.key.removeprefix("statistics.").replace("_", "-") not in ONLY:
                continue
            probe.reset()
            collector.max_pause_ms = 0.0
            t = time.perf_counter()
            panel = window.panel(entry.key)
            opened = (time.perf_counter() - t) * 1000     # building it, on the GUI thread
            panel.date_from.setDate(QDate(end - dt.timedelta(days=364)))
            panel.date_to.setDate(QDate(end))
            panel.loaded = False
            panel.refresh()
            # until the count has ended: shown, or stopped at the time limit (TooSlow)
            while panel.__dict__.get("_tasks") or ctx.runner.in_flight:
                await asyncio.sleep(0.002)
            window.repaint()
            out.append((entry.key, (time.perf_counter() - t) * 1000, opened, probe.max_lag_ms,
                        collector.max_pause_ms,
                        len(panel.rows) if panel.loaded else panel.status.text()))
            panel.close()
        return out

    results = loop.run_until_complete(go())
    print("report window, a year: wall ms / worst GUI lag ms (building the window; the "
          "longest garbage collection on the GUI thread) / rows")
    ok = True
    for key, wall, opened, lag, gc_ms, rows in results:
        flag = "" if lag <= 50 else " !"
        ok &= not flag
        print(f"  {key:40} {wall:7.0f} ms  lag {lag:5.1f} ms (build {opened:5.1f}, gc "
              f"{gc_ms:5.1f}){flag}  {rows}")
    db.dispose()
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1/agent_large")
    ap.add_argument("--skip-gui", action="store_true")
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--skip-service", action="store_true", help="only the export and GUI parts")
    ap.add_argument("--export-child")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3, help="runs per report and period")
    ap.add_argument("--no-quarter", action="store_true", help="skip the 3-month period")
    ap.add_argument("--report", action="append", default=[], help="only these reports")
    args = ap.parse_args()
    global RUNS, PERIODS
    RUNS = args.runs
    ONLY.extend(args.report)
    if args.no_quarter:
        PERIODS = (31, 365)
    if args.export_child:
        export_child(args.url, args.export_child, args.days)
        return
    ok = True if args.skip_service else service_figures(args.url)
    if not args.skip_export:
        ok &= export_figures(args.url)
    if not args.skip_gui:
        ok &= gui_figures(args.url)
    print("all targets met" if ok else "SOME TARGETS MISSED (!)")


if __name__ == "__main__":
    main()
