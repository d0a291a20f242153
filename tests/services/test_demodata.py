"""Demo data: deterministic, internally consistent, and usable by the services."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent_app.demodata import AlreadyLoaded, ensure_demo_database, load, logins_table
from agent_app.phones import normalise
from agent_app.search_text import name_initials, search_grams
from agent_app.services.accounts import AccountService
from agent_app.services.search_stats import count_grams
from db.engine import Database
from db.initials import initials_keys
from db.models import (
    CallRecord,
    Customer,
    CustomerInitialsKey,
    CustomerPhone,
    Employee,
    OrderLine,
    Placement,
    SalesOrder,
    SearchGramStat,
)


def _snapshot(db: Database):
    with db.reading() as s:
        customers = s.execute(select(Customer.registration_no, Customer.name, Customer.mobile,
                                     Customer.address).order_by(Customer.id).limit(50)).all()
        orders = s.execute(select(SalesOrder.order_no, SalesOrder.total, SalesOrder.status)
                           .order_by(SalesOrder.id).limit(50)).all()
    return customers, orders


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
        # order_state: 0 none, 1 orders but none confirmed, 2 a confirmed order
        for c in customers:
            confirmed = s.scalars(select(SalesOrder.confirmed).where(
                SalesOrder.customer_id == c.id)).all()
            want = 0 if not confirmed else 2 if any(confirmed) else 1
            assert c.order_state == want, c.id
        orders = list(s.scalars(select(SalesOrder)))
        assert len(orders) == 420 and len({o.order_no for o in orders}) == 420
        for o in orders:
            assert re.fullmatch(r"\d{10}", o.order_no)
            lines = s.scalars(select(OrderLine).where(OrderLine.order_id == o.id)).all()
            assert isinstance(o.total, Decimal)
            assert o.total == sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0"))
            if o.status in ("accepted", "voided"):
                assert o.confirmed and o.feedback_state == "accepted" and o.waybill_no
        assert s.scalar(select(func.count()).select_from(CallRecord)) == 900
        # every placement slot of today exists, so a demo call always finds its advert
        assert s.scalar(select(func.count()).select_from(Placement)) >= 48 * 60


def test_same_seed_same_data(db_url, tmp_path):
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
