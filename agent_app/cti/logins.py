"""Who may log in to agent-ctid: the desk's login policy, a resume ticket or the password,
and a limit per source address (cti-protocol.md, "Session"; tickets.py; cti-server.md).

The policy is the desk's (services/accounts.py): closed and banned accounts are refused,
a locked one too, and so is one that must change its password (on the desk: the CTI
link has no way to change it). Failures are counted in the employee row by the desk's
own rule (count_failure), so they lock the account for the desk as well and a restart
of agent-ctid forgets none; every login and refusal is written to the audit log
(channel "cti", with the source address).

After a restart 150 desks log in within a second. Each reading its employee row on its
own (six executor threads, each opening a database connection, fighting for the GIL)
took ~30 ms at the median and ~460 ms at p99; so the rows are read by group lookup, as
the journal syncs by group commit: the logins that arrive while one query runs are read
together by the next, one query each batch. Every login still reads the database after
it arrived (a ban applies at once). The outcomes (counts and audit rows) are written the
same way, one retried transaction per batch; a refusal is answered once its count is
committed, a success at once (its row is written with the next batch). argon2 runs in a
pool of its own, one thread per core, so a storm of password
logins queues there and not in front of other work.

Unknown logins, and accounts that are closed, banned or locked, are checked against a
dummy hash of the same cost: a refusal takes as long whether or not the login exists
(tests/perf/bench_ctid_login.py measures it).
"""
from __future__ import annotations

import asyncio
import collections
import logging
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_app.cti.routing import RoutingError
from agent_app.cti.store import LoginOutcome, LoginRecord, Store
from agent_app.cti.tickets import Tickets
from agent_app.security import hash_password, verify_password

log = logging.getLogger("agent_ctid")

ADDRESS_FAILURES = 20      # failed logins from one address …
ADDRESS_WINDOW_S = 300.0   # … within this window: its password logins are refused unchecked
ADDRESSES = 10_000         # addresses remembered at most (least recently failed forgotten)

_dummy: str | None = None


def dummy_hash() -> str:
    """A hash nobody's password matches, with the real hashes' cost (made once)."""
    global _dummy
    if _dummy is None:
        _dummy = hash_password(secrets.token_urlsafe(24))
    return _dummy


def _verify(password_hash: str | None, password: str) -> bool:
    """In the hashing pool: None is checked against the dummy hash (made there, the first
    time, never on the event loop)."""
    return verify_password(password_hash if password_hash is not None else dummy_hash(),
                           password)


class AddressFailures:
    """Failed logins per source address in a sliding window, for at most `size` addresses
    (least recently failed first out), so a spray of random logins or addresses cannot
    grow memory without bound."""

    def __init__(self, limit: int = ADDRESS_FAILURES, window_s: float = ADDRESS_WINDOW_S,
                 size: int = ADDRESSES) -> None:
        self.limit, self.window_s, self.size = limit, window_s, size
        self.seen: collections.OrderedDict[str, collections.deque] = collections.OrderedDict()

    def limited(self, ip: str, now: float) -> bool:
        fails = self.seen.get(ip)
        return fails is not None and len(fails) == self.limit and now - fails[0] < self.window_s

    def count(self, ip: str, now: float) -> int:
        fails = self.seen.get(ip)
        return sum(1 for t in fails if now - t < self.window_s) if fails else 0

    def failed(self, ip: str, now: float) -> None:
        fails = self.seen.pop(ip, None) or collections.deque(maxlen=self.limit)
        fails.append(now)
        self.seen[ip] = fails
        while len(self.seen) > self.size:
            self.seen.popitem(last=False)


