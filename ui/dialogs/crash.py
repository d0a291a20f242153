"""The one crash dialog: what went wrong, the recent log lines, where the log file is."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class CrashDialog(QDialog):
    """Shown for bugs only; known errors get a plain message instead."""

    def __init__(self, error: str, recent: list[str], log_file: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CrashDialog")
        self.setWindowTitle(self.tr("Unexpected error"))
        self.resize(760, 480)
        self.errors = [error]
        self.intro = QLabel(self.tr(
            "Something went wrong inside the program. Your saved data is safe; the change "
            "you were making may not have been saved. Please copy this report and send it "
            "to your administrator.\nLog file: {path}").format(path=log_file))
        self.intro.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("crashText")
        self._recent = recent
        self._render()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(self.tr("Copy report"))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addWidget(self.text, 1)
        lay.addWidget(buttons)

    def add_error(self, error: str, recent: list[str]) -> None:
        """A later crash while the dialog is open joins this one instead of stacking."""
        self.errors.append(error)
        self._recent = recent
        self._render()

    def report(self) -> str:
        return "\n".join(self.errors) + "\n--- recent log ---\n" + "\n".join(self._recent)

    def _render(self) -> None:
        self.text.setPlainText(self.report())

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report())
