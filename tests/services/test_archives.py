"""Archives on SQLite and MariaDB: validation by field, assigned product codes, locking,
permissions, audit, the placement a call answers, and system settings."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent_app.errors import Conflict, Duplicate, Forbidden, StaleEdit, ValidationError
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.sequences import LANES, lane_of
from db.enums import Permission, Role
from db.models import AuditLog, DialedNumber, Product

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def svc(database):
    return ArchiveService(database)


@pytest.fixture
def operator(database, superadmin):
    acc = AccountService(database)
    acc.add_employee(superadmin, login="1001", name="李娜", role=Role.OPERATOR,
                     password="pass1234", must_change_password=False)
    return acc.authenticate("1001", "pass1234").actor


def _variety(svc, admin, name="眼保姆"):
    return svc.save_variety(admin, name=name)


def _product(svc, admin, variety, **kw):
    args = dict(name="眼保姆护眼仪", specification="EB-2", variety_id=variety.id, unit="台",
                short_code="ybm", retail_price="398")
    args.update(kw)
    return svc.save_product(admin, **args)


def test_product_code_assigned_and_price_normalised(svc, superadmin):
    v = _variety(svc, superadmin)
    a = _product(svc, superadmin, v)
    b = _product(svc, superadmin, v, name="操盘手软件", short_code="cps1", retail_price="1,280.5")
    # six digits from the writer's counter lane: lane k issues k+1, k+1+LANES, …
    lane = lane_of(superadmin.login)
    assert (a.code, b.code) == (f"{lane + 1:06d}", f"{lane + 1 + LANES:06d}")
    assert a.short_code == "YBM" and a.retail_price == Decimal("398.00")
    assert b.retail_price == Decimal("1280.50") and b.variety == "眼保姆"
    # editing never changes the code, even if the caller wanted to
    edited = svc.save_product(superadmin, a.id, version=a.version, name="眼保姆二代",
                              specification="EB-3", variety_id=v.id, unit="台",
                              short_code="ybm", retail_price=Decimal("428"))
    assert edited.code == a.code and edited.version == a.version + 1


@pytest.mark.parametrize("price, field", [("", "retail_price"), ("abc", "retail_price"),
                                          ("0", "retail_price"), ("-5", "retail_price"),
                                          ("1.234", "retail_price"), ("NaN", "retail_price")])
def test_product_without_valid_price_is_refused_and_nothing_saved(svc, superadmin, database,
                                                                  price, field):
    v = _variety(svc, superadmin)
    with pytest.raises(ValidationError) as e:
        _product(svc, superadmin, v, retail_price=price)
    assert e.value.field == field
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 0


def test_product_field_errors(svc, superadmin):
    v = _variety(svc, superadmin)
    cases = [(dict(name="  "), "name"), (dict(unit=""), "unit"),
             (dict(short_code="有中文"), "short_code"), (dict(variety_id=None), "variety_id"),
             (dict(variety_id=99999), "variety_id"), (dict(name="x" * 101), "name")]
    for kw, field in cases:
        with pytest.raises(ValidationError) as e:
            _product(svc, superadmin, v, **kw)
        assert e.value.field == field, kw
    _product(svc, superadmin, v)
    with pytest.raises(Duplicate) as e:
        _product(svc, superadmin, v, name="另一个", short_code="YBM")
    assert e.value.field == "short_code"
    assert len(svc.list_products(superadmin)) == 1


def test_operators_read_but_cannot_edit_unless_granted(svc, superadmin, operator, database):
    r = svc.save_region(superadmin, name="杭州", province="浙江", area_code="0571")
    assert [x.name for x in svc.list_regions(operator)] == ["杭州"]
    assert not svc.can_edit(operator)
    with pytest.raises(Forbidden):
        svc.save_region(operator, name="宁波")
    with pytest.raises(Forbidden):
        svc.delete_region(operator, r.id, r.version)
    with pytest.raises(Forbidden):
        svc.set_settings(operator, {"browse_days": "30"})
    AccountService(database).set_permissions(superadmin, operator.id, {Permission.ARCHIVES})
    granted = AccountService(database).authenticate("1001", "pass1234").actor
    assert svc.can_edit(granted)
    assert svc.save_region(granted, name="宁波", area_code="0574").name == "宁波"


def test_region_validation_duplicate_and_audit(svc, superadmin, database):
    with pytest.raises(ValidationError) as e:
        svc.save_region(superadmin, name="杭州", area_code="571")
    assert e.value.field == "area_code"
    r = svc.save_region(superadmin, name="杭州", province="浙江", area_code="0571")
    with pytest.raises(Duplicate) as e:
        svc.save_region(superadmin, name="杭州")
    assert e.value.field == "name"
    svc.save_region(superadmin, r.id, version=r.version, name="杭州市", province="浙江",
                    area_code="0571")
    with database.reading() as s:
        rows = list(s.execute(select(AuditLog.action, AuditLog.detail)
                              .where(AuditLog.target == f"region:{r.id}").order_by(AuditLog.id)))
    assert [a for a, _ in rows] == ["archive_added", "archive_changed"]
    assert rows[1][1] == {"name": ["杭州", "杭州市"]}


def test_stale_edit_is_refused_naming_the_other_writer(svc, superadmin, database):
    acc = AccountService(database)
    acc.add_employee(superadmin, login="0002", name="赵敏", role=Role.ADMIN, password="pass1234",
                     must_change_password=False)
    other = acc.authenticate("0002", "pass1234").actor
    m = svc.save_medium(superadmin, type="电视", name="浙江卫视")
    svc.save_medium(other, m.id, version=m.version, type="电视", name="浙江卫视综合")
    with pytest.raises(StaleEdit) as e:
        svc.save_medium(superadmin, m.id, version=m.version, type="电视", name="浙江卫视二套")
    assert "0002" in str(e.value)
    assert [x.name for x in svc.list_media(superadmin)] == ["浙江卫视综合"]


def test_department_in_use_cannot_be_deleted(svc, superadmin):
    depts = {d.name: d for d in svc.list_departments(superadmin)}
    assert {"直销部", "回访部", "物流部", "市场部"} <= set(depts)
    d = depts["直销部"]  # the super administrator belongs to it
    with pytest.raises(Conflict):
        svc.delete_department(superadmin, d.id, d.version)
    assert "直销部" in {x.name for x in svc.list_departments(superadmin)}
    new = svc.save_department(superadmin, number="05", name="客服部", business_number="4006-1")
    with pytest.raises(ValidationError) as e:
        svc.save_department(superadmin, new.id, version=new.version, number="05", name="客服部",
                            business_number="四零零")
    assert e.value.field == "business_number"
    with pytest.raises(Duplicate) as e:
        svc.save_department(superadmin, number="01", name="新部门")
    assert e.value.field == "number"
    svc.delete_department(superadmin, new.id, new.version)
    assert "客服部" not in {x.name for x in svc.list_departments(superadmin)}


def _schedule(svc, admin):
    v = _variety(svc, admin)
    p = _product(svc, admin, v)
    tv = svc.save_medium(admin, type="电视", name="浙江卫视")
    paper = svc.save_medium(admin, type="报纸", name="钱江晚报")
    day = dt.date(2026, 5, 22)
    mk = dict(variety_id=v.id, product_id=p.id, length_s=120)
    a = svc.save_placement(admin, medium_id=tv.id, air_date=day, start_time=dt.time(20, 0), **mk)
    b = svc.save_placement(admin, medium_id=tv.id, air_date=day, start_time=dt.time(21, 0), **mk)
    late = svc.save_placement(admin, medium_id=tv.id, air_date=day, start_time=dt.time(23, 50),
                              **mk)
    svc.save_placement(admin, medium_id=paper.id, air_date=day, start_time=dt.time(20, 30), **mk)
    return tv, a, b, late


def test_placement_running_at_a_time(svc, superadmin, database):
    tv, a, b, late = _schedule(svc, superadmin)
    at = lambda h, m, d=22: dt.datetime(2026, 5, d, h, m, tzinfo=SH)  # noqa: E731
    assert svc.placement_at(at(20, 1), medium_id=tv.id).id == a.id
    assert svc.placement_at(at(20, 31), medium_id=tv.id).id == a.id  # inside the 30-min window
    assert svc.placement_at(at(20, 40), medium_id=tv.id) is None     # window over
    assert svc.placement_at(at(21, 10), medium_id=tv.id).id == b.id
    assert svc.placement_at(at(19, 59), medium_id=tv.id) is None     # before any advert
    assert svc.placement_at(at(0, 10, 23), medium_id=tv.id).id == late.id  # after midnight
    # the same instant given in UTC finds the same advert (schedule is Beijing time)
    assert svc.placement_at(at(21, 10).astimezone(dt.UTC), medium_id=tv.id).id == b.id
    # through the dialled hotline number
    with database.transaction() as s:
        s.add(DialedNumber(digits="4008001234", group_number="21", medium_id=tv.id))
    found = svc.placement_at(at(20, 5), dialed="4008001234")
    assert found.id == a.id and found.product == "眼保姆护眼仪" and found.medium == "浙江卫视"
    assert svc.placement_at(at(20, 5), dialed="4000000000") is None
    svc.set_settings(superadmin, {"lead_window_minutes": "60"})
    assert svc.placement_at(at(20, 40), medium_id=tv.id).id == a.id
    listed = svc.list_placements(superadmin, date_from=dt.date(2026, 5, 22), medium_id=tv.id)
    assert [p.start_time for p in listed] == [dt.time(20), dt.time(21), dt.time(23, 50)]


def test_placement_validation(svc, superadmin):
    v = _variety(svc, superadmin)
    other = _variety(svc, superadmin, "操盘手")
    p = _product(svc, superadmin, other)
    m = svc.save_medium(superadmin, type="电视", name="央视二套")
    base = dict(medium_id=m.id, variety_id=v.id, air_date=dt.date(2026, 5, 1),
                start_time=dt.time(9), length_s=60)
    for kw, field in [(dict(length_s=0), "length_s"), (dict(length_s="abc"), "length_s"),
                      (dict(medium_id=None), "medium_id"), (dict(air_date=None), "air_date"),
                      (dict(product_id=p.id), "product_id"), (dict(medium_id=424242), "medium_id")]:
        with pytest.raises(ValidationError) as e:
            svc.save_placement(superadmin, **{**base, **kw})
        assert e.value.field == field, kw
    assert svc.list_placements(superadmin) == []


def test_settings_declared_validated_and_audited(svc, superadmin, database):
    assert svc.browse_days() == 7
    assert svc.get_settings()["site_timezone"] == "Asia/Shanghai"
    for key, bad in [("browse_days", "0"), ("browse_days", "七"), ("site_timezone", "Mars/Base"),
                     ("nonsense", "1")]:
        with pytest.raises(ValidationError) as e:
            svc.set_settings(superadmin, {"browse_days": "30", key: bad})
        assert e.value.field == key
    assert svc.browse_days() == 7  # nothing written by the refused batch
    svc.set_settings(superadmin, {"browse_days": " 30 "})
    assert svc.browse_days() == 30
    with database.reading() as s:
        detail = s.scalar(select(AuditLog.detail).where(AuditLog.action == "settings_changed"))
    assert detail == {"browse_days": ["7", "30"]}


def test_variety_in_use_is_deactivated_not_deleted(svc, superadmin):
    v = _variety(svc, superadmin)
    _product(svc, superadmin, v)
    with pytest.raises(Conflict):
        svc.delete_variety(superadmin, v.id, v.version)
    off = svc.save_variety(superadmin, v.id, version=v.version, name=v.name, active=False)
    assert not off.active and svc.list_varieties(superadmin, active_only=True) == []


def test_placement_cost_optional_parsed_and_checked(svc, superadmin):
    """费用: empty stays unset; '¥1,280.00' reads as 1280.00; a bad cost changes nothing."""
    v = _variety(svc, superadmin)
    m = svc.save_medium(superadmin, type="电视", name="央视二套")
    base = dict(medium_id=m.id, variety_id=v.id, air_date=dt.date(2026, 5, 1),
                start_time=dt.time(9), length_s=60)
    p = svc.save_placement(superadmin, **base)
    assert p.cost is None
    p = svc.save_placement(superadmin, p.id, version=p.version, **base, cost="¥1,280.00")
    assert p.cost == Decimal("1280.00")
    assert svc.list_placements(superadmin)[0].cost == Decimal("1280.00")
    for bad in ["-1", "12.345", "abc", "¥1,2x", "NaN", "99999999999"]:
        with pytest.raises(ValidationError) as e:
            svc.save_placement(superadmin, p.id, version=p.version, **base, cost=bad)
        assert e.value.field == "cost", bad
    assert svc.list_placements(superadmin)[0].cost == Decimal("1280.00")
    p = svc.save_placement(superadmin, p.id, version=p.version, **base, cost="0")
    assert p.cost == Decimal("0.00")
    p = svc.save_placement(superadmin, p.id, version=p.version, **base, cost="")
    assert svc.list_placements(superadmin)[0].cost is None
