"""日内排班 (intraday): every figure of a small known data set against an independent
computation over the inserted rows (minute-by-minute log-in counting, the factorial
Erlang C formula, the KPI definitions of docs/statistics.md "KPIs" written out in plain
Python), on SQLite and MariaDB."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import update

from agent_app.errors import Forbidden, ValidationError
from agent_app.services.archives import ArchiveService
from agent_app.services.reports import ReportService
from db.models import AgentStateLog, CallRecord, CtiGroup
from tests.services.conftest import operator

UTC = dt.UTC
SITE = dt.timedelta(hours=8)          # Asia/Shanghai
DAY = dt.date(2026, 11, 18)  # in the past: an agent never logged out counts to its end
WRAP = {"21": 15, "22": 5}            # the groups' configured wrap-up


def utc(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    """A site-time clock reading as the UTC datetime stored."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC) - SITE


# (id, queued site time, group, answered, wait_s, talk_s, end cause, internal)
D2, D3, D1 = DAY, DAY + dt.timedelta(days=1), DAY - dt.timedelta(days=1)
CALLS = [
    ("c01", utc(D2, 0, 10), "21", True, 4, 100, "answered", False),   # 11-17 16:10 UTC
    ("c02", utc(D2, 9, 5), "21", True, 12, 200, "answered", False),
    ("c03", utc(D2, 9, 14), "21", True, 25, 150, "answered", False),  # answered late
    ("c04", utc(D2, 9, 20), "21", False, 3, None, "abandoned", False),  # short abandon
    ("c05", utc(D2, 9, 29, 59), "21", False, 40, None, "abandoned", False),
    ("c06", utc(D2, 9, 31), "22", True, 2, 90, "answered", False),
    ("c07", utc(D2, 9, 45), "21", True, 20, 300, "answered", False),  # exactly on target
    ("c08", utc(D2, 9, 50), "21", True, 1, 60, "answered", True),     # internal: left out
    ("c09", utc(D2, 10, 40), "21", False, 0, None, "rejected", False),
    ("c10", utc(D2, 23, 55), "21", True, 5, 400, "answered", False),  # ends after midnight
    ("c11", utc(D3, 0, 5), "21", True, 8, 120, "answered", False),    # 11-18 16:05 UTC
    ("c12", utc(D1, 23, 59), "21", True, 8, 120, "answered", False),  # the day before
    ("c13", utc(D3, 9, 10), "21", True, 30, 240, "answered", False),
    ("c14", utc(D2, 10, 5), "21", False, 5, None, "abandoned", False),  # 5 s: short (≤)
    ("c15", utc(D2, 10, 10), "21", True, 15, 100, "answered", False),   # rings 7 s more
]
# seconds an answered call rang after its queue wait (wait_s): the KPIs count the wait
# from queueing to answering, ringing included, so c15 (15 + 7 s) misses a 20 s target
RING = {"c15": 7}


def times(call):
    """(answered_at, ended_at) of a call as stored."""
    cid, queued, _g, answered, wait, talk, _cause, _internal = call
    answered_at = queued + dt.timedelta(seconds=wait + RING.get(cid, 0)) if answered else None
    return answered_at, (answered_at or queued) + dt.timedelta(seconds=talk or wait)
# (agent, site time, state, groups)
LOGS = [
    ("1001", utc(D1, 23, 30), "ready", "21"),         # logged in across midnight
    ("1001", utc(D2, 0, 45), "logged_out", ""),
    ("1002", utc(D2, 9, 10), "ready", "21,22"),
    ("1002", utc(D2, 9, 40), "talking", "21,22"),     # still logged in
    ("1002", utc(D2, 10, 20), "busy", "21,22"),
    ("1002", utc(D2, 10, 50), "logged_out", ""),
    ("1003", utc(D2, 9, 0), "ready", "22"),
    ("1003", utc(D2, 11, 0), "logged_out", ""),
    ("1003", utc(D2, 11, 5), "logged_out", ""),       # a second logout changes nothing
    ("1003", utc(D2, 13, 10), "busy", "22"),          # logs in again (busy: still staffed)
    ("1003", utc(D2, 13, 40), "logged_out", ""),
    ("1004", utc(D2, 23, 40), "ready", "21"),         # never logs out: to the period's end
    ("1005", utc(D1, 8, 0), "ready", "21"),           # a whole earlier session
    ("1005", utc(D1, 9, 0), "logged_out", ""),
]


