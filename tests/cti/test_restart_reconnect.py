"""Desks (real CtiClients) come back by themselves when agent-ctid is killed or restarted:
logged in again with their resume tickets, their places kept, and a call that was up
closed with the server_stopped cause (cti-server.md, "Crash safety")."""
from __future__ import annotations

import asyncio

import pytest

from tests.cti.clientkit import Recorder, client_for, run, stop_in_time
from tests.cti.ctidproc import Ctid
from tests.cti.wire import Wire

DESKS = [("1001", "8001", "21"), ("1002", "8002", "21"), ("1003", "8003", "21"),
         ("2001", "8010", "22")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("how", ["kill", "clean"])
def test_a_handful_of_desks_reconnect_after_a_restart(cti_db, tmp_path, how):
    ctid = Ctid(cti_db.url, tmp_path, "--grace", "30")

    async def main():
        port = await asyncio.to_thread(ctid.start)
        clients = [client_for(port, user, seat, [group]) for user, seat, group in DESKS]
        recs = [Recorder(c) for c in clients]
        for c in clients:
            await c.start()
        assert all([await c.wait_logged_in(10) for c in clients])
        for c in clients[:3]:  # 2001 stays busy
            await c.ready()
        boss = await Wire.connect(port)
        assert (await boss.login("0002", "secret99", "8099", ["11"]))["ok"]
        cid = (await boss.request("sim_inbound", caller="13800138000", dialed="4006000000",
                                  group="21"))["call_id"]
        await boss.close()
        talker = None
        for _ in range(100):  # the longest-ready desk rings; which one is the ACD's business
            talker = next((k for k, r in enumerate(recs) for e in r.events
                           if e["event"] == "call_ringing"), None)
            if talker is not None:
                break
            await asyncio.sleep(0.05)
        assert talker is not None
        await clients[talker].answer(cid)
        await recs[talker].event("call_answered", call__call_id=cid)
        marks = [len(r.statuses) for r in recs]

        await asyncio.to_thread(ctid.kill if how == "kill" else ctid.terminate)
        if how == "clean":  # told before the link closed
            ended = await recs[talker].event("call_ended", call__call_id=cid)
            assert ended["call"]["end_cause"] == "server_stopped"
        await asyncio.to_thread(ctid.start)
        for r, at in zip(recs, marks, strict=True):
            await r.status("logged_in", after=at, timeout=15)
        if how == "kill":  # closed by recovery, told at the re-login
            ended = await recs[talker].event("call_ended", call__call_id=cid)
            assert ended["call"]["end_cause"] == "server_stopped"
            assert ended["call"]["answered_at"] is not None
        # every place resumed: the ready desks ready again (the talker after its wrap-up of
        # 0 s), the busy one busy; no call survived
        assert all(c.resumed for c in clients)
        assert [c.agent["state"] for c in clients] == ["ready", "ready", "ready", "busy"]
        assert all(c.call is None for c in clients)
        logins = [e["msg"] for e in ctid.entries() if e.get("msg", "").startswith("login ")]
        assert len(logins) == 4 and all("(resumed) (ticket)" in m for m in logins), logins
        await clients[0].ready()  # and they work
        for c in clients:
            await stop_in_time(c)

    try:
        run(main(), timeout=90)
    finally:
        ctid.kill()
