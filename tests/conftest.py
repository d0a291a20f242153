"""Shared fixtures: isolation, and databases on SQLite and the real MariaDB/MySQL.

MySQL tests run against a real server every time (URL from $AGENT_TEST_MYSQL_URL, default
the local MariaDB); they are never skipped. scripts/test.sh starts or installs the server.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import uuid
import weakref

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


# Threads that outlive a test on purpose, by name: each reason says who owns it.
LONG_LIVED_THREADS = {
    "MainThread": "the interpreter",
    "pydevd.Writer": "a debugger, when one is attached",
    "pydevd.Reader": "a debugger, when one is attached",
}


def _children() -> set[int]:
    """Live child processes of this process (every thread's children; zombies left out,
    the kernel's list has them until they are reaped)."""
    pids: set[int] = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                pids.update(int(p) for p in f.read().split())
        except OSError:   # the thread ended meanwhile
            continue
    live = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    live.add(pid)
        except OSError:
            continue
    return live


def _listening() -> set[str]:
    """host:port of the TCP sockets of this process that listen (the fd table's socket
    inodes, looked up in /proc/self/net/tcp and tcp6, state 0A)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    if not inodes:
        return found
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "0A" and cols[9] in inodes:
                        host, port = cols[1].split(":")
                        found.add(f"{table[-4:]} port {int(port, 16)} (inode {cols[9]})")
        except OSError:
            continue
    return found


def _pending_tasks() -> set:
    return {t for t in list(asyncio.tasks._all_tasks) if not t.done()}


# QTimers started (QTimer.start) since the running test began; QTimer.start is wrapped
# once Qt is loaded, which a test module's imports do before any test runs.
_STARTED_TIMERS: weakref.WeakSet = weakref.WeakSet()


def _track_qtimers() -> None:
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QTimer
    if getattr(QTimer.start, "_tracked", False):
        return
    start = QTimer.start

    def tracked_start(self, *args):
        _STARTED_TIMERS.add(self)
        return start(self, *args)
    tracked_start._tracked = True
    QTimer.start = tracked_start


def _running_qtimers() -> list:
    """The QTimers the test started that still run (and still exist)."""
    if not _STARTED_TIMERS:
        return []
    from shiboken6 import isValid
    return [t for t in list(_STARTED_TIMERS) if isValid(t) and t.isActive()]


def _describe_timer(t) -> str:
    parent = t.parent()
    owner = type(parent).__name__ if parent is not None else "no parent"
    return f"QTimer {t.objectName() or ''!s} of {owner} every {t.interval()} ms".replace("  ", " ")


@pytest.fixture(autouse=True)
def _no_leaks(request):
    """Fails a test that leaves behind a thread, a pending asyncio task, a running QTimer,
    a child process or a listening socket: what a test starts, it stops. Runs after every
    other fixture's teardown (autouse fixtures are set up first), so what a fixture
    stops in its teardown is not a leak."""
    threads = set(threading.enumerate())
    tasks = _pending_tasks()
    children = _children()
    listening = _listening()
    _track_qtimers()
    _STARTED_TIMERS.clear()
    yield
    leaked = []
    for t in threading.enumerate():
        # a _DummyThread is a thread Python did not start (Qt's, a C library's) that once
        # called into Python: it can be neither joined nor seen to end, and outlives it
        if (t not in threads and t.name not in LONG_LIVED_THREADS
                and not isinstance(t, threading._DummyThread)):
            t.join(2)   # a thread told to stop may still be on its way out
            if t.is_alive():
                leaked.append(f"thread {t.name!r} ({type(t).__name__}, target "
                              f"{getattr(getattr(t, '_target', None), '__qualname__', '?')})")
    for task in _pending_tasks() - tasks:
        leaked.append(f"asyncio task {task.get_name()} running {task.get_coro()!r}")
    leaked += [f"child process {pid} ({_cmdline(pid)})" for pid in _children() - children]
    leaked += [f"listening socket {s}" for s in _listening() - listening]
    leaked += [_describe_timer(t) for t in _running_qtimers()]
    if leaked:
        pytest.fail(f"{request.node.nodeid} left behind:\n  " + "\n  ".join(sorted(leaked)),
                    pytrace=False)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "ended"


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's QApplication with the app's GIL switch interval (ui/worker.py) and
    GUI-thread collector (ui/collector.py):
    from the first Qt test on, only the main thread collects garbage, so no test's closed
    windows or qasync loops are ever destroyed on a worker thread."""
    from ui.collector import GuiThreadCollector
    from ui.worker import share_the_gil

    share_the_gil()  # as agent-app does (ui/app.py)
    collector = GuiThreadCollector(qapp)
    collector.start()
    _STARTED_TIMERS.discard(collector._timer)   # it runs for the whole session
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


def _server_engine(server: str = MYSQL_SERVER):
    return create_engine(make_url(server).set(query={"charset": "utf8mb4"}),
                         isolation_level="AUTOCOMMIT")


class _MySQLDatabases:
    """Creates uniquely named databases (parallel runs never collide) and drops them, on
    the test server or on another one (tests/cluster: a Galera node)."""

    def __init__(self, server: str = MYSQL_SERVER) -> None:
        self.server = server
        self.engine = _server_engine(server)
        try:
            with self.engine.connect() as c:
                c.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"MySQL/MariaDB at {server} is not reachable ({exc}); "
                        "run scripts/test.sh, which starts it", pytrace=False)
        self.created: list[str] = []

    def create(self) -> str:
        name = f"agent_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.engine.connect() as c:
            c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                           "COLLATE utf8mb4_unicode_ci"))
        self.created.append(name)
        return str(make_url(self.server).set(database=name, drivername="mysql+pymysql")
                   .render_as_string(hide_password=False))

    def drop_all(self) -> None:
        from db.privileges import drop_accounts

        with self.engine.connect() as c:
            for name in self.created:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                # accounts and roles are the server's, not the database's: a test site
                # with per-employee accounts (agent-admin db-accounts) leaves them behind
                drop_accounts(c, name)
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


