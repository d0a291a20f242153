"""销售目录 and 销售目录查找: orders in a date range (required), narrowed by medium,
variety, status, 物流确认, region, delivery class and a search text. Unconfirmed rows are
yellow, confirmed ones brownish green; rows arrive a page at a time; a double-click (or
Enter) opens the order form."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.archives import ArchiveService
from agent_app.services.orders import OrderService, SalesQuery
from ui.kit.changes import Change
from ui.kit.formats import local_time, site_today_qdate
from ui.kit.names import (
    delivery_names,
    feedback_names,
    name_of,
    order_search_fields,
    receipt_names,
    status_names,
)
from ui.kit.panel import Panel
from ui.kit.table import ROW_ROLE, Column, PagedTableModel
from ui.kit.tasks import start_soon, task_slot
from ui.kit.views import make_table_view
from ui.sales.models import order_colour
from ui.sales.query import fill_combo

WIDTHS = (95, 130, 70, 168, 100, 60, 36, 80, 70, 44, 50, 48, 60, 80, 70, 90, 44)


class SalesDirectoryPanel(Panel):
    watches = (Change.ORDER,)
    page_size = 100  # rows per worker call (tests use fewer to see the paging)
    default_area = Qt.DockWidgetArea.BottomDockWidgetArea
    order_requested = Signal(int, int)  # customer id, order id

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.model = PagedTableModel([], order_colour)
        self.loaded = False
        self.choices_ready = False
        super().__init__(ctx, parent)
        self.service: OrderService = ctx.services.get(OrderService)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self.show_status)

    def title(self) -> str:
        return self.tr("Sales directory")

    def build(self) -> QWidget:
        box = QWidget()
        today = site_today_qdate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-7)), QDateEdit(today)
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.medium, self.variety, self.status_combo = QComboBox(), QComboBox(), QComboBox()
        self.confirmed, self.region, self.delivery = QComboBox(), QComboBox(), QComboBox()
        self.field, self.text = QComboBox(), QLineEdit()
        for combo in (self.medium, self.variety, self.status_combo, self.confirmed,
                      self.region, self.delivery, self.field):
            # combos may shrink: the dock shares the bottom row with the call console
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(4)
        self.text.setClearButtonEnabled(True)
        self.text.returnPressed.connect(self.search)
        for name in ("date_from", "date_to", "medium", "variety", "status_combo", "confirmed",
                     "region", "delivery", "field", "text"):
            getattr(self, name).setObjectName(name)
        self.captions = {k: QLabel() for k in ("dates", "to")}
        self.search_button = QPushButton()
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.view = make_table_view(self.model, "salesTable", widths=WIDTHS, alternating=False,
                                    stretch_last=True)
        self.view.activated.connect(self._activated)
        self.status = self.message_label("panelStatus", wrap=False)
        row1 = QHBoxLayout()
        for w in (self.captions["dates"], self.date_from, self.captions["to"], self.date_to):
            row1.addWidget(w)
        for w in (self.confirmed, self.status_combo, self.delivery):
            row1.addWidget(w, 1)
        row2 = QHBoxLayout()
        for w in (self.region, self.medium, self.variety, self.field):
            row2.addWidget(w, 1)
        row2.addWidget(self.text, 2)
        row2.addWidget(self.search_button)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        start_soon(box, self._load_choices)
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        self.model.set_columns([
            Column("order_no", self.tr("Order no.")),
            Column("created_at", self.tr("Date"), local_time),
            Column("customer_name", self.tr("Customer")),
            Column("registration_no", self.tr("Reg. no.")),
            Column("phone", self.tr("Phone"), kind="phone"), Column("region_name", self.tr("Region")),
            Column("delivery_method", self.tr("Del.")),
            Column("total", self.tr("Amount"), kind="money"),
            Column("status", self.tr("Status"), lambda v: name_of(status_names(), v)),
            Column("feedback_state", self.tr("Fb."), lambda v: name_of(feedback_names(), v)),
            Column("receipt_state", self.tr("Rcpt."), lambda v: name_of(receipt_names(), v)),
            Column("customer_class", self.tr("Class")),
            Column("employee_name", self.tr("Staff")),
            Column("medium_name", self.tr("Medium")),
            Column("variety_name", self.tr("Variety")),
            Column("waybill_no", self.tr("Waybill no.")), Column("trial", self.tr("Trial")),
            Column("remark", self.tr("Remark"))])
        if not self.is_built:
            return
        self.captions["dates"].setText(self.tr("Sales date"))
        self.captions["to"].setText(self.tr("to"))
        fill_combo(self.confirmed, [(True, self.tr("Confirmed")),
                                    (False, self.tr("Not confirmed"))],
                   empty=self.tr("Confirmed or not"))
        fill_combo(self.status_combo, status_names().items(), empty=self.tr("Any status"))
        fill_combo(self.delivery, delivery_names().items(), empty=self.tr("Any delivery"))
        fill_combo(self.field, order_search_fields(), empty=self.tr("(no text criterion)"))
        self.text.setPlaceholderText(self.tr("Search text"))
        self.search_button.setText(self.tr("Search"))
        for combo, text in ((self.medium, self.tr("Any medium")),
                            (self.variety, self.tr("Any variety")),
                            (self.region, self.tr("Any region"))):
            if combo.count():
                combo.setItemText(0, text)

    @task_slot()
    async def _load_choices(self) -> None:
        archives = self.ctx.services.get(ArchiveService)

        def read():  # one worker call for the three pick lists
            return (archives.list_media(self.ctx.actor),
                    archives.list_varieties(self.ctx.actor),
                    archives.list_regions(self.ctx.actor))
        lists = await self.call_service(read)
        if lists is None:
            return
        media, varieties, regions = lists
        fill_combo(self.medium, [(m.id, m.name) for m in media], empty=self.tr("Any medium"))
        fill_combo(self.variety, [(v.id, v.name) for v in varieties],
                   empty=self.tr("Any variety"))
        fill_combo(self.region, [(r.id, r.name) for r in regions], empty=self.tr("Any region"))
        self.choices_ready = True

    def query(self) -> SalesQuery:
        text = self.text.text().strip()
        field = self.field.currentData() if text else None
        return SalesQuery(
            date_from=self.date_from.date().toPython(), date_to=self.date_to.date().toPython(),
            medium_id=self.medium.currentData(), variety_id=self.variety.currentData(),
            status=self.status_combo.currentData(), confirmed=self.confirmed.currentData(),
            region_id=self.region.currentData(), delivery_method=self.delivery.currentData(),
            field=field, text=text if field else "")

    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        if self.loaded:  # the list the agent searched, with the saved order's new state
            self.search()

    @task_slot()
    async def search(self) -> bool:
        self.ensure_built()
        if self.text.text().strip() and self.field.currentData() is None:
            self.show_status(self.tr("Choose which field the text is searched in."))
            return False
        q = self.query()

        async def fetch(after):
            return await self.ctx.runner.call(self.service.search, self.ctx.actor, q,
                                              after=after, page_size=self.page_size)
        return await self.model.reset(fetch)

    def _on_loaded(self, count: int) -> None:
        self.loaded = True
        total = sum((r.total for r in self.model.rows), start=0)
        more = self.tr(", more below") if self.model.has_more else ""
        orders = self.tr("%n order(s)", "", count)
        amount = self.tr(", amount {amount}").format(amount=f"{total:,.2f}")
        self.show_status(orders + amount + more)

    def show_status(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

    def _activated(self, index) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.order_requested.emit(row.customer_id, row.id)
