"""Engine and transaction set-up for SQLite (embedded) and MySQL/MariaDB (shared)."""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


def _hosts_to_query(url: str) -> str:
    """`mysql://u:p@h1:3306,h2:3307/db` → `mysql://u:p@h1:3306/db?failover=h2:3307`.

    URLs cannot hold several hosts, so the extra ones travel in a query key that
    make_engine() takes out again before the driver sees it.
    """
    scheme, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    creds, at, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return url
    first, _, more = hosts.partition(",")
    path, q, query = tail.partition("?")
    extra = f"failover={more}" + (f"&{query}" if query else "")
    return f"{scheme}{sep}{creds}{at}{first}{slash or '/'}{path}?{extra}"


def normalise_url(url: str) -> str:
    """Accept `mysql://`, several hosts and plain paths; always talk utf8mb4 to MySQL."""
    if "://" not in url:  # a bare file path means an embedded SQLite database
        return f"sqlite:///{url}"
    u = make_url(_hosts_to_query(url))
    if u.get_backend_name() == "mysql":
        if u.drivername == "mysql":
            u = u.set(drivername="mysql+pymysql")
        if "charset" not in u.query:
            u = u.update_query_dict({"charset": "utf8mb4"})
    return u.render_as_string(hide_password=False)


def server_hosts(url: str) -> list[tuple[str, int]]:
    """Every server of a MySQL data source, in the order the desk tries them."""
    u = make_url(normalise_url(url))
    out = [(u.host or "localhost", u.port or 3306)]
    for item in filter(None, (u.query.get("failover") or "").split(",")):
        host, _, port = item.strip().rpartition(":") if ":" in item else (item.strip(), "", "")
        out.append((host or item.strip(), int(port) if port else 3306))
    if any(not h or not 0 < p < 65536 for h, p in out):
        raise ValueError(f"bad server list in {u.render_as_string()}")
    return out


def database_label(url: str) -> str:
    """What the desk's status bar and login dialog show of a database URL: never a
    password."""
    from pathlib import Path

    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(_hosts_to_query(url))
        hosts = ",".join(h if p == 3306 else f"{h}:{p}" for h, p in server_hosts(url))
    except (ArgumentError, ValueError):  # not a URL: the start-up check says so
        return url.rsplit("@", 1)[-1] if "@" in url else url
    if u.get_backend_name() == "sqlite":
        return f"SQLite {Path(u.database or '').name}"
    return f"MySQL {u.username or ''}@{hosts}/{u.database or ''}"


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
    hosts = server_hosts(url)
    u = make_url(url)
    engine = create_engine(
        u.difference_update_query(["failover"]),
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,      # a server restart or idle timeout must not fail a save
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
        connect_args={"connect_timeout": 5, "read_timeout": 30, "write_timeout": 30},
    )
    ring = HostRing(hosts)
    engine.host_ring = ring  # type: ignore[attr-defined]  # Database.host and listeners
    # An employee who changes their password mid-session: new connections must use the
    # new one (Database.set_password); the URL an engine was made with cannot change.
    password: list[str] = []
    engine.login_password = password  # type: ignore[attr-defined]

    @event.listens_for(engine, "do_connect")
    def _connect_in_turn(dialect, _record, cargs, cparams):
        if password:
            cparams = {**cparams, "password": password[0]}
        return ring.connect(dialect.loaded_dbapi, cargs, cparams)

    @event.listens_for(engine, "handle_error")
    def _node_not_ready(ctx):
        # A Galera node that lost the cluster answers 1047 ("WSREP has not yet prepared
        # node for application use") on a live connection: treat it as a disconnect so
        # the pool drops the connection and the next checkout goes to a ready node.
        orig = getattr(ctx.original_exception, "args", ())
        if orig and orig[0] in NOT_READY:
            ctx.is_disconnect = True

    return engine


NOT_READY = {1047, 1053}   # node not ready / server shutting down


