"""出库反馈: the clerk records what became of each parcel, built for a barcode scanner.

A parcel takes two actions when the defaults hold: the scanner types the 联号 and its
Enter (the order's summary shows, or the reason it cannot be fed back), then Enter adds it
to the batch as 成包 with the courier and fee of the parcel before. Alt+R makes it 退包
first. The batch stays editable: Delete removes the chosen line, Enter on a line takes it
back into the form. 受理 (Ctrl+Return) asks once and feeds the batch back in one
transaction; the parcels refused stay in the batch with their reason, the rest leave it.
Nothing here waits on the database: look-ups and 受理 run on the worker.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.errors import ValidationError
from agent_app.services.logistics import FeedbackEntry, LogisticsService, Parcel, parse_fee
from db.enums import FeedbackResult
from ui.dialogs import wait_finished
from ui.errors import error_text
from ui.kit.changes import Change
from ui.kit.formats import money_text
from ui.kit.panel import Panel
from ui.kit.table import Column, TableModel
from ui.kit.views import make_table_view

RETURNED_INK = QColor("#ffd6d6")   # 退包 lines in red, as the manual's 明细表 shows them


@dataclass(frozen=True)
class BatchLine:
    parcel: Parcel
    result: str
    courier_id: int | None
    courier_name: str
    fee: Decimal
    remark: str
    problem: str = ""              # why 受理 refused it (translated)

    @property
    def order_no(self) -> str:
        return self.parcel.order_no

    @property
    def customer_name(self) -> str:
        return self.parcel.customer_name

    @property
    def cod_amount(self) -> Decimal:
        return self.parcel.cod_amount

    def entry(self) -> FeedbackEntry:
        return FeedbackEntry(self.parcel.id, self.result, self.courier_id, self.fee,
                             self.remark)


class DispatchFeedbackPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        self.pending: Parcel | None = None     # looked up, not yet in the batch
        self.pending_ref = ""
        self.confirm_box: QMessageBox | None = None
        super().__init__(ctx, parent)

    @property
    def svc(self) -> LogisticsService:
        return self.ctx.services.get(LogisticsService)

    def title(self) -> str:
        return self.tr("Dispatch feedback")

    # -- building ------------------------------------------------------------------------------
    def build(self) -> QWidget:
        page = QWidget()
        self.ref = QLineEdit()
        self.ref.setObjectName("feedbackRef")
        self.ref.setMaxLength(32)
        self.ref.returnPressed.connect(self._on_enter)
        big = QFont(self.ref.font())
        big.setPointSizeF(big.pointSizeF() * 1.4)
        self.ref.setFont(big)
        self.summary = QLabel()
        self.summary.setObjectName("parcelSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        self.summary.setFrameShape(QLabel.Shape.StyledPanel)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.delivered, self.returned = QRadioButton(), QRadioButton()
        self.delivered.setObjectName("resultDelivered")
        self.returned.setObjectName("resultReturned")
        self.delivered.setChecked(True)
        self.results = QButtonGroup(self)
        self.results.addButton(self.delivered)
        self.results.addButton(self.returned)
        self.courier = QComboBox()
        self.courier.setObjectName("courier")
        self.fee = QLineEdit("0")
        self.fee.setObjectName("fee")
        self.fee.setMaxLength(12)
        self.remark = QLineEdit()
        self.remark.setObjectName("feedbackRemark")
        self.remark.setMaxLength(200)
        for w in (self.fee, self.remark):   # Enter in any field adds the parcel
            w.returnPressed.connect(self.add_pending)
        self.add_button = QPushButton()
        self.add_button.setObjectName("addParcel")
        self.add_button.clicked.connect(self.add_pending)

        form = QFormLayout()
        self.ref_label, self.result_label = QLabel(), QLabel()
        self.courier_label, self.fee_label, self.remark_label = QLabel(), QLabel(), QLabel()
        form.addRow(self.ref_label, self.ref)
        results = QHBoxLayout()
        results.addWidget(self.delivered)
        results.addWidget(self.returned)
        results.addStretch(1)
        form.addRow(self.result_label, results)
        form.addRow(self.courier_label, self.courier)
        form.addRow(self.fee_label, self.fee)
        form.addRow(self.remark_label, self.remark)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.summary, 1)
        left.addWidget(self.add_button)

        self.model = TableModel(self._columns(), colour=self._colour, parent=self)
        self.view = make_table_view(self.model, "feedbackBatch")
        self.view.setWordWrap(False)
        for key, slot in ((Qt.Key.Key_Delete, self.remove_current),
                          (Qt.Key.Key_Return, self.edit_current),
                          (Qt.Key.Key_Enter, self.edit_current)):
            shortcut = QShortcut(QKeySequence(key), self.view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.totals = QLabel()
        self.totals.setObjectName("batchTotals")
        self.accept_button = QPushButton()
        self.accept_button.setObjectName("acceptBatch")
        self.accept_button.clicked.connect(lambda: self.spawn(self.accept()))
        accept = QShortcut(QKeySequence("Ctrl+Return"), page)
        accept.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        accept.activated.connect(lambda: self.spawn(self.accept()))
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("removeLine")
        self.remove_button.clicked.connect(self.remove_current)
        bottom = QHBoxLayout()
        bottom.addWidget(self.totals, 1)
        bottom.addWidget(self.remove_button)
        bottom.addWidget(self.accept_button)
        right = QVBoxLayout()
        right.addWidget(self.view, 1)
        right.addLayout(bottom)

        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        self.status = self.message_label("feedbackStatus")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(body, 1)
        lay.addWidget(self.status)
        self.spawn(self.load_couriers())
        self._update_totals()
        self.ref.setFocus()
        return page

    def _columns(self) -> list[Column]:
        return [Column("order_no", self.tr("Order no.")),
                Column("customer_name", self.tr("Customer")),
                Column("cod_amount", self.tr("COD"), kind="money"),
                Column("result", self.tr("Result"), self._result_text),
                Column("courier_name", self.tr("Courier")),
                Column("fee", self.tr("Fee"), kind="money"),
                Column("remark", self.tr("Remark")),
                Column("problem", self.tr("Refused because"))]

    def _result_text(self, result: str) -> str:
        return self.tr("Delivered") if result == FeedbackResult.DELIVERED else self.tr("Returned")

    @staticmethod
    def _colour(line: BatchLine) -> QColor | None:
        return RETURNED_INK if line.result == FeedbackResult.RETURNED else None

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.ref_label.setText(self.tr("Order no. / waybill"))
        self.ref.setPlaceholderText(self.tr("Scan or type, then Enter"))
        self.result_label.setText(self.tr("Result"))
        self.delivered.setText(self.tr("&Delivered"))
        self.returned.setText(self.tr("&Returned"))
        self.courier_label.setText(self.tr("Courier"))
        self.fee_label.setText(self.tr("Delivery fee"))
        self.remark_label.setText(self.tr("Remark"))
        self.add_button.setText(self.tr("&Add to batch (Enter)"))
        self.remove_button.setText(self.tr("Remove (Del)"))
        self.accept_button.setText(self.tr("Accept batch (Ctrl+Enter)"))
        self.model.set_columns(self._columns())
        self._show_parcel(self.pending)
        self._update_totals()

    async def load_couriers(self) -> None:
        couriers = await self.call_service(self.svc.couriers)
        if couriers is None:
            return
        self.courier.clear()
        self.courier.addItem("", None)
        for c in couriers:
            self.courier.addItem(f"{c.login} {c.name}", c.id)
        # the clerk delivers their own round unless they pick another courier
        mine = self.courier.findData(next((c.id for c in couriers
                                           if c.login == self.ctx.actor.login), None))
        self.courier.setCurrentIndex(max(mine, 0))

    # -- entry -----------------------------------------------------------------------------------
    def _on_enter(self) -> None:
        text = self.ref.text().strip()
        if self.pending is not None and text in ("", self.pending_ref):
            self.add_pending()     # the second Enter: into the batch with the defaults
            return
        if text:
            self.spawn(self.look_up(text))

    async def look_up(self, text: str) -> Parcel | None:
        self.pending, self.pending_ref = None, ""
        self._show_parcel(None)
        if any(ln.order_no == text or ln.parcel.waybill_no == text for ln in self.model.rows):
            self._show(self.tr("{ref} is already in the batch.").format(ref=text))
            self.ref.selectAll()
            return None
        parcel = await self.call_service(self.svc.lookup, self.ctx.actor, text)
        if parcel is None:        # the reason is on the message line
            self.ref.selectAll()
            return None
        if self.ref.text().strip() != text:   # the clerk typed on meanwhile
            return None
        if any(ln.parcel.id == parcel.id for ln in self.model.rows):
            # the same parcel by another number: its order number, then a waybill given
            # since (the check above compares the text scanned)
            self._show(self.tr("{ref} is already in the batch as {order_no}.").format(
                ref=text, order_no=parcel.order_no))
            self.ref.selectAll()
            return None
        self.pending, self.pending_ref = parcel, text
        self._show_parcel(parcel)
        self._show(self.tr("Enter adds it to the batch as shown; Alt+R makes it returned."))
        return parcel

    def _show_parcel(self, p: Parcel | None) -> None:
        if p is None:
            self.summary.clear()
            return
        lines = [f"{p.order_no}  {p.waybill_no or ''}".rstrip(),
                 f"{p.customer_name}  {p.phone}",
                 p.address,
                 p.goods + (self.tr(" (trial)") if p.trial else ""),
                 self.tr("Collect on delivery: {amount}").format(amount=money_text(p.cod_amount))]
        self.summary.setText("\n".join(line for line in lines if line))

    def add_pending(self) -> BatchLine | None:
        p = self.pending
        if p is None:
            self._show(self.tr("Scan or type a parcel first."))
            self.ref.setFocus()
            return None
        try:
            fee = parse_fee(self.fee.text())
        except ValidationError as exc:
            self._show(error_text(exc))
            self.fee.setFocus()
            self.fee.selectAll()
            return None
        result = FeedbackResult.RETURNED if self.returned.isChecked() else FeedbackResult.DELIVERED
        line = BatchLine(p, result, self.courier.currentData(),
                         self.courier.currentText() if self.courier.currentData() else "",
                         fee, self.remark.text().strip())
        self.model.append(line)
        self.view.scrollToBottom()
        self.pending, self.pending_ref = None, ""
        # the next parcel starts from the usual case: delivered, no remark; the courier and
        # the fee stay, since a round is one courier's
        self.delivered.setChecked(True)
        self.remark.clear()
        self.ref.clear()
        self._show_parcel(None)
        self._update_totals()
        self._show(self.tr("{order_no} added.").format(order_no=p.order_no))
        self.ref.setFocus()
        return line

    def remove_current(self) -> None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return
        line = self._line_at(idx.row())
        self.model.set_rows([ln for ln in self.model.rows if ln is not line])
        self._update_totals()

    def edit_current(self) -> None:
        """The chosen line back into the form; Enter adds it again as changed."""
        idx = self.view.currentIndex()
        if not idx.isValid():
            return
        line = self._line_at(idx.row())
        self.model.set_rows([ln for ln in self.model.rows if ln is not line])
        self.pending, self.pending_ref = line.parcel, line.order_no
        self.ref.setText(line.order_no)
        (self.returned if line.result == FeedbackResult.RETURNED else self.delivered).setChecked(True)
        i = self.courier.findData(line.courier_id)
        self.courier.setCurrentIndex(max(i, 0))
        self.fee.setText(f"{line.fee}")
        self.remark.setText(line.remark)
        self._show_parcel(line.parcel)
        self._update_totals()
        self.remark.setFocus()

    def _line_at(self, view_row: int) -> BatchLine:
        proxy = self.view.model()
        source = proxy.mapToSource(proxy.index(view_row, 0)) if hasattr(proxy, "mapToSource") \
            else proxy.index(view_row, 0)
        return self.model.row_at(source.row())

    def _update_totals(self) -> None:
        rows: list[BatchLine] = self.model.rows
        returned = sum(1 for ln in rows if ln.result == FeedbackResult.RETURNED)
        cod = sum((ln.cod_amount for ln in rows if ln.result == FeedbackResult.DELIVERED),
                  Decimal("0.00"))
        self.totals.setText(self.tr("{n} parcels, {returned} returned; COD delivered {cod}")
                            .format(n=len(rows), returned=returned, cod=money_text(cod)))
        self.accept_button.setEnabled(bool(rows))

    # -- 受理 ------------------------------------------------------------------------------------
    async def accept(self) -> int:
        lines: list[BatchLine] = list(self.model.rows)
        if not lines:
            self._show(self.tr("The batch is empty: scan a parcel first."))
            return 0
        if not await self.confirm(self.tr("Accept the feedback of {n} parcels?")
                                  .format(n=len(lines))):
            return 0
        self.accept_button.setEnabled(False)
        try:
            out = await self.call_service(self.svc.feedback, self.ctx.actor,
                                          [ln.entry() for ln in lines])
        finally:
            self.accept_button.setEnabled(bool(self.model.rows))
        if out is None:
            return 0
        if out.accepted:     # the sales directory's 反 and 状态 columns follow
            self.ctx.changes.announce(Change.ORDER)
        why = {r.order_id: error_text(r.error) for r in out.refused}
        done = set(out.accepted)
        kept = [replace(ln, problem=why.get(ln.parcel.id, "")) for ln in lines
                if ln.order_no not in done]
        self.model.set_rows(kept)
        self._update_totals()
        if kept:
            self._show(self.tr("{done} parcels accepted; {n} refused, shown with the reason.")
                       .format(done=len(out.accepted), n=len(kept)))
        else:
            self._show(self.tr("{done} parcels accepted.").format(done=len(out.accepted)))
        self.ref.setFocus()
        return len(out.accepted)

    async def confirm(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, self.title(), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("confirmFeedback")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        self.confirm_box = box
        try:
            return await wait_finished(box) == QMessageBox.StandardButton.Yes
        finally:
            self.confirm_box = None

    def _show(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

