"""ReportService, the one path to every report (the desk's windows and agent-admin report):
who may run what, the checks on the period, params and group, and the Excel file with
its audit row. The figures of daily-calls are compared with a count of the inserted rows
on both back ends: a call near UTC midnight belongs to the site's next day, internal
calls never count, and the grains roll days up into ISO weeks and quarters."""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

import openpyxl
import pytest
from sqlalchemy import select, text

from agent_app.errors import Forbidden, NotFound, TooSlow, ValidationError
from agent_app.reports import REPORTS, Col, ReportDef, Row
from agent_app.reports.period import bucket
from agent_app.services.accounts import AccountService
from agent_app.services.reports import ReportService
from db.enums import Permission, Role
from db.models import AuditLog, CallRecord

UTC = dt.UTC
SITE = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def people(database, superadmin):
    accounts = AccountService(database)
    made = {}
    for login, perms in (("1101", set()), ("1102", {Permission.STATISTICS}),
                         ("1103", {Permission.STATISTICS, Permission.EXPORT})):
        accounts.add_employee(superadmin, login=login, name=f"员工{login}", role=Role.OPERATOR,
                              password="pass1234", must_change_password=False,
                              permissions=perms)
        made[login] = accounts.authenticate(login, "pass1234").actor
    return made


CALLS = [  # (queued_at UTC, answered, internal, group, talk)
    (dt.datetime(2026, 3, 29, 15, 59), True, False, "21", 30),   # site 03-29 23:59 (Sun, W13)
    (dt.datetime(2026, 3, 29, 16, 0), True, False, "21", 60),    # site 03-30 00:00 (Mon, W14)
    (dt.datetime(2026, 3, 30, 2, 0), False, False, "22", None),  # site 03-30 10:00 abandoned
    (dt.datetime(2026, 3, 31, 15, 50), True, False, "21", 900),  # 03-31 23:50, ends 04-01
    (dt.datetime(2026, 3, 31, 16, 10), True, False, "21", 40),   # site 04-01 (Q2)
    (dt.datetime(2026, 3, 31, 16, 20), True, True, "21", 40),    # internal: never counted
    (dt.datetime(2026, 4, 2, 1, 0), False, False, "21", None),   # 04-02 abandoned
]


def _calls(db) -> None:
    with db.transaction() as s:
        for n, (at, answered, internal, group, talk) in enumerate(CALLS):
            s.add(CallRecord(call_id=f"c{n}", direction="in", caller="13900000000",
                             dialed="4006000000", group_number=group, internal=internal,
                             queued_at=at.replace(tzinfo=UTC),
                             answered_at=at.replace(tzinfo=UTC) if answered else None,
                             ended_at=(at + dt.timedelta(seconds=talk or 5)).replace(tzinfo=UTC),
                             talk_s=talk, end_cause="answered" if answered else "abandoned"))


def _expected(grain: str, group: str | None = None) -> dict[str, tuple]:
    """The same figures, counted from CALLS in plain Python."""
    acc: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    for at, answered, internal, g, talk in CALLS:
        if internal or (group and g != group):
            continue
        label, _ = bucket(at.replace(tzinfo=UTC).astimezone(SITE).date(), grain)
        a = acc[label]
        a[0] += 1
        a[1] += answered
        a[2] += not answered
        a[3] += talk or 0
    return {k: tuple(v) for k, v in acc.items()}


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_daily_calls_count_the_inserted_calls(database, people, grain):
    _calls(database)
    result = ReportService(database).run(people["1102"], "daily-calls", dt.date(2026, 3, 1),
                                         dt.date(2026, 4, 30), {"grain": grain})
    got = {r.period: (r.inbound, r.answered, r.abandoned, r.talk_s) for r in result.rows}
    assert got == _expected(grain)
    assert [r.period for r in result.rows] == sorted(got)  # in time order
    total = result.total
    assert (total.inbound, total.answered) == (6, 4)
    assert total.answer_rate == pytest.approx(4 / 6)
    assert total.average_talk_s == pytest.approx((30 + 60 + 900 + 40) / 4)


