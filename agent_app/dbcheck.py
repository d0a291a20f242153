"""Can this workstation use that database? One answer for start-up and for the settings
dialog's "test connection" button, as known errors a user can act on (never a traceback).

Runs on a worker thread; the caller shows `error_text()` of what is raised.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from agent_app.errors import DatabaseUnavailable, SchemaMismatch, ValidationError
from agent_app.services.base import classify
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


def probe(url: str) -> str:
    """The settings dialog's test: returns the server's description or raises UserError."""
    db = open_checked(url)
    try:
        version = ".".join(str(x) for x in db.engine.dialect.server_version_info or ())
        return f"{db.engine.dialect.name} {version}".strip()
    finally:
        db.dispose()
