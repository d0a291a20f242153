"""Shared fixtures: isolation, and databases on SQLite and the real MariaDB/MySQL.

MySQL tests run against a real server every time (URL from $AGENT_TEST_MYSQL_URL, default
the local MariaDB); they are never skipped. scripts/test.sh starts or installs the server.
"""
from __future__ import annotations

import logging
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MYSQL_SERVER = os.environ.get("AGENT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Settings, data, logs and layouts of every test live in a temporary folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AGENT_DESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _isolated_logging():
    """Handlers a test adds to the root logger (agent-admin's basicConfig, the app's log
    set-up) are removed after it: left behind, they write to that test's closed capture
    stream, and a later test's stderr fills with "Logging error" tracebacks."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's QApplication with the app's GUI-thread collector (ui/collector.py):
    from the first Qt test on, only the main thread collects garbage, so no test's closed
    windows or qasync loops are ever destroyed on a worker thread."""
    from ui.collector import GuiThreadCollector

    collector = GuiThreadCollector(qapp)
    collector.start()
    _COLLECTORS.append(collector)
    yield qapp
    _COLLECTORS.remove(collector)
    collector.stop()


_COLLECTORS: list = []


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """Automatic collection is off once Qt runs: collect, on the main thread, after each
    test whose allocations passed the thresholds (a test that runs no event loop gives
    the collector's timer no chance)."""
    yield
    for collector in _COLLECTORS:
        collector.check()


def _server_engine():
    return create_engine(make_url(MYSQL_SERVER).set(query={"charset": "utf8mb4"}),
                         isolation_level="AUTOCOMMIT")


class _MySQLDatabases:
    """Creates uniquely named databases (parallel runs never collide) and drops them."""

    def __init__(self) -> None:
        self.engine = _server_engine()
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"MySQL/MariaDB at {MYSQL_SERVER} is not reachable ({exc}); "
                        "run scripts/test.sh, which starts it", pytrace=False)
        self.created: list[str] = []

    def create(self) -> str:
        name = f"agent_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.engine.connect() as c:
            c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                           "COLLATE utf8mb4_unicode_ci"))
        self.created.append(name)
        return str(make_url(MYSQL_SERVER).set(database=name, drivername="mysql+pymysql")
                   .render_as_string(hide_password=False))

    def drop_all(self) -> None:
        with self.engine.connect() as c:
            for name in self.created:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        self.engine.dispose()


@pytest.fixture(scope="session")
def mysql_databases():
    dbs = _MySQLDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture
def mysql_url(mysql_databases) -> str:
    """An empty MySQL database of its own (no tables)."""
    return mysql_databases.create()


@pytest.fixture(scope="session")
def _schema_sqlite(tmp_path_factory):
    from db.migrate import upgrade
    from db.seed import seed_reference_data
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    seed_reference_data(f"sqlite:///{path}")   # the prefix tables once, copied per test
    return path


@pytest.fixture(scope="session")
def _schema_mysql(mysql_databases):
    from db.migrate import upgrade
    from db.seed import seed_reference_data
    url = mysql_databases.create()
    upgrade(url)
    seed_reference_data(url)   # the prefix tables once; _empty_tables keeps them
    return url


# Read-only reference data (100k rows of 手机号段): loaded once per session, never emptied.
KEEP_TABLES = {"mobile_prefix", "area_code"}


def _empty_tables(db) -> None:
    from db.models import Base
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def db_url(request, tmp_path) -> str:
    """A migrated database with reference data, on SQLite and on MariaDB/MySQL.

    SQLite: a copy of a migrated template file. MySQL: one migrated database per session,
    emptied before each test (far faster than creating 30 tables every time).
    """
    import shutil

    from db.engine import Database
    from db.seed import seed_reference_data

    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("_schema_sqlite"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_schema_mysql")
        db = Database.open(url)
        _empty_tables(db)
        db.dispose()
    seed_reference_data(url)
    return url


@pytest.fixture
def database(db_url):
    from db.engine import Database
    db = Database.open(db_url)
    yield db
    db.dispose()


@pytest.fixture
def superadmin(database):
    """A super administrator `0001` (password 'admin123') and the Actor for it."""
    from agent_app.services.accounts import AccountService
    from db.enums import Role
    svc = AccountService(database)
    svc.add_employee(None, login="0001", name="王明辉", role=Role.SUPERADMIN,
                     password="admin123", department="直销部", must_change_password=False)
    return svc.authenticate("0001", "admin123").actor
