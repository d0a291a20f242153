"""The KPI reports (agent_app/reports/kpi.py) against an independent computation over the
rows the test inserts, on SQLite and MariaDB; unit tests of the pure KPI functions."""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import pytest
from sqlalchemy import select

from agent_app.cli.identity import SHELL
from agent_app.errors import ValidationError
from agent_app.reports.kpi import (
    Figures,
    KpiSettings,
    LiveTally,
    abandon_rate,
    aht,
    asa,
    conversion,
    occupancy,
    service_level,
)
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.reports import ReportService
from db.enums import Role
from db.models import AgentStateLog, CallRecord, Customer, Employee, SalesOrder

UTC = dt.UTC
SITE = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 11, 2)


def site(h, m, s=0, day=DAY):
    return dt.datetime.combine(day, dt.time(h, m, s), SITE).astimezone(UTC)


# (queued at, direction, internal, group, agent, answered after s, ended after s, cause)
CALLS = [
    (site(10, 0), "in", False, "21", "1001", 3, 63, "answered"),
    (site(10, 5), "in", False, "21", None, None, 5, "abandoned"),      # short: exactly 5 s
    (site(10, 10), "in", False, "21", None, None, 6, "abandoned"),     # not short: 6 s
    (site(10, 14, 59), "in", False, "22", "1002", 25, 125, "answered"),  # outside SL
    (site(10, 15), "in", False, "21", "1001", 20, 50, "answered"),     # :15, SL exactly 20 s
    (site(10, 29, 59), "in", False, "21", "1001", None, 30, "abandoned"),
    (site(10, 30), "in", False, "22", "1002", 1, 11, "answered"),      # :30
    (site(10, 1), "in", True, "21", "1001", 2, 40, "answered"),        # internal: out
    (site(10, 2), "out", False, None, "1001", 4, 44, "answered"),      # outbound: out
    (site(10, 20), "in", False, "21", None, None, 1, "rejected"),      # offered only
    (site(0, 0), "in", False, "21", "1001", 2, 12, "answered"),        # 16:00 UTC the day before
    (site(23, 59, 59, DAY - dt.timedelta(days=1)), "in", False, "21", "1001", 2, 12,
     "answered"),                                                      # the day before: out
    (site(11, 0), "in", False, "21", "1002", 120, 130, "answered"),    # 120 s: last bucket
    (site(11, 10), "in", False, "21", "1002", 130, 140, "answered"),   # 120 s+
]
# (agent, at, state, reason, groups)
STATES = [
    ("1001", site(23, 0, 0, DAY - dt.timedelta(days=1)), "ready", "", "21"),  # open at start
    ("1001", site(0, 0, 30), "ringing", "", "21"),
    ("1001", site(0, 0, 32), "talking", "", "21"),
    ("1001", site(0, 1), "wrapup", "", "21"),
    ("1001", site(0, 1, 10), "ready", "", "21"),
    ("1001", site(10, 14, 50), "wrapup", "", "21"),                   # across :15
    ("1001", site(10, 15, 10), "busy", "no_answer", "21"),
    ("1001", site(10, 16), "ready", "", "21"),
    ("1002", site(10, 0), "busy", "lunch", "21,22"),                  # no row before
    ("1002", site(10, 10), "busy", "", "21,22"),
    ("1002", site(10, 20), "ready", "", "21,22"),
    ("1002", site(10, 44, 30), "wrapup", "", "21,22"),                # across :45
    ("1002", site(10, 45, 30), "ready", "", "21,22"),
    ("1002", site(11, 0), "logged_out", "logout", "21,22"),
    ("1003", site(9, 0, 0, DAY - dt.timedelta(days=1)), "logged_out", "logout", "21"),
]
# (seller, created at, status)
ORDERS = [("1001", site(10, 5), "not_sent"), ("1001", site(10, 6), "cancelled"),
          ("1001", site(10, 20), "in_transit"), ("1002", site(10, 31), "voided"),
          ("1002", site(10, 32), "accepted")]


