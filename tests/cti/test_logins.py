"""Logins: the employee rows are read by group lookup; tickets skip the hash; lock-out."""
from __future__ import annotations

import asyncio
import threading

import pytest

from agent_app.cti.logins import Logins
from agent_app.cti.routing import RoutingError
from agent_app.cti.store import LoginRecord
from agent_app.cti.tickets import Tickets
from agent_app.security import hash_password
from tests.cti.clientkit import until

HASH = hash_password("pw")


class FakeStore:
    """login_records as the Store answers it; the first call is held until released, so
    the logins arriving meanwhile must wait for the next batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.fail = False

    def login_records(self, logins: list[str]) -> dict[str, LoginRecord]:
        self.batches.append(sorted(logins))
        if len(self.batches) == 1:
            self.release.wait(5)
        if self.fail:
            raise ConnectionError("database down")
        return {u: LoginRecord(f"name {u}", "operator", frozenset(), HASH)
                for u in logins if u != "banned"}


def test_concurrent_logins_share_one_query_per_batch():
    store = FakeStore()
    tickets = Tickets(b"k" * 32)
    logins = Logins(store, tickets)

    async def main():
        ticket = tickets.issue("1002", "8002", "10.0.0.2", HASH, 1000.0)
        first = asyncio.create_task(logins.check("1001", "pw", "8001", "10.0.0.1", None, 1000.0))
        await until(lambda: store.batches)  # the first lookup is running
        rest = [asyncio.create_task(logins.check(u, "wrong", seat, ip, t, 1000.5))
                for u, seat, ip, t in (("1002", "8002", "10.0.0.2", ticket),
                                       ("1003", "8003", "10.0.0.3", None),
                                       ("banned", "8004", "10.0.0.4", None))]
        await until(lambda: set(logins._wanted) == {"1002", "1003", "banned"})  # all waiting
        store.release.set()
        rec, by_ticket = await first
        assert rec.name == "name 1001" and not by_ticket
        results = await asyncio.gather(*rest, return_exceptions=True)
        assert results[0][1] is True                       # the ticket vouched, no hash
        assert isinstance(results[1], RoutingError)        # wrong password
        assert isinstance(results[2], RoutingError)        # closed or banned: no row
        assert store.batches == [["1001"], ["1002", "1003", "banned"]]
        assert (logins.by_ticket, logins.by_password) == (1, 1)
        store.fail = True  # the database is down: each waiting login hears it
        with pytest.raises(ConnectionError):
            await logins.check("1001", "pw", "8001", "10.0.0.1", None, 1001.0)
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_five_failures_lock_the_user_out_for_a_minute():
    store = FakeStore()
    store.release.set()
    logins = Logins(store, None)

    async def main():
        for k in range(5):
            with pytest.raises(RoutingError):
                await logins.check("1001", "wrong", "8001", "ip", None, 1000.0 + k)
        with pytest.raises(RoutingError, match="too many"):
            await logins.check("1001", "pw", "8001", "ip", None, 1010.0)
        rec, _ = await logins.check("1001", "pw", "8001", "ip", None, 1061.0)
        assert rec is not None
    try:
        asyncio.run(main())
    finally:
        logins.close()
