"""监控: the supervisor's live view of the floor, and 发送即时广播消息.

Opening the panel subscribes to the server's monitor feed (again after every reconnect,
since a new connection starts unsubscribed); the agents table and the per-group queue
figures then follow agent_state and queue_status events. Only offered to users with the
monitoring permission (the server refuses others anyway).

The live KPIs per group (offered, answered, abandoned, short abandons, service level,
abandon rate, ASA) count the inbound calls that ended since the panel subscribed, by the
definitions of the reports (agent_app.reports.kpi.LiveTally: one definition for the live
view, the reports and the exports). The KPI settings are read once on the runner's
thread, never on the GUI thread; until they arrive the defaults apply.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from agent_app.errors import UserError
from agent_app.reports.kpi import KpiSettings, LiveTally
from agent_app.services.archives import ArchiveService
from ui.call import common as C
from ui.kit.formats import duration_text, parse_ts
from ui.kit.panel import Panel
from ui.kit.table import Column, TableModel
from ui.kit.tasks import task_slot
from ui.kit.views import make_table_view


@dataclass(frozen=True)
class AgentRow:
    user: str
    name: str
    seat: str
    state: str
    reason: str
    since: dt.datetime | None
    groups: str


@dataclass(frozen=True)
class GroupRow:
    group: str
    waiting: int
    longest_wait_s: float
    ready: int
    busy: int
    talking: int
    # live KPIs (agent_app.reports.kpi) of the calls ended since the panel subscribed
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    service_level: float = 0.0
    abandon_rate: float = 0.0
    asa_s: float = 0.0


def _since(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    secs = (dt.datetime.now(dt.UTC) - value).total_seconds()
    return f"{value.astimezone():%H:%M:%S} ({duration_text(max(0.0, secs))})"


class SupervisorPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        bridge = ctx.cti
        self.bridge = bridge
        self.agents: dict[str, AgentRow] = {}
        self.groups: dict[str, GroupRow] = {}
        self.tally = LiveTally()
        super().__init__(ctx, parent)
        bridge.monitor_event.connect(self.on_event)
        bridge.status_changed.connect(self._on_status)
        bridge.command_failed.connect(self._on_failed)

    def title(self) -> str:
        return self.tr("Monitoring")

    def build(self) -> QWidget:
        page = QWidget()
        self.agent_model = TableModel(self._agent_columns())
        self.group_model = TableModel(self._group_columns())
        self.agent_view = make_table_view(self.agent_model, "monitorAgents")
        self.group_view = make_table_view(self.group_model, "monitorGroups")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.group_view)
        split.addWidget(self.agent_view)
        split.setSizes([90, 300])
        self.broadcast_text = QLineEdit()
        self.broadcast_text.setObjectName("broadcastText")
        self.broadcast_text.setMaxLength(2000)
        self.broadcast_text.returnPressed.connect(self.send_broadcast)
        self.broadcast_button = QPushButton()
        self.broadcast_button.setObjectName("broadcastButton")
        self.broadcast_button.clicked.connect(self.send_broadcast)
        row = QHBoxLayout()
        row.addWidget(self.broadcast_text, 1)
        row.addWidget(self.broadcast_button)
        self.status = self.message_label("monitorStatus", wrap=False)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(split, 1)
        lay.addLayout(row)
        lay.addWidget(self.status)
        self.ticker = QTimer(self)  # the "since" column counts up
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()
        if self.bridge.connected:
            self.bridge.monitor()
        self.load_settings()
        return page

    @task_slot()
    async def load_settings(self) -> None:
        """The KPI settings (short abandon, service level), off the GUI thread."""
        try:
            values = await self.ctx.runner.call(self.ctx.services.get(ArchiveService).get_settings)
        except UserError:
            return  # the database is away: the defaults stay
        self.tally.settings = KpiSettings.of(values)

    def _agent_columns(self) -> list[Column]:
        return [Column("user", self.tr("User")), Column("name", self.tr("Name")),
                Column("seat", self.tr("Seat")),
                Column("state", self.tr("State"), lambda s: C.state_text(s)[1]),
                Column("reason", self.tr("Reason")),
                Column("since", self.tr("Since"), _since),
                Column("groups", self.tr("Groups"))]

    def _group_columns(self) -> list[Column]:
        return [Column("group", self.tr("Group")),
                Column("waiting", self.tr("Waiting"), kind="int"),
                Column("longest_wait_s", self.tr("Longest wait"), kind="duration"),
                Column("ready", self.tr("Ready"), kind="int"),
                Column("busy", self.tr("Busy"), kind="int"),
                Column("talking", self.tr("Talking"), kind="int"),
                Column("offered", self.tr("Offered"), kind="int"),
                Column("answered", self.tr("Answered"), kind="int"),
                Column("abandoned", self.tr("Abandoned"), kind="int"),
                Column("short_abandoned", self.tr("Short abandons"), kind="int"),
                Column("service_level", self.tr("Service level"), kind="percent"),
                Column("abandon_rate", self.tr("Abandon rate"), kind="percent"),
                Column("asa_s", self.tr("ASA"), kind="duration")]

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.agent_model.set_columns(self._agent_columns())
        self.group_model.set_columns(self._group_columns())
        self.broadcast_text.setPlaceholderText(self.tr("A message for every logged-in agent"))
        self.broadcast_button.setText(self.tr("Broadcast"))

    # -- events -----------------------------------------------------------------------------
    def _on_status(self, status: str, _detail: str) -> None:
        if status == "logged_in" and self.is_built:
            self.bridge.monitor()  # a new connection starts unsubscribed

    def on_event(self, event: dict) -> None:
        name = event.get("event")
        if name == "agent_state":
            a = event.get("agent") or {}
            if not a.get("user"):
                return
            if a.get("state") == "logged_out":
                self.agents.pop(a["user"], None)
            else:
                self.agents[a["user"]] = AgentRow(
                    a["user"], a.get("name") or "", a.get("seat") or "", a.get("state") or "",
                    a.get("reason") or "", parse_ts(a.get("since")),
                    ", ".join(a.get("groups") or []))
            self._refresh_agents()
        elif name == "queue_status" and event.get("group"):
            g = event["group"]
            self.groups[g] = GroupRow(
                g, int(event.get("waiting") or 0),
                float(event.get("longest_wait_s") or 0), int(event.get("ready") or 0),
                int(event.get("busy") or 0), int(event.get("talking") or 0),
                **self._live(g))
            self._refresh_groups()
        elif name == "call_ended" and isinstance(event.get("call"), dict):
            if self.tally.note_ended(event["call"]):
                g = str(event["call"].get("group") or "")
                row = self.groups.get(g) or GroupRow(g, 0, 0.0, 0, 0, 0)
                self.groups[g] = replace(row, **self._live(g))
                self._refresh_groups()

    def _live(self, group: str) -> dict:
        k = self.tally.kpis(group)
        return {f: k[f] for f in ("offered", "answered", "abandoned", "short_abandoned",
                                  "service_level", "abandon_rate", "asa_s")}

    def _refresh_groups(self) -> None:
        if self.is_built:
            self.group_model.set_rows([self.groups[g] for g in sorted(self.groups)])

    def _refresh_agents(self) -> None:
        if self.is_built:
            self.agent_model.set_rows([self.agents[u] for u in sorted(self.agents)])

    def _tick(self) -> None:
        """Repaint the "since" column only (a reset would lose the selection)."""
        n = self.agent_model.rowCount()
        if n:
            col = 5
            self.agent_model.dataChanged.emit(self.agent_model.index(0, col),
                                              self.agent_model.index(n - 1, col))

    def send_broadcast(self) -> None:
        text = self.broadcast_text.text().strip()
        if not text:
            return
        self.bridge.broadcast(text)
        self.broadcast_text.clear()
        self.status.setText(self.tr("Broadcast sent."))

    def _on_failed(self, verb: str, text: str) -> None:
        if verb in ("monitor", "broadcast") and self.is_built:
            self.status.setText(text)
