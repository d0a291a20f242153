"""agent_state_log: agent-ctid writes one row per agent state transition, through the
journal and the writer thread, and the rows survive a database outage and a restart like
call records do (SQLite and MariaDB)."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import select, update

from agent_app.cti.journal import Journal
from agent_app.cti.store import Store
from db.engine import Database
from db.models import AgentStateLog, CtiGroup
from tests.cti.conftest import PASSWORD
from tests.cti.wire import Wire


def _rows(database, login: str) -> list[tuple]:
    with database.reading() as s:
        return [(r.state, r.reason, r.call_id, r.seat, r.groups, r.at) for r in s.scalars(
            select(AgentStateLog).where(AgentStateLog.agent_login == login)
            .order_by(AgentStateLog.at, AgentStateLog.id))]


def test_a_shift_logs_every_transition_in_order(run_server, cti_db):
    with cti_db.transaction() as s:  # a wrap-up the test can wait for
        s.execute(update(CtiGroup).where(CtiGroup.number == "11").values(wrapup_s=1))

    async def scenario(server):
        a = await Wire.connect(server.port)
        assert (await a.login("1001", PASSWORD, "8001", ["11"]))["ok"]
        boss = await Wire.connect(server.port)
        assert (await boss.login("0002", PASSWORD, "8099", ["21"]))["ok"]
        assert (await a.request("ready"))["ok"]
        await a.event("agent_state", agent__state="ready")
        cid = (await boss.request("sim_inbound", caller="13800000001", dialed="4006000100",
                                  group="11"))["call_id"]
        await a.event("call_ringing", call__call_id=cid)
        assert (await a.request("answer", call_id=cid))["ok"]
        await a.event("agent_state", agent__state="talking")
        assert (await a.request("hangup", call_id=cid))["ok"]
        await a.event("agent_state", agent__state="wrapup")
        await a.event("agent_state", timeout=5, agent__state="ready")  # wrap-up is over
        assert (await a.request("busy", reason="lunch"))["ok"]
        await a.event("agent_state", agent__state="busy", agent__reason="lunch")
        assert (await a.request("logout"))["ok"]
        await a.close()
        # another agent loses its connection: logged out when the grace period ends
        b = await Wire.connect(server.port)
        assert (await b.login("1002", PASSWORD, "8002", ["11"]))["ok"]
        assert (await boss.request("monitor"))["ok"]
        await b.close()
        await boss.event("agent_state", timeout=5, agent__user="1002",
                         agent__state="logged_out")
        server.store.flush()
        await boss.close()
        return cid

    cid = run_server(scenario)
    rows = _rows(cti_db, "1001")
    assert [r[:3] for r in rows] == [
        ("busy", "", None), ("ready", "", None), ("ringing", "", cid), ("talking", "", cid),
        ("wrapup", "", cid), ("ready", "", None), ("busy", "lunch", None),
        ("logged_out", "logout", None)]
    assert {(r[3], r[4]) for r in rows} == {("8001", "11")}
    # wrap-up lasted the group's wrap-up second (DATETIME may drop the fraction)
    wrapup, ready = rows[4][5], rows[5][5]
    assert 0 <= (ready - wrapup).total_seconds() <= 3
    assert [r[:3] for r in _rows(cti_db, "1002")] == [
        ("busy", "", None), ("logged_out", "connection_lost", None)]


T0 = time.time() - 600
SHIFT = [  # (offset s, state, reason, call)
    (0, "busy", "", None), (5, "ready", "", None), (9, "ringing", "", "C1"),
    (12, "talking", "", "C1"), (70, "wrapup", "", "C1"), (80, "ready", "", None),
    (81, "ready", "", None), (200, "logged_out", "logout", None)]


def _row(off, state, reason, call):
    return {"at": T0 + off, "agent_login": "1001", "seat": "8001", "state": state,
            "reason": reason, "groups": "21", "call_id": call}


def _life(store: Store, body) -> None:
    async def main():
        store.start(asyncio.get_running_loop(), lambda: {"agents": [], "revoked": {}})
        body()
    asyncio.run(main())


def test_state_rows_survive_an_outage_and_are_not_doubled_by_a_second_recovery(
        database, tmp_path):
    down = Store(Database.open("mysql+pymysql://root@127.0.0.1:9/nowhere"), tmp_path)

    def body():
        for r in SHIFT:
            down.state(_row(*r))
        down.flush()
        assert down.down  # kept in the journal, retried later
    _life(down, body)
    down.stop()
    down.db.dispose()
    Store(database, tmp_path).recover()
    want = [(state, reason, call) for _off, state, reason, call in SHIFT]
    assert [r[:3] for r in _rows(database, "1001")] == want
    got = [r[5].timestamp() for r in _rows(database, "1001")]
    assert all(abs(g - (T0 + off)) < 1.0 for g, (off, *_x) in zip(got, SHIFT, strict=True))
    # killed again before the applied segments were dropped: the replay adds nothing,
    # the two ready rows a second apart included
    Store(database, tmp_path).recover()
    assert [r[:3] for r in _rows(database, "1001")] == want


def test_a_batch_written_before_the_kill_is_not_written_twice(database, tmp_path):
    live = Store(database, tmp_path / "live", fsync=False)

    def body():
        for r in SHIFT[:3]:
            live.state(_row(*r))
        live.flush()
    _life(live, body)
    live.stop()
    # the journal of a life that wrote the first three rows and was killed before the
    # rest reached the database
    j = Journal(tmp_path / "killed" / "journal", fsync=False)
    j.open(None, lambda: [{"k": "life", "started": T0}, {"k": "agents", "agents": []}])
    for r in SHIFT:
        j.append("state", row=_row(*r))
    j.close()
    Store(database, tmp_path / "killed").recover()
    assert [r[:3] for r in _rows(database, "1001")] == [
        (state, reason, call) for _off, state, reason, call in SHIFT]
