"""The customer record's tabs: 联系 (contacts), 提醒 (reminders), 销售情况 (the customer's
orders) and 意见及建议 (feedback). Each is built once; `show_rows()` only replaces the
rows (the screen-pop path paints from one bundle, with no database call)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.reminders import ReminderService
from ui.kit.formats import local_time
from ui.kit.forms import Retranslated
from ui.kit.names import (
    channel_names,
    delivery_names,
    demand_names,
    feedback_names,
    name_of,
    receipt_names,
    status_names,
)
from ui.kit.panel import ServiceCalls
from ui.kit.table import ROW_ROLE, Column, TableModel
from ui.kit.tasks import task_slot
from ui.kit.views import make_table_view, set_column_widths
from ui.sales.models import PINK, order_colour
from ui.sales.query import fill_combo


class RecordTab(ServiceCalls, Retranslated, QWidget):
    """A tab of one customer's record; messages (a service call's known error too) go to
    the record's status line."""

    message = Signal(str)

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: int | None = None

    def show_failure(self, text: str) -> None:
        self.message.emit(text)

    def selected(self) -> Any:
        idx = self.view.currentIndex()
        return idx.data(ROW_ROLE) if idx.isValid() else None


class ContactsTab(RecordTab):
    """联系: the contact log, and the form to add one or complete its 联系内容."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.service: ContactService = ctx.services.get(ContactService)
        self.model = TableModel([])
        self.view = make_table_view(self.model, "contactTable", alternating=False,
                                    stretch_last=True)
        self.view.clicked.connect(self._edit_selected)
        self.channel, self.demand_type, self.variety = QComboBox(), QComboBox(), QComboBox()
        self.content, self.our_staff, self.demand_info = QLineEdit(), QLineEdit(), QLineEdit()
        for name in ("channel", "demand_type", "variety", "content", "our_staff", "demand_info"):
            getattr(self, name).setObjectName(name)
        self.editing = None  # the ContactInfo being completed, None for a new one
        self.new_button, self.save_button = QPushButton(), QPushButton()
        self.new_button.setObjectName("newContact")
        self.save_button.setObjectName("saveContact")
        self.new_button.clicked.connect(self.new_contact)
        self.save_button.clicked.connect(self.save)
        for edit in (self.content, self.our_staff, self.demand_info):
            edit.returnPressed.connect(self.save)  # Return in a field saves the contact
        self.captions = [QLabel() for _ in range(3)]
        # two compact rows under the log (the record is short at 1366×768)
        row1 = QHBoxLayout()
        row1.addWidget(self.captions[0])
        for w in (self.channel, self.demand_type, self.variety, self.our_staff):
            row1.addWidget(w, 1)
        row1.addWidget(self.new_button)
        row1.addWidget(self.save_button)
        row2 = QHBoxLayout()
        for caption, w in ((self.captions[1], self.content),
                           (self.captions[2], self.demand_info)):
            caption.setBuddy(w)
            row2.addWidget(caption)
            row2.addWidget(w, 1)
        self.captions[0].setBuddy(self.channel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.view, 1)
        lay.addLayout(row1)
        lay.addLayout(row2)
        self.retranslate_ui()
        set_column_widths(self.view, (130, 90, 70, 220, 80, 80))

    def retranslate_ui(self) -> None:
        self.model.set_columns([
            Column("at", self.tr("Time"), local_time),
            Column("channel", self.tr("Channel"), lambda v: name_of(channel_names(), v)),
            Column("employee_name", self.tr("Staff")), Column("content", self.tr("Content")),
            Column("demand_type", self.tr("Demand"), lambda v: name_of(demand_names(), v)),
            Column("demand_variety_name", self.tr("Variety")),
            Column("demand_info", self.tr("Demand details"))])
        fill_combo(self.channel, channel_names().items())
        fill_combo(self.demand_type, demand_names().items(), empty=self.tr("(demand type)"))
        for label, text in zip(self.captions, (self.tr("Contact"), self.tr("Co&ntent"),
                                               self.tr("Demand details")), strict=True):
            label.setText(text)
        self.our_staff.setPlaceholderText(self.tr("Our staff"))
        self.new_button.setText(self.tr("New contact"))
        self.save_button.setText(self.tr("Save contact"))
        self.save_button.setToolTip(self.tr("Save the contact (Return in its fields)"))

    def set_varieties(self, varieties: list[tuple[int, str]]) -> None:
        fill_combo(self.variety, varieties, empty=self.tr("(variety)"))

    def show_rows(self, customer_id: int | None, rows: list) -> None:
        self.customer_id = customer_id
        self.model.set_rows(rows)
        self.new_contact()
        self.setEnabled(customer_id is not None)

    def new_contact(self) -> None:
        self.editing = None
        self.view.clearSelection()
        for w in (self.content, self.demand_info):
            w.clear()
        self.our_staff.setText(self.ctx.actor.name)
        self.demand_type.setCurrentIndex(0)
        self.variety.setCurrentIndex(0)

    def _edit_selected(self) -> None:
        c = self.selected()
        if c is None:
            return
        self.editing = c
        self.channel.setCurrentIndex(max(0, self.channel.findData(c.channel)))
        self.demand_type.setCurrentIndex(max(0, self.demand_type.findData(c.demand_type)))
        self.variety.setCurrentIndex(max(0, self.variety.findData(c.demand_variety_id)))
        self.content.setText(c.content)
        self.our_staff.setText(c.our_staff)
        self.demand_info.setText(c.demand_info)

    @task_slot()
    async def save(self) -> None:
        if self.customer_id is None:
            return
        draft = ContactDraft(customer_id=self.customer_id, channel=self.channel.currentData(),
                             content=self.content.text(),
                             demand_type=self.demand_type.currentData(),
                             demand_variety_id=self.variety.currentData(),
                             our_staff=self.our_staff.text(),
                             demand_info=self.demand_info.text())
        if self.editing is None:
            saved = await self.call_service(self.service.add, self.ctx.actor, draft)
        else:
            saved = await self.call_service(self.service.update, self.ctx.actor,
                                            self.editing.id, self.editing.version, draft)
        if saved is None:
            return  # the message is shown; the form keeps what was typed
        rows = await self.call_service(self.service.for_customer, self.customer_id)
        if rows is not None:
            self.show_rows(self.customer_id, rows)
        self.message.emit(self.tr("Contact saved."))


class RemindersTab(RecordTab):
    """提醒: the customer's reminders; done ones (已回) pink."""

    new_requested = Signal()

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.service: ReminderService = ctx.services.get(ReminderService)
        self.model = TableModel([], lambda r: PINK if r.done else None)
        self.view = make_table_view(self.model, "reminderTable", alternating=False,
                                    stretch_last=True)
        self.new_button, self.done_button = QPushButton(), QPushButton()
        self.new_button.setObjectName("newReminder")
        self.done_button.setObjectName("markDone")
        self.new_button.clicked.connect(self.new_requested)
        self.done_button.clicked.connect(self.mark_done)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.done_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        self.retranslate_ui()
        set_column_widths(self.view, (130, 44, 80))

    def retranslate_ui(self) -> None:
        self.model.set_columns([
            Column("due_at", self.tr("Due"), local_time), Column("done", self.tr("Done")),
            Column("owner_name", self.tr("Set by")), Column("note", self.tr("Note"))])
        self.new_button.setText(self.tr("New reminder"))
        self.done_button.setText(self.tr("Mar&k done"))

    def show_rows(self, customer_id: int | None, rows: list) -> None:
        self.customer_id = customer_id
        self.model.set_rows(rows)
        self.setEnabled(customer_id is not None)

    @task_slot()
    async def reload(self) -> None:
        if self.customer_id is not None:
            rows = await self.call_service(self.service.for_customer, self.customer_id,
                                           viewer=self.ctx.actor)
            if rows is not None:
                self.model.set_rows(rows)

    @task_slot()
    async def mark_done(self) -> None:
        r = self.selected()
        if r is None or r.done:
            self.message.emit(self.tr("Select an open reminder first."))
            return
        if await self.call_service(self.service.mark_done, self.ctx.actor, r.id, r.version):
            await self.reload()


