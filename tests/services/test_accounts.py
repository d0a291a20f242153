"""Accounts on SQLite and MariaDB: login rules, locking, permissions, audit."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from agent_app.errors import (
    AccountLocked,
    AuthFailed,
    Duplicate,
    Forbidden,
    StaleEdit,
    ValidationError,
)
from agent_app.services.accounts import MAX_FAILED_LOGINS, AccountService
from db.enums import EmployeeStatus, Permission, Role
from db.models import AuditLog, Employee
from db.types import utcnow


@pytest.fixture
def svc(database):
    return AccountService(database)


def _operator(svc, admin, login="1001"):
    return svc.add_employee(admin, login=login, name="李娜", role=Role.OPERATOR,
                            password="pass1234", department="直销部",
                            must_change_password=False)


def test_login_ok_and_audited(svc, superadmin, database):
    res = svc.authenticate("0001", "admin123")
    assert res.actor.login == "0001" and res.actor.is_superadmin
    with database.reading() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.target == "0001")))
    assert actions.count("login") == 2  # fixture login + this one


def test_wrong_unknown_banned_closed_all_look_alike(svc, superadmin):
    op = _operator(svc, superadmin)
    messages = set()
    for login, pw in [("0001", "nope"), ("9999", "whatever")]:
        with pytest.raises(AuthFailed) as e:
            svc.authenticate(login, pw)
        messages.add(str(e.value))
    svc.set_status(superadmin, op.id, EmployeeStatus.BANNED)
    with pytest.raises(AuthFailed) as e:
        svc.authenticate("1001", "pass1234")  # right password, banned
    messages.add(str(e.value))
    svc.set_status(superadmin, op.id, EmployeeStatus.CLOSED)
    with pytest.raises(AuthFailed):
        svc.authenticate("1001", "pass1234")
    assert len(messages) == 1
    assert "1001" not in [login for _, login, _ in svc.pick_list()]  # closed: not in pick lists


def test_five_failures_lock_then_expire(svc, superadmin, database):
    _operator(svc, superadmin)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthFailed):
            svc.authenticate("1001", "bad")
    with pytest.raises(AccountLocked):
        svc.authenticate("1001", "pass1234")  # even the right password
    with database.transaction() as s:  # time passes
        e = s.scalar(select(Employee).where(Employee.login == "1001"))
        e.locked_until = utcnow() - dt.timedelta(seconds=1)
    assert svc.authenticate("1001", "pass1234").actor.login == "1001"


def test_reset_password_to_default_forces_change(svc, superadmin):
    op = _operator(svc, superadmin)
    svc.reset_password(superadmin, op.id)
    res = svc.authenticate("1001", "8888")
    assert res.must_change_password
    with pytest.raises(ValidationError):
        svc.change_password(res.actor, "8888", "8888")
    with pytest.raises(ValidationError) as e:
        svc.change_password(res.actor, "wrong", "newpass99")
    assert e.value.field == "old_password"
    svc.change_password(res.actor, "8888", "newpass99")
    assert not svc.authenticate("1001", "newpass99").must_change_password


def test_duplicate_login_refused_and_nothing_changed(svc, superadmin):
    _operator(svc, superadmin)
    before = svc.list_employees(superadmin)
    with pytest.raises(Duplicate) as e:
        svc.add_employee(superadmin, login="1001", name="另一个", role=Role.OPERATOR,
                         password="pass1234")
    assert e.value.field == "login"
    assert svc.list_employees(superadmin) == before


def test_operators_only_view(svc, superadmin):
    _operator(svc, superadmin)
    op = svc.authenticate("1001", "pass1234").actor
    assert len(svc.list_employees(op)) == 2
    with pytest.raises(Forbidden):
        svc.add_employee(op, login="2002", name="张三", role=Role.OPERATOR, password="pass1234")
    with pytest.raises(Forbidden):
        svc.set_permissions(op, op.id, {Permission.STATISTICS})
    with pytest.raises(Forbidden):
        svc.set_round_robin(op, op.id, True)


def test_admin_switches_round_robin(svc, superadmin):
    op = _operator(svc, superadmin)
    svc.add_employee(superadmin, login="0002", name="赵敏", role=Role.ADMIN, password="pass1234")
    admin = svc.authenticate("0002", "pass1234").actor
    assert svc.set_round_robin(admin, op.id, True).round_robin


def test_permissions_change_and_audit(svc, superadmin, database):
    op = _operator(svc, superadmin)
    info = svc.set_permissions(superadmin, op.id, {Permission.STATISTICS, Permission.EXPORT})
    assert info.permissions == {"statistics", "export"}
    actor = svc.authenticate("1001", "pass1234").actor
    assert actor.can(Permission.EXPORT) and not actor.can(Permission.MONITOR)
    svc.set_permissions(superadmin, op.id, {Permission.EXPORT})
    with database.reading() as s:
        details = list(s.scalars(select(AuditLog.detail)
                                 .where(AuditLog.action == "permissions_changed")
                                 .order_by(AuditLog.id)))
    assert details[-1] == {"added": [], "removed": ["statistics"]}


def test_stale_modify_names_the_other_writer(svc, superadmin):
    op = _operator(svc, superadmin)
    svc.modify_employee(superadmin, op.id, version=op.version, department="回访部")
    with pytest.raises(StaleEdit) as e:
        svc.modify_employee(superadmin, op.id, version=op.version, department="物流部")
    assert "0001" in str(e.value)
    assert svc.list_employees(superadmin)[1].department == "回访部"


def test_unknown_department_is_a_field_error(svc, superadmin):
    with pytest.raises(ValidationError) as e:
        svc.add_employee(superadmin, login="3003", name="钱七", role=Role.OPERATOR,
                         password="pass1234", department="不存在部")
    assert e.value.field == "department"
