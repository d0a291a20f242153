"""Database accounts of a shared site: one MariaDB account per employee, holding the
database role of what the employee may do, so the database itself refuses what the
services would refuse (docs/privileges.md).

Why per-employee accounts: a workstation that keeps a shared account's password lets
whoever sits at it connect with any MySQL client and do anything that account can; every
check in the services is then advisory. With one account per employee the desk connects
with the password its user types and holds no secret of its own: the most a user can do
with a MySQL client is what their role allows anyway.

Roles are nested, because MariaDB activates one default role per account: the building
blocks (desk, archives, maintenance, accounts) are granted to the composite roles, and an
employee's account gets the one composite that matches their role and permissions
(`composite_role`). Names carry the database's name, so two databases on one server
(a site and its training copy, or the tests) never share roles or accounts.

Account changes from a desk go through `{db}_sync_account`, a SQL SECURITY DEFINER
procedure that only an active super administrator (or the site's owner account that
installed it) may run, and that only touches accounts of this database's employees: the
super administrator's own account never holds CREATE USER, which would reach every
account on the server, root's included.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection

from db.enums import Permission, Role

# Which tables each building block may change; every desk account may read every table
# except the audit log (write-only for desks) and employee.password_hash.
DESK_WRITES = {  # the seated agent's daily work
    "customer": "INSERT, UPDATE",
    "customer_phone": "INSERT, UPDATE, DELETE",
    "customer_initials_key": "INSERT, UPDATE, DELETE",
    "contact": "INSERT, UPDATE",
    "feedback_note": "INSERT, UPDATE",
    "reminder": "INSERT, UPDATE, DELETE",
    "sales_order": "INSERT, UPDATE",
    "order_line": "INSERT, UPDATE, DELETE",
    "order_event": "INSERT",
    "dispatch_feedback": "INSERT",   # 出库反馈 (the service checks 反馈)
    "print_log": "INSERT",           # 出库打印
    "cod_remittance": "INSERT",      # 代收货款对账
    "courier_profile": "INSERT, UPDATE",   # a courier's sheet columns, remembered
    "number_sequence": "INSERT, UPDATE",
    "notice": "INSERT, UPDATE",
    "call_record": "UPDATE",      # notes, handled, linked customer; agent-ctid inserts
    "search_gram_stat": "INSERT, UPDATE",
    "audit_log": "INSERT",        # insert-only: no desk can edit or delete the trail
}
ARCHIVES_WRITES = {  # 档案维护: administrators and holders of the archives permission
    t: "INSERT, UPDATE, DELETE" for t in (
        "region", "department", "variety", "product", "medium", "placement",
        "system_setting", "internal_number", "mobile_prefix", "area_code")
}
MAINTENANCE_WRITES = {  # 客户维护 and 删撤销单: removing orders
    "sales_order": "DELETE", "order_line": "DELETE", "order_event": "DELETE",
}
ACCOUNTS_WRITES = {  # super administrators: employees, permissions, the CTI set-up
    "employee": "INSERT, UPDATE",
    "employee_permission": "INSERT, DELETE",
    "cti_group": "INSERT, UPDATE, DELETE",
    "dialed_number": "INSERT, UPDATE, DELETE",
    "seat": "INSERT, UPDATE, DELETE",
}
CTID_WRITES = {  # agent-ctid: the calls it connects, logins it counts
    "call_record": "INSERT, UPDATE",
    "agent_state_log": "INSERT",  # every agent state transition (statistics)
    "system_setting": "INSERT, UPDATE",
    "audit_log": "INSERT",
}
SECRET_COLUMNS = {"employee": {"password_hash"}}
UNREADABLE = {"audit_log"}
# employee columns agent-ctid updates when it counts failed logins (the desk's rule)
CTID_EMPLOYEE_UPDATES = ("failed_logins", "locked_until", "last_login_at", "version",
                         "updated_at", "updated_by_login")

# administrators switch 轮选 (round robin) on and off for employees, and nothing else there
SUPERVISE_EMPLOYEE_UPDATES = ("round_robin", "version", "updated_at", "updated_by_login")

PARTS = ("desk", "archives", "maintenance", "supervise", "accounts")
COMPOSITES = ("operator", "operator_archives", "operator_maintenance",
              "operator_archives_maintenance", "admin", "superadmin")
_PARTS_OF = {
    "operator": ("desk",), "operator_archives": ("desk", "archives"),
    "operator_maintenance": ("desk", "maintenance"),
    "operator_archives_maintenance": ("desk", "archives", "maintenance"),
    "admin": ("desk", "archives", "maintenance", "supervise"),
    "superadmin": ("desk", "archives", "maintenance", "supervise", "accounts"),
}
MAX_ACCOUNT = 80   # MariaDB's limit on user names


class PrivilegeError(ValueError):
    """A database or login name that cannot become an account name."""


def _ident(database: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", database):
        raise PrivilegeError(f"database name {database!r}: letters, digits and _ only")
    return database


def _prefix(database: str) -> str:
    """What every account of this database's employees starts with (room left for a
    32-character login within MariaDB's 80)."""
    return f"{_ident(database)[:MAX_ACCOUNT - 33]}_"


