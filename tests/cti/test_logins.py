"""Logins: the employee rows are read by group lookup and the outcomes written the same
way; tickets skip the hash; unknown logins are checked against a dummy hash; the limit per
source address, with bounded memory. (The lock-out itself lives in the employee row: see
test_ctid_auth.py, against a real database.)"""
from __future__ import annotations

import asyncio
import threading

import pytest

from agent_app.cti.logins import AddressFailures, Logins
from agent_app.cti.routing import RoutingError
from agent_app.cti.store import LoginOutcome, LoginRecord
from agent_app.cti.tickets import Tickets
from agent_app.security import hash_password
from tests.cti.clientkit import until

HASH = hash_password("pw")


class FakeStore:
    """login_records as the Store answers it; the first call is held until released, so
    the logins arriving meanwhile must wait for the next batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.written: list[list[LoginOutcome]] = []
        self.release = threading.Event()
        self.release_write = threading.Event()
        self.release_write.set()
        self.fail = False

    def login_records(self, logins: list[str]) -> dict[str, LoginRecord]:
        self.batches.append(sorted(logins))
        if len(self.batches) == 1:
            self.release.wait(5)
        if self.fail:
            raise ConnectionError("database down")
        return {u: LoginRecord(f"name {u}", "operator", frozenset(), HASH,
                               status="banned" if u == "banned" else "active",
                               locked_minutes=7 if u == "locked" else None)
                for u in logins if not u.startswith("x")}   # x…: no such employee

    def login_outcomes(self, outcomes: list[LoginOutcome]) -> None:
        self.written.append(list(outcomes))
        self.release_write.wait(5)


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
        assert results[2].code == "auth_failed"            # banned: as a wrong password
        assert store.batches == [["1001"], ["1002", "1003", "banned"]]
        assert (logins.by_ticket, logins.by_password) == (1, 1)
        # every outcome written, the concurrent ones together
        outcomes = [o for batch in store.written for o in batch]
        assert sorted((o.login, o.ok, o.why, o.by_ticket) for o in outcomes) == [
            ("1001", True, "", False), ("1002", True, "", True),
            ("1003", False, "wrong_password", False), ("banned", False, "banned", False)]
        store.fail = True  # the database is down: each waiting login hears it
        with pytest.raises(ConnectionError):
            await logins.check("1001", "pw", "8001", "10.0.0.1", None, 1001.0)
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_outcomes_arriving_during_a_write_share_the_next_transaction():
    """Refusals are answered once their count is written; successes at once."""
    store = FakeStore()
    store.release.set()
    store.release_write.clear()
    tickets = Tickets(b"k" * 32)
    logins = Logins(store, tickets)

    async def main():
        def wrong(k):
            return asyncio.create_task(logins.check(f"100{k}", "wrong", f"800{k}", "10.0.0.1",
                                                    None, 1000.5))
        first = wrong(1)
        await until(lambda: store.written)  # the first write is running
        rest = [wrong(k) for k in (2, 3, 4)]
        await until(lambda: len(logins._outcomes) == 3)
        assert not any(t.done() for t in rest)  # not answered before their count is written
        # a success meanwhile is answered at once, its row written with the next batch
        t = tickets.issue("1005", "8005", "10.0.0.1", HASH, 1000.0)
        rec, by_ticket = await logins.check("1005", "", "8005", "10.0.0.1", t, 1000.5)
        assert by_ticket and not rest[0].done()
        store.release_write.set()
        results = await asyncio.gather(first, *rest, return_exceptions=True)
        assert {r.code for r in results} == {"auth_failed"}
        await logins.drain()
        assert [sorted(o.login for o in b) for b in store.written] == [
            ["1001"], ["1002", "1003", "1004", "1005"]]
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_unknown_closed_and_locked_logins_run_the_hash_too():
    """So a refusal takes as long whether or not the login exists (the timings themselves:
    tests/perf/bench_ctid_login.py); a locked account is refused even with its password."""
    store = FakeStore()
    store.release.set()
    logins = Logins(store, None)
    calls: list[str] = []
    import agent_app.cti.logins as module
    real = module.verify_password

    def counting(hash_: str, password: str) -> bool:
        calls.append(hash_)
        return real(hash_, password)

    async def main():
        module.verify_password = counting
        try:
            for user, password, code in (("xnobody", "wrong", "auth_failed"),
                                         ("banned", "pw", "auth_failed"),
                                         ("locked", "pw", "account_locked"),
                                         ("1001", "wrong", "auth_failed")):
                with pytest.raises(RoutingError) as err:
                    await logins.check(user, password, "8001", "10.0.0.9", None, 1000.0)
                assert err.value.code == code
        finally:
            module.verify_password = real
    try:
        asyncio.run(main())
    finally:
        logins.close()
    assert len(calls) == 4 and logins.verifies == 4
    assert calls[0] == calls[1] == calls[2] == module.dummy_hash() != HASH
    assert calls[3] == HASH


def test_a_spray_from_one_address_stops_at_the_limit_but_tickets_still_work():
    store = FakeStore()
    store.release.set()
    tickets = Tickets(b"k" * 32)
    logins = Logins(store, tickets, address_failures=20, address_window_s=300)

    async def main():
        codes = []
        for password in ("123456", "password", "8888", "qwerty", "111111"):
            for k in range(12):
                try:
                    await logins.check(f"10{k:02}", password, "8001", "10.6.6.6", None, 1000.0)
                except RoutingError as exc:
                    codes.append(exc.code)
        assert codes.count("auth_failed") == 20 and codes.count("rate_limited") == 40
        assert logins.verifies == 20 and logins.refused_unchecked == 40
        # even with the right password: refused unchecked from that address …
        with pytest.raises(RoutingError, match="too many"):
            await logins.check("1001", "pw", "8001", "10.6.6.6", None, 1010.0)
        assert logins.verifies == 20
        # … but a good desk there comes back with its ticket, and other addresses log in
        ticket = tickets.issue("1002", "8002", "10.6.6.6", HASH, 1000.0)
        rec, by_ticket = await logins.check("1002", "", "8002", "10.6.6.6", ticket, 1010.0)
        assert by_ticket
        rec, _ = await logins.check("1001", "pw", "8001", "10.0.0.1", None, 1010.0)
        assert rec.name == "name 1001"
        # the window passes: the address may try again
        rec, _ = await logins.check("1001", "pw", "8001", "10.6.6.6", None, 1301.0)
        assert rec.name == "name 1001"
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_concurrent_guesses_cannot_overshoot_the_address_limit():
    store = FakeStore()
    store.release.set()
    logins = Logins(store, None, address_failures=5)

    async def main():
        tries = [logins.check(f"1{k:03}", "wrong", "8001", "10.6.6.7", None, 1000.0)
                 for k in range(30)]
        results = await asyncio.gather(*tries, return_exceptions=True)
        assert sorted(r.code for r in results).count("auth_failed") == 5
        assert logins.verifies == 5
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_many_good_logins_from_one_address_at_once_are_slowed_not_refused():
    """Desks behind one NAT address logging in together: more password checks than the
    limit run one after the other, and every one gets in."""
    store = FakeStore()
    store.release.set()
    logins = Logins(store, None, address_failures=3)

    async def main():
        results = await asyncio.gather(*[
            logins.check(f"1{k:03}", "pw", f"8{k:03}", "10.8.8.8", None, 1000.0)
            for k in range(10)])
        assert all(rec.name == f"name 1{k:03}" for k, (rec, _) in enumerate(results))
        assert logins.refused_unchecked == 0 and not logins._checking and not logins._freed
    try:
        asyncio.run(main())
    finally:
        logins.close()


def test_memory_stays_bounded_under_random_logins_and_addresses():
    failures = AddressFailures(limit=3, window_s=60, size=100)
    for k in range(5000):
        failures.failed(f"10.{k // 65536}.{k // 256 % 256}.{k % 256}", 1000.0)
    assert len(failures.seen) == 100
    assert "10.0.19.135" in failures.seen and "10.0.0.0" not in failures.seen  # the newest kept

    store = FakeStore()
    store.release.set()
    logins = Logins(store, None, addresses=20)

    async def main():
        for k in range(60):  # random names from random addresses: nothing kept per name
            with pytest.raises(RoutingError):
                await logins.check(f"x{k:08x}", "pw", "8001", f"10.1.{k // 256}.{k % 256}", None,
                                   1000.0)
    try:
        asyncio.run(main())
    finally:
        logins.close()
    assert len(logins.addresses.seen) == 20
    assert not logins._wanted and not logins._outcomes
