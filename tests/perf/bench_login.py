"""Login to a painted main window, the way an agent starts the day (issue target ≤ 1.5 s
on MariaDB): the real `agent-app` process under Xvfb, the password typed into the real
dialog, the figure read from the program's own log line ("painted N ms after the login
was accepted": from the Return key's accepted login to the first event-loop turn after
the window's show()). Also prints the longest GUI-thread stall the app logged after the
login, and start-up to login dialog.

    .venv/bin/python tests/perf/bench_login.py [--runs 10] [--url mysql+pymysql://…]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.desk import Desk, run_admin  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--server", default="mysql+pymysql://root@127.0.0.1:3306")
    args = p.parse_args()
    name = f"bench_login_{uuid.uuid4().hex[:8]}"
    eng = create_engine(args.server, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    url = f"{args.server}/{name}"
    try:
        run_admin("init-db", "--url", url)
        run_admin("employee", "add", "--url", url, "--login", "1001", "--name", "李娜",
                  "--role", "operator", "--department", "直销部", "--password-stdin",
                  stdin="Secret-1001\n")
        painted, dialog, stalls = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                desk = Desk(Path(tmp) / f"run{i}", settings={
                    "data_source": url, "seat": "8001", "cti_port": 9})
                desk.start()
                try:
                    desk.login("1001", "Secret-1001")
                    m = desk.wait_log(r"painted (\d+) ms after the login", 60)
                    painted.append(int(m.group(1)))
                    dialog.append(int(re.search(r"login dialog after (\d+) ms",
                                                desk.log()).group(1)))
                    desk.wait_log(r"CTI link: disconnected", 30)  # the panels' first loads
                    after = desk.log()[m.end():]
                    stalls.append(max([int(x) for x in re.findall(
                        r"blocked main thread for (\d+) ms", after)] or [0]))
                finally:
                    desk.stop()
    finally:
        with eng.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name}"))

    def line(label, xs):
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
        print(f"{label:<44} p50 {statistics.median(xs):6.0f}  p95 {p95:6.0f}  "
              f"max {xs[-1]:6.0f} ms  (n={len(xs)})")
    print(f"agent-app on MariaDB ({args.server.split('@')[-1]}), {args.runs} cold starts")
    line("start → login dialog shown", dialog)
    line("login accepted → main window painted", painted)
    line("longest GUI-thread stall logged after it", stalls)


if __name__ == "__main__":
    main()
