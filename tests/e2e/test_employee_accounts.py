"""The real `agent-app` on a shared site with per-employee database accounts: the
workstation keeps no database account, the desk connects as the employee with the
password typed into the login dialog (db/privileges.py, docs/privileges.md).

The site is set up the way the README says: agent-admin init-db, db-accounts, employee
add - all as processes; the desk is the installed program on its own Xvfb display.
"""
from __future__ import annotations

import json

import pymysql
import pytest
from sqlalchemy.engine import make_url

from db import privileges
from tests.e2e.desk import Desk, SalesDirectory, run_admin, until

pytestmark = [pytest.mark.e2e, pytest.mark.mysql]


@pytest.fixture
def site(mysql_url, mysql_databases):
    run_admin("init-db", "--url", mysql_url)
    out = run_admin("db-accounts", "--url", mysql_url, "--ctid-password-stdin",
                    stdin="ctid-Secret-1\n").stdout
    assert "roles, grants and account procedures" in out
    run_admin("employee", "add", "--url", mysql_url, "--login", "1001", "--name", "李娜",
              "--role", "operator", "--department", "直销部", "--password-stdin",
              stdin="Secret-1001\n")
    u = make_url(mysql_url)
    yield u
    with mysql_databases.engine.connect() as c:
        privileges.drop_accounts(c, u.database)


def test_an_operator_logs_in_as_their_own_account_and_works(site, tmp_path):
    desk_url = f"mysql+pymysql://{site.host}:{site.port or 3306}/{site.database}"
    desk = Desk(tmp_path / "desk", settings={"data_source": desk_url, "seat": "8001",
                                             "groups": ["21"], "cti_port": 9}).start()
    try:
        desk.login("1001", "not-the-password")
        until(lambda: desk.try_drive("exists", name="formMessage"), 30, "the login error")
        assert "密码" in desk.drive("text", name="formMessage")
        desk.login("1001", "Secret-1001")
        desk.wait_log(r"main window shown for 1001\b", 60)
        directory = SalesDirectory(desk)
        directory.search()
        until(lambda: "0" in directory.status(), 30, "the directory's search result")
        assert desk.alive()
    finally:
        code = desk.stop()
    assert code == 0, desk.log()[-3000:]
    # what the workstation keeps: the servers and the database, no account, no password
    kept = json.loads((tmp_path / "desk" / "workstation.json").read_text(encoding="utf-8"))
    assert "@" not in kept["data_source"] and "Secret" not in json.dumps(kept)
    # and the password the operator typed opens only an operator's account
    conn = pymysql.connect(host=site.host, port=site.port or 3306, database=site.database,
                           user=privileges.account_name(site.database, "1001"),
                           password="Secret-1001")
    try:
        for sql in ("UPDATE employee SET role = 'superadmin'", "DELETE FROM audit_log",
                    "SELECT password_hash FROM employee"):
            with pytest.raises(pymysql.MySQLError) as refused:
                conn.cursor().execute(sql)
            assert refused.value.args[0] in (1142, 1143), sql
    finally:
        conn.close()