class SalesTab(RecordTab):
    """销售情况: the customer's orders, yellow until 物流确认, then brownish green."""

    order_requested = Signal(int)  # order id

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = TableModel([], order_colour)
        self.view = make_table_view(self.model, "orderTable", alternating=False)
        self.view.activated.connect(self._open)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        self.retranslate_ui()
        set_column_widths(self.view, (95, 130, 80, 80, 70, 44, 50, 36, 70))

    def retranslate_ui(self) -> None:
        self.model.set_columns([
            Column("order_no", self.tr("Order no.")),
            Column("created_at", self.tr("Date"), local_time),
            Column("variety_name", self.tr("Variety")),
            Column("total", self.tr("Amount"), kind="money"),
            Column("status", self.tr("Status"), lambda v: name_of(status_names(), v)),
            Column("feedback_state", self.tr("Fb."), lambda v: name_of(feedback_names(), v)),
            Column("receipt_state", self.tr("Rcpt."), lambda v: name_of(receipt_names(), v)),
            Column("delivery_method", self.tr("Del."),
                   lambda v: name_of(delivery_names(), v)[:1]),
            Column("employee_name", self.tr("Staff"))])

    def show_rows(self, customer_id: int | None, rows: list) -> None:
        self.customer_id = customer_id
        self.model.set_rows(rows)

    def _open(self, index) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.order_requested.emit(row.id)


