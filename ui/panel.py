"""The dock-panel base every panel derives from (style.md §8, after Frescobaldi).

- builds its widget lazily, the first time it becomes visible (start-up stays fast);
- takes a stable objectName from its class, so QMainWindow.saveState()/restoreState()
  put each user's panels back where they left them;
- re-runs retranslate_ui() when the language changes.

Subclasses implement `build()` (returns the content widget) and `retranslate_ui()`
(sets every visible string through self.tr(); call super() to set the title).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from ui.context import AppContext


class Panel(QDockWidget):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(type(self).__name__)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self._built = False
        self.visibilityChanged.connect(self._on_visibility)
        self.retranslate_ui()

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