def test_the_site_day_and_the_group(database, people):
    _calls(database)
    svc = ReportService(database)
    days = svc.run(people["1102"], "daily-calls", dt.date(2026, 3, 30), dt.date(2026, 3, 31))
    # 03-29 23:59 site is outside, 03-30 00:00 inside; 04-01 00:10 outside
    assert {r.period: r.inbound for r in days.rows} == {"2026-03-30": 2, "2026-03-31": 1}
    weeks = svc.run(people["1102"], "daily-calls", dt.date(2026, 3, 1), dt.date(2026, 4, 30),
                    {"grain": "week"}, group="21")
    assert {r.period: r.inbound for r in weeks.rows} == {
        k: v[0] for k, v in _expected("week", "21").items()}
    assert {r.period for r in weeks.rows} == {"2026-W13", "2026-W14"}


def test_who_may_run_a_report(database, people):
    svc = ReportService(database)
    day = dt.date(2026, 3, 1)
    with pytest.raises(Forbidden):
        svc.run(people["1101"], "daily-calls", day, day)
    with pytest.raises(Forbidden):
        svc.run(None, "daily-calls", day, day)
    with pytest.raises(NotFound):
        svc.run(people["1102"], "no-such-report", day, day)
    assert "daily-calls" not in [r.name for r in svc.reports(people["1101"])]
    assert "daily-calls" in [r.name for r in svc.reports(people["1102"])]


@pytest.mark.parametrize(("args", "field"), [
    ((dt.date(2026, 3, 2), dt.date(2026, 3, 1), {}, None), "date_to"),
    ((dt.date(2023, 1, 1), dt.date(2026, 3, 1), {}, None), "date_from"),
    ((dt.date(2026, 3, 1), dt.date(2026, 3, 2), {"grain": "hour"}, None), "grain"),
    ((dt.date(2026, 3, 1), dt.date(2026, 3, 2), {"colour": "red"}, None), "colour"),
    ((dt.date(2026, 3, 1), dt.date(2026, 3, 2), {}, "x" * 65), "group"),
])
def test_bad_input_is_refused_with_its_field(database, people, args, field):
    with pytest.raises(ValidationError) as e:
        ReportService(database).run(people["1102"], "daily-calls", *args)
    assert e.value.field == field


@pytest.fixture
def groupless():
    defn = ReportDef("test-groupless", "Groupless", (Col("n", "N", "int"),),
                     lambda s, q: [Row(n=1)])
    REPORTS[defn.name] = defn
    yield defn
    del REPORTS[defn.name]


def test_a_group_for_a_report_without_one_is_refused(database, people, groupless):
    svc = ReportService(database)
    day = dt.date(2026, 3, 1)
    assert svc.run(people["1102"], "test-groupless", day, day).rows == [{"n": 1}]
    with pytest.raises(ValidationError) as e:
        svc.run(people["1102"], "test-groupless", day, day, group="21")
    assert e.value.field == "group"


def _busy(s, rows: int) -> None:
    """A statement that runs for a while on either back end: SLEEP(rows / 1e6) on MySQL,
    SQLite counting `rows` (2 to 4 million a second on these machines)."""
    if s.connection().dialect.name == "mysql":
        s.execute(text(f"SELECT SLEEP({rows / 1e6})"))
    else:
        s.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                       f"WHERE i < {rows}) SELECT count(*) FROM n"))


@pytest.fixture
def slow():
    defn = ReportDef("test-slow", "Slow", (Col("n", "N", "int"),),
                     lambda s, q: _busy(s, 20_000_000) or [Row(n=1)])
    REPORTS[defn.name] = defn
    yield defn
    del REPORTS[defn.name]


