"""直销管理, the direct-sales screens: customer directory and query, the customer record,
order form, sales directory, reminders and customer maintenance.

`install(window, ctx)` docks the panels, fills the 直销管理 menu and the tool bar, starts
the reminder pop-ups and returns the SalesFeature that ui.call uses for screen-pops
(the contract's UI feature API: show_bundle, open_customer, new_customer,
pick_customer, set_pop_banner, customer_registered).
"""
from __future__ import annotations

import asyncio

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QStyle, QToolBar

from agent_app.services.customer_record import CustomerBundle
from agent_app.services.customers import CustomerRecord
from db.enums import Permission
from ui.main_window import layout_path
from ui.sales.directory import CustomerDirectoryPanel
from ui.sales.maintenance import CustomerMaintenancePanel
from ui.sales.notifier import ReminderNotifier
from ui.sales.order_form import OrderDialog
from ui.sales.pick import PickCustomerDialog
from ui.sales.query import CustomerQueryDialog
from ui.sales.record import CustomerRecordPanel
from ui.sales.reminders import ReminderDialog, ReminderListPanel
from ui.sales.sales_directory import SalesDirectoryPanel
from ui.sales.tasks import spawn

# Default widths at 1366×768: the directory on the left, the record taking the rest.
DIRECTORY_WIDTH, RECORD_WIDTH, BOTTOM_HEIGHT = 480, 880, 260


