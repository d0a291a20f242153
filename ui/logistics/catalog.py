"""出库目录 with 出库查找, 出库打印 and the corrections (撤单, 作废, 取消单, 删撤销单).

The list opens on the orders confirmed in the last days (近2天, the dispatch_days
setting); each criterion of 出库查找 applies only when its box is ticked, as the manual
says. 撤销单 switches the list to the orders handed back to sales, where 删撤销单 removes
one. The chosen row's 出库内容 (goods, address, requirements, and what the seller changed
if it was sent again, 传物流) shows under the list.

出库打印 prints the ticked orders (or the chosen one) with a template: the delivery
class's own by default. Preview, a printer, or a PDF; an order that cannot be printed
(fed back, cancelled, voided, no address) is left out and named at the end, never
stopping the rest, and what was printed moves to 在途 (a reprint is logged). The PDF and
the printer are painted on a worker thread; the preview, which Qt draws itself, here.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import attrgetter

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app import clock
from agent_app.labels import Template, default_for, load_templates
from agent_app.phones import mask_phone
from agent_app.services.archives import ArchiveService
from agent_app.services.exports import ExportService
from agent_app.services.logistics import (
    DispatchQuery,
    DispatchRow,
    FeedbackOutcome,
    LogisticsService,
)
from db.enums import FeedbackState, OrderStatus, Permission
from ui.dialogs import wait_finished
from ui.errors import error_text
from ui.kit.changes import Change
from ui.kit.export import export_rows
from ui.kit.formats import local_time, site_today_qdate
from ui.kit.names import delivery_names, feedback_names, name_of, order_search_fields, status_names
from ui.kit.panel import Panel
from ui.kit.table import Column, PagedTableModel
from ui.kit.views import make_table_view

# QtPrintSupport, the label painter and the list preview are imported by the methods that
# print: loading them with the module made opening 出库目录 hold the GUI thread longer.
ORDER_COLUMN = 1     # after the check-box column


class DispatchCatalogPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea
    height_share = 0.66
    watches = ("order",)

    def __init__(self, ctx, parent=None) -> None:
        self.templates, self.template_problems = load_templates()
        self.dialog: QDialog | None = None      # the open question, preview or file dialog
        self._note = ""                          # the last action's outcome
        super().__init__(ctx, parent)

    @property
    def svc(self) -> LogisticsService:
        return self.ctx.services.get(LogisticsService)

    def title(self) -> str:
        return self.tr("Dispatch catalogue")

    # -- building ------------------------------------------------------------------------------
    def build(self) -> QWidget:
        page = QWidget()
        today = site_today_qdate()
        self.use_dates, self.date_from, self.date_to = QCheckBox(), QDateEdit(today), \
            QDateEdit(today)
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.use_region, self.region = QCheckBox(), QComboBox()
        self.use_class, self.delivery = QCheckBox(), QComboBox()
        self.use_product, self.product = QCheckBox(), QComboBox()
        self.use_status, self.status_box = QCheckBox(), QComboBox()
        self.use_printed, self.printed = QCheckBox(), QComboBox()
        self.use_fed_back, self.fed_back = QCheckBox(), QComboBox()
        self.use_text, self.field, self.text = QCheckBox(), QComboBox(), QLineEdit()
        self.text.setMaxLength(64)
        self.text.returnPressed.connect(self.search)
        self.text.textEdited.connect(lambda t: self.use_text.setChecked(bool(t.strip())))
        self.withdrawn = QCheckBox()
        self.withdrawn.setObjectName("showWithdrawn")
        self.withdrawn.toggled.connect(self._mode_changed)
        self.withdrawn.toggled.connect(lambda _on: self.search())   # the other list at once
        self.recent_button, self.search_button = QPushButton(), QPushButton()
        self.recent_button.setObjectName("recentDays")
        self.search_button.setObjectName("dispatchSearch")
        self.recent_button.clicked.connect(self.recent)
        self.search_button.clicked.connect(self.search)
        for box in (self.region, self.delivery, self.product, self.status_box, self.printed,
                    self.fed_back, self.field):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # a criterion used is ticked for the user: choosing a value means wanting it
        for tick, widget in ((self.use_region, self.region), (self.use_class, self.delivery),
                             (self.use_product, self.product), (self.use_status, self.status_box),
                             (self.use_printed, self.printed), (self.use_fed_back, self.fed_back)):
            widget.activated.connect(lambda _i, t=tick: t.setChecked(True))
        for w in (self.date_from, self.date_to):
            w.dateChanged.connect(lambda _d: self.use_dates.setChecked(True))

        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("–"))
        dates.addWidget(self.date_to)
        text = QHBoxLayout()
        text.addWidget(self.field)
        text.addWidget(self.text, 1)
        cells = [(self.use_dates, dates), (self.use_region, self.region),
                 (self.use_class, self.delivery), (self.use_product, self.product),
                 (self.use_status, self.status_box), (self.use_printed, self.printed),
                 (self.use_fed_back, self.fed_back), (self.use_text, text)]
        for i, (tick, what) in enumerate(cells):
            row, col = divmod(i, 4)
            grid.addWidget(tick, row, col * 2)
            if isinstance(what, QWidget):
                grid.addWidget(what, row, col * 2 + 1)
            else:
                grid.addLayout(what, row, col * 2 + 1)
        grid.setColumnStretch(7, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.withdrawn)
        buttons.addStretch(1)
        buttons.addWidget(self.recent_button)
        buttons.addWidget(self.search_button)

        self.model = PagedTableModel(self._columns(), parent=self, check_key=attrgetter("id"))
        self.model.failed.connect(self._show)
        self.model.loaded.connect(self._on_loaded)
        self.view = make_table_view(self.model, "dispatchRows", widths=(30,))  # the tick column
        self.view.setWordWrap(False)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_content())
        self.content = QLabel()
        self.content.setObjectName("dispatchContent")
        self.content.setWordWrap(True)
        self.content.setTextFormat(Qt.TextFormat.PlainText)
        self.content.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.template = QComboBox()
        self.template.setObjectName("labelTemplate")
        self.template.addItem("", None)     # each order on its delivery class's template
        for t in self.templates.values():
            self.template.addItem(t.title, t.name)
        self.preview_button, self.print_button, self.pdf_button = (
            QPushButton(), QPushButton(), QPushButton())
        self.preview_button.clicked.connect(lambda: self.spawn(self.preview()))
        self.print_button.clicked.connect(lambda: self.spawn(self.print_chosen()))
        self.pdf_button.clicked.connect(lambda: self.spawn(self.save_pdf()))
        self.withdraw_button, self.void_button, self.cancel_button, self.delete_button = (
            QPushButton(), QPushButton(), QPushButton(), QPushButton())
        for name, button, action in (("withdraw", self.withdraw_button, "withdraw"),
                                     ("void", self.void_button, "void"),
                                     ("cancel", self.cancel_button, "cancel"),
                                     ("delete", self.delete_button, "delete_withdrawn")):
            button.setObjectName(f"{name}Order")
            button.clicked.connect(lambda _=False, a=action: self.spawn(self.correct(a)))
        self.waybill_button = QPushButton()
        self.waybill_button.setObjectName("setWaybill")
        self.waybill_button.clicked.connect(lambda: self.spawn(self.set_waybill()))
        # 交寄清单 of the ticked orders (a period's: the mailing-list report)
        self.list_button, self.list_export_button = QPushButton(), QPushButton()
        self.list_button.setObjectName("mailingList")
        self.list_button.clicked.connect(self.mailing_list)
        self.list_export_button.clicked.connect(self.export_mailing_list)
        actor = self.ctx.actor
        self.withdraw_button.setVisible(actor.can(Permission.WITHDRAW_ORDER))
        self.void_button.setVisible(actor.can(Permission.WITHDRAW_ORDER))
        self.cancel_button.setVisible(actor.can(Permission.CANCEL_ORDER))
        self.delete_button.setVisible(False)   # in the 撤销单 list, with its permission
        actions = QHBoxLayout()
        self.template_label = QLabel()
        for w in (self.template_label, self.template, self.preview_button, self.print_button,
                  self.pdf_button, self.waybill_button, self.list_button,
                  self.list_export_button):
            actions.addWidget(w)
        actions.addStretch(1)
        for w in (self.withdraw_button, self.void_button, self.cancel_button, self.delete_button):
            actions.addWidget(w)

        self.status = self.message_label("dispatchStatus")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(grid)
        lay.addLayout(buttons)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.content)
        lay.addLayout(actions)
        lay.addWidget(self.status)
        self.spawn(self.load_choices())
        self.recent()
        if self.template_problems:
            self._show("; ".join(self.template_problems))
        return page

    def _columns(self) -> list[Column]:
        statuses, fed = status_names(), feedback_names()
        return [Column("order_no", self.tr("Order no.")),
                Column("confirmed_at", self.tr("Confirmed"),
                       lambda v: local_time(v, "%m-%d %H:%M"), kind="datetime"),
                Column("customer_name", self.tr("Customer")),
                Column("phone", self.tr("Phone"), kind="phone"),
                Column("region_name", self.tr("Region")),
                Column("delivery_method", self.tr("Cl."), lambda v: (v or "")[:1]),
                Column("cod_amount", self.tr("COD"), kind="money"),
                Column("goods", self.tr("Goods")),
                Column("status", self.tr("Status"), lambda v: name_of(statuses, v)),
                Column("print_count", self.tr("Printed"), kind="int"),
                Column("feedback_state", self.tr("Fb."), lambda v: name_of(fed, v)),
                Column("waybill_no", self.tr("Waybill")),
                Column("resent", self.tr("Sent again"), lambda v: "✓" if v else ""),
                Column("seller_name", self.tr("Seller")),
                Column("address", self.tr("Address"))]

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.use_dates.setText(self.tr("Confirmed"))
        self.use_region.setText(self.tr("Region"))
        self.use_class.setText(self.tr("Class"))
        self.use_product.setText(self.tr("Product"))
        self.use_status.setText(self.tr("Status"))
        self.use_printed.setText(self.tr("Printed"))
        self.use_fed_back.setText(self.tr("Fed back"))
        self.use_text.setText(self.tr("Find"))
        self.withdrawn.setText(self.tr("Withdrawn orders (撤销单)"))
        self.search_button.setText(self.tr("&Search"))
        self.template_label.setText(self.tr("Template"))
        self.template.setItemText(0, self.tr("By delivery class"))
        self.preview_button.setText(self.tr("Pre&view"))
        self.print_button.setText(self.tr("&Print…"))
        self.pdf_button.setText(self.tr("P&DF…"))
        self.waybill_button.setText(self.tr("Way&bill…"))
        self.list_button.setText(self.tr("&Mailing list"))
        self.list_export_button.setText(self.tr("E&xport list"))
        self.withdraw_button.setText(self.tr("&Withdraw"))
        self.void_button.setText(self.tr("V&oid"))
        self.cancel_button.setText(self.tr("&Cancel order"))
        self.delete_button.setText(self.tr("&Delete withdrawn"))
        self.text.setPlaceholderText(self.tr("Text to find"))
        self._fill(self.delivery, list(delivery_names().items()))
        self._fill(self.status_box, list(status_names().items()))
        self._fill(self.printed, [(True, self.tr("Yes")), (False, self.tr("No"))])
        self._fill(self.fed_back, [(True, self.tr("Yes")), (False, self.tr("No"))])
        self._fill(self.field, order_search_fields())
        self.model.set_columns(self._columns())
        self._recent_text()

    @staticmethod
    def _fill(box: QComboBox, items) -> None:
        current = box.currentData()
        box.clear()
        for value, text in items:
            box.addItem(text, value)
        i = box.findData(current)
        box.setCurrentIndex(max(i, 0))

    def _recent_text(self, days: int | None = None) -> None:
        days = days or getattr(self, "_days", 2)
        self._days = days
        self.recent_button.setText(self.tr("Last {n} days").format(n=days))

    async def load_choices(self) -> None:
        archives, actor = self.ctx.services.get(ArchiveService), self.ctx.actor

        def read():   # one worker call for the pick lists and the 近X天 setting
            return (archives.list_regions(actor), archives.list_products(actor),
                    archives.dispatch_days())
        got = await self.call_service(read)
        if got is None:
            return
        regions, products, days = got
        self._fill(self.region, [(r.id, r.name) for r in regions])
        self._fill(self.product, [(p.id, p.name) for p in products])
        self._recent_text(days)

    # -- loading ----------------------------------------------------------------------------------
    def query(self) -> DispatchQuery:
        def ticked(tick: QCheckBox, value):
            return value if tick.isChecked() else None

        use_dates = self.use_dates.isChecked()
        return DispatchQuery(
            date_from=self.date_from.date().toPython() if use_dates else None,
            date_to=self.date_to.date().toPython() if use_dates else None,
            region_id=ticked(self.use_region, self.region.currentData()),
            delivery_method=ticked(self.use_class, self.delivery.currentData()),
            product_id=ticked(self.use_product, self.product.currentData()),
            status=ticked(self.use_status, self.status_box.currentData()),
            printed=ticked(self.use_printed, self.printed.currentData()),
            fed_back=ticked(self.use_fed_back, self.fed_back.currentData()),
            withdrawn=self.withdrawn.isChecked(),
            field=self.field.currentData() if self.use_text.isChecked() else None,
            text=self.text.text() if self.use_text.isChecked() else "")

    def recent(self):
        """近2天: every criterion off, the last days' confirmations."""
        for tick in (self.use_dates, self.use_region, self.use_class, self.use_product,
                     self.use_status, self.use_printed, self.use_fed_back, self.use_text):
            tick.setChecked(False)
        self.withdrawn.blockSignals(True)
        self.withdrawn.setChecked(False)
        self.withdrawn.blockSignals(False)
        self._mode_changed()
        return self.search()

    def search(self):
        q = self.query()

        async def fetch(after):
            return await self.ctx.runner.call(self.svc.catalog, self.ctx.actor, q, after=after)
        self.content.clear()
        return self.model.reset(fetch)

    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        self.search()

    def _mode_changed(self) -> None:
        withdrawn = self.withdrawn.isChecked()
        actor = self.ctx.actor
        self.delete_button.setVisible(withdrawn and actor.can(Permission.DELETE_WITHDRAWN))
        for w in (self.withdraw_button, self.void_button, self.preview_button, self.print_button,
                  self.pdf_button, self.waybill_button, self.list_button,
                  self.list_export_button):
            w.setEnabled(not withdrawn)
        self.use_dates.setText(self.tr("Withdrawn") if withdrawn else self.tr("Confirmed"))

    def _on_loaded(self, n: int) -> None:
        # the widths are the kit's (HeaderFitter fits the first page's rows, capped, once):
        # fitting the sixteen columns here again held the GUI thread ~180 ms on opening
        more = self.tr(" (scroll for more)") if self.model.has_more else ""
        # what the last action did stays beside the count until the next search
        note, self._note = self._note, ""
        self._show(self.tr("%n order(s)", "", n) + more + (f" · {note}" if note else ""))

    # -- the chosen orders ----------------------------------------------------------------------------
    def current_row(self) -> DispatchRow | None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return None
        proxy = self.view.model()
        source = proxy.mapToSource(idx) if hasattr(proxy, "mapToSource") else idx
        return self.model.row_at(source.row())

    def chosen(self) -> list[DispatchRow]:
        """The ticked orders, else the current one."""
        rows = self.model.checked_rows()
        if rows:
            return rows
        row = self.current_row()
        return [row] if row is not None else []

    def _show_content(self) -> None:
        r = self.current_row()
        if r is None:
            self.content.clear()
            return
        goods, cod = self.tr("Goods"), self.tr("COD")
        requirements, remark = self.tr("Requirements"), self.tr("Remark")
        parts = [f"{r.order_no}  {r.customer_name}  {r.phone}  {r.region_name} {r.address}",
                 f"{goods}: {r.goods}   {cod}: ¥{r.cod_amount:,.2f}"
                 f"   {name_of(delivery_names(), r.delivery_method)}   {r.medium_name}"]
        if r.delivery_requirements:
            parts.append(f"{requirements}: {r.delivery_requirements}")
        if r.remark:
            parts.append(f"{remark}: {r.remark}")
        if r.resent:
            parts.append(self.tr("Sent again by sales (传物流): {changes}").format(
                changes=r.resent))
        self.content.setText("\n".join(parts))

    # -- 出库打印 -------------------------------------------------------------------------------------
    def template_for(self, row: DispatchRow) -> Template | None:
        """The template picked, or the order's delivery class's own."""
        name = self.template.currentData()
        return self.templates.get(name) if name else default_for(self.templates,
                                                                  row.delivery_method)

    def printable(self, rows: list[DispatchRow]):
        """(labels to print, problems) — orders that may not be printed are named."""
        allowed, problems = [], []
        for r in rows:
            if r.feedback_state != FeedbackState.NONE:
                problems.append((r.order_no, self.tr("already fed back")))
            elif r.status in (OrderStatus.CANCELLED, OrderStatus.VOIDED):
                problems.append((r.order_no, name_of(status_names(), r.status)))
            elif r.withdrawn_at is not None and r.confirmed_at is None:
                problems.append((r.order_no, self.tr("withdrawn")))
            else:
                allowed.append(r)
        from ui.logistics.printing import prepare  # the print modules load on first use
        prepared = prepare(allowed)
        return prepared, problems + prepared.bad

    async def _prepare(self):
        """(ids, [(template, label)], problems) of the chosen orders, or None."""
        rows = self.chosen()
        if not rows:
            self._show(self.tr("Tick the orders to print, or choose one."))
            return None
        if not self.templates:
            self._show(self.tr("No label template is installed."))
            return None
        prepared, problems = self.printable(rows)
        by_id = {r.id: r for r in rows}
        items = [(self.template_for(by_id[oid]), data) for oid, data in prepared.labels]
        if not items:
            self._report(0, problems)
            return None
        return [oid for oid, _ in prepared.labels], items, problems

    async def _printed(self, ids: list[int], items, problems) -> int:
        """Record the print (在途, the print log) and say what happened."""
        accepted, refused = [], []
        for template in dict.fromkeys(t for t, _ in items):   # each template logged as used
            chunk = [oid for oid, (t, _) in zip(ids, items, strict=True) if t is template]
            got = await self.call_service(self.svc.record_printed, self.ctx.actor, chunk,
                                          template.name)
            if got is None:
                return 0
            accepted += got.accepted
            refused += got.refused
        out = FeedbackOutcome(tuple(accepted), tuple(refused))
        problems = problems + [(r.order_no, error_text(r.error)) for r in out.refused]
        self._report(len(out.accepted), problems)
        self.ctx.changes.announce(Change.ORDER, ids[0] if len(ids) == 1 else 0)
        return len(out.accepted)

    def _report(self, done: int, problems) -> None:
        text = self.tr("%n order(s) printed.", "", done)
        if problems:
            text += " " + self.tr("Not printed: {list}").format(
                list="; ".join(f"{no} ({why})" for no, why in problems))
        self._note = text
        self._show(text)

    async def save_pdf(self, path: str | None = None) -> int:
        from ui.logistics.printing import write_pdf

        ready = await self._prepare()
        if ready is None:
            return 0
        ids, items, problems = ready
        if path is None:
            dlg = QFileDialog(self, self.tr("Save the labels as PDF"))
            dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dlg.setNameFilter("PDF (*.pdf)")
            dlg.setDefaultSuffix("pdf")
            dlg.selectFile(f"labels-{dt.date.today():%Y%m%d}.pdf")
            self.dialog = dlg
            try:
                if await wait_finished(dlg) != QDialog.DialogCode.Accepted:
                    return 0
            finally:
                self.dialog = None
            path = dlg.selectedFiles()[0]
        if await self.call_service(write_pdf, path, items) is None:
            return 0
        return await self._printed(ids, items, problems)

    @staticmethod
    def _jobs(ids: list[int], items) -> list[tuple[list[int], list]]:
        """The chosen labels as one job per template: a printer (and the preview) keeps
        its paper for a whole job, where a PDF may change it from page to page."""
        jobs: dict[object, tuple[list[int], list]] = {}
        for oid, item in zip(ids, items, strict=True):
            job = jobs.setdefault(item[0], ([], []))
            job[0].append(oid)
            job[1].append(item)
        return list(jobs.values())

    async def print_chosen(self) -> int:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from ui.logistics.printing import LabelPainter, page_layout

        ready = await self._prepare()
        if ready is None:
            return 0
        ids, items, problems = ready
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout(items[0][0]))
        dlg = QPrintDialog(printer, self)
        dlg._printer = printer   # the dialog keeps a pointer to it: keep it as long
        self.dialog = dlg
        try:
            if await wait_finished(dlg) != QDialog.DialogCode.Accepted:
                return 0
        finally:
            self.dialog = None
        painter = LabelPainter(printer.printerName())
        done_ids, done_items = [], []
        for job_ids, job_items in self._jobs(ids, items):
            printer.setPageLayout(page_layout(job_items[0][0]))   # between jobs: allowed
            if await self.call_service(painter.paint, printer, job_items) is None:
                break
            done_ids += job_ids
            done_items += job_items
        if not done_ids:
            return 0
        return await self._printed(done_ids, done_items, problems)

    async def preview(self) -> int:
        """One preview per template; each one's print button prints it (and accepts)."""
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from ui.logistics.printing import LabelPainter, page_layout

        ready = await self._prepare()
        if ready is None:
            return 0
        ids, items, problems = ready
        done_ids, done_items = [], []
        for job_ids, job_items in self._jobs(ids, items):
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setPageLayout(page_layout(job_items[0][0]))
            dlg = QPrintPreviewDialog(printer, self)
            dlg._printer = printer   # the dialog keeps a pointer to it: keep it as long
            dlg.setObjectName("labelPreview")
            dlg.setWindowTitle(self.tr("Print preview: {n} label(s)").format(n=len(job_items))
                               + f" · {job_items[0][0].title}")
            dlg.paintRequested.connect(
                lambda p, its=job_items: LabelPainter(p.printerName()).paint(p, its))
            dlg.resize(900, 700)
            self.dialog = dlg
            try:
                # closing a preview prints nothing, and stops the rest
                if await wait_finished(dlg) != QDialog.DialogCode.Accepted:
                    break
            finally:
                self.dialog = None
            done_ids += job_ids
            done_items += job_items
        if not done_ids:
            return 0
        return await self._printed(done_ids, done_items, problems)

    # -- 联号 and 交寄清单 -------------------------------------------------------------------------------
    async def set_waybill(self) -> bool:
        """联号: the courier's waybill number for the chosen order (typed or scanned)."""
        row = self.current_row()
        if row is None:
            self._show(self.tr("Choose the order first."))
            return False
        ask = QInputDialog(self)
        ask.setObjectName("waybillNumber")
        ask.setWindowTitle(self.title())
        ask.setLabelText(self.tr("Waybill of order {order_no}:").format(order_no=row.order_no))
        ask.setTextValue(row.waybill_no or "")
        self.dialog = ask
        try:
            if await wait_finished(ask) != QDialog.DialogCode.Accepted:
                return False
        finally:
            self.dialog = None
        if not await self.succeeded(self.ctx.runner.call(
                self.svc.set_waybill, self.ctx.actor, row.id, row.version, ask.textValue())):
            return False
        self._note = self.tr("{order_no}: waybill {waybill}.").format(
            order_no=row.order_no, waybill=ask.textValue().strip())
        self.ctx.changes.announce(Change.ORDER, row.id)
        return True

    def _list_table(self):
        classes = delivery_names()
        columns = [(self.tr("Order no."), "text"), (self.tr("Waybill"), "text"),
                   (self.tr("Recipient"), "text"), (self.tr("Phone"), "text"),
                   (self.tr("Address"), "text"), (self.tr("Goods"), "text"),
                   (self.tr("Delivery"), "text"), (self.tr("COD"), "money")]
        rows = [(r.order_no, r.waybill_no or "", r.customer_name, mask_phone(r.phone),
                 f"{r.region_name} {r.address}".strip(), r.goods,
                 name_of(classes, r.delivery_method), r.cod_amount) for r in self.chosen()]
        return columns, rows

    def mailing_list(self):
        """交寄清单 of the ticked orders: the hand-over sheet the courier signs."""
        from ui.kit.printing import print_preview

        columns, rows = self._list_table()
        if not rows:
            self._show(self.tr("Tick the orders to hand over, or choose one."))
            return None
        total = sum((r[-1] for r in rows), Decimal("0.00"))
        totals = (self.tr("%n parcel(s)", "", len(rows)), "", "", "", "", "", "", total)
        self.list_preview = print_preview(self, self.tr("Mailing list"),
                                          local_time(clock.now()), columns, rows, totals=totals)
        return self.list_preview

    def export_mailing_list(self):
        columns, rows = self._list_table()
        if not rows:
            self._show(self.tr("Tick the orders to hand over, or choose one."))
            return None
        exports, actor = self.ctx.services.get(ExportService), self.ctx.actor
        return export_rows(self, self.tr("Mailing list"), columns, lambda: rows,
                           total=len(rows), check=lambda: exports.check(actor, "mailing-list"),
                           record=lambda n: exports.record(actor, "mailing-list", n))

    # -- corrections --------------------------------------------------------------------------------
    async def correct(self, action: str) -> bool:
        row = self.current_row()
        if row is None:
            self._show(self.tr("Choose the order first."))
            return False
        questions = {
            "withdraw": self.tr("Withdraw order {order_no} to sales (撤单)? Why?"),
            "void": self.tr("Void printed order {order_no} (作废)? Why?"),
            "cancel": self.tr("Cancel order {order_no} (取消单)? Why?"),
            "delete_withdrawn": self.tr("Delete withdrawn order {order_no} for good? Why?"),
        }
        ask = QInputDialog(self)
        ask.setObjectName("correctionReason")
        ask.setWindowTitle(self.title())
        ask.setLabelText(questions[action].format(order_no=row.order_no))
        self.dialog = ask
        try:
            if await wait_finished(ask) != QDialog.DialogCode.Accepted:
                return False
        finally:
            self.dialog = None
        fn = {"withdraw": self.svc.withdraw, "void": self.svc.void, "cancel": self.svc.cancel,
              "delete_withdrawn": self.svc.delete_withdrawn}[action]
        if not await self.succeeded(self.ctx.runner.call(fn, self.ctx.actor, row.id,
                                                         row.version, ask.textValue())):
            return False
        done = {"withdraw": self.tr("{order_no} went back to sales."),
                "void": self.tr("{order_no} is voided."),
                "cancel": self.tr("{order_no} is cancelled."),
                "delete_withdrawn": self.tr("{order_no} is deleted.")}[action]
        self._note = done.format(order_no=row.order_no)
        # every open order list refreshes, this one too (watches)
        self.ctx.changes.announce(Change.ORDER, row.id)
        return True

    def _show(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

