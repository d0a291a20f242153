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
A call that returns after its panel or dialog was deleted ends the coroutine quietly
(asyncio.CancelledError, which the kit's spawn treats as fine): it touches no widget.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget
from shiboken6 import isValid

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


class ServiceCalls:
    """The runner for a panel, a dialog or another QObject: `self.ctx` and
    `message_line()` (the QLabel near the action where known errors are shown) come from
    the class using it; one that reports failures elsewhere overrides `show_failure()` and
    `clear_failure()`."""

    ctx: AppContext

    def message_line(self) -> QLabel | None:
        return None

    def show_failure(self, text: str) -> None:
        """Shows a known error's text (in the user's language)."""
        line = self.message_line()
        if line is not None:
            show_error(line, text)

    def clear_failure(self) -> None:
        """After a success: clears a known error shown before."""
        line = self.message_line()
        if line is not None:
            clear_error(line)

    async def attempt(self, aw: Awaitable[T]) -> tuple[bool, T | None]:
        """The same policy, for a call whose result may be None: (True, the result) after
        a success, else (False, None)."""
        try:
            result = await aw
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - sorted into known errors and bugs
            known = known_error(exc)
            if known is None:
                report_bug(exc)   # a bug in the service, even when no panel waits for it
            self._ensure_alive()
            if known is not None:
                self.show_failure(error_text(known))
            return False, None
        self._ensure_alive()
        self.clear_failure()
        return True, result

    def _ensure_alive(self) -> None:
        # The owner was deleted while the call ran: nothing is left to show it in.
        if isinstance(self, QObject) and not isValid(self):
            raise asyncio.CancelledError

    async def call_service(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """The result, or None after a failure (already shown or reported)."""
        return await self.guarded(self.ctx.runner.call(fn, *args, **kwargs))

    async def guarded(self, aw: Awaitable[T]) -> T | None:
        """The same policy for a coroutine that makes its own service calls."""
        return (await self.attempt(aw))[1]

    async def succeeded(self, aw: Awaitable[Any]) -> bool:
        """The same policy, for a call whose outcome matters more than its result (a
        save, a delete): True after a success."""
        return (await self.attempt(aw))[0]

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
            ok, result = await self.attempt(self.ctx.runner.call(fn, *args, **kwargs))
            if ok and on_done is not None:
                on_done(result)

        return self.spawn(go())


class Panel(ServiceCalls, QDockWidget):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    # The kinds of saved data (ui.kit.changes.Change) this panel shows: after any of them
    # is announced, a built panel's on_change() runs, so it refreshes itself.
    watches: tuple[str, ...] = ()
    # The share of the window's height the panel's dock group takes when it is first docked
    # (not when the user's saved layout places it): None leaves Qt's split alone.
    height_share: float | None = None

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
