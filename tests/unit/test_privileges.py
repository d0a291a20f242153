"""db/privileges.py's naming and role rules, without a server (the grants themselves are
proven against MariaDB in tests/services/test_db_accounts.py)."""
from __future__ import annotations

import pytest

from db import privileges as p
from db.enums import Permission, Role


@pytest.mark.parametrize("role, permissions, composite", [
    (Role.OPERATOR, [], "operator"),
    (Role.OPERATOR, [Permission.EXPORT, Permission.STATISTICS], "operator"),
    (Role.OPERATOR, [Permission.ARCHIVES], "operator_archives"),
    (Role.OPERATOR, [Permission.CUSTOMER_MAINTENANCE], "operator_maintenance"),
    (Role.OPERATOR, [Permission.CUSTOMER_MAINTENANCE, Permission.ARCHIVES],
     "operator_archives_maintenance"),
    # 删撤销单 removes orders: the order-removal rights of 客户维护
    (Role.OPERATOR, [Permission.DELETE_WITHDRAWN], "operator_maintenance"),
    ("operator", ["delete_withdrawn", "archives"], "operator_archives_maintenance"),
    (Role.OPERATOR, [Permission.WITHDRAW_ORDER, Permission.DISPATCH_FEEDBACK], "operator"),
    (Role.ADMIN, [], "admin"),
    (Role.ADMIN, [Permission.ARCHIVES], "admin"),
    (Role.SUPERADMIN, [], "superadmin"),
    ("operator", ["archives"], "operator_archives"),   # as the database stores them
])
def test_each_employee_holds_one_composite_role(role, permissions, composite):
    assert p.composite_role(role, permissions) == composite
    assert composite in p.COMPOSITES


def test_composites_are_built_of_known_parts_and_widen_with_the_role():
    parts = {c: set(p._PARTS_OF[c]) for c in p.COMPOSITES}
    assert set(parts) == set(p.COMPOSITES)
    assert all(ps <= set(p.PARTS) and "desk" in ps for ps in parts.values())
    assert parts["operator"] < parts["operator_archives"] < parts["operator_archives_maintenance"]
    assert parts["operator_maintenance"] < parts["operator_archives_maintenance"]
    assert parts["operator_archives_maintenance"] < parts["admin"] < parts["superadmin"]
    assert "accounts" in parts["superadmin"] and "accounts" not in parts["admin"]
    assert "supervise" in parts["admin"] and "supervise" not in parts["operator_archives_maintenance"]


def test_names_carry_the_database_and_refuse_what_is_not_a_name():
    assert p.account_name("agentdesk", "1001") == "agentdesk_1001"
    assert p.role_name("agentdesk", "operator") == "agentdesk_operator"
    assert p.ctid_account("agentdesk") == "agentdesk_ctid"
    long_db = "d" * 64
    assert len(p.account_name(long_db, "x" * 32)) <= p.MAX_ACCOUNT
    assert len(p.ctid_account(long_db)) <= p.MAX_ACCOUNT
    for login in ("", "x" * 33, "a b", "root'@'%", "李娜", "a_b"):
        with pytest.raises(p.PrivilegeError):
            p.account_name("agentdesk", login)
    for db in ("", "a-b", "x`y", "d" * 65):
        with pytest.raises(p.PrivilegeError):
            p.role_name(db, "desk")


def test_no_desk_block_writes_the_secrets_or_edits_the_audit_trail():
    desk_like = [p.DESK_WRITES, p.ARCHIVES_WRITES, p.MAINTENANCE_WRITES, p.ACCOUNTS_WRITES]
    for block in desk_like:
        assert "UPDATE" not in block.get("audit_log", "") and "DELETE" not in block.get(
            "audit_log", "")
    assert p.DESK_WRITES["audit_log"] == "INSERT"
    assert "employee" not in p.DESK_WRITES and "employee_permission" not in p.DESK_WRITES
    assert "password_hash" in p.SECRET_COLUMNS["employee"]
    assert "password_hash" not in p.CTID_EMPLOYEE_UPDATES + p.SUPERVISE_EMPLOYEE_UPDATES
    assert "role" not in p.CTID_EMPLOYEE_UPDATES + p.SUPERVISE_EMPLOYEE_UPDATES
