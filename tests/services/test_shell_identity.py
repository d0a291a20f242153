"""No identity, no authority (SQLite and MariaDB): adding employees and the CTI
configuration need a super administrator; `actor=None` is refused like any stranger, and
the shell commands act as agent_app.cli.identity.SHELL, whose login the audit records."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_app.cli.identity import SHELL
from agent_app.errors import Forbidden
from agent_app.services.accounts import AccountService
from agent_app.services.cti_config import CtiConfigService
from db.enums import Role
from db.models import AuditLog, CtiGroup, DialedNumber, Employee, InternalNumber

ROOT = Path(__file__).resolve().parents[2]


def _count(database, model) -> int:
    with database.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def _writes(accounts: AccountService, cti: CtiConfigService):
    """Each privileged write, as a function of the actor."""
    return {
        "add_employee": lambda a: accounts.add_employee(
            a, login="2001", name="周杰", role=Role.ADMIN, password="pass1234"),
        "set_group": lambda a: cti.set_group(a, "31", name="售后组"),
        "set_number": lambda a: cti.set_number(a, "4006000009", group="21"),
        "add_internal": lambda a: cti.add_internal(a, "057188000000", "总机"),
    }


def test_none_and_lesser_roles_are_refused_and_change_nothing(database, superadmin, agent):
    accounts, cti = AccountService(database), CtiConfigService(database)
    cti.set_group(superadmin, "21", name="接线组")
    admin = accounts.authenticate(*_admin(accounts, superadmin)).actor
    before = {m: _count(database, m) for m in (Employee, CtiGroup, DialedNumber,
                                                InternalNumber, AuditLog)}
    for name, write in _writes(accounts, cti).items():
        for who in (None, agent, admin):   # None is no identity, not the shell
            with pytest.raises(Forbidden):
                write(who)
            assert {m: _count(database, m) for m in before} == before, (name, who)


def _admin(accounts, superadmin) -> tuple[str, str]:
    accounts.add_employee(superadmin, login="0002", name="赵敏", role=Role.ADMIN,
                          password="pass1234", must_change_password=False)
    return "0002", "pass1234"


def test_the_shell_identity_writes_as_agent_admin(database, superadmin):
    accounts, cti = AccountService(database), CtiConfigService(database)
    cti.set_group(SHELL, "21", name="接线组")
    for write in _writes(accounts, cti).values():
        write(SHELL)
    with database.reading() as s:
        by = set(s.scalars(select(AuditLog.actor_login).where(AuditLog.action.in_(
            ["employee_added", "cti_group_set", "cti_number_set", "cti_internal_add"]))))
        assert s.scalar(select(Employee.updated_by_login).where(Employee.login == "2001")) \
            == "agent-admin"
    assert by == {"agent-admin"}   # the conftest bootstraps its 0001 as the shell too


def test_the_shell_identity_is_built_only_by_the_cli():
    """Anything else that acts without a logged-in user would be a back door."""
    built = [p.relative_to(ROOT).as_posix()
             for top in ("agent_app", "ui") for p in (ROOT / top).rglob("*.py")
             if re.search(r"\bCommandLine\(", p.read_text(encoding="utf-8"))]
    assert built == ["agent_app/cli/identity.py"]
    service_src = "\n".join(p.read_text(encoding="utf-8")
                            for p in (ROOT / "agent_app" / "services").glob("*.py"))
    assert "actor: Actor | None" not in service_src and "actor=None" not in service_src