def _like(database: str) -> str:
    """A LIKE pattern for this database's accounts and roles (its _ taken literally)."""
    return _prefix(database).replace("_", "\\_") + "%"


def role_name(database: str, part: str) -> str:
    return f"{_ident(database)}_{part}"


def account_name(database: str, login: str) -> str:
    """The MariaDB account of an employee: `<database>_<login>` (agentdesk_1001)."""
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", login):
        raise PrivilegeError(f"login {login!r}: 1-32 letters or digits")
    return f"{_prefix(database)}{login}"


def ctid_account(database: str) -> str:
    return f"{_ident(database)[:MAX_ACCOUNT - 5]}_ctid"


def composite_role(role: str, permissions: Iterable[str]) -> str:
    """The one composite role an employee's account holds (without the database
    prefix): their Role, widened by the permissions that let an operator change more."""
    if role == Role.SUPERADMIN:
        return "superadmin"
    if role == Role.ADMIN:
        return "admin"
    perms = set(permissions)
    name = "operator"
    if Permission.ARCHIVES in perms:
        name += "_archives"
    # 删撤销单 removes orders too: the same database rights as 客户维护's order removal
    if perms & {Permission.CUSTOMER_MAINTENANCE, Permission.DELETE_WITHDRAWN}:
        name += "_maintenance"
    return name


def _sql(conn: Connection, sql: str, args: tuple | None = None) -> list[tuple]:
    """Run one statement on the driver's own cursor: DDL and procedure bodies hold `%`
    (LIKE patterns, '%' hosts) that a parameter style would take for placeholders."""
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, args)
        return list(cur.fetchall() or ())
    finally:
        cur.close()


def _quote(conn: Connection, value: str) -> str:
    return _sql(conn, "SELECT QUOTE(%s)", (value,))[0][0]


