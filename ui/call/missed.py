"""未接来电 / 早释电话查询 and 未接分配.

Callers who hung up before an agent answered (早释), or whose call rang out unanswered.
Whoever holds MISSED_ALLOCATION (and administrators) sees them all and allocates the
ticked ones to an agent; every agent sees the calls allocated to them, and "Call back"
dials the number and marks the call handled once the dial is placed.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from operator import attrgetter

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.phones import is_masked
from agent_app.services.paging import Page
from db.enums import Permission
from ui.call import common as C
from ui.kit.formats import local_time, site_today_qdate
from ui.kit.panel import Panel
from ui.kit.table import Column, PagedTableModel
from ui.kit.views import make_table_view

CALLER_COLUMN = 2  # the model's column 0 is the check box; then _columns(): time, caller


class MissedCallsPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        bridge = ctx.cti
        self.bridge = bridge
        self.may_allocate = ctx.actor.is_admin or ctx.actor.can(Permission.MISSED_ALLOCATION)
        self.pending_callback: tuple[str, str] | None = None   # (call_id, number)
        super().__init__(ctx, parent)
        bridge.dial_placed.connect(self._on_dial_placed)
        bridge.command_failed.connect(self._on_command_failed)

    def title(self) -> str:
        return self.tr("Missed calls")

    def build(self) -> QWidget:
        page = QWidget()
        today = site_today_qdate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-6)), QDateEdit(today)
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.scope = QComboBox()
        self.scope.setObjectName("missedScope")
        self.scope.setVisible(self.may_allocate)
        self.include_handled = QCheckBox()
        self.refresh_button = QPushButton()
        self.refresh_button.setObjectName("missedRefresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.from_label, self.to_label = QLabel(), QLabel()
        top = QHBoxLayout()
        for w in (self.from_label, self.date_from, self.to_label, self.date_to, self.scope,
                  self.include_handled):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        self.model = PagedTableModel(self._columns(), parent=self,
                                     check_key=attrgetter("call_id"))
        self.model.failed.connect(self._show)
        self.model.loaded.connect(self._on_loaded)
        self.view = make_table_view(self.model, "missedRows")
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        # sized to their contents once the rows are in (_on_loaded), the caller takes the
        # spare width; the 已回拨 flag keeps its content's width
        self.view.horizontalHeader().setStretchLastSection(False)
        self.view.horizontalHeader().setSectionResizeMode(
            CALLER_COLUMN, QHeaderView.ResizeMode.Stretch)
        # 回拨 from the keyboard: Return (or keypad Enter) on the chosen row
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.call_back)

        self.agent = QComboBox()
        self.agent.setObjectName("allocateTo")
        for combo in (self.agent, self.scope):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.allocate_button = QPushButton()
        self.allocate_button.setObjectName("allocateButton")
        self.allocate_button.clicked.connect(lambda: self.spawn(self.allocate()))
        self.callback_button = QPushButton()
        self.callback_button.setObjectName("callBackButton")
        self.callback_button.clicked.connect(self.call_back)
        self.allocate_label = QLabel()
        bottom = QHBoxLayout()
        for w in (self.allocate_label, self.agent, self.allocate_button):
            w.setVisible(self.may_allocate)
            bottom.addWidget(w)
        bottom.addStretch(1)
        bottom.addWidget(self.callback_button)
        self.status = self.message_label("missedStatus")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addLayout(bottom)
        lay.addWidget(self.status)
        if self.may_allocate:
            self.spawn(self.load_agents())
        self.refresh()
        return page

    def _columns(self) -> list[Column]:
        return [Column("queued_at", self.tr("Time"),
                       lambda v: local_time(v, "%Y-%m-%d %H:%M:%S")),
                Column("caller", self.tr("Caller")),
                Column("dialed", self.tr("Dialled number")),
                Column("wait_s", self.tr("Waited"), kind="duration"),
                Column("end_cause", self.tr("Result"), C.end_cause_text),
                Column("customer_name", self.tr("Customer")),
                Column("assigned_to_login", self.tr("Allocated to")),
                Column("handled", self.tr("Called back"))]

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.from_label.setText(self.tr("From"))
        self.to_label.setText(self.tr("To"))
        i = max(0, self.scope.currentIndex())
        self.scope.clear()
        self.scope.addItem(self.tr("All missed calls"), None)
        self.scope.addItem(self.tr("Allocated to me"), self.ctx.actor.login)
        self.scope.setCurrentIndex(i)
        self.include_handled.setText(self.tr("Include called back"))
        self.refresh_button.setText(self.tr("&Refresh"))
        self.allocate_label.setText(self.tr("Allocate the ticked calls to"))
        self.allocate_button.setText(self.tr("Allocate"))
        self.callback_button.setText(self.tr("Call back (Enter)"))
        self.callback_button.setToolTip(self.tr("Dial the chosen caller: Enter on the row"))
        self.model.set_columns(self._columns())

    # -- loading ----------------------------------------------------------------------------
    def refresh(self) -> asyncio.Future:
        svc = C.call_service(self.ctx)
        start = dt.datetime.combine(self.date_from.date().toPython(), dt.time()).astimezone()
        end = dt.datetime.combine(self.date_to.date().toPython() + dt.timedelta(days=1),
                                  dt.time()).astimezone()
        kwargs = {"start": start, "end": end,
                  "include_handled": self.include_handled.isChecked()}
        if self.may_allocate:
            kwargs["assigned_to_login"] = self.scope.currentData()

        async def fetch(_after):
            rows = await self.ctx.runner.call(svc.missed, self.ctx.actor, **kwargs)
            return Page(rows, None)
        return self.model.reset(fetch)

    def _on_loaded(self, n: int) -> None:
        for column in range(self.model.columnCount()):
            if column != CALLER_COLUMN:  # the caller stretches
                self.view.resizeColumnToContents(column)
        self._show(self.tr("%n missed call(s).", "", n))

    async def load_agents(self) -> None:
        from agent_app.services.accounts import AccountService

        people = await self.call_service(
            self.ctx.services.get(AccountService).list_employees, self.ctx.actor,
            include_closed=False)
        if people is None:
            return
        self.agent.clear()
        for e in people:
            self.agent.addItem(f"{e.login} {e.name}", e.login)

    # -- 未接分配 ----------------------------------------------------------------------------
    async def allocate(self) -> int:
        ids = [r.call_id for r in self.model.checked_rows()]
        login = self.agent.currentData()
        if not ids or not login:
            self._show(self.tr("Tick the calls and choose an agent first."))
            return 0
        n = await self.call_service(C.call_service(self.ctx).allocate, self.ctx.actor, ids, login)
        if n is None:
            return 0
        await self.refresh()
        self._show(self.tr("%n call(s) allocated to {login}.", "", n).format(login=login))
        return n

    # -- 回拨 ---------------------------------------------------------------------------------
    def call_back(self) -> None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            self._show(self.tr("Choose the call to return."))
            return
        row = self.model.row_at(idx.row())
        if not self.bridge.connected:
            self._show(self.tr("CTI link not connected"))
            return
        if is_masked(row.caller):  # shown masked: the real number comes by the call's id
            self.spawn(self._call_back_masked(row.call_id))
            return
        self.pending_callback = (row.call_id, row.caller)
        self.bridge.dial(row.caller)

    async def _call_back_masked(self, call_id: str) -> None:
        number = await self.call_service(C.call_service(self.ctx).number_to_dial,
                                          self.ctx.actor, call_id)
        if number:
            self.pending_callback = (call_id, number)
            self.bridge.dial(number)

    def _on_dial_placed(self, call: dict) -> None:
        pending, self.pending_callback = self.pending_callback, None
        if pending is not None and call.get("dialed") == pending[1]:
            self.spawn(self.mark_handled(pending[0]))

    def _on_command_failed(self, verb: str, text: str) -> None:
        if verb == "dial" and self.pending_callback is not None:
            self.pending_callback = None
            self._show(text)

    async def mark_handled(self, call_id: str) -> None:
        if await self.succeeded(self.ctx.runner.call(C.call_service(self.ctx).mark_handled,
                                                     self.ctx.actor, call_id)):
            await self.refresh()

    # -- helpers ----------------------------------------------------------------------------
    def _show(self, text: str) -> None:
        if self.is_built:
            self.status.setText(text)