def create_schema_database(databases: _MySQLDatabases) -> str:
    """A new database of `databases`' server with the product's schema and reference
    data; its URL."""
    from db.migrate import upgrade
    from db.seed import seed_reference_data
    url = databases.create()
    upgrade(url)
    seed_reference_data(url)
    return url


@pytest.fixture(scope="session")
def _schema_mysql(mysql_databases):
    # the prefix tables once; _empty_tables keeps them
    return create_schema_database(mysql_databases)


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
    from agent_app.cli.identity import SHELL
    from agent_app.services.accounts import AccountService
    from db.enums import Role
    svc = AccountService(database)
    svc.add_employee(SHELL, login="0001", name="王明辉", role=Role.SUPERADMIN,
                     password="admin123", department="直销部", must_change_password=False)
    return svc.authenticate("0001", "admin123").actor


# -- the desk tests (tests/ui, tests/e2e): a qasync loop, a seeded SQLite database with a
# super administrator 0001 and an operator 1001, window contexts, and agent-ctid embedded
# on loopback for the call console. Their helpers are in tests/ui/helpers.py and calls.py.

@pytest.fixture
def memory_keyring():
    """An in-memory keyring: tests never touch the real OS keyring."""
    import keyring

    from tests.ui.helpers import MemoryKeyring

    before = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)


@pytest.fixture
def aloop(qapp):
    """Run a scenario coroutine on a qasync loop (asyncSlots need a running loop)."""
    import qasync

    from ui.collector import close_loop

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    close_loop(loop)   # its pending timers unregistered now, on the GUI thread


@pytest.fixture
def sqlite_db(_schema_sqlite, tmp_path):
    """The migrated, seeded SQLite database of the desk tests (UI tests run on SQLite only;
    the services under them are tested on both back ends)."""
    import shutil

    from db.engine import Database
    from db.seed import seed_reference_data

    path = tmp_path / "ui.sqlite3"
    shutil.copy(_schema_sqlite, path)
    url = f"sqlite:///{path}"
    seed_reference_data(url)
    db = Database.open(url)
    yield db
    db.dispose()


