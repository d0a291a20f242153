"""员工通话统计, 客户资料数统计, 资料分配利用率统计 (agent_app/reports/people.py) and the
period helpers they stand on (agent_app/reports/period.py), on SQLite and MariaDB.

Every figure is compared with a plain-Python count over the rows the test inserted: the
site day comes from zoneinfo, weeks from date.isocalendar(), never from the report code.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agent_app.errors import Forbidden, ValidationError
from agent_app.reports.period import bounds, bucket, local_day, local_minute, period_of, slot_label
from agent_app.services.base import Actor
from agent_app.services.reports import ReportService
from db.enums import Role
from db.models import CallRecord, Contact, Customer, Department, Employee, Region, SalesOrder

SITE = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def site(*args) -> dt.datetime:
    """A site (Shanghai) wall time as the UTC instant stored."""
    return dt.datetime(*args, tzinfo=SITE).astimezone(UTC)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def site_day(at: dt.datetime) -> dt.date:
    return at.astimezone(SITE).date()


def label(day: dt.date, grain: str) -> str:
    """The period label, computed without agent_app.reports.period."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year}Q{(day.month + 2) // 3}"
    return str(day.year)


# -- period.py ------------------------------------------------------------------------------
def test_bucket_labels_and_first_days():
    # 2027-01-01 is a Friday of ISO week 2026-W53, whose Monday is 2026-12-28
    assert bucket(dt.date(2027, 1, 1), "week") == ("2026-W53", dt.date(2026, 12, 28))
    assert bucket(dt.date(2026, 12, 31), "week") == ("2026-W53", dt.date(2026, 12, 28))
    assert bucket(dt.date(2026, 12, 27), "week") == ("2026-W52", dt.date(2026, 12, 21))
    assert bucket(dt.date(2026, 1, 1), "week") == ("2026-W01", dt.date(2025, 12, 29))
    assert bucket(dt.date(2026, 11, 30), "quarter") == ("2026Q4", dt.date(2026, 10, 1))
    assert bucket(dt.date(2026, 9, 30), "quarter") == ("2026Q3", dt.date(2026, 7, 1))
    assert bucket(dt.date(2026, 2, 28), "month") == ("2026-02", dt.date(2026, 2, 1))
    assert bucket(dt.date(2026, 7, 4), "year") == ("2026", dt.date(2026, 1, 1))
    assert bucket(dt.date(2026, 7, 4), "day") == ("2026-07-04", dt.date(2026, 7, 4))
    with pytest.raises(ValueError):
        bucket(dt.date(2026, 7, 4), "hour")


def test_bucket_agrees_with_isocalendar_over_two_years():
    day = dt.date(2025, 12, 1)
    while day < dt.date(2027, 2, 1):
        for grain in ("day", "week", "month", "quarter", "year"):
            text, first = bucket(day, grain)
            assert text == label(day, grain)
            assert first <= day and bucket(first, grain)[0] == text
            assert bucket(first - dt.timedelta(days=1), grain)[0] != text
        day += dt.timedelta(days=1)


