"""Widgets of the call console that are not the console itself: the dial pad, today's
calls table, and the transfer popup (a Qt.Popup frame: non-modal, goes away on a click elsewhere, so it can
never block an agent in a call the way a dialog's exec() would)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.call import common as C
from ui.kit.table import Column
from ui.kit.table import TableModel as RecordTableModel

# What `dial` accepts (cti-protocol.md): digits, a leading +, at most 32.
DIAL_PATTERN = QRegularExpression(r"\+?[0-9]{0,32}")


class DialPad(QWidget):
    """The number field and Dial, with a keypad that pops up from the ⌨ button (agents
    mostly type numbers; a keypad always shown would cost the console 110 px)."""

    dial_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = QLineEdit()
        self.number.setObjectName("dialNumber")
        self.number.setValidator(QRegularExpressionValidator(DIAL_PATTERN, self.number))
        self.number.setClearButtonEnabled(True)
        self.number.returnPressed.connect(self._dial)
        self.dial_button = QPushButton()
        self.dial_button.setObjectName("dialButton")
        self.dial_button.clicked.connect(self._dial)
        self.keypad_button = QToolButton()
        self.keypad_button.setObjectName("keypadButton")
        self.keypad_button.setText("⌨")
        self.keypad_button.clicked.connect(self.show_keypad)
        self.keypad = QFrame(self, Qt.WindowType.Popup)
        self.keypad.setObjectName("keypad")
        self.keypad.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self.keypad)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(2)
        self.keys: dict[str, QToolButton] = {}
        for i, key in enumerate("123456789+0⌫"):
            b = QToolButton()
            b.setText(key)
            b.setObjectName(f"key_{'back' if key == '⌫' else 'plus' if key == '+' else key}")
            b.setMinimumSize(40, 30)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the number field
            b.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[key] = b
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addWidget(self.number, 1)
        lay.addWidget(self.keypad_button)
        lay.addWidget(self.dial_button)

    def show_keypad(self) -> None:
        self.keypad.adjustSize()
        anchor = self.keypad_button
        self.keypad.move(anchor.mapToGlobal(anchor.rect().bottomLeft()))
        self.keypad.show()

    def press(self, key: str) -> None:
        text = self.number.text()
        if key == "⌫":
            self.number.setText(text[:-1])
        elif key == "+":
            if not text:
                self.number.setText("+")
        elif len(text.lstrip("+")) < 32:
            self.number.setText(text + key)

    def _dial(self) -> None:
        number = self.number.text().strip()
        if number.lstrip("+"):
            self.keypad.hide()
            self.dial_requested.emit(number)

    def retranslate_ui(self) -> None:
        self.number.setPlaceholderText(self.tr("Number to dial"))
        self.dial_button.setText(self.tr("Dial"))
        self.keypad_button.setToolTip(self.tr("Keypad"))
        self.keys["⌫"].setToolTip(self.tr("Delete the last digit"))


class TransferPopup(QFrame):
    """转接: to a group, an agent (login) or an outside number."""

    transfer_requested = Signal(dict)

    KINDS = ("group", "user", "number")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("transferPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.kind = QComboBox()
        self.kind.setObjectName("transferKind")
        self.target = QLineEdit()
        self.target.setObjectName("transferTarget")
        self.target.returnPressed.connect(self._go)
        self.ok = QPushButton()
        self.ok.setObjectName("transferOk")
        self.ok.clicked.connect(self._go)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d23a2a;")
        self.error.hide()
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.target, 1)
        row.addWidget(self.ok)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.error)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Transfer the call to"))
        current = self.kind.currentIndex()
        self.kind.clear()
        for key, text in zip(self.KINDS, (self.tr("Group"), self.tr("Agent"),
                                          self.tr("Number")), strict=True):
            self.kind.addItem(text, key)
        self.kind.setCurrentIndex(max(0, current))
        self.target.setPlaceholderText(self.tr("Group number, agent login or phone number"))
        self.ok.setText(self.tr("Transfer"))

    def popup_below(self, anchor: QWidget) -> None:
        self.error.hide()
        self.target.clear()
        self.adjustSize()
        self.move(anchor.mapToGlobal(anchor.rect().bottomLeft()))
        self.show()
        self.target.setFocus()

    def _go(self) -> None:
        target = self.target.text().strip()
        kind = self.kind.currentData()
        if not target or (kind == "number" and not DIAL_PATTERN.match(target).hasMatch()):
            self.error.setText(self.tr("Enter where the call should go."))
            self.error.show()
            return
        self.hide()
        self.transfer_requested.emit({kind: target})

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class TodayCalls(QWidget):
    """前台管理中只能查询当天的呼入与呼出资料: this agent's calls of today."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.model = RecordTableModel(self._columns())
        self.view = QTableView()
        self.view.setObjectName("todayCalls")
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.title)
        lay.addWidget(self.view, 1)

    def _columns(self) -> list[Column]:
        return [Column("direction", self.tr("Direction"), C.direction_text),
                Column("queued_at", self.tr("Time"), C.local_time),
                Column("caller", self.tr("Number")),
                Column("customer_name", self.tr("Customer")),
                Column("talk_s", self.tr("Duration"), C.duration_text, align_right=True),
                Column("end_cause", self.tr("Result"), C.end_cause_text)]

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Today's calls"))
        self.model.set_columns(self._columns())


def column(*parts) -> QWidget:
    """Widgets and layouts stacked in a column; tables and text boxes take the height."""
    col = QWidget()
    lay = QVBoxLayout(col)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    stretchy = (QTableView, QPlainTextEdit, TodayCalls)
    for part in parts:
        if isinstance(part, QWidget):
            lay.addWidget(part, 1 if isinstance(part, stretchy) else 0)
        else:
            lay.addLayout(part)
    if not any(isinstance(p, stretchy) for p in parts):
        lay.addStretch(1)
    return col
