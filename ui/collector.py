"""Python's cyclic garbage collector runs on the GUI thread only.

Left to itself the collector runs in whichever thread allocates past its threshold,
which in this app is usually a DbRunner worker reading rows. When the garbage it finds
holds a Qt object that lives on the GUI thread (a closed dialog's timer, a finished
qasync loop's timer), that object's destructor then runs on the worker: Qt warns
"QObject::~QObject: Timers cannot be stopped from another thread", leaves the timer
registered, and the GUI thread later delivers a timer event to freed memory (a
segfault; tests/ui/test_collector.py reproduces it). pyqtgraph and Anki do the same as
this module: automatic collection off, the GUI thread collects on a timer, by the same
thresholds the interpreter would use.
"""
from __future__ import annotations

import gc
import logging
import sys
import time

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects, generation by generation, from a
    timer on the thread that made it (the GUI thread)."""

    INTERVAL_MS = 500
    SLOW_MS = 50   # a collection this long is logged: it is GUI-thread lag
    # CPython collects the oldest generation only once the objects that reached it since
    # its last full collection number a quarter of those that collection kept: a full
    # collection walks every object, so a big heap is walked rarely. gc.collect(2) skips
    # that rule, and checking by thresholds alone walked the whole heap every half second
    # while a worker built a report's rows (161 ms on the GUI thread each time, a year of
    # 销售出库导出). The heap's size is read as sys.getallocatedblocks() (0.6 ms with six
    # million blocks; counting gc.get_objects(2) took 70 ms).
    FULL_GROWTH = 1.25

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = False
        self.max_pause_ms = 0.0
        self._blocks_after_full = 0  # the heap after the last full collection

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self.active:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect what is left, here, and give the collector back as it was."""
        if not self.active:
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def check(self) -> int:
        """Collect the youngest generations whose counts passed their thresholds (as the
        interpreter would have done at its next allocation); returns the objects freed."""
        counts, limits = gc.get_count(), gc.get_threshold()
        generation = -1
        for gen in range(3):
            if counts[gen] <= limits[gen]:
                break
            generation = gen
        if generation < 0:
            return 0
        if generation == 2 and sys.getallocatedblocks() < self._blocks_after_full * self.FULL_GROWTH:
            generation = 1  # as CPython does: the middle one, and the oldest can wait
        start = time.perf_counter()
        freed = gc.collect(generation)
        pause = (time.perf_counter() - start) * 1000
        if generation == 2:
            self._blocks_after_full = sys.getallocatedblocks()
        self.max_pause_ms = max(self.max_pause_ms, pause)
        if pause > self.SLOW_MS:
            log.info("garbage collection of generation %d took %.0f ms", generation, pause)
        return freed


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, the window's Qt wrappers, mappers)
    out of the collector's reach. Without it a full collection walks those objects and
    the GUI thread stands still for ~100 ms (tests/perf/bench_gui_lag.py: paging lag
    101-111 ms before, 15-16 ms after)."""
    gc.collect()
    gc.freeze()


def close_loop(loop) -> None:
    """Close a qasync event loop and delete its timer object now, on this (the GUI) thread.

    qasync's close only marks its timer object stopped: every call_later still pending
    (a cancelled timeout, a sleep of a task that never finished) stays registered with
    Qt until it fires. The closed loop is cyclic garbage, and whichever thread frees it
    decides the timer object's fate: freed on another thread, its timers stay registered
    and Qt later fires one on freed memory (a segfault in QTimerInfoList::activateTimers,
    seen in the UI tests, which close a loop per test). Deleted here, its timers go with
    it. The desk itself closes its one loop only at exit."""
    from shiboken6 import delete, isValid

    loop.close()
    timer = getattr(loop, "_timer", None)
    if timer is not None and isValid(timer):
        delete(timer)