class FeedbackTab(RecordTab):
    """意见及建议: read when the tab is first shown for a customer (not in the bundle)."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.service: ContactService = ctx.services.get(ContactService)
        self.model = TableModel([])
        self.view = make_table_view(self.model, "feedbackTable", alternating=False,
                                    stretch_last=True)
        self.text = QLineEdit()
        self.text.setObjectName("feedbackText")
        self.text.setMaxLength(2000)
        self.text.returnPressed.connect(self.add)
        self.add_button, self.refresh_button = QPushButton(), QPushButton()
        self.add_button.setObjectName("addFeedback")
        self.refresh_button.setObjectName("refreshFeedback")
        self.add_button.clicked.connect(self.add)
        self.refresh_button.clicked.connect(self.refresh)
        self.stale = True
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.refresh_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.retranslate_ui()
        set_column_widths(self.view, (130, 80))

    def retranslate_ui(self) -> None:
        self.model.set_columns([Column("at", self.tr("Time"), local_time),
                                Column("employee_name", self.tr("Staff")),
                                Column("text", self.tr("Opinion or suggestion"))])
        self.text.setPlaceholderText(self.tr("The customer's opinion or suggestion"))
        self.add_button.setText(self.tr("Add"))
        self.add_button.setToolTip(self.tr("Add the opinion or suggestion"))
        self.refresh_button.setText(self.tr("Refresh"))

    def set_customer(self, customer_id: int | None) -> None:
        self.customer_id = customer_id
        self.model.set_rows([])
        self.stale = True
        self.setEnabled(customer_id is not None)

    @task_slot()
    async def refresh(self) -> None:
        if self.customer_id is None:
            return
        customer_id = self.customer_id
        rows = await self.call_service(self.service.feedback_for, customer_id)
        if rows is not None and customer_id == self.customer_id:
            self.stale = False
            self.model.set_rows(rows)

    @task_slot()
    async def add(self) -> None:
        text = self.text.text().strip()
        if self.customer_id is None or not text:
            return
        if await self.call_service(self.service.add_feedback, self.ctx.actor,
                                   self.customer_id, text):
            self.text.clear()
            await self.refresh()
