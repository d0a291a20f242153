"""Helpers of the call-console tests (tests/ui, tests/e2e): agent-ctid embedded on
loopback (its own thread and event loop, as the demo runs it), the desks that log in to it,
a recording stand-in for ui.sales. The fixtures (call_world, ctid, call_ctx, desk) are in
tests/conftest.py."""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from tests.ui.helpers import until as _until


async def until(pred, timeout: float = 10.0) -> None:
    """tests.ui.helpers.until with a longer default: a real server on a busy 2-core machine."""
    await _until(pred, timeout)

# QtMultimedia, on a machine without PipeWire, VA-API or a sound server, says so at
# warning level when it loads; the tests that load it ignore exactly that
MULTIMEDIA_NOISE = ("PulseAudioService", "Couldn't load", "Couldn't resolve")
HOTLINE = "4006000000"
KNOWN_MOBILE = "13800138000"
UNKNOWN_LANDLINE = "057188886666"   # Hangzhou's area code: the region is suggested


@dataclass
class CallWorld:
    db: object
    customer_id: int
    region_id: int
    admin: object


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerHandle:
    """Start, kill and restart agent-ctid (embedded: own thread and loop) on one port."""

    def __init__(self, url: str, recordings: Path) -> None:
        self.url, self.recordings = url, recordings
        self.port = free_port()
        self.embedded = None

    def start(self):
        from agent_app.cti.embedded import start_embedded_server

        self.embedded = start_embedded_server(self.url, port=self.port,
                                              recordings_dir=self.recordings,
                                              demo_calls_every_s=None)
        return self.embedded

    def stop(self) -> None:
        server, self.embedded = self.embedded, None
        if server is not None:
            server.stop()
            # EmbeddedServer.stop() leaves its loop stopped but open, with the closing
            # connections' transports not yet finished: let them finish, then close it
            if not server.thread.is_alive():
                server.loop.run_until_complete(asyncio.sleep(0.05))
                server.loop.close()

    def inbound(self, caller: str, dialed: str = HOTLINE, group: str = "21",
                hangup_after_s=None, talk_s=None) -> None:
        srv = self.embedded
        srv.loop.call_soon_threadsafe(
            lambda: srv.server.inbound(caller, dialed, group, hangup_after_s, talk_s))


class RecordingSales(QObject):
    """Stands in for ui.sales in the console tests that are about the console only;
    the end-to-end test uses the real SalesFeature."""

    customer_registered = Signal(int, str)
    customer_opened = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple, dict]] = []
        self.banner = ""

    def _log(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))

    def show_bundle(self, bundle, *, call=None):
        self._log("show_bundle", bundle, call=call)

    def open_customer(self, customer_id, *, call=None):
        self._log("open_customer", customer_id, call=call)

    def new_customer(self, *, phone="", region_id=None, call=None):
        self._log("new_customer", phone=phone, region_id=region_id, call=call)

    def pick_customer(self, matches, *, call=None):
        self._log("pick_customer", matches, call=call)

    def set_pop_banner(self, text):
        self.banner = text

    def customer_for_call(self, call_id):
        return None

    def record_dock(self):
        return self.dock

    def names(self):
        return [c[0] for c in self.calls]


class Desks:
    """Builds main windows with the call feature (and a recording sales stand-in) and
    runs a test's scenario as ONE coroutine on the qasync loop, closing every desk's CTI
    link before it returns.

    One coroutine, because qasync steps tasks from Qt timers: a task still in flight when
    run_until_complete returns would be stepped by pytest-qt's event processing with no
    running loop. The shell likewise runs everything inside one loop."""

    def __init__(self, aloop, call_ctx) -> None:
        self.aloop, self.call_ctx = aloop, call_ctx
        self.made: list[tuple] = []

    def __call__(self, login="1001", password="pass1234", seat="8001", demo_server=None):
        from PySide6.QtWidgets import QDockWidget

        from ui.call import FEATURE
        from ui.kit.contracts import CustomerScreen
        from ui.main_window import MainWindow

        ctx = self.call_ctx(login, password, seat)
        ctx.demo, ctx.demo_server = demo_server is not None, demo_server
        # not qtbot.addWidget: qtbot would close the window before the link is stopped
        w = MainWindow(ctx, database_label="test", features=(FEATURE,))
        sales = RecordingSales()
        sales.dock = QDockWidget(w)
        w.provide(CustomerScreen, sales)
        feature = w.features["call"]
        w.resize(1366, 768)
        w.show()
        self.made.append((w, feature))
        return w, feature, sales

    def run(self, scenario, timeout: float = 120):
        async def main():
            try:
                return await asyncio.wait_for(scenario, timeout)
            finally:
                await self.close_links()
        return self.aloop.run_until_complete(main())

    async def close_links(self) -> None:
        for _w, feature in self.made:
            await feature.aclose()
        await asyncio.sleep(0.1)  # closed transports finish closing


def close_windows(windows) -> None:
    """Close the desks as qtbot would have (after their links were closed): Qt deletes
    them at the next turn of the event loop, on the GUI thread."""
    for w in windows:
        w.close()
        w.deleteLater()


async def logged_in_ready(feature):
    bridge = feature.bridge
    await until(lambda: bridge.connected, 10)
    bridge.ready()
    await until(lambda: (bridge.agent or {}).get("state") == "ready")
