"""客户资料: the profile form of the customer record. It only shows and collects values;
the record panel saves them. Widgets are built once: opening another customer (the
screen-pop path) only sets their text."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.customers import CustomerDraft, CustomerRecord
from db.enums import CustomerSource
from ui.kit.forms import FieldErrors, Retranslated
from ui.kit.names import class_names, difficulty_names, name_of, source_names
from ui.sales.query import fill_combo

# (field, max length) of the free-text fields, in the order they are laid out
TEXT_FIELDS = (("name", 64), ("mobile", 20), ("landline", 20), ("other_phone", 20),
               ("address", 200), ("end_user_name", 64), ("end_user_school", 100),
               ("user_account", 64), ("remark", 500))


class ProfileForm(Retranslated, QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileForm")
        self.errors = FieldErrors(QLabel())
        self.edits: dict[str, QLineEdit] = {}
        for name, limit in TEXT_FIELDS:
            e = QLineEdit()
            e.setObjectName(name)
            e.setMaxLength(limit)
            self.edits[name] = e
        self.registration_no = self._read_only("registration_no")
        self.customer_class = self._read_only("customer_class")
        self.owner = self._read_only("owner")
        self.region = QComboBox()
        self.source = QComboBox()
        self.callback_agent = QComboBox()
        self.difficulty = QComboBox()
        for name in ("region", "source", "callback_agent", "difficulty"):
            getattr(self, name).setObjectName(name)
        self.captions: dict[str, QLabel] = {}
        e = self.edits
        # three (field, widget) pairs a row, (field, widget, pairs spanned): the record
        # must fit above the call console on a 1366×768 screen
        rows = [[("name", e["name"], 1), ("mobile", e["mobile"], 1),
                 ("landline", e["landline"], 1)],
                [("other_phone", e["other_phone"], 1), ("region_id", self.region, 1),
                 ("registration_no", self.registration_no, 1)],
                [("address", e["address"], 2), ("customer_class", self.customer_class, 1)],
                [("source", self.source, 1), ("owner", self.owner, 1),
                 ("callback_agent_id", self.callback_agent, 1)],
                [("end_user_name", e["end_user_name"], 1),
                 ("end_user_school", e["end_user_school"], 1),
                 ("user_account", e["user_account"], 1)],
                [("difficulty", self.difficulty, 1), ("remark", e["remark"], 2)]]
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        for r, pairs in enumerate(rows):
            col = 0
            for field, widget, span in pairs:
                self._place(grid, r, col, field, widget, 2 * span - 1)
                col += 2 * span
        for c in (1, 3, 5):
            grid.setColumnStretch(c, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(grid)
        lay.addWidget(self.errors.general)
        lay.addStretch(1)
        self.record: CustomerRecord | None = None
        self.caller_number: tuple[str, str, str] | None = None  # (field, real, shown)
        self._pending_ids: dict[str, int | None] = {}
        self.retranslate_ui()

    def _read_only(self, name: str) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        e.setReadOnly(True)
        e.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab skips what cannot be typed in
        return e

    def _place(self, grid: QGridLayout, row: int, col: int, field: str, widget: QWidget,
               span: int) -> None:
        cell = QWidget()
        v = QVBoxLayout(cell)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(1)
        v.addWidget(widget)
        v.addWidget(self.errors.add_label(field, widget))
        caption = QLabel()
        caption.setBuddy(widget)
        self.captions[field] = caption
        grid.addWidget(caption, row, col)
        grid.addWidget(cell, row, col + 1, 1, span)

    def retranslate_ui(self) -> None:
        texts = {"name": self.tr("&Name"), "registration_no": self.tr("Reg. no."),
                 "mobile": self.tr("Mo&bile"), "landline": self.tr("Landline"),
                 "other_phone": self.tr("Other phone"), "region_id": self.tr("Re&gion"),
                 "address": self.tr("Add&ress"), "customer_class": self.tr("Class"),
                 "source": self.tr("Source"), "owner": self.tr("Owner"),
                 "callback_agent_id": self.tr("Callback agent"),
                 "end_user_name": self.tr("End user"), "end_user_school": self.tr("School"),
                 "user_account": self.tr("User account"), "difficulty": self.tr("Difficulty"),
                 "remark": self.tr("Remar&k")}
        for field, text in texts.items():
            self.captions[field].setText(text)
        fill_combo(self.source, source_names().items())
        fill_combo(self.difficulty, difficulty_names().items(), empty="")
        if self.record is not None:
            self.customer_class.setText(name_of(class_names(), self.record.customer_class))

    # -- pick lists -------------------------------------------------------------------------
    def set_choices(self, regions: list[tuple[int, str]], agents: list[tuple[int, str]]) -> None:
        fill_combo(self.region, regions, empty="")
        fill_combo(self.callback_agent, agents, empty="")
        for name, value in self._pending_ids.items():
            self._select(getattr(self, name), value)

    def _select(self, combo: QComboBox, value) -> None:
        """Select `value`; kept for later when the pick list has not arrived yet."""
        name = "region" if combo is self.region else "callback_agent"
        self._pending_ids[name] = value
        combo.setCurrentIndex(max(0, combo.findData(value)) if value is not None else 0)

    # -- values -----------------------------------------------------------------------------
    def show_record(self, record: CustomerRecord, owner_name: str) -> None:
        self.errors.clear()
        self.record = record
        self.caller_number = None
        for name, edit in self.edits.items():
            edit.setText(getattr(record, name) or "")
            edit.setCursorPosition(0)
        self.registration_no.setText(record.registration_no)
        self.customer_class.setText(name_of(class_names(), record.customer_class))
        self.owner.setText(owner_name)
        self.source.setCurrentIndex(max(0, self.source.findData(record.source)))
        self.difficulty.setCurrentIndex(max(0, self.difficulty.findData(record.difficulty)))
        self._select(self.region, record.region_id)
        self._select(self.callback_agent, record.callback_agent_id)

    def clear(self, *, phone: str = "", region_id: int | None = None, owner_name: str = "",
              shown: Callable[[str], str] = str) -> None:
        """A blank form for a new customer; a caller's phone goes where it belongs, as
        `shown` lets the user see it (masked without 查看完整号码): the real number is kept
        here for the registration while the field still shows exactly that."""
        self.errors.clear()
        self.record = None
        self.caller_number = None
        for edit in self.edits.values():
            edit.clear()
        digits = "".join(ch for ch in phone if ch.isdigit())
        if digits:
            mobile = len(digits) == 11 and digits.startswith("1")
            name = "mobile" if mobile else "landline"
            self.caller_number = (name, digits, shown(digits))
            self.edits[name].setText(self.caller_number[2])
        self.registration_no.clear()
        self.customer_class.setText(name_of(class_names(), "C"))
        self.owner.setText(owner_name)
        self.source.setCurrentIndex(max(0, self.source.findData(CustomerSource.DIRECT)))
        self.difficulty.setCurrentIndex(0)
        self._select(self.region, region_id)
        self._select(self.callback_agent, None)

    def draft(self) -> CustomerDraft:
        e = self.edits
        phones = {n: e[n].text() for n in ("mobile", "landline", "other_phone")}
        if self.caller_number is not None:  # the caller's number, left as it was shown
            name, real, shown = self.caller_number
            if phones[name].strip() == shown:
                phones[name] = real
        return CustomerDraft(
            name=e["name"].text(), mobile=phones["mobile"], landline=phones["landline"],
            other_phone=phones["other_phone"], address=e["address"].text(),
            region_id=self.region.currentData(), source=self.source.currentData(),
            end_user_name=e["end_user_name"].text(),
            end_user_school=e["end_user_school"].text(), user_account=e["user_account"].text(),
            remark=e["remark"].text(), difficulty=self.difficulty.currentData(),
            callback_agent_id=self.callback_agent.currentData())

    def phones(self) -> list[str]:
        return [t for t in (self.edits[n].text().strip()
                            for n in ("mobile", "landline", "other_phone")) if t]
