"""客户提醒: the reminders due in a date range (done ones, 已回, pink), and the dialog
that sets a reminder (date and time, note, for me only or for my callback group)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.reminders import ReminderService
from db.enums import ReminderScope
from ui.kit.changes import Change
from ui.kit.formats import local_time, site_today_qdate
from ui.kit.forms import FieldErrors, save_cancel_buttons, submit
from ui.kit.panel import Panel
from ui.kit.table import ROW_ROLE, Column, TableModel
from ui.kit.tasks import start_soon, task_slot
from ui.kit.views import make_table_view
from ui.sales.models import PINK


class ReminderListPanel(Panel):
    watches = (Change.REMINDER,)
    default_area = Qt.DockWidgetArea.BottomDockWidgetArea
    open_requested = Signal(int)        # 检索: the reminder's customer
    new_requested = Signal(int, str)    # customer id (0: the open record's), name

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.model = TableModel([], lambda r: PINK if r.done else None)
        self.loaded = False
        super().__init__(ctx, parent)
        self.service: ReminderService = ctx.services.get(ReminderService)

    def title(self) -> str:
        return self.tr("Customer reminders")

    def build(self) -> QWidget:
        box = QWidget()
        today = site_today_qdate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-7)), QDateEdit(today.addDays(7))
        for name in ("date_from", "date_to"):
            w = getattr(self, name)
            w.setObjectName(name)
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.include_done = QCheckBox()
        self.include_done.setObjectName("includeDone")
        self.include_done.setChecked(True)
        self.to_label = QLabel()
        self.buttons: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        for w in (self.date_from, self.to_label, self.date_to, self.include_done):
            top.addWidget(w)
        top.addStretch(1)
        actions = QHBoxLayout()  # a second row keeps the dock narrow beside the console
        actions.addStretch(1)
        for key, slot in (("refresh", self.refresh), ("done", self.mark_done),
                          ("open", self.open_selected), ("new", self.new_reminder)):
            b = QPushButton()
            b.setObjectName(f"{key}Reminder")
            b.clicked.connect(slot)
            self.buttons[key] = b
            actions.addWidget(b)
        self.view = make_table_view(self.model, "reminderList", widths=(130, 44, 80, 110, 70, 50),
                                    alternating=False, stretch_last=True)
        self.view.activated.connect(self.open_selected)
        self.status = self.message_label("panelStatus", wrap=False)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(actions)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        start_soon(box, self.refresh)
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        self.model.set_columns([
            Column("due_at", self.tr("Due"), local_time), Column("done", self.tr("Done")),
            Column("customer_name", self.tr("Customer")), Column("phone", self.tr("Phone"), kind="phone"),
            Column("owner_name", self.tr("Set by")),
            Column("group_number", self.tr("Group")), Column("note", self.tr("Note"))])
        if not self.is_built:
            return
        self.to_label.setText(self.tr("to"))
        self.include_done.setText(self.tr("Include done"))
        for key, text in (("refresh", self.tr("Refresh")), ("done", self.tr("Mark done")),
                          ("open", self.tr("Go to c&ustomer")),
                          ("new", self.tr("Ne&w reminder"))):
            self.buttons[key].setText(text)

    def show_status(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        self.refresh()

    @task_slot()
    async def refresh(self) -> None:
        rows = await self.call_service(self.service.list, self.ctx.actor,
                                date_from=self.date_from.date().toPython(),
                                date_to=self.date_to.date().toPython(),
                                include_done=self.include_done.isChecked())
        if rows is not None:
            keep = self.selected()
            self.model.set_rows(rows)
            self.loaded = True
            if keep is not None:  # the agent's row stays selected (e.g. after 已回)
                for i, r in enumerate(rows):
                    if r.id == keep.id:
                        self.view.selectRow(i)
            self.show_status(self.tr("{n} reminder(s), {open} open").format(
                n=len(rows), open=sum(1 for r in rows if not r.done)))

    def selected(self):
        idx = self.view.currentIndex()
        return idx.data(ROW_ROLE) if idx.isValid() else None

    @task_slot()
    async def mark_done(self) -> None:
        """已回: the callback was made."""
        r = self.selected()
        if r is None or r.done:
            self.show_status(self.tr("Select an open reminder first."))
            return
        if await self.call_service(self.service.mark_done, self.ctx.actor, r.id, r.version):
            await self.refresh()

    def open_selected(self) -> None:
        r = self.selected()
        if r is None:
            self.show_status(self.tr("Select a reminder first."))
            return
        self.open_requested.emit(r.customer_id)

    def new_reminder(self) -> None:
        r = self.selected()
        self.new_requested.emit(r.customer_id if r else 0, r.customer_name if r else "")


class ReminderDialog(QDialog):
    """提醒: set a callback reminder for one customer (non-modal; open() it)."""

    saved = Signal(object)  # ReminderInfo

    def __init__(self, ctx, customer_id: int, customer_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReminderDialog")
        self.ctx, self.customer_id, self.customer_name = ctx, customer_id, customer_name
        tomorrow = QDateTime(QDate.currentDate().addDays(1), QTime(10, 0))
        self.due = QDateTimeEdit(tomorrow)
        self.due.setObjectName("due_at")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.note = QPlainTextEdit()
        self.note.setObjectName("note")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(70)
        self.scope = QComboBox()
        self.scope.setObjectName("scope")
        self.errors = FieldErrors(QLabel())
        form = QFormLayout()
        self.captions = [self.errors.add_row(form, "due_at", "", self.due),
                         self.errors.add_row(form, "note", "", self.note),
                         self.errors.add_row(form, "scope", "", self.scope)]
        self.errors.widgets["group_number"] = self.scope
        self.errors.labels["group_number"] = self.errors.labels["scope"]
        self.buttons = save_cancel_buttons(self, form, self.errors, 380)
        # the note is what the agent writes (the time defaults to tomorrow 10:00);
        # Return makes a new line in it, Ctrl+Return saves
        save_key = QShortcut(QKeySequence("Ctrl+Return"), self)
        save_key.activated.connect(self.submit)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Reminder: {name}").format(name=self.customer_name))
        for label, text in zip(self.captions, (self.tr("&Date and time"), self.tr("&Note"),
                                               self.tr("&For")), strict=True):
            label.setText(text)
        self.scope.clear()
        self.scope.addItem(self.tr("Only me"), (ReminderScope.ME, None))
        for g in self.ctx.actor.groups:
            self.scope.addItem(self.tr("My callback group {group}").format(group=g),
                               (ReminderScope.GROUP, g))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.note.setFocus()

    def due_at(self) -> dt.datetime:
        """The local wall-clock time the agent picked, as an aware datetime."""
        return self.due.dateTime().toPython().astimezone()

    @task_slot()
    async def submit(self) -> None:
        scope, group = self.scope.currentData()
        svc: ReminderService = self.ctx.services.get(ReminderService)
        ok, info = await submit(self.errors, self.buttons, self.ctx.runner.call(
            svc.create, self.ctx.actor, self.customer_id, self.due_at(),
            self.note.toPlainText(), scope=scope, group_number=group))
        if not ok:
            return
        self.saved.emit(info)
        self.accept()
