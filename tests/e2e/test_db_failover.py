"""A data source that names two servers, and the first one dies mid-session: the real
desk, through the real login, moves to the second by itself, says so in a notice and
the status bar, keeps the form the user was typing in, and works again within 10 s.

Both "servers" are loopback relays to the one MariaDB every run has (tests/e2e/proxy.py),
so cutting the first is a node that went away, as seen from the desk. The cluster tests
(tests/cluster) kill a real Galera node under the services' writers.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.desk import Desk, SalesDirectory, site_with_agent, until
from tests.e2e.proxy import Relay

pytestmark = [pytest.mark.e2e, pytest.mark.mysql]


def test_first_server_dies_and_the_desk_carries_on_through_the_second(mysql_url, tmp_path):
    site_with_agent(mysql_url)
    real = make_url(mysql_url)
    first, second = (Relay(real.port or 3306, real.host or "127.0.0.1") for _ in range(2))
    creds = real.username + (f":{real.password}" if real.password else "")
    source = (f"mysql+pymysql://{creds}@127.0.0.1:{first.port},127.0.0.1:{second.port}"
              f"/{real.database}")
    desk = Desk(tmp_path / "desk", settings={"data_source": source, "seat": "",
                                              "cti_port": 9})
    try:
        desk.start()
        desk.login("1001", "Secret-1001")
        desk.wait_log(r"main window shown for 1001\b", 60)
        sales = SalesDirectory(desk)
        status, search = sales.status, sales.search
        search()
        until(lambda: "0" in status() and "无法连接" not in status(), 30, "the first search")

        # a form with unsaved work open while the server dies
        desk.drive("trigger", name="act_sales_new_customer")
        desk.wait_widget("profileForm")
        desk.drive("type", name="name", within="profileForm", text="Wang Unsaved")

        first.cut()
        died = time.monotonic()
        search()
        # the search goes through the second server at once (the pool's pre-ping finds the
        # dead connection and the next one opens on the second server) or fails once and
        # the user searches again; either way the status bar then names the second server
        moved = f"127.0.0.1:{second.port}"

        def moved_or_searched_again() -> bool:
            if moved in desk.drive("text", name="statusDb"):
                return True
            if "无法连接" in status():
                search()   # what the user does after "cannot reach the database"
            return False
        until(moved_or_searched_again, 10, "the status bar naming the second server", step=0.3)
        took = time.monotonic() - died
        print(f"failover: the desk worked through the second server {took:.2f} s after "
              "the first died")
        assert took < 10, f"moved after {took:.1f} s"
        desk.wait_log(rf"database connections moved from 127\.0\.0\.1:{first.port} "
                      rf"to 127\.0\.0\.1:{second.port}", 10)
        search()
        until(lambda: "订单" in status() and "无法连接" not in status(), 10,
              "a search through the second server")
        assert desk.drive("text", name="name", within="profileForm") == "Wang Unsaved"
        assert desk.alive()
        assert not any(w["class"] == "CrashDialog" for w in desk.windows())
    finally:
        desk.stop()
        first.cut()
        second.cut()
