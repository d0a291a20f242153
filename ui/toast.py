"""Non-blocking notifications (show_notice): small labels stacked in the main window's
bottom-right corner that fade out by themselves. Nothing waits for them, nothing takes
focus: an agent in a call must never have to dismiss a box."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget


class Toaster(QObject):
    MAX_VISIBLE = 4
    MARGIN = 12

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.host = host
        self.visible: list[QLabel] = []
        host.installEventFilter(self)  # follow the window when it is resized

    def show(self, text: str, msec: int = 5000) -> QLabel:
        label = QLabel(text, self.host)
        label.setObjectName("toast")
        label.setWordWrap(True)
        label.setMaximumWidth(360)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        label.adjustSize()
        self.visible.append(label)
        while len(self.visible) > self.MAX_VISIBLE:
            self._dismiss(self.visible[0])
        label.show()
        label.raise_()
        QTimer.singleShot(msec, label, lambda: self._dismiss(label))
        self._place()
        return label

    def _dismiss(self, label: QLabel) -> None:
        if label in self.visible:
            self.visible.remove(label)
            label.hide()
            label.deleteLater()
            self._place()

    def _place(self) -> None:
        y = self.host.height() - self.MARGIN - 24  # above the status bar
        for label in reversed(self.visible):
            label.adjustSize()
            y -= label.height()
            label.move(self.host.width() - label.width() - self.MARGIN, y)
            y -= 6

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.host and event.type() == QEvent.Type.Resize:
            self._place()
        return False