def test_a_report_past_the_time_limit_is_stopped_and_says_so(database, people, slow):
    """The server stops the statement (not the driver's read timeout, which reads as
    'Cannot reach the database'), the user is told to choose a shorter period, and the
    pooled connection the report used carries no limit into the next user's work."""
    day = dt.date(2026, 3, 1)
    started = time.monotonic()
    with pytest.raises(TooSlow) as e:
        ReportService(database, time_limit_s=0.3).run(people["1102"], "test-slow", day, day)
    assert time.monotonic() - started < 5
    assert str(e.value) == ("The report took longer than 0.3 seconds and was stopped. "
                            "Choose a shorter period or one group, then run it again.")
    mysql = database.engine.dialect.name == "mysql"
    for _ in range(3 if mysql else 1):  # whichever pooled connection comes next
        with database.reading() as s:
            started = time.monotonic()
            if mysql:
                assert s.execute(text("SELECT @@session.max_statement_time")).scalar() == \
                    s.execute(text("SELECT @@global.max_statement_time")).scalar()
            _busy(s, 600_000 if mysql else 4_000_000)
            assert time.monotonic() - started > 0.3  # longer than the limit: not stopped


@pytest.fixture
def broken_stream():
    """A report that streams its rows from the server (as 销售出库导出 does: an unbuffered
    cursor on MySQL) and fails after the first: the rest are still unread on the
    connection when the time limit is put back."""
    def compute(s, q):
        many = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 900) SELECT a.i, b.i FROM n a CROSS JOIN n b")
        for _row in s.execute(many.execution_options(yield_per=100)):
            raise RuntimeError("the fold failed")
        return []
    defn = ReportDef("test-broken-stream", "Broken", (Col("n", "N", "int"),), compute)
    REPORTS[defn.name] = defn
    yield defn
    del REPORTS[defn.name]


def test_a_report_failing_mid_stream_leaves_the_pool_clean(database, people, broken_stream):
    """810,000 rows left unread on the connection: the limit is still put back (or the
    connection dropped), and the next user's work runs unlimited on a working connection."""
    day = dt.date(2026, 3, 1)
    with pytest.raises(RuntimeError, match="the fold failed"):
        ReportService(database, time_limit_s=0.3).run(people["1102"], "test-broken-stream",
                                                      day, day)
    mysql = database.engine.dialect.name == "mysql"
    for _ in range(3 if mysql else 1):
        with database.reading() as s:
            if mysql:
                assert s.execute(text("SELECT @@session.max_statement_time")).scalar() == \
                    s.execute(text("SELECT @@global.max_statement_time")).scalar()
            started = time.monotonic()
            _busy(s, 600_000 if mysql else 4_000_000)
            assert time.monotonic() - started > 0.3
    assert ReportService(database).run(people["1102"], "daily-calls", day, day,
                                       {"grain": "day"}).rows == []


def _audit(db) -> list[tuple]:
    with db.reading() as s:
        return [(a.actor_login, a.target, a.detail) for a in
                s.scalars(select(AuditLog).where(AuditLog.action == "export"))]


def test_excel_with_and_without_the_title_row_and_its_audit(database, people, tmp_path):
    _calls(database)
    svc = ReportService(database)
    result = svc.run(people["1103"], "daily-calls", dt.date(2026, 3, 1), dt.date(2026, 4, 30),
                     {"grain": "month"})
    with pytest.raises(Forbidden):  # 统计 without 导出: no file, no audit row
        svc.write_xlsx(people["1102"], result, tmp_path / "no.xlsx")
    assert not (tmp_path / "no.xlsx").exists() and _audit(database) == []

    assert svc.write_xlsx(people["1103"], result, tmp_path / "t.xlsx") == 2
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Daily calls 2026-03-01—2026-04-30"
    assert rows[1][:3] == ("Period", "Inbound", "Answered")
    assert [r[:4] for r in rows[2:]] == [("2026-03", 4, 3, 1), ("2026-04", 2, 1, 1)]

    svc.write_xlsx(people["1103"], result, tmp_path / "plain.xlsx", title_row=False)
    plain = list(openpyxl.load_workbook(tmp_path / "plain.xlsx").active.iter_rows(values_only=True))
    assert plain[0][:2] == ("Period", "Inbound") and plain[1:] == rows[2:]
    assert _audit(database) == [
        ("1103", "daily-calls", {"rows": 2, "file": "t.xlsx", "period": "2026-03-01..2026-04-30"}),
        ("1103", "daily-calls", {"rows": 2, "file": "plain.xlsx",
                                 "period": "2026-03-01..2026-04-30"})]
