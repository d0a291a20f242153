"""What per-employee database accounts cost a login (docs/privileges.md): the desk's
login on a shared account (AccountService.authenticate: argon2 in the desk, one
transaction) against the login as the employee's own account (EmployeeGate: a new
engine, the server checks the password, the schema check, one transaction), and the
password change through the definer procedure. Prints medians and p90 in ms.

    .venv/bin/python tests/perf/bench_employee_login.py [--runs 30] [--server URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from agent_app.cli import admin  # noqa: E402
from agent_app.dbcheck import EmployeeGate  # noqa: E402
from agent_app.services.accounts import AccountService  # noqa: E402
from db import privileges  # noqa: E402
from db.engine import Database  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def show(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    print(f"{name:<44} median {statistics.median(ms):7.1f} ms   "
          f"p90 {ms[int(len(ms) * 0.9) - 1]:7.1f} ms   ({len(ms)} runs)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    args = p.parse_args()
    name = f"bench_acc_{uuid.uuid4().hex[:8]}"
    server = create_engine(args.server, isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
    try:
        import io
        for argv, stdin in ((["init-db", "--url", url], ""),
                            (["db-accounts", "--url", url], ""),
                            (["employee", "add", "--url", url, "--login", "1001", "--name",
                              "李娜", "--role", "operator", "--password-stdin"],
                             "Secret-1001\n")):
            sys.stdin = io.StringIO(stdin)
            assert admin.main(argv) == 0
        u = make_url(url)
        desk_url = f"mysql+pymysql://{u.host}:{u.port or 3306}/{name}"
        shared = Database.open(url)
        accounts = AccountService(shared)
        accounts.authenticate("1001", "Secret-1001")  # warm: statements, pool
        show("shared account: authenticate", timed(
            lambda: accounts.authenticate("1001", "Secret-1001"), args.runs))

        def own() -> None:
            gate = EmployeeGate(desk_url)
            gate.authenticate("1001", "Secret-1001")
            gate.db.dispose()
        own()
        show("own account: connect + check + authenticate", timed(own, args.runs))
        gate = EmployeeGate(desk_url)
        actor = gate.authenticate("1001", "Secret-1001").actor
        svc = AccountService(gate.db)
        pw = ["Secret-1001"]

        def change() -> None:
            new = f"Pw-{uuid.uuid4().hex[:8]}"
            svc.change_password(actor, pw[0], new)
            pw[0] = new
        show("own account: change password", timed(change, max(5, args.runs // 3)))
        gate.db.dispose()
        shared.dispose()
    finally:
        with server.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            privileges.drop_accounts(c, name)
        server.dispose()


if __name__ == "__main__":
    main()