@pytest.fixture
def kpi_db(database, superadmin):
    accounts = AccountService(database)
    for login, name in (("1001", "李娜"), ("1002", "张伟"), ("1003", "刘芳")):
        accounts.add_employee(SHELL, login=login, name=name, role=Role.OPERATOR,
                              password="secret99", must_change_password=False)
    with database.transaction() as s:
        ids = dict(s.execute(select(Employee.login, Employee.id)).all())
        for n, (q, d, internal, g, agent, ans, end, cause) in enumerate(CALLS):
            s.add(CallRecord(
                call_id=f"C{n}", direction=d, caller=f"1380000{n:04d}", dialed="4006000000",
                agent_login=agent, group_number=g, queued_at=q, internal=internal,
                offered_at=q, answered_at=q + dt.timedelta(seconds=ans) if ans is not None
                else None, ended_at=q + dt.timedelta(seconds=end), end_cause=cause,
                talk_s=float(end - ans) if ans is not None else 0.0))
        for agent, at, state, reason, groups in STATES:
            s.add(AgentStateLog(at=at, agent_login=agent, seat="8" + agent[1:], state=state,
                                reason=reason, groups=groups))
        c = Customer(registration_no="R1", name="王芳", updated_by_login="t")
        s.add(c)
        s.flush()
        for n, (seller, at, status) in enumerate(ORDERS):
            s.add(SalesOrder(order_no=f"261102{n:04d}", customer_id=c.id,
                             employee_id=ids[seller], created_at=at, status=status))
    return database


def run(database, actor, name, params, group=None, day=DAY):
    return ReportService(database).run(actor, name, day, day, params, group)


# -- the independent computation ------------------------------------------------------------------
def oracle_spans(day=DAY):
    """(agent, state, reason, groups, start, end) spans within the site day, by a plain sweep."""
    start, end = site(0, 0, 0, day), site(0, 0, 0, day + dt.timedelta(days=1))
    out = []
    by_agent = defaultdict(list)
    for r in STATES:
        by_agent[r[0]].append(r)
    for agent, rows in by_agent.items():
        rows.sort(key=lambda r: r[1])
        before = [r for r in rows if r[1] < start]
        current = before[-1] if before else (agent, start, "logged_out", "", "")
        for r in [r for r in rows if start <= r[1] < end] + [None]:
            until = r[1] if r else end
            since = max(current[1], start)
            if until > since:
                out.append((agent, current[2], current[3], current[4], since, until))
            current = r
    return out


