"""Benchmark: 150 desks come back after agent-ctid restarts (kill -9, then a clean restart).

Runs agent-ctid as a real process on MariaDB ($AGENT_TEST_MYSQL_URL, default the local
server; a database of its own, dropped at the end) with 150 employees, connects 150 real
CtiClients (their own reconnect back-off and jitter), puts calls in flight, restarts the
server and prints: time from the stop until all desks are logged in again, the CTI login
latency as a desk sees it (TCP connected → logged in: hello + login) p50/p95/p99/max during
the storm, how many desks resumed their place, and what became of the calls in flight.
It runs once with resume tickets and once with --no-resume-tickets (every login hashes
its password: the figures before tickets). The desks share this process's event loop and
the machine's cores with the server, so their figures are pessimistic. Not a pytest test.

    .venv/bin/python tests/perf/bench_reconnect.py [--desks 150] [--calls 40]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_app.cti.client import CtiClient  # noqa: E402
from tests.cti.ctidproc import Ctid  # noqa: E402
from tests.cti.wire import Wire  # noqa: E402

PASSWORD = "bench-pw-1"
MYSQL = os.environ.get("AGENT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")


def make_database(desks: int) -> tuple[str, str]:
    from sqlalchemy import create_engine, text, update
    from sqlalchemy.engine import make_url

    from agent_app.cli.identity import SHELL
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from db.enums import Permission, Role
    from db.migrate import upgrade
    from db.models import CtiGroup
    from db.seed import seed_reference_data

    name = f"agent_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = create_engine(make_url(MYSQL), isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                       "COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    url = make_url(MYSQL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    seed_reference_data(url)
    db = Database.open(url)
    with db.transaction() as s:  # room in the queue, no wrap-up, slow ring-no-answer
        s.execute(update(CtiGroup).values(max_queue=500, wrapup_s=0, ring_timeout_s=60))
    accounts = AccountService(db)
    t = time.perf_counter()
    for k in range(desks):
        accounts.add_employee(SHELL, login=f"b{k:03d}", name=f"坐席{k}", role=Role.OPERATOR,
                              password=PASSWORD, must_change_password=False)
    accounts.add_employee(SHELL, login="badmin", name="管理员", role=Role.ADMIN,
                          password=PASSWORD, must_change_password=False,
                          permissions={Permission.MONITOR})
    print(f"{desks} employees created in {time.perf_counter() - t:.1f} s (argon2id hashes)")
    db.dispose()
    return url, name


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    server = create_engine(make_url(MYSQL), isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


class Desk:
    """A real CtiClient and the times of its status changes; answers what rings for it."""

    def __init__(self, port: int, k: int) -> None:
        self.client = CtiClient("127.0.0.1", port, user=f"b{k:03d}", password=PASSWORD,
                                seat=str(7001 + k), groups=["21"])
        self.statuses: list[tuple[float, str, str]] = []
        self.ended: list[dict] = []
        self.client.on_status = lambda s, d: self.statuses.append((time.perf_counter(), s, d))
        self.client.on_event = self._event

    def _event(self, ev: dict) -> None:
        call = ev.get("call") or {}
        if call.get("user") != self.client.user:
            return
        if ev["event"] == "call_ringing":
            asyncio.ensure_future(self._answer(call["call_id"]))
        elif ev["event"] == "call_ended":
            self.ended.append(call)

    async def _answer(self, call_id: str) -> None:
        try:
            await self.client.answer(call_id)
        except Exception as exc:  # noqa: BLE001 - a bench desk reports and goes on
            print(f"{self.client.user}: answer failed: {exc}", file=sys.stderr)

    def login_after(self, mark: int) -> tuple[float, float] | None:
        """(connected, logged in) of the first login after status number `mark`."""
        connected = None
        for t, s, _ in self.statuses[mark:]:
            if s == "connected":
                connected = t
            elif s == "logged_in" and connected is not None:
                return connected, t
        return None


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def figures(label: str, desks: list[Desk], mark: list[int], t_stop: float,
            t_up: float) -> None:
    logins = [d.login_after(m) for d, m in zip(desks, mark, strict=True)]
    done = [x for x in logins if x]
    lat = [(b - a) * 1000 for a, b in done]
    back = max(b for _, b in done) - t_stop if done else float("nan")
    print(f"  {label}: {len(done)}/{len(desks)} logged in again, all within {back:.2f} s "
          f"of the stop (server listening after {t_up - t_stop:.2f} s)")
    print(f"    CTI login latency (connected → logged in): p50 {pct(lat, .5):.1f} ms, "
          f"p95 {pct(lat, .95):.1f} ms, p99 {pct(lat, .99):.1f} ms, max {max(lat):.1f} ms")


async def all_logged_in(desks: list[Desk], mark: list[int], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(d.login_after(m) for d, m in zip(desks, mark, strict=True)):
            return
        await asyncio.sleep(0.02)


async def calls_in_flight(port: int, desks: list[Desk], n: int) -> list[Desk]:
    """n desks ready, n calls that ring them and are answered (talk for minutes)."""
    for d in desks[:n]:
        await d.client.ready()
    boss = await Wire.connect(port)
    r = await boss.login("badmin", PASSWORD, "9999", ["21"])
    assert r.get("ok"), r
    for k in range(n):
        await boss.request("sim_inbound", caller=f"1390000{k:04d}", dialed="4006000000",
                           group="21", talk_s=600)
    await boss.close()
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline:
        talking = [d for d in desks if (d.client.call or {}).get("state") == "talking"]
        if len(talking) >= n:
            return talking
        await asyncio.sleep(0.05)
    return [d for d in desks if (d.client.call or {}).get("state") == "talking"]


async def restart(ctid: Ctid, desks: list[Desk], calls: int, how: str, port: int) -> None:
    talking = await calls_in_flight(port, desks, calls)
    for d in desks:
        d.ended.clear()
    mark = [len(d.statuses) for d in desks]
    t_stop = time.perf_counter()
    await asyncio.to_thread(ctid.kill if how == "kill -9" else ctid.terminate)
    await asyncio.to_thread(ctid.start)
    t_up = time.perf_counter()
    await all_logged_in(desks, mark, 30)
    figures(how, desks, mark, t_stop, t_up)
    resumed_calls = sum(1 for d in talking if d.client.call)
    told = sum(1 for d in talking if any(c.get("end_cause") == "server_stopped"
                                         for c in d.ended))
    print(f"    {sum(d.client.resumed for d in desks)}/{len(desks)} desks resumed their "
          f"place; calls in flight: {len(talking)}, resumed {resumed_calls} (by design: the "
          f"switch dropped them), closed server_stopped and told to the desk {told}")


async def run_mode(url: str, tmp: Path, n: int, calls: int, tickets: bool) -> None:
    print(f"\n== resume tickets {'on' if tickets else 'off (every login hashes)'} ==")
    # every desk here comes from 127.0.0.1: as if behind one NAT, so the cap per address
    # on connections not logged in yet is raised to the whole site
    extra = ("--max-pending-per-address", str(n + 10),
             *(() if tickets else ("--no-resume-tickets",)))
    ctid = Ctid(url, tmp / ("on" if tickets else "off"), *extra)
    port = await asyncio.to_thread(ctid.start)
    try:
        desks = [Desk(port, k) for k in range(n)]
        t0 = time.perf_counter()
        for d in desks:
            await d.client.start()
        await all_logged_in(desks, [0] * n, 60)
        figures("first login, all at once", desks, [0] * n, t0, t0)
        for how in ("kill -9", "clean restart"):
            await restart(ctid, desks, calls, how, port)
        await asyncio.gather(*(d.client.stop() for d in desks))
    finally:
        await asyncio.to_thread(ctid.terminate)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--desks", type=int, default=150)
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--only-tickets", action="store_true", help="skip the run without them")
    args = ap.parse_args()
    url, name = make_database(args.desks)
    tmp = Path(tempfile.mkdtemp(prefix="bench-reconnect-"))
    try:
        asyncio.run(run_mode(url, tmp, args.desks, args.calls, True))
        if not args.only_tickets:
            asyncio.run(run_mode(url, tmp, args.desks, args.calls, False))
    finally:
        drop_database(name)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
