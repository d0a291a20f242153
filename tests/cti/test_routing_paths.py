"""The ACD's paths next to its named rules (issue #16, found by mutation testing): caller
memory and its limits, re-readying, overflow direction, hang-ups while talking, resume,
transfers, logout/busy/dial in every state, status reports, error codes, timer edges."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_app.cti.routing import (
    CALLER_MEMORY_S,
    Acd,
    Agent,
    GroupConfig,
    RoutingError,
    StateChange,
)
from tests.cti.test_routing import acd, ringing, setup_agents


def iso(t):
    return None if t is None else f"T{t}"


def code(fn, *args) -> str:
    with pytest.raises(RoutingError) as e:
        fn(*args)
    return e.value.code


def answered_by(a: Acd, caller: str, user: str, t: float):
    """A call from `caller` answered by `user` at t and hung up at t + 1."""
    c, _ = a.inbound(caller, "4006", "21", t)
    assert c.user == user
    a.answer(user, c.call_id, t)
    a.hangup(user, c.call_id, t + 1)
    return c


# -- caller memory ----------------------------------------------------------------------------
@pytest.mark.parametrize("away", ["busy", "talking", "disconnected", "wrapup"])
def test_repeat_caller_not_sent_to_remembered_agent_who_is_not_ready(away):
    a = acd()
    setup_agents(a)
    answered_by(a, "13800138000", "1002", 10)      # 1002 remembers the caller
    a.tick(100)                                     # 1002 ready again (wrap-up over)
    if away == "busy":
        a.busy("1002", "lunch", 101)
    elif away == "talking":
        a.busy("1001", None, 100.5)
        a.busy("1003", None, 100.5)
        other, _ = a.inbound("13999999999", "4006", "21", 101)
        assert other.user == "1002"
        a.answer("1002", other.call_id, 101)
    elif away == "disconnected":
        a.disconnect("1002", 101)
    else:
        c, _ = a.inbound("13800138000", "4006", "21", 100.5)
        a.answer("1002", c.call_id, 100.5)
        a.hangup("1002", c.call_id, 100.6)
        assert a.agents["1002"].state == "wrapup"
    c, fx = a.inbound("13800138000", "4006", "21", 102)
    assert c.user is not None and c.user != "1002"
    assert a.agents[c.user].state == "ringing"


def test_caller_memory_lasts_24_hours_exactly():
    for gap, expected in [(CALLER_MEMORY_S, "1002"), (CALLER_MEMORY_S + 1, "1003")]:
        a = acd()
        setup_agents(a)
        answered_by(a, "13800138000", "1002", 10)   # answered at 10
        a.tick(100)                                  # 1002 ready at 100, the newest
        c, _ = a.inbound("13800138000", "4006", "21", 10 + gap)
        assert c.user == expected, gap


def test_caller_memory_only_within_the_calls_groups():
    a = acd()
    a.login("3001", "c", "8020", ["11"], 0)
    a.login("1001", "a", "8001", ["21"], 0)
    a.ready("3001", 0)
    c, _ = a.inbound("13800138000", "4006", "11", 1)
    a.answer("3001", c.call_id, 1)
    a.hangup("3001", c.call_id, 2)                  # wrap-up 0: ready again
    a.ready("1001", 3)
    c2, _ = a.inbound("13800138000", "4006", "21", 4)
    assert c2.user == "1001"                         # 3001 is not in 21 nor in 22


def test_caller_memory_reaches_remembered_agent_in_the_overflow_group():
    a = acd()
    a.login("2001", "b", "8010", ["22"], 0)
    a.ready("2001", 0)
    c, _ = a.inbound("13800138000", "4006", "21", 1)   # nobody in 21: overflow to 22
    assert c.user == "2001"
    a.answer("2001", c.call_id, 1)
    a.hangup("2001", c.call_id, 2)
    a.tick(7)
    a.login("1001", "a", "8001", ["21"], 0)
    a.ready("1001", 8)
    c2, _ = a.inbound("13800138000", "4006", "21", 9)
    assert c2.user == "2001"                         # remembered beats the group's own


def test_remembered_agent_who_let_it_ring_out_is_skipped():
    a = acd()
    a.login("1001", "a", "8001", ["21"], 0)
    a.login("1002", "b", "8002", ["21"], 0)
    a.ready("1001", 0)
    answered_by(a, "13800138000", "1001", 1)
    a.tick(7)                                       # 1001 ready again at 7
    c, _ = a.inbound("13800138000", "4006", "21", 8)
    assert c.user == "1001"
    a.ready("1002", 9)
    a.tick(23)                                      # 1001 lets it ring out
    assert c.user == "1002"
    a.busy("1002", None, 24)                        # 1002 busy: c still ringing at 1002
    a.ready("1001", 25)
    a.tick(38)                                      # 1002 rings out too: both skipped
    assert c.state == "queued" and a.agents["1001"].call_id is None


# -- longest idle, overflow direction, hang-ups, resume ---------------------------------------
def test_ready_busy_ready_goes_to_the_back():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.login("1002", "b", "8002", ["11"], 0)
    a.ready("1001", 1)
    a.ready("1002", 2)
    a.busy("1001", None, 3)
    a.ready("1001", 4)
    a.ready("1001", 5)                              # ready while ready: no new place
    c, _ = a.inbound("1", "4006", "11", 6)
    assert c.user == "1002"
    c2, _ = a.inbound("2", "4006", "11", 7)
    assert c2.user == "1001"


def test_ready_agent_takes_queued_calls_only_of_groups_that_overflow_into_it():
    a = acd()
    q11, _ = a.inbound("1", "4006", "11", 1)        # 11 has no overflow
    q21, _ = a.inbound("2", "4006", "21", 2)        # 21 overflows into 22
    a.login("2001", "b", "8010", ["22"], 0)
    fx = a.ready("2001", 3)
    assert ringing(fx) == [(q21.call_id, "2001")]
    assert q11.state == "queued" and list(a.queues["11"]) == [q11.call_id]
    assert ("queue", "21") in fx and not a.queues["21"]


def test_ready_agent_takes_the_oldest_of_its_groups_queues():
    a = acd()
    a.login("9", "x", "8099", ["22"], 0)
    old22, _ = a.inbound("1", "4006", "22", 1)
    new21, _ = a.inbound("2", "4006", "21", 2)
    new22, _ = a.inbound("3", "4006", "22", 3)
    a.login("2001", "b", "8010", ["22", "21"], 0)
    a.ready("2001", 4)
    assert old22.user == "2001" and new21.state == new22.state == "queued"


def test_caller_hangup_while_talking_is_answered_and_agent_wraps_up():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    a.answer("1002", c.call_id, 11)
    fx = a.caller_hangup(c.call_id, 40)
    assert (c.end_cause, c.ended_at, c.talk_s) == ("answered", 40, 29)
    assert a.agents["1002"].state == "wrapup" and a.agents["1002"].wrapup_until == 45
    assert ("ended", c) in fx and a.agents["1002"].call_id is None
    assert a.caller_hangup(c.call_id, 41) == []      # already gone


def test_caller_hangup_while_ringing_frees_agent_for_next_queued_call():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 0)
    c1, _ = a.inbound("1", "4006", "11", 1)
    c2, _ = a.inbound("2", "4006", "11", 2)
    fx = a.caller_hangup(c1.call_id, 3)
    assert c1.end_cause == "abandoned" and ringing(fx) == [(c2.call_id, "1001")]


def test_caller_hangup_of_a_dialled_call_before_answer():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    out, _ = a.dial("1001", "13800000005", "", 1)
    a.caller_hangup(out.call_id, 2)
    assert out.end_cause == "abandoned" and a.agents["1001"].state == "busy"


def test_resume_while_ready_goes_back_into_the_heaps_with_its_idle_time():
    a = acd(grace_s=30)
    a.login("1001", "a", "8001", ["11"], 0)
    a.login("1002", "b", "8002", ["11"], 0)
    a.ready("1001", 1)
    a.ready("1002", 5)
    a.disconnect("1001", 6)
    c, _ = a.inbound("1", "4006", "11", 7)
    assert c.user == "1002"                          # away: not offered
    assert a.resume("1001", "8099", 8) == (None, [])  # another seat: not taken back
    assert a.resume("nobody", "8001", 8) == (None, [])
    ag, fx = a.resume("1001", "8001", 8)
    assert ag.state == "ready" and ag.since == 1 and ag.disconnected_at is None
    c2, _ = a.inbound("2", "4006", "11", 9)
    assert c2.user == "1001"


def test_resume_while_ready_takes_a_call_queued_meanwhile():
    a = acd(grace_s=30)
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 1)
    a.disconnect("1001", 2)
    q, _ = a.inbound("1", "4006", "11", 3)
    assert q.state == "queued"
    _ag, fx = a.resume("1001", "8001", 4)
    assert ringing(fx) == [(q.call_id, "1001")]


def test_resume_while_busy_stays_busy():
    a = acd(grace_s=30)
    a.login("1001", "a", "8001", ["11"], 0)
    a.disconnect("1001", 2)
    a.inbound("1", "4006", "11", 3)
    ag, fx = a.resume("1001", "8001", 4)
    assert ag.state == "busy" and ringing(fx) == []


def test_disconnect_of_unknown_agent_is_harmless():
    a = acd()
    assert a.disconnect("nobody", 1) == []


# -- transfers ----------------------------------------------------------------------------------
def talking(a: Acd, user="1002", t=10):
    c, _ = a.inbound("1", "4006", "21", t)
    assert c.user == user
    a.answer(user, c.call_id, t + 1)
    return c


def test_transfer_to_a_ready_user_rings_them_and_frees_the_agent():
    a = acd()
    setup_agents(a)
    a.login("3001", "c", "8020", ["11"], 0)
    a.ready("3001", 0)
    c = talking(a)
    fx = a.transfer("1002", c.call_id, {"user": "3001"}, 14)
    assert ("transferred", c) in fx and ringing(fx) == [(c.call_id, "3001")]
    assert (c.state, c.seat, c.ring_deadline) == ("ringing", "8020", 14 + 15)
    assert a.agents["1002"].state == "wrapup" and a.agents["1002"].call_id is None
    assert a.agents["3001"].call_id == c.call_id


def test_transfer_to_a_user_who_is_not_ready_is_refused():
    a = acd()
    setup_agents(a)
    a.login("3001", "c", "8020", ["11"], 0)
    c = talking(a)
    assert code(a.transfer, "1002", c.call_id, {"user": "3001"}, 14) == "bad_state"
    assert code(a.transfer, "1002", c.call_id, {"user": "nobody"}, 14) == "bad_state"
    assert c.state == "talking" and a.agents["1002"].state == "talking"


def test_transfer_to_a_number_ends_the_call_here():
    a = acd()
    setup_agents(a)
    c = talking(a)
    fx = a.transfer("1002", c.call_id, {"number": "13800000000"}, 14)
    assert ("transferred", c) in fx and ("ended", c) in fx
    assert c.end_cause == "transferred" and c.call_id not in a.calls
    assert a.agents["1002"].state == "wrapup"


def test_transfer_errors():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    assert code(a.transfer, "1002", c.call_id, {"group": "11"}, 11) == "bad_state"  # ringing
    a.answer("1002", c.call_id, 11)
    assert code(a.transfer, "1002", c.call_id, {"group": "99"}, 12) == "no_such_group"
    assert code(a.transfer, "1002", c.call_id, {}, 12) == "bad_args"
    assert c.state == "talking" and c.user == "1002"


def test_transfer_to_group_with_nobody_ready_queues_it_as_new():
    a = acd()
    setup_agents(a)
    c = talking(a)
    a.transfer("1002", c.call_id, {"group": "11"}, 14)
    assert c.state == "queued" and c.queued_at == 14 and list(a.queues["11"]) == [c.call_id]
    assert c.skipped == {"1002"} and c.group == "11"


# -- logout, busy, dial ------------------------------------------------------------------------
def test_logout_while_ringing_offers_the_call_to_the_next_agent():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    fx = a.logout("1002", 11)
    assert "1002" not in a.agents and ringing(fx) == [(c.call_id, "1003")]
    assert ("agent", a.agents["1003"]) in fx


def test_logout_while_ringing_with_nobody_else_puts_call_at_the_head_of_the_queue():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 0)
    c, _ = a.inbound("1", "4006", "11", 1)
    other, _ = a.inbound("2", "4006", "11", 2)
    a.logout("1001", 3)
    assert list(a.queues["11"]) == [c.call_id, other.call_id]


def test_logout_while_talking_ends_the_call_answered():
    a = acd()
    setup_agents(a)
    c = talking(a)
    fx = a.logout("1002", 20)
    assert c.end_cause == "answered" and ("ended", c) in fx
    assert [ag for k, ag in fx if k == "agent"][-1].state == "logged_out"
    assert code(a.logout, "1002", 21) == "not_logged_in"


def test_logout_while_dialling_ends_it_abandoned():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    out, _ = a.dial("1001", "138", "", 1)
    a.logout("1001", 2)
    assert out.end_cause == "abandoned"


def test_busy_while_dialling_applies_when_the_call_fails():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.ready("1001", 0)
    out, _ = a.dial("1001", "13800000005", "", 1)
    assert a.busy("1001", "meeting", 2) == []
    a.far_failed(out.call_id, "no_answer", 3)
    assert (a.agents["1001"].state, a.agents["1001"].reason) == ("busy", "meeting")
    assert a.agents["1001"].busy_after is None


def test_busy_while_talking_with_no_reason():
    a = acd()
    setup_agents(a)
    c = talking(a)
    a.busy("1002", None, 12)
    a.hangup("1002", c.call_id, 20)
    ag = a.agents["1002"]
    assert (ag.state, ag.reason, ag.busy_after) == ("busy", None, None)


def test_dialling_from_wrapup_returns_to_ready_and_serves_the_queue():
    a = acd()
    setup_agents(a)
    c = talking(a)
    a.hangup("1002", c.call_id, 20)
    assert a.agents["1002"].state == "wrapup"
    out, fx = a.dial("1002", "13800000005", "4006", 21)
    assert out.caller == "4006" and out.direction == "out" and not out.internal
    assert a.agents["1002"].state_before_dial == "ready"
    for u in ("1001", "1003", "2001"):
        a.busy(u, None, 21)
    q, _ = a.inbound("2", "4006", "21", 22)
    assert q.state == "queued"
    a.far_failed(out.call_id, "busy", 23)
    assert a.agents["1002"].state == "ringing" and q.user == "1002"


def test_dial_from_busy_keeps_the_reason_and_caller_id_defaults_to_seat():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    a.busy("1001", "training", 1)
    out, fx = a.dial("1001", "057188000000", "", 2)
    assert out.caller == "8001" and out.internal and ("started", out) in fx
    assert code(a.dial, "1001", "1", "", 2) == "bad_state"    # one call at a time
    a.far_failed(out.call_id, "busy", 3)
    ag = a.agents["1001"]
    assert (ag.state, ag.reason, ag.state_before_dial) == ("busy", "training", None)


def test_dialled_call_answered_then_hung_up_wraps_up():
    a = acd()
    a.login("1001", "a", "8001", ["21"], 0)
    out, _ = a.dial("1001", "138", "", 1)
    assert a.far_answer(out.call_id, 2)[-1] == ("answered", out)
    assert a.agents["1001"].state_before_dial is None
    assert a.far_answer(out.call_id, 3) == []        # not ringing any more
    a.hangup("1001", out.call_id, 10)
    assert out.end_cause == "answered" and a.agents["1001"].state == "wrapup"


def test_dialled_call_hung_up_by_agent_before_answer_is_no_answer():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    out, _ = a.dial("1001", "138", "", 1)
    a.hangup("1001", out.call_id, 5)
    assert out.end_cause == "no_answer" and a.agents["1001"].state == "busy"


def test_far_events_for_unknown_or_inbound_calls_do_nothing():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    assert a.far_answer(c.call_id, 11) == [] and c.state == "ringing"
    assert a.far_answer("nope", 11) == [] and a.far_failed("nope", "busy", 11) == []
    a.answer("1002", c.call_id, 11)
    assert a.far_failed(c.call_id, "busy", 12) == [] and c.state == "talking"


# -- errors ------------------------------------------------------------------------------------
def test_error_codes_and_state_left_alone():
    a = acd()
    setup_agents(a)
    assert code(a.ready, "nobody", 1) == "not_logged_in"
    assert code(a.busy, "nobody", None, 1) == "not_logged_in"
    assert code(a.login, "1001", "x", "8999", ["21"], 1) == "bad_state"   # already in
    assert code(a.inbound, "1", "4006", "99", 1) == "no_such_group"
    c, _ = a.inbound("1", "4006", "21", 10)
    assert code(a.hangup, "1002", c.call_id, 11) == "bad_state"          # ringing, inbound
    assert code(a.hold, "1002", c.call_id, True, 11) == "bad_state"
    assert code(a.hangup, "1002", "nope", 11) == "no_such_call"
    a.answer("1002", c.call_id, 11)
    assert code(a.answer, "1002", c.call_id, 12) == "bad_state"
    assert code(a.hold, "1002", c.call_id, False, 12) == "bad_state"     # not held
    a.hold("1002", c.call_id, True, 12)
    assert code(a.hold, "1002", c.call_id, True, 13) == "bad_state"
    assert code(a.ready, "1002", 13) == "bad_state"
    assert a.agents["1002"].state == "talking" and c.state == "held"
    a.login("5", "x", "8050", ["11"], 0)
    out, _ = a.dial("5", "138", "", 1)
    assert code(a.answer, "5", out.call_id, 2) == "bad_state"            # outbound
    e = RoutingError("bad_state", "why")
    assert (e.code, str(e)) == ("bad_state", "why")


def test_busy_and_ready_refused_once_logged_out_state_is_reached():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    ag = a.agents["1001"]
    ag.state = "ringing"                 # no call but not ready/busy/wrapup
    assert code(a.busy, "1001", None, 1) == "bad_state"
    assert code(a.ready, "1001", 1) == "bad_state"
    assert code(a.dial, "1001", "138", "", 1) == "bad_state"


# -- timers ------------------------------------------------------------------------------------
def test_ring_timeout_fires_at_the_deadline_not_before():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    assert c.ring_deadline == 25 and a.next_deadline() == 25
    assert a.tick(24.999) == [] and c.user == "1002"
    a.tick(25)
    assert c.user == "1003" and "1002" in c.skipped


def test_wrapup_ends_at_its_deadline_not_before():
    a = acd()
    setup_agents(a)
    c = talking(a)
    a.hangup("1002", c.call_id, 20)
    assert a.next_deadline() == 25
    a.tick(24.999)
    assert a.agents["1002"].state == "wrapup"
    a.tick(25)
    assert a.agents["1002"].state == "ready" and a.agents["1002"].wrapup_until is None


def test_wrapup_takes_the_longest_of_the_agents_groups():
    a = acd()
    a.login("1001", "a", "8001", ["11", "21"], 0)    # wrap-up 0 and 5
    a.ready("1001", 0)
    c, _ = a.inbound("1", "4006", "11", 1)
    a.answer("1001", c.call_id, 1)
    a.hangup("1001", c.call_id, 2)
    assert a.agents["1001"].wrapup_until == 7


def test_grace_period_ends_at_its_deadline_not_before():
    a = acd(grace_s=30)
    a.login("1001", "a", "8001", ["11"], 0)
    a.disconnect("1001", 10)
    assert a.next_deadline() == 40
    a.tick(39.999)
    assert "1001" in a.agents
    a.tick(40)
    assert "1001" not in a.agents and a.next_deadline() is None


def test_ring_timeout_is_clamped_to_1_to_60_seconds():
    groups = {"1": GroupConfig("1", ring_timeout_s=0), "2": GroupConfig("2", ring_timeout_s=999)}
    a = Acd(groups)
    a.login("a", "a", "1", ["1"], 0)
    a.login("b", "b", "2", ["2"], 0)
    a.ready("a", 0)
    a.ready("b", 0)
    c1, _ = a.inbound("1", "4006", "1", 10)
    c2, _ = a.inbound("2", "4006", "2", 10)
    assert (c1.ring_deadline, c2.ring_deadline) == (11, 70)


def test_next_deadline_is_the_earliest_of_all_kinds():
    a = acd(grace_s=30)
    setup_agents(a)
    assert a.next_deadline() is None
    c, _ = a.inbound("1", "4006", "21", 10)          # ring deadline 25
    a.disconnect("2001", 0)                          # grace ends 30
    assert a.next_deadline() == 25
    a.answer("1002", c.call_id, 11)
    assert a.next_deadline() == 30
    a.hangup("1002", c.call_id, 12)                  # wrap-up until 17
    assert a.next_deadline() == 17


# -- reports, configuration, ids -------------------------------------------------------------
def test_queue_status_counts():
    a = acd()
    setup_agents(a)
    a.login("3001", "c", "8020", ["11", "21"], 0)   # busy, in 21 too
    c1 = talking(a)                                  # 1002 talking
    c2, _ = a.inbound("2", "4006", "21", 12)         # 1003 ringing
    a.hangup("1002", c1.call_id, 13)                 # 1002 wrap-up
    assert c2.user == "1003"
    a.busy("2001", None, 13)
    q, _ = a.inbound("3", "4006", "11", 14)
    q2, _ = a.inbound("4", "4006", "11", 15)
    assert a.queue_status("21", 20) == {"group": "21", "waiting": 0, "longest_wait_s": 0,
                                        "ready": 1, "busy": 2, "talking": 1}
    assert a.queue_status("11", 20.04) == {"group": "11", "waiting": 2, "longest_wait_s": 6.0,
                                           "ready": 0, "busy": 1, "talking": 0}
    assert a.queue_status("77", 20)["waiting"] == 0


def test_configure_keeps_queues_of_kept_groups_and_adds_new_ones():
    a = acd()
    q, _ = a.inbound("1", "4006", "11", 1)
    a.configure({"11": GroupConfig("11", wrapup_s=3), "33": GroupConfig("33")},
                {"0571999"})
    assert list(a.queues["11"]) == [q.call_id] and set(a.groups) == {"11", "33"}
    assert a.internal_numbers == {"0571999"} and a.groups["11"].wrapup_s == 3
    c, _ = a.inbound("0571999", "4006", "33", 2)
    assert c.internal and c.state == "queued"
    a.login("1", "x", "8001", ["33"], 0)
    fx = a.ready("1", 3)
    assert ringing(fx) == [(c.call_id, "1")]
    assert code(a.inbound, "1", "4006", "21", 4) == "no_such_group"


def test_public_views():
    a = acd()
    a.login("1001", "李娜", "8001", ["21", "11"], 5)
    c, _ = a.inbound("138", "4006", "21", 6)
    ag = a.agents["1001"]
    assert ag.public(iso) == {"user": "1001", "name": "李娜", "seat": "8001",
                              "groups": ["21", "11"], "state": "busy", "reason": None,
                              "since": "T5", "call_id": None}
    assert c.public(iso) == {"call_id": c.call_id, "direction": "in", "caller": "138",
                             "dialed": "4006", "seat": None, "user": None, "group": "21",
                             "state": "queued", "queued_at": "T6", "answered_at": None,
                             "ended_at": None, "end_cause": None, "internal": False,
                             "recording_id": None}
    assert c.talk_s == 0.0
    assert isinstance(ag, Agent)


def test_call_ids_are_unique_and_carry_the_time():
    a = acd()
    ids = {a.new_call_id(1.5) for _ in range(3)}
    assert len(ids) == 3 and all(i.startswith("C5dc") for i in ids)
    assert a.new_call_id(1.5).endswith("00004")
    c, _ = a.inbound("1", "4006", "11", 2, call_id="X1")
    assert c.call_id == "X1" and a.calls["X1"] is c


def test_effects_name_the_agent_and_its_groups_queues():
    a = acd()
    fx = a.login("1001", "a", "8001", ["21", "11"], 0)
    assert fx == [("state", StateChange(0, "1001", "8001", "busy", "", ("21", "11"), None)),
                  ("agent", a.agents["1001"]), ("queue", "21"), ("queue", "11")]


# -- properties ---------------------------------------------------------------------------------
class CheckedAcd(Acd):
    """Asserts, at every offer, that the agent may take the call."""

    def _ring(self, call, a, now):
        if call.direction == "in" and not getattr(self, "transferring", False):
            groups = {call.group, self.groups[call.group].overflow}
            assert a.state == "ready" and a.call_id is None and a.disconnected_at is None, \
                f"offered to {a.user} while {a.state}"
            assert groups & set(a.groups), f"{a.user} is not in {groups}"
            assert a.user not in call.skipped
        super()._ring(call, a, now)


GROUPS_OF = {"1001": ["21"], "1002": ["21"], "1003": ["21", "11"], "2001": ["22"],
             "2002": ["11"]}
CALLERS = ["13800000001", "13800000002", "13800000003"]   # a few, so callers repeat
people = st.sampled_from(sorted(GROUPS_OF))
steps = st.lists(st.one_of(
    st.tuples(st.just("ready"), people), st.tuples(st.just("busy"), people),
    st.tuples(st.just("call"), st.tuples(st.sampled_from(["21", "22", "11"]),
                                         st.sampled_from(CALLERS))),
    st.tuples(st.just("answer"), people), st.tuples(st.just("hangup"), people),
    st.tuples(st.just("abandon"), st.integers(0, 30)),
    st.tuples(st.just("tick"), st.sampled_from([0, 5, 15, 40, CALLER_MEMORY_S])),
    st.tuples(st.just("drop"), people), st.tuples(st.just("resume"), people),
    st.tuples(st.just("group"), people), st.tuples(st.just("hold"), people),
), max_size=60)
KINDS = {"agent", "ringing", "answered", "held", "resumed", "transferred", "ended", "queue",
         "started", "state"}


@settings(max_examples=300, deadline=None)
@given(steps)
def test_calls_reach_only_ready_connected_agents_of_their_groups(operations):
    """A call is offered only to a ready, connected agent of its group or its overflow
    group who has not let it ring out; so a repeat caller never reaches a busy agent."""
    a = CheckedAcd({
        "21": GroupConfig("21", overflow="22", max_queue=2, ring_timeout_s=15, wrapup_s=5),
        "22": GroupConfig("22", max_queue=2, ring_timeout_s=15, wrapup_s=5),
        "11": GroupConfig("11", max_queue=5, ring_timeout_s=20, wrapup_s=0)}, grace_s=30)
    logged: dict[str, tuple[str, str]] = {}  # user → its last agent_state_log state, reason

    def note(fx, now):
        for kind, obj in fx:
            if kind == "state":  # a transition, never the same state again
                assert obj.at == now and logged.get(obj.user) != (obj.state, obj.reason)
                logged[obj.user] = (obj.state, obj.reason)

    for i, u in enumerate(sorted(GROUPS_OF)):
        note(a.login(u, u, str(8001 + i), GROUPS_OF[u], 0), 0)
    now = 0.0
    for op, arg in operations:
        now += 1
        fx = []
        try:
            if op == "ready":
                fx = a.ready(arg, now)
            elif op == "busy":
                fx = a.busy(arg, None, now)
            elif op == "call":
                _c, fx = a.inbound(arg[1], "4006", arg[0], now)
            elif op in ("answer", "hangup"):
                ag = a.agents.get(arg)
                if ag and ag.call_id:
                    fx = getattr(a, op)(arg, ag.call_id, now)
            elif op == "abandon":
                ids = sorted(a.calls)
                if ids:
                    fx = a.caller_hangup(ids[arg % len(ids)], now)
            elif op == "drop":
                fx = a.disconnect(arg, now)
            elif op == "resume":
                ag = a.agents.get(arg)
                if ag:
                    fx = a.resume(arg, ag.seat, now)[1]
            elif op == "group":
                ag = a.agents.get(arg)
                if ag and ag.call_id and a.calls[ag.call_id].state == "talking":
                    fx = a.transfer(arg, ag.call_id, {"group": "11"}, now)
            elif op == "hold":
                ag = a.agents.get(arg)
                if ag and ag.call_id and a.calls[ag.call_id].state in ("talking", "held"):
                    held = a.calls[ag.call_id].state == "talking"
                    fx = a.hold(arg, ag.call_id, held, now)
                    assert fx == [("held" if held else "resumed", a.calls[ag.call_id])]
                    assert a.calls[ag.call_id].state == ("held" if held else "talking")
            else:
                now += arg
                fx = a.tick(now)
        except RoutingError:
            pass
        note(fx, now)
        # the state log always ends in each agent's live state (none missed, none extra)
        for u, (state, _reason) in logged.items():
            ag = a.agents.get(u)
            assert (state, _reason) == ((ag.state, ag.reason or "") if ag else
                                        ("logged_out", "connection_lost")), (op, u)
        for kind, obj in fx:   # every effect says what happened, and when
            assert kind in KINDS
            if kind == "agent" and op != "resume":
                assert obj.since == now, (op, obj)
            if kind == "ended":
                assert obj.ended_at == now and obj.end_cause
            if kind == "ringing":
                assert obj.offered_at == now and obj.ring_deadline > now
        for ag in a.agents.values():   # nobody ready is left idle while a call waits for them
            if a._is_ready(ag):
                for g in set(ag.groups) | {g for g, cfg in a.groups.items()
                                           if cfg.overflow in ag.groups}:
                    waiting = [cid for cid in a.queues[g] if ag.user not in a.calls[cid].skipped]
                    assert not waiting, f"{ag.user} ready while {waiting} wait in {g}"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("ready"), st.integers(0, 4)),
                          st.tuples(st.just("busy"), st.integers(0, 4)),
                          st.tuples(st.just("call"), st.just(0))), max_size=40))
def test_longest_idle_against_a_model(operations):
    """Against a model that remembers when each agent last became ready: every call goes
    to the agent ready the longest (ties: lowest seat), however often they went busy."""
    a = acd()
    users = [f"u{i}" for i in range(5)]
    seats = {u: str(9004 - i) for i, u in enumerate(users)}   # seat order ≠ user order
    for u in users:
        a.login(u, u, seats[u], ["11"], 0)
    ready_since: dict[str, float] = {}
    state = dict.fromkeys(users, "busy")
    queue: list[str] = []
    now, n = 0, 0
    for op, i in operations:
        now += 1 if op != "call" else 0
        u = users[i]
        if op == "ready":
            if state[u] == "ringing":
                assert code(a.ready, u, now) == "bad_state"
                continue
            a.ready(u, now)
            if state[u] == "busy":
                ready_since[u] = now
                state[u] = "ready"
                if queue:
                    cid = queue.pop(0)
                    assert a.agents[u].call_id == cid
                    state[u] = "ringing"
                    del ready_since[u]
        elif op == "busy":
            a.busy(u, None, now)
            if state[u] == "ready":
                state[u] = "busy"
                del ready_since[u]
        else:
            n += 1
            c, _ = a.inbound(f"1{n:010d}", "4006", "11", now)
            if ready_since:
                expected = min(ready_since, key=lambda v: (ready_since[v], int(seats[v])))
                assert c.user == expected
                state[expected] = "ringing"
                del ready_since[expected]
            elif len(queue) >= 5:                       # group 11's max_queue
                assert c.state == "ended" and c.end_cause == "rejected"
            else:
                assert c.state == "queued"
                queue.append(c.call_id)
        assert {v for v in users if a.agents[v].state == "ready"} == set(ready_since)


# -- more paths (second mutation run) ----------------------------------------------------------
def test_default_grace_period_is_30_seconds():
    a = Acd({"11": GroupConfig("11")})
    a.login("1", "x", "8001", ["11"], 0)
    a.disconnect("1", 0)
    a.tick(29.9)
    assert "1" in a.agents
    a.tick(30)
    assert "1" not in a.agents


def test_grace_expiry_while_talking_ends_the_call_then():
    a = acd(grace_s=30)
    setup_agents(a)
    c = talking(a)
    a.disconnect("1002", 12)
    fx = a.tick(42)
    assert (c.end_cause, c.ended_at) == ("answered", 42) and ("ended", c) in fx
    logged_out = [ag for k, ag in fx if k == "agent"][-1]
    assert (logged_out.state, logged_out.since, logged_out.call_id) == ("logged_out", 42, None)


@pytest.mark.parametrize("seat_x, seat_y", [
    ("A1", "9999"),  # a non-numeric seat ranks after every numeric one
    ("1000", "900"),  # numeric seats tie-break by number, not as text
])
def test_ready_ties_go_to_the_lower_ranked_seat(seat_x, seat_y):
    a = acd()
    a.login("x", "x", seat_x, ["11"], 0)
    a.login("y", "y", seat_y, ["11"], 0)
    a.ready("x", 1)
    a.ready("y", 1)
    c, _ = a.inbound("1", "4006", "11", 2)
    assert c.user == "y"


def test_excluded_agent_at_the_top_does_not_hide_the_next_one():
    a = acd()
    for u, seat in (("A", "1"), ("B", "2"), ("C", "3")):
        a.login(u, u, seat, ["11"], 0)
    a.ready("A", 1)
    a.ready("B", 2)
    c, _ = a.inbound("1", "4006", "11", 3)
    assert c.user == "A"
    a.tick(23)                                    # A lets it ring out: to B
    assert c.user == "B"
    a.ready("A", 24)                              # A ready again, ahead of C
    a.ready("C", 25)
    a.tick(43)                                    # B lets it ring out: A is skipped, C gets it
    assert c.user == "C"
    c2, _ = a.inbound("2", "4006", "11", 44)      # A is still in the heap
    assert c2.user == "A"


def test_agent_who_let_the_first_queued_call_ring_out_takes_the_next():
    a = acd()
    a.login("A", "a", "1", ["11"], 0)
    a.ready("A", 0)
    c1, _ = a.inbound("1", "4006", "11", 1)
    c2, _ = a.inbound("2", "4006", "11", 2)
    a.tick(21)                                    # c1 rings out: back at the head
    assert list(a.queues["11"]) == [c1.call_id, c2.call_id]
    fx = a.ready("A", 22)
    assert ringing(fx) == [(c2.call_id, "A")] and list(a.queues["11"]) == [c1.call_id]


def test_wrapup_end_takes_a_queued_call():
    a = acd()
    a.login("1001", "a", "8001", ["21"], 0)
    a.ready("1001", 0)
    c = talking(a, "1001", 1)
    q, fx = a.inbound("2", "4006", "21", 3)
    assert q.state == "queued" and ("queue", "21") in fx
    a.hangup("1001", c.call_id, 4)
    fx = a.tick(9)
    assert ringing(fx) == [(q.call_id, "1001")] and q.offered_at == 9 and q.ring_deadline == 24


def test_one_second_wrapup_and_groups_dropped_by_configure():
    a = Acd({"1": GroupConfig("1", wrapup_s=1), "2": GroupConfig("2", wrapup_s=5)})
    a.login("a", "a", "1", ["1"], 0)
    a.ready("a", 0)
    c, _ = a.inbound("1", "4006", "1", 1)
    a.answer("a", c.call_id, 1)
    a.hangup("a", c.call_id, 2)
    assert a.agents["a"].state == "wrapup" and a.next_deadline() == 3
    a.login("b", "b", "2", ["2"], 0)
    a.login("b2", "b2", "3", ["2"], 0)
    a.ready("b", 3)
    a.ready("b2", 4)
    c2, _ = a.inbound("2", "4006", "2", 5)
    a.configure({"1": GroupConfig("1", wrapup_s=1)}, set())   # group 2 goes
    a.tick(20)                                    # b lets it ring out: b2, default timeout
    assert (c2.user, c2.ring_deadline) == ("b2", 35)
    a.answer("b2", c2.call_id, 21)
    a.hangup("b2", c2.call_id, 22)                # no group of b2's left: no wrap-up
    assert a.agents["b2"].state == "ready"


def test_abandon_while_ringing_puts_the_agent_back_to_ready_without_wrapup():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    fx = a.caller_hangup(c.call_id, 12)
    assert (c.end_cause, c.ended_at) == ("abandoned", 12)
    ag = a.agents["1002"]
    assert (ag.state, ag.since, ag.call_id) == ("ready", 12, None)
    q, _ = a.inbound("2", "4006", "11", 13)
    fx = a.caller_hangup(q.call_id, 14)
    assert ("queue", "11") in fx and q.end_cause == "abandoned"


def test_rejected_call_ends_when_it_arrives():
    a = acd()
    for i in range(3):
        c, _ = a.inbound(str(i), "4006", "21", 10 + i)
    assert (c.end_cause, c.ended_at) == ("rejected", 12)


def test_busy_and_ready_from_wrapup():
    a = acd()
    setup_agents(a)
    c = talking(a)
    a.hangup("1002", c.call_id, 20)
    a.busy("1002", "break", 21)
    assert (a.agents["1002"].state, a.agents["1002"].since) == ("busy", 21)
    c = talking(a, "1003", 22)
    a.hangup("1003", c.call_id, 23)
    a.ready("1003", 24)
    assert (a.agents["1003"].state, a.agents["1003"].wrapup_until) == ("ready", None)


def test_answer_and_hold_effects_and_transfer_while_held():
    a = acd()
    setup_agents(a)
    c, _ = a.inbound("1", "4006", "21", 10)
    fx = a.answer("1002", c.call_id, 11)
    assert fx[-1] == ("answered", c) and a.agents["1002"].since == 11
    assert a.hold("1002", c.call_id, True, 12) == [("held", c)] and c.state == "held"
    assert a.hold("1002", c.call_id, False, 13) == [("resumed", c)] and c.state == "talking"
    a.hold("1002", c.call_id, True, 14)
    fx = a.transfer("1002", c.call_id, {"number": "138"}, 15)
    assert (c.end_cause, c.ended_at) == ("transferred", 15)
    assert c.public(iso)["answered_at"] == "T11" and c.public(iso)["ended_at"] == "T15"


def test_dialled_call_record_and_far_answer_state():
    a = acd()
    a.login("1001", "a", "8001", ["11"], 0)
    out, fx = a.dial("1001", "13800000005", "4006", 3)
    assert ("agent", a.agents["1001"]) in fx
    p = out.public(iso)
    assert (p["dialed"], p["seat"], p["user"], p["queued_at"], p["state"]) == \
        ("13800000005", "8001", "1001", "T3", "ringing")
    assert out.offered_at == 3
    a.far_answer(out.call_id, 4)
    assert out.state == "talking" and a.agents["1001"].since == 4
    a.hold("1001", out.call_id, True, 5)
    assert out.state == "held"


def test_queue_status_counts_talking_and_rounds_the_wait():
    a = acd()
    setup_agents(a)
    talking(a)
    q, _ = a.inbound("2", "4006", "11", 14)
    assert a.queue_status("21", 20)["talking"] == 1
    assert a.queue_status("11", 20.25)["longest_wait_s"] == 6.2
