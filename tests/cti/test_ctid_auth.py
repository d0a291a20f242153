"""agent-ctid's logins follow the desk's policy (SQLite and MariaDB, real sockets):
locked and must-change accounts refused, failures counted in the employee row (they
survive a restart and lock the desk too), every login audited; a limit per source address;
caps and a deadline on connections not logged in; control characters refused in every
field that can reach a switch, with nothing changed."""
from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from agent_app.cli.identity import SHELL
from agent_app.errors import AccountLocked
from agent_app.services.accounts import LOCK_MINUTES, MAX_FAILED_LOGINS, AccountService
from db.models import AuditLog, CallRecord, Employee
from tests.cti.clientkit import Recorder, client_for, stop_in_time, until
from tests.cti.conftest import PASSWORD
from tests.cti.wire import Wire


def employee(db, login: str):
    """The row's login-policy columns, as read now."""
    with db.reading() as s:
        return s.execute(select(Employee.id, Employee.failed_logins, Employee.locked_until,
                                Employee.last_login_at)
                         .where(Employee.login == login)).one()


def audit_rows(db, action: str):
    with db.reading() as s:
        return s.execute(select(AuditLog.actor_login, AuditLog.detail)
                         .where(AuditLog.action == action).order_by(AuditLog.id)).all()


async def try_login(port: int, user: str, password: str, seat: str = "8001") -> dict:
    w = await Wire.connect(port)
    try:
        return await w.login(user, password, seat, ["21"])
    finally:
        await w.close()


def test_failures_count_in_the_database_across_a_restart_and_lock_the_desk_too(
        run_server, cti_db):
    async def wrong(server, n):
        return [(await try_login(server.port, "1001", "wrong"))["error"]["code"]
                for _ in range(n)]

    assert run_server(lambda server: wrong(server, 3)) == ["auth_failed"] * 3
    assert employee(cti_db, "1001").failed_logins == 3  # a restart forgets nothing

    async def second_life(server):
        codes = await wrong(server, MAX_FAILED_LOGINS - 3)
        right = await try_login(server.port, "1001", PASSWORD)
        return codes, right
    codes, right = run_server(second_life)
    assert codes == ["auth_failed"] * (MAX_FAILED_LOGINS - 3)  # the locking one too
    assert right["error"]["code"] == "account_locked"
    assert f"{LOCK_MINUTES} minutes" in right["error"]["message"]
    assert employee(cti_db, "1001").locked_until is not None
    with pytest.raises(AccountLocked):  # the desk's login is locked by the CTI failures
        AccountService(cti_db).authenticate("1001", PASSWORD)

    failed = [r for r in audit_rows(cti_db, "login_failed") if r.detail["channel"] == "cti"]
    assert [r.detail["why"] for r in failed] == ["wrong_password"] * MAX_FAILED_LOGINS + ["locked"]
    assert {(r.actor_login, r.detail["address"]) for r in failed} == {("1001", "127.0.0.1")}


def test_a_lock_from_the_desk_refuses_the_cti_login(run_server, cti_db):
    accounts = AccountService(cti_db)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Exception):  # noqa: B017 - AuthFailed, then locked
            accounts.authenticate("1002", "wrong")

    async def scenario(server):
        return await try_login(server.port, "1002", PASSWORD, "8002"), sorted(server.acd.agents)
    r, agents = run_server(scenario)
    assert r["error"]["code"] == "account_locked" and agents == []


