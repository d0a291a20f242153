"""客户目录: the customers registered in the last X days (近X天), newest first, and the
quick search (客户查找). Rows are fetched a page at a time as the agent scrolls; blue rows
have no confirmed order yet, pink rows have one (the manual's colours). Enter or a
double-click opens the record."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.archives import ArchiveService
from agent_app.services.customer_query import CustomerQuery, CustomerQueryService
from ui.kit.formats import local_time
from ui.kit.names import search_fields
from ui.kit.panel import Panel
from ui.kit.table import ROW_ROLE, Column, PagedTableModel
from ui.kit.tasks import start_soon, task_slot
from ui.kit.views import make_table_view
from ui.sales.models import customer_colour

# Widths that fit each column's usual content at the default font (the user may resize).
WIDTHS = (168, 80, 100, 110, 180, 60, 48, 60, 130)


def customer_columns() -> list[Column]:
    """客户目录's columns (also the maintenance panel's), in the directory's context."""
    def t(text: str) -> str:
        return QCoreApplication.translate("CustomerDirectoryPanel", text)
    return [Column("registration_no", t("Reg. no.")), Column("name", t("Customer name")),
            Column("mobile", t("Mobile"), kind="phone"),
            Column("landline", t("Phone"), kind="phone"),
            Column("address", t("Address")), Column("region_name", t("Region")),
            Column("customer_class", t("Class")), Column("owner_name", t("Owner")),
            Column("registered_at", t("Registered"), local_time)]


# lupdate finds the column names here (t() above is not a call it recognises)
_COLUMN_NAMES = (QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Reg. no."),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Customer name"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Mobile"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Phone"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Address"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Region"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Class"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Owner"),
                 QT_TRANSLATE_NOOP("CustomerDirectoryPanel", "Registered"))


def make_customer_view(model: PagedTableModel, name: str) -> QTableView:
    # no alternating colours: the row colour carries meaning
    return make_table_view(model, name, widths=WIDTHS, alternating=False)


class CustomerDirectoryPanel(Panel):
    page_size = 100  # rows per worker call (tests use fewer to see the paging)
    default_area = Qt.DockWidgetArea.LeftDockWidgetArea
    open_requested = Signal(int)       # customer id
    advanced_requested = Signal()

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.model = PagedTableModel([], customer_colour)
        self.loaded = False
        super().__init__(ctx, parent)
        self.service: CustomerQueryService = ctx.services.get(CustomerQueryService)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self.show_status)
        self._query_label = ""

    def title(self) -> str:
        return self.tr("Customer directory")

    def build(self) -> QWidget:
        box = QWidget()
        self.days_label = QLabel()
        self.days = QSpinBox()
        self.days.setObjectName("browseDays")
        self.days.setRange(0, 366)
        self.days.setValue(7)
        self.days_label.setBuddy(self.days)
        self.refresh_button = QPushButton()
        self.refresh_button.setObjectName("refreshButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.field = QComboBox()
        self.field.setObjectName("searchField")
        self.text = QLineEdit()
        self.text.setObjectName("searchText")
        self.text.setClearButtonEnabled(True)
        self.text.returnPressed.connect(self.search)
        self.search_button = QPushButton()
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.advanced_button = QPushButton()
        self.advanced_button.setObjectName("advancedButton")
        self.advanced_button.clicked.connect(self.advanced_requested)
        self.view = make_customer_view(self.model, "customerTable")
        self.view.activated.connect(self._activated)  # Enter, and double-click
        self.status = self.message_label("panelStatus")
        top = QHBoxLayout()
        top.addWidget(self.days_label)
        top.addWidget(self.days)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        top.addWidget(self.advanced_button)
        find = QHBoxLayout()
        find.addWidget(self.field)
        find.addWidget(self.text, 1)
        find.addWidget(self.search_button)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addLayout(find)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        start_soon(box, self._start)
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        self.model.set_columns(customer_columns())
        if not self.is_built:
            return
        self.days_label.setText(self.tr("Last"))
        self.days.setSuffix(self.tr(" days"))
        self.refresh_button.setText(self.tr("Refresh"))
        self.search_button.setText(self.tr("Search"))
        self.advanced_button.setText(self.tr("Advanced…"))
        self.text.setPlaceholderText(self.tr("Search text"))
        current = self.field.currentData()
        self.field.clear()
        for key, text in search_fields():
            self.field.addItem(text, key)
        self.field.setCurrentIndex(max(0, self.field.findData(current)))

    # -- loading ----------------------------------------------------------------------------
    @task_slot()
    async def _start(self) -> None:
        """The spin starts at the browse_days system setting, with the first page read in
        the same worker call."""
        archives = self.ctx.services.get(ArchiveService)

        def first():
            days = archives.browse_days()
            return days, self.service.directory(self.ctx.actor, days=days,
                                                page_size=self.page_size)
        first_page = await self.call_service(first)
        if first_page is None:
            return
        days, page = first_page
        self.days.blockSignals(True)
        self.days.setValue(days)
        self.days.blockSignals(False)
        self._query_label = self.tr("last {days} day(s)").format(days=days)
        self.model.show_page(self._directory_fetch(days), page)

    def _directory_fetch(self, days: int):
        async def fetch(after):
            return await self.ctx.runner.call(self.service.directory, self.ctx.actor,
                                              days=days, after=after,
                                              page_size=self.page_size)
        return fetch

    @task_slot()
    async def refresh(self) -> None:
        """近X天 (0: today). It is also the manual's "refresh" button."""
        days = self.days.value()
        self._query_label = self.tr("last {days} day(s)").format(days=days)
        await self.model.reset(self._directory_fetch(days))

    @task_slot()
    async def search(self) -> None:
        text = self.text.text().strip()
        if not text:
            self.show_status(self.tr("Type what to search for."))
            self.text.setFocus()
            return
        await self.run_query(CustomerQuery(field=self.field.currentData(), text=text),
                             self.tr("search"))

    async def run_query(self, query: CustomerQuery, label: str = "") -> bool:
        """Show the customers `query` finds (also used by 客户档案查询)."""
        self.ensure_built()
        self._query_label = label or self.tr("query")

        async def fetch(after):
            return await self.ctx.runner.call(self.service.search, self.ctx.actor, query,
                                              after=after,
                                              page_size=self.page_size)
        return await self.model.reset(fetch)

    def _on_loaded(self, count: int) -> None:
        self.loaded = True
        more = self.tr(", more below") if self.model.has_more else ""
        text = self.tr("%n customer(s)", "", count)
        self.show_status(f"{text} ({self._query_label}{more})")

    def show_status(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

    # -- opening ----------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = {i.row() for i in self.view.selectionModel().selectedRows()}
        return [self.model.row_at(r).id for r in sorted(rows)]

    def _activated(self, index) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.open_requested.emit(row.id)
