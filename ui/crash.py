"""Logging and the one road for unexpected errors.

Log lines go to a rotating file in agent_app.config.home() and to an in-memory ring
buffer; sys.excepthook, threading.excepthook and the asyncio loop's exception handler
all end in CrashReporter.report(), which opens ONE crash dialog (later crashes while it
is open are appended to it) showing the recent log lines. Known errors (UserError) never
come here: panels show them as messages.
"""
from __future__ import annotations

import collections
import logging
import logging.handlers
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from agent_app.config import home

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class RingBuffer(logging.Handler):
    """Keeps the last `capacity` formatted lines for the crash dialog."""

    def __init__(self, capacity: int = 500) -> None:
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a logging handler must never raise
            self.handleError(record)

    def recent(self, n: int = 200) -> list[str]:
        return list(self.lines)[-n:]


def log_file() -> Path:
    return home() / "logs" / "agent-app.log"


def setup_logging(level: int = logging.INFO) -> RingBuffer:
    """File (rotating, 5 x 2 MB) + ring buffer on the root logger; idempotent."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_agent_desk", False):
            root.removeHandler(h)
            h.close()
    ring = RingBuffer()
    handlers: list[logging.Handler] = [ring]
    try:
        log_file().parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(log_file(), maxBytes=2_000_000,
                                                  backupCount=5, encoding="utf-8")
        fh.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(fh)
    except OSError as exc:  # read-only or full disk: keep running, the buffer still works
        ring.lines.append(f"cannot open log file {log_file()}: {exc}")
    for h in handlers:
        h._agent_desk = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level)
    return ring


class CrashReporter(QObject):
    """Routes every unexpected exception, from any thread, to one dialog on the GUI thread."""

    crashed = Signal(str)  # formatted traceback; queued to the GUI thread

    def __init__(self, ring: RingBuffer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ring = ring
        self.dialog = None
        self.count = 0
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__

    def asyncio_handler(self, loop, context: dict) -> None:
        exc = context.get("exception")
        if exc is None:  # a plain message (e.g. "Task was destroyed but it is pending")
            log.warning("asyncio: %s", context.get("message"))
            return
        self.report(type(exc), exc, exc.__traceback__, where="asyncio")

    def _excepthook(self, etype, value, tb) -> None:
        self.report(etype, value, tb, where="main")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread else "?"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")

    def report(self, etype, value, tb, where: str = "") -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        log.error("unexpected error (%s):\n%s", where, text)
        self.count += 1
        self.crashed.emit(text)

    def _show(self, text: str) -> None:
        from ui.dialogs.crash import CrashDialog

        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_error(text, self.ring.recent())
            return
        self.dialog = CrashDialog(text, self.ring.recent(), log_file())
        self.dialog.open()