def _load(db, calls=CALLS, logs=LOGS, wrapups=()):
    with db.transaction() as s:
        for number, seconds in WRAP.items():
            s.execute(update(CtiGroup).where(CtiGroup.number == number).values(wrapup_s=seconds))
        for call in calls:
            cid, queued, group, answered, wait, talk, cause, internal = call
            answered_at, ended_at = times(call)
            s.add(CallRecord(call_id=cid, direction="in", caller="13800000000", dialed="4006000000",
                             group_number=group, queued_at=queued, answered_at=answered_at,
                             offered_at=answered_at, wait_s=wait, talk_s=talk, end_cause=cause,
                             ended_at=ended_at, internal=internal))
        for agent, at, state, groups in logs:
            s.add(AgentStateLog(at=at, agent_login=agent, state=state, groups=groups))
        for agent, at, state, cid in wrapups:
            s.add(AgentStateLog(at=at, agent_login=agent, state=state, groups="22", call_id=cid))


# -- the independent computation --------------------------------------------------------


def erlang_c_agents(calls: float, interval_s: int, aht: float, target: float, goal: float) -> int:
    a = calls * aht / interval_s
    n = math.floor(a) + 1
    while True:
        top = a ** n / math.factorial(n) * n / (n - a)
        pw = top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)
        if 1 - pw * math.exp(-(n - a) * target / aht) >= goal:
            return n
        n += 1


def logged_in(logs, agent_minute: dt.datetime, group) -> int:
    """Agents logged in (to `group`) at a UTC instant, read off the log directly."""
    count = 0
    for agent in {row[0] for row in logs}:
        before = [r for r in logs if r[0] == agent and r[1] <= agent_minute]
        if before:
            last = max(before, key=lambda r: r[1])
            if last[2] != "logged_out" and (group is None or group in last[3].split(",")):
                count += 1
    return count


def expected(date_from, date_to, width=30, goal=0.8, group=None, target=20, short=5,
             abandons=True, calls=CALLS, logs=LOGS, wrap_by_call=None):
    days = (date_to - date_from).days + 1
    start, end = utc(date_from, 0, 0), utc(date_to + dt.timedelta(days=1), 0, 0)
    slots: dict[int, dict] = {}

    def slot_of(t: dt.datetime) -> int:
        local = t + SITE
        m = local.hour * 60 + local.minute
        return m - m % width

    for call in calls:
        cid, queued, g, answered, wait, talk, cause, internal = call
        if internal or not start <= queued < end or (group and g != group):
            continue
        answered_at, ended_at = times(call)
        r = slots.setdefault(slot_of(queued), dict(offered=0, answered=0, handle=0.0,
                                                   within=0, base=0))
        r["offered"] += 1
        # service level (KPIs): answered within the target of queueing ÷ (answered +
        # abandoned that were not short abandons, i.e. gave up after more than
        # short_abandon_s), or ÷ answered alone when abandons do not count
        if cause == "abandoned" and abandons:
            r["base"] += (ended_at - queued).total_seconds() > short
        if answered:
            r["answered"] += 1
            r["base"] += 1
            wrap = wrap_by_call.get(cid, 0) if wrap_by_call is not None else WRAP[g]
            r["handle"] += talk + wrap
            r["within"] += (answered_at - queued).total_seconds() <= target
    # staffed: sample the log at each minute's middle (the data change on whole minutes)
    staffed: dict[int, float] = {}
    t = start
    while t < end:
        n = logged_in(logs, t + dt.timedelta(seconds=30), group)
        if n:
            staffed[slot_of(t)] = staffed.get(slot_of(t), 0) + n / (width * days)
        t += dt.timedelta(minutes=1)
    answered_all = sum(r["answered"] for r in slots.values())
    aht_all = sum(r["handle"] for r in slots.values()) / answered_all
    out = {}
    for m in sorted(set(slots) | set(staffed)):
        r = slots.get(m, dict(offered=0, answered=0, handle=0.0, within=0, base=0))
        aht = r["handle"] / r["answered"] if r["answered"] else aht_all
        per_day = r["offered"] / days
        needed = erlang_c_agents(per_day, width * 60, aht, target, goal) if per_day else 0
        on = staffed.get(m, 0.0)
        out[f"{m // 60:02d}:{m % 60:02d}-{(m + width) // 60 % 24:02d}:{(m + width) % 60:02d}"] = \
            dict(offered=per_day, aht_s=aht, needed=needed, staffed=on, gap=on - needed,
                 service_level=r["within"] / r["base"] if r["base"] else 0.0)
    return out


