"""The database going away in the middle of a working session (MariaDB behind a relay
the test cuts): the next action says the server is unreachable (a message near the
action and in the status bar, no crash dialog, the program stays up); a probe notices
when the server is back, and the same action then works without a restart."""
from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.desk import Desk, SalesDirectory, site_with_agent, until
from tests.e2e.proxy import Relay

pytestmark = [pytest.mark.e2e, pytest.mark.mysql]


def test_database_lost_and_back_mid_session(mysql_url, tmp_path):
    site_with_agent(mysql_url)
    real = make_url(mysql_url)
    relay = Relay(real.port or 3306, real.host or "127.0.0.1")
    via_relay = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    desk = Desk(tmp_path / "desk", settings={"data_source": via_relay, "seat": "",
                                              "cti_port": 9})
    try:
        desk.start()
        desk.login("1001", "Secret-1001")
        desk.wait_log(r"main window shown for 1001\b", 60)
        sales = SalesDirectory(desk)
        status, search = sales.status, sales.search
        search()
        until(lambda: "0" in status() and "无法连接" not in status(), 30, "the first search")

        relay.cut()  # the network to the database server is gone
        search()
        until(lambda: "无法连接数据库" in status(), 60, "the unreachable message")
        until(lambda: "无法连接" in desk.drive("text", name="statusDb"), 10,
              "the status bar saying so")
        assert desk.alive()
        assert not any(w["class"] == "CrashDialog" for w in desk.windows())

        relay.restore()  # back: the probe notices, the status bar says so
        desk.wait_log(r"database reachable again", 30)
        until(lambda: "无法连接" not in desk.drive("text", name="statusDb"), 10,
              "the status bar back to normal")
        search()  # and the action works again, no restart
        until(lambda: "无法连接" not in status() and "订单" in status(), 60,
              "the search after the server came back")
        assert not any(w["class"] == "CrashDialog" for w in desk.windows())
    finally:
        desk.stop()
        relay.cut()
