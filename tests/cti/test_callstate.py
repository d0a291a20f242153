"""The CTI client's CallState snapshot (agent_app/cti/callstate.py): what it says after each
sequence of server messages, first as pure functions (messages shaped as cti-protocol.md
writes them), then through a real CtiClient against agent-ctid. No Qt."""
from __future__ import annotations

import asyncio
import dataclasses

from agent_app.cti import callstate as CS
from agent_app.cti.callstate import CallState
from tests.cti.clientkit import client_for, stop_in_time
from tests.cti.test_client import admin, real

ME, OTHER = "1001", "1002"


def agent(state, *, reason=None, call_id=None, user=ME, since="2026-01-01T10:00:00+08:00"):
    return {"event": "agent_state", "ts": since, "agent": {
        "user": user, "name": "李娜", "seat": "8001", "groups": ["21"], "state": state,
        "reason": reason, "since": since, "call_id": call_id}}


def call(event, state, *, cid="c1", user=ME, direction="in", end_cause=None, **extra):
    return {"event": event, "ts": "2026-01-01T10:00:05+08:00", **extra, "call": {
        "call_id": cid, "direction": direction, "caller": "13800138000",
        "dialed": "4006000000", "seat": "8001", "user": user, "group": "21", "state": state,
        "queued_at": "2026-01-01T10:00:00+08:00", "end_cause": end_cause}}


def fold(*messages, start: CallState | None = None) -> CallState:
    s = start or dataclasses.replace(CallState(user=ME), status="logged_in",
                                     agent_state="ready")
    for m in messages:
        s = CS.on_event(s, m)
    return s


def ringing_here():
    return [agent("ringing", call_id="c1"), call("call_ringing", "ringing")]


def test_ringing_call_is_the_one_answer_acts_on():
    s = fold(*ringing_here())
    assert s.agent_state == "ringing" and s.agent_call_id == "c1"
    assert s.ringing is not None and s.ringing.call_id == "c1"
    assert s.current == s.shown == s.ringing
    assert (s.ringing.caller, s.ringing.dialed, s.ringing.direction) == (
        "13800138000", "4006000000", "in")
    assert s.ringing.since == "2026-01-01T10:00:05+08:00"


def test_ring_no_answer_ends_the_call_here_and_leaves_the_agent_busy():
    # the server tells the agent only its new state (cti-protocol.md, "Ring-no-answer")
    s = fold(*ringing_here(), agent("busy", reason="no_answer"))
    assert (s.agent_state, s.reason, s.agent_call_id) == ("busy", "no_answer", None)
    assert s.ringing is None and s.current is None
    assert s.shown.call_id == "c1"
    assert (s.shown.state, s.shown.end_cause) == ("ended", "no_answer")
    # a late event about that call, re-offered to another agent, does not revive it
    assert fold(call("call_ringing", "ringing", user=OTHER), start=s) == s


def test_ring_taken_elsewhere_by_state_or_by_a_monitored_event():
    # the agent's state no longer names the ringing call, for a reason other than no_answer
    s = fold(*ringing_here(), agent("ready"))
    assert s.ringing is None and (s.shown.state, s.shown.end_cause) == (
        "ended", CS.TAKEN_ELSEWHERE)
    # a supervisor monitoring sees the call ring at (or be answered by) someone else
    s = fold(*ringing_here(), call("call_answered", "talking", user=OTHER))
    assert s.ringing is None and s.shown.end_cause == CS.TAKEN_ELSEWHERE
    # an agent state about another agent changes nothing of ours
    before = fold(*ringing_here())
    assert fold(agent("busy", reason="no_answer", user=OTHER), start=before) == before


def test_ring_answer_hangup():
    s = fold(*ringing_here(), agent("talking", call_id="c1"), call("call_answered", "talking"))
    assert s.ringing is None and s.current.state == "talking"
    s = fold(call("call_held", "held"), start=s)
    assert s.current.state == "held"
    s = fold(call("call_resumed", "talking"), start=s)
    assert s.current.state == "talking"
    s = fold(call("call_ended", "ended", end_cause="answered", talk_s=42.0),
             agent("wrapup"), start=s)
    assert s.current is None and s.agent_state == "wrapup"
    assert (s.shown.state, s.shown.end_cause, s.shown.talk_s) == ("ended", "answered", 42.0)
    # the next call replaces the ended one
    s = fold(agent("ringing", call_id="c2"), call("call_ringing", "ringing", cid="c2"), start=s)
    assert [c.call_id for c in s.calls] == ["c2"] and s.ringing.call_id == "c2"


