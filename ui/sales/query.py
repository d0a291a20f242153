"""客户档案查询: the customer query with its ticked criteria. As in the manual, a
criterion with a check box (registration date, time of day, region, variety, staff)
applies only when ticked; the result fills the customer directory (same paging)."""
from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.customer_query import CustomerQuery
from ui.kit.formats import site_today_qdate
from ui.kit.names import class_names, search_fields, source_names
from ui.kit.panel import ServiceCalls
from ui.kit.tasks import task_slot


def fill_combo(combo: QComboBox, items, *, empty: str | None = None) -> None:
    """(value, text) pairs; `empty` adds a first entry with value None."""
    current = combo.currentData()
    combo.clear()
    if empty is not None:
        combo.addItem(empty, None)
    for value, text in items:
        combo.addItem(text, value)
    if current is not None:
        combo.setCurrentIndex(max(0, combo.findData(current)))


class CustomerQueryDialog(ServiceCalls, QDialog):
    """Non-modal; `directory` is the CustomerDirectoryPanel that shows the result."""

    def __init__(self, ctx, directory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CustomerQueryDialog")
        self.ctx = ctx
        self.directory = directory
        self.setModal(False)
        today = site_today_qdate()
        self.date_check = QCheckBox()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_to = QDateEdit(today)
        self.time_check = QCheckBox()
        self.time_from = QTimeEdit(QTime(0, 0))
        self.time_to = QTimeEdit(QTime(23, 59))
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        for w in (self.time_from, self.time_to):
            w.setDisplayFormat("HH:mm")
        self.region_check, self.region = QCheckBox(), QComboBox()
        self.variety_check, self.variety = QCheckBox(), QComboBox()
        self.staff_check, self.staff = QCheckBox(), QComboBox()
        self.sale, self.klass, self.source = QComboBox(), QComboBox(), QComboBox()
        self.field, self.text = QComboBox(), QLineEdit()
        self.text.setClearButtonEnabled(True)
        self.captions = {k: QLabel() for k in ("to1", "to2", "sale", "class", "source", "find")}
        for name in ("date_check", "date_from", "date_to", "time_check", "time_from", "time_to",
                     "region_check", "region", "variety_check", "variety", "staff_check",
                     "staff", "sale", "klass", "source", "field", "text"):
            getattr(self, name).setObjectName(name)
        # an editor is usable only while its criterion is ticked
        for check, editors in ((self.date_check, (self.date_from, self.date_to)),
                               (self.time_check, (self.time_from, self.time_to)),
                               (self.region_check, (self.region,)),
                               (self.variety_check, (self.variety,)),
                               (self.staff_check, (self.staff,))):
            for e in editors:
                e.setEnabled(False)
                check.toggled.connect(e.setEnabled)
        grid = QGridLayout()
        grid.addWidget(self.date_check, 0, 0)
        grid.addLayout(self._pair(self.date_from, self.captions["to1"], self.date_to), 0, 1)
        grid.addWidget(self.time_check, 1, 0)
        grid.addLayout(self._pair(self.time_from, self.captions["to2"], self.time_to), 1, 1)
        for row, (check, combo) in enumerate(((self.region_check, self.region),
                                              (self.variety_check, self.variety),
                                              (self.staff_check, self.staff)), start=2):
            grid.addWidget(check, row, 0)
            grid.addWidget(combo, row, 1)
        for row, (key, w) in enumerate((("sale", self.sale), ("class", self.klass),
                                        ("source", self.source)), start=5):
            grid.addWidget(self.captions[key], row, 0)
            grid.addWidget(w, row, 1)
        grid.addWidget(self.captions["find"], 8, 0)
        grid.addLayout(self._pair(self.field, None, self.text), 8, 1)
        grid.setColumnStretch(1, 1)
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.search_button = QPushButton()
        self.search_button.setObjectName("searchButton")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.submit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.search_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(540)
        self.retranslate_ui()

    def message_line(self) -> QLabel:
        return self.message

    @staticmethod
    def _pair(a: QWidget, caption: QLabel | None, b: QWidget) -> QHBoxLayout:
        box = QHBoxLayout()
        box.addWidget(a, 1)
        if caption is not None:
            box.addWidget(caption)
        box.addWidget(b, 1 if caption is not None else 2)
        return box

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Customer query"))
        self.date_check.setText(self.tr("Registration &date"))
        self.time_check.setText(self.tr("Registration &time"))
        self.region_check.setText(self.tr("&Region"))
        self.variety_check.setText(self.tr("&Variety"))
        self.staff_check.setText(self.tr("Sta&ff"))
        self.captions["to1"].setText(self.tr("to"))
        self.captions["to2"].setText(self.tr("to"))
        self.captions["sale"].setText(self.tr("Sale / consultation"))
        self.captions["class"].setText(self.tr("Class"))
        self.captions["source"].setText(self.tr("Source"))
        self.captions["find"].setText(self.tr("Find"))
        self.search_button.setText(self.tr("&Search"))
        fill_combo(self.sale, [("sale", self.tr("Sale (has orders)")),
                               ("consult", self.tr("Consultation only"))], empty=self.tr("All"))
        fill_combo(self.klass, class_names().items(), empty=self.tr("All"))
        fill_combo(self.source, source_names().items(), empty=self.tr("All"))
        fill_combo(self.field, search_fields(), empty=self.tr("(no text criterion)"))

    @task_slot()
    async def load(self) -> None:
        """The pick lists (regions, varieties, staff) are read when the dialog opens."""
        archives = self.ctx.services.get(ArchiveService)
        accounts = self.ctx.services.get(AccountService)

        def read():  # one worker call for the three pick lists
            return (archives.list_regions(self.ctx.actor),
                    archives.list_varieties(self.ctx.actor), accounts.pick_list())
        lists = await self.call_service(read)
        if lists is None:
            return
        regions, varieties, staff = lists
        fill_combo(self.region, [(r.id, r.name) for r in regions])
        fill_combo(self.variety, [(v.id, v.name) for v in varieties])
        fill_combo(self.staff, [(i, f"{login} {name}") for i, login, name in staff])

    def query(self) -> CustomerQuery:
        """The criteria as the service takes them: unticked ones are left out."""
        dates = self.date_check.isChecked()
        times = self.time_check.isChecked()
        text = self.text.text().strip()
        field = self.field.currentData() if text else None
        return CustomerQuery(
            registered_from=self.date_from.date().toPython() if dates else None,
            registered_to=self.date_to.date().toPython() if dates else None,
            time_from=self.time_from.time().toPython() if times else None,
            time_to=self.time_to.time().toPython() if times else None,
            region_id=self.region.currentData() if self.region_check.isChecked() else None,
            variety_id=self.variety.currentData() if self.variety_check.isChecked() else None,
            employee_id=self.staff.currentData() if self.staff_check.isChecked() else None,
            sale=self.sale.currentData(), customer_class=self.klass.currentData(),
            source=self.source.currentData(), field=field, text=text if field else "")

    @task_slot()
    async def submit(self) -> bool:
        self.message.clear()
        if self.text.text().strip() and self.field.currentData() is None:
            self.message.setText(self.tr("Choose which field the text is searched in."))
            return False
        self.directory.model.failed.connect(self.message.setText)
        self.search_button.setEnabled(False)
        try:
            ok = await self.directory.run_query(self.query(), self.tr("customer query"))
        finally:
            self.search_button.setEnabled(True)
            self.directory.model.failed.disconnect(self.message.setText)
        if ok:
            self.directory.show()
            self.directory.raise_()
        return ok
