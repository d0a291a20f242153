"""The archive panel every 档案 window derives from: a sortable, filterable table, with
Add / Edit / Delete / Refresh buttons shown only to those the service would allow.

Subclasses give `columns()`, `form_fields(record)`, and the coroutines `load()`,
`save(record, values)` and `delete(record)`, which call services through ctx.runner.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.archives import ArchiveService
from ui.archives.form import FieldSpec, RecordForm
from ui.kit.panel import Panel
from ui.kit.table import ROW_ROLE, Column, TableModel
from ui.kit.tasks import task_slot
from ui.kit.views import make_table_view


class ArchivePanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    deletable = True

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.model = TableModel([])
        self.form: RecordForm | None = None
        self.loaded = False
        super().__init__(ctx, parent)
        self.archives: ArchiveService = ctx.services.get(ArchiveService)

    # -- subclass API -----------------------------------------------------------------------
    def columns(self) -> Sequence[Column]:  # pragma: no cover - abstract
        raise NotImplementedError

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:  # pragma: no cover
        raise NotImplementedError

    async def load(self) -> Sequence[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    async def save(self, record: Any, values: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def delete(self, record: Any) -> None:
        await self.ctx.runner.call(self.delete_fn(), self.ctx.actor, record.id, record.version)

    def delete_fn(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def can_edit(self) -> bool:
        return self.archives.can_edit(self.ctx.actor)

    def extra_filters(self) -> list[QWidget]:
        """Widgets placed before the text filter (e.g. a date range)."""
        return []

    # -- building ---------------------------------------------------------------------------
    def build(self) -> QWidget:
        box = QWidget()
        self.filter = QLineEdit()
        self.filter.setObjectName("filter")
        self.filter.setClearButtonEnabled(True)
        self.add_button = QPushButton()
        self.add_button.setObjectName("addButton")
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("editButton")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("deleteButton")
        self.refresh_button = QPushButton()
        self.refresh_button.setObjectName("refreshButton")
        self.status = self.message_label("panelStatus")
        self.view = make_table_view(self.model, "archiveTable", sortable=True, filterable=True)
        self.proxy = self.view.proxy
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.doubleClicked.connect(self.edit_selected)
        self.add_button.clicked.connect(self.add_record)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.refresh_button.clicked.connect(self.refresh)
        editable = self.can_edit()
        for b in (self.add_button, self.edit_button):
            b.setVisible(editable)
        self.delete_button.setVisible(editable and self.deletable)
        top = QHBoxLayout()
        for w in self.extra_filters():
            top.addWidget(w)
        top.addWidget(self.filter, 1)
        for b in (self.refresh_button, self.add_button, self.edit_button, self.delete_button):
            top.addWidget(b)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        self.refresh()
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        self.model.set_columns(self.columns())
        if not self.is_built:
            return
        self.filter.setPlaceholderText(self.tr("Filter…"))
        self.add_button.setText(self.tr("&Add"))
        self.edit_button.setText(self.tr("&Edit"))
        self.delete_button.setText(self.tr("&Delete"))
        self.refresh_button.setText(self.tr("Re&fresh"))

    # -- actions ------------------------------------------------------------------------------
    def selected(self) -> Any:
        idx = self.view.currentIndex()
        return idx.data(ROW_ROLE) if idx.isValid() else None

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    @task_slot()
    async def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        try:
            rows = await self.guarded(self.load())
        finally:
            self.refresh_button.setEnabled(True)
        if rows is not None:
            self.model.set_rows(rows)
            self.loaded = True
            # explicit context: PySide's self.tr() finds plural forms only in the
            # subclass's own context, not the base class's
            self.show_status(QCoreApplication.translate("ArchivePanel", "%n record(s)", "",
                                                        len(rows)))

    @task_slot()
    async def add_record(self) -> None:
        await self.open_form(None)

    @task_slot()
    async def edit_selected(self) -> None:
        record = self.selected()
        if record is None:
            self.show_status(self.tr("Select a row first."))
            return
        if self.can_edit():
            await self.open_form(record)

    async def open_form(self, record: Any) -> RecordForm | None:
        specs = await self.guarded(self.form_fields(record))
        if specs is None:
            return None
        title = self.tr("Add: {archive}") if record is None else self.tr("Edit: {archive}")

        async def save(values: dict[str, Any]) -> Any:
            return await self.save(record, values)

        self.form = RecordForm(title.format(archive=self.title()), specs, record, save, self)
        self.form.accepted.connect(self.refresh)
        self.form.open()
        return self.form

    @task_slot()
    async def delete_selected(self) -> None:
        record = self.selected()
        if record is None:
            self.show_status(self.tr("Select a row first."))
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete"),
                          self.tr("Delete the selected record?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmDelete")
        box.finished.connect(lambda result: self._confirmed_delete(result, record))
        box.open()
        self.confirm = box

    @task_slot(int, object)
    async def _confirmed_delete(self, result: int, record: Any) -> None:
        if result != QMessageBox.StandardButton.Yes:
            return
        if await self.succeeded(self.delete(record)):
            self.refresh()
