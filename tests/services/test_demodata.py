"""Demo data: deterministic, internally consistent, and usable by the services."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from agent_app.demodata import AlreadyLoaded, ensure_demo_database, load, logins_table
from agent_app.demodata import generate as g
from agent_app.phones import normalise
from agent_app.search_text import name_initials, search_grams
from agent_app.services.accounts import AccountService
from agent_app.services.search_stats import count_grams
from db.engine import Database
from db.initials import initials_keys
from db.models import (
    AgentStateLog,
    CallRecord,
    CtiGroup,
    Customer,
    CustomerInitialsKey,
    CustomerPhone,
    DispatchFeedback,
    Employee,
    OrderEvent,
    OrderLine,
    Placement,
    PrintLog,
    SalesOrder,
    SearchGramStat,
)


def _snapshot(db: Database):
    with db.reading() as s:
        customers = s.execute(select(Customer.registration_no, Customer.name, Customer.mobile,
                                     Customer.address).order_by(Customer.id).limit(50)).all()
        orders = s.execute(select(SalesOrder.order_no, SalesOrder.total, SalesOrder.status)
                           .order_by(SalesOrder.id).limit(50)).all()
        # not `at`: the generated times follow the moment of loading
        states = s.execute(select(AgentStateLog.agent_login,
                                  AgentStateLog.state, AgentStateLog.reason,
                                  AgentStateLog.call_id).order_by(AgentStateLog.id)).all()
    return customers, orders, states


@pytest.fixture
def loaded(db_url):
    load(db_url, "small", seed=7)
    db = Database.open(db_url)
    yield db
    db.dispose()


def test_rows_are_consistent(loaded):
    db = loaded
    with db.reading() as s:
        customers = list(s.scalars(select(Customer)))
        assert len(customers) == 300
        phone_rows = {p.phone: p.customer_id for p in s.scalars(select(CustomerPhone))}
        for c in customers:
            assert c.mobile == normalise(c.mobile) and re.fullmatch(r"1[3-9]\d{9}", c.mobile)
            assert phone_rows[c.mobile] == c.id
            if c.landline:
                assert phone_rows[c.landline] == c.id and c.landline.startswith("0")
            assert c.name_initials == name_initials(c.name)
            assert sorted(s.scalars(select(CustomerInitialsKey.initials).where(
                CustomerInitialsKey.customer_id == c.id))) == sorted(
                    initials_keys(c.name_initials))
            assert c.search_grams == search_grams(c.address, c.end_user_name,
                                                  c.end_user_school, c.remark)
            login = s.get(Employee, c.registered_by_id).login
            assert re.fullmatch(rf"\d{{8}}{login.zfill(6)}\d{{4}}", c.registration_no)
        assert len({c.registration_no for c in customers}) == 300
        # the loader's token counts are what agent-admin search-stats would count
        stored = dict(s.execute(select(SearchGramStat.gram, SearchGramStat.docs)).all())
        n, counts = count_grams(c.search_grams for c in customers)
        assert stored == {"": n, **counts}
        # order_state: 0 no live order, 1 live orders but none confirmed, 2 a confirmed
        # live order (cancelled and voided ones do not count, as the services say)
        for c in customers:
            confirmed = s.scalars(select(SalesOrder.confirmed).where(
                SalesOrder.customer_id == c.id,
                SalesOrder.status.not_in(("cancelled", "voided")))).all()
            want = 0 if not confirmed else 2 if any(confirmed) else 1
            assert c.order_state == want, c.id
        orders = list(s.scalars(select(SalesOrder)))
        assert len(orders) == 420 and len({o.order_no for o in orders}) == 420
        for o in orders:
            assert re.fullmatch(r"\d{10}", o.order_no)
            lines = s.scalars(select(OrderLine).where(OrderLine.order_id == o.id)).all()
            assert isinstance(o.total, Decimal)
            assert o.total == sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0"))
            # logistics' states come from the services (the loader replays them): each
            # with the rows and the history those write
            actions = [e.action for e in s.scalars(select(OrderEvent).where(
                OrderEvent.order_id == o.id).order_by(OrderEvent.at, OrderEvent.id))]
            fed = s.scalar(select(DispatchFeedback).where(DispatchFeedback.order_id == o.id))
            printed = s.scalar(select(func.count()).select_from(PrintLog).where(
                PrintLog.order_id == o.id))
            if o.status in ("accepted", "voided", "in_transit"):
                assert o.confirmed and o.waybill_no and o.printed_at and printed == 1
                assert actions[:4] == ["create", "confirm", "waybill", "print"], actions
            if o.feedback_state == "accepted":
                assert fed is not None and fed.actor_login == "3001" and "feedback" in actions
                assert (fed.result, o.status) in (("delivered", "accepted"), ("returned", "voided"))
            else:
                assert fed is None
            if o.status == "voided" and fed is None:
                assert actions[-1] == "void"
            if o.status == "cancelled":
                assert actions[-1] == "cancel" and o.cancel_reason
        statuses = {o.status for o in orders}
        assert statuses == {"not_sent", "in_transit", "accepted", "voided", "cancelled"}
        assert s.scalar(select(func.count()).select_from(CallRecord)) == 900
        # every placement slot of today exists, so a demo call always finds its advert
        assert s.scalar(select(func.count()).select_from(Placement)) >= 48 * 60


def test_same_seed_same_data(db_url, tmp_path, monkeypatch):
    # both loads at one moment: the generated times follow the moment of loading, and a
    # few seconds between two loads move a call across an hour that the 08:00-22:00
    # clamp treats differently, so which calls an agent's state log keeps (it leaves out
    # overlapping ones) could differ (it did once in a fresh-clone run)
    from agent_app.demodata import loader

    moment = loader.now_shanghai()
    monkeypatch.setattr(loader, "now_shanghai", lambda: moment)
    load(db_url, "small", seed=3)
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    load(other, "small", seed=3)
    a, b = Database.open(db_url), Database.open(other)
    try:
        assert _snapshot(a) == _snapshot(b)
    finally:
        a.dispose()
        b.dispose()


def test_printed_logins_work(loaded):
    accounts = AccountService(loaded)
    for login, _name, _dept, role, password in logins_table()[:4]:
        actor = accounts.authenticate(login, password).actor
        assert actor.role == role


def test_refuses_a_database_with_customers(loaded):
    with pytest.raises(AlreadyLoaded) as e:
        load(loaded.url, "small", seed=1)
    assert "300" in str(e.value)
    with loaded.reading() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 300


def test_ensure_demo_database_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = ensure_demo_database(url)
    second = ensure_demo_database(url)
    assert first == second and len(first.callers) == 20
    db = Database.open(url)
    assert AccountService(db).authenticate(first.agent_login, first.agent_password)
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 300
    db.dispose()


def test_demo_agent_has_missed_calls_to_call_back(loaded):
    """未接分配 in the demo: the demo agent finds missed calls of the last days allocated to
    them (the 未接来电 list's default range is the last seven days), not yet called back."""
    import datetime as dt

    from agent_app.demodata import DEMO_AGENT, demo_password
    from agent_app.services.calls import CallService

    agent = AccountService(loaded).authenticate(DEMO_AGENT, demo_password(DEMO_AGENT)).actor
    end = dt.datetime.now().astimezone()
    rows = CallService(loaded).missed(agent, start=end - dt.timedelta(days=7), end=end)
    assert len(rows) >= 3
    assert {(r.assigned_to_login, r.handled, r.direction, r.answered_at) for r in rows} == {
        (DEMO_AGENT, False, "in", None)}
    assert all(r.caller for r in rows)
    with loaded.reading() as s:  # nobody else's list was touched
        others = s.scalar(select(func.count()).select_from(CallRecord).where(
            CallRecord.assigned_to_id.is_not(None), CallRecord.assigned_to_id != agent.id))
    assert others == 0


SITE = dt.timezone(dt.timedelta(hours=8))
# what may follow each state in agent-ctid's log
NEXT = {"busy": {"ready"}, "ready": {"ringing", "talking", "busy", "logged_out"},
        "ringing": {"talking", "busy"}, "talking": {"wrapup"}, "wrapup": {"ready"}}


def test_agent_states_follow_the_calls(loaded):
    """agent_state_log: per agent and site day one shift (login busy → ready … logged_out),
    rows strictly in time order with valid transitions, and every answered call of the agent
    in it (ringing at offered_at for inbound, talking at answered_at, wrap-up at ended_at,
    ready after the group's wrap-up) — unless it overlaps a call or a break kept before it."""
    with loaded.reading() as s:
        log = s.execute(select(AgentStateLog.agent_login, AgentStateLog.at, AgentStateLog.state,
                               AgentStateLog.reason, AgentStateLog.call_id, AgentStateLog.seat,
                               AgentStateLog.groups)
                        .order_by(AgentStateLog.agent_login, AgentStateLog.at,
                                  AgentStateLog.id)).all()
        calls = s.execute(select(CallRecord.call_id, CallRecord.agent_login,
                                 CallRecord.direction, CallRecord.queued_at,
                                 CallRecord.offered_at, CallRecord.answered_at,
                                 CallRecord.ended_at)
                          .where(CallRecord.agent_login.is_not(None),
                                 CallRecord.answered_at.is_not(None))).all()
        wrapup = dict(s.execute(select(CtiGroup.number, CtiGroup.wrapup_s)).all())
        call_days = {r.astimezone(SITE).date() for r in s.scalars(select(CallRecord.queued_at))}
    by_agent: dict[str, list] = {}
    for row in log:
        by_agent.setdefault(row.agent_login, []).append(row)
    assert len(by_agent) == 9  # every demo agent with an ACD group
    talked = {}
    for login, rows in by_agent.items():
        assert len({(r.seat, r.groups) for r in rows}) == 1 and rows[0].seat
        shifts: list[list] = [[]]
        for prev, cur in zip(rows, rows[1:], strict=False):
            assert cur.at > prev.at, (login, prev, cur)
        for r in rows:
            shifts[-1].append(r)
            if r.state == "logged_out":
                shifts.append([])
        assert shifts.pop() == []  # the last row is a logout
        days = [sh[0].at.astimezone(SITE).date() for sh in shifts]
        assert sorted(days) == sorted(call_days)  # one shift per site day
        for sh in shifts:
            assert [(r.state, r.reason) for r in sh[:2]] == [("busy", ""), ("ready", "")]
            assert sh[0].at.astimezone(SITE).time() < dt.time(8)
            assert sh[-1].at.astimezone(SITE).time() >= dt.time(23)
            assert {r.reason for r in sh if r.state == "busy"} <= {"", "meal", "rest", "no_answer"}
            assert sum(r.reason == "meal" for r in sh) == 1
            for prev, cur in zip(sh, sh[1:], strict=False):
                assert cur.state in NEXT[prev.state], (login, prev, cur)
                if prev.state in ("ringing", "talking", "wrapup"):
                    assert cur.call_id == prev.call_id  # one call's rows, unbroken
        wrap = dt.timedelta(seconds=wrapup[rows[0].groups])
        for k, r in enumerate(rows):
            if r.state == "talking":
                talked[r.call_id] = (login, r.at, rows[k + 1].at, rows[k + 2].at - rows[k + 1].at,
                                     rows[k - 1].at if rows[k - 1].state == "ringing" else None)
                assert rows[k + 2].at - rows[k + 1].at in (wrap, wrap + dt.timedelta(seconds=1))
    spans = {}  # per agent: what the log shows them busy with (calls and breaks)
    for login, rows in by_agent.items():
        spans[login] = [(a.at, b.at) for a, b in zip(rows, rows[1:], strict=False)
                        if a.state in ("ringing", "talking", "wrapup", "busy")]
    missing = 0
    for c in calls:
        if c.call_id in talked:
            login, talk_at, wrap_at, _w, ring_at = talked[c.call_id]
            assert (login, talk_at, wrap_at) == (c.agent_login, c.answered_at, c.ended_at)
            assert ring_at == (c.offered_at if c.direction == "in" else None)
        else:  # left out: the agent was busy with another call or on a break then
            missing += 1
            start = c.offered_at if c.direction == "in" else c.queued_at
            end = c.ended_at + dt.timedelta(seconds=15 + 3)  # wrap-up, the gap kept between
            assert any(a < end and start < b + dt.timedelta(seconds=3)
                       for a, b in spans[c.agent_login]), c.call_id
    assert len(talked) == len(calls) - missing and missing <= len(calls) // 20


def _call(n: int, direction: str, login: str | None, queued: dt.datetime, cause: str,
          talk_s: float = 100.0) -> tuple:
    """A call row in the generator's storage form (CALL_COLUMNS; naive UTC)."""
    offered = queued + dt.timedelta(seconds=4)
    answered = offered + dt.timedelta(seconds=2) if cause == "answered" else None
    ended = answered + dt.timedelta(seconds=talk_s) if answered else offered
    row = dict.fromkeys(g.CALL_COLUMNS)
    row.update(call_id=f"D{n:012d}", direction=direction, agent_login=login,
               group_number="21" if direction == "in" else None, queued_at=queued,
               offered_at=offered, answered_at=answered, ended_at=ended, end_cause=cause)
    return tuple(row[c] for c in g.CALL_COLUMNS)


def test_state_log_leaves_out_overlapping_calls_and_makes_room_for_breaks():
    """A day busier than one agent can take (a call every 60 s, 100 s each, no gap for a
    break): the log keeps a valid sequence — calls that start before the agent is ready
    again are left out, the breaks take their time from the calls they cover — and the
    same seed gives the same rows."""
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=SITE)
    world = SimpleNamespace(sellers=[(1, "1001")], callback_agents=[(2, "2001")], now=now)
    cti = g.CtiTimes(wrapup_s={"21": 10, "11": 15}, ring_timeout_s={"21": 15, "11": 20})
    day0 = dt.datetime(2026, 3, 9, 0, 0)  # 08:00 site time, naive UTC
    rows = []
    for k in range(14 * 60):
        n, at = 2 * k + 1, day0 + dt.timedelta(seconds=60 * k)  # odd: calls() deals n to 1001
        if k % 7 == 0:
            rows.append(_call(n, "out", "1001", at, "answered"))
        elif k % 5 == 0:  # rang 1001, nobody answered: the record names no agent
            rows.append(_call(n, "in", None, at, "no_answer"))
        else:
            rows.append(_call(n, "in", "1001", at, "answered"))
    made = []
    for _ in range(2):
        log = g.StateLog(world, {"1001": "8001", "2001": "8002"},
                         {"1001": ("21",), "2001": ("11",)}, cti, seed=5)
        for r in rows:
            log.take(r)
        assert log.rows() == []  # the latest day stays open until told it is the last
        made.append(log.rows(final=True))
    assert made[0] == made[1]
    mine = [r for r in made[0] if r[1] == "1001"]
    other = [r for r in made[0] if r[1] == "2001"]
    # 2001 had no call: a shift with breaks only
    assert [r[3] for r in other[:2]] == ["busy", "ready"] and other[-1][3] == "logged_out"
    assert {r[3] for r in other} == {"busy", "ready", "logged_out"}
    ats = [r[0] for r in mine]
    assert ats == sorted(ats) and len(set(ats)) == len(ats)
    states = [(r[3], r[4]) for r in mine]
    for a, b in zip(states, states[1:], strict=False):
        assert b[0] in NEXT[a[0]], (a, b)
    assert ("busy", "meal") in states and ("busy", "no_answer") in states
    meal = next(k for k, st in enumerate(states) if st == ("busy", "meal"))
    assert mine[meal + 1][0] - mine[meal][0] >= dt.timedelta(minutes=20)
    talked = {r[6] for r in mine if r[3] == "talking"}
    answered = [r for r in rows if r[9] is not None]
    assert 0 < len(talked) < len(answered) / 2  # most overlap the previous call
    by_id = {r[0]: r for r in rows}
    for r in mine:
        if r[3] == "talking":
            assert r[0] == by_id[r[6]][9]  # at the call's answered_at
