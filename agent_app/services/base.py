"""What every service shares: the acting user, permission checks, audit, DB errors."""
from __future__ import annotations

import contextlib
import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from agent_app.errors import DatabaseUnavailable, DiskFull, Forbidden, StaleEdit
from db.enums import Permission, Role
from db.models import AuditLog

WORKSTATION = socket.gethostname()[:64]


@dataclass(frozen=True)
class Actor:
    """The logged-in user a service acts for. Built by AccountService.login()."""

    id: int
    login: str
    name: str
    role: Role
    permissions: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None

    @property
    def is_superadmin(self) -> bool:
        return self.role == Role.SUPERADMIN

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.SUPERADMIN, Role.ADMIN)

    def can(self, permission: Permission | str) -> bool:
        # The super administrator holds every permission (the manual's 超级管理员).
        return self.is_superadmin or str(permission) in self.permissions


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden()


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden()


def audit(session: Session, actor_login: str | None, action: str, target: str = "",
          **detail: Any) -> None:
    session.add(AuditLog(actor_login=actor_login, action=action, target=target[:128],
                         detail=detail or None, workstation=WORKSTATION))


# MySQL client/server error numbers that mean "the server is not there right now".
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055, 1040, 1053}
_ACCESS = {1044, 1045, 1049}
_DISK_FULL = {1021, 1114, 3, 28}


def _mysql_errno(exc: DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def classify(exc: BaseException) -> Exception | None:
    """Map a driver error to the UserError a user can act on, or None for a bug."""
    if isinstance(exc, DBAPIError):
        errno = _mysql_errno(exc)
        text = str(exc.orig).lower() if exc.orig else str(exc).lower()
        if errno in _DISK_FULL or "disk is full" in text or "no space left" in text:
            return DiskFull()
        if errno in _UNREACHABLE or exc.connection_invalidated:
            return DatabaseUnavailable(detail=str(exc.orig)[:120])
        if errno in _ACCESS:
            return DatabaseUnavailable(detail=str(exc.orig)[:120])
        if isinstance(exc, OperationalError) and (
            "unable to open database" in text or "database is locked" in text
        ):
            return DatabaseUnavailable(detail=str(exc.orig)[:120])
    return None


@contextlib.contextmanager
def db_errors() -> Iterator[None]:
    """Re-raise known driver errors as UserErrors; leave bugs alone."""
    try:
        yield
    except DBAPIError as exc:
        known = classify(exc)
        if known is None:
            raise
        raise known from exc


_RETRYABLE = {1213, 1205}  # InnoDB deadlock victim, lock wait timeout


def transient(exc: BaseException) -> bool:
    """A write that lost a lock race: nothing was written, running it again is right.
    (Classic case: several writers waiting on one duplicate-key insert wake together.)"""
    return isinstance(exc, DBAPIError) and _mysql_errno(exc) in _RETRYABLE


def retrying(fn, attempts: int = 5):
    """Run a whole transaction function again when it lost a lock race."""
    for attempt in range(attempts):
        try:
            return fn()
        except DBAPIError as exc:
            if not transient(exc) or attempt == attempts - 1:
                raise


def stale(who: str | None, when: dt.datetime | None) -> StaleEdit:
    stamp = when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else "?"
    return StaleEdit(who=who or "?", when=stamp)


def check_version(row: Any, expected_version: int | None) -> None:
    """Refuse an edit based on a stale read, naming who changed the row since.

    Called before the UPDATE so the message can name the other writer; SQLAlchemy's
    version_id_col still guards the UPDATE itself against a race in between.
    """
    if expected_version is not None and row.version != expected_version:
        raise stale(row.updated_by_login, row.updated_at)


def stale_from(exc: StaleDataError) -> StaleEdit:
    return StaleEdit(who="?", when="?")
