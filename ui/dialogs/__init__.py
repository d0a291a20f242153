"""Dialogs of the desktop shell: login, change password, workstation settings, crash.

All are opened with open() (never exec(): it would starve the qasync loop);
callers await their result through `ui.dialogs.wait_finished`.
"""
from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


async def wait_finished(dialog: QDialog) -> int:
    """Open `dialog` window-modally and wait for its `finished(int)` without blocking."""
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not fut.done():
            fut.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await fut
    finally:
        dialog.finished.disconnect(done)
