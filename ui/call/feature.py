"""The call controller: the one CtiBridge (ctx.cti) and screen-pop of a login, the
console's wiring, the phone keys, and the `Dialer` the sales feature asks to call out.

Made once per login by the main window (ui.kit.registry). The link connects by itself
when a seat is configured and the login's credentials are in memory (ctx.credentials).
"""
from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject

from ui.call import common as C
from ui.call.bridge import CtiBridge
from ui.call.pop import ScreenPop
from ui.kit.contracts import CustomerScreen, Dialer

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("call", text)


class CallFeature(QObject):
    def __init__(self, host, ctx) -> None:
        super().__init__(host)
        self.setObjectName("CallFeature")
        self.window, self.ctx = host, ctx
        self.bridge = CtiBridge(ctx, parent=host)
        ctx.cti = self.bridge
        self.pop = ScreenPop(ctx, self.bridge, screen=lambda: host.lookup(CustomerScreen),
                             window=host, parent=self)
        host.provide(Dialer, self)
        host.panel_created.connect(self._wire)
        host.installEventFilter(self)
        # 即时消息 / 广播: a toast, never a box the agent must dismiss in a call
        self.bridge.message.connect(lambda ev: host.show_notice(_tr(
            "Message from {sender}: {text}").format(sender=ev.get("from") or "?",
                                                    text=ev.get("text") or "")))
        # trust on first use: the agent (and whoever set up the desk) sees what was pinned
        self.bridge.pinned.connect(lambda fp: host.show_notice(_tr(
            "CTI server's certificate trusted at this first connection and remembered: "
            "SHA-256 {fingerprint}. Compare it with the one agent-ctid logs.").format(
                fingerprint=fp), 15_000))

    @property
    def console(self):
        return self.window.find_panel("call.console")

    @property
    def panels(self) -> dict:
        return {k.removeprefix("call."): p for k, p in self.window.panels.items()
                if k.startswith("call.") and k != "call.console"}

    @property
    def actions(self) -> dict:
        """This user's Calls-menu actions by short key (the registry's, without "call.")."""
        return self.window.registry_actions("call")

    def open_panel(self, key: str):
        return self.window.panel(f"call.{key}")

    def _wire(self, key: str, panel) -> None:
        if key == "call.console":
            panel.pop = self.pop
            self.pop.notes_source = panel.notes_for
            self.pop.failed.connect(lambda text: panel.on_command_failed("pop", text))
            # its light and the state's time also sit in the status bar, always seen
            self.window.statusBar().insertPermanentWidget(0, panel.badge)

    def started(self) -> None:
        self.console.raise_()  # raised at start and whenever a call rings
        if self.ctx.demo:
            self._ready_once_in_demo()
        if self.bridge.can_connect():
            self.bridge.auto_connect()

    # -- the phone keys -------------------------------------------------------------------
    def answer(self) -> None:
        self.bridge.answer()

    def hangup(self) -> None:
        self.bridge.hangup()

    def ready(self) -> None:
        self.bridge.ready()

    def ask_busy(self) -> None:
        self.console.ask_busy()

    # -- the Dialer contract --------------------------------------------------------------
    def can_dial(self) -> bool:
        return self.bridge.status == "logged_in"

    def dial(self, number: str, *, customer_id: int | None = None) -> None:
        self.console.raise_()
        self.bridge.dial(number)

    # -- the demo -------------------------------------------------------------------------
    def place_demo_call(self) -> None:
        server = self.ctx.demo_server
        if server is None:
            self.window.show_notice(_tr("The built-in CTI server is not running."))
            return
        server.place_demo_call()  # thread-safe: it hands the call to the server's loop

    def _ready_once_in_demo(self) -> None:
        """The demo's first login goes ready by itself, so a new user's first demo call
        pops a record within a minute without knowing about F4 (a real desk starts busy,
        置忙, as the protocol says, until the agent is at the desk)."""
        bridge, window = self.bridge, self.window

        def first_login(status: str, detail: str) -> None:
            if status != "logged_in":
                return
            bridge.status_changed.disconnect(first_login)
            bridge.ready()
            window.show_notice(_tr(
                "Demo: you are ready for calls. A demo customer calls every 45 s, or "
                "use \"Place a demo call\"."), 10_000)
        bridge.status_changed.connect(first_login)

    async def aclose(self) -> None:
        await self.pop.drain()
        await self.bridge.aclose()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Close and obj is self.window:
            # the console's clock ticks for a window on screen, not for a closed one
            self.console.timer.stop()
            if C.loop_running():
                # log out cleanly (the server frees the seat at once, no grace period)
                asyncio.ensure_future(self.aclose())
        return False
