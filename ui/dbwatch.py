"""数据库连接监视: what the desk does while the database server is unreachable.

Any panel's failed call that comes back as DatabaseUnavailable (ui.errors reports it
here) switches the watch on: the status bar says the database is unreachable and a
probe (`SELECT 1` on a worker thread, every few seconds, never on the GUI thread) tries
again until the server answers; then the status bar returns to normal and a notice says
so. The action that failed is not re-run by itself: a save may or may not have reached
the server, so the user repeats it (every service reports "nothing was changed" when
it was not). No probing at all while things work: 150 desks must not poll the server.

A data source with several servers (a cluster) fails over by itself when a connection
is opened (db/engine.py HostRing): `moved` tells the desk which server it now works
through, so the user knows why the last action may have failed.
"""
from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from agent_app.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
_watchers: list[DatabaseWatch] = []


def report_unavailable(exc: BaseException) -> None:
    """Called by ui.errors for every known error it turns into text."""
    if isinstance(exc, DatabaseUnavailable):
        for w in list(_watchers):
            w.lost()


class DatabaseWatch(QObject):
    changed = Signal(bool)  # True: reachable again; False: unreachable
    moved = Signal(str, str)  # (old server, new server) after a failover

    def __init__(self, runner, db, parent: QObject | None = None,
                 interval_ms: int = 3000) -> None:
        super().__init__(parent)
        self.runner, self.db = runner, db
        self.reachable = True
        self._probing = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._probe)
        _watchers.append(self)
        db.on_host_change(self._host_changed)

    def _host_changed(self, old: str, new: str) -> None:
        # runs on the worker thread that opened the connection: a signal crosses to the
        # GUI thread queued
        self.moved.emit(old, new)

    def stop(self) -> None:
        self.db.off_host_change(self._host_changed)
        self._timer.stop()
        if self in _watchers:
            _watchers.remove(self)

    def lost(self) -> None:
        if self.reachable:
            log.warning("database unreachable: probing every %d ms", self._timer.interval())
            self.reachable = False
            self.changed.emit(False)
        if not self._timer.isActive():
            self._timer.start()

    def _probe(self) -> None:
        if self._probing:
            return
        self._probing = True
        asyncio.ensure_future(self._run_probe())  # it catches everything itself

    async def _run_probe(self) -> None:
        try:
            await self.runner.call(self.db.ping)
        except Exception as exc:  # noqa: BLE001 - still down: the timer tries again
            log.info("database still unreachable: %s", str(exc)[:120])
            return
        finally:
            self._probing = False
        self._timer.stop()
        if not self.reachable:
            log.info("database reachable again")
            self.reachable = True
            self.changed.emit(True)
