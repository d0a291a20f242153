"""agent-ctid over real loopback sockets, against cti-protocol.md (SQLite and MariaDB)."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import wave
from io import BytesIO

from sqlalchemy import select

from db.models import CallRecord
from tests.cti.clientkit import until
from tests.cti.conftest import PASSWORD
from tests.cti.wire import Wire


async def agent(port, user, seat, groups, ready=True):
    w = await Wire.connect(port)
    r = await w.login(user, PASSWORD, seat, groups)
    assert r["ok"], r
    assert r["agent"]["state"] == "busy"  # after login: busy until it asks for ready
    if ready:
        assert (await w.request("ready"))["ok"]
        await w.event("agent_state", agent__state="ready")
    return w


async def admin(port):
    w = await Wire.connect(port)
    assert (await w.login("0002", PASSWORD, "8099", ["11"]))["ok"]
    return w


def test_routing_overflow_queue_and_rejected(run_server, cti_db):
    async def scenario(server):
        port = server.port
        a1 = await agent(port, "1001", "8001", ["21"])
        await asyncio.sleep(0.02)
        a2 = await agent(port, "1002", "8002", ["21"])
        await asyncio.sleep(0.02)
        a3 = await agent(port, "1003", "8003", ["21"])
        b1 = await agent(port, "2001", "8010", ["22"])
        boss = await admin(port)
        mon = await boss.request("monitor")
        assert mon["ok"] and {a["user"] for a in mon["agents"]} >= {"1001", "2001"}
        ids = []
        for i in range(6):
            r = await boss.request("sim_inbound", caller=f"1380013800{i}", dialed="4006000000",
                                   group="21")
            assert r["ok"], r
            ids.append(r["call_id"])
        # longest idle first: 1001, 1002, 1003; then overflow to 22; then queue (max 1); reject
        for w, cid in ((a1, ids[0]), (a2, ids[1]), (a3, ids[2]), (b1, ids[3])):
            ev = await w.event("call_ringing", call__call_id=cid)
            assert ev["pop"]["dialed"] == "4006000000" and ev["pop"]["group"] == "21"
        ended = await boss.event("call_ended", call__call_id=ids[5])
        assert ended["call"]["end_cause"] == "rejected"
        q = await boss.event("queue_status", group="21", waiting=1)
        assert q["longest_wait_s"] >= 0
        # a1 answers and hangs up; with wrap-up 0 it takes the queued call at once
        assert (await a1.request("answer", call_id=ids[0]))["ok"]
        await a1.event("call_answered", call__call_id=ids[0])
        await asyncio.sleep(0.3)
        assert (await a1.request("hangup", call_id=ids[0]))["ok"]
        ended = await a1.event("call_ended", call__call_id=ids[0])
        assert ended["talk_s"] >= 0.25
        await a1.event("call_ringing", call__call_id=ids[4])
        rec = await a1.event("recording_ready", call_id=ids[0])
        got = await a1.chunks(a1.send("get_recording", recording_id=rec["recording_id"]))
        data = b"".join(base64.b64decode(c["data"]) for c in got)
        assert got[-1]["sha256"] == hashlib.sha256(data).hexdigest() == rec["sha256"]
        with wave.open(BytesIO(data)) as wav:
            assert abs(wav.getnframes() / wav.getframerate() - ended["talk_s"]) < 0.6
        # another agent may not fetch it; the admin without the permission neither
        denied = await a2.request("get_recording", recording_id=rec["recording_id"])
        assert denied["error"]["code"] == "forbidden"
        server.store.flush()
        for w in (a1, a2, a3, b1, boss):
            await w.close()
        return ids, ended

    ids, ended = run_server(scenario)
    with cti_db.reading() as s:
        rows = {r.call_id: r for r in s.scalars(select(CallRecord))}
        first = rows[ids[0]]
        assert (first.agent_login, first.seat, first.end_cause) == ("1001", "8001", "answered")
        assert first.lead and first.group_number == "21" and first.recording_sha256
        assert first.medium_id is not None and first.placement_id is not None  # the advert
        assert abs(first.talk_s - ended["talk_s"]) < 0.01
        assert rows[ids[5]].end_cause == "rejected"
        assert rows[ids[3]].agent_login == "2001"


def test_ring_no_answer_then_abandon_in_queue(run_server):
    async def scenario(server):
        a1 = await agent(server.port, "1001", "8001", ["11"])
        boss = await admin(server.port)
        cid = (await boss.request("sim_inbound", caller="13900000000", dialed="4006000100",
                                  group="11"))["call_id"]
        await a1.event("call_ringing", call__call_id=cid)
        # ring timeout 1 s: the call is taken back and the agent set busy
        await a1.event("agent_state", timeout=5, agent__state="busy", agent__reason="no_answer")
        # nobody else: the call waits; the caller gives up after 0.3 s
        cid2 = (await boss.request("sim_inbound", caller="13900000001", dialed="4006000100",
                                   group="11", hangup_after_s=0.3))["call_id"]
        await boss.request("monitor")
        ended = await boss.event("call_ended", call__call_id=cid2)
        assert ended["call"]["end_cause"] == "abandoned"
        await a1.close()
        await boss.close()
    run_server(scenario)


def test_resume_within_grace_and_logout_after(run_server):
    async def scenario(server):
        a1 = await agent(server.port, "1001", "8001", ["21"])
        boss = await admin(server.port)
        cid = (await boss.request("sim_inbound", caller="13800000001", dialed="4006000000",
                                  group="21"))["call_id"]
        await a1.event("call_ringing")
        await a1.request("answer", call_id=cid)
        await a1.close()  # the link drops mid-call
        await until(lambda: len(server.conns) == 1)   # the server saw it drop (boss stays)
        again = await Wire.connect(server.port)
        r = await again.login("1001", PASSWORD, "8001", ["21"])
        assert r["ok"] and r["resumed"] is True and r["call"]["call_id"] == cid
        assert r["agent"]["state"] == "talking"
        assert (await again.request("hangup", call_id=cid))["ok"]
        await again.close()
        await until(lambda: "1001" not in server.acd.agents)  # grace 1 s in this test
        late = await Wire.connect(server.port)
        r = await late.login("1001", PASSWORD, "8001", ["21"])
        assert r["ok"] and r["resumed"] is False
        await late.close()
        await boss.close()
    run_server(scenario)


def test_login_rules(run_server, cti_db):
    from agent_app.cli.identity import SHELL
    from agent_app.services.accounts import AccountService
    from db.enums import EmployeeStatus
    accounts = AccountService(cti_db)
    banned = [e for e in accounts.list_employees(SHELL) if e.login == "1003"][0]
    superadmin_actor = accounts.authenticate("0002", PASSWORD).actor
    object.__setattr__(superadmin_actor, "role", "superadmin")
    accounts.set_status(superadmin_actor, banned.id, EmployeeStatus.BANNED)

    async def scenario(server):
        w = await Wire.connect(server.port)
        assert (await w.request("ready"))["error"]["code"] == "bad_state"  # before hello
        await w.request("hello", protocol=1)
        assert (await w.request("ready"))["error"]["code"] == "not_logged_in"
        assert (await w.request("hello", protocol=99))["error"]["code"] == "bad_args"
        codes = []
        for _ in range(6):
            r = await w.request("login", user="1001", password="wrong", seat="8001", groups=["21"])
            codes.append(r["error"]["code"])
        # the desk's policy: the fifth failure locks the account (for the desk too)
        assert codes == ["auth_failed"] * 5 + ["account_locked"]
        r = await w.request("login", user="1001", password=PASSWORD, seat="8001", groups=["21"])
        assert r["error"]["code"] == "account_locked"  # locked even when right
        r = await w.request("login", user="1003", password=PASSWORD, seat="8003", groups=["21"])
        assert r["error"]["code"] == "auth_failed"  # banned
        r = await w.request("login", user="1002", password=PASSWORD, seat="8002", groups=["99"])
        assert r["error"]["code"] == "no_such_group"
        a = await agent(server.port, "1002", "8002", ["21"])
        r = await w.request("login", user="2001", password=PASSWORD, seat="8002", groups=["22"])
        assert r["error"]["code"] == "seat_in_use"
        r = await a.request("sim_inbound", caller="1", dialed="2", group="21")
        assert r["error"]["code"] == "forbidden"  # operators cannot drive the simulator
        assert (await a.request("monitor"))["error"]["code"] == "forbidden"
        assert (await a.request("dial", number="12ab"))["error"]["code"] == "bad_args"
        assert (await a.request("answer", call_id="nope"))["error"]["code"] == "no_such_call"
        assert (await a.request("ping"))["ok"]
        await a.close()
        await w.close()
    run_server(scenario)


def test_dial_outcomes_by_last_digit(run_server):
    async def scenario(server):
        a = await agent(server.port, "1001", "8001", ["21"], ready=False)
        r = await a.request("dial", number="13800000001", caller_id="4006000000")
        ended = await a.event("call_ended", call__call_id=r["call_id"])
        assert ended["call"]["end_cause"] == "busy"
        r = await a.request("dial", number="13800000008")
        await a.event("call_answered", call__call_id=r["call_id"])
        assert (await a.request("hangup", call_id=r["call_id"]))["ok"]
        await a.event("recording_ready", call_id=r["call_id"])
        await a.close()
    run_server(scenario)


def test_broadcast_reaches_every_agent(run_server):
    async def scenario(server):
        a = await agent(server.port, "1001", "8001", ["21"], ready=False)
        boss = await admin(server.port)
        assert (await boss.request("broadcast", text="下午三点开会"))["ok"]
        ev = await a.event("message")
        assert ev["text"] == "下午三点开会" and ev["broadcast"] is True and ev["from"] == "0002"
        await a.close()
        await boss.close()
    run_server(scenario)


def test_resume_tickets_at_login(run_server):
    """A login result carries a ticket, each ping a fresh one; a later login with it needs
    no password hash. Without one, or with a bad one, the password decides as always."""
    async def scenario(server):
        first = await Wire.connect(server.port)
        r = await first.login("1001", PASSWORD, "8001", ["21"])
        ticket = r["ticket"]
        assert r["ok"] and r["ticket_ttl_s"] == 60
        pong = await first.request("ping")
        assert pong["ticket"] != ticket and pong["ticket_ttl_s"] == 60
        await first.close()

        async def login(password, seat="8001", **extra):
            w = await Wire.connect(server.port)
            assert (await w.request("hello", protocol=1))["ok"]
            r = await w.request("login", user="1001", password=password, seat=seat,
                                groups=["21"], **extra)
            return w, r

        w, r = await login("not the password", ticket=pong["ticket"])
        assert r["ok"] and r["resumed"] is True and server.logins.by_ticket == 1
        assert (await w.request("logout"))["ok"]  # revokes it
        await w.close()
        for extra in ({"ticket": pong["ticket"]}, {"ticket": "forged.ticket"}, {"ticket": 7}):
            w, r = await login("not the password", **extra)
            assert r["error"]["code"] == "auth_failed", extra
            await w.close()
        w, r = await login(PASSWORD, seat="8009", ticket=r.get("ticket", "x"))
        assert r["ok"]  # a bad ticket with the right password: an ordinary login
        await w.close()
    run_server(scenario)
