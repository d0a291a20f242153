"""Starting coroutines from the UI on the qasync loop: one policy for every panel.

Signals connect to plain methods that `spawn()` a coroutine: a task whose unexpected
error reaches sys.excepthook (the crash dialog) as soon as it ends, like qasync's
asyncSlot, without asyncSlot's Slot() signature (which would drop the arguments of a
Signal(int)). The task is kept referenced until it ends, so it is never collected
half-way and its error never waits for the garbage collector."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer

_running: set[asyncio.Task] = set()


def report_bug(exc: BaseException) -> None:
    """An unexpected error: to the crash dialog, now."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


def _finished(task: asyncio.Task) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        report_bug(exc)


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    task = asyncio.ensure_future(coro)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def loop_running() -> bool:
    """True while the qasync loop runs (always in the app; in tests Qt may deliver events
    between runs, when a coroutine must not be started)."""
    try:
        asyncio.get_running_loop()  # never creates a loop (get_event_loop() would)
    except RuntimeError:
        return False
    return True


def start_soon(receiver: QObject, slot: Callable[[], object]) -> None:
    """Start a panel's first load. In the program the qasync loop always runs; a window
    built outside a running loop (some tests) tries once more from the Qt event queue,
    then leaves loading to the panel's Refresh button."""
    if loop_running():
        slot()
    else:
        QTimer.singleShot(0, receiver, lambda: slot() if loop_running() else None)