def test_must_change_password_is_refused_until_changed_on_the_desk(run_server, cti_db):
    accounts = AccountService(cti_db)
    info = accounts.add_employee(SHELL, login="3001", name="王芳", role="operator",
                                 password="first99", must_change_password=True)

    async def before(server):
        wrong = await try_login(server.port, "3001", "nope99", "8301")
        right = await try_login(server.port, "3001", "first99", "8301")
        return wrong, right, sorted(server.acd.agents)
    wrong, right, agents = run_server(before)
    assert wrong["error"]["code"] == "auth_failed"  # a wrong password learns nothing more
    assert right["error"]["code"] == "password_change_required"
    assert "desk" in right["error"]["message"]
    assert agents == []
    assert employee(cti_db, "3001").failed_logins == 1  # the right password is no failure

    actor = accounts.authenticate("3001", "first99").actor
    accounts.change_password(actor, "first99", "second99")

    async def after(server):
        return await try_login(server.port, "3001", "second99", "8301")
    assert run_server(after)["ok"]
    row = employee(cti_db, "3001")
    assert (row.failed_logins, row.last_login_at is not None) == (0, True)
    logins = [r for r in audit_rows(cti_db, "login") if r.detail.get("channel") == "cti"]
    assert [(r.actor_login, r.detail["address"]) for r in logins] == [("3001", "127.0.0.1")]
    why = [r.detail["why"] for r in audit_rows(cti_db, "login_failed")
           if r.actor_login == "3001" and r.detail["channel"] == "cti"]
    assert why == ["wrong_password", "must_change_password"]
    assert info.id == row.id


def test_a_password_spray_from_one_address_stops_at_the_limit(run_server, cti_db):
    """5 passwords × 12 logins from one address: 20 are checked, 40 refused unchecked."""
    logins = ["1001", "1002", "1003", "2001"] + [f"9{k:03}" for k in range(8)]  # 8 unknown

    async def scenario(server):
        w = await Wire.connect(server.port)
        assert (await w.request("hello", protocol=1))["ok"]
        codes = []
        for password in ("123456", "password", "8888", "qwerty", "abc123"):
            for user in logins:
                r = await w.request("login", user=user, password=password, seat="8001",
                                    groups=["21"])
                codes.append(r["error"]["code"])
        await w.close()
        return codes, server.logins.verifies, server.stats()
    codes, checked, stats = run_server(scenario, address_failures=20)
    assert checked == 20 and stats["password_checks"] == 20
    assert codes[:20].count("rate_limited") == 0 and codes[20:] == ["rate_limited"] * 40
    assert stats["logins_refused_unchecked"] == 40
    # each known login failed at most twice: none locked by the spray
    assert all(employee(cti_db, u).locked_until is None for u in logins[:4])


CONTROL = ["80\r\n01", "80\n01", "80\t01", "80\x0001", "80\x7f01", "80\x8501"]


def test_control_characters_are_refused_in_every_field_and_nothing_changes(run_server, cti_db):
    async def scenario(server):
        w = await Wire.connect(server.port)
        assert (await w.request("hello", protocol=1))["ok"]
        for bad in CONTROL:  # seat, login and group at login
            for field in ("seat", "user"):
                args = {"user": "1001", "password": PASSWORD, "seat": "8001", "groups": ["21"],
                        field: bad}
                r = await w.request("login", **args)
                assert r["error"]["code"] == "bad_args" and field in r["error"]["message"], r
            r = await w.request("login", user="1001", password=PASSWORD, seat="8001",
                                groups=[bad[:8]])
            assert r["error"]["code"] == "bad_args", r
        # a lone surrogate (valid JSON, not valid UTF-8): written escaped, by hand
        w.next_id += 1
        w.writer.write(json.dumps({"type": "login", "id": w.next_id, "user": "1001",
                                   "password": PASSWORD, "seat": "80\ud80001",
                                   "groups": ["21"]}).encode() + b"\n")
        r = await w._until(lambda: (w.results.get(w.next_id) or [None])[-1], 5)
        assert r["error"]["code"] == "bad_args" and "surrogate" in r["error"]["message"]
        assert server.acd.agents == {} and server.logins.verifies == 0

        assert (await w.request("login", user="0002", password=PASSWORD, seat="8001",
                                groups=["21"]))["ok"]
        before = server.acd.agents["0002"].public(str)
        requests = []
        for bad in CONTROL:
            requests += [
                ("busy", {"reason": f"Break{bad}"}),
                ("dial", {"number": f"138{bad}"}),
                ("dial", {"number": "13800138000", "caller_id": f"400{bad}"}),
                ("answer", {"call_id": f"c{bad}"}),
                ("transfer", {"call_id": "c1", "to": {"user": f"10{bad}"}}),
                ("transfer", {"call_id": "c1", "to": {"group": f"2{bad}"}}),
                ("transfer", {"call_id": "c1", "to": {"number": f"13{bad}"}}),
                ("sim_inbound", {"caller": f"139{bad}", "dialed": "4006000000"}),
                ("sim_inbound", {"caller": "13900000000", "dialed": f"400{bad}"}),
                ("sim_inbound", {"caller": "13900000000", "dialed": "4006000001",
                                 "group": f"2{bad}"}),
            ]
        requests += [("dial", {"number": "1" * 33}), ("dial", {"number": "138-0013"}),
                     ("dial", {"number": "+"}), ("dial", {"number": "１３８"})]  # full-width
        for verb, args in requests:
            r = await w.request(verb, **args)
            assert r["error"]["code"] == "bad_args", (verb, args, r)
        assert server.acd.agents["0002"].public(str) == before and not server.acd.calls
        # the phone characters a switch takes are accepted: digits, * and #, a leading +
        assert (await w.request("dial", number="*72#"))["ok"]
        await w.close()
    run_server(scenario)
    with cti_db.reading() as s:
        seats = list(s.scalars(select(CallRecord.seat)))
    assert all(seat == "8001" for seat in seats)  # only the good dial's record


