"""agent-admin: set-up and operations from a shell on the server or a workstation.

Subcommands live in small modules (cmd_*.py), each with `register(subparsers)`; this file
only assembles them and turns known errors into one clear line and exit code 2.

Every command that touches a database gets it from `open_db` (an existing database at
exactly this program's schema) or `creating_url` (init-db and demo-data, the only ones
that may create a SQLite file or a MySQL database): a bare word, an unknown driver, a
file that is not a database and a missing SQLite file are one line and exit 2, before
anything is created or written.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from agent_app.cli import cmd_cti, cmd_demo, cmd_logistics, cmd_report, cmd_search
from agent_app.cli.identity import SHELL
from agent_app.errors import UserError
from db.migrate import SchemaError

log = logging.getLogger("agent_admin")


def add_url(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default=os.environ.get("AGENT_DB_URL"),
                   help="database URL: sqlite:///path or mysql+pymysql://user:pw@host/db "
                        "(default: $AGENT_DB_URL)")


def need_url(args: argparse.Namespace) -> str:
    if not args.url:
        raise SystemExit("agent-admin: give --url or set AGENT_DB_URL")
    return args.url


class CommandError(Exception):
    """Refused before anything was touched: main() prints it as one line, exit 2."""


SQLITE_MAGIC = b"SQLite format 3\x00"
URL_HELP = "use sqlite:///PATH or mysql+pymysql://USER:PASSWORD@HOST/DATABASE"


def checked_url(url: str, *, may_create: bool) -> str:
    """The normalised URL, refused (CommandError) unless it names a database a command
    can use, without creating or changing anything.

    A bare word is refused although the desk reads a plain path as a SQLite file: typed
    at a shell (`--url notaurl`) it is far more often a mistake than a file name, and
    SQLite would silently create it.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from db.engine import normalise_url

    url = url.strip()
    if "://" not in url:
        raise CommandError(f"{url!r} is not a database URL; {URL_HELP}")
    try:
        u = make_url(normalise_url(url))
        u.get_dialect()
    except NoSuchModuleError as exc:
        raise CommandError(f"unknown database driver {url.split('://')[0]!r}; "
                           f"{URL_HELP}") from exc
    except (ArgumentError, ValueError) as exc:   # (not echoed: it may hold a password)
        raise CommandError(f"--url is not a database URL; {URL_HELP}") from exc
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        path = Path(u.database)
        if path.is_dir():
            raise CommandError(f"{path} is a folder, not a database file")
        if not path.exists():
            if not may_create:
                raise CommandError(f"the database file {path} does not exist; create it "
                                   "with agent-admin init-db. Nothing was changed.")
        elif path.stat().st_size and _header(path) != SQLITE_MAGIC:
            # (an empty file is an empty SQLite database)
            raise CommandError(f"{path} is not a SQLite database. Nothing was changed.")
    return u.render_as_string(hide_password=False)


def _header(path: Path) -> bytes:
    with path.open("rb") as f:   # the first bytes only: a site's file may be gigabytes
        return f.read(16)


def creating_url(args: argparse.Namespace) -> str:
    """The URL of a command that may create the database (init-db, demo-data)."""
    return checked_url(need_url(args), may_create=True)


def open_db(args: argparse.Namespace):
    """The existing database of a command, at exactly this program's schema (SchemaError
    otherwise, before the command reads or writes anything)."""
    from db.engine import Database
    from db.migrate import check

    db = Database.open(checked_url(need_url(args), may_create=False))
    try:
        check(db)
    except BaseException:
        db.dispose()
        raise
    return db


def cmd_init_db(args: argparse.Namespace) -> int:
    from db.migrate import upgrade
    from db.seed import seed_reference_data

    url = creating_url(args)
    head = upgrade(url)
    seed_reference_data(url)
    print(f"schema at {head}: {url.split('@')[-1]}")
    return 0