def _compare(result, want):
    got = {r.interval: r for r in result.rows}
    assert list(got) == list(want)  # the same slots, in time order
    for label, w in want.items():
        r = got[label]
        assert r.needed == w["needed"], label
        for key in ("offered", "aht_s", "staffed", "gap", "service_level"):
            # rel: SQLite's julianday differences are exact to ~40 µs
            assert r[key] == pytest.approx(w[key], rel=1e-7, abs=1e-6), (label, key)


@pytest.fixture
def reports(database):
    return ReportService(database)


def test_one_day_half_hours(database, superadmin, reports):
    _load(database)
    result = reports.run(superadmin, "intraday", DAY, DAY)
    want = expected(DAY, DAY)
    _compare(result, want)
    rows = {r.interval: r for r in result.rows}
    # the reasons the data set was built: site time, not UTC
    assert rows["00:00-00:30"].offered == 1       # 11-17 16:10 UTC is 11-18 00:10
    assert rows["00:00-00:30"].staffed == 1.0     # 1001's log-in from the evening before
    assert rows["00:30-01:00"].staffed == pytest.approx(0.5)
    assert rows["23:30-00:00"].offered == 1       # c10 counts on the day it was queued
    assert rows["23:30-00:00"].staffed == pytest.approx(20 / 30)   # 1004 from 23:40 on
    assert rows["09:00-09:30"].offered == 4       # c08 (internal) left out
    assert rows["09:00-09:30"].service_level == pytest.approx(1 / 3)  # c02 of c02, c03, c05
    assert rows["09:30-10:00"].service_level == 1.0  # wait 20 s is within 20 s
    # c14 gave up after exactly 5 s (short, left out); c15 waited 22 s with ringing
    assert rows["10:00-10:30"].service_level == 0.0
    assert rows["10:30-11:00"].service_level == 0.0   # c09 rejected: neither in nor out
    assert "08:00-08:30" not in rows              # 1005's session was the day before
    total = result.total
    day_calls = [c for c in CALLS if utc(DAY, 0, 0) <= c[1] < utc(D3, 0, 0) and not c[7]]
    assert total.offered == len(day_calls) == 11
    # the period's service level from its summed figures, not the slots' average
    answered_at = {c[0]: times(c)[0] for c in day_calls}
    within = sum(1 for c in day_calls if c[3] and (answered_at[c[0]] - c[1]).total_seconds() <= 20)
    abandoned = [c for c in day_calls if c[6] == "abandoned"]
    long_abandons = sum(1 for c in abandoned if (times(c)[1] - c[1]).total_seconds() > 5)
    answered_n = sum(1 for c in day_calls if c[3])
    assert total.service_level == pytest.approx(within / (answered_n + long_abandons))
    answered = [c for c in day_calls if c[3]]
    assert total.aht_s == pytest.approx(sum(c[5] + WRAP[c[2]] for c in answered) / len(answered))


