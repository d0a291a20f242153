"""The real `agent-app` program through the real login dialog, as a site runs it.

Each test starts the installed `agent-app` as a process on its own Xvfb display and types
into the login dialog with real X key events (xdotool). Before this test existed, every
real login closed the program with exit code 0: the login dialog was the last window, so
Qt's quit-on-last-window-closed stopped the event loop before the main window existed.
The demo path (no dialog) hid it.
"""
from __future__ import annotations

import pytest

from agent_app.services.accounts import AccountService
from db.engine import Database
from db.enums import Permission, Role
from tests.e2e.desk import Desk, run_admin, until

pytestmark = pytest.mark.e2e

ROLES = [("0001", Role.SUPERADMIN, set()), ("0002", Role.ADMIN, {Permission.MONITOR}),
         ("1003", Role.OPERATOR, set())]


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def site_url(request, tmp_path):
    """An empty database set up the way the README says a site does it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    else:
        url = request.getfixturevalue("mysql_url")
    run_admin("init-db", "--url", url)
    run_admin("employee", "add", "--url", url, "--login", "0001", "--name", "王明辉",
              "--role", "superadmin", "--department", "直销部", "--password-stdin",
              stdin="Secret-0001\n")
    db = Database.open(url)
    try:
        accounts = AccountService(db)
        boss = accounts.authenticate("0001", "Secret-0001").actor
        for login, role, perms in ROLES[1:]:
            e = accounts.add_employee(boss, login=login, name=f"员工{login}", role=role,
                                      password=f"Secret-{login}", department="直销部",
                                      must_change_password=False)
            if perms:
                accounts.set_permissions(boss, e.id, perms)
    finally:
        db.dispose()
    return url


def settings_for(url: str, seat: str = "") -> dict:
    # the CTI server is not running here: the desk must still open and say so
    return {"data_source": url, "seat": seat, "groups": ["21"], "cti_port": 9}


@pytest.mark.parametrize("login", [r[0] for r in ROLES])
def test_every_role_reaches_the_main_window(site_url, tmp_path, login):
    desk = Desk(tmp_path / "desk", settings=settings_for(site_url, seat="8001")).start()
    try:
        desk.login(login, f"Secret-{login}")
        desk.wait_log(rf"main window shown for {login}\b", 60)
        assert desk.wait_widget("MainWindow")
        # still up a while later: the old bug exited right after the dialog closed
        desk.wait_log(r"CTI link: (disconnected|connecting)", 30)
        assert desk.alive()
        titles = [w["title"] for w in desk.windows()]
        assert any(f"({login})" in t for t in titles), titles
    finally:
        code = desk.stop()
    assert code == 0, desk.log()[-3000:]


def test_wrong_password_then_right_one(site_url, tmp_path):
    desk = Desk(tmp_path / "desk", settings=settings_for(site_url)).start()
    try:
        desk.login("1003", "not-the-password")
        until(lambda: desk.try_drive("exists", name="formMessage"), 30, "the login error")
        assert "密码" in desk.drive("text", name="formMessage")
        assert desk.alive() and not desk.try_drive("exists", name="MainWindow")
        desk.login("1003", "Secret-1003")
        desk.wait_log(r"main window shown for 1003\b", 60)
    finally:
        assert desk.stop() == 0


def test_cancelled_login_says_so_and_exits(site_url, tmp_path):
    desk = Desk(tmp_path / "desk", settings=settings_for(site_url)).start()
    desk.wait_widget("LoginDialog")
    desk.focus_window("登录")
    desk.keys("Escape")
    until(lambda: not desk.alive(), 30, "agent-app to exit")
    assert desk.proc.returncode == 0
    assert "login cancelled" in desk.log()
    desk.stop()


def _newer_schema(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    run_admin("init-db", "--url", url)
    import sqlite3

    with sqlite3.connect(tmp_path / "newer.sqlite3") as con:  # as a newer release leaves it
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    return url


@pytest.mark.parametrize("case", ["unreachable", "newer_schema", "not_a_url"])
def test_an_unusable_data_source_gets_one_message_and_the_settings(tmp_path, case):
    """One message in the user's language, Retry / 系统配置… / 退出; never a silent exit."""
    url = {"unreachable": "mysql+pymysql://desk:pw@127.0.0.1:9/agentdesk",
           "newer_schema": _newer_schema(tmp_path) if case == "newer_schema" else "",
           "not_a_url": "notaurl"}[case]  # a bare word is a SQLite path
    expect = {"unreachable": "无法连接数据库", "newer_schema": "新版本升级",
              "not_a_url": "数据库文件 notaurl 不存在"}[case]
    desk = Desk(tmp_path / "desk", settings=settings_for(url)).start()
    try:
        desk.wait_widget("databaseProblem", 60)
        text = desk.drive("text", name="databaseProblem")
        assert expect in text, text
        desk.drive("click_labelled", within="databaseProblem", text="系统配置…")
        desk.wait_widget("WorkstationSettingsDialog")
        assert desk.alive()
        # nothing was created for a bare word (SQLite would have made a file called so)
        assert not (desk.home / "notaurl").exists()
        desk.drive("click_labelled", within="WorkstationSettingsDialog", text="取消")
        desk.wait_widget("databaseProblem")
        desk.drive("click_labelled", within="databaseProblem", text="退出")
        until(lambda: not desk.alive(), 30, "agent-app to exit")
        assert desk.proc.returncode == 1
    finally:
        desk.stop()
