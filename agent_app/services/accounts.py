"""员工档案 and 权限设置: login, passwords, employees, permissions. Every login,
password change and permission change is written to the audit log."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agent_app.errors import (
    AccountLocked,
    AuthFailed,
    Duplicate,
    Forbidden,
    NotFound,
    ValidationError,
)
from agent_app.security import DEFAULT_PASSWORD, hash_password, needs_rehash, verify_password
from agent_app.services.base import Actor, audit, check_version, db_errors, require_role, writes
from agent_app.services.text import check_column, searchable
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import EmployeeStatus, Permission, Role
from db.models import Department, Employee, EmployeePermission
from db.types import utcnow

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LEN = 6


@dataclass(frozen=True)
class EmployeeInfo:
    id: int
    login: str
    name: str
    department: str | None
    role: str
    status: str
    round_robin: bool
    permissions: frozenset[str]
    must_change_password: bool
    version: int


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    must_change_password: bool


def _info(e: Employee) -> EmployeeInfo:
    return EmployeeInfo(
        id=e.id, login=e.login, name=e.name,
        department=e.department.name if e.department else None,
        role=e.role, status=e.status, round_robin=e.round_robin,
        permissions=frozenset(p.permission for p in e.permissions),
        must_change_password=e.must_change_password, version=e.version,
    )


def actor_of(e: Employee) -> Actor:
    return Actor(id=e.id, login=e.login, name=e.name, role=Role(e.role),
                 permissions=frozenset(p.permission for p in e.permissions),
                 department=e.department.name if e.department else None)


# The login policy shared by the desk (AccountService.authenticate) and agent-ctid's CTI
# login (agent_app/cti/logins.py, store.py): one lock-out, counted in the employee row, so
# failures on either channel lock the account for both and a restart forgets nothing.
def lock_minutes(locked_until: dt.datetime | None, now: dt.datetime) -> int | None:
    """Minutes (at least 1) left of a lock-out, or None when the account is not locked."""
    if locked_until is None or locked_until <= now:
        return None
    return max(1, int((locked_until - now).total_seconds() // 60) + 1)


def count_failure(e: Employee, now: dt.datetime) -> None:
    """A wrong password for an active account: the MAX_FAILED_LOGINS-th locks it."""
    e.failed_logins += 1
    if e.failed_logins >= MAX_FAILED_LOGINS:
        e.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        e.failed_logins = 0


def success_values(now: dt.datetime) -> dict[str, object]:
    """What a successful login sets in the employee row (agent-ctid writes a batch of
    them with one UPDATE)."""
    return {"failed_logins": 0, "locked_until": None, "last_login_at": now}


def count_success(e: Employee, now: dt.datetime) -> None:
    for name, value in success_values(now).items():
        setattr(e, name, value)


def _validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The password needs at least {n} characters."),
                              field="password", n=MIN_PASSWORD_LEN)
    if password == DEFAULT_PASSWORD:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Choose a password other than the default."),
                              field="password")


class AccountService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- login ---------------------------------------------------------------------------
    @writes
    def authenticate(self, login: str, password: str, *, channel: str = "desktop") -> LoginResult:
        """Check a password; count failures; lock after MAX_FAILED_LOGINS.

        Unknown, closed and banned accounts get the same AuthFailed as a wrong password
        (the manual: 禁止登陆 shows "用户名或密码错误"). The failure counter and the audit
        row are committed even though the login itself fails.
        """
        if self.db.employee_login is not None:
            return self._authenticate_connected(login, channel)
        now = utcnow()
        with db_errors(), self.db.transaction() as s:
            e = s.scalar(select(Employee).where(Employee.login == login.strip()))
            if e is None:
                audit(s, login[:32], "login_failed", login[:32], channel=channel, why="unknown")
                failure: Exception = AuthFailed()
            elif (minutes := lock_minutes(e.locked_until, now)) is not None:
                audit(s, e.login, "login_failed", e.login, channel=channel, why="locked")
                failure = AccountLocked(minutes=minutes)
            elif e.status != EmployeeStatus.ACTIVE or not verify_password(e.password_hash, password):
                if e.status == EmployeeStatus.ACTIVE:
                    count_failure(e, now)
                audit(s, e.login, "login_failed", e.login, channel=channel, why=e.status)
                failure = AuthFailed()
            else:
                count_success(e, now)
                if needs_rehash(e.password_hash):
                    e.password_hash = hash_password(password)
                audit(s, e.login, "login", e.login, channel=channel)
                return LoginResult(actor_of(e), e.must_change_password)
        raise failure

    @writes
    def _authenticate_connected(self, login: str, channel: str) -> LoginResult:
        """A desk connected as the employee's own database account: the server checked
        the password (and counts failures: max_password_errors), and this account can
        neither read the hash nor update the employee row. What is left are the desk's
        rules: the account is this employee's, active, and not locked by CTI failures."""
        now = utcnow()
        with db_errors(), self.db.transaction() as s:
            e = s.scalar(select(Employee).where(Employee.login == login.strip()))
            if e is None or e.login != self.db.employee_login \
                    or e.status != EmployeeStatus.ACTIVE:
                audit(s, login[:32], "login_failed", login[:32], channel=channel,
                      why="unknown" if e is None else e.status)
                failure: Exception = AuthFailed()
            elif e.locked_until and e.locked_until > now:
                minutes = max(1, int((e.locked_until - now).total_seconds() // 60) + 1)
                audit(s, e.login, "login_failed", e.login, channel=channel, why="locked")
                failure = AccountLocked(minutes=minutes)
            else:
                audit(s, e.login, "login", e.login, channel=channel, account="own")
                return LoginResult(actor_of(e), e.must_change_password)
        raise failure

    def change_password(self, actor: Actor, old: str, new: str) -> None:
        if self.db.employee_login is not None:
            return self._change_own_account_password(actor, old, new)
        return self._change_password(actor, old, new)

    @writes
    def _change_own_account_password(self, actor: Actor, old: str, new: str) -> None:
        """Per-employee accounts: the server holds the password. The old one is checked
        by a connection attempt, then one definer procedure sets the account's password
        and the hash agent-ctid checks (db/privileges.py)."""
        from db.privileges import change_own_password

        _validate_password(new)
        if actor.login != self.db.employee_login:
            raise Forbidden()
        with db_errors():
            if not self.db.check_password(old):
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "The current password is wrong."),
                                      field="old_password")
            with self.db.engine.connect() as conn:
                change_own_password(conn, self.db.database_name, new, hash_password(new))
            self.db.set_password(new)
            with self.db.transaction() as s:
                audit(s, actor.login, "password_changed", actor.login)

    @writes
    def _change_password(self, actor: Actor, old: str, new: str) -> None:
        _validate_password(new)
        with db_errors(), self.db.transaction() as s:
            e = s.get(Employee, actor.id)
            if e is None:
                raise NotFound()
            if not verify_password(e.password_hash, old):
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "The current password is wrong."),
                                      field="old_password")
            e.password_hash = hash_password(new)
            e.must_change_password = False
            e.updated_by_login = actor.login
            audit(s, actor.login, "password_changed", actor.login)

    # -- employee archive ----------------------------------------------------------------
    def list_employees(self, actor: Actor, *, include_closed: bool = True,
                       name_prefix: str = "") -> list[EmployeeInfo]:
        """Everyone may view the archive (operators only view)."""
        with db_errors(), self.db.reading() as s:
            q = select(Employee).order_by(Employee.login)
            if not include_closed:
                q = q.where(Employee.status != EmployeeStatus.CLOSED)
            if name_prefix:
                if not searchable(name_prefix):  # no name holds it: match nothing (text.py)
                    return []
                q = q.where(Employee.name.startswith(name_prefix))
            return [_info(e) for e in s.scalars(q)]

    def pick_list(self, *, department: str | None = None) -> list[tuple[int, str, str]]:
        """(id, login, name) of employees that may appear in drop-downs: closed ones never
        do (关闭用户: 在员工选项里面都不会有该用户的名字)."""
        with db_errors(), self.db.reading() as s:
            q = (select(Employee.id, Employee.login, Employee.name)
                 .where(Employee.status != EmployeeStatus.CLOSED).order_by(Employee.login))
            if department:
                q = q.join(Department, Employee.department_id == Department.id).where(
                    Department.name == department)
            return [tuple(r) for r in s.execute(q)]

    @writes
    def add_employee(self, actor: Actor, *, login: str, name: str, role: Role,
                     password: str, department: str | None = None,
                     permissions: set[Permission] | None = None,
                     must_change_password: bool = True) -> EmployeeInfo:
        """Super administrators add employees. `agent-admin employee add` on the server
        (the bootstrap of the first one) acts as agent_app.cli.identity.SHELL, a super
        administrator whose authority is shell access; there is no identity-less path."""
        require_role(actor, Role.SUPERADMIN)
        login, name = login.strip(), check_column(Employee.name, name.strip())
        if not login or not login.isalnum() or len(login) > 32:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "The login must be 1-32 letters or digits."),
                                  field="login")
        if not name:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "The name is required."), field="name")
        _validate_password(password)
        by = actor.login
        try:
            with db_errors(), self.db.transaction() as s:
                if s.scalar(select(Employee.id).where(Employee.login == login)) is not None:
                    raise Duplicate(QT_TRANSLATE_NOOP("errors", "The login {login} is already taken."),
                                    field="login", login=login)
                dept = self._department(s, department)
                e = Employee(login=login, name=name, role=str(Role(role)),
                             status=EmployeeStatus.ACTIVE, department=dept,
                             password_hash=hash_password(password),
                             must_change_password=must_change_password, updated_by_login=by)
                e.permissions = [EmployeePermission(permission=str(p)) for p in permissions or ()]
                s.add(e)
                s.flush()
                audit(s, by, "employee_added", login, role=str(role))
                info = _info(e)
            self._sync_account(login, password)
            return info
        except IntegrityError as exc:  # a concurrent add of the same login
            raise Duplicate(QT_TRANSLATE_NOOP("errors", "The login {login} is already taken."),
                            field="login", login=login) from exc

    @writes
    def modify_employee(self, actor: Actor, employee_id: int, *, version: int,
                        department: str | None = None, role: Role | None = None) -> EmployeeInfo:
        """Login and name are immutable (员工号和姓名录入后不能修改): not parameters."""
        require_role(actor, Role.SUPERADMIN)
        with db_errors(), self.db.transaction() as s:
            e = self._get(s, employee_id)
            check_version(e, version)
            if department is not None:
                e.department = self._department(s, department)
            if role is not None:
                e.role = str(Role(role))
            e.updated_by_login = actor.login
            audit(s, actor.login, "employee_modified", e.login, role=e.role,
                  department=department)
            s.flush()
            info = _info(e)
        self._sync_account(info.login)
        return info

    @writes
    def set_status(self, actor: Actor, employee_id: int, status: EmployeeStatus) -> EmployeeInfo:
        """关闭用户 / 禁止登陆 / back to active (super administrators)."""
        require_role(actor, Role.SUPERADMIN)
        with db_errors(), self.db.transaction() as s:
            e = self._get(s, employee_id)
            if e.id == actor.id and status != EmployeeStatus.ACTIVE:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "You cannot close or ban your own account."))
            e.status = str(EmployeeStatus(status))
            e.updated_by_login = actor.login
            audit(s, actor.login, "employee_status", e.login, status=e.status)
            s.flush()
            info = _info(e)
        self._sync_account(info.login)  # banned or closed: the account is locked too
        return info

    @writes
    def set_round_robin(self, actor: Actor, employee_id: int, enabled: bool) -> EmployeeInfo:
        """启用/关闭轮选: administrators and super administrators."""
        require_role(actor, Role.SUPERADMIN, Role.ADMIN)
        with db_errors(), self.db.transaction() as s:
            e = self._get(s, employee_id)
            e.round_robin = enabled
            e.updated_by_login = actor.login
            audit(s, actor.login, "employee_round_robin", e.login, enabled=enabled)
            s.flush()
            return _info(e)

    @writes
    def reset_password(self, actor: Actor, employee_id: int) -> None:
        """登陆恢复: back to the default 8888, to be changed at next login; unlocks."""
        require_role(actor, Role.SUPERADMIN)
        with db_errors(), self.db.transaction() as s:
            e = self._get(s, employee_id)
            e.password_hash = hash_password(DEFAULT_PASSWORD)
            e.must_change_password = True
            e.failed_logins = 0
            e.locked_until = None
            e.updated_by_login = actor.login
            audit(s, actor.login, "password_reset", e.login)
            login = e.login
        self._sync_account(login, DEFAULT_PASSWORD)

    @writes
    def set_permissions(self, actor: Actor, employee_id: int,
                        permissions: set[Permission]) -> EmployeeInfo:
        require_role(actor, Role.SUPERADMIN)
        wanted = {str(Permission(p)) for p in permissions}
        with db_errors(), self.db.transaction() as s:
            e = self._get(s, employee_id)
            before = {p.permission for p in e.permissions}
            e.permissions = [p for p in e.permissions if p.permission in wanted] + [
                EmployeePermission(permission=p) for p in sorted(wanted - before)]
            e.updated_by_login = actor.login
            audit(s, actor.login, "permissions_changed", e.login,
                  added=sorted(wanted - before), removed=sorted(before - wanted))
            s.flush()
            info = _info(e)
        self._sync_account(info.login)  # the database role follows the permissions
        return info

    # -- helpers -------------------------------------------------------------------------
    def _sync_account(self, login: str, password: str | None = None) -> None:
        """Keep the employee's own database account in step (a shared site that runs
        per-employee accounts, db/privileges.py): role, lock, and the password when one
        was set. Account statements commit by themselves in MySQL, so this runs after
        the employee's transaction, on a connection of its own."""
        from db import privileges

        if self.db.is_sqlite:
            return
        with db_errors(), self.db.engine.connect() as conn:
            if not privileges.installed(conn, self.db.database_name):
                return
            e = conn.execute(select(Employee.id, Employee.role, Employee.status)
                             .where(Employee.login == login)).one()
            perms = conn.scalars(select(EmployeePermission.permission)
                                 .where(EmployeePermission.employee_id == e.id)).all()
            privileges.sync_account(conn, self.db.database_name, login, role=e.role,
                                    permissions=perms,
                                    active=e.status == EmployeeStatus.ACTIVE,
                                    password=password)

    @staticmethod
    def _get(s, employee_id: int) -> Employee:
        e = s.get(Employee, employee_id)
        if e is None:
            raise NotFound()
        return e

    @staticmethod
    def _department(s, name: str | None) -> Department | None:
        if not name:
            return None
        d = s.scalar(select(Department).where(Department.name == name))
        if d is None:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "There is no department named {name}."),
                                  field="department", name=name)
        return d
