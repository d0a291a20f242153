"""系统设置: the site-wide settings declared in agent_app.services.archives.SETTINGS
(browse days 近X天, lead window, schedule time zone). Everyone sees them; editors save."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.archives import ArchiveService
from ui.kit.forms import FieldErrors, submit
from ui.kit.panel import Panel
from ui.kit.tasks import task_slot


class SystemSettingsPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.archives: ArchiveService = ctx.services.get(ArchiveService)
        self.loaded = False
        super().__init__(ctx, parent)

    def title(self) -> str:
        return self.tr("System settings")

    def build(self) -> QWidget:
        box = QWidget()
        self.errors = FieldErrors(QLabel())
        self.browse_days = QSpinBox()
        self.browse_days.setRange(1, 366)
        self.lead_window = QSpinBox()
        self.lead_window.setRange(0, 24 * 60)
        self.timezone = QLineEdit()
        self.widgets = {"browse_days": self.browse_days, "lead_window_minutes": self.lead_window,
                        "site_timezone": self.timezone}
        form = QFormLayout()
        self.captions = {}
        for key, w in self.widgets.items():
            w.setObjectName(key)
            w.setEnabled(self.archives.can_edit(self.ctx.actor))
            self.captions[key] = self.errors.add_row(form, key, "", w)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save)
        self.buttons.setVisible(self.archives.can_edit(self.ctx.actor))
        self.buttons.accepted.connect(self.save)
        self.saved_label = QLabel()
        self.saved_label.setObjectName("panelStatus")
        lay = QVBoxLayout(box)
        lay.addLayout(form)
        lay.addWidget(self.errors.general)
        lay.addWidget(self.buttons)
        lay.addWidget(self.saved_label)
        lay.addStretch(1)
        self.load()
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.captions["browse_days"].setText(self.tr("Browse window (last X days):"))
        self.captions["lead_window_minutes"].setText(
            self.tr("Lead window after an advert (minutes):"))
        self.captions["site_timezone"].setText(self.tr("Time zone of the placement schedule:"))

    def values(self) -> dict[str, str]:
        return {"browse_days": str(self.browse_days.value()),
                "lead_window_minutes": str(self.lead_window.value()),
                "site_timezone": self.timezone.text()}

    def _show(self, values: dict[str, str]) -> None:
        self.browse_days.setValue(int(values["browse_days"]))
        self.lead_window.setValue(int(values["lead_window_minutes"]))
        self.timezone.setText(values["site_timezone"])

    @task_slot()
    async def load(self) -> None:
        ok, values = await submit(self.errors, self.buttons, self.ctx.runner.call(
            self.archives.get_settings))
        if not ok:
            return
        self._show(values)
        self.loaded = True

    @task_slot()
    async def save(self) -> None:
        self.saved_label.clear()
        ok, values = await submit(self.errors, self.buttons, self.ctx.runner.call(
            self.archives.set_settings, self.ctx.actor, self.values()))
        if not ok:
            return
        self._show(values)
        self.saved_label.setText(self.tr("Saved."))
