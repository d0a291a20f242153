"""Who may log in to agent-ctid: the employee record, then a resume ticket or the password,
and the lock-out after repeated failures (cti-protocol.md, "Session"; tickets.py).

argon2 runs in a pool of its own, one thread per core: a storm of password logins then
queues there, while ticket logins (one indexed read) and the call records' reads keep
the default executor to themselves.
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
        self._hashing = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                           thread_name_prefix="ctid-argon2")

    async def check(self, user: str, password: str, seat: str, ip: str, ticket: Any,
                    now: float) -> tuple[LoginRecord, bool]:
        """The employee if the login is good, and whether a ticket vouched for it;
        RoutingError("auth_failed") otherwise."""
        fails = self.failures.setdefault(user, collections.deque(maxlen=LOGIN_FAILURES))
        if len(fails) == LOGIN_FAILURES and now - fails[0] < LOGIN_BLOCK_S:
            raise RoutingError("auth_failed", "too many failures; wait a minute")
        loop = asyncio.get_running_loop()
        rec = await loop.run_in_executor(None, self.store.login_record, user)
        if rec is not None and ticket is not None and self.tickets is not None \
                and self.tickets.check(ticket, user, seat, ip, rec.password_hash, now):
            fails.clear()
            self.by_ticket += 1
            return rec, True
        ok = rec is not None and await loop.run_in_executor(
            self._hashing, verify_password, rec.password_hash, password)
        if not ok:
            fails.append(now)
            raise RoutingError("auth_failed", "wrong user or password")
        fails.clear()
        self.by_password += 1
        return rec, False

    def ticket(self, user: str, seat: str, ip: str, password_hash: str,
               now: float) -> dict[str, Any]:
        """Fields for a login or ping result: a fresh ticket, when tickets are on."""
        if self.tickets is None:
            return {}
        return {"ticket": self.tickets.issue(user, seat, ip, password_hash, now),
                "ticket_ttl_s": self.tickets.ttl_s}

    def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)
