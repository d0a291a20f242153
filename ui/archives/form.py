"""Add/edit form for one archive record, built from field specs. The panel's save
coroutine calls the service; a UserError with `field` appears under that field."""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from ui.kit.forms import FieldErrors, save_cancel_buttons, submit
from ui.kit.tasks import task_slot


@dataclass
class FieldSpec:
    """kind: text | bool | int | combo | date | time. Combo choices are (value, text)."""

    name: str
    label: str
    kind: str = "text"
    max_len: int = 100
    choices: Sequence[tuple[Any, str]] = field(default_factory=list)
    optional_choice: bool = False  # combo gets an empty first entry (value None)
    read_only: bool = False
    minimum: int = 0
    maximum: int = 86400
    default: Any = None  # the value a new record's form starts with


def make_widget(spec: FieldSpec, value: Any) -> QWidget:
    if spec.kind == "bool":
        w: QWidget = QCheckBox()
        w.setChecked(bool(value))
    elif spec.kind == "int":
        w = QSpinBox()
        w.setRange(spec.minimum, spec.maximum)
        w.setValue(int(value or 0))
    elif spec.kind == "combo":
        w = QComboBox()
        if spec.optional_choice:
            w.addItem("", None)
        for data, text in spec.choices:
            w.addItem(text, data)
        w.setCurrentIndex(max(0, w.findData(value)) if value is not None else 0)
    elif spec.kind == "date":
        w = QDateEdit(QDate(value) if isinstance(value, dt.date) else QDate.currentDate())
        w.setCalendarPopup(True)
        w.setDisplayFormat("yyyy-MM-dd")
    elif spec.kind == "time":
        w = QTimeEdit(QTime(value.hour, value.minute, value.second)
                      if isinstance(value, dt.time) else QTime(20, 0))
        w.setDisplayFormat("HH:mm:ss")
    else:
        w = QLineEdit("" if value is None else str(value))
        w.setMaxLength(spec.max_len)
        w.setReadOnly(spec.read_only)
    w.setObjectName(spec.name)
    return w


def widget_value(spec: FieldSpec, w: QWidget) -> Any:
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QSpinBox):
        return w.value()
    if isinstance(w, QComboBox):
        return w.currentData()
    if isinstance(w, QDateEdit):
        return w.date().toPython()
    if isinstance(w, QTimeEdit):
        return w.time().toPython()
    return w.text()  # type: ignore[attr-defined]


class RecordForm(QDialog):
    """`save(values)` is awaited on OK; it raises UserError to keep the form open."""

    def __init__(self, title: str, specs: Sequence[FieldSpec], record: Any,
                 save: Callable[[dict[str, Any]], Awaitable[Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RecordForm")
        self.setWindowTitle(title)
        self.specs = list(specs)
        self._save = save
        self.saved: Any = None
        self.errors = FieldErrors(QLabel())
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout()
        for spec in self.specs:
            w = make_widget(spec, getattr(record, spec.name, None) if record else spec.default)
            self.widgets[spec.name] = w
            self.errors.add_row(form, spec.name, spec.label, w)
        self.buttons = save_cancel_buttons(self, form, self.errors, 420)

    def values(self) -> dict[str, Any]:
        return {s.name: widget_value(s, self.widgets[s.name]) for s in self.specs
                if not s.read_only}

    @task_slot()
    async def submit(self) -> None:
        ok, saved = await submit(self.errors, self.buttons, self._save(self.values()))
        if ok:
            self.saved = saved
            self.accept()
