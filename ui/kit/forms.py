"""Form helpers shared by dialogs and archive forms: a message under each field.

Services raise UserError(field="name"); `FieldErrors.show_error()` puts the translated
text under that field's widget (or in the form's general message line when the field is
not on the form) — validation messages next to the field, as the issue asks.
"""
from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from agent_app.errors import UserError
from ui.errors import error_text, known_error
from ui.kit.tasks import report_bug

T = TypeVar("T")


class Retranslated:
    """For a plain widget with a `retranslate_ui()`: it runs again when the language
    changes (a Panel does this for its dock; a widget inside one gets its own event)."""

    def retranslate_ui(self) -> None:  # pragma: no cover - given by the widget
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)  # type: ignore[misc] - the QWidget's


class FieldErrors:
    def __init__(self, general: QLabel) -> None:
        self.general = general
        self.labels: dict[str, QLabel] = {}
        self.widgets: dict[str, QWidget] = {}
        general.setObjectName("formMessage")
        general.setProperty("role", "error")
        general.setWordWrap(True)
        general.hide()

    def add_row(self, form: QFormLayout, field: str, label: str | QWidget,
                widget: QWidget) -> QWidget:
        """Adds `widget` with an (initially hidden) error label under it; returns the
        row's caption label so callers can retranslate it."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        lay.addWidget(self.add_label(field, widget))
        caption = QLabel(label) if isinstance(label, str) else label
        if isinstance(caption, QLabel):
            caption.setBuddy(widget)
        form.addRow(caption, box)
        return caption

    def add_label(self, field: str, widget: QWidget | None = None) -> QLabel:
        """A hidden error label for `field`, for callers that lay it out themselves."""
        err = QLabel()
        err.setObjectName(f"error_{field}")
        err.setProperty("role", "error")
        err.setWordWrap(True)
        err.hide()
        self.labels[field] = err
        if widget is not None:
            self.widgets[field] = widget
        return err

    def clear(self) -> None:
        for lab in [*self.labels.values(), self.general]:
            lab.clear()
            lab.hide()

    def show(self, field: str | None, text: str) -> None:
        lab = self.labels.get(field or "", self.general)
        lab.setText(text)
        lab.show()
        widget = self.widgets.get(field or "")
        if widget is not None:
            widget.setFocus()

    def show_error(self, exc: UserError) -> None:
        self.show(exc.field, error_text(exc))

    def message(self, field: str | None = None) -> str:
        """The text shown for `field` (tests and accessibility)."""
        lab = self.labels.get(field or "", self.general)
        return lab.text() if lab.isVisible() or lab.text() else ""


def save_cancel_buttons(dialog: QDialog, form: QFormLayout, errors: FieldErrors,
                        min_width: int) -> QDialogButtonBox:
    """Lays a form dialog out: the fields, the general message line, Save / Cancel
    (Save runs `dialog.submit`)."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.submit)
    buttons.rejected.connect(dialog.reject)
    lay = QVBoxLayout(dialog)
    lay.addLayout(form)
    lay.addWidget(errors.general)
    lay.addWidget(buttons)
    dialog.setMinimumWidth(min_width)
    return buttons


async def submit(errors: FieldErrors, buttons: QWidget, aw: Awaitable[T]) -> tuple[bool, T | None]:
    """Awaits a form's service call with its buttons disabled: (True, the result), or
    (False, None) after a known error (shown beside its field) or a bug (sent to the crash
    dialog at once), the run policy of ui.kit.panel for forms."""
    errors.clear()
    buttons.setEnabled(False)
    try:
        return True, await aw
    except Exception as exc:  # noqa: BLE001 - sorted into known errors and bugs
        known = known_error(exc)
        if known is None:
            report_bug(exc)
        else:
            errors.show_error(known)
        return False, None
    finally:
        buttons.setEnabled(True)
