"""Registering customers: duplicate phones, registration numbers, stale edits, lookup
(SQLite and MariaDB; the concurrency test only where writers really run in parallel)."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from agent_app.errors import StaleEdit, ValidationError
from agent_app.services.customers import CustomerDraft, CustomerService, DuplicatePhone
from db.enums import Role
from db.models import Customer, Region


@pytest.fixture
def svc(database):
    return CustomerService(database)


def test_register_normalises_and_numbers(svc, agent):
    c = svc.register(agent, CustomerDraft(name=" 王建国 ", mobile="+86 138-0013-8000",
                                          landline="0571-8800 1234", address="浙江省杭州市文三路8号"))
    assert (c.name, c.mobile, c.landline) == ("王建国", "13800138000", "057188001234")
    assert re.fullmatch(r"\d{8}0010010001", c.registration_no)
    assert c.customer_class == "C" and c.owner_id == agent.id and c.version == 1
    second = svc.register(agent, CustomerDraft(name="李四", mobile="13900139000"))
    assert second.registration_no[-4:] == "0002"
    assert [r.id for r in svc.find_by_phone("138 0013 8000")] == [c.id]
    assert [r.id for r in svc.find_by_phone("(0571)88001234")] == [c.id]
    assert svc.find_by_phone("13700000000") == []


def test_duplicate_phone_refused_whatever_the_name(svc, agent, database):
    first = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000"))
    for other in (CustomerDraft(name="完全不同", mobile="138 0013 8000"),
                  CustomerDraft(name="王建国", landline="057188001234", other_phone="13800138000")):
        with pytest.raises(DuplicatePhone) as e:
            svc.register(agent, other)
        assert e.value.existing_id == first.id and "13800138000" in str(e.value)
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 1  # nothing added


def test_bad_input_names_the_field(svc, agent):
    for draft, field in [(CustomerDraft(name="", mobile="13800138000"), "name"),
                         (CustomerDraft(name="张三"), "mobile"),
                         (CustomerDraft(name="张三", mobile="12345"), "mobile"),
                         (CustomerDraft(name="张三", landline="88001234"), "landline")]:
        with pytest.raises(ValidationError) as e:
            svc.register(agent, draft)
        assert e.value.field == field


def test_stale_edit_refused_naming_who(svc, agent, superadmin):
    c = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000"))
    svc.update(superadmin, c.id, c.version, CustomerDraft(name="王建国", mobile="13800138000",
                                                          address="杭州市"))
    with pytest.raises(StaleEdit) as e:
        svc.update(agent, c.id, c.version, CustomerDraft(name="王建军", mobile="13800138000"))
    assert "0001" in str(e.value)
    got = svc.get(c.id)
    assert (got.name, got.address, got.version) == ("王建国", "杭州市", 2)


def test_update_moves_phones_and_checks_duplicates(svc, agent):
    a = svc.register(agent, CustomerDraft(name="甲", mobile="13800138000"))
    b = svc.register(agent, CustomerDraft(name="乙", mobile="13900139000"))
    with pytest.raises(DuplicatePhone):
        svc.update(agent, b.id, b.version, CustomerDraft(name="乙", mobile="13800138000"))
    b2 = svc.update(agent, b.id, b.version, CustomerDraft(name="乙", mobile="13700137000"))
    assert svc.find_by_phone("13900139000") == [] and svc.find_by_phone("13700137000")[0].id == b.id
    assert b2.version == b.version + 1 and svc.find_by_phone("13800138000")[0].id == a.id


def test_region_from_area_code_and_mobile_prefix(svc, database):
    with database.transaction() as s:
        s.add(Region(name="杭州市", province="浙江省", area_code="0571", updated_by_login="t"))
        s.add(Region(name="北京市", province="北京市", area_code="010", updated_by_login="t"))
    with database.reading() as s:
        ids = {r.name: r.id for r in s.scalars(select(Region))}
    assert svc.region_for_phone("0571-88001234") == ids["杭州市"]
    assert svc.region_for_phone("010 62345678") == ids["北京市"]
    # mobiles through the 手机号段 table: 138 0013 is a Beijing block
    assert svc.region_for_phone("13800138000") == ids["北京市"]
    # a block phonenumbers cannot place (166) and a number of no region: no guess
    assert svc.region_for_phone("16612345678") is None
    assert svc.region_for_phone("4006000000") is None


@pytest.mark.mysql
def test_concurrent_registrations_unique_numbers_and_phones(mysql_databases):
    """50 writers at once on MariaDB: every registration number unique, and of 10 writers
    racing for one phone exactly one wins, the rest get 资料重复."""
    from agent_app.cli.identity import SHELL
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from db.migrate import upgrade
    from db.seed import seed_reference_data

    url = mysql_databases.create()
    upgrade(url)
    seed_reference_data(url)
    db = Database.open(url, pool_size=30)
    accounts = AccountService(db)
    accounts.add_employee(SHELL, login="1001", name="李娜", role=Role.OPERATOR,
                          password="pass1234", must_change_password=False)
    actor = accounts.authenticate("1001", "pass1234").actor
    svc = CustomerService(db)
    results: list = []
    barrier = threading.Barrier(60)

    def work(k: int) -> None:
        phone = "13500000000" if k >= 50 else f"136{k:08d}"
        barrier.wait()
        try:
            results.append(svc.register(actor, CustomerDraft(name=f"客户{k}", mobile=phone)))
        except Exception as exc:  # noqa: BLE001 - collected and checked below
            results.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    records = [r for r in results if not isinstance(r, Exception)]
    dups = [r for r in results if isinstance(r, DuplicatePhone)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, DuplicatePhone)]
    assert others == [] and len(results) == 60
    assert len(records) == 51 and len(dups) == 9
    assert len({r.registration_no for r in records}) == 51
    assert sorted(int(r.registration_no[-4:]) for r in records) == list(range(1, 52))
    db.dispose()
