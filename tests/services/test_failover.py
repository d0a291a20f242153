"""A data source with several servers: the URL forms, and failover on a real server.

The cluster tests (tests/cluster) kill a Galera node under load; these check the pieces on
the single MariaDB every run has: a first server that refuses is skipped, the one that
answers becomes current for every later connection, listeners hear of the move, and
bad host lists are refused as "not a database URL" before anything is created.
"""
from __future__ import annotations

import socket

import pytest
from sqlalchemy.engine import make_url

from agent_app.dbcheck import open_checked
from agent_app.errors import DatabaseUnavailable, ValidationError
from db.engine import Database, database_label, normalise_url, server_hosts
from tests.conftest import MYSQL_SERVER


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_hosts(url: str, *hosts: str) -> str:
    u = make_url(url)
    creds = u.username + (f":{u.password}" if u.password else "")
    return f"mysql://{creds}@{','.join(hosts)}/{u.database or ''}"


def test_several_hosts_in_one_url():
    url = "mysql://u:p@db1:3306,db2:3307,db3/agent?read_timeout=3"
    assert server_hosts(url) == [("db1", 3306), ("db2", 3307), ("db3", 3306)]
    n = normalise_url(url)
    assert n.startswith("mysql+pymysql://u:p@db1:3306/agent?") and "read_timeout=3" in n
    assert server_hosts(n) == server_hosts(url)          # the stored form reads back
    # never the password; a port only where it is not MySQL's own
    assert database_label(url) == "MySQL u@db1,db2:3307,db3/agent"
    assert server_hosts("mysql://u@one/agent") == [("one", 3306)]


@pytest.mark.mysql
def test_a_dead_first_server_is_skipped_and_the_move_is_told(mysql_url):
    live = make_url(MYSQL_SERVER)
    dead = f"127.0.0.1:{_closed_port()}"
    url = _with_hosts(mysql_url, dead, f"{live.host}:{live.port or 3306}")
    db = Database.open(url)
    moves: list[tuple[str, str]] = []
    db.on_host_change(lambda old, new: moves.append((old, new)))
    try:
        db.ping()
        assert db.host == f"{live.host}:{live.port or 3306}"
        assert moves == [(dead, db.host)]
        # sticky: later connections go straight to the live server, no second move
        db.engine.dispose()
        db.ping()
        assert len(moves) == 1
        with db.engine.connect() as conn:   # a plain server: no Galera causal reads
            assert conn.exec_driver_sql("SELECT @@wsrep_sync_wait").scalar() == 0
    finally:
        db.dispose()


@pytest.mark.mysql
def test_every_server_dead_is_database_unavailable_naming_each(mysql_url):
    a, b = f"127.0.0.1:{_closed_port()}", f"127.0.0.1:{_closed_port()}"
    with pytest.raises(DatabaseUnavailable) as e:
        open_checked(_with_hosts(mysql_url, a, b))
    assert a in e.value.message_en() or "no database server" in e.value.message_en()


@pytest.mark.parametrize("url", ["mysql://u@db1:notaport,db2/agent",
                                 "mysql://u@db1,db2:99999999999/agent"])
def test_a_bad_host_list_is_not_a_database_url(url):
    with pytest.raises(ValidationError) as e:
        open_checked(url)
    assert e.value.field == "data_source"
