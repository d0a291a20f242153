"""The dock-panel base every panel derives from (after Frescobaldi's panels).

- builds its widget lazily, the first time it becomes visible (start-up stays fast);
- takes a stable objectName from its class, so QMainWindow.saveState()/restoreState()
  put each user's panels back where they left them;
- re-runs retranslate_ui() when the language changes.

Subclasses implement `build()` (returns the content widget) and `retranslate_ui()`
(sets every visible string through self.tr(); call super() to set the title).

Service calls go through ONE road with ONE policy (`ServiceCalls`, also for dialogs):

    customers = await self.call_service(svc.search, self.ctx.actor, text)   # None on failure
    self.run(svc.save, self.ctx.actor, values, on_done=self._saved)  # from a signal

The call runs on `ctx.runner` (a worker thread); a known error (`ui.errors.known_error`)
shows its text in the message line near the action, and that line clears on the next
success; anything else is a bug and reaches sys.excepthook (the crash dialog) at once.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from ui.context import AppContext
from ui.errors import error_text, known_error
from ui.kit.tasks import report_bug, spawn

T = TypeVar("T")

# A message line shows a known error with this property set, so the next success
# clears the error and leaves an informative line ("12 records") alone.
_ERROR_PROPERTY = "kitError"


def show_error(line: QLabel, text: str) -> None:
    line.setText(text)
    line.setProperty(_ERROR_PROPERTY, True)
    line.show()


def clear_error(line: QLabel) -> None:
    if line.property(_ERROR_PROPERTY):
        line.setProperty(_ERROR_PROPERTY, False)
        line.clear()


async def attempt(line: QLabel | None, aw: Awaitable[T]) -> tuple[bool, T | None]:
    """Awaits a service call (`runner.call(…)`, or a coroutine made of them): (True, its
    result), or (False, None) after a known error (its text shown in `line`) or a bug
    (sent to the crash dialog already)."""
    try:
        result = await aw
    except Exception as exc:  # noqa: BLE001 - sorted into known errors and bugs
        known = known_error(exc)
        if known is None:
            report_bug(exc)
        elif line is not None:
            show_error(line, error_text(known))
        return False, None
    if line is not None:
        clear_error(line)
    return True, result


class ServiceCalls:
    """The runner for a panel or a dialog: `self.ctx` and `message_line()` (the QLabel
    near the action where known errors are shown) come from the class using it."""

    ctx: AppContext

    def message_line(self) -> QLabel | None:
        return None

    async def call_service(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """The result, or None after a failure (already shown or reported)."""
        return await self.guarded(self.ctx.runner.call(fn, *args, **kwargs))

    async def guarded(self, aw: Awaitable[T]) -> T | None:
        """The same policy for a coroutine that makes its own service calls."""
        return (await attempt(self.message_line(), aw))[1]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """`ui.kit.tasks.spawn`, the task also kept in `self._tasks` while it runs (tests
        wait for a panel's work to end)."""
        task = spawn(coro)
        tasks: set[asyncio.Task] = self.__dict__.setdefault("_tasks", set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def run(self, fn: Callable[..., Any], *args: Any,
            on_done: Callable[[Any], object] | None = None, **kwargs: Any) -> asyncio.Task:
        """Start `call_service()` from a plain slot; `on_done(result)` runs after a success."""
        async def go() -> None:
            ok, result = await attempt(self.message_line(),
                                       self.ctx.runner.call(fn, *args, **kwargs))
            if ok and on_done is not None:
                on_done(result)

        return self.spawn(go())


class Panel(ServiceCalls, QDockWidget):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    # The kinds of saved data (ui.kit.changes.Change) this panel shows: after any of them
    # is announced, a built panel's on_change() runs, so it refreshes itself.
    watches: tuple[str, ...] = ()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(type(self).__name__)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self._built = False
        self.visibilityChanged.connect(self._on_visibility)
        if self.watches:
            ctx.changes.changed.connect(self._changed)
        self.retranslate_ui()

    def _changed(self, kind: str, row_id: int, customer_id: int) -> None:
        if self._built and kind in self.watches:
            self.on_change(kind, row_id, customer_id)

    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        """Reload what this panel shows of `kind` (the row's id, its customer's or 0)."""

    @property
    def is_built(self) -> bool:
        return self._built

    def ensure_built(self) -> None:
        if not self._built:
            self._built = True
            self.setWidget(self.build())
            self.retranslate_ui()

    def _on_visibility(self, visible: bool) -> None:
        if visible:
            self.ensure_built()

    def message_label(self, name: str = "panelStatus", *, wrap: bool = True) -> QLabel:
        """A new message line for `build()` to keep as `self.status`: where known errors,
        counts and hints are shown (the run policy writes to it)."""
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(wrap)
        return label

    def message_line(self) -> QLabel | None:
        """The panel's message line: a built panel's `self.status` label, by convention."""
        line = getattr(self, "status", None) if self._built else None
        return line if isinstance(line, QLabel) else None

    def build(self) -> QWidget:  # pragma: no cover - abstract
        raise NotImplementedError

    def title(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.title())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
