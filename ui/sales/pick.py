"""The short pick list a screen-pop shows when several customers share the caller's
number (non-modal: the agent keeps talking and may ignore it)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.customers import CustomerRecord


def describe(c: CustomerRecord) -> str:
    phones = " / ".join(p for p in (c.mobile, c.landline, c.other_phone) if p)
    return "  ·  ".join(t for t in (c.name, c.registration_no, phones, c.address) if t)


class PickCustomerDialog(QDialog):
    picked = Signal(int)        # customer id
    new_requested = Signal()    # none of them: register a new customer

    def __init__(self, matches: list[CustomerRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PickCustomerDialog")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("matches")
        for c in matches:
            item = QListWidgetItem(describe(c))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.pick())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.new_button = QPushButton()
        self.new_button.setObjectName("newCustomer")
        self.buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.pick)
        self.buttons.rejected.connect(self.reject)
        self.new_button.clicked.connect(self._new)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.buttons)
        self.resize(520, 260)
        self.retranslate_ui(len(matches))

    def retranslate_ui(self, n: int) -> None:
        self.setWindowTitle(self.tr("Choose the customer"))
        self.hint.setText(self.tr("{n} customers have this number. Which one is calling?")
                          .format(n=n))
        self.new_button.setText(self.tr("&New customer"))

    def pick(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.picked.emit(int(item.data(Qt.ItemDataRole.UserRole)))
            self.accept()

    def _new(self) -> None:
        self.new_requested.emit()
        self.accept()
