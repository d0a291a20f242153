"""The one way UI code reaches the database: service calls on worker threads, awaited on
the qasync loop. The GUI thread never waits on MySQL.

    rows = await ctx.runner.call(ctx.customers.search, ctx.actor, query)

A lag probe measures how late the event loop runs its timers and logs
"blocked main thread for N ms" past 200 ms, as Anki does; tests read `max_lag_ms`.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long a thread running Python keeps the GIL while another waits for it. The GUI
# thread needs the GIL for each Python slot, timer and event filter it runs; at CPython's
# default (5 ms) every one of them could wait 5 ms for a worker writing an Excel file or
# reading rows, and a repaint that calls into Python a few dozen times stood still: the
# GUI thread's worst tick while 10,000 rows were written was 97-271 ms late in 8 runs
# (tests/ui/test_kit_export.py), 2-4 ms at 0.5 ms. A worker alone runs as fast either way:
# the interval only matters while another thread asks for the GIL.
GIL_SWITCH_S = 0.0005


def share_the_gil() -> None:
    """Let the GUI thread take the GIL from a busy worker within GIL_SWITCH_S. Once, at
    start-up (agent-app, and the tests' QApplication)."""
    sys.setswitchinterval(GIL_SWITCH_S)


class DbRunner:
    """A small thread pool for blocking service calls (SQLAlchemy, file I/O)."""

    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="db")
        self.in_flight = 0

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        self.in_flight += 1
        try:
            return await loop.run_in_executor(self._pool, functools.partial(_run, fn, args, kwargs))
        finally:
            self.in_flight -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _run(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    try:
        return fn(*args, **kwargs)
    except BaseException as exc:
        drop_locals(exc)
        raise


def drop_locals(exc: BaseException) -> None:
    """Clear the local variables of the finished frames in `exc`'s traceback and in those
    of the exceptions it was raised from. A failed call's exception is kept by the panel
    that shows it, and its traceback keeps every frame, with their locals, alive: a year
    of 销售出库导出 stopped at the time limit kept its 900,000 half-built rows, freed only
    by the next full collection, 207 ms later on the GUI thread. Cleared here, on the
    worker, they are freed by reference counting as the frames unwind. The traceback's
    text (files, lines) stays for the log and the crash dialog."""
    stack, seen = [exc], set()
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        traceback.clear_frames(e.__traceback__)  # an executing frame is left as it is
        stack += [e.__cause__, e.__context__]


class LagProbe(QObject):
    """Schedules a timer every `interval_ms` and records how late it fires."""

    WARN_MS = 200

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.max_lag_ms = 0.0
        self.samples: list[float] = []
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self.max_lag_ms = 0.0
        self.samples.clear()

    def _tick(self) -> None:
        now = time.perf_counter()
        lag = max(0.0, (now - self._last) * 1000 - self.interval_ms)
        self._last = now
        self.samples.append(lag)
        if len(self.samples) > 10_000:
            del self.samples[:5_000]
        self.max_lag_ms = max(self.max_lag_ms, lag)
        if lag > self.WARN_MS:
            log.info("blocked main thread for %.0f ms", lag)