@pytest.fixture
def accounts(sqlite_db):
    from agent_app.cli.identity import SHELL
    from agent_app.services.accounts import AccountService
    from db.enums import Role

    svc = AccountService(sqlite_db)
    svc.add_employee(SHELL, login="0001", name="王明辉", role=Role.SUPERADMIN,
                     password="admin123", department="直销部", must_change_password=False)
    svc.add_employee(SHELL, login="1001", name="李娜", role=Role.OPERATOR,
                     password="pass1234", department="直销部", must_change_password=False)
    return svc


@pytest.fixture
def runner():
    from ui.worker import DbRunner

    r = DbRunner(max_workers=2)
    yield r
    r.shutdown()


@pytest.fixture
def make_ctx(sqlite_db, accounts, runner):
    from agent_app.config import WorkstationSettings
    from ui.context import AppContext, Services

    def make(login="0001", password="admin123"):
        import dataclasses

        settings = WorkstationSettings()
        # as the desk's log-in does (ui/shell.py): the actor works in the desk's groups
        actor = dataclasses.replace(accounts.authenticate(login, password).actor,
                                    groups=tuple(settings.groups))
        return AppContext(actor=actor, settings=settings, runner=runner,
                          services=Services(sqlite_db))
    return make


@pytest.fixture
def call_world(sqlite_db, accounts):
    """A hotline, an advert on air, and a known customer (张三, 13800138000) in 杭州."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from sqlalchemy import update

    from agent_app.services.archives import ArchiveService
    from agent_app.services.customers import CustomerDraft, CustomerService
    from db.enums import Role
    from db.models import CtiGroup, DialedNumber, Medium, Placement, Product, Variety
    from tests.ui.calls import HOTLINE, KNOWN_MOBILE, CallWorld

    admin = accounts.authenticate("0001", "admin123").actor
    accounts.add_employee(admin, login="1002", name="张伟", role=Role.OPERATOR,
                          password="pass1234", must_change_password=False)
    with sqlite_db.transaction() as s:
        # a call rings 1 s before it goes to the next agent; no wrap-up, so tests move on
        s.execute(update(CtiGroup).values(ring_timeout_s=2, wrapup_s=0))
        medium = Medium(type="电视", name="江苏卫视", updated_by_login="t")
        variety = Variety(name="眼保姆", updated_by_login="t")
        s.add_all([medium, variety])
        s.flush()
        product = Product(code="000001", name="护眼仪", specification="标准", variety_id=variety.id, unit="台",
                          short_code="hyy", retail_price=398, updated_by_login="t")
        s.add(product)
        s.flush()
        local = dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(minutes=1)
        s.add(Placement(medium_id=medium.id, variety_id=variety.id, product_id=product.id,
                        air_date=local.date(), start_time=local.time().replace(microsecond=0),
                        length_s=600, updated_by_login="t"))
        s.add(DialedNumber(digits=HOTLINE, group_number="21", medium_id=medium.id,
                           updated_by_login="t"))
    region = ArchiveService(sqlite_db).save_region(admin, name="杭州", province="浙江",
                                                   area_code="0571")
    customer = CustomerService(sqlite_db).register(
        admin, CustomerDraft(name="张三", mobile=KNOWN_MOBILE, region_id=region.id))
    return CallWorld(sqlite_db, customer.id, region.id, admin)


@pytest.fixture
def ctid(call_world, tmp_path):
    from tests.ui.calls import ServerHandle

    handle = ServerHandle(call_world.db.url, tmp_path / "rec")
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def call_ctx(make_ctx, ctid):
    """make_ctx plus the CTI settings and the in-memory credentials of the login."""
    def make(login="1001", password="pass1234", seat="8001"):
        ctx = make_ctx(login, password)
        ctx.settings.cti_host, ctx.settings.cti_port = "127.0.0.1", ctid.port
        ctx.settings.cti_plaintext = True  # the embedded server, as the demo runs it
        ctx.settings.seat, ctx.settings.groups = seat, ["21"]
        ctx.credentials = (login, password)
        return ctx
    return make


@pytest.fixture
def desk(qtbot, call_ctx, aloop):
    from tests.ui.calls import Desks, close_windows

    desks = Desks(aloop, call_ctx)
    yield desks
    from shiboken6 import isValid

    windows = [w for w, _feature in desks.made]
    close_windows(windows)
    qtbot.waitUntil(lambda: not any(isValid(w) for w in windows))   # deleted by Qt
