"""新客户订单 / 销售内容: the order form (non-modal).

The customer part never changes on an order (the manual: 客户栏的资料都不能进行更改).
An unconfirmed order can be edited in full; after 物流确认 only the medium may change
(logistics may already have the slip; the service enforces it too). 确定 saves, then asks
"是否进行物流确认?" with a box opened by open(), never exec().

A new order opens with its first line's product editor open and focused, every time:
the agent types a name or short code at once (docs/keyboard.md). Ctrl+Return is 确定."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.archives import ArchiveService
from agent_app.services.customers import CustomerService
from agent_app.services.logistics import LogisticsService
from agent_app.services.orders import OrderDraft, OrderInfo, OrderService
from db.enums import DeliveryMethod, OrderStatus, Payment, Permission
from ui.dialogs import wait_finished
from ui.kit.formats import local_time, parse_time
from ui.kit.names import (
    class_names,
    delivery_names,
    name_of,
    payment_names,
    receipt_names,
    status_names,
)
from ui.kit.panel import ServiceCalls
from ui.kit.tasks import task_slot
from ui.sales.order_lines import (
    AMOUNT,
    KIND,
    PRICE,
    PRODUCT,
    QUANTITY,
    SPEC,
    TRIAL,
    Line,
    LinesDelegate,
    LinesModel,
    collapsible_list,
)
from ui.sales.query import fill_combo


class OrderDialog(ServiceCalls, QDialog):
    saved = Signal(object)  # OrderInfo after each save, confirmation or cancellation

    def __init__(self, ctx, *, customer_id: int, order_id: int | None = None,
                 call: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OrderDialog")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._in_flight = 0             # saves running on a worker (see closeEvent)
        self._close_when_done = False
        self.ctx, self.customer_id, self.order_id, self.call = ctx, customer_id, order_id, call
        self.orders: OrderService = ctx.services.get(OrderService)
        self.logistics: LogisticsService = ctx.services.get(LogisticsService)
        self.order: OrderInfo | None = None
        self.confirm_box: QMessageBox | None = None
        self.loaded = False
        self._opened = False
        self._build()
        self.retranslate_ui()
        self.resize(820, 620)
        if order_id is None:
            self.lines.add_line()  # the first line exists from the start, not after the load

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.customer_box = QGroupBox()
        self.customer_info = QLabel()
        self.customer_info.setObjectName("customerSummary")
        self.customer_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.customer_info.setWordWrap(True)
        QVBoxLayout(self.customer_box).addWidget(self.customer_info)
        self.order_info = QLabel()
        self.order_info.setObjectName("orderSummary")
        self.lines = LinesModel(self)
        self.lines.totals_changed.connect(self._update_totals)
        self.table = QTableView()
        self.table.setObjectName("orderLines")
        self.table.setModel(self.lines)
        self.delegate = LinesDelegate(self.lines, self.table)
        self.delegate.unknown_product.connect(self._unknown_product)
        self.table.setItemDelegate(self.delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # no CurrentChanged trigger: an editor opens when the agent asks (a key, a click,
        # 增加) or when the form opens, never as a side effect of focus or a late load
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.DoubleClicked | triggers.SelectedClicked
                                   | triggers.EditKeyPressed | triggers.AnyKeyPressed)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PRODUCT, QHeaderView.ResizeMode.Stretch)
        for col, w in ((SPEC, 110), (PRICE, 80), (QUANTITY, 50), (KIND, 90), (TRIAL, 44),
                       (AMOUNT, 90)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(col, w)
        self.line_buttons: dict[str, QPushButton] = {}
        lb = QHBoxLayout()
        for key, slot in (("add", self.add_line), ("delete", self.delete_line),
                          ("clear", self.clear_lines)):
            b = QPushButton()
            b.setObjectName(f"{key}Line")
            b.clicked.connect(slot)
            self.line_buttons[key] = b
            lb.addWidget(b)
        lb.addStretch(1)
        self.totals = QLabel()
        self.totals.setObjectName("orderTotals")
        self.totals.setStyleSheet("font-weight: bold;")
        lb.addWidget(self.totals)
        self.delivery, self.payment, self.medium = QComboBox(), QComboBox(), QComboBox()
        self.requirements, self.remark = QLineEdit(), QLineEdit()
        self.requirements.setMaxLength(200)
        self.remark.setMaxLength(500)
        for name in ("delivery", "payment", "medium", "requirements", "remark"):
            getattr(self, name).setObjectName(name)
        self.delivery_box = QGroupBox()
        grid = QGridLayout(self.delivery_box)
        self.captions = {k: QLabel() for k in ("delivery", "payment", "medium",
                                               "requirements", "remark")}
        for i, key in enumerate(("delivery", "payment", "medium")):
            grid.addWidget(self.captions[key], 0, 2 * i)
            grid.addWidget(getattr(self, key), 0, 2 * i + 1)
            self.captions[key].setBuddy(getattr(self, key))
        for r, key in ((1, "requirements"), (2, "remark")):
            grid.addWidget(self.captions[key], r, 0)
            grid.addWidget(getattr(self, key), r, 1, 1, 5)
            self.captions[key].setBuddy(getattr(self, key))
        for c in (1, 3, 5):
            grid.setColumnStretch(c, 1)
        self.history_toggle, self.history = collapsible_list("historyToggle", "orderHistory")
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.save_button, self.cancel_order_button, self.close_button = (
            QPushButton(), QPushButton(), QPushButton())
        self.save_button.setObjectName("saveOrder")
        self.save_button.setDefault(True)
        self.cancel_order_button.setObjectName("cancelOrder")
        self.close_button.setObjectName("closeOrder")
        self.save_button.clicked.connect(self.save)
        save_key = QShortcut(QKeySequence("Ctrl+Return"), self)
        save_key.activated.connect(self._save_key)
        self.save_shortcut = save_key
        self.cancel_order_button.clicked.connect(self.cancel_order)
        self.close_button.clicked.connect(self.close)
        self.cancel_order_button.hide()
        # the seller's part after 物流确认: 传物流 (send an edit of a confirmed, unprinted
        # order to logistics) and 垂 (did the customer receive the goods)
        self.resend_button = QPushButton()
        self.resend_button.setObjectName("resendOrder")
        self.resend_button.clicked.connect(self.resend)
        self.resend_button.hide()
        self.receipt_label = QLabel()
        self.receipt = QComboBox()
        self.receipt.setObjectName("orderReceipt")
        self.receipt.activated.connect(lambda _i: self.save_receipt())
        for w in (self.receipt_label, self.receipt):
            w.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.cancel_order_button)
        bottom.addWidget(self.resend_button)
        bottom.addWidget(self.receipt_label)
        bottom.addWidget(self.receipt)
        bottom.addStretch(1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.customer_box)
        lay.addWidget(self.order_info)
        lay.addWidget(self.table, 1)
        lay.addLayout(lb)
        lay.addWidget(self.delivery_box)
        lay.addWidget(self.history_toggle)
        lay.addWidget(self.history)
        lay.addWidget(self.message)
        lay.addLayout(bottom)

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Sales order") if self.order_id else self.tr("New order"))
        self.customer_box.setTitle(self.tr("Customer"))
        self.delivery_box.setTitle(self.tr("Delivery"))
        self.lines.set_headers([self.tr("Product"), self.tr("Specification"),
                                self.tr("Unit price"), self.tr("Qty"),
                                self.tr("Kind"), self.tr("Trial"), self.tr("Amount")])
        for key, text in (("add", self.tr("&Add line")), ("delete", self.tr("&Delete line")),
                          ("clear", self.tr("C&lear"))):
            self.line_buttons[key].setText(text)
        for key, text in (("delivery", self.tr("Deli&very")), ("payment", self.tr("Pa&yment")),
                          ("medium", self.tr("&Medium")),
                          ("requirements", self.tr("Re&quirements")),
                          ("remark", self.tr("Remar&k"))):
            self.captions[key].setText(text)
        fill_combo(self.delivery, delivery_names().items())
        fill_combo(self.payment, payment_names().items())
        self.history_toggle.setText(self.tr("&History"))
        self.save_button.setText(self.tr("&OK"))
        self.save_button.setToolTip(self.tr("Save the order (Ctrl+Return)"))
        self.cancel_order_button.setText(self.tr("Ca&ncel order…"))
        self.resend_button.setText(self.tr("Send to &logistics"))
        self.resend_button.setToolTip(self.tr("传物流: tell logistics what changed since the "
                                              "order was confirmed (before it is printed)"))
        self.receipt_label.setText(self.tr("Receipt"))
        current = self.receipt.currentData()
        self.receipt.clear()
        for code, text in receipt_names().items():
            self.receipt.addItem(text, code)
        self.receipt.setCurrentIndex(max(0, self.receipt.findData(current)))
        self.close_button.setText(self.tr("Close"))
        self._update_totals()

    def _update_totals(self) -> None:
        self.totals.setText(self.tr("Total: {amount}  ({count} item(s))").format(
            amount=f"¥{self.lines.total():,.2f}", count=self.lines.quantity()))

    def message_line(self) -> QLabel:
        return self.message

    # -- loading ----------------------------------------------------------------------------
    async def load(self) -> bool:
        """Products, media, the customer and (for an existing order) the order itself."""
        archives = self.ctx.services.get(ArchiveService)
        products = await self.call_service(archives.list_products, self.ctx.actor, active_only=True)
        media = await self.call_service(archives.list_media, self.ctx.actor)
        customer = await self.call_service(self.ctx.services.get(CustomerService).get,
                                           self.customer_id, viewer=self.ctx.actor)
        if products is None or media is None or customer is None:
            return False
        self.lines.set_products(products)
        fill_combo(self.medium, [(m.id, m.name) for m in media], empty="")
        self.customer_info.setText(" · ".join(t for t in (
            f"{customer.name} ({customer.registration_no})",
            name_of(class_names(), customer.customer_class),
            " / ".join(p for p in (customer.mobile, customer.landline, customer.other_phone)
                       if p), customer.address) if t))
        if self.order_id:
            order = await self.call_service(self.orders.get, self.order_id)
            if order is None:
                return False
            await self.show_order(order)
        else:
            await self._placement_of_call(archives)
            self._defaults()
        self.loaded = True
        return True

    async def _placement_of_call(self, archives: ArchiveService) -> None:
        """The advert the caller answers (媒体投放 on the dialled hotline at the call's
        time) gives the order's medium and placement, unless the call already says."""
        call = self.call
        if not call or call.get("medium_id") or not call.get("dialed"):
            return
        when = parse_time(call.get("queued_at") or call.get("answered_at"))
        placement = await self.call_service(archives.placement_at, when, dialed=str(call["dialed"]))
        if placement is not None:
            self.call = {**call, "medium_id": placement.medium_id,
                         "placement_id": placement.id}
            return
        # no advert airing: the medium the hotline advertises, as the call banner says
        medium_id = await self.call_service(archives.medium_of_number, str(call["dialed"]))
        if medium_id is not None:
            self.call = {**call, "medium_id": medium_id}

    def _defaults(self) -> None:
        """A new order: 本地送货, 代收货款, the medium of the advert the caller answers."""
        self.delivery.setCurrentIndex(max(0, self.delivery.findData(DeliveryMethod.LOCAL)))
        self.payment.setCurrentIndex(max(0, self.payment.findData(Payment.COD)))
        call = self.call or {}
        i = self.medium.findData(call.get("medium_id")) if call.get("medium_id") else -1
        if i < 0 and call.get("medium_name"):
            i = self.medium.findText(str(call["medium_name"]))
        self.medium.setCurrentIndex(max(0, i))
        self.order_info.setText(self.tr("New order"))
        self._set_editable(True)
        if not self.lines.lines:
            self.lines.add_line()

    async def show_order(self, order: OrderInfo) -> None:
        self.order, self.order_id = order, order.id
        self.setWindowTitle(self.tr("Sales order {no}").format(no=order.order_no))
        self.lines.set_lines([Line.of(i) for i in order.lines])
        self.delivery.setCurrentIndex(max(0, self.delivery.findData(order.delivery_method)))
        self.payment.setCurrentIndex(max(0, self.payment.findData(order.payment)))
        self.medium.setCurrentIndex(max(0, self.medium.findData(order.medium_id)))
        self.requirements.setText(order.delivery_requirements)
        self.remark.setText(order.remark)
        state = self.tr("confirmed") if order.confirmed else self.tr("not confirmed")
        self.order_info.setText(self.tr("Order {no} · {date} · {variety} · {status}, {state}")
                                .format(no=order.order_no, date=local_time(order.created_at),
                                        variety=order.variety_name,
                                        status=name_of(status_names(), order.status),
                                        state=state))
        self._set_editable(not order.confirmed and order.status == OrderStatus.NOT_SENT)
        closed = order.status in (OrderStatus.CANCELLED, OrderStatus.VOIDED)
        self.medium.setEnabled(not closed)
        self.save_button.setEnabled(not closed)
        # the service's rule: 取消单 only before dispatch (not printed)
        self.cancel_order_button.setVisible(
            self.ctx.actor.can(Permission.CANCEL_ORDER)
            and order.status == OrderStatus.NOT_SENT and order.printed_at is None)
        self.resend_button.setVisible(order.confirmed and order.printed_at is None
                                      and order.feedback_state == "none" and not closed)
        for w in (self.receipt_label, self.receipt):
            w.setVisible(order.status != OrderStatus.CANCELLED)
        self.receipt.setCurrentIndex(max(0, self.receipt.findData(order.receipt_state)))
        events = await self.call_service(self.orders.history, order.id)
        self.history.clear()
        actions = {"create": self.tr("created"), "edit": self.tr("changed"),
                   "confirm": self.tr("logistics confirmation"), "cancel": self.tr("cancelled"),
                   "withdraw": self.tr("withdrawn by logistics"), "void": self.tr("voided"),
                   "print": self.tr("printed"), "waybill": self.tr("waybill"),
                   "feedback": self.tr("dispatch feedback"),
                   "resend": self.tr("sent to logistics"), "receipt": self.tr("receipt")}
        for e in events or []:
            change = name_of(status_names(), e.to_status) if e.from_status != e.to_status else ""
            self.history.addItem("  ".join(t for t in (
                local_time(e.at), e.actor_login, actions.get(e.action, e.action),
                "→ " + change if change else "", e.detail) if t))

    @task_slot()
    async def resend(self) -> None:
        """传物流: the edits since 物流确认 go to logistics (shown in 出库目录)."""
        if self.order is None:
            return
        changes = await self.call_service(self.logistics.resend, self.ctx.actor, self.order.id,
                                          self.order.version)
        if changes is None:
            return
        order = await self.call_service(self.orders.get, self.order.id)
        if order is not None:
            await self.show_order(order)
            self.saved.emit(order)
            self.message.setText(self.tr("Sent to logistics: {changes}").format(changes=changes))

    @task_slot()
    async def save_receipt(self) -> None:
        """垂: the seller's record of the customer's receipt (未/取/拒)."""
        if self.order is None or self.receipt.currentData() == self.order.receipt_state:
            return
        done = await self.succeeded(self.ctx.runner.call(
            self.logistics.set_receipt, self.ctx.actor, self.order.id, self.order.version,
            self.receipt.currentData()))
        order = await self.call_service(self.orders.get, self.order.id)
        if order is not None:
            await self.show_order(order)
            if done:
                self.saved.emit(order)

    def _set_editable(self, on: bool) -> None:
        """Everything but the medium follows `on` (a confirmed order keeps only that)."""
        self.lines.editable = on
        for w in (*self.line_buttons.values(), self.delivery, self.payment,
                  self.requirements, self.remark):
            w.setEnabled(on)
        self.requirements.setReadOnly(not on)
        self.remark.setReadOnly(not on)

    @property
    def read_only(self) -> bool:
        return not self.lines.editable

    # -- lines ------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._opened:
            self._opened = True
            if self.order_id is None and self.lines.lines:
                self.edit_product(0)

    def edit_product(self, row: int) -> None:
        """The product editor of `row`, open and focused: the next key typed is in it."""
        index = self.lines.index(row, PRODUCT)
        self.table.setCurrentIndex(index)
        self.table.edit(index)
        editor = self.table.indexWidget(index)
        (editor or self.table).setFocus()

    def add_line(self) -> None:
        if not self.lines.editable:
            return
        self.edit_product(self.lines.add_line())

    def _unknown_product(self, text: str) -> None:
        self.message.setText(self.tr("No product matches “{text}”: pick one from the list.")
                             .format(text=text))

    def _commit_editor(self) -> None:
        """A product typed but not yet committed counts when 确定 is pressed."""
        editor = self.table.indexWidget(self.table.currentIndex())
        if editor is not None:
            self.delegate.commit_and_close(editor)

    def _save_key(self) -> None:
        if self.save_button.isEnabled() and self.save_button.isVisible():
            self._commit_editor()
            self.save()

    def delete_line(self) -> None:
        self.lines.remove_line(self.table.currentIndex().row())

    def clear_lines(self) -> None:
        self.lines.set_lines([])

    def draft(self) -> OrderDraft:
        call = self.call or {}
        placement = self.order.placement_id if self.order else call.get("placement_id")
        return OrderDraft(customer_id=self.customer_id,
                          lines=tuple(ln.draft() for ln in self.lines.lines
                                      if ln.product_id is not None),
                          delivery_method=self.delivery.currentData(),
                          payment=self.payment.currentData(),
                          delivery_requirements=self.requirements.text(),
                          medium_id=self.medium.currentData(), placement_id=placement,
                          remark=self.remark.text())

    # -- saving -----------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Closed while a save runs on a worker: hide now, close (and delete) once the save
        # is back, so its result still reaches the record (saved) and no deleted widget
        # is touched.
        if self._in_flight:
            self._close_when_done = True
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)

    def _work_done(self) -> None:
        self._in_flight -= 1
        if not self._in_flight and self._close_when_done:
            self.close()

    @task_slot()
    async def save(self) -> OrderInfo | None:
        self._in_flight += 1
        try:
            return await self._save()
        finally:
            self._work_done()

    async def _save(self) -> OrderInfo | None:
        """确定: create or update, then offer 物流确认 for an unconfirmed order."""
        self.message.clear()
        draft = self.draft()
        if not draft.lines:
            self.message.setText(self.tr("Add at least one product."))
            return None
        self.save_button.setEnabled(False)
        try:
            if self.order is None:
                order = await self.call_service(self.orders.create, self.ctx.actor, draft)
            else:
                order = await self.call_service(self.orders.update, self.ctx.actor, self.order.id,
                                         self.order.version, draft)
        finally:
            self.save_button.setEnabled(True)
        if order is None:
            return None  # the message says why; the form keeps the agent's input
        self.saved.emit(order)
        await self.show_order(order)
        if not order.confirmed and not self._close_when_done:
            await self.ask_confirm()
        return self.order

    async def ask_confirm(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Logistics confirmation"),
                          self.tr("Confirm this order for logistics?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmLogistics")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)  # Return confirms (docs/keyboard.md)
        self.confirm_box = box
        answer = await wait_finished(box)
        self.confirm_box = None
        if answer != QMessageBox.StandardButton.Yes or self.order is None:
            return False
        order = await self.call_service(self.orders.confirm, self.ctx.actor, self.order.id,
                                 self.order.version)
        if order is None:
            return False
        await self.show_order(order)
        self.saved.emit(order)
        return True

    @task_slot()
    async def cancel_order(self) -> None:
        """取消单: the customer no longer wants it; a reason is required."""
        if self.order is None:
            return
        ask = QInputDialog(self)
        ask.setObjectName("cancelReason")
        ask.setWindowTitle(self.tr("Cancel order"))
        ask.setLabelText(self.tr("Why is the order cancelled?"))
        self.reason_dialog = ask
        if await wait_finished(ask) != QDialog.DialogCode.Accepted:
            return
        reason = ask.textValue().strip()
        if not reason:
            self.message.setText(self.tr("Give the reason for cancelling."))
            return
        order = await self.call_service(self.orders.cancel, self.ctx.actor, self.order.id,
                                 self.order.version, reason)
        if order is not None:
            await self.show_order(order)
            self.saved.emit(order)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Enter inside the lines table (or its open editor) edits a cell; it must not
        # press 确定 (Ctrl+Return does).
        focus = self.focusWidget()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and focus is not None \
                and (focus is self.table or self.table.isAncestorOf(focus)):
            return
        super().keyPressEvent(event)

