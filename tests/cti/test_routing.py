"""The ACD core, rule by rule, and property-based: no call lost, duplicated or offered to
two agents; the longest-idle rule holds."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.cti.routing import Acd, GroupConfig, RoutingError


def acd(**kw) -> Acd:
    groups = {
        "21": GroupConfig("21", overflow="22", max_queue=2, ring_timeout_s=15, wrapup_s=5),
        "22": GroupConfig("22", max_queue=2, ring_timeout_s=15, wrapup_s=5),
        "11": GroupConfig("11", max_queue=5, ring_timeout_s=20, wrapup_s=0),
    }
    return Acd(groups, internal_numbers={"057188000000"}, **kw)


def ringing(fx):
    return [(c.call_id, c.user) for kind, c in fx if kind == "ringing"]


def setup_agents(a: Acd, t=0.0):
    for user, seat, group, _ready_at in [("1001", "8001", "21", 3), ("1002", "8002", "21", 1),
                                        ("1003", "8003", "21", 2), ("2001", "8010", "22", 4)]:
        a.login(user, user, seat, [group], t)
    for user, ready_at in [("1002", 1), ("1003", 2), ("1001", 3), ("2001", 4)]:
        a.ready(user, ready_at)


def test_longest_idle_first_then_next():
    a = acd()
    setup_agents(a)
    c1, fx = a.inbound("13800138000", "4006000000", "21", 10)
    assert ringing(fx) == [(c1.call_id, "1002")]
    c2, fx = a.inbound("13900139000", "4006000000", "21", 11)
    assert ringing(fx) == [(c2.call_id, "1003")]


def test_ties_go_to_lowest_seat():
    a = acd()
    a.login("1009", "x", "8009", ["21"], 0)
    a.login("1008", "y", "8008", ["21"], 0)
    a.ready("1009", 5)
    a.ready("1008", 5)
    c, fx = a.inbound("1", "4006000000", "21", 10)
    assert ringing(fx) == [(c.call_id, "1008")]


def test_overflow_then_queue_then_rejected():
    a = acd()
    setup_agents(a)
    users = [ringing(a.inbound(f"1380000000{i}", "4006", "21", 10 + i)[1])[0][1] for i in range(4)]
    assert users == ["1002", "1003", "1001", "2001"]  # 21 all busy → 22
    q1, fx = a.inbound("13700000001", "4006", "21", 20)
    q2, _ = a.inbound("13700000002", "4006", "21", 21)
    assert q1.state == q2.state == "queued" and list(a.queues["21"]) == [q1.call_id, q2.call_id]
    q3, fx = a.inbound("13700000003", "4006", "21", 22)
    assert q3.state == "ended" and q3.end_cause == "rejected"
    assert ("ended", q3) in fx


def test_ready_agent_takes_oldest_queued_call_after_wrapup():
    a = acd()
    a.login("1001", "a", "8001", ["21"], 0)
    q, _ = a.inbound("13700000001", "4006", "21", 1)
    assert q.state == "queued"
    fx = a.ready("1001", 2)
    assert ringing(fx) == [(q.call_id, "1001")] and q.offered_at == 2
    a.answer("1001", q.call_id, 3)
    a.hangup("1001", q.call_id, 60)
    assert a.agents["1001"].state == "wrapup"
    assert a.next_deadline() == 65
    a.tick(65)
    assert a.agents["1001"].state == "ready"


def test_ring_no_answer_moves_on_and_sets_busy():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("13800138000", "4006", "21", 10)
    assert c.user == "1002"
    fx = a.tick(25)
    assert a.agents["1002"].state == "busy" and a.agents["1002"].reason == "no_answer"
    assert ringing(fx) == [(c.call_id, "1003")]


def test_ring_no_answer_with_nobody_else_requeues_at_head():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 0)
    c, _ = a.inbound("1", "4006", "11", 1)
    other, _ = a.inbound("2", "4006", "11", 2)
    a.tick(21)
    assert list(a.queues["11"]) == [c.call_id, other.call_id]


def test_abandon_while_queued_and_while_ringing():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    c, _ = a.inbound("1", "4006", "11", 1)
    fx = a.caller_hangup(c.call_id, 5)
    assert c.end_cause == "abandoned" and not a.queues["11"] and ("ended", c) in fx
    a.ready("1001", 6)
    c2, _ = a.inbound("2", "4006", "11", 7)
    a.caller_hangup(c2.call_id, 8)
    assert c2.end_cause == "abandoned" and a.agents["1001"].state == "ready"


def test_caller_memory_prefers_last_agent():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("13800138000", "4006", "21", 10)
    a.answer("1002", c.call_id, 11)
    a.hangup("1002", c.call_id, 20)
    a.tick(25)  # 1002 ready again, now the most recently ready
    c2, fx = a.inbound("13800138000", "4006", "21", 30)
    assert c2.user == "1002"


def test_busy_during_call_applies_after():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    a.answer("1002", c.call_id, 11)
    a.busy("1002", "lunch", 12)
    assert a.agents["1002"].state == "talking"
    a.hangup("1002", c.call_id, 20)
    assert (a.agents["1002"].state, a.agents["1002"].reason) == ("busy", "lunch")


def test_wrong_state_requests_change_nothing():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    before = (a.agents["1002"].state, c.state)
    with pytest.raises(RoutingError) as e:
        a.answer("1003", c.call_id, 11)  # another agent's call
    assert e.value.code == "no_such_call"
    with pytest.raises(RoutingError) as e:
        a.dial("1002", "13800000000", "", 11)  # dial while ringing
    assert e.value.code == "bad_state"
    with pytest.raises(RoutingError) as e:
        a.ready("1002", 11)
    assert e.value.code == "bad_state"
    with pytest.raises(RoutingError) as e:
        a.login("9", "x", "8001", ["21"], 11)
    assert e.value.code == "seat_in_use"
    with pytest.raises(RoutingError) as e:
        a.login("9", "x", "8999", ["99"], 11)
    assert e.value.code == "no_such_group"
    assert (a.agents["1002"].state, c.state) == before


def test_dial_outcomes_and_no_queued_call_while_dialling():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 0)
    out, _ = a.dial("1001", "13800000005", "4006000000", 1)
    q, _ = a.inbound("2", "4006", "11", 2)
    assert q.state == "queued"  # the dialling agent is not offered it
    a.far_answer(out.call_id, 3)
    assert a.agents["1001"].state == "talking"
    a.hangup("1001", out.call_id, 10)
    assert q.user == "1001"  # wrap-up 0 → ready → takes the queued call
    b = acd()
    b.login("1001", "a", "8001", ["11"], 0)
    out, _ = b.dial("1001", "13800000001", "", 1)
    b.far_failed(out.call_id, "busy", 2)
    assert out.end_cause == "busy" and b.agents["1001"].state == "busy"


def test_transfer_to_group_and_hold():
    a = acd()
    setup_agents(a)
    a.login("3001", "c", "8020", ["11"], 0)
    a.ready("3001", 0)
    c, _ = a.inbound("1", "4006", "21", 10)
    a.answer("1002", c.call_id, 11)
    a.hold("1002", c.call_id, True, 12)
    assert c.state == "held"
    a.hold("1002", c.call_id, False, 13)
    fx = a.transfer("1002", c.call_id, {"group": "11"}, 14)
    assert ("transferred", c) in fx and c.user == "3001" and c.state == "ringing"


def test_grace_period_resume_and_expiry():
    a = acd(grace_s=30)
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    a.answer("1002", c.call_id, 11)
    a.disconnect("1002", 12)
    assert a.resume("1002", "8002", 20)[0] is a.agents["1002"]
    assert a.resume("1002", "8002", 20) == (None, [])  # not away any more
    assert a.agents["1002"].call_id == c.call_id
    a.disconnect("1002", 21)
    a.tick(51)
    assert "1002" not in a.agents and c.state == "ended"


def test_stop_calls_ends_every_call_and_keeps_agents_placed():
    a = acd()
    setup_agents(a)
    talking, _ = a.inbound("1", "4006", "21", 10)              # → 1002
    a.answer("1002", talking.call_id, 11)
    ringing_call, _ = a.inbound("2", "4006", "21", 12)         # → 1003
    dialled, _ = a.dial("1001", "13800000008", "", 13)
    a.inbound("3", "4006", "21", 14)                             # → 2001 (overflow)
    queued, _ = a.inbound("4", "4006", "21", 15)
    fx = a.stop_calls("server_stopped", 20)
    ended = [c for kind, c in fx if kind == "ended"]
    assert len(ended) == 5 and not a.calls and not a.queues["21"]
    assert {c.end_cause for c in ended} == {"server_stopped"} and queued in ended
    assert talking.answered_at == 11 and talking.talk_s == 9
    states = {u: (x.state, x.call_id) for u, x in a.agents.items()}
    assert states == {"1002": ("wrapup", None), "1003": ("ready", None),
                      "1001": ("ready", None), "2001": ("ready", None)}
    assert ringing_call.user == "1003" and dialled.end_cause == "server_stopped"


@pytest.mark.parametrize("state, call, busy_after, expect", [
    ("ready", None, None, ("ready", None, 3)),          # idle time kept
    ("busy", None, None, ("busy", "lunch", 3)),
    ("ringing", "C1", None, ("ready", None, 100)),      # its offer did not survive
    ("ready", "C1", None, ("ready", None, 100)),        # nor its dial
    ("busy", "C1", None, ("busy", "lunch", 3)),
    ("talking", "C1", None, ("wrapup", None, 100)),     # as after any call
    ("talking", "C1", "", ("busy", None, 100)),         # asked for busy during it
    ("wrapup", None, None, ("wrapup", None, 100)),
])
def test_restore_after_a_restart(state, call, busy_after, expect):
    before = acd()
    before.login("1001", "李娜", "8001", ["21"], 0)
    snap = {**before.snapshot(before.agents["1001"]), "state": state, "reason": "lunch"
            if state == "busy" else None, "since": 3, "call_id": call, "busy_after": busy_after,
            "groups": ["21", "99"]}  # 99 was deleted meanwhile
    a = acd()
    agent = a.restore(snap, 100)
    assert (agent.state, agent.reason, agent.since) == expect
    # the state log hears of a state the restart changed (at the restart), of no other
    changed = (expect[0], expect[1]) != (state, snap["reason"])
    assert [(k, x.state, x.reason or None, x.at) for k, x in a.drain()] == \
        ([("state", expect[0], expect[1], 100)] if changed else [])
    assert agent.groups == ("21",) and agent.disconnected_at == 100 and agent.call_id is None
    assert a.restore(snap, 100) is None                        # already there
    c, fx = a.inbound("1", "4006", "21", 101)
    assert c.state == "queued"                                 # away: offered nothing
    resumed, fx = a.resume("1001", "8001", 102)
    assert resumed is agent
    if expect[0] == "ready":
        assert ringing(fx) == [(c.call_id, "1001")]
    if expect[0] == "wrapup":
        assert agent.wrapup_until == 105                       # the group's 5 s from restart
    fresh = acd()
    fresh.login("2001", "x", "8001", ["21"], 0)                # someone took the seat
    assert fresh.restore(snap, 100) is None
    assert acd().restore({**snap, "groups": ["99"]}, 100) is None  # its groups are gone


def test_internal_numbers_flagged():
    a = acd()
    c, _ = a.inbound("057188000000", "4006", "21", 1)
    assert c.internal


# -- properties -----------------------------------------------------------------------------
USERS = ["1001", "1002", "1003", "2001", "2002"]
ops = st.lists(st.one_of(
    st.tuples(st.just("ready"), st.sampled_from(USERS)),
    st.tuples(st.just("busy"), st.sampled_from(USERS)),
    st.tuples(st.just("call"), st.sampled_from(["21", "22", "11"])),
    st.tuples(st.just("answer"), st.sampled_from(USERS)),
    st.tuples(st.just("hangup"), st.sampled_from(USERS)),
    st.tuples(st.just("abandon"), st.integers(0, 30)),
    st.tuples(st.just("tick"), st.floats(0, 40)),
    st.tuples(st.just("drop"), st.sampled_from(USERS)),
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_no_call_lost_duplicated_or_double_offered(operations):
    a = acd(grace_s=30)
    groups = {"1001": ["21"], "1002": ["21"], "1003": ["21", "11"], "2001": ["22"], "2002": ["11"]}
    for i, u in enumerate(USERS):
        a.login(u, u, str(8001 + i), groups[u], 0)
    now, started, ended = 0.0, [], {}
    for op, arg in operations:
        now += 1
        try:
            if op == "ready":
                fx = a.ready(arg, now)
            elif op == "busy":
                fx = a.busy(arg, None, now)
            elif op == "call":
                c, fx = a.inbound(f"13{len(started):09d}", "4006", arg, now)
            elif op == "answer":
                ag = a.agents.get(arg)
                fx = a.answer(arg, ag.call_id, now) if ag and ag.call_id else []
            elif op == "hangup":
                ag = a.agents.get(arg)
                fx = a.hangup(arg, ag.call_id, now) if ag and ag.call_id else []
            elif op == "abandon":
                ids = sorted(a.calls)
                fx = a.caller_hangup(ids[arg % len(ids)], now) if ids else []
            elif op == "drop":
                fx = a.disconnect(arg, now)
            else:
                now += arg
                fx = a.tick(now)
        except RoutingError:
            fx = []
        for kind, obj in fx:
            if kind == "started":
                started.append(obj.call_id)
            if kind == "ended":
                assert obj.call_id not in ended, "a call ended twice"
                ended[obj.call_id] = obj.end_cause
        # invariants after every step
        live = set(a.calls)
        assert live.isdisjoint(ended) and live | set(ended) == set(started), "call lost"
        holders = [ag.call_id for ag in a.agents.values() if ag.call_id]
        assert len(holders) == len(set(holders)), "a call offered to two agents"
        queued = [cid for q in a.queues.values() for cid in q]
        assert len(queued) == len(set(queued)), "a call queued twice"
        for cid in queued:
            assert a.calls[cid].state == "queued" and cid not in holders
        for c in a.calls.values():
            if c.state in ("ringing", "talking", "held"):
                assert a.agents.get(c.user) is None or a.agents[c.user].call_id == c.call_id


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=8, unique=True))
def test_longest_idle_rule(ready_times):
    a = acd()
    for i in range(len(ready_times)):
        a.login(f"u{i}", "x", str(9000 + i), ["11"], 0)
    for i, t in sorted(enumerate(ready_times), key=lambda p: p[1]):
        a.ready(f"u{i}", t)
    order = [u for _i, u in sorted((t, f"u{i}") for i, t in enumerate(ready_times))]
    for k, expected in enumerate(order):
        c, _ = a.inbound(str(k), "4006", "11", 2000 + k)
        assert c.user == expected
