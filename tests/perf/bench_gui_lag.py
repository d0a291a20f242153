"""The GUI thread while the real panels work on a large database: for each step (the
directory's last 7 days, scrolling pages, the three kinds of search, opening a record with
100 orders and 200 contacts) it prints the wall time until the rows are on screen and the
worst event-loop lag meanwhile (a 5 ms timer; target: the GUI thread never blocked more
than 50 ms). Offscreen, no CTI link.

    .venv/bin/python tests/perf/bench_gui_lag.py --url mysql+pymysql://root@127.0.0.1/agent_large

Run tests/perf/bench_record.py once first: it makes the customer with 100 orders.
BENCH_NO_GC_FREEZE=1 measures without the shell's gc.freeze() after start-up;
BENCH_AUTO_GC=1 without the app's GUI-thread collector (ui/collector.py), so garbage is
collected by whichever thread allocates, as Python does by default.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


async def pops(window, probe, callers: list[str], dialed: str) -> tuple[list[float], float]:
    """Screen-pops as the CTI bridge delivers them: call_ringing events into the real pop
    controller (lookup on a worker, record painted, one synchronous repaint). Returns each
    pop's event→painted time and the worst GUI lag meanwhile."""
    pop = window.features["call"].pop
    pop.pop_latencies_ms.clear()
    probe.reset()
    for i, caller in enumerate(callers):
        call = {"call_id": f"bench-{i}", "direction": "in", "caller": caller,
                "dialed": dialed, "group": "21", "state": "ringing"}
        pop.on_ringing({"call": call, "pop": {"caller": caller, "dialed": dialed,
                                              "group": "21", "queue_wait_s": 0}})
        while len(pop.pop_latencies_ms) <= i:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)  # calls ring seconds apart, not back to back
    return sorted(pop.pop_latencies_ms), probe.max_lag_ms


async def scenario(window, probe, heavy_id: int) -> list[tuple[str, float, float]]:
    from agent_app.services.customer_query import CustomerQuery

    sales = window.features["sales"]
    directory, record = sales.directory, sales.record
    out = []
    # the window's first second (lazy panels built, CJK font loaded for the first paint)
    # is start-up, measured on its own, not charged to the first query
    probe.reset()
    await asyncio.sleep(2.0)
    out.append(("start-up: first 2 s after show", 2000.0, probe.max_lag_ms))
    if not os.environ.get("BENCH_NO_GC_FREEZE"):  # as the shell does after start-up
        from ui.collector import freeze_startup_objects
        freeze_startup_objects()

    async def step(name, coro_fn, done=lambda: True):
        await asyncio.sleep(0.2)
        probe.reset()
        t = time.perf_counter()
        await coro_fn()
        while not done():
            await asyncio.sleep(0.001)
        window.repaint()
        out.append((name, (time.perf_counter() - t) * 1000, probe.max_lag_ms))

    await step("directory, last 7 days, first page",
               lambda: directory.model.reset(directory._directory_fetch(7)))

    async def scroll():
        for _ in range(5):
            directory.model.fetchMore()
            while directory.model.busy:
                await asyncio.sleep(0.001)
    await step("directory, 5 more pages", scroll)
    for label, field, text in (("A name prefix 王建", "name", "王建"),
                               ("A pinyin initials wjg", "name", "wjg"),
                               ("A phone prefix 1380013", "phone", "1380013"),
                               ("B direct phone", "direct", "13800138000"),
                               ("C address contains 西湖", "address", "西湖")):
        await step(f"search {label}", lambda f=field, x=text: directory.run_query(
            CustomerQuery(field=f, text=x)))
    await step("open record (100 orders, 200 contacts)",
               lambda: sales.open_customer(heavy_id),
               lambda: record.bundle is not None and record.bundle.customer.id == heavy_id)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1/agent_large")
    ap.add_argument("--login", default="1001")
    ap.add_argument("--pops", type=int, default=200, help="screen-pops to time (half known)")
    ap.add_argument("--switch-ms", type=float, default=0,
                    help="GIL switch interval to try (ms); 0: what the app sets")
    args = ap.parse_args()
    import qasync
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import func, select

    from agent_app.config import WorkstationSettings
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from db.models import Customer
    from ui.collector import GuiThreadCollector
    from ui.context import AppContext, Services
    from ui.main_window import MainWindow
    from ui.worker import DbRunner, LagProbe

    if args.switch_ms:
        sys.setswitchinterval(args.switch_ms / 1000)
    app = QApplication([])
    collector = None
    if not os.environ.get("BENCH_AUTO_GC"):  # as ui.app.main does
        collector = GuiThreadCollector(app)
        collector.start()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    db = Database.open(args.url)
    with db.reading() as s:
        heavy = s.scalar(select(Customer.id).where(Customer.name == "压测大客户").limit(1))
    if heavy is None:
        sys.exit("run tests/perf/bench_record.py first (it makes the 100-order customer)")
    actor = AccountService(db).authenticate(args.login, f"demo{args.login}").actor
    runner = DbRunner()
    ctx = AppContext(actor=actor, settings=WorkstationSettings(seat=""), runner=runner,
                     services=Services(db))
    window = MainWindow(ctx, database_label="bench")
    window.resize(1366, 768)
    window.show()
    probe = LagProbe(interval_ms=5)
    probe.start()
    results = loop.run_until_complete(scenario(window, probe, heavy))
    import random

    from db.models import CustomerPhone, DialedNumber
    rng = random.Random(7)
    with db.reading() as s:
        top = s.scalar(select(func.max(Customer.id)))
        known = []
        while len(known) < args.pops // 2:
            phone = s.scalar(select(CustomerPhone.phone).where(
                CustomerPhone.customer_id == rng.randint(1, top)).limit(1))
            if phone:
                known.append(phone)
        dialed = s.scalar(select(DialedNumber.digits).limit(1)) or "4006000000"
    unknown = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in range(args.pops // 2)]
    callers = known + unknown
    rng.shuffle(callers)
    times, lag = loop.run_until_complete(pops(window, probe, callers, dialed))
    q = lambda f: times[min(len(times) - 1, int(f * len(times)))]  # noqa: E731
    results.append((f"screen-pop x{len(times)}: p50 {q(.5):.1f} p95 {q(.95):.1f} "
                    f"p99 {q(.99):.1f} max {times[-1]:.1f}", q(.99), lag))
    for name, ms, lag in results:
        print(f"{name:42s} {ms:8.1f} ms   worst GUI lag {lag:5.1f} ms")
    print("(screen-pop row: event into the pop controller → record painted; the ms column "
          "is its p99, target ≤ 50 ms)")
    print(f"worst GUI-thread lag over the work steps: {max(r[2] for r in results[1:]):.1f} ms "
          "(target ≤ 50 ms); start-up apart")
    if collector is not None:
        print(f"longest collection on the GUI thread: {collector.max_pause_ms:.1f} ms")
    window.close()
    runner.shutdown()
    db.dispose()


if __name__ == "__main__":
    main()
