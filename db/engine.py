"""Engine and transaction set-up for SQLite (embedded) and MySQL/MariaDB (shared)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept `mysql://` and plain paths; always talk utf8mb4 to MySQL."""
    if "://" not in url:  # a bare file path means an embedded SQLite database
        return f"sqlite:///{url}"
    u = make_url(url)
    if u.get_backend_name() == "mysql":
        if u.drivername == "mysql":
            u = u.set(drivername="mysql+pymysql")
        if "charset" not in u.query:
            u = u.update_query_dict({"charset": "utf8mb4"})
    return u.render_as_string(hide_password=False)


def database_label(url: str) -> str:
    """What the desk's status bar and login dialog show of a database URL: never a
    password."""
    from pathlib import Path

    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError:  # not a URL at all: the start-up check says so; show it as typed
        return url.rsplit("@", 1)[-1] if "@" in url else url
    if u.get_backend_name() == "sqlite":
        return f"SQLite {Path(u.database or '').name}"
    return f"MySQL {u.username or ''}@{u.host or ''}/{u.database or ''}"


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            echo=echo,
            # The client's DB worker threads share the engine; SQLite serialises writers
            # itself and busy_timeout makes a second writer wait instead of failing.
            connect_args={"check_same_thread": False, "timeout": 15},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        # pysqlite's default "deferred" BEGIN lets two writers both read and then one
        # fails on upgrade to a write lock; BEGIN IMMEDIATE takes the write lock up front,
        # so read-modify-write transactions (sequences, optimistic checks) serialise.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,      # a server restart or idle timeout must not fail a save
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        connect_args={"connect_timeout": 5, "read_timeout": 30, "write_timeout": 30},
    )


@dataclass
class Database:
    """One engine and its session factory; services hold one of these."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str, **kw) -> Database:
        engine = make_engine(url, **kw)
        return cls(normalise_url(url), engine, sessionmaker(engine, expire_on_commit=False))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error.

        Every multi-row change is one of these, so a dropped connection mid-save leaves
        nothing half written and the user can simply retry.
        """
        with self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (no commit)."""
        with self.sessions() as session:
            yield session
            session.rollback()

    def ping(self) -> None:
        """One round trip to the server (the desk's reachability probe); raises if down."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