def test_period_of_weeks_months_quarters_years():
    # 2026 has 53 ISO weeks (it starts on a Thursday); week 53 runs into 2027
    assert period_of("week", 2026, 53) == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    assert period_of("week", 2026, 1) == (dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    # 2025 has 52: week 53 is refused, not moved into 2026
    assert dt.date(2025, 12, 28).isocalendar()[1] == 52
    with pytest.raises(ValueError):
        period_of("week", 2025, 53)
    assert period_of("month", 2028, 2) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert period_of("month", 2026, 12) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert period_of("quarter", 2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_of("quarter", 2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_of("year", 2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    for grain, bad in (("quarter", 5), ("quarter", 0), ("month", 13), ("week", 54)):
        with pytest.raises(ValueError):
            period_of(grain, 2026, bad)
    with pytest.raises(ValueError):
        period_of("day", 2026, 1)


def test_bounds_cross_utc_midnight_and_slot_labels():
    start, end = bounds(dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    assert (start, end) == (utc(2026, 11, 30, 16), utc(2026, 12, 1, 16))
    start, end = bounds(dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    assert (start, end) == (utc(2026, 12, 27, 16), utc(2027, 1, 3, 16))
    assert slot_label(8 * 60 + 45, 30) == "08:30-09:00"
    assert slot_label(23 * 60 + 59, 30) == "23:30-00:00"
    assert slot_label(0, 60) == "00:00-01:00"
    assert slot_label(10 * 60 + 14, 15) == "10:00-10:15"


def test_local_day_and_minute_in_sql(database):
    # 16:10 UTC is 00:10 on the next site day
    with database.transaction() as s:
        s.add(CallRecord(call_id="c1", direction="in", caller="1", queued_at=utc(2026, 12, 27, 16, 10)))
        s.add(CallRecord(call_id="c2", direction="in", caller="1", queued_at=utc(2026, 12, 27, 15, 59)))
    with database.reading() as s:
        got = {cid: (str(d)[:10], int(m)) for cid, d, m in s.execute(
            select(CallRecord.call_id, local_day(s, CallRecord.queued_at),
                   local_minute(s, CallRecord.queued_at)))}
    assert got == {"c1": ("2026-12-28", 10), "c2": ("2026-12-27", 23 * 60 + 59)}


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def boss() -> Actor:
    return Actor(id=0, login="boss", name="boss", role=Role.SUPERADMIN)


@pytest.fixture
def staff(database):
    """Employees 1001, 1002 (直销部) and 2001 (回访部): login → id."""
    with database.transaction() as s:
        dept = {d.name: d.id for d in s.scalars(select(Department))}
        emps = [Employee(login="1001", name="李娜", department_id=dept["直销部"], password_hash="-"),
                Employee(login="1002", name="张伟", department_id=dept["直销部"], password_hash="-"),
                Employee(login="2001", name="王芳", department_id=dept["回访部"], password_hash="-")]
        s.add_all(emps)
        s.flush()
        return {e.login: e.id for e in emps}


DEPT = {"1001": "直销部", "1002": "直销部", "2001": "回访部"}
NAME = {"1001": "李娜", "1002": "张伟", "2001": "王芳"}

# (agent, direction, queued (UTC), talk seconds or None when not answered, internal)
CALLS = [
    ("1001", "in", site(2026, 12, 31, 23, 50), 1200.0, False),  # ends 2027-01-01 00:10
    ("1001", "in", utc(2026, 12, 27, 16, 10), 95.5, False),     # site 12-28 00:10, W53
    ("1001", "in", utc(2026, 12, 27, 15, 50), None, False),     # site 12-27 23:50, W52
    ("1001", "out", site(2027, 1, 1, 9, 0), 300.0, False),      # 2026-W53, 2027-01, 2027Q1
    ("1002", "out", utc(2026, 12, 31, 15, 59), None, False),    # site 2026-12-31 23:59
    ("1002", "out", utc(2026, 12, 31, 16, 0), 42.0, False),     # site 2027-01-01 00:00
    ("1002", "in", site(2026, 10, 1, 10, 0), 60.0, False),
    ("2001", "out", site(2026, 9, 30, 23, 30), 90.0, False),    # 2026Q3
    ("2001", "in", site(2026, 11, 15, 12, 0), 30.0, True),      # internal: still their work
    ("9999", "in", site(2026, 11, 16, 12, 0), 10.0, False),     # no such employee
    (None, "in", site(2026, 11, 16, 13, 0), None, False),       # abandoned in the queue
    ("1001", "in", utc(2026, 8, 31, 15, 59), 20.0, False),      # site 08-31 23:59: before
    ("1001", "in", utc(2026, 8, 31, 16, 0), 25.0, False),       # site 09-01 00:00: first
    ("1002", "in", utc(2027, 1, 31, 16, 0), 25.0, False),       # site 02-01: after
]
FROM, TO = dt.date(2026, 9, 1), dt.date(2027, 1, 31)


@pytest.fixture
def calls(database, staff):
    with database.transaction() as s:
        for i, (agent, direction, at, talk, internal) in enumerate(CALLS):
            answered = at + dt.timedelta(seconds=5) if talk is not None else None
            ended = (answered + dt.timedelta(seconds=talk)) if answered else at + dt.timedelta(seconds=20)
            s.add(CallRecord(call_id=f"k{i}", direction=direction, caller="13900000000",
                             agent_login=agent, group_number="21" if direction == "in" else None,
                             queued_at=at, answered_at=answered, ended_at=ended, talk_s=talk,
                             end_cause="answered" if talk is not None else "no_answer",
                             internal=internal))
    return CALLS


def expected_calls(grain: str, department: str | None = None) -> dict[tuple[str, str], dict]:
    lo = dt.datetime.combine(FROM, dt.time(), SITE)
    hi = dt.datetime.combine(TO + dt.timedelta(days=1), dt.time(), SITE)
    out: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(float))
    for agent, direction, at, talk, _internal in CALLS:
        if agent is None or not lo <= at < hi:
            continue
        if department and DEPT.get(agent) != department:
            continue
        side = "inbound" if direction == "in" else "outbound"
        r = out[(label(site_day(at), grain), agent)]
        r[side] += 1
        r[f"{side}_answered"] += talk is not None
        r[f"{side}_talk_s"] += talk or 0
    return out


FIGURES = ("inbound", "inbound_answered", "outbound", "outbound_answered",
           "inbound_talk_s", "outbound_talk_s")


# -- 员工通话统计 ---------------------------------------------------------------------------
@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_employee_calls_every_grain(database, calls, boss, grain):
    result = ReportService(database).run(boss, "employee-calls", FROM, TO, {"grain": grain})
    want = expected_calls(grain)
    got = {(r.period, r.login): r for r in result.rows}
    assert set(got) == set(want)
    for key, w in want.items():
        r = got[key]
        for f in FIGURES:
            assert r[f] == pytest.approx(w.get(f, 0)), (key, f)
        assert r.name == NAME.get(key[1], "") and r.department == DEPT.get(key[1], "")
    for f in FIGURES:
        assert result.total[f] == pytest.approx(sum(w.get(f, 0) for w in want.values()))
    periods = [r.period for r in result.rows]
    assert periods == sorted(periods, key=lambda p: min(
        d for d in (FROM + dt.timedelta(days=i) for i in range((TO - FROM).days + 1))
        if label(d, grain) == p))


def test_employee_calls_midnight_and_week_53(database, calls, boss):
    svc = ReportService(database)
    week = {(r.period, r.login): r for r in svc.run(
        boss, "employee-calls", FROM, TO, {"grain": "week"}).rows}
    # the 23:50 call ending after midnight counts on 12-31, whole; the 16:10 UTC call on
    # Monday 12-28 (site), so in W53 with the out call of 2027-01-01
    assert week[("2026-W53", "1001")].inbound == 2
    assert week[("2026-W53", "1001")].inbound_talk_s == pytest.approx(1295.5)
    assert week[("2026-W53", "1001")].outbound == 1
    assert week[("2026-W52", "1001")].inbound == 1
    day = {(r.period, r.login): r for r in svc.run(
        boss, "employee-calls", dt.date(2026, 12, 31), dt.date(2027, 1, 1), {"grain": "day"}).rows}
    assert day[("2026-12-31", "1001")].inbound_talk_s == pytest.approx(1200.0)
    assert ("2027-01-01", "1001") not in day or day[("2027-01-01", "1001")].inbound == 0
    assert day[("2026-12-31", "1002")].outbound == 1
    assert day[("2027-01-01", "1002")].outbound == 1


def test_employee_calls_by_department(database, calls, boss):
    result = ReportService(database).run(boss, "employee-calls", FROM, TO, {"grain": "quarter"},
                                         group="回访部")
    want = expected_calls("quarter", "回访部")
    assert {(r.period, r.login): (r.inbound, r.outbound) for r in result.rows} == {
        k: (w.get("inbound", 0), w.get("outbound", 0)) for k, w in want.items()}
    assert ReportService(database).run(boss, "employee-calls", FROM, TO, {"grain": "year"},
                                       group="没有这个部门").rows == []


# -- 客户资料数统计 -------------------------------------------------------------------------
# (class, source, region or None, registered at)
CUSTOMERS = [
    ("A", "direct", "杭州市", utc(2026, 11, 30, 16, 0)),    # site 12-01 00:00: in December
    ("A", "callback", "杭州市", utc(2026, 11, 30, 15, 59)),  # site 11-30 23:59: on file
    ("B", "direct", "宁波市", site(2026, 12, 15, 10, 0)),
    ("C", "transfer", None, site(2026, 12, 31, 23, 59)),
    ("C", "direct", "宁波市", site(2025, 6, 1, 10, 0)),
    ("D", "direct", "宁波市", site(2024, 1, 1, 10, 0)),
    ("C", "direct", "杭州市", utc(2026, 12, 31, 16, 0)),     # site 2027-01-01: after
    ("B", "callback", None, site(2026, 12, 2, 8, 0)),
]
CLASS_ITEM = {"A": "A VIP", "B": "B Key", "C": "C Ordinary", "D": "D Dead"}
SOURCE_ITEM = {"direct": "Direct sale", "callback": "Callback", "transfer": "Transferred"}


@pytest.fixture
def customers(database, staff):
    with database.transaction() as s:
        regions = {n: Region(name=n, province="浙江") for n in ("杭州市", "宁波市", "温州市")}
        s.add_all(regions.values())
        s.flush()
        for i, (cls, source, region, at) in enumerate(CUSTOMERS):
            s.add(Customer(registration_no=f"R{i:04d}", name=f"客户{i}", customer_class=cls,
                           source=source, region_id=regions[region].id if region else None,
                           registered_at=at))


def expected_counts(by: str, lo: dt.date, hi: dt.date) -> dict[str, tuple[int, int]]:
    start = dt.datetime.combine(lo, dt.time(), SITE)
    end = dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), SITE)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cls, source, region, at in CUSTOMERS:
        if at >= end:
            continue
        item = {"class": CLASS_ITEM[cls], "source": SOURCE_ITEM[source],
                "region": region or "No region"}[by]
        out[item][1] += 1
        out[item][0] += at >= start
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("by", ["class", "source", "region"])
def test_customer_counts(database, customers, boss, by):
    lo, hi = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    result = ReportService(database).run(boss, "customer-counts", lo, hi, {"by": by})
    want = expected_counts(by, lo, hi)
    assert {r.item: (r.registered, r.on_file) for r in result.rows} == want
    on_file = sum(v[1] for v in want.values())
    for r in result.rows:
        assert r.share == pytest.approx(want[r.item][1] / on_file)
    assert (result.total.registered, result.total.on_file) == (
        sum(v[0] for v in want.values()), on_file)
    assert [c.attr for c in result.columns][0] == "item"
    chart = result.report.chart_for(result.query.params)
    assert chart.kind == ("bar" if by == "region" else "pie")


def test_customer_counts_all_groupings(database, customers, boss):
    lo, hi = dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    result = ReportService(database).run(boss, "customer-counts", lo, hi, {"by": "all"})
    assert [c.attr for c in result.columns][:2] == ["grouping", "item"]
    for by, grouping in (("class", "Class"), ("source", "Source"), ("region", "Region")):
        got = {r.item: (r.registered, r.on_file) for r in result.rows if r.grouping == grouping}
        assert got == expected_counts(by, lo, hi)
    # the total counts each customer once, not once per grouping
    want = expected_counts("class", lo, hi)
    assert (result.total.registered, result.total.on_file) == (
        sum(v[0] for v in want.values()), sum(v[1] for v in want.values()))


# -- 资料分配利用率统计 ---------------------------------------------------------------------
@pytest.fixture
def allocation(database, staff):
    """Customers with 所属人员 / 回访人员, contacts and orders: the inserted rows, for the
    independent count."""
    e = staff
    # (owner, callback agent, registered at)
    custs = [("1001", "2001", site(2026, 1, 5, 10)),
             ("1001", None, site(2026, 2, 5, 10)),
             ("1001", "1001", site(2026, 3, 5, 10)),    # both roles, one employee: once
             ("1002", "2001", site(2026, 4, 5, 10)),
             ("2001", "2001", site(2026, 5, 5, 10)),
             (None, "2001", site(2026, 6, 5, 10)),
             ("1001", "2001", site(2026, 12, 1, 10)),   # registered after the period
             ("1002", None, site(2026, 7, 5, 10))]
    # (customer index, employee, at)
    contacts = [(0, "1001", site(2026, 11, 3, 9)), (0, "1001", site(2026, 11, 4, 9)),
                (0, "2001", site(2026, 11, 5, 9)), (1, "1001", site(2026, 10, 31, 23, 59)),  # before
                (2, "1001", utc(2026, 10, 31, 16, 0)),   # site 11-01 00:00: in
                (3, "1001", site(2026, 11, 6, 9)),       # not allocated to 1001
                (4, "2001", site(2026, 11, 30, 23, 59)), (5, "2001", site(2026, 11, 7, 9)),
                (6, "1001", site(2026, 12, 2, 9))]
    # (customer index, seller, at, status)
    orders = [(0, "1001", site(2026, 11, 10, 9), "not_sent"),
              (0, "1001", site(2026, 11, 11, 9), "accepted"),
              (1, "1001", site(2026, 11, 12, 9), "cancelled"),
              (2, "1001", site(2026, 11, 13, 9), "voided"),
              (3, "1002", site(2026, 11, 14, 9), "in_transit"),
              (4, "2001", site(2026, 11, 15, 9), "not_sent"),
              (5, "1002", site(2026, 11, 16, 9), "not_sent"),   # 1002 is not its agent
              (7, "1002", site(2026, 12, 1, 0, 1), "not_sent")]  # after the period
    with database.transaction() as s:
        ids = []
        for i, (owner, cb, at) in enumerate(custs):
            c = Customer(registration_no=f"A{i:04d}", name=f"客户{i}", registered_at=at,
                         owner_id=e[owner] if owner else None,
                         callback_agent_id=e[cb] if cb else None)
            s.add(c)
            s.flush()
            ids.append(c.id)
        for ci, who, at in contacts:
            s.add(Contact(customer_id=ids[ci], employee_id=e[who], at=at, channel="call_out"))
        for n, (ci, who, at, status) in enumerate(orders):
            s.add(SalesOrder(order_no=f"O{n:07d}", customer_id=ids[ci], employee_id=e[who],
                             created_at=at, status=status, total=Decimal("100")))
    return custs, contacts, orders


def expected_allocation(data, role: str, lo: dt.date, hi: dt.date, department=None):
    custs, contacts, orders = data
    start = dt.datetime.combine(lo, dt.time(), SITE)
    end = dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), SITE)

    def allocated(i: int, who: str) -> bool:
        owner, cb, at = custs[i]
        if at >= end:
            return False
        return {"owner": owner == who, "callback": cb == who,
                "any": who in (owner, cb)}[role]

    out = {}
    for who in ("1001", "1002", "2001"):
        if department and DEPT[who] != department:
            continue
        a = sum(allocated(i, who) for i in range(len(custs)))
        c = len({i for i, w, at in contacts if w == who and start <= at < end and allocated(i, who)})
        o = len({i for i, w, at, st in orders if w == who and start <= at < end
                 and st not in ("cancelled", "voided") and allocated(i, who)})
        if a or c or o:
            out[who] = (a, c, o)
    return out


@pytest.mark.parametrize("role", ["any", "owner", "callback"])
def test_allocation_use(database, allocation, boss, role):
    lo, hi = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    result = ReportService(database).run(boss, "allocation-use", lo, hi, {"role": role})
    want = expected_allocation(allocation, role, lo, hi)
    assert {r.login: (r.allocated, r.contacted, r.ordered) for r in result.rows} == want
    for r in result.rows:
        a, c, o = want[r.login]
        assert r.contact_rate == pytest.approx(c / a if a else 0)
        assert r.order_rate == pytest.approx(o / a if a else 0)
        assert r.department == DEPT[r.login] and r.name == NAME[r.login]
    a, c, o = (sum(v[i] for v in want.values()) for i in range(3))
    assert (result.total.allocated, result.total.contacted, result.total.ordered) == (a, c, o)
    assert result.total.contact_rate == pytest.approx(c / a)


def test_allocation_use_by_department(database, allocation, boss):
    lo, hi = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    result = ReportService(database).run(boss, "allocation-use", lo, hi, {"role": "any"},
                                         group="直销部")
    want = expected_allocation(allocation, "any", lo, hi, "直销部")
    assert {r.login: (r.allocated, r.contacted, r.ordered) for r in result.rows} == want
    assert set(want) == {"1001", "1002"}


# -- input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params", "group", "field"), [
    ("employee-calls", {"grain": "hour"}, None, "grain"),
    ("employee-calls", {"by": "class"}, None, "by"),
    ("customer-counts", {"by": "colour"}, None, "by"),
    ("customer-counts", {"by": "class"}, "直销部", "group"),
    ("allocation-use", {"role": "boss"}, None, "role"),
])
def test_bad_input_names_the_field(database, boss, name, params, group, field):
    with pytest.raises(ValidationError) as err:
        ReportService(database).run(boss, name, FROM, TO, params, group)
    assert err.value.field == field


def test_statistics_permission_needed(database):
    clerk = Actor(id=5, login="5", name="clerk", role=Role.OPERATOR)
    for name in ("employee-calls", "customer-counts", "allocation-use"):
        with pytest.raises(Forbidden):
            ReportService(database).run(clerk, name, FROM, TO)


def test_class_and_source_cells_are_translated_in_the_table(database, customers, boss):
    result = ReportService(database).run(boss, "customer-counts", dt.date(2026, 12, 1),
                                         dt.date(2026, 12, 31), {"by": "all"})
    cols, rows = result.table(lambda text: f"«{text}»")
    assert cols[0] == ("«Grouping»", "text") and cols[2] == ("«Registered in period»", "int")
    assert ("«Class»", "«A VIP»") in [r[:2] for r in rows]
    assert ("«Region»", "«No region»") in [r[:2] for r in rows]
    assert all(isinstance(r[2], int) for r in rows)
