"""Starting coroutines from the UI on the qasync loop: one policy for every panel.

A coroutine method connected to a signal is decorated `@task_slot(types…)`; elsewhere
`spawn()` starts a coroutine. Either way it runs as a task whose unexpected error
reaches sys.excepthook (the crash dialog) as soon as it ends, and the task stays
referenced until then, so its error never waits for the garbage collector. Known errors
are handled before that, in the coroutine (see ui.kit.panel).
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

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


def task_slot(*types: type) -> Callable[[Callable[..., Coroutine]], Callable[..., asyncio.Task]]:
    """Decorates a coroutine method to be connected to signals (or called) as a slot
    that spawns it: `@task_slot()`, `@task_slot(int, object)`. Arguments a signal sends
    beyond what the method takes are dropped, as Qt does for C++ slots."""
    def decorate(fn: Callable[..., Coroutine]) -> Callable[..., asyncio.Task]:
        signature = inspect.signature(fn)

        @Slot(*types)
        @functools.wraps(fn)
        def wrapper(*args: Any) -> asyncio.Task:
            while args:
                try:
                    signature.bind(*args)
                    break
                except TypeError:
                    args = args[:-1]
            return spawn(fn(*args))

        return wrapper

    return decorate


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
