"""Least privilege in the shared database (db/privileges.py, docs/privileges.md): each
employee connects as their own MariaDB account, and that account can do no more than
the employee's role allows - whatever client they use.

These tests take the credentials an operator's workstation has (none: the employee's
own login and password) and try, with plain PyMySQL, what an insider would.
"""
from __future__ import annotations

import pymysql
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from agent_app.cli import admin
from agent_app.dbcheck import EmployeeGate, uses_employee_accounts
from agent_app.errors import AuthFailed, Forbidden, ValidationError
from agent_app.security import verify_password
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from db import privileges
from db.engine import Database
from db.enums import EmployeeStatus, Permission, Role
from db.models import AuditLog, Employee

pytestmark = pytest.mark.mysql

OPERATOR_PW, BOSS_PW = "op-secret-1", "boss-secret-1"


def _admin(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = admin.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def site(mysql_databases):
    """A shared site as agent-admin sets it up: schema, per-employee accounts, a super
    administrator and an operator added from the shell."""
    from tests.conftest import create_schema_database

    root_url = create_schema_database(mysql_databases)
    mp = pytest.MonkeyPatch()
    import io
    try:
        for argv, stdin in (
                (["db-accounts", "--url", root_url, "--ctid-password-stdin"], "ctid-pw-1\n"),
                (["employee", "add", "--url", root_url, "--login", "boss", "--name", "主管",
                  "--role", "superadmin", "--password-stdin"], BOSS_PW + "\n"),
                (["employee", "add", "--url", root_url, "--login", "1001", "--name", "张三",
                  "--role", "operator", "--password-stdin"], OPERATOR_PW + "\n")):
            mp.setattr("sys.stdin", io.StringIO(stdin))
            assert admin.main(argv) == 0, argv
    finally:
        mp.undo()
    u = make_url(root_url)
    name = u.database
    # what a workstation keeps: the servers and the database, no account
    desk_url = f"mysql+pymysql://{u.host}:{u.port or 3306}/{name}"
    root = Database.open(root_url)
    yield type("Site", (), {"root_url": root_url, "desk_url": desk_url, "name": name,
                            "root": root, "host": u.host, "port": u.port or 3306})
    root.dispose()
    with mysql_databases.engine.connect() as c:
        privileges.drop_accounts(c, name)


def _connect(site, login: str, password: str) -> pymysql.Connection:
    return pymysql.connect(host=site.host, port=site.port, database=site.name,
                           user=privileges.account_name(site.name, login),
                           password=password, autocommit=True)


def _refused(conn, sql: str) -> int | None:
    """The server's error number for `sql`, or None when it was allowed."""
    cur = conn.cursor()
    try:
        cur.execute(sql)
        cur.fetchall()
    except pymysql.MySQLError as exc:
        return exc.args[0]
    finally:
        cur.close()
    return None


# What an operator's own account can and cannot do (docs/privileges.md lists the same).
OPERATOR_REFUSED = {
    "make themselves super administrator": "UPDATE employee SET role = 'superadmin' WHERE login = '1001'",
    "unlock or rename any employee": "UPDATE employee SET status = 'active', locked_until = NULL",
    "add an employee": "INSERT INTO employee (login, name, role, status, password_hash, "
                       "must_change_password, failed_logins, round_robin, version, updated_at, "
                       "created_at) VALUES ('evil', 'x', 'superadmin', 'active', 'x', 0, 0, 0, 1, "
                       "NOW(), NOW())",
    "grant themselves a permission": "INSERT INTO employee_permission VALUES (1, 'export')",
    "read password hashes": "SELECT password_hash FROM employee",
    "read password hashes (star)": "SELECT * FROM employee",
    "read the audit log": "SELECT * FROM audit_log",
    "delete the audit log": "DELETE FROM audit_log",
    "edit the audit log": "UPDATE audit_log SET actor_login = 'someone'",
    "empty a table": "TRUNCATE TABLE customer",
    "drop a table": "DROP TABLE customer",
    "delete customers": "DELETE FROM customer",
    "delete orders": "DELETE FROM sales_order",
    "change products (archives)": "UPDATE product SET retail_price = 0",
    "change the CTI set-up": "DELETE FROM cti_group",
    "create a database account": "CREATE USER 'evil'@'%' IDENTIFIED BY 'x'",
    "grant rights": "GRANT ALL ON *.* TO CURRENT_USER()",
    "manage accounts through the procedure": "CALL {db}_sync_account('1001', 'x', '{db}_superadmin', 1)",
    "read the server's accounts": "SELECT * FROM mysql.user",
}
OPERATOR_ALLOWED = {
    "read customers": "SELECT * FROM customer",
    "read employees' names": "SELECT id, login, name, role, status FROM employee",
    "read products": "SELECT * FROM product",
    "add to the audit log": "INSERT INTO audit_log (at, actor_login, action, target, workstation) "
                            "VALUES (NOW(), '1001', 'probe', '', 'test')",
}


def test_what_an_operators_account_can_and_cannot_do(site):
    conn = _connect(site, "1001", OPERATOR_PW)
    try:
        refused = {what: _refused(conn, sql.format(db=site.name))
                   for what, sql in OPERATOR_REFUSED.items()}
        allowed = {what: _refused(conn, sql) for what, sql in OPERATOR_ALLOWED.items()}
    finally:
        conn.close()
    print("\noperator account:")
    for what, errno in {**refused, **allowed}.items():
        print(f"  {'refused ' + str(errno) if errno else 'allowed':>13}  {what}")
    assert [w for w, errno in refused.items() if errno is None] == []
    assert allowed == dict.fromkeys(OPERATOR_ALLOWED)
    with site.root.engine.connect() as c:  # nothing the refused statements aimed at moved
        assert c.execute(text("SELECT role FROM employee WHERE login = '1001'")).scalar() \
            == "operator"
        assert c.execute(text("SELECT COUNT(*) FROM employee WHERE login = 'evil'")).scalar() == 0
        assert c.execute(text("SELECT COUNT(*) FROM mysql.user WHERE user = 'evil'")).scalar() == 0


def test_a_super_administrators_account_cannot_reach_the_server_beyond_the_site(site):
    conn = _connect(site, "boss", BOSS_PW)
    try:
        assert _refused(conn, "CREATE USER 'evil'@'%' IDENTIFIED BY 'x'") == 1227
        assert _refused(conn, "SELECT password_hash FROM employee") == 1143
        assert _refused(conn, "DELETE FROM audit_log") == 1142
        assert _refused(conn, "ALTER USER 'root'@'localhost' IDENTIFIED BY 'x'") == 1227
        # the procedure manages this database's employees only
        assert _refused(conn, f"CALL {site.name}_sync_account('root', 'x', "
                              f"'{site.name}_superadmin', 1)") is not None
        assert _refused(conn, f"CALL {site.name}_sync_account('1001', 'x', 'mysql_admin', 1)") \
            is not None
    finally:
        conn.close()


def test_the_desk_logs_in_as_the_employee_and_does_the_days_work(site):
    assert uses_employee_accounts(site.desk_url)
    assert not uses_employee_accounts(site.root_url)
    gate = EmployeeGate(site.desk_url)
    with pytest.raises(AuthFailed):
        gate.authenticate("1001", "wrong-password")
    with pytest.raises(AuthFailed):  # unknown login: the same answer
        gate.authenticate("9999", OPERATOR_PW)
    with pytest.raises(AuthFailed):  # not a login at all
        gate.authenticate("x'; DROP TABLE customer; --", OPERATOR_PW)
    result = gate.authenticate("1001", OPERATOR_PW)
    db = gate.db
    try:
        assert result.actor.login == "1001" and db.employee_login == "1001"
        assert db.engine.url.username == privileges.account_name(site.name, "1001")
        boss = AccountService(site.root).authenticate("boss", BOSS_PW).actor
        arch = ArchiveService(site.root)
        region = arch.save_region(boss, name="杭州", province="浙江", area_code="0571")
        variety = arch.save_variety(boss, name="眼保姆")
        product = arch.save_product(boss, name="眼保姆护眼仪", variety_id=variety.id,
                                    unit="台", short_code="YBM", retail_price="398")
        medium = arch.save_medium(boss, type="电视", name="江苏卫视")
        agent = result.actor
        cust = CustomerService(db).register(agent, CustomerDraft(
            name="李四", mobile="13900001111", region_id=region.id, address="文三路1号"))
        order = OrderService(db).create(agent, OrderDraft(
            customer_id=cust.id, lines=(OrderLineDraft(product.id),), medium_id=medium.id),
            confirm=True)
        assert order.order_no
        # the services refuse first; the database would refuse too
        with pytest.raises(Forbidden):
            arch.save_region(agent, name="宁波", province="浙江", area_code="0574")
        with pytest.raises(Forbidden):
            AccountService(db).set_status(agent, agent.id, EmployeeStatus.ACTIVE)
        with db.engine.connect() as c:
            with pytest.raises(Exception) as denied:
                c.execute(text("UPDATE product SET retail_price = 0"))
            assert denied.value.orig.args[0] == 1142
        with site.root.engine.connect() as c:  # the logins were audited
            actions = c.execute(select(AuditLog.action, AuditLog.target)
                                .where(AuditLog.target == "1001")).all()
        assert ("login", "1001") in actions and ("login_failed", "1001") not in actions
    finally:
        db.dispose()


def test_the_super_administrator_keeps_accounts_in_step_from_the_desk(site):
    gate = EmployeeGate(site.desk_url)
    boss = gate.authenticate("boss", BOSS_PW).actor
    db = gate.db
    try:
        accounts = AccountService(db)
        info = accounts.add_employee(boss, login="1002", name="王五", role=Role.OPERATOR,
                                     password="new-agent-1")
        # the new employee can log in at once, as their own account
        g2 = EmployeeGate(site.desk_url)
        assert g2.authenticate("1002", "new-agent-1").must_change_password
        g2.db.dispose()
        # permissions follow into the database: the archives permission lets an operator
        # change products there too
        accounts.set_permissions(boss, info.id, {Permission.ARCHIVES})
        c = _connect(site, "1002", "new-agent-1")
        assert _refused(c, "UPDATE product SET unit = unit") is None
        assert _refused(c, "DELETE FROM sales_order") == 1142
        c.close()
        accounts.set_permissions(boss, info.id, set())
        c = _connect(site, "1002", "new-agent-1")
        assert _refused(c, "UPDATE product SET unit = unit") == 1142
        c.close()
        # an administrator switches 轮选 through their own account, and nothing else
        adm = accounts.add_employee(boss, login="1003", name="钱七", role=Role.ADMIN,
                                    password="admin-1003")
        ga = EmployeeGate(site.desk_url)
        admin_actor = ga.authenticate("1003", "admin-1003").actor
        assert AccountService(ga.db).set_round_robin(admin_actor, info.id, True).round_robin
        c = _connect(site, "1003", "admin-1003")
        assert _refused(c, f"UPDATE employee SET role = 'superadmin' WHERE id = {adm.id}") \
            == 1143
        c.close()
        ga.db.dispose()
        # banning locks the account in the server: no client gets in
        accounts.set_status(boss, info.id, EmployeeStatus.BANNED)
        with pytest.raises(AuthFailed):
            EmployeeGate(site.desk_url).authenticate("1002", "new-agent-1")
        with pytest.raises(pymysql.MySQLError):
            _connect(site, "1002", "new-agent-1")
        accounts.set_status(boss, info.id, EmployeeStatus.ACTIVE)
        # 登陆恢复: the default password, to be changed at the next login
        accounts.reset_password(boss, info.id)
        g3 = EmployeeGate(site.desk_url)
        r = g3.authenticate("1002", "8888")
        assert r.must_change_password
        own = AccountService(g3.db)
        with pytest.raises(ValidationError) as wrong:
            own.change_password(r.actor, "not-the-old-one", "changed-pw-9")
        assert wrong.value.field == "old_password"
        own.change_password(r.actor, "8888", "changed-pw-9")
        # the desk's later connections use the new password
        g3.db.engine.dispose()
        with g3.db.engine.connect() as c2:
            assert c2.execute(text("SELECT CURRENT_USER()")).scalar().startswith(
                privileges.account_name(site.name, "1002"))
        g3.db.dispose()
        with pytest.raises(AuthFailed):
            EmployeeGate(site.desk_url).authenticate("1002", "8888")
        g4 = EmployeeGate(site.desk_url)
        assert not g4.authenticate("1002", "changed-pw-9").must_change_password
        g4.db.dispose()
        # and agent-ctid, which checks the hash, agrees
        with site.root.sessions() as s:
            h = s.scalar(select(Employee.password_hash).where(Employee.login == "1002"))
        assert verify_password(h, "changed-pw-9")
    finally:
        db.dispose()


def test_an_operator_cannot_change_anyone_elses_password_through_the_procedure(site):
    conn = _connect(site, "1001", OPERATOR_PW)
    try:
        # the procedure changes the caller's own account only: there is no login argument
        assert _refused(conn, f"CALL {site.name}_own_password('x-pw-123', 'x')") is None
    finally:
        conn.close()
    with site.root.sessions() as s:
        hashes = dict(s.execute(select(Employee.login, Employee.password_hash)).all())
    assert hashes["1001"] == "x"          # the caller's own row
    assert verify_password(hashes["boss"], BOSS_PW)  # nobody else's
    # put the operator back as the other tests expect
    c = _connect(site, "1001", "x-pw-123")
    c.cursor().execute(f"CALL {site.name}_own_password(%s, 'y')", (OPERATOR_PW,))
    c.close()


def test_agent_ctid_has_an_account_of_its_own(site):
    conn = pymysql.connect(host=site.host, port=site.port, database=site.name,
                           user=privileges.ctid_account(site.name), password="ctid-pw-1")
    try:
        assert _refused(conn, "SELECT login, password_hash FROM employee") is None
        assert _refused(conn, "UPDATE employee SET failed_logins = failed_logins") is None
        assert _refused(conn, "UPDATE employee SET role = 'superadmin'") == 1143
        assert _refused(conn, "DELETE FROM audit_log") == 1142
        assert _refused(conn, "UPDATE customer SET name = 'x'") == 1142
    finally:
        conn.close()


def test_db_accounts_refuses_sqlite_and_says_why(tmp_path, monkeypatch, capsys):
    from db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    upgrade(url)
    rc, _out, err = _admin(monkeypatch, capsys, "db-accounts", "--url", url)
    assert rc == 2 and "single-workstation" in err


def test_the_servers_lock_out_is_said_and_a_reset_lifts_it(site):
    """max_password_errors (a server setting) blocks the account itself; the desk says
    so, and 登陆恢复 (which sets the password again) unblocks it."""
    from agent_app.errors import AccountBlocked

    boss = AccountService(site.root).authenticate("boss", BOSS_PW).actor
    accounts = AccountService(site.root)
    info = accounts.add_employee(boss, login="1009", name="赵六", role=Role.OPERATOR,
                                 password="agent-1009")
    with site.root.engine.connect() as c:
        c.exec_driver_sql("SET GLOBAL max_password_errors = 2")
    try:
        for _ in range(2):
            with pytest.raises(AuthFailed):
                EmployeeGate(site.desk_url).authenticate("1009", "wrong-one")
        with pytest.raises(AccountBlocked):  # even the right password, now
            EmployeeGate(site.desk_url).authenticate("1009", "agent-1009")
        accounts.reset_password(boss, info.id)
        gate = EmployeeGate(site.desk_url)
        assert gate.authenticate("1009", "8888").must_change_password
        gate.db.dispose()
    finally:
        with site.root.engine.connect() as c:
            c.exec_driver_sql("SET GLOBAL max_password_errors = DEFAULT")
