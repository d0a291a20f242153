"""The direct-sales controller: wires the sales panels together, opens the sales dialogs,
starts the reminder pop-ups and provides the `CustomerScreen` a call is popped into.

Made once per login by the main window (ui.kit.registry); panels are created by the
window, and wired here as they appear (`panel_created`).
"""
from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QStyle, QToolBar

from agent_app.phones import is_masked
from agent_app.services.customer_record import CustomerBundle
from agent_app.services.customers import CustomerRecord
from ui.kit import layout
from ui.kit.changes import Change
from ui.kit.contracts import CustomerScreen, Dialer
from ui.kit.tasks import spawn
from ui.sales.notifier import ReminderNotifier
from ui.sales.order_form import OrderDialog
from ui.sales.pick import PickCustomerDialog
from ui.sales.query import CustomerQueryDialog
from ui.sales.reminders import ReminderDialog

log = logging.getLogger(__name__)
# Default widths at 1366×768: the directory on the left, the record taking the rest.
DIRECTORY_WIDTH, RECORD_WIDTH, BOTTOM_HEIGHT = 480, 880, 260


class SalesFeature(QObject):
    customer_registered = Signal(int, str)  # customer id, call id ("" without a call)
    # a record opened while a call is attached (a pick among several matches, or the
    # agent's own choice): the call feature links the call's contact log to it
    customer_opened = Signal(int, str)

    def __init__(self, host, ctx) -> None:
        super().__init__(host)
        self.setObjectName("SalesFeature")
        self.window, self.ctx = host, ctx
        self.dialogs: list = []  # non-modal dialogs kept referenced while open
        self.query_dialog: CustomerQueryDialog | None = None
        self._size_on_show = not layout.exists(ctx.actor.login)
        # True once the docks have their first sizes (at once with a saved layout)
        self.layout_settled = not self._size_on_show
        host.panel_created.connect(self._wire)
        host.provide(CustomerScreen, self)
        self.notifier = ReminderNotifier(ctx, host, self)
        host.installEventFilter(self)

    @property
    def actions(self) -> dict:
        return self.window.registry_actions("sales")

    # the panels the tests and the screen-pop reach (all made at login)
    @property
    def directory(self):
        return self.window.find_panel("sales.directory")

    @property
    def record(self):
        return self.window.find_panel("sales.record")

    @property
    def sales(self):
        return self.window.find_panel("sales.sales_directory")

    @property
    def reminders(self):
        return self.window.find_panel("sales.reminders")

    @property
    def maintenance(self):
        return self.window.find_panel("sales.maintenance")

    def _wire(self, key: str, panel) -> None:
        if key == "sales.directory":
            panel.open_requested.connect(self.open_customer)
            panel.advanced_requested.connect(self.open_query)
        elif key == "sales.record":
            panel.open_requested.connect(self.open_customer)
            panel.order_requested.connect(self.open_order)
            panel.reminder_requested.connect(self.open_reminder)
            panel.registered.connect(self._registered)
            panel.dial_requested.connect(self.dial)
            # The record is the agent's main working area: it takes the middle of the
            # screen (the welcome page has nothing to say once it is there), and the
            # customer directory runs the full height on the left.
            central = self.window.centralWidget()
            if central is not None:
                central.hide()
            self.window.setCorner(Qt.Corner.BottomLeftCorner,
                                  Qt.DockWidgetArea.LeftDockWidgetArea)
        elif key == "sales.sales_directory":
            panel.order_requested.connect(self.open_order)
        elif key == "sales.reminders":
            panel.open_requested.connect(self.open_customer)
            panel.new_requested.connect(self.open_reminder)

    def started(self) -> None:
        """After the start-up panels: the bottom row shows the sales directory first."""
        self.sales.raise_()
        self.notifier.start()

    def _registered(self, customer_id: int, call_id: str) -> None:
        self.ctx.changes.announce(Change.CUSTOMER, customer_id, customer_id=customer_id)
        self.customer_registered.emit(customer_id, call_id)

    # -- the first layout ----------------------------------------------------------------------
    def default_sizes(self) -> None:
        """The first layout: the directory 480 px wide, the bottom row 260 px high, the
        record the rest."""
        # the record takes what the directory leaves: on a 1920-pixel screen the extra
        # width goes to the agent's working area, not to a half-screen directory
        width = max(self.window.width() - DIRECTORY_WIDTH, RECORD_WIDTH)
        self.window.resizeDocks([self.directory, self.record], [DIRECTORY_WIDTH, width],
                                Qt.Orientation.Horizontal)
        # The heights only once the docks' contents have settled at those widths (right
        # after the first show, the console still asks for more height than it needs).
        QTimer.singleShot(200, self, self._default_heights)

    def _default_heights(self) -> None:
        # the bottom row's current tab, which may be another feature's (the call console);
        # the tabs behind it are parked at negative coordinates
        w = self.window
        bottom = [d for d in w.findChildren(QDockWidget)
                  if not d.isFloating() and d.isVisible() and d.y() >= 0
                  and w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea][:1]
        # with the middle empty, the record asks for the height the bottom row leaves
        # free, or the bottom row would take all the slack
        free = (w.height() - w.menuBar().sizeHint().height() - w.statusBar().sizeHint().height()
                - sum(t.sizeHint().height() for t in w.findChildren(QToolBar) if t.isVisible())
                - 2 * w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent))
        w.resizeDocks([self.record, *bottom],
                      [max(free - BOTTOM_HEIGHT, 0)] + [BOTTOM_HEIGHT] * len(bottom),
                      Qt.Orientation.Vertical)
        self.layout_settled = True

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.notifier.stop()  # no reminder checks for a window that is gone
        elif obj is self.window and event.type() == QEvent.Type.Show and self._size_on_show:
            self._size_on_show = False
            QTimer.singleShot(0, self, self.default_sizes)  # once the docks have geometry
        return False

    # -- the CustomerScreen contract ----------------------------------------------------------
    def show_bundle(self, bundle: CustomerBundle, *, call: dict | None = None) -> None:
        self.record.show_bundle(bundle, call=call)

    def open_customer(self, customer_id: int, *, call: dict | None = None) -> asyncio.Task:
        return spawn(self._open_customer(customer_id, call))

    async def _open_customer(self, customer_id: int, call: dict | None) -> bool:
        opened = await self.record.open_customer(customer_id, call=call)
        if opened and call and call.get("call_id"):
            self.customer_opened.emit(customer_id, str(call["call_id"]))
        return opened

    def record_dock(self) -> QDockWidget:
        return self.record

    def customer_for_call(self, call_id: str) -> int | None:
        record = self.record
        if call_id and (record.call or {}).get("call_id") == call_id:
            return record.customer_id
        return None

    def new_customer(self, *, phone: str = "", region_id: int | None = None,
                     call: dict | None = None) -> None:
        self.window.panel("sales.record")
        self.record.new_customer(phone=phone, region_id=region_id, call=call)

    def pick_customer(self, matches: list[CustomerRecord], *,
                      call: dict | None = None) -> PickCustomerDialog:
        dialog = PickCustomerDialog(matches, self.window)
        dialog.picked.connect(lambda cid: self.open_customer(cid, call=call))
        phone = (call or {}).get("caller", "")
        dialog.new_requested.connect(lambda: self.new_customer(phone=phone, call=call))
        self._keep(dialog)
        dialog.show()
        return dialog

    def set_pop_banner(self, text: str) -> None:
        self.record.set_pop_banner(text)

    # -- commands and dialogs -----------------------------------------------------------------
    def _keep(self, dialog) -> None:
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d)
                                if d in self.dialogs else None)

    def open_query(self) -> CustomerQueryDialog:
        if self.query_dialog is None:
            self.query_dialog = CustomerQueryDialog(self.ctx, self.directory, self.window)
            self.query_dialog.load()
        self.query_dialog.show()
        self.query_dialog.raise_()
        return self.query_dialog

    def dial(self, number: str, customer_id: int) -> None:
        """拨号 on the record: the call feature places the call (the Dialer contract)."""
        dialer: Dialer | None = self.window.lookup(Dialer)
        if dialer is None or not dialer.can_dial():
            self.record.show_status(self.tr("CTI link not connected"))
            return
        if is_masked(number) and customer_id:
            # the record shows the number masked: the real one comes from the service by
            # the customer's id, straight to agent-ctid, and is shown nowhere
            spawn(self._dial_customer(dialer, number, customer_id))
            return
        dialer.dial(number, customer_id=customer_id)
        self.record.show_status(self.tr("Dialling {number}…").format(number=number))

    async def _dial_customer(self, dialer: Dialer, shown: str, customer_id: int) -> None:
        number = await self.record.call_service(
            self.record.customers.number_to_dial, self.ctx.actor, customer_id)
        if number:
            dialer.dial(number, customer_id=customer_id)
            self.record.show_status(self.tr("Dialling {number}…").format(number=shown))

    def open_order(self, customer_id: int, order_id: int = 0) -> OrderDialog:
        call = self.record.call if self.record.customer_id == customer_id else None
        dialog = OrderDialog(self.ctx, customer_id=customer_id, order_id=order_id or None,
                             call=call, parent=self.window)
        dialog.saved.connect(lambda order, cid=customer_id: self.ctx.changes.announce(
            Change.ORDER, order.id, customer_id=cid))
        self._keep(dialog)
        dialog.show()
        spawn(dialog.load())
        return dialog

    def open_reminder(self, customer_id: int = 0, name: str = "") -> ReminderDialog | None:
        if not customer_id:
            record = self.record.profile.record if self.record.is_built else None
            if record is None:
                self.window.show_notice(self.tr("Open a customer first."))
                return None
            customer_id, name = record.id, record.name
        dialog = ReminderDialog(self.ctx, customer_id, name, self.window)
        dialog.saved.connect(lambda reminder, cid=customer_id: self.ctx.changes.announce(
            Change.REMINDER, reminder.id, customer_id=cid))
        self._keep(dialog)
        dialog.open()
        return dialog
