"""The leak fixture's checks (tests/conftest.py) see what they are meant to see, and stop
seeing it once it is gone: a listening socket, a child process, a pending task, a running
QTimer."""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

from tests.conftest import _children, _listening, _pending_tasks, _running_qtimers, _track_qtimers


def test_a_listening_socket_is_seen_until_it_is_closed():
    before = _listening()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        assert _listening() == before          # bound, not listening
        s.listen()
        port = s.getsockname()[1]
        assert [x for x in _listening() - before if f"port {port} " in x]
    assert _listening() == before


def test_a_child_process_is_seen_until_it_ends():
    before = _children()
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert _children() - before == {child.pid}
    finally:
        child.communicate(b"")
    assert _children() == before


def test_a_pending_task_is_seen_until_it_is_done():
    async def main():
        go = asyncio.Event()
        task = asyncio.ensure_future(go.wait())
        assert task in _pending_tasks()
        go.set()
        await task
        assert task not in _pending_tasks()
    asyncio.run(main())


def test_a_started_qtimer_is_seen_until_it_stops(qapp):
    from PySide6.QtCore import QTimer

    _track_qtimers()
    timer = QTimer()
    timer.start(60_000)
    assert timer in _running_qtimers()
    timer.stop()
    assert timer not in _running_qtimers()