def test_a_call_transferred_to_another_agent_leaves_this_seat():
    s = fold(*ringing_here(), call("call_answered", "talking"), agent("ready"))
    assert s.current is None and s.shown.end_cause == "transferred"


def test_dialled_call_is_kept_until_its_outcome():
    s = fold(agent("busy", call_id="o1"))  # the server names the call before dial's result
    s = CS.on_dialled(s, "o1", "13900001111", "4006000000", "8001")
    assert s.current.direction == "out" and s.current.dialled_here and s.ringing is None
    s = fold(agent("busy"), start=s)  # not yet answered: still our dial
    assert s.current is not None
    s = fold(call("call_answered", "talking", cid="o1", direction="out"), start=s)
    assert s.current.state == "talking" and s.current.dialled_here


def test_reconnect_resync_from_the_login_result():
    talking = fold(*ringing_here(), call("call_answered", "talking"))
    # resumed within the grace period: the server still has the call
    s = CS.on_login(talking, {"agent": agent("talking", call_id="c1")["agent"],
                              "call": call("x", "talking")["call"], "resumed": True})
    assert s.current.call_id == "c1" and s.current.state == "talking"
    # after a server restart: no call any more; it shows ended, then call_ended says why
    s = CS.on_login(talking, {"agent": agent("busy")["agent"], "call": None, "resumed": True})
    assert s.current is None and s.shown.state == "ended" and s.shown.end_cause is None
    s = fold(call("call_ended", "ended", end_cause="server_stopped"), start=s)
    assert s.shown.end_cause == "server_stopped" and s.current is None
    # a resumed login with a ringing call: Answer has something to act on again
    s = CS.on_login(CallState(user=ME), {"agent": agent("ringing", call_id="c1")["agent"],
                                        "call": call("x", "ringing")["call"]})
    assert s.ringing is not None and s.ringing.call_id == "c1"


def test_logged_out_forgets_the_session():
    s = CS.logged_out(fold(*ringing_here()))
    assert s == CallState(user=ME, status="disconnected")
    assert s.ringing is None and s.shown is None


# -- through the client, against the real server ---------------------------------------------------
@real
def test_client_snapshot_after_ring_out_then_taken_elsewhere(run_server):
    """Ring timeout 1 s (tests/cti/conftest.py): 1001 lets it ring out, the call goes to
    1002, who answers. 1001's snapshot: no ringing call, busy · no_answer, listeners told."""
    async def scenario(server):
        me, other = client_for(server.port), client_for(server.port, user="1002", seat="8002")
        seen: list[CallState] = []
        me.add_listener(seen.append)
        for c in (me, other):
            await c.start()
            assert await c.wait_logged_in(5)
        assert me.state.logged_in and me.state.agent_state == "busy"
        await me.ready()
        boss = await admin(server.port)
        cid = (await boss.request("sim_inbound", caller="13800138000", dialed="4006000000",
                                  group="21"))["call_id"]

        async def until(pred, timeout=10.0):
            for _ in range(int(timeout / 0.02)):
                if pred():
                    return
                await asyncio.sleep(0.02)
            raise AssertionError(f"not reached: {me.state}")
        await until(lambda: me.state.ringing is not None)
        assert me.state.ringing.call_id == cid
        await other.ready()  # so the call has somewhere to go after ringing out here
        await until(lambda: me.state.agent_state == "busy", 10)
        s = me.state
        assert s.reason == "no_answer" and s.ringing is None and s.current is None
        assert (s.shown.call_id, s.shown.state, s.shown.end_cause) == (cid, "ended", "no_answer")
        assert me.call is None and me.agent["reason"] == "no_answer"
        assert seen[-1] is s and any(x.ringing is not None for x in seen)
        # the other agent has it ringing now, and answers it
        await until(lambda: other.state.ringing is not None and other.state.ringing.call_id == cid)
        await other.answer(cid)
        await until(lambda: (other.state.current or CS.CallView("")).state == "talking")
        assert me.state.shown.state == "ended"  # never ringing again here
        await stop_in_time(other)
        await stop_in_time(me)
        assert me.state == CallState(user="1001", status="disconnected")
        await boss.close()
    run_server(scenario)


def test_listener_bug_does_not_stop_the_others():
    from agent_app.cti.client import CtiClient

    client = CtiClient("127.0.0.1", 1, user=ME, password="x", seat="8001", groups=["21"])
    got: list[CallState] = []

    def broken(_s):
        raise RuntimeError("listener bug")
    client.add_listener(broken)
    unsubscribe = client.add_listener(got.append)
    client._on_event(agent("ready"))
    assert got and got[-1].agent_state == "ready"
    unsubscribe()
    client._on_event(agent("busy", reason="Break"))
    assert len(got) == 1 and client.state.reason == "Break"