class HostRing:
    """The servers of one data source and which of them the pool connects to now.

    A new connection goes to the current server; when that fails (refused, timed out, or
    a Galera node that is not part of the primary component) it tries the next, and the
    one that answers becomes current for every later connection - failover without a
    proxy. On a Galera node each connection also turns on causal reads
    (wsrep_sync_wait = 1), so a read sees every write committed on any node before it:
    the screen-pop finds the customer another desk registered a moment ago through
    another node.
    """

    def __init__(self, hosts: list[tuple[str, int]]) -> None:
        self.hosts = hosts
        self.current = 0
        self.listeners: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()

    def label(self, i: int | None = None) -> str:
        host, port = self.hosts[self.current if i is None else i]
        return f"{host}:{port}"

    def connect(self, dbapi, cargs, cparams):
        with self._lock:
            start = self.current
        errors: list[str] = []
        for k in range(len(self.hosts)):
            i = (start + k) % len(self.hosts)
            host, port = self.hosts[i]
            try:
                conn = dbapi.connect(*cargs, **{**cparams, "host": host, "port": port})
            except dbapi.OperationalError as exc:
                if len(self.hosts) == 1:
                    raise
                errors.append(f"{host}:{port} ({exc.args[0] if exc.args else exc})")
                log.warning("database server %s:%s not reachable: %s", host, port, exc)
                continue
            if not _ready_node(dbapi, conn):
                conn.close()
                errors.append(f"{host}:{port} (not ready)")
                log.warning("database server %s:%s is not ready for use", host, port)
                continue
            self._chose(i)
            return conn
        raise dbapi.OperationalError(2003, "no database server reachable: " + "; ".join(errors))

    def _chose(self, i: int) -> None:
        with self._lock:
            old, self.current = self.current, i
        if old != i:
            before, now = self.label(old), self.label(i)
            log.warning("database connections moved from %s to %s", before, now)
            for listener in list(self.listeners):
                listener(before, now)


def _ready_node(dbapi, conn) -> bool:
    """False for a Galera node outside the primary component; turns on causal reads on a
    Galera node; a server without Galera (or MySQL, which has no @@wsrep_on) is ready."""
    cur = conn.cursor()
    try:
        try:
            cur.execute("SELECT @@wsrep_on")
            on = cur.fetchone()[0]
        except dbapi.Error:
            return True
        if not on:
            return True
        cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep_ready'")
        row = cur.fetchone()
        if not row or str(row[1]).upper() != "ON":
            return False
        cur.execute("SET SESSION wsrep_sync_wait = 1")
        return True
    finally:
        cur.close()


@dataclass
class Database:
    """One engine and its session factory; services hold one of these."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    # Set when the desk connected as an employee's own database account (a shared site
    # with per-employee accounts, db/privileges.py): the server checked the password.
    employee_login: str | None = None

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

    @property
    def host(self) -> str | None:
        """The server the connections go to now ("host:port"); None for SQLite."""
        ring = getattr(self.engine, "host_ring", None)
        return ring.label() if ring else None

    def on_host_change(self, listener: Callable[[str, str], None]) -> None:
        """Call listener(old, new) when connections move to another server (failover).
        It runs on whichever thread opened the connection: hand it on, don't block."""
        ring = getattr(self.engine, "host_ring", None)
        if ring is not None:
            ring.listeners.append(listener)

    def off_host_change(self, listener: Callable[[str, str], None]) -> None:
        ring = getattr(self.engine, "host_ring", None)
        if ring is not None and listener in ring.listeners:
            ring.listeners.remove(listener)

    @property
    def database_name(self) -> str:
        return self.engine.url.database or ""

    def check_password(self, password: str) -> bool:
        """Whether the server accepts `password` for this connection's account: one
        connection attempt of its own (the current password of an employee account
        lives only in the server)."""
        dbapi = self.engine.dialect.loaded_dbapi
        u = self.engine.url
        host, port = (self.host or f"{u.host}:{u.port or 3306}").rsplit(":", 1)
        try:
            dbapi.connect(host=host, port=int(port), user=u.username, password=password,
                          database=u.database, connect_timeout=5).close()
        except dbapi.OperationalError as exc:
            if exc.args and exc.args[0] == 1045:
                return False
            raise
        return True

    def set_password(self, password: str) -> None:
        """The password for this engine's later connections (after a password change)."""
        holder = getattr(self.engine, "login_password", None)
        if holder is not None:
            holder[:] = [password]

    def ping(self) -> None:
        """One round trip to the server (the desk's reachability probe); raises if down."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
