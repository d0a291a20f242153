"""The call-console feature (前台管理 and 接线管理): install(window, ctx) -> CallFeature.

Creates the one CtiBridge (ctx.cti), the screen-pop controller and the console dock;
puts the call panels in the Calls menu (each built when first opened); F2 answer, F3 hang
up, F4 ready, F5 busy as window shortcuts; in the demo a toolbar action asks the built-in
server for a call. The link connects by itself when a seat is configured and the login's
credentials are in memory (ctx.credentials).
"""
from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from db.enums import Permission
from ui.call import common as C
from ui.call.bridge import CtiBridge
from ui.call.console import CallConsolePanel
from ui.call.pop import ScreenPop
from ui.panel import Panel

log = logging.getLogger(__name__)


_PANELS = {"query": ("ui.call.calls_query", "CallQueryPanel"),
           "missed": ("ui.call.missed", "MissedCallsPanel"),
           "internal": ("ui.call.internal", "InternalNumbersPanel"),
           "supervisor": ("ui.call.supervisor", "SupervisorPanel")}


def _panel_class(key: str) -> type[Panel]:
    # imported when first opened: start-up stays fast, and QtMultimedia (the query's
    # player) loads only for those who play recordings
    module, name = _PANELS[key]
    return getattr(importlib.import_module(module), name)


@dataclass
class CallFeature:
    bridge: CtiBridge
    console: CallConsolePanel
    pop: ScreenPop
    window: object
    ctx: object
    panels: dict[str, Panel] = field(default_factory=dict)
    actions: dict[str, QAction] = field(default_factory=dict)
    shortcuts: dict[str, QShortcut] = field(default_factory=dict)

    def open_panel(self, key: str) -> Panel:
        """通话查询 / 未接来电 / 集团电话 / 监控: created once, then raised."""
        if key == "console":
            panel = self.console
        else:
            panel = self.panels.get(key)
            if panel is None:
                panel = _panel_class(key)(self.ctx, self.bridge, parent=self.window)
                self.panels[key] = panel
                self.window.add_panel(panel, tabify_with=self._neighbour(panel))
        panel.show()
        panel.raise_()
        panel.ensure_built()
        return panel

    def _neighbour(self, panel: Panel) -> Panel | None:
        """The dock to share tabs with: the customer record (the big middle area; a
        screen-pop raises the record again), else any dock already in the panel's area."""
        w = self.window
        record = getattr(w.features.get("sales"), "record", None)
        if isinstance(record, Panel) and not record.isFloating():
            return record
        docked = [p for p in (*self.panels.values(), *getattr(w, "panels", {}).values())
                  if p is not panel and not p.isFloating()
                  and w.dockWidgetArea(p) == panel.default_area]
        return docked[-1] if docked else None

    def place_demo_call(self) -> None:
        server = getattr(self.ctx, "demo_server", None)
        if server is None:
            self.window.show_notice(QCoreApplication.translate(
                "call", "The built-in CTI server is not running."))
            return
        server.place_demo_call()  # thread-safe: it hands the call to the server's loop

    async def aclose(self) -> None:
        await self.pop.drain()
        await self.bridge.aclose()


def _ready_once_in_demo(window, bridge) -> None:
    """The demo's first login goes ready by itself, so a new user's first demo call pops a
    record within a minute without knowing about F4 (a real desk starts busy, 置忙, as
    the protocol says, until the agent is at the desk)."""
    def first_login(status: str, detail: str) -> None:
        if status != "logged_in":
            return
        bridge.status_changed.disconnect(first_login)
        bridge.ready()
        window.show_notice(QCoreApplication.translate(
            "call", "Demo: you are ready for calls. A demo customer calls every 45 s, or "
                    "use \"Place a demo call\"."), 10_000)
    bridge.status_changed.connect(first_login)


class _Texts(QObject):
    """Menu and shortcut texts, re-set when the language changes."""

    def __init__(self, feature: CallFeature) -> None:
        super().__init__(feature.window)
        self.feature = feature
        feature.window.installEventFilter(self)

    def retranslate(self) -> None:
        a = self.feature.actions
        texts = {"console": self.tr("Call &console"), "query": self.tr("Call &query"),
                 "missed": self.tr("&Missed calls"), "internal": self.tr("&Internal numbers"),
                 "supervisor": self.tr("&Monitoring"), "demo_call": self.tr("Place a demo call")}
        for key, text in texts.items():
            if key in a:
                a[key].setText(text)
        if "demo_call" in a:
            a["demo_call"].setToolTip(self.tr("Ask the built-in CTI server for a call from "
                                              "a demo customer"))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.Close and obj is self.feature.window:
            # log out cleanly (the server frees the seat at once, no grace period)
            if C.loop_running():
                asyncio.ensure_future(self.feature.aclose())
            # the console's clock ticks for a window that is on screen, not for a closed one
            self.feature.console.timer.stop()
        return False


def install(window, ctx) -> CallFeature:
    bridge = CtiBridge(ctx, parent=window)
    ctx.cti = bridge
    pop = ScreenPop(ctx, bridge, sales=lambda: window.features.get("sales"), window=window,
                    parent=window)
    console = CallConsolePanel(ctx, bridge, pop, parent=window)
    pop.notes_source = console.notes_for
    pop.failed.connect(lambda text: console.on_command_failed("pop", text))
    # At 1366×768 the customer record needs the middle of the screen, so the console takes
    # the bottom row as a tab beside the sales directory: raised at start and whenever a
    # call rings; its light and the state's time also sit in the status bar, always seen.
    neighbour = getattr(window.features.get("sales"), "sales", None)
    window.add_panel(console, Qt.DockWidgetArea.BottomDockWidgetArea,
                     tabify_with=neighbour if isinstance(neighbour, Panel) else None)
    console.raise_()
    window.statusBar().insertPermanentWidget(0, console.badge)
    feature = CallFeature(bridge, console, pop, window, ctx)

    menu = window.menu("calls")
    keys = ["console", "query", "missed", "internal"]
    if ctx.actor.can(Permission.MONITOR):
        keys.append("supervisor")
    for key in keys:
        act = QAction(window)
        act.setObjectName(f"act_call_{key}")
        act.triggered.connect(lambda _=False, k=key: feature.open_panel(k))
        menu.addAction(act)
        feature.actions[key] = act
    if ctx.demo:
        act = QAction(window)
        act.setObjectName("act_demo_call")
        act.triggered.connect(feature.place_demo_call)
        window.toolbar().addAction(act)
        feature.actions["demo_call"] = act
        _ready_once_in_demo(window, bridge)

    for key, slot in (("F2", bridge.answer), ("F3", bridge.hangup), ("F4", bridge.ready),
                      ("F5", console.ask_busy)):
        sc = QShortcut(QKeySequence(key), window)
        sc.setContext(Qt.ShortcutContext.WindowShortcut)
        sc.activated.connect(slot)
        feature.shortcuts[key] = sc

    # 即时消息 / 广播: a toast, never a box the agent must dismiss in a call
    bridge.message.connect(lambda ev: window.show_notice(
        QCoreApplication.translate("call", "Message from {sender}: {text}").format(
            sender=ev.get("from") or "?", text=ev.get("text") or "")))
    texts = _Texts(feature)
    texts.retranslate()
    feature.texts = texts  # type: ignore[attr-defined] - kept alive with the feature
    if bridge.can_connect():
        bridge.auto_connect()
    return feature
