"""集团电话: the group's own numbers, whose calls route normally but never count as
leads (进线). 点击新增来设置集团电话, 保存; pick a row to edit it in place. Administrators
edit (the service refuses others); everyone may look."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.call import common as C
from ui.kit.panel import Panel
from ui.kit.table import Column, TableModel
from ui.kit.views import make_table_view


class InternalNumbersPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        self.editing = None        # the InternalNumberInfo being edited, None: a new one
        self.loaded = False
        super().__init__(ctx, parent)

    def title(self) -> str:
        return self.tr("Internal numbers")

    def build(self) -> QWidget:
        page = QWidget()
        self.model = TableModel(self._columns())
        self.view = make_table_view(self.model, "internalRows")
        self.view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._pick(cur))
        self.digits, self.note = QLineEdit(), QLineEdit()
        self.digits.setObjectName("internalDigits")
        self.note.setObjectName("internalNote")
        self.digits_label, self.note_label = QLabel(), QLabel()
        form = QFormLayout()
        form.addRow(self.digits_label, self.digits)
        form.addRow(self.note_label, self.note)
        self.add_button, self.save_button = QPushButton(), QPushButton()
        self.delete_button = QPushButton()
        self.add_button.setObjectName("internalAdd")
        self.save_button.setObjectName("internalSave")
        self.delete_button.setObjectName("internalDelete")
        self.add_button.clicked.connect(self.new)
        self.save_button.clicked.connect(lambda: self.spawn(self.save()))
        self.delete_button.clicked.connect(lambda: self.spawn(self.delete()))
        from agent_app.services.calls import may_edit_internal

        editable = may_edit_internal(self.ctx.actor)
        # an operator sees why the fields do not take typing (the service refuses anyway)
        self.read_only_note = QLabel()
        self.read_only_note.setObjectName("internalReadOnly")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setVisible(not editable)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.save_button, self.delete_button):
            b.setVisible(editable)
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.digits.setReadOnly(not editable)
        self.note.setReadOnly(not editable)
        self.status = self.message_label("internalStatus")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.read_only_note)
        lay.addWidget(self.view, 1)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        self.spawn(self.reload())
        return page

    def _columns(self) -> list[Column]:
        return [Column("digits", self.tr("Number")), Column("note", self.tr("Note")),
                Column("updated_by_name", self.tr("Changed by"),
                       lambda name: name or self.tr("System"))]

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.model.set_columns(self._columns())
        self.digits_label.setText(self.tr("Number"))
        self.note_label.setText(self.tr("Note"))
        self.add_button.setText(self.tr("&New"))
        self.save_button.setText(self.tr("&Save"))
        self.delete_button.setText(self.tr("&Delete"))
        self.read_only_note.setText(self.tr(
            "Read-only: internal numbers are maintained by administrators."))

    async def reload(self, select_id: int | None = None) -> None:
        rows = await self.call_service(C.call_service(self.ctx).list_internal)
        if rows is None:
            return
        self.model.set_rows(rows)
        self.loaded = True
        for i, r in enumerate(rows):
            if r.id == select_id:
                self.view.selectRow(i)

    def _pick(self, index) -> None:
        if not index.isValid():
            return
        self.editing = self.model.row_at(index.row())
        self.digits.setText(self.editing.digits)
        self.note.setText(self.editing.note)

    def new(self) -> None:
        self.view.clearSelection()
        self.view.setCurrentIndex(QModelIndex())  # picking the same row again must load it
        self.editing = None
        self.digits.clear()
        self.note.clear()
        self.digits.setFocus()

    async def save(self) -> None:
        e = self.editing
        info = await self.call_service(
            C.call_service(self.ctx).save_internal, self.ctx.actor,
            e.id if e else None, self.digits.text(), self.note.text(),
            e.version if e else None)
        if info is None:
            return
        self.editing = info
        self.status.setText(self.tr("Saved {digits}.").format(digits=info.digits))
        await self.reload(select_id=info.id)

    async def delete(self) -> None:
        e = self.editing
        if e is None:
            self.status.setText(self.tr("Choose the number to delete."))
            return
        if not await self.succeeded(self.ctx.runner.call(
                C.call_service(self.ctx).delete_internal, self.ctx.actor, e.id)):
            return
        self.status.setText(self.tr("Deleted {digits}.").format(digits=e.digits))
        self.new()
        await self.reload()

