"""Customers, the paths next to the named rules (issue #16, found by mutation testing): the
other phone normalised and checked for 资料重复, landline lengths, difficulty and source
values, the A/B/C class thresholds, the site's day in registration numbers, and the
duplicate found after a lost race."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from agent_app import clock
from agent_app.errors import NotFound, ValidationError
from agent_app.services.customers import (
    CustomerDraft,
    CustomerService,
    DuplicatePhone,
    class_for_points,
)
from db.models import Customer, CustomerInitialsKey, CustomerPhone
from tests.services import test_customers as base

svc = base.svc   # the fixture: the customer service (agent 1001 is in conftest.py)


def phones_of(database, customer_id) -> dict[str, str]:
    with database.reading() as s:
        return dict(s.execute(select(CustomerPhone.phone, CustomerPhone.kind)
                              .where(CustomerPhone.customer_id == customer_id)).all())


def test_other_phone_is_normalised_stored_and_found(svc, agent, database):
    c = svc.register(agent, CustomerDraft(name="王建国", other_phone="+86 138-0013-8000"))
    assert (c.mobile, c.landline, c.other_phone) == ("", "", "13800138000")
    assert phones_of(database, c.id) == {"13800138000": "other"}
    assert [r.id for r in svc.find_by_phone("13800138000")] == [c.id]


def test_other_phone_typed_with_punctuation_is_a_duplicate(svc, agent, database):
    first = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000"))
    for draft in (CustomerDraft(name="李四", mobile="13900139000",
                                other_phone="+86 138-0013-8000"),
                  CustomerDraft(name="李四", landline="0571-88001234",
                                other_phone="138 0013 8000")):
        with pytest.raises(DuplicatePhone) as e:
            svc.register(agent, draft)
        assert (e.value.code, e.value.field, e.value.existing_id) == \
            ("duplicate", "phones", first.id)
        assert e.value.params == {"phone": "13800138000", "name": "王建国",
                                  "registration_no": first.registration_no}
    other = svc.register(agent, CustomerDraft(name="李四", mobile="13900139000"))
    with pytest.raises(DuplicatePhone):
        svc.update(agent, other.id, other.version,
                   CustomerDraft(name="李四", mobile="13900139000",
                                 other_phone="+86 138-0013-8000"))
    assert phones_of(database, other.id) == {"13900139000": "mobile"}


def test_the_same_number_twice_on_one_record_is_one_phone(svc, agent, database):
    c = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000",
                                          other_phone="138-0013-8000",
                                          landline="0571-88001234"))
    assert phones_of(database, c.id) == {"13800138000": "mobile", "057188001234": "landline"}
    u = svc.update(agent, c.id, c.version, CustomerDraft(
        name="王建国", landline="057188001234", other_phone="13800138000"))
    assert phones_of(database, c.id) == {"13800138000": "other", "057188001234": "landline"}
    assert u.version == c.version + 1


@pytest.mark.parametrize("landline, ok", [("0571880012", True), ("057188001", False),
                                          ("057188001234", True), ("0571880012345", False),
                                          ("5718800123", False), ("010 6234567", True)])
def test_landline_length_bounds(svc, agent, landline, ok):
    draft = CustomerDraft(name="张三", landline=landline)
    if ok:
        assert svc.register(agent, draft).landline.startswith("0")
    else:
        with pytest.raises(ValidationError) as e:
            svc.register(agent, draft)
        assert (e.value.code, e.value.field) == ("invalid", "landline")


def test_difficulty_and_source_values(svc, agent):
    for i, difficulty in enumerate([None, "easy", "hard", "refuses"]):
        c = svc.register(agent, CustomerDraft(name="张三", mobile=f"1380000000{i}",
                                              difficulty=difficulty, source="callback"))
        assert (c.difficulty, c.source) == (difficulty, "callback")
    for draft, field in [(CustomerDraft(name="张三", mobile="13700000000", difficulty="rude"),
                          "difficulty"),
                         (CustomerDraft(name="张三", mobile="13700000000", difficulty=""),
                          "difficulty"),
                         (CustomerDraft(name="张三", mobile="13700000000", source="web"),
                          "source"),
                         (CustomerDraft(name="   ", mobile="13700000000"), "name"),
                         (CustomerDraft(name="张三", mobile="1380013800"), "mobile"),
                         (CustomerDraft(name="张三", mobile="03800138000"), "mobile")]:
        with pytest.raises(ValidationError) as e:
            svc.register(agent, draft)
        assert (e.value.code, e.value.field) == ("invalid", field), draft
    with pytest.raises(ValidationError) as e:
        svc.register(agent, CustomerDraft(name="张三", mobile="12345"))
    assert e.value.params == {"phone": "12345"}


def test_any_one_phone_is_enough(svc, agent):
    assert svc.register(agent, CustomerDraft(name="甲", mobile="13800138000")).mobile
    assert svc.register(agent, CustomerDraft(name="乙", landline="057188001234")).landline
    assert svc.register(agent, CustomerDraft(name="丙", other_phone="13900139000")).other_phone


@pytest.mark.parametrize("points, cls", [(0, "C"), (799, "C"), (800, "B"), (1999, "B"),
                                         (2000, "A"), (99999, "A")])
def test_class_thresholds(points, cls):
    assert class_for_points(points) == cls


def test_record_fields_after_register_and_update(svc, agent, superadmin, database):
    c = svc.register(agent, CustomerDraft(
        name=" 王建国 ", mobile="13800138000", address=" 杭州市文三路8号 ", remark=" 老客户 ",
        end_user_name="王小明", end_user_school="杭州二中", user_account="wxm",
        region_id=None, callback_agent_id=agent.id))
    assert (c.name, c.address, c.remark) == ("王建国", "杭州市文三路8号", "老客户")
    assert (c.owner_id, c.points, c.order_state, c.customer_class) == (agent.id, 0, 0, "C")
    assert (c.end_user_name, c.end_user_school, c.user_account, c.callback_agent_id) == \
        ("王小明", "杭州二中", "wxm", agent.id)
    assert c.updated_by_login == "1001" and c.registered_at is not None
    got = svc.get(c.id)   # MariaDB keeps whole seconds of registered_at
    assert replace(got, registered_at=None) == replace(c, registered_at=None)
    u = svc.update(superadmin, c.id, c.version, CustomerDraft(name="李建国",
                                                              mobile="13800138000"))
    assert (u.name, u.updated_by_login, u.address, u.owner_id) == ("李建国", "0001", "", agent.id)
    with database.reading() as s:
        row = s.get(Customer, c.id)
        assert row.name_initials != "wjg" and row.name_initials.startswith("l")
        keys = s.scalars(select(CustomerInitialsKey.initials)
                         .where(CustomerInitialsKey.customer_id == c.id)).all()
    assert keys and all(k.startswith("l") for k in keys)
    with pytest.raises(NotFound):
        svc.update(agent, 999999, 1, CustomerDraft(name="x", mobile="13800138000"))
    with pytest.raises(NotFound) as e:
        svc.get(999999)
    assert e.value.code == "not_found"


@pytest.mark.parametrize("utc, day", [((2026, 3, 1, 15, 59, 59), "20260301"),
                                      ((2026, 3, 1, 16, 0, 0), "20260302")])
def test_registration_numbers_follow_the_sites_day(svc, agent, monkeypatch, utc, day):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(*utc, tzinfo=dt.UTC))
    c = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000"))
    assert c.registration_no == day + "001001" + "0001"


def test_registration_sequence_is_per_day_and_login(svc, agent, superadmin, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))
    a = svc.register(agent, CustomerDraft(name="甲", mobile="13800000001"))
    b = svc.register(superadmin, CustomerDraft(name="乙", mobile="13800000002"))
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 3, 1, 16, tzinfo=dt.UTC))
    c = svc.register(agent, CustomerDraft(name="丙", mobile="13800000003"))
    assert [x.registration_no for x in (a, b, c)] == [
        "202603010010010001", "202603010000010001", "202603020010010001"]


def test_a_lost_race_still_names_the_owner_of_the_phone(svc, agent, database, monkeypatch):
    """The unique key refuses the phone when the check before the insert saw nothing (a
    concurrent registration): the error names the customer who has it now."""
    first = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000"))
    other = svc.register(agent, CustomerDraft(name="张三", mobile="13700137000"))
    monkeypatch.setattr(CustomerService, "_refuse_duplicates", staticmethod(lambda *a: None))
    with pytest.raises(DuplicatePhone) as e:
        svc.register(agent, CustomerDraft(name="李四", mobile="13900139000",
                                          landline="0571-88001234", other_phone="13800138000"))
    assert (e.value.existing_id, e.value.params) == (first.id, {
        "phone": "13800138000", "name": "王建国", "registration_no": first.registration_no})
    with pytest.raises(DuplicatePhone) as e:
        svc.update(agent, other.id, other.version, CustomerDraft(name="张三", mobile="13800138000"))
    assert e.value.existing_id == first.id
    assert svc.get(other.id).mobile == "13700137000"
    assert [r.id for r in svc.find_by_phone("13700137000")] == [other.id]
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 2


def test_lookups_of_nothing(svc):
    assert svc.find_by_phone(" - ") == [] and svc.region_for_phone("") is None


# -- the region a phone suggests (the screen-pop) ----------------------------------------------
def regions(database, *rows) -> dict[str, int]:
    from db.models import Region
    with database.transaction() as s:
        for name, code in rows:
            s.add(Region(name=name, province="", area_code=code, updated_by_login="t"))
    with database.reading() as s:
        return {r.name: r.id for r in s.scalars(select(Region))}


def test_mobile_block_longest_prefix_wins(svc, database):
    ids = regions(database, ("北京市", "010"), ("天津市", "022"))
    assert svc.region_for_phone("130-0010-0000") == ids["北京市"]   # 1300010, not 130001
    assert svc.region_for_phone("13000190000") == ids["天津市"]     # only 130001 matches


def test_mobile_block_city_without_shi_then_by_area_code(svc, database):
    ids = regions(database, ("北京", ""), ("首都", "021"))
    assert svc.region_for_phone("13800138000") == ids["北京"]       # 北京市 → 北京
    assert svc.region_for_phone("13900139000") == ids["首都"]       # 上海市: by 021
    assert svc.region_for_phone("13000020000") is None               # 巢湖市, no area code


def test_landline_area_code_table_then_city_name(svc, database):
    ids = regions(database, ("苏州", ""), ("芒", ""), ("天津市", ""))
    assert svc.region_for_phone("0512-66001234") == ids["苏州"]     # 0512 → 苏州市 → 苏州
    assert svc.region_for_phone("022-23456789") == ids["天津市"]
    assert svc.region_for_phone("0692-2123456") is None             # 芒市 is not 芒
    assert svc.region_for_phone("0999-1234567") is None             # no such area code
    assert svc.region_for_phone("057112345") is None                 # too short for a landline


def test_landline_region_by_its_own_area_code_first(svc, database):
    ids = regions(database, ("杭州地区", "0571"), ("杭州市", ""))
    assert svc.region_for_phone("0571-88001234") == ids["杭州地区"]
    with database.reading() as s:
        assert CustomerService.region_in_session(s, "057188001234") == ids["杭州地区"]


def test_a_lost_race_whose_winner_is_gone_names_no_one(svc):
    """The unique key refused, but by the time we look the other record has gone."""
    e = svc._duplicate_after_race(CustomerDraft(name="甲", landline="057188001234"))
    assert (e.existing_id, e.field) == (0, "phones")
    assert e.params == {"phone": "057188001234", "name": "?", "registration_no": "?"}


def test_stored_row_keeps_who_registered_search_text_and_class(svc, agent, superadmin, database):
    from agent_app.search_text import search_grams
    c = svc.register(agent, CustomerDraft(name="王建国", mobile="13800138000",
                                          address="杭州市文三路8号", remark="老客户"))
    with database.transaction() as s:
        row = s.get(Customer, c.id)
        assert row.registered_by_id == agent.id
        assert row.search_grams == search_grams("杭州市文三路8号", "", "", "老客户")
        row.customer_class, row.points = "B", 900
    got = svc.get(c.id)
    assert (got.customer_class, got.points) == ("B", 900)
