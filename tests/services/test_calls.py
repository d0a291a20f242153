"""Call records: today's calls, 通话查询 filters and keyset paging, permissions, 未接来电
and 未接分配, linking a customer, 集团电话, the Excel export, and the screen-pop lookup
(SQLite and MariaDB; call records are inserted directly, as agent-ctid writes them)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from agent_app.errors import Duplicate, Forbidden, NotFound, StaleEdit, ValidationError
from agent_app.services.base import Actor
from agent_app.services.calls import CallQuery, CallService, may_edit_internal, site_day_bounds
from agent_app.services.customers import SITE_ZONE, CustomerDraft, CustomerService
from db.enums import Permission, Role
from db.models import (
    AuditLog,
    CallRecord,
    DialedNumber,
    Employee,
    InternalNumber,
    Medium,
    MobilePrefix,
    Placement,
    Product,
    Region,
    SalesOrder,
    Variety,
)
from db.seed import _load_csv

UTC = dt.UTC


def shanghai(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SITE_ZONE)


class World:
    """Employees, regions, media, hotlines and two customers; `call()` adds a record."""

    def __init__(self, db, admin: Actor) -> None:
        self.db, self.admin, self.svc = db, admin, CallService(db)
        self._n = 0
        with db.transaction() as s:
            emps = {login: Employee(login=login, name=name, role="operator", password_hash="-")
                    for login, name in (("1001", "李娜"), ("1002", "张伟"), ("1003", "刘洋"))}
            s.add_all(emps.values())
            self.hz = Region(name="杭州市", province="浙江省", area_code="0571")
            self.nj = Region(name="南京市", province="江苏省", area_code="025")
            self.js = Medium(type="电视", name="江苏卫视")
            self.zj = Medium(type="电视", name="浙江卫视")
            s.add_all([self.hz, self.nj, self.js, self.zj])
            s.flush()
            s.add_all([DialedNumber(digits="4006000000", group_number="21", medium_id=self.js.id),
                       DialedNumber(digits="4006000001", group_number="21", medium_id=self.zj.id),
                       DialedNumber(digits="4006000100", group_number="11")])
            ids = {k: e.id for k, e in emps.items()}
        self.li = Actor(ids["1001"], "1001", "李娜", Role.OPERATOR)
        self.zhang = Actor(ids["1002"], "1002", "张伟", Role.OPERATOR)
        self.boss = Actor(ids["1003"], "1003", "刘洋", Role.OPERATOR,
                          frozenset({Permission.MISSED_ALLOCATION.value}))
        cust = CustomerService(db)
        self.wang = cust.register(self.li, CustomerDraft(
            name="王建国", mobile="13800138000", region_id=self.hz.id))
        self.zhao = cust.register(self.li, CustomerDraft(
            name="赵敏", landline="02588001234", region_id=self.nj.id))

    def call(self, *, at: dt.datetime, caller: str = "13900000000", agent: str | None = "1001",
             answered: bool = True, talk: float = 60.0, **kw) -> str:
        self._n += 1
        call_id = kw.pop("call_id", f"c{self._n:04d}")
        values = dict(direction="in", caller=caller, dialed="4006000000", seat="8001",
                      agent_login=agent, group_number="21", queued_at=at,
                      answered_at=at + dt.timedelta(seconds=5) if answered else None,
                      ended_at=at + dt.timedelta(seconds=65), wait_s=5.0,
                      talk_s=talk if answered else None,
                      end_cause="answered" if answered else "abandoned",
                      medium_id=self.js.id)
        values.update(kw)
        with self.db.transaction() as s:
            s.add(CallRecord(call_id=call_id, **values))
        return call_id

    def order(self, customer_id: int, at: dt.datetime, status: str = "not_sent") -> None:
        with self.db.transaction() as s:
            self._n += 1
            s.add(SalesOrder(order_no=f"O{self._n:07d}", customer_id=customer_id, created_at=at,
                             status=status, total=Decimal("100")))


@pytest.fixture
def w(database, superadmin):
    return World(database, superadmin)


def ids(rows) -> list[str]:
    return [r.call_id for r in rows]


def query(**kw) -> CallQuery:
    kw.setdefault("start", shanghai(2026, 3, 1))
    kw.setdefault("end", shanghai(2026, 4, 1))
    return CallQuery(**kw)


# -- today --------------------------------------------------------------------------------

def test_today_is_the_agents_site_day_newest_first_with_customer_names(w):
    start, _end = site_day_bounds(dt.datetime.now(SITE_ZONE).date())
    yesterday = w.call(at=start - dt.timedelta(minutes=1))
    first = w.call(at=start + dt.timedelta(minutes=1), caller="13800138000")   # 王建国's phone
    second = w.call(at=start + dt.timedelta(minutes=2), caller="13700000000")
    w.svc.link_customer(w.li, second, w.zhao.id)                             # linked by hand
    w.call(at=start + dt.timedelta(minutes=3), agent="1002")                 # someone else's
    rows = w.svc.today(w.li)
    assert ids(rows) == [second, first] and yesterday not in ids(rows)
    assert [(r.customer_id, r.customer_name, r.region_name, r.agent_name) for r in rows] == [
        (w.zhao.id, "赵敏", "南京市", "李娜"), (w.wang.id, "王建国", "杭州市", "李娜")]
    assert rows[0].medium_name == "江苏卫视"
    with pytest.raises(Forbidden):
        w.svc.today(w.li, "1002")
    assert len(w.svc.today(w.admin, "1002")) == 1


# -- 通话查询 -------------------------------------------------------------------------------

def test_search_filters(w):
    t = shanghai(2026, 3, 10, 9)
    a = w.call(at=t, caller="13800138000", talk=30)                           # 王建国, 杭州
    b = w.call(at=t + dt.timedelta(hours=1), caller="02588001234", talk=300,  # 赵敏, 南京
               medium_id=w.zj.id, dialed="4006000001", seat="8002")
    c = w.call(at=t + dt.timedelta(hours=2), answered=False)
    d = w.call(at=t + dt.timedelta(hours=3), direction="out", caller="8001",
               dialed="13800138000", talk=120, customer_id=w.wang.id)
    w.call(at=shanghai(2026, 4, 1), talk=30)                                  # outside the range
    s = lambda **kw: ids(w.svc.search(w.admin, query(**kw)).rows)           # noqa: E731
    assert s() == [d, c, b, a]
    assert s(medium_id=w.zj.id) == [b]
    assert s(region_id=w.hz.id) == [d, a] and s(region_id=w.nj.id) == [b]
    assert s(dialed=" 4006000001 ") == [b] and s(seat="8002") == [b]
    assert s(direction="out") == [d] and s(direction="in") == [c, b, a]
    assert s(min_s=100) == [d, b] and s(max_s=100) == [a] and s(min_s=100, max_s=200) == [d]
    assert s(kind="valid") == [d, b, a] and s(kind="invalid") == [c]
    assert s(agent_login="1001") == [d, c, b, a] and s(agent_login="1002") == []
    assert s(start=t + dt.timedelta(hours=1), end=t + dt.timedelta(hours=3)) == [c, b]
    with pytest.raises(ValidationError):
        w.svc.search(w.admin, query(kind="nonsense"))


def test_sale_and_consult_use_the_site_calendar_day(w):
    # 07:30 in Shanghai is 23:30 UTC the day before: an order at 09:00 the same site day
    # is a sale although the UTC dates differ; one the next site day is not.
    early = w.call(at=shanghai(2026, 3, 10, 7, 30), caller="13800138000")
    w.order(w.wang.id, shanghai(2026, 3, 10, 9, 0))
    late = w.call(at=shanghai(2026, 3, 11, 23, 50), caller="02588001234")
    w.order(w.zhao.id, shanghai(2026, 3, 12, 0, 10))
    cancelled = w.call(at=shanghai(2026, 3, 14, 10), caller="13700000001",
                       customer_id=w.zhao.id)
    w.order(w.zhao.id, shanghai(2026, 3, 14, 11), status="cancelled")
    missed = w.call(at=shanghai(2026, 3, 10, 8), caller="13800138000", answered=False)
    sale = ids(w.svc.search(w.admin, query(kind="sale")).rows)
    consult = ids(w.svc.search(w.admin, query(kind="consult")).rows)
    assert sale == [early]
    assert consult == [cancelled, late]
    assert missed not in sale + consult


def test_keyset_paging_walks_every_row_once(w):
    t = shanghai(2026, 3, 10, 9)
    made = [w.call(at=t + dt.timedelta(minutes=k // 3)) for k in range(11)]  # ties on time
    seen, after, pages = [], None, 0
    while True:
        page = w.svc.search(w.admin, query(), page_size=4, after=after)
        seen += ids(page.rows)
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    full = ids(w.svc.search(w.admin, query(), page_size=100).rows)
    assert seen == full and sorted(seen) == sorted(made) and pages == 3
    assert w.svc.search(w.admin, query(), page_size=11).next_after is None


def test_operators_see_only_their_own_calls(w):
    t = shanghai(2026, 3, 10, 9)
    mine = w.call(at=t)
    theirs = w.call(at=t, agent="1002")
    assert ids(w.svc.search(w.li, query()).rows) == [mine]
    assert ids(w.svc.search(w.li, query(agent_login="1001")).rows) == [mine]
    with pytest.raises(Forbidden):
        w.svc.search(w.li, query(agent_login="1002"))
    assert set(ids(w.svc.search(w.admin, query()).rows)) == {mine, theirs}


# -- 未接来电 / 未接分配 --------------------------------------------------------------------

def test_missed_calls_and_allocation(w):
    t = shanghai(2026, 3, 10, 9)
    gone = w.call(at=t, answered=False, agent=None)                             # 早释
    rang = w.call(at=t + dt.timedelta(minutes=1), answered=False, end_cause="no_answer")
    w.call(at=t + dt.timedelta(minutes=2), answered=False, agent=None, internal=True,
           caller="057188000001")
    answered = w.call(at=t + dt.timedelta(minutes=3))
    w.call(at=t - dt.timedelta(days=2), answered=False, agent=None)            # before range
    rng = dict(start=t - dt.timedelta(hours=1), end=t + dt.timedelta(hours=1))
    assert ids(w.svc.missed(w.boss, **rng)) == [rang, gone]
    assert w.svc.missed(w.li, **rng) == []          # nothing allocated to her yet

    with pytest.raises(Forbidden):
        w.svc.allocate(w.li, [gone], "1001")
    with pytest.raises(ValidationError):
        w.svc.allocate(w.boss, [gone], "9999")
    assert w.svc.allocate(w.boss, [gone, answered, "nope"], "1001") == 1   # only missed ones
    with w.db.reading() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "missed_allocated"))
        assert row.actor_login == "1003" and row.target == "1001"
        assert s.scalar(select(CallRecord.assigned_to_id)
                        .where(CallRecord.call_id == answered)) is None
    assert [(r.call_id, r.assigned_to_login) for r in w.svc.missed(w.li, **rng)] == [
        (gone, "1001")]
    assert ids(w.svc.missed(w.boss, **rng, assigned_to_login="1001")) == [gone]
    with pytest.raises(Forbidden):
        w.svc.missed(w.li, **rng, assigned_to_login="1002")

    with pytest.raises(Forbidden):
        w.svc.mark_handled(w.zhang, gone)
    w.svc.mark_handled(w.li, gone)
    assert w.svc.missed(w.li, **rng) == []
    handled = w.svc.missed(w.li, **rng, include_handled=True)
    assert ids(handled) == [gone] and handled[0].handled
    w.svc.mark_handled(w.admin, rang)
    assert ids(w.svc.missed(w.boss, **rng)) == []
    with pytest.raises(NotFound):
        w.svc.mark_handled(w.admin, "nope")


def test_calls_cut_off_by_a_server_stop_count_by_whether_they_were_answered(w):
    """agent-ctid's stop or kill closes calls in flight with end cause server_stopped: an
    unanswered inbound one is missed (someone should call back), an answered one is a
    valid call, an outbound or internal one is never missed."""
    t = shanghai(2026, 3, 10, 9)
    cut = w.call(at=t, answered=False, end_cause="server_stopped")            # was ringing
    queued = w.call(at=t + dt.timedelta(minutes=1), answered=False, agent=None,
                    end_cause="server_stopped")                               # was queued
    talking = w.call(at=t + dt.timedelta(minutes=2), end_cause="server_stopped", talk=42)
    w.call(at=t + dt.timedelta(minutes=3), answered=False, direction="out", caller="8001",
           dialed="13800138000", end_cause="server_stopped")                 # our dial
    w.call(at=t + dt.timedelta(minutes=4), answered=False, internal=True,
           caller="057188000001", end_cause="server_stopped")
    rng = dict(start=t - dt.timedelta(hours=1), end=t + dt.timedelta(hours=1))
    assert ids(w.svc.missed(w.boss, **rng)) == [queued, cut]
    assert w.svc.allocate(w.boss, [cut, queued, talking], "1002") == 2
    assert ids(w.svc.missed(w.zhang, **rng)) == [queued, cut]
    s = lambda **kw: ids(w.svc.search(w.admin, query(**kw)).rows)           # noqa: E731
    assert talking in s(kind="valid") and talking not in s(kind="invalid")
    assert {cut, queued} <= set(s(kind="invalid")) and cut not in s(kind="valid")
    assert s(min_s=40, max_s=45) == [talking]


def test_link_customer(w):
    cid = w.call(at=shanghai(2026, 3, 10, 9), caller="13600000000")
    with pytest.raises(Forbidden):
        w.svc.link_customer(w.zhang, cid, w.wang.id)
    with pytest.raises(NotFound):
        w.svc.link_customer(w.li, cid, 999999)
    w.svc.link_customer(w.li, cid, w.wang.id)
    row = w.svc.search(w.admin, query()).rows[0]
    assert (row.customer_id, row.customer_name, row.region_name) == (w.wang.id, "王建国", "杭州市")


# -- 集团电话 ---------------------------------------------------------------------------------

def test_internal_numbers(w):
    svc = w.svc
    with pytest.raises(Forbidden):
        svc.save_internal(w.li, None, "057188000009", "前台")
    n = svc.save_internal(w.admin, None, "0571-8800 0009", "前台")
    assert (n.digits, n.note, n.version) == ("057188000009", "前台", 1)
    for bad in ("abc", "12", "1" * 33):
        with pytest.raises(ValidationError) as e:
            svc.save_internal(w.admin, None, bad)
        assert e.value.field == "digits"
    with pytest.raises(Duplicate):
        svc.save_internal(w.admin, None, "057188000009")
    edited = svc.save_internal(w.admin, n.id, "057188000010", "前台二", version=n.version)
    assert edited.version == 2 and edited.updated_by_login == "0001"
    with pytest.raises(StaleEdit):
        svc.save_internal(w.admin, n.id, "057188000011", "", version=n.version)
    with pytest.raises(ValidationError):  # an edit without the version it was based on
        svc.save_internal(w.admin, n.id, "057188000011", "")
    assert [(x.digits, x.note) for x in svc.list_internal()] == [("057188000010", "前台二")]
    with pytest.raises(Forbidden):
        svc.delete_internal(w.li, n.id)
    svc.delete_internal(w.admin, n.id)
    assert svc.list_internal() == []
    with pytest.raises(NotFound):
        svc.delete_internal(w.admin, n.id)


# -- export -------------------------------------------------------------------------------

def test_export_xlsx_reads_back(w, tmp_path):
    a = w.call(at=shanghai(2026, 3, 10, 9, 15), caller="13800138000", talk=42.5)
    b = w.call(at=shanghai(2026, 3, 10, 9, 20), answered=False)
    rows = w.svc.search(w.admin, query()).rows
    path = tmp_path / "calls.xlsx"
    assert w.svc.export_xlsx(w.admin, rows, path, tr=lambda s: f"[{s}]") == 2
    sheet = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    head = sheet[0]
    assert head[0] == "[Time]" and "[Customer]" in head and len(sheet) == 3
    col = {name: i for i, name in enumerate(head)}
    assert sheet[1][col["[Call ID]"]] == b and sheet[2][col["[Call ID]"]] == a
    assert sheet[2][col["[Time]"]] == dt.datetime(2026, 3, 10, 9, 15)   # site wall clock
    assert sheet[2][col["[Customer]"]] == "王建国" and sheet[2][col["[Talk (s)]"]] == 42.5
    assert sheet[1][col["[Talk (s)]"]] is None
    assert w.svc.export_xlsx(w.admin, [], tmp_path / "empty.xlsx") == 0


# -- screen pop ---------------------------------------------------------------------------

def _real_prefix_rows(db, *prefixes: str) -> None:
    """The real mobile_prefixes.csv rows for these prefixes, unless the seed loaded them."""
    wanted = [r for r in _load_csv("mobile_prefixes.csv") if r["prefix"] in prefixes]
    assert len(wanted) == len(prefixes)
    with db.transaction() as s:
        for r in wanted:
            if s.get(MobilePrefix, r["prefix"]) is None:
                s.add(MobilePrefix(**r))


def test_pop_context_known_caller_and_running_placement(w):
    with w.db.transaction() as s:
        eye = Variety(name="眼保姆")
        s.add(eye)
        s.flush()
        p = Product(code="P00001", name="眼保姆豪华版", specification="", variety_id=eye.id,
                    unit="台", short_code="YBM1", retail_price=Decimal("398"))
        s.add(p)
        s.flush()
        s.add_all([Placement(medium_id=w.js.id, variety_id=eye.id, product_id=p.id,
                             air_date=dt.date(2026, 3, 10), start_time=dt.time(20, 0),
                             length_s=600),
                   Placement(medium_id=w.zj.id, variety_id=eye.id, product_id=None,
                             air_date=dt.date(2026, 3, 10), start_time=dt.time(20, 5),
                             length_s=600)])
    at = shanghai(2026, 3, 10, 20, 7)
    pop = w.svc.pop_context("+86 138-0013-8000", "4006000000", at)
    assert (pop.caller, pop.group, pop.medium_name) == ("13800138000", "21", "江苏卫视")
    assert (pop.product_name, pop.variety_name) == ("眼保姆豪华版", "眼保姆")
    assert [m.id for m in pop.matches] == [w.wang.id]
    assert pop.bundle is not None and pop.bundle.customer.id == w.wang.id
    assert (pop.region_id, pop.region_name) == (w.hz.id, "杭州市")
    other = w.svc.pop_context("02588001234", "4006000001", at)
    assert (other.medium_name, other.product_name, other.variety_name) == ("浙江卫视", "", "眼保姆")
    assert other.bundle.customer.name == "赵敏"
    # no advert running hours later; an unknown hotline has no group or medium
    later = w.svc.pop_context("13800138000", "4006000000", shanghai(2026, 3, 10, 23))
    assert (later.medium_name, later.product_name) == ("江苏卫视", "")
    odd = w.svc.pop_context("13800138000", "95555", at)
    assert (odd.group, odd.medium_name, odd.product_name) == (None, "", "")


def test_pop_context_unknown_callers_get_a_region_suggestion(w):
    # real data: 138 0571 is a Hangzhou block, 139 0015 a Nanjing one (phonenumbers)
    _real_prefix_rows(w.db, "138057", "1390015")
    at = shanghai(2026, 3, 10, 20)
    mobile = w.svc.pop_context("13805712345", "4006000000", at)
    assert mobile.matches == [] and mobile.bundle is None
    assert (mobile.region_id, mobile.region_name) == (w.hz.id, "杭州市")
    assert w.svc.pop_context("13900151234", "", at).region_name == "南京市"
    landline = w.svc.pop_context("(0571) 8765 4321", "4006000000", at)
    assert (landline.region_id, landline.matches) == (w.hz.id, [])
    nowhere = w.svc.pop_context("16600001111", "4006000000", at)   # 166: not in the data
    assert (nowhere.region_id, nowhere.region_name) == (None, "")
    assert w.svc.pop_context("", "4006000000", at).matches == []


def test_pop_context_several_matches_is_impossible_by_design(w):
    """customer_phone's primary key is the phone: a number belongs to one customer at
    most, so the pick list (several matches) can only come from a future schema."""
    with pytest.raises(Duplicate):
        CustomerService(w.db).register(w.li, CustomerDraft(name="另一个", mobile="13800138000"))
    pop = w.svc.pop_context("13800138000", "4006000000", shanghai(2026, 3, 10, 20))
    assert len(pop.matches) == 1


def test_region_for_phone_mobiles_by_prefix(w):
    _real_prefix_rows(w.db, "138057", "1390015")
    svc = CustomerService(w.db)
    assert svc.region_for_phone("138-0571-0000") == w.hz.id
    assert svc.region_for_phone("13900150000") == w.nj.id
    assert svc.region_for_phone("025-8800 9999") == w.nj.id
    assert svc.region_for_phone("19912345678") is None
    with w.db.transaction() as s:   # a site naming regions without 市 still matches
        s.get(Region, w.hz.id).name = "杭州"
    assert svc.region_for_phone("13805710000") == w.hz.id
    with w.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(MobilePrefix)) >= 2


def test_internal_numbers_name_who_changed_them_and_refuse_operators(w):
    """修改人 is the employee's name (the login stays for the audit); an operator, even one
    with other grants, may not add, edit or delete, and nothing changes when refused."""
    svc = w.svc
    n = svc.save_internal(w.admin, None, "057188000009", "前台")
    assert (n.updated_by_login, n.updated_by_name) == ("0001", "王明辉")
    assert [(x.digits, x.updated_by_name) for x in svc.list_internal()] == [
        ("057188000009", "王明辉")]
    with w.db.transaction() as s:  # a row the installer wrote names no employee
        s.add(InternalNumber(digits="057188000001", note="总机", updated_by_login="seed"))
    assert [x.updated_by_name for x in svc.list_internal()] == [None, "王明辉"]
    for operator in (w.li, w.boss):
        assert not may_edit_internal(operator)
        with pytest.raises(Forbidden):
            svc.save_internal(operator, None, "057188000002", "x")
        with pytest.raises(Forbidden):
            svc.save_internal(operator, n.id, "057188000003", "x", version=n.version)
        with pytest.raises(Forbidden):
            svc.delete_internal(operator, n.id)
    assert may_edit_internal(w.admin)
    assert [(x.digits, x.note, x.version) for x in svc.list_internal()] == [
        ("057188000001", "总机", 1), ("057188000009", "前台", 1)]


# -- 来电日报 -------------------------------------------------------------------------------

def test_daily_totals_count_inbound_calls_per_site_day(w):
    # 23:30 on 3 March in Shanghai is 15:30 UTC: it counts on the 3rd, not the 4th
    w.call(at=shanghai(2026, 3, 3, 23, 30), talk=40)
    w.call(at=shanghai(2026, 3, 3, 9, 0), talk=80)
    w.call(at=shanghai(2026, 3, 3, 9, 5), answered=False)             # 放弃
    w.call(at=shanghai(2026, 3, 4, 0, 10), talk=30)                   # the next day
    w.call(at=shanghai(2026, 3, 4, 8, 0), direction="out")            # 外拨: not inbound
    w.call(at=shanghai(2026, 3, 4, 8, 1), internal=True)              # 内线: not counted
    w.call(at=shanghai(2026, 3, 4, 8, 2), answered=False, end_cause="no_answer")
    w.call(at=shanghai(2026, 3, 6, 8, 0))                             # after the period
    days = w.svc.daily_totals(w.admin, dt.date(2026, 3, 3), dt.date(2026, 3, 5))
    assert [(d.day, d.inbound, d.answered, d.abandoned, d.talk_s) for d in days] == [
        (dt.date(2026, 3, 3), 3, 2, 1, 120.0), (dt.date(2026, 3, 4), 2, 1, 0, 30.0)]
    assert days[0].answer_rate == pytest.approx(2 / 3)
    assert days[0].average_talk_s == 60.0 and days[1].average_talk_s == 30.0


def test_daily_totals_need_the_statistics_permission_and_a_period(w):
    with pytest.raises(Forbidden):
        w.svc.daily_totals(w.li, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    stats = Actor(w.li.id, "1001", "李娜", Role.OPERATOR,
                  frozenset({Permission.STATISTICS.value}))
    assert w.svc.daily_totals(stats, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == []
    with pytest.raises(ValidationError) as err:
        w.svc.daily_totals(stats, dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    assert err.value.field == "date_to"