def oracle_intervals(width_min, by, group=None, st=None):
    st = st or KpiSettings()
    start = site(0, 0)
    width = width_min * 60
    fig = defaultdict(lambda: defaultdict(float))

    def key_of(agent, g):
        return {"all": "", "group": g or "", "agent": agent or ""}[by]
    for q, d, internal, g, agent, ans, end, cause in CALLS:
        if d != "in" or internal or not (start <= q < start + dt.timedelta(days=1)):
            continue
        if group and g != group:
            continue
        f = fig[(int((q - start).total_seconds() // width), key_of(agent, g))]
        f["offered"] += 1
        if ans is not None:
            f["answered"] += 1
            f["wait"] += ans
            f["talk"] += end - ans
            f["in_sl"] += ans <= st.service_level_s
        if cause == "abandoned":
            f["abandoned"] += 1
            f["short"] += end <= st.short_abandon_s
    if by != "group" and not group:
        for seller, at, status in ORDERS:
            if status not in ("cancelled", "voided"):
                fig[(int((at - start).total_seconds() // width), key_of(seller, None))][
                    "orders"] += 1
    for agent, state, _reason, groups, a, b in oracle_spans():
        if state not in ("ready", "wrapup") or (group and group not in groups.split(",")):
            continue
        t = a
        while t < b:
            i = int((t - start).total_seconds() // width)
            cut = min(b, start + dt.timedelta(seconds=(i + 1) * width))
            keys = [g for g in groups.split(",") if not group or g == group] \
                if by == "group" else [key_of(agent, None)]
            for k in keys:
                fig[(i, k)][state] += (cut - t).total_seconds()
            t = cut
    out = {}
    for (i, k), f in fig.items():
        sl_base = f["answered"] + ((f["abandoned"] - f["short"]) if st.service_level_abandons
                                   else 0)
        handle = f["talk"] + f["wrapup"]
        out[(i, k)] = {
            "offered": f["offered"], "answered": f["answered"], "abandoned": f["abandoned"],
            "short_abandoned": f["short"],
            "service_level": f["in_sl"] / sl_base if sl_base else 0.0,
            "abandon_rate": (f["abandoned"] - f["short"]) / (f["offered"] - f["short"])
            if f["offered"] - f["short"] else 0.0,
            "asa_s": f["wait"] / f["answered"] if f["answered"] else 0.0,
            "aht_s": handle / f["answered"] if f["answered"] else 0.0,
            "wrapup_s": f["wrapup"], "ready_s": f["ready"],
            "occupancy": handle / (handle + f["ready"]) if handle + f["ready"] else 0.0,
            "orders": f["orders"],
            "conversion": f["orders"] / f["answered"] if f["answered"] else 0.0}
    return out


def _same(got_rows, want, width):
    start_local = dt.datetime.combine(DAY, dt.time())
    got = {}
    for r in got_rows:
        at = dt.datetime.strptime(r.interval, "%Y-%m-%d %H:%M")
        got[(int((at - start_local).total_seconds() // (width * 60)), r.key)] = r
    assert set(got) == set(want)
    for k, w in want.items():
        for name, value in w.items():
            assert math.isclose(got[k][name], value, abs_tol=1e-6), (k, name, got[k][name], value)


# -- reports --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "by"), [(15, "all"), (30, "agent"), (60, "group"),
                                           (15, "group")])
def test_kpi_intervals_match_an_independent_computation(kpi_db, superadmin, width, by):
    result = run(kpi_db, superadmin, "kpi-intervals", {"interval": str(width), "by": by})
    _same(result.rows, oracle_intervals(width, by), width)


def test_boundaries_short_abandons_and_service_level_with_and_without_abandons(
        kpi_db, superadmin):
    rows = {r.interval[11:]: r for r in run(kpi_db, superadmin, "kpi-intervals",
                                            {"interval": "15", "by": "all"}).rows}
    # 10:00-10:15: the 5-s abandon is short, the 6-s one is not; the call at 10:14:59 is in it
    r = rows["10:00"]
    assert (r.offered, r.answered, r.abandoned, r.short_abandoned) == (4, 2, 2, 1)
    assert math.isclose(r.service_level, 1 / 3)  # 3 s in SL, 25 s not; the 6-s abandon counts
    # the call queued at 10:15:00 belongs to 10:15, answered at exactly 20 s: within SL
    assert (rows["10:15"].offered, rows["10:15"].answered) == (3, 1)
    assert rows["10:30"].offered == 1 and "10:45" in rows  # 1002's wrap-up across 10:45
    ArchiveService(kpi_db).set_settings(superadmin, {"service_level_abandons": "0",
                                                     "short_abandon_s": "6"})
    rows = {r.interval[11:]: r for r in run(kpi_db, superadmin, "kpi-intervals",
                                            {"interval": "15", "by": "all"}).rows}
    assert rows["10:00"].short_abandoned == 2 and math.isclose(rows["10:00"].service_level, 0.5)
    _same(run(kpi_db, superadmin, "kpi-intervals", {"interval": "15", "by": "all"}).rows,
          oracle_intervals(15, "all", st=KpiSettings(6, 20, False)), 15)


def test_kpi_intervals_group_filter(kpi_db, superadmin):
    result = run(kpi_db, superadmin, "kpi-intervals", {"interval": "30", "by": "all"},
                 group="22")
    _same(result.rows, oracle_intervals(30, "all", group="22"), 30)
    total = result.total
    assert total.offered == 2 and total.answered == 2


def test_kpi_intervals_limit_the_period(kpi_db, superadmin):
    with pytest.raises(ValidationError) as e:
        ReportService(kpi_db).run(superadmin, "kpi-intervals", DAY, DAY + dt.timedelta(days=31),
                                  {"interval": "60", "by": "all"})
    assert e.value.field == "date_from"


def test_hold_time_histogram(kpi_db, superadmin):
    rows = run(kpi_db, superadmin, "hold-time", {}).rows
    want = defaultdict(lambda: [0, 0])
    start = site(0, 0)
    for q, d, internal, _g, _a, ans, end, cause in CALLS:
        if d != "in" or internal or not (start <= q < start + dt.timedelta(days=1)):
            continue
        if ans is None and cause != "abandoned":
            continue
        wait = ans if ans is not None else end
        b = min(24, max(0, math.ceil(wait / 5) - 1))
        want[b][0 if ans is not None else 1] += 1
    assert len(rows) == 25 and rows[0].bucket == "0-5" and rows[-1].bucket == "120+"
    assert [(r.answered, r.abandoned) for r in rows] == [tuple(want[b]) for b in range(25)]


@pytest.mark.parametrize("detail", ["states", "busy-reasons"])
def test_agent_states_with_a_state_open_across_the_start(kpi_db, superadmin, detail):
    rows = run(kpi_db, superadmin, "agent-states", {"detail": detail}).rows
    want = defaultdict(float)
    for agent, state, reason, _g, a, b in oracle_spans():
        want[(agent, state, reason if state == "busy" else "")] += (b - a).total_seconds()
    if detail == "states":
        got = {r.agent: r for r in rows}
        assert set(got) == {"1001", "1002", "1003"}
        for agent in got:
            for state in ("ready", "busy", "ringing", "talking", "wrapup", "logged_out"):
                expected = sum(v for (a, s, _r), v in want.items() if a == agent and s == state)
                assert math.isclose(got[agent][f"{state}_s"], expected), (agent, state)
            assert got[agent].total_s == 86400
        # 1001 was ready from the day before: its first 30 s are ready time
        assert got["1001"].logged_out_s == 0 and got["1003"].logged_out_s == 86400
        assert got["1002"].logged_out_s == 10 * 3600 + 13 * 3600  # before 10:00, after 11:00
    else:
        got = {(r.agent, r.reason): r.busy_s for r in rows}
        assert got == {(a, r): v for (a, s, r), v in want.items() if s == "busy"}


def test_kpi_reports_need_statistics(kpi_db):
    from agent_app.errors import Forbidden
    accounts = AccountService(kpi_db)
    op = accounts.authenticate("1001", "secret99").actor
    for name in ("kpi-intervals", "hold-time", "agent-states"):
        with pytest.raises(Forbidden):
            ReportService(kpi_db).run(op, name, DAY, DAY)


# -- the definitions ------------------------------------------------------------------------------
def test_service_level_with_and_without_abandons():
    f = Figures(offered=10, answered=6, abandoned=3, short_abandoned=1, answered_in_sl=4)
    assert service_level(f, KpiSettings(5, 20, True)) == 4 / (6 + 2)
    assert service_level(f, KpiSettings(5, 20, False)) == 4 / 6
    assert service_level(Figures(), KpiSettings()) == 0.0


def test_rates_and_averages():
    f = Figures(offered=10, answered=4, abandoned=3, short_abandoned=1, answer_wait_s=40,
                talk_s=300, wrapup_s=60, ready_s=640, orders=2)
    assert abandon_rate(f) == 2 / 9
    assert asa(f) == 10 and aht(f) == 90  # hold not recorded: 0
    assert occupancy(f) == 360 / 1000 and conversion(f) == 0.5
    assert (asa(Figures()), aht(Figures()), occupancy(Figures()), conversion(Figures())) == \
        (0.0, 0.0, 0.0, 0.0)


def test_settings_from_system_settings():
    assert KpiSettings.of({"short_abandon_s": "3", "service_level_s": "15",
                           "service_level_abandons": "0"}) == KpiSettings(3, 15, False)
    assert KpiSettings.of({"short_abandon_s": "x"}) == KpiSettings()


def test_the_live_tally_uses_the_same_definitions():
    def call(cid, queued, answered=None, ended=None, cause="answered", **kw):
        iso = lambda x: (dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # noqa: E731
                         + dt.timedelta(seconds=x)).isoformat() if x is not None else None
        return {"call_id": cid, "direction": "in", "internal": False, "group": "21",
                "state": "ended", "queued_at": iso(queued), "answered_at": iso(answered),
                "ended_at": iso(ended), "end_cause": cause, **kw}
    t = LiveTally(KpiSettings(5, 20, True))
    assert t.note_ended(call("A", 0, 20, 80))            # answered at exactly 20 s: in SL
    assert not t.note_ended(call("A", 0, 20, 80))        # counted once
    assert t.note_ended(call("B", 0, 25, 30))            # outside SL
    assert t.note_ended(call("C", 0, None, 5, "abandoned"))   # short: exactly 5 s
    assert t.note_ended(call("D", 0, None, 6, "abandoned"))   # not short
    assert not t.note_ended(call("E", 0, 1, 9, internal=True))
    assert not t.note_ended(call("F", 0, 1, 9, direction="out"))
    k = t.kpis("21")
    f = Figures(offered=4, answered=2, abandoned=2, short_abandoned=1, answered_in_sl=1,
                answer_wait_s=45, talk_s=65)
    assert k == {**k, "offered": 4, "answered": 2, "abandoned": 2, "short_abandoned": 1}
    assert k["service_level"] == service_level(f, KpiSettings()) == 1 / 3
    assert k["asa_s"] == asa(f) == 22.5 and k["abandon_rate"] == abandon_rate(f) == 1 / 3
