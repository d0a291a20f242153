"""客户维护 (needs CUSTOMER_MAINTENANCE): find customers, select several, and change their
owner or callback agent, transfer them (转交), remove a customer's duplicate orders or
cancel reminders. Every change is confirmed first; the service audits it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.accounts import AccountService
from agent_app.services.customer_query import CustomerQuery, CustomerQueryService
from agent_app.services.maintenance import CustomerMaintenanceService
from agent_app.services.orders import OrderService
from agent_app.services.reminders import ReminderService
from ui.dialogs import wait_finished
from ui.kit.formats import local_time
from ui.kit.names import name_of, search_fields, status_names
from ui.kit.panel import Panel
from ui.kit.table import ROW_ROLE, Column, PagedTableModel, TableModel
from ui.kit.tasks import spawn, start_soon, task_slot
from ui.kit.views import make_table_view
from ui.sales.directory import customer_columns, make_customer_view
from ui.sales.models import PINK, customer_colour, order_colour
from ui.sales.query import fill_combo


class CustomerMaintenancePanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.model = PagedTableModel([], customer_colour)
        self.orders = TableModel([], order_colour)
        self.reminders = TableModel([], lambda r: PINK if r.done else None)
        self.loaded = False
        super().__init__(ctx, parent)
        self.service: CustomerMaintenanceService = ctx.services.get(CustomerMaintenanceService)
        self.model.failed.connect(self.show_status)
        self.model.loaded.connect(lambda n: setattr(self, "loaded", True))
        self.confirm_box: QMessageBox | None = None

    def title(self) -> str:
        return self.tr("Customer maintenance")

    def build(self) -> QWidget:
        box = QWidget()
        self.field, self.text = QComboBox(), QLineEdit()
        self.text.returnPressed.connect(self.search)
        self.employee = QComboBox()
        for name in ("field", "text", "employee"):
            getattr(self, name).setObjectName(name)
        self.buttons: dict[str, QPushButton] = {}

        def button(key, slot) -> QPushButton:
            b = QPushButton()
            b.setObjectName(f"{key}Button")
            b.clicked.connect(slot)
            self.buttons[key] = b
            return b
        find = QHBoxLayout()
        find.addWidget(self.field)
        find.addWidget(self.text, 1)
        find.addWidget(button("search", self.search))
        self.view = make_customer_view(self.model, "maintenanceTable")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: spawn(self._current_changed(current)))
        self.employee_label = QLabel()
        self.employee_label.setBuddy(self.employee)
        act = QHBoxLayout()
        act.addWidget(self.employee_label)
        act.addWidget(self.employee, 1)
        for key, slot in (("owner", self.set_owner), ("callback", self.set_callback_agent),
                          ("transfer", self.transfer)):
            act.addWidget(button(key, slot))
        self.order_view = make_table_view(self.orders, "maintenanceOrders",
                                          widths=(95, 130, 80, 70, 80), alternating=False)
        self.reminder_view = make_table_view(self.reminders, "maintenanceReminders",
                                             widths=(130, 44, 80), alternating=False,
                                             stretch_last=True)
        for v in (self.order_view, self.reminder_view):
            v.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.detail = QTabWidget()
        for view, key, slot in ((self.order_view, "remove", self.remove_orders),
                                (self.reminder_view, "cancel", self.cancel_reminders)):
            page = QWidget()
            v = QVBoxLayout(page)
            v.setContentsMargins(2, 2, 2, 2)
            v.addWidget(view, 1)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(button(key, slot))
            v.addLayout(row)
            self.detail.addTab(page, "")
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(find)
        tl.addWidget(self.view, 1)
        tl.addLayout(act)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.detail)
        self.status = self.message_label("panelStatus")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split, 1)
        lay.addWidget(self.status)
        start_soon(box, self._load_choices)
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        self.model.set_columns(customer_columns())
        self.orders.set_columns([
            Column("order_no", self.tr("Order no.")),
            Column("created_at", self.tr("Date"), local_time),
            Column("total", self.tr("Amount"), kind="money"),
            Column("status", self.tr("Status"), lambda v: name_of(status_names(), v)),
            Column("confirmed", self.tr("Confirmed")),
            Column("variety_name", self.tr("Variety"))])
        self.reminders.set_columns([Column("due_at", self.tr("Due"), local_time),
                                    Column("done", self.tr("Done")),
                                    Column("owner_name", self.tr("Set by")),
                                    Column("note", self.tr("Note"))])
        if not self.is_built:
            return
        fill_combo(self.field, search_fields())
        self.text.setPlaceholderText(self.tr("Search text"))
        self.employee_label.setText(self.tr("Emplo&yee"))
        for key, text in (("search", self.tr("Search")), ("owner", self.tr("Set owner")),
                          ("callback", self.tr("Set callback agent")),
                          ("transfer", self.tr("Transfer")),
                          ("remove", self.tr("Remove selected orders")),
                          ("cancel", self.tr("Cancel selected reminders"))):
            self.buttons[key].setText(text)
        self.detail.setTabText(0, self.tr("Orders of the current customer"))
        self.detail.setTabText(1, self.tr("Reminders of the current customer"))

    def show_status(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

    @task_slot()
    async def _load_choices(self) -> None:
        staff = await self.call_service(self.ctx.services.get(AccountService).pick_list)
        if staff is not None:
            fill_combo(self.employee, [(i, f"{login} {name}") for i, login, name in staff])

    @task_slot()
    async def search(self) -> None:
        text = self.text.text().strip()
        if not text:
            self.show_status(self.tr("Type what to search for."))
            return
        q = CustomerQuery(field=self.field.currentData(), text=text)
        svc = self.ctx.services.get(CustomerQueryService)

        async def fetch(after):
            return await self.ctx.runner.call(svc.search, self.ctx.actor, q, after=after)
        await self.model.reset(fetch)

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.row_at(r).id for r in rows]

    async def _current_changed(self, current) -> None:
        """The lower tabs follow the current customer (its orders and reminders)."""
        row = current.data(ROW_ROLE) if current.isValid() else None
        if row is None:
            self.orders.set_rows([])
            self.reminders.set_rows([])
            return
        orders = await self.call_service(self.ctx.services.get(OrderService).for_customer, row.id,
                                         viewer=self.ctx.actor)
        reminders = await self.call_service(self.ctx.services.get(ReminderService).for_customer,
                                            row.id, viewer=self.ctx.actor)
        self.orders.set_rows(orders or [])
        self.reminders.set_rows(reminders or [])

    async def confirm(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, self.title(), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmMaintenance")
        self.confirm_box = box
        try:
            return await wait_finished(box) == QMessageBox.StandardButton.Yes
        finally:
            self.confirm_box = None

    async def _assign(self, fn, question: str) -> int | None:
        ids = self.selected_ids()
        employee = self.employee.currentData()
        if not ids or employee is None:
            self.show_status(self.tr("Select customers and an employee first."))
            return None
        if not await self.confirm(question.format(n=len(ids), who=self.employee.currentText())):
            return None
        n = await self.call_service(fn, self.ctx.actor, ids, employee)
        if n is not None:
            self.show_status(self.tr("{n} customer(s) changed.").format(n=n))
            await self.search()
        return n

    @task_slot()
    async def set_owner(self) -> int | None:
        return await self._assign(self.service.set_owner,
                                  self.tr("Make {who} the owner of {n} customer(s)?"))

    @task_slot()
    async def set_callback_agent(self) -> int | None:
        return await self._assign(self.service.set_callback_agent,
                                  self.tr("Make {who} the callback agent of {n} customer(s)?"))

    @task_slot()
    async def transfer(self) -> int | None:
        return await self._assign(self.service.transfer,
                                  self.tr("Transfer {n} customer(s) to {who}?"))

    @task_slot()
    async def remove_orders(self) -> int | None:
        rows = sorted({i.row() for i in self.order_view.selectionModel().selectedRows()})
        ids = [self.orders.row_at(r).id for r in rows]
        if not ids:
            self.show_status(self.tr("Select the duplicate orders first."))
            return None
        if not await self.confirm(self.tr("Remove {n} duplicate order(s)? Only unconfirmed "
                                          "or cancelled orders can be removed.").format(
                                              n=len(ids))):
            return None
        n = await self.call_service(self.service.remove_orders, self.ctx.actor, ids)
        if n is not None:
            self.show_status(self.tr("{n} order(s) removed.").format(n=n))
            await self._current_changed(self.view.currentIndex())
        return n

    @task_slot()
    async def cancel_reminders(self) -> int | None:
        rows = sorted({i.row() for i in self.reminder_view.selectionModel().selectedRows()})
        ids = [self.reminders.row_at(r).id for r in rows]
        if not ids:
            self.show_status(self.tr("Select the reminders first."))
            return None
        if not await self.confirm(self.tr("Cancel {n} reminder(s)?").format(n=len(ids))):
            return None
        n = await self.call_service(self.ctx.services.get(ReminderService).cancel, self.ctx.actor, ids)
        if n is not None:
            self.show_status(self.tr("{n} reminder(s) cancelled.").format(n=n))
            await self._current_changed(self.view.currentIndex())
        return n
