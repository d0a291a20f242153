"""Helpers of the desk tests (tests/ui, tests/e2e): waiting on a condition on the qasync
loop, and the in-memory keyring. The fixtures are in tests/conftest.py."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import keyring.backend


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A stub backend: tests must never touch the real OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


async def until(pred: Callable[[], object], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def idle(runner=None, timeout: float = 5.0) -> None:
    """Until the loop runs no task but the caller's and `runner` has no job in flight:
    the reloads a test's last click or save started have come back."""
    me = asyncio.current_task()
    await until(lambda: all(t is me or t.done() for t in asyncio.all_tasks())
                and (runner is None or runner.in_flight == 0), timeout)


def run(aloop, coro):
    return aloop.run_until_complete(coro)


def settle(aloop, w) -> None:
    """Let the first loads of the sales panels finish (pick lists, lists, reminders), and
    the docks take their first sizes (200 ms after the first show)."""
    f = w.features["sales"]
    run(aloop, until(lambda: f.layout_settled and f.directory.loaded and f.record.choices_ready
                     and (not f.reminders.is_built or f.reminders.loaded)
                     and f.notifier.last_check is not None
                     and (not f.sales.is_built or f.sales.choices_ready)
                     and w.ctx.runner.in_flight == 0))