class SalesFeature(QObject):
    customer_registered = Signal(int, str)  # customer id, call id ("" without a call)
    # a record opened while a call is attached (a pick among several matches, or the
    # agent's own choice): ui.call links the call's contact log to it
    customer_opened = Signal(int, str)

    def __init__(self, window, ctx) -> None:
        super().__init__(window)
        self.setObjectName("SalesFeature")
        self.window, self.ctx = window, ctx
        self.dialogs: list = []  # non-modal dialogs kept referenced while open
        self.query_dialog: CustomerQueryDialog | None = None
        self.maintenance: CustomerMaintenancePanel | None = None
        self.directory = CustomerDirectoryPanel(ctx, window)
        self.record = CustomerRecordPanel(ctx, window)
        self.sales = SalesDirectoryPanel(ctx, window)
        self.reminders = ReminderListPanel(ctx, window)
        window.add_panel(self.directory, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.add_panel(self.record, Qt.DockWidgetArea.RightDockWidgetArea)
        window.add_panel(self.sales, Qt.DockWidgetArea.BottomDockWidgetArea)
        window.add_panel(self.reminders, Qt.DockWidgetArea.BottomDockWidgetArea,
                         tabify_with=self.sales)
        self.sales.raise_()
        # The record is the agent's main working area: it takes the middle of the screen
        # (the shell's welcome page has nothing to say once it is there), and the customer
        # directory runs the full height on the left.
        central = window.centralWidget()
        if central is not None:
            central.hide()
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        # sized once the window is first shown, after every feature has docked its panels;
        # a user's saved layout wins instead
        self._size_on_show = not layout_path(ctx.actor.login).exists()
        self.directory.open_requested.connect(self.open_customer)
        self.directory.advanced_requested.connect(self.open_query)
        self.record.open_requested.connect(self.open_customer)
        self.record.order_requested.connect(self.open_order)
        self.record.reminder_requested.connect(self.open_reminder)
        self.record.registered.connect(self.customer_registered)
        self.sales.order_requested.connect(self.open_order)
        self.reminders.open_requested.connect(self.open_customer)
        self.reminders.new_requested.connect(self.open_reminder)
        self.actions: dict[str, QAction] = {}
        self._build_menu()
        self.notifier = ReminderNotifier(ctx, window, self)
        self.notifier.start()
        window.destroyed.connect(self.notifier.stop)

    def default_sizes(self) -> None:
        """The first layout at 1366×768: the directory 470 px wide, the bottom row
        210 px high, the record the rest."""
        self.window.resizeDocks([self.directory, self.record], [DIRECTORY_WIDTH, RECORD_WIDTH],
                                Qt.Orientation.Horizontal)
        # The heights only once the docks' contents have settled at those widths (right
        # after the first show, the console still asks for more height than it needs).
        QTimer.singleShot(200, self, self._default_heights)

    def _default_heights(self) -> None:
        # the bottom row's current tab, which may be another feature's (the call console);
        # the tabs behind it are parked at negative coordinates
        bottom = [d for d in self.window.findChildren(QDockWidget)
                  if not d.isFloating() and d.isVisible() and d.y() >= 0
                  and self.window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        bottom = bottom[:1]
        # with the middle empty, the record asks for the height the bottom row leaves
        # free, or the bottom row would take all the slack
        w = self.window
        free = (w.height() - w.menuBar().sizeHint().height() - w.statusBar().sizeHint().height()
                - sum(t.sizeHint().height() for t in w.findChildren(QToolBar) if t.isVisible())
                - 2 * w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent))
        self.window.resizeDocks([self.record, *bottom],
                                [max(free - BOTTOM_HEIGHT, 0)] + [BOTTOM_HEIGHT] * len(bottom),
                                Qt.Orientation.Vertical)

    # -- menu and tool bar ------------------------------------------------------------------
    def _build_menu(self) -> None:
        menu = self.window.menu("sales")
        items = [("new_customer", lambda: self.new_customer(), QKeySequence("Ctrl+N")),
                 ("directory", lambda: self._show(self.directory), QKeySequence("F6")),
                 ("query", self.open_query, QKeySequence("Ctrl+F")),
                 ("sales_directory", lambda: self._show(self.sales), None),
                 ("reminders", lambda: self._show(self.reminders), None)]
        if self.ctx.actor.can(Permission.CUSTOMER_MAINTENANCE):
            items.append(("maintenance", self.open_maintenance, None))
        for key, slot, shortcut in items:
            act = QAction(self.window)
            act.setObjectName(f"act_sales_{key}")
            act.triggered.connect(lambda _=False, s=slot: s())
            if shortcut is not None:
                act.setShortcut(shortcut)
            if key == "maintenance":
                menu.addSeparator()
            menu.addAction(act)
            self.actions[key] = act
        bar = self.window.toolbar()
        bar.addAction(self.actions["new_customer"])
        bar.addAction(self.actions["directory"])
        self.window.installEventFilter(self)  # QActions get no LanguageChange of their own
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        texts = {"new_customer": self.tr("&New customer"),
                 "directory": self.tr("Customer &directory"),
                 "query": self.tr("Customer &query…"),
                 "sales_directory": self.tr("&Sales directory"),
                 "reminders": self.tr("Customer &reminders"),
                 "maintenance": self.tr("Customer &maintenance")}
        for key, act in self.actions.items():
            act.setText(texts[key])

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        elif obj is self.window and event.type() == QEvent.Type.Close:
            self.notifier.stop()  # no reminder checks for a window that is gone
        elif obj is self.window and event.type() == QEvent.Type.Show and self._size_on_show:
            self._size_on_show = False
            QTimer.singleShot(0, self, self.default_sizes)  # once the docks have geometry
        return False

    def _show(self, panel) -> None:
        panel.show()
        panel.raise_()
        panel.ensure_built()

    # -- the UI feature API (contract) -------------------------------------------------------
    def show_bundle(self, bundle: CustomerBundle, *, call: dict | None = None) -> None:
        self.record.show_bundle(bundle, call=call)

    def open_customer(self, customer_id: int, *, call: dict | None = None) -> asyncio.Task:
        return spawn(self._open_customer(customer_id, call))

    async def _open_customer(self, customer_id: int, call: dict | None) -> bool:
        opened = await self.record.open_customer(customer_id, call=call)
        if opened and call and call.get("call_id"):
            self.customer_opened.emit(customer_id, str(call["call_id"]))
        return opened

    def record_widget(self):
        """What ui.call repaints right after a screen-pop."""
        return self.record

    def new_customer(self, *, phone: str = "", region_id: int | None = None,
                     call: dict | None = None) -> None:
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

    # -- dialogs ----------------------------------------------------------------------------
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

    def open_order(self, customer_id: int, order_id: int = 0) -> OrderDialog:
        call = self.record.call if self.record.customer_id == customer_id else None
        dialog = OrderDialog(self.ctx, customer_id=customer_id, order_id=order_id or None,
                             call=call, parent=self.window)
        dialog.saved.connect(lambda _order, cid=customer_id: self._order_saved(cid))
        self._keep(dialog)
        dialog.show()
        spawn(dialog.load())
        return dialog

    def _order_saved(self, customer_id: int) -> None:
        if self.record.customer_id == customer_id:
            self.record.reload_lists()
        if self.sales.is_built and self.sales.loaded:
            self.sales.search()

    def open_reminder(self, customer_id: int = 0, name: str = "") -> ReminderDialog | None:
        if not customer_id:
            record = self.record.profile.record if self.record.is_built else None
            if record is None:
                self.window.show_notice(self.tr("Open a customer first."))
                return None
            customer_id, name = record.id, record.name
        dialog = ReminderDialog(self.ctx, customer_id, name, self.window)
        dialog.saved.connect(lambda _r, cid=customer_id: self._reminder_saved(cid))
        self._keep(dialog)
        dialog.open()
        return dialog

    def _reminder_saved(self, customer_id: int) -> None:
        if self.record.customer_id == customer_id:
            self.record.reload_lists()
        if self.reminders.is_built:
            self.reminders.refresh()

    def open_maintenance(self) -> CustomerMaintenancePanel:
        if self.maintenance is None:
            self.maintenance = CustomerMaintenancePanel(self.ctx, self.window)
            self.window.add_panel(self.maintenance, Qt.DockWidgetArea.RightDockWidgetArea,
                                  tabify_with=self.record)
        self._show(self.maintenance)
        return self.maintenance


def install(window, ctx) -> SalesFeature:
    return SalesFeature(window, ctx)