def install(conn: Connection, database: str) -> list[str]:
    """Create (or bring up to date) the roles, their grants and the account procedures
    in `database`. Idempotent; run as the site's owner account (agent-admin). Returns
    the statements it ran, for the operator's log."""
    db = _ident(database)
    ran: list[str] = []

    def run(sql: str) -> None:
        _sql(conn, sql)
        ran.append(sql)

    tables = [r[0] for r in _sql(
        conn, "SELECT table_name FROM information_schema.tables "
              "WHERE table_schema = %s AND table_type = 'BASE TABLE'", (db,))]
    columns: dict[str, list[str]] = {}
    for t, c in _sql(conn, "SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = %s ORDER BY ordinal_position", (db,)):
        columns.setdefault(t, []).append(c)

    every = [role_name(db, p) for p in PARTS] + [role_name(db, c) for c in COMPOSITES] \
        + [role_name(db, "ctid")]
    for r in every:
        run(f"CREATE ROLE IF NOT EXISTS `{r}`")
    # Start each role from nothing, so a table that moved out of a list loses its grant.
    for r in every:
        run(f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM `{r}`")

    def readable(t: str) -> str:
        secret = SECRET_COLUMNS.get(t)
        if not secret:
            return f"GRANT SELECT ON `{db}`.`{t}`"
        cols = ", ".join(f"`{c}`" for c in columns[t] if c not in secret)
        return f"GRANT SELECT ({cols}) ON `{db}`.`{t}`"

    desk = role_name(db, "desk")
    for t in tables:
        if t not in UNREADABLE:
            run(f"{readable(t)} TO `{desk}`")
    for part, writes in (("desk", DESK_WRITES), ("archives", ARCHIVES_WRITES),
                         ("maintenance", MAINTENANCE_WRITES), ("accounts", ACCOUNTS_WRITES)):
        for t, privs in writes.items():
            if t in tables:
                run(f"GRANT {privs} ON `{db}`.`{t}` TO `{role_name(db, part)}`")
    for comp, parts in _PARTS_OF.items():
        for p in parts:
            run(f"GRANT `{role_name(db, p)}` TO `{role_name(db, comp)}`")

    ctid = role_name(db, "ctid")
    for t in tables:  # agent-ctid checks passwords itself: it reads the hashes
        run(f"GRANT SELECT ON `{db}`.`{t}` TO `{ctid}`")
    for t, privs in CTID_WRITES.items():
        if t in tables:
            run(f"GRANT {privs} ON `{db}`.`{t}` TO `{ctid}`")
    cols = ", ".join(f"`{c}`" for c in SUPERVISE_EMPLOYEE_UPDATES)
    run(f"GRANT UPDATE ({cols}) ON `{db}`.`employee` TO `{role_name(db, 'supervise')}`")
    cols = ", ".join(f"`{c}`" for c in CTID_EMPLOYEE_UPDATES)
    run(f"GRANT UPDATE ({cols}) ON `{db}`.`employee` TO `{ctid}`")

    _install_procedures(conn, db, run)
    run(f"GRANT EXECUTE ON PROCEDURE `{db}`.`{db}_own_password` TO `{desk}`")
    run(f"GRANT EXECUTE ON PROCEDURE `{db}`.`{db}_sync_account` "
        f"TO `{role_name(db, 'accounts')}`")
    return ran


def _install_procedures(conn: Connection, db: str, run) -> None:
    prefix, like = _prefix(db), _like(db)
    composites = ", ".join(f"'{role_name(db, c)}'" for c in COMPOSITES)
    # The caller as the server knows it (USER() is the invoker, CURRENT_USER() the
    # definer inside a SQL SECURITY DEFINER routine).
    caller = "SUBSTRING_INDEX(USER(), '@', 1)"
    exec_sql = "PREPARE ad_stmt FROM @ad_sql; EXECUTE ad_stmt; DEALLOCATE PREPARE ad_stmt;"
    revokes = "\n".join(
        f"    SET @ad_sql = CONCAT('REVOKE `{role_name(db, c)}` FROM ', v_account); {exec_sql}"
        for c in COMPOSITES)
    run(f"DROP PROCEDURE IF EXISTS `{db}`.`{db}_sync_account`")
    run(f"""CREATE PROCEDURE `{db}`.`{db}_sync_account`(
    IN p_login VARCHAR(32), IN p_password VARCHAR(255), IN p_role VARCHAR(160),
    IN p_active TINYINT)
SQL SECURITY DEFINER
BEGIN
  DECLARE v_allowed INT DEFAULT 0;
  DECLARE v_account VARCHAR(200);
  IF {caller} LIKE '{like}' THEN
    SELECT COUNT(*) INTO v_allowed FROM `{db}`.employee
     WHERE CONCAT('{prefix}', login) = {caller} AND role = 'superadmin' AND status = 'active';
    IF v_allowed = 0 THEN
      SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142,
        MESSAGE_TEXT = 'only an active super administrator manages employee accounts';
    END IF;
  END IF;
  IF p_login NOT REGEXP '^[A-Za-z0-9]{{1,32}}$' OR p_role NOT IN ({composites})
     OR NOT EXISTS (SELECT 1 FROM `{db}`.employee WHERE login = p_login) THEN
    SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142,
      MESSAGE_TEXT = 'not an employee of this database or not a desk role';
  END IF;
  SET v_account = CONCAT(QUOTE(CONCAT('{prefix}', p_login)), '@''%''');
  IF p_password IS NOT NULL THEN
    SET @ad_sql = CONCAT('CREATE USER IF NOT EXISTS ', v_account, ' IDENTIFIED BY ',
                         QUOTE(p_password)); {exec_sql}
    SET @ad_sql = CONCAT('ALTER USER ', v_account, ' IDENTIFIED BY ', QUOTE(p_password));
    {exec_sql}
  END IF;
  BEGIN
    -- whichever composite the account held before; the others are not granted
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
{revokes}
  END;
  SET @ad_sql = CONCAT('GRANT `', p_role, '` TO ', v_account); {exec_sql}
  SET @ad_sql = CONCAT('SET DEFAULT ROLE `', p_role, '` FOR ', v_account); {exec_sql}
  SET @ad_sql = CONCAT('ALTER USER ', v_account,
                       IF(p_active, ' ACCOUNT UNLOCK', ' ACCOUNT LOCK')); {exec_sql}
END""")
    run(f"DROP PROCEDURE IF EXISTS `{db}`.`{db}_own_password`")
    run(f"""CREATE PROCEDURE `{db}`.`{db}_own_password`(
    IN p_password VARCHAR(255), IN p_hash VARCHAR(255))
SQL SECURITY DEFINER
BEGIN
  DECLARE v_login VARCHAR(32);
  SELECT login INTO v_login FROM `{db}`.employee
   WHERE CONCAT('{prefix}', login) = {caller} AND status = 'active';
  IF v_login IS NULL THEN
    SIGNAL SQLSTATE '42000' SET MYSQL_ERRNO = 1142,
      MESSAGE_TEXT = 'this account is not an active employee of this database';
  END IF;
  SET @ad_sql = CONCAT('ALTER USER ', QUOTE(CONCAT('{prefix}', v_login)), '@''%'' ',
                       'IDENTIFIED BY ', QUOTE(p_password)); {exec_sql}
  UPDATE `{db}`.employee SET password_hash = p_hash, must_change_password = 0,
         version = version + 1, updated_at = UTC_TIMESTAMP(6), updated_by_login = v_login
   WHERE login = v_login;
END""")


def existing_accounts(conn: Connection, database: str) -> set[str]:
    """The names of this database's accounts on the server (roles left out)."""
    return {r[0] for r in _sql(conn, "SELECT user FROM mysql.user WHERE user LIKE %s "
                                     "AND is_role = 'N'", (_like(database),))}


def installed(conn: Connection, database: str) -> bool:
    """Whether this database uses per-employee accounts (agent-admin db accounts ran)."""
    return bool(_sql(conn, "SELECT COUNT(*) FROM information_schema.routines "
                           "WHERE routine_schema = %s AND routine_name = %s",
                     (database, f"{database}_sync_account"))[0][0])


def sync_account(conn: Connection, database: str, login: str, *, role: str,
                 permissions: Iterable[str], active: bool,
                 password: str | None = None) -> None:
    """Create or update an employee's account: password (when given), composite role,
    locked unless active. Runs the definer procedure, so a desk super administrator and
    agent-admin take the same path."""
    account_name(database, login)  # refuses what the procedure would refuse, with a name
    _sql(conn, f"CALL `{_ident(database)}`.`{database}_sync_account`(%s, %s, %s, %s)",
        (login, password, role_name(database, composite_role(role, permissions)),
         1 if active else 0))
    conn.connection.driver_connection.commit()


def change_own_password(conn: Connection, database: str, password: str,
                        password_hash: str) -> None:
    """The connected employee's new password, for the database account and for the
    hash agent-ctid checks, in one call."""
    _sql(conn, f"CALL `{_ident(database)}`.`{database}_own_password`(%s, %s)",
         (password, password_hash))
    conn.connection.driver_connection.commit()  # the hash's UPDATE follows the DDL


def create_ctid_account(conn: Connection, database: str, password: str) -> str:
    name = ctid_account(database)
    q = _quote(conn, name)
    pw = _quote(conn, password)
    _sql(conn, f"CREATE USER IF NOT EXISTS {q}@'%' IDENTIFIED BY {pw}")
    _sql(conn, f"ALTER USER {q}@'%' IDENTIFIED BY {pw}")
    role = role_name(database, "ctid")
    _sql(conn, f"GRANT `{role}` TO {q}@'%'")
    _sql(conn, f"SET DEFAULT ROLE `{role}` FOR {q}@'%'")
    return name


def drop_accounts(conn: Connection, database: str) -> int:
    """Remove this database's roles and accounts (its employees', agent-ctid's): for a
    training copy that is dropped, and for tests. Returns how many went."""
    rows = _sql(conn, "SELECT user, host, is_role FROM mysql.user WHERE user LIKE %s",
                (_like(database),))
    for user, host, is_role in rows:
        q = _quote(conn, user)
        _sql(conn, f"DROP ROLE {q}" if is_role == "Y" else f"DROP USER {q}@{_quote(conn, host)}")
    return len(rows)
