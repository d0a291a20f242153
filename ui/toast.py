"""Non-blocking notifications (show_notice): small labels stacked in the main window's
top-right corner, under the menu and tool bars and the title bar of the dock there, that
fade out by themselves. Nothing waits for them, nothing takes focus: an agent in a call
must never have to dismiss a box.

They never lie over the call console or anything docked at the bottom (the dial box and
the call buttons are used while a notice is up, e.g. the reminders due at start-up): a
notice that would is moved to the left of it, and when there is no room left the oldest
notices give way (every notice is also in the log)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QToolBar, QWidget


class Toaster(QObject):
    MAX_VISIBLE = 4
    MARGIN = 12
    GAP = 6
    # docks kept clear wherever they are docked (the bottom dock area always is)
    KEEP_CLEAR = frozenset({"CallConsolePanel"})

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

    # -- placing ----------------------------------------------------------------------------
    def _top(self) -> int:
        """The first row below the menu bar and the tool bars at the top."""
        host, top = self.host, 0
        if isinstance(host, QMainWindow):
            bar = host.menuWidget()
            if bar is not None and bar.isVisible():
                top = max(top, bar.geometry().bottom() + 1)
            for tb in host.findChildren(QToolBar):
                if (tb.parent() is host and tb.isVisible() and not tb.isFloating()
                        and host.toolBarArea(tb) == Qt.ToolBarArea.TopToolBarArea):
                    top = max(top, tb.geometry().bottom() + 1)
            # and below the title bar (float / close buttons) of the dock in that corner
            corner = QPoint(host.width() - self.MARGIN - 1, top + 1)
            for dock in host.findChildren(QDockWidget):
                inner = dock.widget()
                if (dock.parent() is host and dock.isVisible() and not dock.isFloating()
                        and inner is not None and dock.geometry().contains(corner)):
                    top = max(top, dock.y() + inner.y())
        return top + self.MARGIN

    def keep_clear(self) -> list[QRect]:
        """Where no notice may lie: the docks at the bottom and the KEEP_CLEAR docks."""
        host = self.host
        if not isinstance(host, QMainWindow):
            return []
        rects = []
        for dock in host.findChildren(QDockWidget):
            if dock.parent() is not host or dock.isFloating() or dock.isHidden():
                continue
            area = host.dockWidgetArea(dock)
            if area == Qt.DockWidgetArea.BottomDockWidgetArea or (
                    dock.objectName() in self.KEEP_CLEAR
                    and area != Qt.DockWidgetArea.NoDockWidgetArea):
                rects.append(dock.geometry().adjusted(-self.GAP, -self.GAP,
                                                       self.GAP, self.GAP))
        return rects

    def _spot(self, w: int, h: int, y: int, clear: list[QRect]) -> QRect | None:
        """The right-most place for a w×h notice at row y that touches nothing in `clear`."""
        right = self.host.width() - self.MARGIN
        while right - w >= self.MARGIN:
            rect = QRect(right - w, y, w, h)
            hit = [r for r in clear if r.intersects(rect)]
            if not hit:
                return rect if rect.bottom() <= self.host.height() - self.MARGIN else None
            right = min(r.left() for r in hit) - 1
        return None

    def _place(self) -> None:
        """Newest first from the top; a notice with no free spot is dismissed with every
        older one (the newer ones keep their places)."""
        clear = self.keep_clear()
        y = self._top()
        for i, label in enumerate(reversed(self.visible)):
            label.adjustSize()
            rect = self._spot(label.width(), label.height(), y, clear)
            if rect is None:
                for old in self.visible[:len(self.visible) - i]:
                    self.visible.remove(old)
                    old.hide()
                    old.deleteLater()
                return
            label.move(rect.topLeft())
            y = rect.bottom() + 1 + self.GAP

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.host and event.type() in (QEvent.Type.Resize,
                                                 QEvent.Type.LayoutRequest):
            self._place()
        return False