def cmd_employee_add(args: argparse.Namespace) -> int:
    from agent_app.services.accounts import AccountService
    from db.enums import Role

    db = open_db(args)  # before the password prompt: a wrong database is said at once
    try:
        password = _new_password(args)
        if password is None:
            print("agent-admin: the passwords differ; nothing was changed", file=sys.stderr)
            return 2
        info = AccountService(db).add_employee(
            SHELL, login=args.login, name=args.name, role=Role(args.role), password=password,
            department=args.department, must_change_password=False)
    finally:
        db.dispose()
    print(f"employee {info.login} ({info.name}, {info.role}) added")
    return 0


def cmd_db_accounts(args: argparse.Namespace) -> int:
    """Per-employee database accounts (db/privileges.py, docs/privileges.md)."""
    from sqlalchemy import select

    from db import privileges
    from db.models import Employee

    db = open_db(args)
    try:
        if db.is_sqlite:
            print("agent-admin: an embedded SQLite database has no database accounts: it is "
                  "a single-workstation mode", file=sys.stderr)
            return 2
        ctid_password = (sys.stdin.readline().rstrip("\n") if args.ctid_password_stdin
                         else None)
        name = db.database_name
        with db.engine.begin() as conn:
            ran = privileges.install(conn, name)
            if ctid_password:
                print(f"agent-ctid's account: {privileges.create_ctid_account(conn, name, ctid_password)}")
            logins = conn.scalars(select(Employee.login)).all()
            have = privileges.existing_accounts(conn, name)
            limit = conn.exec_driver_sql("SELECT @@max_password_errors").scalar()
    finally:
        db.dispose()
    print(f"roles, grants and account procedures of {name}: {len(ran)} statements")
    missing = [lg for lg in logins if privileges.account_name(name, lg) not in have]
    if missing:
        print(f"{len(missing)} employees have no database account yet ({', '.join(missing[:10])}"
              f"{', …' if len(missing) > 10 else ''}): a super administrator resets their "
              "passwords (登陆恢复), or add them again with agent-admin employee add")
    if limit is None or int(limit) > 100:
        print("note: the server does not lock accounts after wrong passwords; set "
              "max_password_errors = 10 in its configuration ([mariadb] section)")
    return 0
def _new_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            return None
    return password


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agent-admin", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("init-db", help="create or upgrade the schema (idempotent)")
    add_url(q)
    q.set_defaults(func=cmd_init_db)

    emp = sub.add_parser("employee", help="employees").add_subparsers(dest="sub", required=True)
    q = emp.add_parser("add", help="add an employee (the first super administrator)")
    add_url(q)
    q.add_argument("--login", required=True)
    q.add_argument("--name", required=True)
    q.add_argument("--role", required=True, choices=["superadmin", "admin", "operator"])
    q.add_argument("--department")
    q.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    q.set_defaults(func=cmd_employee_add)

    q = sub.add_parser("db-accounts", help="a shared MySQL/MariaDB site: one database account "
                       "per employee, roles and grants by role (run again after init-db)")
    add_url(q)
    q.add_argument("--ctid-password-stdin", action="store_true",
                   help="also create agent-ctid's own account, with the password on stdin")
    q.set_defaults(func=cmd_db_accounts)

    # The command groups, each in its own module.
    for module in (cmd_demo, cmd_cti, cmd_search, cmd_report, cmd_logistics):
        module.register(sub, add_url)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # Alembic narrates every step at INFO; operators need the result
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"agent-admin: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"agent-admin: {exc.message_en()}", file=sys.stderr)
        return 2
    except SchemaError as exc:
        advice = ("upgrade this program" if exc.kind == "newer"
                  else "run agent-admin init-db")
        print(f"agent-admin: {exc}; {advice}. Nothing was changed.", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback for operators
        from agent_app.services.base import classify
        known = classify(exc)
        if known is not None:
            print(f"agent-admin: {known}", file=sys.stderr)
            return 2
        if args.verbose:
            raise
        print(f"agent-admin: unexpected error: {exc!r} (run with -v for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
