"""Helpers shared by the CtiClient tests (test_client.py, test_client_faults.py)."""
from __future__ import annotations

import asyncio
import time

from agent_app.cti.client import CtiClient
from tests.cti.conftest import PASSWORD

FAST = (0.1, 0.2, 0.4)


def run(coro, timeout: float = 60):
    async def main():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(main())


async def until(pred, timeout: float = 5) -> None:
    """Until `pred()` holds, checked every 10 ms; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class Recorder:
    """on_status / on_event sink with a polling wait (no extra tasks to clean up)."""

    def __init__(self, client: CtiClient) -> None:
        self.statuses: list[tuple[str, str]] = []
        self.events: list[dict] = []
        client.on_status = lambda s, d: self.statuses.append((s, d))
        client.on_event = self.events.append

    async def event(self, name: str, timeout: float = 5, **match) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e["event"] == name and all(_get(e, k) == v for k, v in match.items()):
                    return self.events.pop(i)
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {name} {match}; got {[e['event'] for e in self.events]}")

    async def status(self, status: str, detail: str | None = None, timeout: float = 10,
                     after: int = 0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, (s, d) in enumerate(self.statuses[after:], after):
                if s == status and (detail is None or d == detail):
                    return i
            await asyncio.sleep(0.02)
        raise AssertionError(f"no status {status}/{detail}; got {self.statuses}")

    def names(self) -> list[str]:
        out: list[str] = []
        for s, _ in self.statuses:
            if not out or out[-1] != s:
                out.append(s)
        return out


def _get(obj, dotted: str):
    for part in dotted.split("__"):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def client_for(port: int, user: str = "1001", seat: str = "8001", groups=("21",),
               password: str = PASSWORD, backoff=FAST) -> CtiClient:
    return CtiClient("127.0.0.1", port, user=user, password=password, seat=seat,
                     groups=list(groups), backoff=backoff)


async def stop_in_time(client: CtiClient, limit: float = 2.0) -> None:
    t0 = time.monotonic()
    await client.stop()
    assert time.monotonic() - t0 < limit
    assert client.status == "disconnected"
