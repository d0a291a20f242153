"""Run by tests/ui/test_collector.py in a process of its own (the bad case segfaults):
closed qasync loops become garbage, a worker thread then allocates past the collector's
threshold, and the GUI thread runs an event loop.

    python collector_probe.py off     automatic collection (it runs on the worker)
    python collector_probe.py on      ui.collector.GuiThreadCollector
    python collector_probe.py closed  automatic collection, the loops closed by
                                      ui.collector.close_loop (their timers deleted)

Prints "loop timers alive: N" and "survived" when it gets that far."""
from __future__ import annotations

import asyncio
import gc
import sys
import threading
import weakref

import qasync
from PySide6.QtWidgets import QApplication


def closed_loop(app, mode: str) -> weakref.ref:
    """A qasync loop run and closed with a call_later still pending, so its timer
    QObject holds a live Qt timer (unless close_loop deleted it); the loop is cyclic
    garbage once this returns."""
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.call_later(0.1, lambda: None)  # due while the last loop runs
    loop.run_until_complete(asyncio.sleep(0.01))
    asyncio.set_event_loop(None)
    if mode == "closed":
        from ui.collector import close_loop
        close_loop(loop)
    else:
        loop.close()
    return weakref.ref(loop._timer)


def main(mode: str) -> None:
    try:  # the bad case segfaults: no core file in the developer's tree
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    app = QApplication([])
    gc.disable()  # the loops stay garbage until the worker runs
    timers = [closed_loop(app, mode) for _ in range(10)]
    if mode == "on":
        from ui.collector import GuiThreadCollector
        GuiThreadCollector(app, interval_ms=50).start()

    def allocate():  # a worker reading rows: many small containers, some in cycles
        if mode in ("off", "closed"):
            # automatic collection back on here, so this thread allocates first (the
            # GUI thread waits in join) and the first collection runs on it
            gc.enable()
        for _ in range(50_000):
            a: list = []
            a.append(a)
    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.run_until_complete(asyncio.sleep(0.3))
    print("loop timers alive:", sum(t() is not None for t in timers), flush=True)
    print("survived", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
