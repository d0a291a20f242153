"""客户资料: the customer record, the agent's main working area. A pop banner (来电 …) at
the top, the tabs (profile, contacts, reminders, sales, feedback) and the record's
buttons 保存 / 销售 / 提醒 / 拨号 at the bottom, always in reach.

`show_bundle()` is the screen-pop path: it paints everything from one CustomerBundle
with no database call (the widgets exist already; only their data changes)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.customer_record import CustomerBundle, load_bundle
from agent_app.services.customers import CustomerService, DuplicatePhone
from agent_app.services.privacy import shown_number
from ui.errors import error_text, known_error
from ui.kit.changes import Change
from ui.kit.panel import Panel
from ui.kit.tasks import start_soon, task_slot
from ui.sales.glance import GlanceLabel
from ui.sales.profile import ProfileForm
from ui.sales.record_tabs import ContactsTab, FeedbackTab, RemindersTab, SalesTab

BANNER_STYLE = ("QLabel#popBanner { background: #fff4c2; color: #5a4300; font-weight: bold;"
                " padding: 6px 8px; border: 1px solid #e8d48a; border-radius: 3px; }")


class CustomerRecordPanel(Panel):
    watches = (Change.ORDER, Change.REMINDER, Change.CONTACT)
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    registered = Signal(int, str)        # new customer id, the attached call's id or ""
    order_requested = Signal(int, int)   # customer id, order id (0: a new order)
    open_requested = Signal(int)         # another customer (资料重复's existing record)
    reminder_requested = Signal(int, str)  # customer id, name
    dial_requested = Signal(str, int)     # number, customer id (0: not saved yet)
    lists_reloaded = Signal()             # the tabs' rows repainted after reload_lists

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.bundle: CustomerBundle | None = None
        self.call: dict | None = None
        self.duplicate_id: int | None = None
        self._banner_text = ""
        self.choices_ready = False  # the pick lists have arrived
        # Loads come back in any order. Each paint of a customer (an open, a screen-pop's
        # bundle, the new-customer form) takes the next number and a load that returns
        # after a newer one began is dropped: the record on screen is the one asked for
        # last, not the slowest. Reloads of the shown customer's lists are ordered too
        # (an order saved, then confirmed: the second reload must win).
        self._paints = 0
        self._reloads = 0
        super().__init__(ctx, parent)
        self.customers: CustomerService = ctx.services.get(CustomerService)

    def title(self) -> str:
        """The dock title names the customer shown: it stays in view on every tab."""
        record = self.profile.record if self.is_built else None
        if record is not None:
            return self.tr("Customer record — {name} · {no}").format(
                name=record.name, no=record.registration_no)
        if self.is_built:
            return self.tr("Customer record — new customer")
        return self.tr("Customer record")

    # -- building ---------------------------------------------------------------------------
    def build(self) -> QWidget:
        box = QWidget()
        self.banner = QLabel(self._banner_text)
        self.banner.setObjectName("popBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setVisible(bool(self._banner_text))
        self.profile = ProfileForm()
        self.contacts = ContactsTab(self.ctx)
        self.reminders = RemindersTab(self.ctx)
        self.sales = SalesTab(self.ctx)
        self.feedback = FeedbackTab(self.ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("recordTabs")
        for w in (self.profile_page(), self.contacts, self.reminders, self.sales, self.feedback):
            self.tabs.addTab(w, "")
        self.tabs.currentChanged.connect(self._tab_changed)
        for tab in (self.contacts, self.reminders, self.sales, self.feedback):
            tab.message.connect(self.show_status)
        self.sales.order_requested.connect(self._open_order)
        self.reminders.new_requested.connect(self.remind)
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, slot in (("save", self.save), ("sell", self.sell), ("remind", self.remind),
                          ("dial", self.dial)):
            b = QPushButton()
            b.setObjectName(f"{key}Button")
            b.clicked.connect(slot)
            self.buttons[key] = b
            bar.addWidget(b)
        self.open_existing = QPushButton()
        self.open_existing.setObjectName("openExisting")
        self.open_existing.hide()
        self.open_existing.clicked.connect(self._open_existing)
        self.status = self.message_label("panelStatus")
        # one row for the buttons and the message: the record must fit above the call
        # console on a 768-pixel-high screen
        bar.addWidget(self.status, 1)
        bar.addWidget(self.open_existing)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        lay.addLayout(bar)
        save = QShortcut(QKeySequence.StandardKey.Save, box)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)
        # 销售 from anywhere in the main window: F2-F5 are the phone's keys, F6 the
        # customer directory
        sell = QShortcut(QKeySequence("F7"), box)
        sell.setObjectName("sellShortcut")
        sell.setContext(Qt.ShortcutContext.WindowShortcut)
        sell.activated.connect(self.sell)
        self._clear_tabs()
        start_soon(box, self._load_choices)
        return box

    def profile_page(self) -> QWidget:
        """The form scrolls when the record is given little height (small screens, or
        archive windows sharing its side of the window)."""
        scroll = QScrollArea()
        scroll.setObjectName("profilePage")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.profile)
        self.glance = GlanceLabel()
        lay.addWidget(self.glance)
        lay.addStretch(1)
        scroll.setWidget(page)
        self.profile_scroll = scroll
        return scroll

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        for i, text in enumerate((self.tr("&Profile"), self.tr("C&ontacts"),
                                  self.tr("Rem&inders"), self.tr("Sal&es"),
                                  self.tr("&Feedback"))):
            self.tabs.setTabText(i, text)
        for key, text in (("save", self.tr("Sa&ve")), ("sell", self.tr("Sell (F7)")),
                          ("remind", self.tr("Re&mind")), ("dial", self.tr("Dial"))):
            self.buttons[key].setText(text)
        self.buttons["save"].setToolTip(self.tr("Save the profile (Ctrl+S)"))
        self.open_existing.setText(self.tr("Open e&xisting record"))
        self._update_heading()

    def _update_heading(self) -> None:
        self.setWindowTitle(self.title())

    @property
    def heading(self) -> str:
        return self.windowTitle()

    @task_slot()
    async def _load_choices(self) -> None:
        """Regions, staff and varieties for the pick lists, once per panel."""
        archives = self.ctx.services.get(ArchiveService)
        accounts = self.ctx.services.get(AccountService)

        def read():  # one worker call: the task never awaits twice for its first paint
            return (archives.list_regions(self.ctx.actor), accounts.pick_list(),
                    archives.list_varieties(self.ctx.actor, active_only=True))
        lists = await self.call_service(read)
        if lists is None:
            return
        regions, staff, varieties = lists
        self.profile.set_choices([(r.id, r.name) for r in regions],
                                 [(i, f"{login} {name}") for i, login, name in staff])
        self.contacts.set_varieties([(v.id, v.name) for v in varieties])
        self.choices_ready = True

    # -- showing ----------------------------------------------------------------------------
    def set_pop_banner(self, text: str) -> None:
        self._banner_text = text
        if self.is_built:
            self.banner.setText(text)
            self.banner.setVisible(bool(text))

    def _reveal(self) -> None:
        self.show()
        self.raise_()

    def show_bundle(self, bundle: CustomerBundle, *, call: dict | None = None) -> None:
        """Paint a customer at once, from data already read (no database call here)."""
        self.ensure_built()
        self._paints += 1
        self.bundle, self.call = bundle, call
        cid = bundle.customer.id
        self.profile.show_record(bundle.customer, bundle.owner_name)
        self.glance.show_bundle(bundle)
        self.contacts.show_rows(cid, bundle.contacts)
        self.reminders.show_rows(cid, bundle.reminders)
        self.sales.show_rows(cid, bundle.orders)
        self.feedback.set_customer(cid)
        if self.tabs.currentWidget() is self.feedback:
            self.feedback.refresh()
        self._set_duplicate(None)
        self.status.clear()
        self._update_heading()
        self._reveal()

    def new_customer(self, *, phone: str = "", region_id: int | None = None,
                     call: dict | None = None) -> None:
        self.ensure_built()
        self._paints += 1
        self.bundle, self.call = None, call
        self.profile.clear(phone=phone, region_id=region_id, owner_name=self.ctx.actor.name,
                           shown=lambda n: shown_number(self.ctx.actor, n))
        self.glance.show_bundle(None)
        self._clear_tabs()
        self._set_duplicate(None)
        self.status.clear()
        self.tabs.setCurrentWidget(self.profile_scroll)
        self._update_heading()
        self._reveal()
        self.profile.edits["name"].setFocus()

    def _clear_tabs(self) -> None:
        for tab in (self.contacts, self.reminders, self.sales):
            tab.show_rows(None, [])
        self.feedback.set_customer(None)

    async def open_customer(self, customer_id: int, *, call: dict | None = None) -> bool:
        """Read the customer's bundle (one worker call), then paint it; False when it
        failed (the status line says why) or another customer was asked for meanwhile."""
        self.ensure_built()
        self._paints += 1
        paint = self._paints

        async def fetch() -> CustomerBundle | None:
            try:
                return await self.ctx.runner.call(load_bundle, self.ctx.services.db,
                                                  customer_id, viewer=self.ctx.actor)
            except Exception:
                if paint != self._paints:
                    return None  # superseded: the newer load reports its own failure
                raise
        # the window closed meanwhile: the kit ends this coroutine (cancelled) instead
        bundle = await self.guarded(fetch())
        if bundle is None or paint != self._paints:
            return False
        self.show_bundle(bundle, call=call)
        return True

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.contacts and self.contacts.isEnabled():
            self.contacts.content.setFocus()  # the tab is opened to write a contact
        if self.tabs.currentWidget() is self.feedback and self.feedback.stale:
            self.feedback.refresh()

    def show_status(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

    @property
    def customer_id(self) -> int | None:
        r = self.profile.record if self.is_built else None
        return r.id if r is not None else None

    # -- actions ----------------------------------------------------------------------------
    @task_slot()
    async def save(self) -> bool:
        """保存: register a new customer, or save the profile against its version."""
        record = self.profile.record
        draft = self.profile.draft()
        self.profile.errors.clear()
        self._set_duplicate(None)
        self.buttons["save"].setEnabled(False)
        try:
            if record is None:
                saved = await self.ctx.runner.call(self.customers.register, self.ctx.actor,
                                                   draft)
            else:
                saved = await self.ctx.runner.call(self.customers.update, self.ctx.actor,
                                                   record.id, record.version, draft)
        except Exception as exc:
            known = known_error(exc)
            if known is None:
                raise
            # the form keeps what the agent typed (a stale edit is redone, not retyped)
            if isinstance(known, DuplicatePhone) and known.existing_id:
                self._set_duplicate(known.existing_id)
            self.profile.errors.show_error(known)
            self.show_status(error_text(known))
            return False
        finally:
            self.buttons["save"].setEnabled(True)
        if record is None:
            await self.open_customer(saved.id, call=self.call)
            self.show_status(self.tr("Customer {no} registered.").format(
                no=saved.registration_no))
            self.registered.emit(saved.id, str((self.call or {}).get("call_id") or ""))
        else:
            self.profile.show_record(saved, self.profile.owner.text())
            self._update_heading()
            self.show_status(self.tr("Saved."))
        return True

    def _set_duplicate(self, existing_id: int | None) -> None:
        self.duplicate_id = existing_id
        self.open_existing.setVisible(existing_id is not None)

    def _open_existing(self) -> None:
        if self.duplicate_id is not None:
            self.open_requested.emit(self.duplicate_id)

    def sell(self) -> None:
        """销售: the order form for this customer (it must be saved first)."""
        if self.customer_id is None:
            self.show_status(self.tr("Save the customer first, then sell."))
            return
        self.order_requested.emit(self.customer_id, 0)

    def _open_order(self, order_id: int) -> None:
        if self.customer_id is not None:
            self.order_requested.emit(self.customer_id, order_id)

    def remind(self) -> None:
        if self.customer_id is None:
            self.show_status(self.tr("Save the customer first, then set a reminder."))
            return
        self.reminder_requested.emit(self.customer_id, self.profile.record.name)

    def dial(self) -> None:
        """拨号: the first of mobile / landline / other phone; the call feature dials it."""
        phones = self.profile.phones()
        if not phones:
            self.show_status(self.tr("This customer has no phone number."))
            return
        self.dial_requested.emit(phones[0], self.customer_id or 0)

    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        if customer_id and customer_id == self.customer_id:
            self.reload_lists()

    @task_slot()
    async def reload_lists(self) -> None:
        """After an order or a reminder was saved elsewhere: the tabs' rows again. The
        profile is left alone, so edits the agent has not saved yet survive."""
        cid = self.customer_id
        if cid is None:
            return
        self._reloads += 1
        wanted = (self._paints, self._reloads)
        bundle = await self.call_service(load_bundle, self.ctx.services.db, cid,
                                         viewer=self.ctx.actor)
        if bundle is not None and wanted == (self._paints, self._reloads):
            self.bundle = bundle
            self.glance.show_bundle(bundle)
            self.contacts.model.set_rows(bundle.contacts)
            self.reminders.model.set_rows(bundle.reminders)
            self.sales.model.set_rows(bundle.orders)
            self.lists_reloaded.emit()
