"""Who may log in to agent-ctid: the employee record, then a resume ticket or the password,
and the lock-out after repeated failures (cti-protocol.md, "Session"; tickets.py).

After a restart 150 desks log in within a second. Each reading its employee row on its
own (six executor threads, each opening a database connection, fighting for the GIL)
took ~30 ms at the median and ~460 ms at p99; so the rows are read by group lookup, as
the journal syncs by group commit: the logins that arrive while one query runs are read
together by the next, one query each batch. Every login still reads the database after
it arrived (a ban applies at once). argon2 runs in a pool of its own, one thread per
core, so a storm of password logins queues there and not in front of other work.
"""
from __future__ import annotations

import asyncio
import collections
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_app.cti.routing import RoutingError
from agent_app.cti.store import LoginRecord, Store
from agent_app.cti.tickets import Tickets
from agent_app.security import verify_password

LOGIN_FAILURES = 5
LOGIN_BLOCK_S = 60.0


class Logins:
    def __init__(self, store: Store, tickets: Tickets | None) -> None:
        self.store, self.tickets = store, tickets
        self.failures: dict[str, collections.deque] = {}
        self.by_ticket = self.by_password = 0
        self._wanted: dict[str, list[asyncio.Future]] = {}
        self._lookup: asyncio.Task | None = None
        self._hashing = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                           thread_name_prefix="ctid-argon2")

    async def check(self, user: str, password: str, seat: str, ip: str, ticket: Any,
                    now: float) -> tuple[LoginRecord, bool]:
        """The employee if the login is good, and whether a ticket vouched for it;
        RoutingError("auth_failed") otherwise."""
        fails = self.failures.setdefault(user, collections.deque(maxlen=LOGIN_FAILURES))
        if len(fails) == LOGIN_FAILURES and now - fails[0] < LOGIN_BLOCK_S:
            raise RoutingError("auth_failed", "too many failures; wait a minute")
        rec = await self._record(user)
        if rec is not None and ticket is not None and self.tickets is not None \
                and self.tickets.check(ticket, user, seat, ip, rec.password_hash, now):
            fails.clear()
            self.by_ticket += 1
            return rec, True
        ok = rec is not None and await asyncio.get_running_loop().run_in_executor(
            self._hashing, verify_password, rec.password_hash, password)
        if not ok:
            fails.append(now)
            raise RoutingError("auth_failed", "wrong user or password")
        fails.clear()
        self.by_password += 1
        return rec, False

    async def _record(self, user: str):
        fut = asyncio.get_running_loop().create_future()
        self._wanted.setdefault(user, []).append(fut)
        if self._lookup is None or self._lookup.done():
            self._lookup = asyncio.create_task(self._look_up(), name="ctid-login-lookup")
        return await fut

    async def _look_up(self) -> None:
        loop = asyncio.get_running_loop()
        while self._wanted:
            batch, self._wanted = self._wanted, {}
            try:
                found = await loop.run_in_executor(None, self.store.login_records, list(batch))
            except Exception as exc:  # noqa: BLE001 - each login reports it (internal)
                found, failure = {}, exc
            else:
                failure = None
            for user, futs in batch.items():
                for fut in futs:
                    if fut.done():  # its connection went away meanwhile
                        continue
                    if failure is not None:
                        fut.set_exception(failure)
                    else:
                        fut.set_result(found.get(user))

    def warm_up(self, logins: list[str]) -> None:
        """Blocking, at start: the first lookup pays for compiling its statements and a
        database connection (~90 ms measured); pay it before the desks come back."""
        self.store.login_records(logins[:500] or ["-"])

    def ticket(self, user: str, seat: str, ip: str, password_hash: str,
               now: float) -> dict[str, Any]:
        """Fields for a login or ping result: a fresh ticket, when tickets are on."""
        if self.tickets is None:
            return {}
        return {"ticket": self.tickets.issue(user, seat, ip, password_hash, now),
                "ticket_ttl_s": self.tickets.ttl_s}

    def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)
