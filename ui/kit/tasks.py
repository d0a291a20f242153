"""Starting coroutines from the direct-sales UI on the qasync loop.

Signals connect to plain methods that `spawn()` a coroutine: a task whose unexpected
error reaches sys.excepthook (the crash dialog), like qasync's asyncSlot, without
asyncSlot's Slot() signature (which would drop the arguments of a Signal(int))."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer


def _report(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        sys.excepthook(type(exc), exc, exc.__traceback__)


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    task = asyncio.ensure_future(coro)
    task.add_done_callback(_report)
    return task


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def start_soon(receiver: QObject, slot: Callable[[], object]) -> None:
    """Start a panel's first load (an asyncSlot). In the program the qasync loop always
    runs; a window built outside a running loop (some tests) tries once more from the Qt
    event queue, then leaves loading to the panel's Refresh button."""
    if loop_running():
        slot()
    else:
        QTimer.singleShot(0, receiver, lambda: slot() if loop_running() else None)