class Logins:
    def __init__(self, store: Store, tickets: Tickets | None, *,
                 address_failures: int = ADDRESS_FAILURES,
                 address_window_s: float = ADDRESS_WINDOW_S,
                 addresses: int = ADDRESSES) -> None:
        self.store, self.tickets = store, tickets
        self.addresses = AddressFailures(address_failures, address_window_s, addresses)
        self.by_ticket = self.by_password = 0
        self.verifies = 0           # password checks run (real or dummy hash)
        self.refused_unchecked = 0  # refused by the address limit, password not checked
        self._wanted: dict[str, list[asyncio.Future]] = {}
        self._lookup: asyncio.Task | None = None
        self._outcomes: list[tuple[LoginOutcome, asyncio.Future | None]] = []
        self._writer: asyncio.Task | None = None
        # password checks running per address, and who waits for one of them to end
        self._checking: dict[str, int] = {}
        self._freed: dict[str, asyncio.Event] = {}
        self._hashing = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                           thread_name_prefix="ctid-argon2")

    async def check(self, user: str, password: str, seat: str, ip: str, ticket: Any,
                    now: float) -> tuple[LoginRecord, bool]:
        """The employee if the login is good, and whether a ticket vouched for it;
        RoutingError otherwise (auth_failed, account_locked, password_change_required,
        rate_limited)."""
        limited = self.addresses.limited(ip, now)
        if limited and ticket is None:
            raise self._limited()
        rec = await self._record(user)
        usable = rec is not None and rec.active and rec.locked_minutes is None \
            and not rec.must_change_password
        if usable and ticket is not None and self.tickets is not None \
                and self.tickets.check(ticket, user, seat, ip, rec.password_hash, now):
            # a good desk coming back: its ticket vouches, whatever its neighbours tried
            self._note_soon(LoginOutcome(user, ip, True, by_ticket=True))
            self.by_ticket += 1
            return rec, True
        if not await self._place(ip, now):
            raise self._limited()
        try:
            real = rec is not None and rec.active and rec.locked_minutes is None
            self.verifies += 1
            ok = await asyncio.get_running_loop().run_in_executor(
                self._hashing, _verify, rec.password_hash if real else None, password)
            failed = rec is None or not real or not ok
            if failed:
                self.addresses.failed(ip, now)  # before the place is freed: waiters see it
        finally:
            self._free(ip)
        if rec is None:
            why = "unknown"
        elif not rec.active:
            why = str(rec.status)
        elif rec.locked_minutes is not None:
            why = "locked"
        elif not ok:
            why = "wrong_password"
        elif rec.must_change_password:
            why = "must_change_password"
        else:
            self._note_soon(LoginOutcome(user, ip, True))
            self.by_password += 1
            return rec, False
        if failed and self.addresses.limited(ip, now):
            log.warning("%s reached %d failed logins in %.0f s: its logins are refused "
                        "unchecked for a while", ip, self.addresses.limit,
                        self.addresses.window_s)
        await self._note(LoginOutcome(user, ip, False, why))
        if why == "locked":
            raise RoutingError("account_locked", "the account is locked after repeated "
                               f"failed logins; try again in {rec.locked_minutes} minutes")
        if why == "must_change_password":
            raise RoutingError("password_change_required",
                               "change your password on the desk first, then connect again")
        raise RoutingError("auth_failed", "wrong user or password")

    async def _place(self, ip: str, now: float) -> bool:
        """A place among this address's password checks, so that checks running side by
        side cannot overshoot its limit: failures plus checks running stay under it; a
        check beyond waits for one to end (desks behind one NAT logging in together are
        slowed, not refused). False when the address is limited."""
        while True:
            if self.addresses.limited(ip, now):
                return False
            running = self._checking.get(ip, 0)
            if self.addresses.count(ip, now) + running < self.addresses.limit:
                self._checking[ip] = running + 1
                return True
            await self._freed.setdefault(ip, asyncio.Event()).wait()

    def _free(self, ip: str) -> None:
        left = self._checking.pop(ip, 1) - 1
        if left:
            self._checking[ip] = left
        freed = self._freed.pop(ip, None)
        if freed is not None:
            freed.set()

    def _limited(self) -> RoutingError:
        self.refused_unchecked += 1
        return RoutingError("rate_limited", "too many failed logins from this address; "
                            "try again in a few minutes")

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

    async def _note(self, outcome: LoginOutcome) -> None:
        """Count and audit a refusal with the others of its batch; returns once committed
        (a refusal is not answered before its failure counts, so the next guess sees it)."""
        fut = asyncio.get_running_loop().create_future()
        self._queue(outcome, fut)
        await fut

    def _note_soon(self, outcome: LoginOutcome) -> None:
        """A success is answered at once and written with the next batch: after a restart
        150 desks would otherwise wait for a write transaction as well as a lookup (p99
        ~380 ms instead of ~90 ms in bench_reconnect's clean restart). stop() drains them."""
        self._queue(outcome, None)

    def _queue(self, outcome: LoginOutcome, fut: asyncio.Future | None) -> None:
        self._outcomes.append((outcome, fut))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="ctid-login-outcomes")

    async def drain(self) -> None:
        """At stop: the outcomes still queued are written before the database closes."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                await loop.run_in_executor(None, self.store.login_outcomes,
                                           [o for o, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each login reports it (internal)
                failure: Exception | None = exc
            else:
                failure = None
            if failure is not None and any(fut is None for _, fut in batch):
                log.error("logins not audited (%d): %s", len(batch), failure)
            for _, fut in batch:
                if fut is None or fut.done():
                    continue
                if failure is not None:
                    fut.set_exception(failure)
                else:
                    fut.set_result(None)

    def warm_up(self, logins: list[str]) -> None:
        """Blocking, at start: the first lookup pays for compiling its statements and a
        database connection (~90 ms measured); pay it before the desks come back. The
        dummy hash too, so the first unknown login is not slower than the others."""
        self.store.login_records(logins[:500] or ["-"])
        dummy_hash()

    def ticket(self, user: str, seat: str, ip: str, password_hash: str,
               now: float) -> dict[str, Any]:
        """Fields for a login or ping result: a fresh ticket, when tickets are on."""
        if self.tickets is None:
            return {}
        return {"ticket": self.tickets.issue(user, seat, ip, password_hash, now),
                "ticket_ttl_s": self.tickets.ttl_s}

    def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)