def test_agrees_with_kpi_intervals(database, superadmin, reports):
    """The same calls, the same definitions: intraday's service level per slot is
    kpi-intervals' for that half hour of the day."""
    _load(database)
    ArchiveService(database).set_settings(superadmin, {"short_abandon_s": "3"})
    intraday = {r.interval[:5]: r for r in reports.run(superadmin, "intraday", DAY, DAY).rows}
    kpis = reports.run(superadmin, "kpi-intervals", DAY, DAY, params={"interval": "30"})
    with_calls = {r.interval[-5:]: r for r in kpis.rows if r.offered}
    assert with_calls and set(with_calls) <= set(intraday)
    for hhmm, k in with_calls.items():
        assert intraday[hhmm].offered == k.offered, hhmm
        assert intraday[hhmm].service_level == pytest.approx(k.service_level), hhmm
    assert reports.run(superadmin, "intraday", DAY, DAY).total.service_level == \
        pytest.approx(kpis.total.service_level)


def test_period_is_an_average_day_and_params(database, superadmin, reports):
    _load(database)
    for width, goal in ((15, 85), (60, 90)):
        result = reports.run(superadmin, "intraday", DAY, D3,
                             params={"interval": str(width), "goal": str(goal)})
        _compare(result, expected(DAY, D3, width=width, goal=goal / 100))


def test_group_and_settings(database, superadmin, reports):
    _load(database)
    # a 30 s target, and abandoned calls left out of the service level
    ArchiveService(database).set_settings(superadmin, {"service_level_s": "30",
                                                        "service_level_abandons": "0"})
    for group in ("21", "22"):
        result = reports.run(superadmin, "intraday", DAY, DAY, group=group)
        _compare(result, expected(DAY, DAY, group=group, target=30, abandons=False))
    rows = {r.interval: r for r in reports.run(superadmin, "intraday", DAY, DAY).rows}
    assert rows["09:00-09:30"].service_level == pytest.approx(1.0)  # c02, c03 in 30 s


def test_logged_wrapup_replaces_the_configured_one(database, superadmin, reports):
    # 1003 (logged in 09:00-11:00 all along) wraps up c02 for 45 s and c03 for 10 s
    wrapups = [("1003", utc(D2, 9, 8, 32), "wrapup", "c02"),
               ("1003", utc(D2, 9, 9, 17), "ready", None),
               ("1003", utc(D2, 9, 16, 55), "wrapup", "c03"),
               ("1003", utc(D2, 9, 17, 5), "ready", None)]
    _load(database, wrapups=wrapups)
    logs = LOGS + [(a, t, st, "22") for a, t, st, _c in wrapups]
    result = reports.run(superadmin, "intraday", DAY, DAY)
    _compare(result, expected(DAY, DAY, logs=logs, wrap_by_call={"c02": 45, "c03": 10}))
    nine = {r.interval: r for r in result.rows}["09:00-09:30"]
    assert nine.aht_s == pytest.approx((200 + 45 + 150 + 10) / 2, rel=1e-7)


def test_empty_day_and_permission(database, superadmin, reports):
    assert reports.run(superadmin, "intraday", DAY, DAY).rows == []
    plain = operator(database, superadmin, "1009", "孙丽")
    with pytest.raises(Forbidden):
        reports.run(plain, "intraday", DAY, DAY)
    with pytest.raises(ValidationError) as err:
        reports.run(superadmin, "intraday", DAY, DAY, params={"interval": "20"})
    assert err.value.field == "interval"
    with pytest.raises(ValidationError) as err:
        reports.run(superadmin, "intraday", DAY, DAY, params={"goal": "95"})
    assert err.value.field == "goal"