def test_connections_not_logged_in_are_capped_and_timed_out(run_server):
    async def scenario(server):
        idle = [await Wire.connect(server.port) for _ in range(3)]
        for w in idle:
            assert (await w.request("hello", protocol=1))["ok"]
        over = await Wire.connect(server.port)
        await asyncio.wait_for(over.closed.wait(), 5)
        assert [m["error"]["code"] for m in over.other] == ["busy_server"]
        assert "log in" in over.other[0]["error"]["message"]
        # one of them logs in: no longer counted, so another may connect
        assert (await idle[0].request("login", user="1001", password=PASSWORD, seat="8001",
                                      groups=["21"]))["ok"]
        late = await Wire.connect(server.port)
        assert (await late.request("hello", protocol=1))["ok"]
        # those that never log in are closed with login_timeout; the logged-in one stays
        for w in (*idle[1:], late):
            await asyncio.wait_for(w.closed.wait(), 5)
            assert [m["error"]["code"] for m in w.other] == ["login_timeout"]
        assert (await idle[0].request("ping"))["ok"]
        assert server.stats()["pending"] == 0
        for w in (*idle, over, late):
            await w.close()
    run_server(scenario, max_pending_per_address=3, login_timeout_s=1.5)


def test_the_total_cap_on_connections_not_logged_in(run_server):
    async def scenario(server):
        first = [await Wire.connect(server.port) for _ in range(2)]
        for w in first:
            assert (await w.request("hello", protocol=1))["ok"]
        over = await Wire.connect(server.port)
        await asyncio.wait_for(over.closed.wait(), 5)
        assert [m["error"]["code"] for m in over.other] == ["busy_server"]
        await first[0].close()
        await until(lambda: server.stats()["pending"] == 1)
        again = await Wire.connect(server.port)
        assert (await again.request("hello", protocol=1))["ok"]
        for w in (*first, over, again):
            await w.close()
    run_server(scenario, max_pending=2)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_desk_client_reports_a_locked_account(run_server, cti_db):
    accounts = AccountService(cti_db)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Exception):  # noqa: B017 - AuthFailed, then locked
            accounts.authenticate("1001", "wrong")

    async def scenario(server):
        client = client_for(server.port, backoff=(0.05, 1.0))
        rec = Recorder(client)
        await client.start()
        await rec.status("disconnected", "account_locked", timeout=5)
        await stop_in_time(client)
    run_server(scenario)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_desk_client_names_the_servers_error_frame_as_the_reason(run_server):
    async def scenario(server):
        idle = await Wire.connect(server.port)
        assert (await idle.request("hello", protocol=1))["ok"]
        client = client_for(server.port, backoff=(0.05, 1.0))
        rec = Recorder(client)
        await client.start()
        await rec.status("disconnected", "busy_server", timeout=5)
        await idle.close()  # room again: the client gets in by itself
        await rec.status("logged_in", timeout=10)
        await stop_in_time(client)
    run_server(scenario, max_pending_per_address=1)
