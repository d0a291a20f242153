"""Can this workstation use that database? One answer for start-up and for the settings
dialog's "test connection" button, as known errors a user can act on (never a traceback).

Runs on a worker thread; the caller shows `error_text()` of what is raised.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from agent_app.errors import (
    AccountBlocked,
    AuthFailed,
    DatabaseUnavailable,
    SchemaMismatch,
    ValidationError,
)
from agent_app.services.base import classify, mysql_errno
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database, normalise_url
from db.migrate import SchemaError, check

ADVICE = {
    "empty": QT_TRANSLATE_NOOP("errors", "The database is empty: the administrator creates the schema with "
                          "\"agent-admin init-db --url …\"."),
    "older": QT_TRANSLATE_NOOP("errors", "The database is from an older version: the administrator upgrades "
                          "it with \"agent-admin init-db --url …\"."),
    "newer": QT_TRANSLATE_NOOP("errors", "The database was upgraded by a newer version of this program: "
                          "install that version on this workstation."),
}


def _sqlite_file(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def open_checked(url: str) -> Database:
    """Open `url` and check its schema; raise a UserError saying what to do if unusable."""
    try:
        url = normalise_url(url.strip())
        path = _sqlite_file(url)
        db = Database.open(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "This is not a database URL. Use a SQLite file or "
                                           "mysql+pymysql://user:password@host/database."),
                              field="data_source") from exc
    # SQLite would silently create a missing file: say so instead of showing "empty".
    if path is not None and not path.exists():
        db.dispose()
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The database file {path} does not exist."),
                              field="data_source", path=str(path))
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        check(db)
    except SchemaError as exc:
        db.dispose()
        raise SchemaMismatch(current=exc.current or "-", head=exc.head,
                             advice=ADVICE[exc.kind]) from exc
    except DBAPIError as exc:
        db.dispose()
        known = classify(exc)
        raise (known or DatabaseUnavailable(detail=str(exc.orig)[:120])) from exc
    return db


# the server's "access denied": 1045 (bad password or no such account), 1044 (no rights to
# the database) and 1698, which MariaDB sometimes gives for an account that does not
# exist (ER_ACCESS_DENIED_NO_PASSWORD_ERROR: seen once in a fresh-clone run for login
# 9999); all three are "wrong login or password" to the user
_ACCESS_DENIED = (1045, 1044, 1698)


def probe(url: str) -> str:
    """The settings dialog's test: returns the server's description or raises UserError."""
    if uses_employee_accounts(url):
        # no account to test with before a login: that the server answers (and refuses
        # an anonymous login) is what can be checked here
        try:
            open_checked(url).dispose()
        except DatabaseUnavailable as exc:
            cause = exc.__cause__
            if cause is None or mysql_errno(cause) not in _ACCESS_DENIED:
                raise
        return "MySQL: each employee logs in with their own database account"
    db = open_checked(url)
    try:
        version = ".".join(str(x) for x in db.engine.dialect.server_version_info or ())
        return f"{db.engine.dialect.name} {version}".strip()
    finally:
        db.dispose()


def uses_employee_accounts(url: str) -> bool:
    """A MySQL data source without a user name: each employee connects as their own
    database account with the password they type (db/privileges.py); the workstation
    keeps no database secret."""
    try:
        u = make_url(normalise_url(url.strip()))
    except (ArgumentError, ValueError):
        return False
    return u.get_backend_name() == "mysql" and not u.username


# MariaDB: ER_ACCOUNT_HAS_BEEN_LOCKED (ALTER USER … ACCOUNT LOCK: a banned or closed
# employee) and ER_USER_IS_BLOCKED (max_password_errors reached).
_ACCOUNT_LOCKED = {4151, 3118}
_ACCOUNT_BLOCKED = {4150}


class EmployeeGate:
    """The login of a desk on a site with per-employee accounts: `authenticate` opens the
    database as the employee, so the server checks the password, then applies the
    desk's own rules (AccountService.authenticate). Same interface as AccountService's
    `authenticate`, for the login dialog; afterwards `db` is the employee's connection."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url.strip())
        self.db: Database | None = None

    def authenticate(self, login: str, password: str, *, channel: str = "desktop"):
        from agent_app.services.accounts import AccountService
        from db.privileges import PrivilegeError, account_name

        if self.db is not None:  # an earlier, failed attempt
            self.db.dispose()
            self.db = None
        u = make_url(self.url)
        try:
            user = account_name(u.database or "", login.strip())
        except PrivilegeError as exc:  # not a login any employee can have
            raise AuthFailed() from exc
        try:
            db = open_checked(u.set(username=user, password=password)
                              .render_as_string(hide_password=False))
        except DatabaseUnavailable as exc:
            errno = mysql_errno(exc.__cause__) if exc.__cause__ is not None else None
            if errno in _ACCESS_DENIED or errno in _ACCOUNT_LOCKED:
                raise AuthFailed() from exc
            if errno in _ACCOUNT_BLOCKED:
                raise AccountBlocked() from exc
            raise
        db.employee_login = login.strip()
        try:
            result = AccountService(db).authenticate(login, password, channel=channel)
        except Exception:
            db.dispose()
            raise
        self.db = db
        return result
