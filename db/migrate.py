"""Create or upgrade a schema with Alembic; detect schemas from a newer version.

`agent-admin init-db` and the demo call `upgrade()`. The desktop and agent-ctid call
`check()` at start-up and refuse to run against a schema they do not know.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import Database, normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(Exception):
    """The database's schema does not match this program; `kind` says which way."""

    def __init__(self, kind: str, current: str | None, head: str) -> None:
        super().__init__(f"schema {kind}: database at {current!r}, program at {head!r}")
        self.kind = kind  # "newer" | "older" | "empty"
        self.current = current
        self.head = head


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


def ensure_mysql_database(url: str) -> None:
    """Create the MySQL database named in the URL (utf8mb4) if the server lacks it."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "mysql" or not u.database:
        return
    # the first server of the data source: on a multi-master cluster the database
    # replicates to the others
    server = create_engine(u._replace(database=None).difference_update_query(["failover"]),
                           isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE IF NOT EXISTS `{u.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
    finally:
        server.dispose()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str) -> str:
    """Create or upgrade the schema to head (idempotent). Returns the head revision."""
    ensure_mysql_database(url)
    db = Database.open(url)
    try:
        cur = current_revision(db)
        head = head_revision()
        script = ScriptDirectory.from_config(alembic_config(url))
        if cur is not None and cur not in {r.revision for r in script.walk_revisions()}:
            raise SchemaError("newer", cur, head)
    finally:
        db.dispose()
    command.upgrade(alembic_config(url), "head")
    return head


def check(db: Database) -> None:
    """Raise SchemaError unless the database is exactly at this program's head."""
    cur = current_revision(db)
    head = head_revision()
    if cur == head:
        return
    if cur is None:
        raise SchemaError("empty", cur, head)
    script = ScriptDirectory.from_config(alembic_config(db.url))
    known = {r.revision for r in script.walk_revisions()}
    raise SchemaError("older" if cur in known else "newer", cur, head)
