"""What every service shares: the acting user, permission checks, audit, DB errors."""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from agent_app.errors import Busy, DatabaseUnavailable, DiskFull, Forbidden, StaleEdit

# Every service imports this module, so every session of the program gets the text guard
# (one rule for text on SQLite and MariaDB; see services/text.py).
from agent_app.services import text as _text  # noqa: F401
from db.enums import Permission, Role
from db.models import AuditLog

WORKSTATION = socket.gethostname()[:64]
log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The logged-in user a service acts for. Built by AccountService.login()."""

    id: int
    login: str
    name: str
    role: Role
    permissions: frozenset[str] = field(default_factory=frozenset)
    department: str | None = None
    # The callback (CTI) groups the user works in at this desk, set where the desk logs in
    # (ui/shell.py): shared reminders are seen and taken by these groups only. Services
    # take groups from here, never from a caller's argument.
    groups: tuple[str, ...] = ()

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
    # No identity is no authority: None (or anything not an Actor) is refused, never
    # taken for the shell or an administrator.
    if not isinstance(actor, Actor) or not actor.can(permission):
        raise Forbidden()


def require_role(actor: Actor, *roles: Role) -> None:
    if not isinstance(actor, Actor) or actor.role not in roles:
        raise Forbidden()


def audit(session: Session, actor_login: str | None, action: str, target: str = "",
          **detail: Any) -> None:
    session.add(AuditLog(actor_login=actor_login, action=action, target=target[:128],
                         detail=detail or None, workstation=WORKSTATION))


# MySQL client/server error numbers that mean "the server is not there right now".
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055, 1040, 1053}
_ACCESS = {1044, 1045, 1049}
# The server refused a statement to this account (per-employee accounts, db/privileges.py):
# the services' own checks normally refuse first, so this is the database's second line.
_DENIED = {1142, 1143, 1227, 1370}
_DISK_FULL = {1021, 1114, 3, 28}


def mysql_errno(exc: DBAPIError) -> int | None:
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def classify(exc: BaseException) -> Exception | None:
    """Map a driver error to the UserError a user can act on, or None for a bug."""
    if isinstance(exc, DBAPIError):
        errno = mysql_errno(exc)
        text = str(exc.orig).lower() if exc.orig else str(exc).lower()
        if errno in _DISK_FULL or "disk is full" in text or "no space left" in text:
            return DiskFull()
        if errno in _UNREACHABLE or exc.connection_invalidated:
            return DatabaseUnavailable(detail=str(exc.orig)[:120])
        if errno in _ACCESS:
            return DatabaseUnavailable(detail=str(exc.orig)[:120])
        if errno in _DENIED:
            return Forbidden()
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


# Errors that mean "this transaction lost a race and nothing of it was written": running
# the whole transaction again is right. 1213 is InnoDB's deadlock victim and also what a
# Galera node reports when another node's write certified first; 1205 a lock wait
# timeout; 3101 Group Replication's rollback at commit; 9007 TiDB's write conflict.
_RETRYABLE = {1213, 1205, 3101, 9007}
ATTEMPTS = 6
BACKOFF_S = 0.01     # first pause; doubles each attempt, with full jitter (sum < ~0.7 s)


def transient(exc: BaseException) -> bool:
    """A write that lost a race, so nothing was written and running it again is right.

    StaleDataError belongs here too: the version-checked UPDATE matched no row because
    another writer committed after this one read. Running the transaction again re-reads
    the row, and the service's own version check then names who saved (StaleEdit).
    """
    if isinstance(exc, StaleDataError):
        return True
    return isinstance(exc, DBAPIError) and mysql_errno(exc) in _RETRYABLE


_retries = threading.local()


def retrying(fn: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run a whole transaction function again when it lost a race, with jittered
    exponential backoff so the writers that collided do not collide again in step.

    Nested use (a retried write calling another) retries only at the outermost level:
    the inner one's conflict unwinds to the outer transaction, which is the unit that
    must be re-run.
    """
    if getattr(_retries, "depth", 0):
        return fn()
    _retries.depth = 1
    try:
        for attempt in range(attempts):
            try:
                return fn()
            except (DBAPIError, StaleDataError) as exc:
                if not transient(exc):
                    raise
                if attempt == attempts - 1:
                    log.warning("write gave up after %d conflicts: %s", attempts, exc)
                    raise Busy() from exc
                time.sleep(random.uniform(0, BACKOFF_S * 2 ** attempt))
        raise AssertionError("unreachable")
    finally:
        _retries.depth = 0


def writes(method: Callable[P, T]) -> Callable[P, T]:
    """Mark a service method that writes: it runs as one retried transaction.

    Every public service method that opens `db.transaction()` carries this (a test in
    tests/services/test_write_paths.py checks), so a lost race on one server or a
    certification conflict on a cluster ends in a saved record or in a message, never
    in a crash dialog.
    """
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return retrying(lambda: method(*args, **kwargs))

    wrapper.retried_write = True  # type: ignore[attr-defined]
    return wrapper


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


