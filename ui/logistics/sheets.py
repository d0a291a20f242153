"""快递回单 / 代收货款对账: a courier's sheet of delivery results or COD remittances.

The clerk picks the kind, the courier and the file; 检查 (a dry run) shows every row's
fate without writing; 导入 applies the good rows in one transaction after one question.
Refused rows stay listed with their reason, returned parcels and amount differences in
red, and the remittances show their totals and the delivered COD parcels no sheet has
remitted. "Problems only" narrows the list to the red and amber rows; the list shown
exports to Excel. Reading and applying run on the worker.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.courier_sheets import CourierSheetService, SheetOutcome, fate_text
from agent_app.services.exports import ExportService
from ui.dialogs import wait_finished
from ui.kit.changes import Change
from ui.kit.export import export_rows
from ui.kit.panel import Panel
from ui.kit.table import Column, TableModel
from ui.kit.views import make_table_view

RED = QColor("#ffd6d6")
AMBER = QColor("#fff1c2")


def _errors(text: str) -> str:
    return QCoreApplication.translate("errors", text)


class CourierSheetPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        self.outcome: SheetOutcome | None = None
        self.dialog: QDialog | None = None
        super().__init__(ctx, parent)

    @property
    def svc(self) -> CourierSheetService:
        return self.ctx.services.get(CourierSheetService)

    def title(self) -> str:
        return self.tr("Courier sheets")

    def build(self) -> QWidget:
        page = QWidget()
        self.results_kind, self.remittance_kind = QRadioButton(), QRadioButton()
        self.results_kind.setChecked(True)
        self.courier = QComboBox()
        self.courier.setObjectName("courierName")
        self.courier.setEditable(True)     # a new courier gets its profile on first import
        self.courier.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.path = QLineEdit()
        self.path.setObjectName("sheetPath")
        self.browse_button, self.check_button, self.apply_button, self.export_button = (
            QPushButton(), QPushButton(), QPushButton(), QPushButton())
        self.check_button.setObjectName("checkSheet")
        self.apply_button.setObjectName("applySheet")
        self.browse_button.clicked.connect(lambda: self.spawn(self.browse()))
        self.check_button.clicked.connect(lambda: self.spawn(self.run_sheet(dry_run=True)))
        self.apply_button.clicked.connect(lambda: self.spawn(self.run_sheet(dry_run=False)))
        self.export_button.clicked.connect(self.export)
        self.courier_label, self.file_label = QLabel(), QLabel()
        top = QHBoxLayout()
        for w in (self.results_kind, self.remittance_kind, self.courier_label, self.courier,
                  self.file_label):
            top.addWidget(w)
        top.addWidget(self.path, 1)
        top.addWidget(self.browse_button)
        buttons = QHBoxLayout()
        self.totals = QLabel()
        self.totals.setObjectName("sheetTotals")
        self.totals.setWordWrap(True)
        buttons.addWidget(self.totals, 1)
        self.problems_only = QCheckBox()
        self.problems_only.setObjectName("problemsOnly")
        self.problems_only.toggled.connect(lambda _on: self._fill())
        buttons.addWidget(self.problems_only)
        for b in (self.check_button, self.apply_button, self.export_button):
            buttons.addWidget(b)
        self.shown_rows: list[_Shown] = []       # every row of the last check or import
        self.model = TableModel(self._columns(), colour=self._colour, parent=self)
        # in the sheet's own order, not sortable: a sheet has up to 50,000 rows, and the
        # sort proxy re-sorting 10,000 through data() held the GUI thread over a second;
        # "problems only" is what the clerk looks for, and the export sorts in Excel
        self.view = make_table_view(self.model, "sheetRows")
        self.view.setWordWrap(False)
        self.status = self.message_label("sheetStatus")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        self.spawn(self.load_couriers())
        return page

    def _columns(self) -> list[Column]:
        return [Column("line", self.tr("Row"), kind="int"),
                Column("ref", self.tr("Waybill / number")),
                Column("order_no", self.tr("Order no.")),
                Column("result", self.tr("Result"), self._result_text),
                Column("amount", self.tr("Remitted"), kind="money"),
                Column("expected", self.tr("COD amount"), kind="money"),
                Column("fate", self.tr("Fate"), self._fate_text),
                Column("why", self.tr("Reason"))]

    def _result_text(self, value: str) -> str:
        return {"delivered": self.tr("Delivered"), "returned": self.tr("Returned")}.get(
            value, value or "")

    def _fate_text(self, value: str) -> str:
        checked = self.outcome is not None and self.outcome.dry_run   # 检查 wrote nothing
        return {"applied": self.tr("Would apply") if checked else self.tr("Applied"),
                "flagged": (self.tr("Would apply, differs") if checked
                            else self.tr("Applied, differs")),
                "skipped": self.tr("Skipped"), "refused": self.tr("Refused"),
                "missing": self.tr("Not remitted")}.get(value, value)

    @staticmethod
    def _colour(row) -> QColor | None:
        if row.fate in ("refused", "missing") or row.result == "returned":
            return RED
        return AMBER if row.fate == "flagged" else None

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.results_kind.setText(self.tr("Delivery &results"))
        self.remittance_kind.setText(self.tr("COD &remittances"))
        self.courier_label.setText(self.tr("Courier"))
        self.file_label.setText(self.tr("Sheet"))
        self.browse_button.setText(self.tr("Choose…"))
        self.check_button.setText(self.tr("Chec&k"))
        self.apply_button.setText(self.tr("&Import"))
        self.export_button.setText(self.tr("E&xport"))
        self.problems_only.setText(self.tr("&Problems only"))
        self.model.set_columns(self._columns())

    async def load_couriers(self) -> None:
        names = await self.call_service(self.svc.couriers)
        if names:
            self.courier.clear()
            self.courier.addItems(names)

    async def browse(self) -> None:
        dlg = QFileDialog(self, self.tr("A courier's sheet"))
        dlg.setNameFilter(self.tr("Sheets (*.xlsx *.xls *.csv)"))
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.dialog = dlg
        try:
            if await wait_finished(dlg) == QDialog.DialogCode.Accepted:
                self.path.setText(dlg.selectedFiles()[0])
        finally:
            self.dialog = None

    async def run_sheet(self, *, dry_run: bool) -> SheetOutcome | None:
        path, courier = self.path.text().strip(), self.courier.currentText().strip()
        if not path:
            self._show(self.tr("Choose the courier's sheet first."))
            return None
        if not dry_run:
            box = QMessageBox(QMessageBox.Icon.Question, self.title(),
                              self.tr("Import {file} from {courier}?").format(
                                  file=Path(path).name, courier=courier),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                              self)
            box.setObjectName("confirmSheet")
            self.dialog = box
            try:
                if await wait_finished(box) != QMessageBox.StandardButton.Yes:
                    return None
            finally:
                self.dialog = None
        fn = self.svc.import_results if self.results_kind.isChecked() \
            else self.svc.import_remittance
        outcome = await self.call_service(fn, self.ctx.actor, path, courier, dry_run=dry_run)
        if outcome is None:
            return None
        self.outcome = outcome
        self.shown_rows = [_Shown(r, fate_text(r, _errors))
                           for r in outcome.rows + outcome.missing]
        self._fill()
        tally = Counter(r.fate for r in outcome.rows)
        counts = {f: tally[f] for f in ("applied", "flagged", "skipped", "refused")}
        text = (self.tr("Would apply {n}") if dry_run else self.tr("Applied {n}")).format(
            n=outcome.applied) + self.tr("; differs {flagged}, skipped {skipped}, refused "
                                         "{refused}.").format(**counts)
        if outcome.kind == "remittance":
            t = outcome.totals()
            text += " " + self.tr("COD expected ¥{expected:,.2f}, remitted ¥{remitted:,.2f}, "
                                  "difference ¥{difference:,.2f}, fees ¥{fees:,.2f}; "
                                  "{n} delivered parcels not remitted (¥{missing:,.2f})."
                                  ).format(n=len(outcome.missing), **t)
        self.totals.setText(text)
        if not dry_run and outcome.applied:
            self.ctx.changes.announce(Change.ORDER)
        return outcome

    def _fill(self) -> None:
        """The table: every row, or with "problems only" the red and amber ones."""
        rows = self.shown_rows
        if self.problems_only.isChecked():
            rows = [r for r in rows if self._colour(r) is not None]
        self.model.set_rows(rows)

    def export(self):
        if not self.model.rows:
            self._show(self.tr("Check a sheet first."))
            return None
        cols = [(c.header, c.export_kind()) for c in self._columns()]
        rows = [(r.line, r.ref, r.order_no, self._result_text(r.result), r.amount, r.expected,
                 self._fate_text(r.fate), r.why) for r in self.model.rows]
        exports, actor = self.ctx.services.get(ExportService), self.ctx.actor
        name = f"courier-sheet {self.outcome.courier if self.outcome else ''}".strip()
        return export_rows(self, self.title(), cols, lambda: rows, total=len(rows),
                           check=lambda: exports.check(actor, name),
                           record=lambda n: exports.record(actor, name, n))

    def _show(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)


class _Shown:
    """A sheet row as the table shows it, its reason translated."""

    def __init__(self, row, why: str) -> None:
        self._row, self.why = row, why

    def __getattr__(self, name: str):
        return getattr(self._row, name)
