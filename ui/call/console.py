"""前台管理: the call console dock.

The manual's sequence is kept: 连接 (the link light turns blue, then green when the
agent is logged in), then 空闲/置忙. The status lights show the link, the login and the
agent state with how long it has lasted. The current call shows its caller and 源被叫,
with Answer / Hang up / Hold / Transfer, and a notes box written into the customer's
contact log when the call ends or on Save. 前台管理中只能查询当天的呼入与呼出资料: the
table below lists today's calls of this agent, refreshed after each call.

Every button only asks the bridge; the lights, the call box and the status-bar badge are
drawn from the CTI client's snapshot (bridge.state), so they change when the server says so
and never disagree with each other. Answer is enabled only while the snapshot has a call
ringing for this agent. The message line says what went wrong last and clears on the next
success (Ready, Busy, Answer, Hang up accepted; the next call ringing).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from agent_app.services.privacy import shown_number
from ui.call import common as C
from ui.call.widgets import DialPad, TodayCalls, TransferPopup, column
from ui.kit.changes import Change
from ui.kit.panel import Panel

log = logging.getLogger(__name__)


class CallConsolePanel(Panel):
    default_area = Qt.DockWidgetArea.BottomDockWidgetArea
    watches = (Change.CALL,)

    def __init__(self, ctx, parent=None) -> None:
        bridge = ctx.cti
        self.bridge = bridge
        self.pop = None  # the ScreenPop, set by the call feature when it wires the console
        self.notes_call_id: str | None = None  # the call the notes box belongs to
        self._listed_end: str | None = None     # the ended call today's list was refreshed for
        self.today_loaded = 0                   # refreshes done (tests wait on it)
        self._tasks: set[asyncio.Future] = set()
        super().__init__(ctx, parent)
        self.badge = C.Light("consoleBadge")  # the state light for the status bar
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        bridge.status_changed.connect(self.on_status)
        bridge.state_changed.connect(self.on_state)
        bridge.recording_ready.connect(lambda _ev: self.schedule_refresh(0))
        bridge.command_failed.connect(self.on_command_failed)
        bridge.command_done.connect(self.on_command_done)

    def title(self) -> str:
        return self.tr("Call console")

    # -- building ---------------------------------------------------------------------------
    def build(self) -> QWidget:
        page = QWidget()
        page.setObjectName("callConsole")
        self.link_light = C.Light("linkLight")
        self.login_light = C.Light("loginLight")
        self.state_light = C.Light("stateLight")
        self.duration = C.mono_label("stateDuration")
        lights = QHBoxLayout()
        lights.setSpacing(10)
        for w in (self.link_light, self.login_light, self.state_light):
            lights.addWidget(w)
        lights.addWidget(self.duration)

        self.connect_button = QPushButton()
        self.connect_button.setObjectName("connectButton")
        self.connect_button.clicked.connect(self.toggle_link)
        self.ready_button = QPushButton()
        self.ready_button.setObjectName("readyButton")
        self.ready_button.clicked.connect(self.bridge.ready)
        self.busy_button = QPushButton()
        self.busy_button.setObjectName("busyButton")
        self.busy_button.clicked.connect(self.ask_busy)
        self.reason = QComboBox()
        self.reason.setObjectName("busyReason")
        agent_row = QHBoxLayout()
        for w in (self.connect_button, self.ready_button, self.busy_button, self.reason):
            agent_row.addWidget(w)

        # the current call: caller and 源被叫 on one line, its state and buttons on the next
        self.call_box = QFrame()
        self.call_box.setObjectName("currentCall")
        self.call_box.setFrameShape(QFrame.Shape.StyledPanel)
        info = QGridLayout(self.call_box)
        info.setContentsMargins(6, 4, 6, 4)
        info.setHorizontalSpacing(8)
        info.setVerticalSpacing(4)
        self.caller = C.mono_label("callCaller")
        self.dialed = C.mono_label("callDialed")
        self.call_state = C.mono_label("callState")
        self.caller_label, self.dialed_label = QLabel(), QLabel()
        info.addWidget(self.caller_label, 0, 0)
        info.addWidget(self.caller, 0, 1)
        info.addWidget(self.dialed_label, 0, 2)
        info.addWidget(self.dialed, 0, 3)
        info.setColumnStretch(1, 1)
        info.setColumnStretch(3, 1)
        self.answer_button = QPushButton()
        self.answer_button.setObjectName("answerButton")
        self.answer_button.clicked.connect(self.bridge.answer)
        self.hangup_button = QPushButton()
        self.hangup_button.setObjectName("hangupButton")
        self.hangup_button.clicked.connect(self.bridge.hangup)
        self.hold_button = QPushButton()
        self.hold_button.setObjectName("holdButton")
        self.hold_button.clicked.connect(self.toggle_hold)
        self.transfer_button = QPushButton()
        self.transfer_button.setObjectName("transferButton")
        self.transfer_button.clicked.connect(self.open_transfer)
        self.transfer_popup = TransferPopup(self)
        self.transfer_popup.transfer_requested.connect(self.bridge.transfer)
        call_buttons = QHBoxLayout()
        call_buttons.addWidget(self.call_state, 1)
        for b in (self.answer_button, self.hangup_button, self.hold_button,
                  self.transfer_button):
            b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            call_buttons.addWidget(b)
        info.addLayout(call_buttons, 1, 0, 1, 4)

        self.message = QLabel()
        self.message.setObjectName("consoleMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {C.RED};")
        self.message.hide()  # shown only while it has something to say

        self.notes = QPlainTextEdit()
        self.notes.setObjectName("callNotes")
        self.notes.setMinimumHeight(44)
        self.save_notes_button = QPushButton()
        self.save_notes_button.setObjectName("saveNotes")
        self.save_notes_button.clicked.connect(self.save_notes)
        self.pad = DialPad()
        self.pad.dial_requested.connect(self.dial)

        self.today = TodayCalls()
        self.today_model, self.today_view = self.today.model, self.today.view

        # Three columns side by side when docked wide (the bottom row, ~190 px high), one
        # above the other when docked narrow (left/right): re-flowed by resizeEvent.
        agent_col = column(lights, agent_row, self.message, self.call_box)
        notes_col = column(self.notes, self.save_notes_button)
        today_col = column(self.pad, self.today)
        self.flow = QBoxLayout(QBoxLayout.Direction.TopToBottom, page)
        self.flow.setContentsMargins(6, 2, 6, 4)
        self.flow.addWidget(agent_col, 5)
        self.flow.addWidget(notes_col, 2)
        self.flow.addWidget(today_col, 4)
        self.dockLocationChanged.connect(self._reflow)
        self.topLevelChanged.connect(self._reflow)
        self._reflow()  # before the first layout pass, so the window never grows for it
        self.timer.start()
        self.schedule_refresh(0)
        # the link may have come up before the panel was first shown
        QTimer.singleShot(0, self, self._sync_from_bridge)
        return page

    WIDE = 760  # px: floating or docked at a side, the columns stand side by side from here

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self, *_args) -> None:
        """Side by side in the top/bottom rows (the height is what is scarce there),
        stacked in a narrow side dock (the width is)."""
        if not self.is_built:
            return
        main = self.parent()
        area = main.dockWidgetArea(self) if hasattr(main, "dockWidgetArea") else None
        rows = (Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea)
        wide = (area in rows and not self.isFloating()) or self.width() >= self.WIDE
        want = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.flow.direction() != want:
            self.flow.setDirection(want)

    def _sync_from_bridge(self) -> None:
        self.on_status(self.bridge.status, self.bridge.detail)
        self.on_state(self.bridge.state)

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        self.ready_button.setText(self.tr("Ready (F4)"))
        self.busy_button.setText(self.tr("Busy (F5)"))
        current = self.reason.currentIndex()
        self.reason.clear()
        for code, words in C.busy_reasons():
            self.reason.addItem(words, code)
        self.reason.setCurrentIndex(max(0, current))
        self.caller_label.setText(self.tr("Caller"))
        self.dialed_label.setText(self.tr("Dialled number"))
        self.answer_button.setText(self.tr("Answer (F2)"))
        self.hangup_button.setText(self.tr("Hang up (F3)"))
        self.transfer_button.setText(self.tr("Transfer…"))
        self.notes.setPlaceholderText(self.tr("Notes on this call (saved to the customer's "
                                              "contact log)"))
        self.save_notes_button.setText(self.tr("Save"))
        self.today.retranslate_ui()
        self.pad.retranslate_ui()
        self.on_status(self.bridge.status, self.bridge.detail)
        self.on_state(self.bridge.state)

    # -- link and agent state ---------------------------------------------------------------
    def toggle_link(self) -> None:
        if self.bridge.client is None:
            self.bridge.connect_link()
        else:
            self.bridge.disconnect_link()

    def on_status(self, status: str, detail: str) -> None:
        if not self.is_built:
            return
        colour, text = C.link_text(status)
        self.link_light.set(colour, self.tr("Link: {state}").format(state=text),
                            self._link_tip(status, detail))
        logged_in = status == "logged_in"
        self.login_light.set(C.GREEN if logged_in else C.GREY,
                             self.tr("Logged in") if logged_in else self.tr("Not logged in"),
                             detail)
        self.connect_button.setText(self.tr("Disconnect") if self.bridge.client is not None
                                    else self.tr("Connect"))
        if status == "disconnected" and detail == "tls_pin_changed":
            self._say(self.tr(
                "Not connecting: the CTI server's certificate has CHANGED (SHA-256 {now}, "
                "trusted before: {pinned}). Another machine may be posing as the server. "
                "If the administrator replaced the certificate, clear the remembered one in "
                "Workstation settings.").format(now=self.bridge.fingerprint,
                                                pinned=self.bridge.pin))
        elif status == "disconnected" and detail == "tls_failed":
            self._say(self.tr("Not connecting: the CTI server's certificate is not trusted "
                              "or the server does not speak TLS (tls_failed)."))
        elif status == "disconnected" and detail and detail != "stopped":
            self._say(self.tr("Link: {detail}").format(detail=C.link_detail_text(detail)))
        elif logged_in:
            self._say("")
        self._show_agent(self.bridge.state)
        self._enable()

    def _link_tip(self, status: str, detail: str) -> str:
        """The link light's tooltip: the detail, and whether the link is encrypted."""
        fp = self.bridge.fingerprint
        if status in ("connected", "logged_in"):
            security = (self.tr("TLS, server certificate SHA-256 {fingerprint}")
                        .format(fingerprint=fp) if fp
                        else self.tr("Plaintext: not encrypted"))
            return f"{detail}\n{security}" if detail else security
        return detail

    def _show_agent(self, st) -> None:
        """The state light and the badge, from the snapshot (grey while not logged in)."""
        colour, text = C.agent_text(st.agent_state, st.reason) if self.bridge.connected \
            else (C.GREY, C.state_text(None)[1])
        self.state_light.set(colour, text)
        self.badge.set(colour, text, "" if self.bridge.connected else self.bridge.detail)
        self._tick()

    def _since(self) -> dt.datetime | None:
        if not self.bridge.connected:
            return None
        return C.parse_ts(self.bridge.state.agent_since)

    def _tick(self) -> None:
        since = self._since()
        if since is None:
            self.duration.clear()
            self.badge.text.setText(self.state_light.text.text())
            return
        secs = (dt.datetime.now(dt.UTC) - since).total_seconds()
        self.duration.setText(C.duration_text(max(0.0, secs)))
        self.badge.text.setText(f"{self.state_light.text.text()} {self.duration.text()}")

    def ask_busy(self) -> None:
        self.bridge.busy(self.reason.currentData() or self.reason.currentText())

    def on_command_failed(self, verb: str, text: str) -> None:
        if self.is_built:
            self._say(self.tr("{verb}: {text}").format(verb=C.verb_text(verb), text=text))

    CLEARED_BY = frozenset({"ready", "busy", "answer", "hangup"})

    def on_command_done(self, verb: str) -> None:
        """A success makes the last error line stale."""
        if self.is_built and verb in self.CLEARED_BY:
            self._say("")

    # -- the call ---------------------------------------------------------------------------
    def on_state(self, st) -> None:
        """Render a new snapshot: the agent's light, the badge and the call box."""
        if not self.is_built:
            return
        shown = st.shown
        if shown is not None and shown.live and shown.call_id != self.notes_call_id:
            # a new call: to the front of its tabs, fresh notes (the last call's were
            # saved when it ended), and the last call's error is no longer news
            self.notes_call_id = shown.call_id
            self.notes.clear()
            self._say("")
            self.show()
            self.raise_()
        if shown is not None and not shown.live and shown.call_id != self.notes_call_id:
            self.notes_call_id = shown.call_id
        if shown is not None and shown.state == "ended" and shown.call_id != self._listed_end:
            self._listed_end = shown.call_id
            self.schedule_refresh(300)  # the server writes the record a moment after
        self._show_agent(st)
        self._show_call(st)

    def _show_call(self, st=None) -> None:
        if not self.is_built:
            return
        st = st if st is not None else self.bridge.state
        c = st.shown
        # numbers from agent-ctid's events, masked for a user without 查看完整号码; an
        # inbound call's dialled number is the site's hotline, an outbound one's the customer
        viewer = self.ctx.actor
        self.caller.setText(shown_number(viewer, c.caller) if c else "")
        self.dialed.setText((shown_number(viewer, c.dialed) if c.direction == "out"
                             else c.dialed) if c else "")
        words = ""
        if c is not None:
            words = f"{C.direction_text(c.direction)} · {C.call_state_text(c.state)}"
            if c.state == "ended" and c.end_cause:
                words += f" · {C.end_cause_text(c.end_cause)}"
        self.call_state.setText(words)
        self.hold_button.setText(self.tr("Resume") if c is not None and c.state == "held"
                                 else self.tr("Hold"))
        self._enable()

    def _enable(self) -> None:
        if not self.is_built:
            return
        up = self.bridge.connected
        st = self.bridge.state
        live = st.current
        state = live.state if live is not None else None
        self.ready_button.setEnabled(up)
        self.busy_button.setEnabled(up)
        self.answer_button.setEnabled(up and st.ringing is not None)
        self.hangup_button.setEnabled(up and live is not None and (
            state in ("talking", "held") or (state == "ringing" and live.direction == "out")))
        self.hold_button.setEnabled(up and state in ("talking", "held"))
        self.transfer_button.setEnabled(up and state in ("talking", "held"))
        self.pad.dial_button.setEnabled(up and live is None)
        self.pad.dial_button.setToolTip("" if up else self.tr("CTI link not connected"))
        self.save_notes_button.setEnabled(self.notes_call_id is not None)

    def toggle_hold(self) -> None:
        current = self.bridge.state.current
        if current is not None and current.state == "held":
            self.bridge.unhold()
        else:
            self.bridge.hold()

    def open_transfer(self) -> None:
        self.transfer_popup.popup_below(self.transfer_button)

    def dial(self, number: str) -> None:
        if not self.bridge.connected:
            self._say(self.tr("CTI link not connected"))
            return
        self.bridge.dial(number)

    def notes_for(self, call_id: str) -> str | None:
        """The notes typed for `call_id` (the pop controller saves them at call end)."""
        if self.is_built and call_id is not None and self.notes_call_id == call_id:
            return self.notes.toPlainText().strip() or None
        return None

    def save_notes(self) -> None:
        if self.notes_call_id is None or self.pop is None:
            return
        self.spawn(self._save_notes(self.notes_call_id, self.notes.toPlainText()))

    async def _save_notes(self, call_id: str, text: str) -> None:
        ok, saved = await self.attempt(self.pop.save_notes(call_id, text))
        if saved:
            self.ctx_notice(self.tr("Notes saved."))
        elif ok:  # a failure's own message stays
            self._say(self.tr("No customer is open for this call: register or "
                                         "pick the customer first."))

    def show_failure(self, text: str) -> None:
        self._say(text)

    def _say(self, text: str) -> None:
        """The console's one message line (refusals, link problems); hidden when empty."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def ctx_notice(self, text: str) -> None:
        window = self.window()
        if hasattr(window, "show_notice"):
            window.show_notice(text)

    # -- today's calls ------------------------------------------------------------------------
    def on_change(self, kind: str, row_id: int, customer_id: int) -> None:
        self.schedule_refresh(0)  # 今日通话 with the customer just linked

    def schedule_refresh(self, msec: int) -> None:
        QTimer.singleShot(msec, self, self._refresh_soon)

    def _refresh_soon(self) -> None:
        if C.loop_running():  # not while Qt tears the window down after the loop stopped
            self.spawn(self.refresh_today())

    async def refresh_today(self) -> None:
        if not self.is_built:
            return
        rows = await self.call_service(C.call_service(self.ctx).today, self.ctx.actor)
        if rows is None:
            return
        self.today_model.set_rows(rows)
        self.today_loaded += 1
