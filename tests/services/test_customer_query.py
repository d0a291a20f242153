"""客户查找 and the 近X天 directory (SQLite and MariaDB): window boundaries on the site
calendar, keyset paging, each text-search kind, filters, and refused input."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from agent_app.errors import ValidationError
from agent_app.search_text import query_grams
from agent_app.services.customer_query import (
    CustomerQuery,
    CustomerQueryService,
    site_day_start,
    site_today,
)
from agent_app.services.customers import SITE_ZONE, CustomerDraft, CustomerService
from agent_app.services.search_stats import ContainsPlan
from db.models import Customer, Region, SalesOrder, Variety


@pytest.fixture
def customers(database):
    return CustomerService(database)


@pytest.fixture
def query(database):
    return CustomerQueryService(database)


@pytest.fixture
def reg(customers, agent):
    """Register a customer with a fresh mobile; keyword arguments go to the draft."""
    counter = iter(range(10_000))

    def make(name: str, actor=None, **kw):
        kw.setdefault("mobile", f"139{next(counter):08d}")
        return customers.register(actor or agent, CustomerDraft(name=name, **kw))
    return make


def _set(database, customer_id: int, **values) -> None:
    with database.transaction() as s:
        s.execute(update(Customer).where(Customer.id == customer_id).values(**values))


def _local(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SITE_ZONE)


def _ids(page) -> list[int]:
    return [r.id for r in page.rows]


def _search(query, actor, **kw) -> set[int]:
    return set(_ids(query.search(actor, CustomerQuery(**kw), page_size=1000)))


def test_directory_window_on_site_calendar(database, query, reg, agent, superadmin):
    today = site_today()
    with database.transaction() as s:
        region = Region(name="杭州市", province="浙江省", area_code="0571", updated_by_login="t")
        s.add(region)
        s.flush()
        region_id = region.id
    fresh = reg("新客户", region_id=region_id, callback_agent_id=superadmin.id)
    midnight, before_midnight, week, before_week = (reg(n) for n in ("甲", "乙", "丙", "丁"))
    _set(database, midnight.id, registered_at=site_day_start(today))
    _set(database, before_midnight.id,
         registered_at=site_day_start(today) - dt.timedelta(seconds=1))
    _set(database, week.id, registered_at=site_day_start(today - dt.timedelta(days=7)))
    _set(database, before_week.id,
         registered_at=site_day_start(today - dt.timedelta(days=7)) - dt.timedelta(seconds=1))

    assert _ids(query.directory(agent, days=0)) == [fresh.id, midnight.id]
    assert _ids(query.directory(agent, days=1)) == [fresh.id, midnight.id, before_midnight.id]
    seven = [fresh.id, midnight.id, before_midnight.id, week.id]
    assert _ids(query.directory(agent, days=7)) == seven
    assert _ids(query.directory(agent)) == seven  # browse_days defaults to 7
    row = query.directory(agent, days=0).rows[0]
    assert (row.name, row.region_name, row.owner_name, row.callback_agent_name) == (
        "新客户", "杭州市", "李娜", "王明辉")
    assert row.registration_no == fresh.registration_no and row.order_state == 0
    assert row.registered_at.tzinfo is not None


def test_paging_returns_every_row_once_in_order(database, query, reg, agent):
    made = [reg(f"客户{k}") for k in range(23)]
    same = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    for c in made[5:15]:  # ties on registered_at: id breaks them
        _set(database, c.id, registered_at=same)
    with database.reading() as s:
        expected = [r.id for r in s.execute(select(Customer.id, Customer.registered_at)
                                            .order_by(Customer.registered_at.desc(),
                                                      Customer.id.desc()))]
    for fetch in (lambda after: query.directory(agent, days=3650, page_size=4, after=after),
                  lambda after: query.search(agent, CustomerQuery(field="name", text="客户"),
                                             page_size=4, after=after)):
        seen, after, pages = [], None, 0
        while True:
            page = fetch(after)
            seen += _ids(page)
            pages += 1
            after = page.next_after
            if after is None:
                break
        assert seen == expected and pages == 6


def test_name_prefix_and_pinyin_initials(query, reg, agent):
    wjg, wjj, jgh, zeng = reg("王建国"), reg("王建军"), reg("建国华"), reg("曾小明")
    reg("李四")
    assert _search(query, agent, field="name", text="王建国") == {wjg.id}
    assert _search(query, agent, field="name", text="王建") == {wjg.id, wjj.id}
    assert _search(query, agent, field="name", text="建国") == {jgh.id}  # prefix, not infix
    assert _search(query, agent, field="name", text="wjg") == {wjg.id}
    assert _search(query, agent, field="name", text="WJG") == {wjg.id}
    assert _search(query, agent, field="name", text="wj") == {wjg.id, wjj.id}
    assert wjg.id not in _search(query, agent, field="name", text="jg")
    # 曾 reads zeng or ceng: every reading's initials find the name
    assert _search(query, agent, field="name", text="zxm") == {zeng.id}
    assert _search(query, agent, field="name", text="cxm") == {zeng.id}


def test_like_wildcards_in_the_text_are_literal(query, reg, agent):
    pct, plain, under = reg("50%折扣"), reg("50元客户"), reg("5_号")
    assert _search(query, agent, field="name", text="50%") == {pct.id}
    assert _search(query, agent, field="name", text="5_") == {under.id}
    assert plain.id in _search(query, agent, field="name", text="50")


def test_registration_no_and_phone_prefix(query, reg, agent):
    a = reg("甲", mobile="13800138000", other_phone="13800138001")
    b = reg("乙", mobile="13900000001", landline="0571-88001234")
    assert _search(query, agent, field="registration_no", text=a.registration_no) == {a.id}
    assert _search(query, agent, field="registration_no",
                   text=a.registration_no[:-4]) == {a.id, b.id}
    # two matching phones of one customer still give one row
    assert _ids(query.search(agent, CustomerQuery(field="phone", text="138 0013 800"))) == [a.id]
    assert _search(query, agent, field="phone", text="(0571) 8800") == {b.id}
    assert _search(query, agent, field="phone", text="00138000") == set()  # prefix only


def test_whole_only_kinds(database, query, reg, agent):
    a = reg("王建国", mobile="13800138000", user_account="U1234")
    reg("王建国华")
    assert _search(query, agent, field="user_account", text="U1234") == {a.id}
    assert _search(query, agent, field="user_account", text="U123") == set()
    assert _search(query, agent, field="direct", text="王建国") == {a.id}
    assert _search(query, agent, field="direct", text="王建") == set()
    assert _search(query, agent, field="direct", text="138-0013-8000") == {a.id}
    assert _search(query, agent, field="direct", text="1380013") == set()


def test_contains_anywhere(query, reg, agent):
    addr = reg("甲", address="浙江省杭州市文三路8号")
    school = reg("乙", address="江苏省南京市", end_user_school="杭州第二中学",
                 end_user_name="小明同学", remark="老客户介绍 VIP")
    assert _search(query, agent, field="address", text="杭州") == {addr.id}
    assert _search(query, agent, field="address", text="州市文三") == {addr.id}
    assert _search(query, agent, field="address", text="杭") == {addr.id}  # no bigram: LIKE
    assert _search(query, agent, field="address", text="杭州第二") == set()
    assert _search(query, agent, field="end_user_school", text="杭州") == {school.id}
    assert _search(query, agent, field="end_user_name", text="明同") == {school.id}
    assert _search(query, agent, field="remark", text="客户介绍") == {school.id}
    assert _search(query, agent, field="remark", text="vip") == {school.id}
    assert _search(query, agent, field="remark", text="新客户") == set()


def test_variety_and_sale_filters(database, query, reg, agent):
    buyer, other_buyer, consult = reg("甲"), reg("乙"), reg("丙")
    with database.transaction() as s:
        eye, soft = (Variety(name=n, updated_by_login="t") for n in ("眼保姆", "操盘手软件"))
        s.add_all([eye, soft])
        s.flush()
        for no, cust, var in (("2611230001", buyer, eye), ("2611230002", buyer, eye),
                              ("2611230003", other_buyer, soft)):
            s.add(SalesOrder(order_no=no, customer_id=cust.id, employee_id=agent.id,
                             variety_id=var.id, updated_by_login="t"))
        eye_id, soft_id = eye.id, soft.id
    _set(database, buyer.id, order_state=2)
    _set(database, other_buyer.id, order_state=1)
    assert _ids(query.search(agent, CustomerQuery(variety_id=eye_id))) == [buyer.id]
    assert _search(query, agent, variety_id=soft_id) == {other_buyer.id}
    assert _search(query, agent, sale="sale") == {buyer.id, other_buyer.id}
    assert _search(query, agent, sale="consult") == {consult.id}
    assert _search(query, agent, sale="consult", variety_id=eye_id) == set()
    assert {r.id: r.order_state for r in query.directory(agent, days=0).rows} == {
        buyer.id: 2, other_buyer.id: 1, consult.id: 0}


def test_date_range_and_time_window_on_local_time(database, query, reg, agent):
    morning, late, after_midnight, other = reg("甲"), reg("乙"), reg("丙"), reg("丁")
    _set(database, morning.id, registered_at=_local(2026, 1, 10, 9, 30))
    _set(database, late.id, registered_at=_local(2026, 1, 10, 23, 30))
    # UTC date is still 1-10 here: the range must use the site calendar
    _set(database, after_midnight.id, registered_at=_local(2026, 1, 11, 0, 30))
    _set(database, other.id, registered_at=_local(2026, 1, 12, 10, 0))
    day = dt.date(2026, 1, 10)
    assert _search(query, agent, registered_from=day, registered_to=day) == {morning.id, late.id}
    assert _search(query, agent, registered_from=day, registered_to=day + dt.timedelta(1)) == {
        morning.id, late.id, after_midnight.id}
    assert _search(query, agent, registered_to=day) == {morning.id, late.id}
    window = dict(registered_from=day, registered_to=dt.date(2026, 1, 12))
    assert _search(query, agent, time_from=dt.time(9), time_to=dt.time(10), **window) == {
        morning.id, other.id}
    assert _search(query, agent, time_from=dt.time(9, 30), time_to=dt.time(9, 30),
                   **window) == {morning.id}  # both ends inclusive
    assert _search(query, agent, time_from=dt.time(23), time_to=dt.time(1), **window) == {
        late.id, after_midnight.id}  # across midnight
    assert _search(query, agent, time_from=dt.time(23), **window) == {late.id}
    # "to 23:30" takes the whole minute: a registration at 23:30:40 is in
    _set(database, late.id, registered_at=_local(2026, 1, 10, 23, 30) + dt.timedelta(seconds=40))
    assert _search(query, agent, time_from=dt.time(23), time_to=dt.time(23, 30),
                   **window) == {late.id}


def test_owner_region_class_source_filters(database, query, reg, agent, superadmin):
    with database.transaction() as s:
        region = Region(name="南京市", province="江苏省", area_code="025", updated_by_login="t")
        s.add(region)
        s.flush()
        region_id = region.id
    mine = reg("甲", region_id=region_id, source="callback")
    theirs = reg("乙", actor=superadmin)
    _set(database, theirs.id, customer_class="A")
    assert _search(query, agent, employee_id=agent.id) == {mine.id}
    assert _search(query, agent, employee_id=superadmin.id) == {theirs.id}
    assert _search(query, agent, region_id=region_id) == {mine.id}
    assert _search(query, agent, customer_class="A") == {theirs.id}
    assert _search(query, agent, source="callback") == {mine.id}
    assert _search(query, agent) == {mine.id, theirs.id}  # nothing ticked: everyone


@pytest.mark.parametrize("q, field", [
    (CustomerQuery(field="email", text="x"), "field"),
    (CustomerQuery(field="name", text="  "), "text"),
    (CustomerQuery(text="王"), "field"),
    (CustomerQuery(registered_from=dt.date(2026, 2, 1), registered_to=dt.date(2026, 1, 31)),
     "registered_to"),
    (CustomerQuery(sale="maybe"), "sale"),
    (CustomerQuery(customer_class="Z"), "customer_class"),
    (CustomerQuery(source="web"), "source"),
    (CustomerQuery(field="phone", text="abc"), "text"),
])
def test_bad_search_input_is_refused(query, reg, agent, q, field):
    reg("王建国")
    with pytest.raises(ValidationError) as e:
        query.search(agent, q)
    assert e.value.field == field and str(e.value)


def test_bad_paging_input_is_refused(query, agent):
    for kw, field in [(dict(days=-1), "days"), (dict(page_size=0), "page_size"),
                      (dict(after=("yesterday", 3)), "after")]:
        with pytest.raises(ValidationError) as e:
            query.directory(agent, **kw)
        assert e.value.field == field


@pytest.mark.parametrize("walk_rows,rarest_only", [(3, False), (10_000, False),
                                                   (0, False), (0, True), (3, True)])
def test_contains_pages_whichever_way_they_are_served(database, query, reg, agent,
                                                      monkeypatch, walk_rows, rarest_only):
    """MariaDB serves a contains page from a walk down the newest rows when the plan says
    so and the walk fills it, else from FULLTEXT with some or all of the needle's tokens:
    every way, every match comes once, newest first."""
    import agent_app.services.customer_query as cq
    # rarest_only: FULLTEXT with one token, the first or (after a short walk) the last
    monkeypatch.setattr(cq, "plan_contains", lambda grams, stats, size: ContainsPlan(
        walk_rows, tuple(grams[:1] if rarest_only else grams),
        tuple(grams[-1:]) if rarest_only else ()))
    made = [reg(f"客户{k}", address="浙江省杭州市" if k % 3 else "江苏省南京市杭",
                remark="杭州市场")  # the remark's tokens match every row: LIKE decides
            for k in range(14)]
    expected = [c.id for c in reversed(made) if "杭州" in c.address]
    for k, c in enumerate(made):  # registration times one second apart, newest last
        _set(database, c.id, registered_at=_local(2026, 1, 1, 8, 0, k))
    seen, after = [], None
    while True:
        page = query.search(agent, CustomerQuery(field="address", text="杭州市"),
                            page_size=3, after=after)
        seen += _ids(page)
        if (after := page.next_after) is None:
            break
    assert seen == expected


def test_contains_plans_from_counted_tokens(database, query, reg, agent):
    """With the tokens counted, common and rare needles take different plans and find
    the same rows as LIKE would, including customers registered after the count."""
    from agent_app.services.search_stats import gram_docs, plan_contains, refresh
    made = [reg(f"客户{k}", address=f"江苏省南京市中山路{k}号") for k in range(30)]
    assert refresh(database) == (30, len({g for c in made for g in query_grams(c.address)}))
    late = reg("新客户", address="江苏省南京市鼓楼区云南北路77号")
    with database.reading() as s:
        def plan(needle):
            return plan_contains(query_grams(needle), gram_docs(s, query_grams(needle)), 10)
        assert plan("江苏省").walk_rows > 0              # in every address: walk
        assert plan("云南北路77") == ContainsPlan(0, ("g云南",))  # never counted: FULLTEXT
    everyone = {c.id for c in made} | {late.id}
    assert _search(query, agent, field="address", text="江苏省") == everyone
    assert _search(query, agent, field="address", text="中山路1") == {
        c.id for c in made if "中山路1" in c.address}
    assert _search(query, agent, field="address", text="云南北路77") == {late.id}
    assert _search(query, agent, field="address", text="北京") == set()


def test_name_or_initials_pages_merge_without_repeats(query, reg, agent):
    """An initials search is one keyset query per branch (name, first reading, later
    readings), merged: a name matching several branches still comes once per page run."""
    hits = [reg(n) for n in ("曾祥", "张晓", "Zx客户", "赵欣", "曾行", "周小", "朝夕")]
    reg("李四")
    reg("陈祥")
    seen, after = [], None
    while True:
        page = query.search(agent, CustomerQuery(field="name", text="zx"), page_size=2,
                            after=after)
        seen += _ids(page)
        if (after := page.next_after) is None:
            break
    assert seen == [c.id for c in reversed(hits)]


def test_initials_follow_a_rename(query, customers, reg, agent):
    """The initials keys follow the name: kept by a save that keeps it, replaced by a
    rename (the old initials, even one letter of them, find nothing)."""
    c = reg("王建国", mobile="13900000001")
    c = customers.update(agent, c.id, c.version,
                         CustomerDraft(name="王建国", mobile="13900000001", remark="老客户"))
    assert _search(query, agent, field="name", text="wjg") == {c.id}
    customers.update(agent, c.id, c.version, CustomerDraft(name="曾小明", mobile="13900000001"))
    assert _search(query, agent, field="name", text="wjg") == set()
    assert _search(query, agent, field="name", text="w") == set()
    assert _search(query, agent, field="name", text="cx") == {c.id}


def test_initials_with_other_criteria_page_by_page(database, query, reg, agent):
    """An initials page walks the keys newest first and checks each customer's other
    criteria: pages of 2 over the A-class "zx" customers, none repeated or skipped."""
    made = [reg(n) for n in ("张晓", "赵欣", "周小", "朝夕", "曾祥")]
    wanted = [c.id for c in made if c.name != "周小"]
    for cid in wanted:
        _set(database, cid, customer_class="A")
    seen, after = [], None
    while True:
        page = query.search(agent, CustomerQuery(field="name", text="ZX", customer_class="A"),
                            page_size=2, after=after)
        seen += _ids(page)
        if (after := page.next_after) is None:
            break
    assert seen == list(reversed(wanted))
    # a reading longer than any key finds nothing, and is no error
    assert _search(query, agent, field="name", text="z" * 17) == set()
