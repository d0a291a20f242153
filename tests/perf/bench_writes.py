"""Writers without pacing: order numbers with no hot row, on one server and on a cluster.

    .venv/bin/python tests/perf/bench_writes.py single  [--server URL] [--writers 30] [--seconds 20]
    .venv/bin/python tests/perf/bench_writes.py cluster [--writers-per-node 4] [--seconds 20]

single:  a fresh database on the server (default: the test MariaDB). 30 writer processes,
         each an agent of its own ordering for two customers of their own, call
         OrderService.create as fast as they can; prints p50/p95/max and orders per second.
         Then the same with all 30 as one login on its two customers, the worst case (every
         writer on one counter row and two customer rows).
cluster: register → order → confirm sequences per second on the standalone test server,
         then on a 3-node Galera cluster on loopback (tests/cluster/galera.py) with every
         writer on node 1, then with writers
         spread over all three nodes, errors counted; then node 3 is killed mid-run and
         the pause is measured: the longest gap in commits on the surviving nodes, and how
         long node 3's desks (their data source names node 3 first) took to write again.

Writers are processes, not threads, so the figures are not the GIL's. The machine has 2
cores: writers, servers and the benchmark share them, so absolute figures are what a
2-core box gives; the comparisons are the point.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent_app.cli.identity import SHELL

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent_app.services.accounts import AccountService  # noqa: E402
from agent_app.services.archives import ArchiveService  # noqa: E402
from agent_app.services.customers import CustomerDraft, CustomerService  # noqa: E402
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService  # noqa: E402
from db.engine import Database  # noqa: E402
from db.enums import Role  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.seed import seed_reference_data  # noqa: E402


def cheap_hashes() -> None:
    """Logins are not what is measured: argon2 at its minimum cost for the set-up."""
    from argon2 import PasswordHasher

    import agent_app.security as security
    security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def new_database(server: str) -> str:
    name = f"bench_writes_{uuid.uuid4().hex[:8]}"
    eng = create_engine(server, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                       "COLLATE utf8mb4_unicode_ci"))
    eng.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    seed_reference_data(url)
    return url


def drop_database(url: str) -> None:
    u = make_url(url)
    eng = create_engine(u.set(database=None), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS `{u.database}`"))
    eng.dispose()


def prepare(url: str, agents: int):
    """(product id, customer ids per agent, actors): a shop and `agents` operators
    1001…, each with two customers of their own."""
    cheap_hashes()
    db = Database.open(url)
    accounts = AccountService(db)
    accounts.add_employee(SHELL, login="0001", name="王明辉", role=Role.SUPERADMIN,
                          password="Admin-0001", must_change_password=False)
    admin = accounts.authenticate("0001", "Admin-0001").actor
    arch = ArchiveService(db)
    v = arch.save_variety(admin, name="眼保姆")
    p = arch.save_product(admin, name="眼保姆", variety_id=v.id, unit="台", short_code="Y1",
                          retail_price="398")
    actors = []
    for n in range(agents):
        login = f"{1001 + n}"
        accounts.add_employee(admin, login=login, name=f"坐席{n}", role=Role.OPERATOR,
                              password=f"Pass-{login}", must_change_password=False)
        actors.append(accounts.authenticate(login, f"Pass-{login}").actor)
    # each agent orders for customers of their own, as at a site: two desks ordering for
    # one customer in the same instant is rare, and then the second waits for the first
    customers = CustomerService(db)
    ids = [[customers.register(a, CustomerDraft(name=f"客户{k}-{i}",
                                                 mobile=f"138{k:04d}{i:04d}")).id
            for i in range(2)] for k, a in enumerate(actors)]
    db.dispose()
    return p.id, ids, actors


# -- writer processes --------------------------------------------------------------------
class Gate:
    """Starts every writer process at once, after all have imported and connected: on 2
    cores, spawning 30 Pythons takes long enough that a fixed start time would let the
    early ones run alone."""

    def __init__(self, ctx) -> None:
        self.ready, self.go, self.t0 = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)

    def wait(self, db: Database, seconds: float) -> float:
        """In a writer: returns the time to stop at."""
        db.ping()
        self.ready.put(1)
        self.go.wait()
        return self.t0.value + seconds

    def open(self, writers: int) -> float:
        for _ in range(writers):
            self.ready.get(timeout=300)
        self.t0.value = time.time()
        self.go.set()
        return self.t0.value


def order_writer(url, actor, product_id, customer_ids, tag, gate, seconds, out) -> None:
    db = Database.open(url, pool_size=1)
    svc = OrderService(db)
    rng = random.Random(actor.id)
    lat, errors = [], []
    stop_at = gate.wait(db, seconds)
    while time.time() < stop_at:
        t = time.perf_counter()
        try:
            svc.create(actor, OrderDraft(customer_id=rng.choice(customer_ids),
                                         lines=(OrderLineDraft(product_id),)))
            lat.append(time.perf_counter() - t)
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
    db.dispose()
    out.put((tag, lat, errors, []))


def sequence_writer(url, actor, product_id, _customers, tag, gate, seconds, out) -> None:
    """register → order → confirm, as a desk does for a new caller; commit times kept."""
    db = Database.open(url, pool_size=1)
    customers, sales = CustomerService(db), OrderService(db)
    rng = random.Random(f"{actor.id}-{time.time_ns()}")   # new callers in every run
    lat, errors, commits = [], [], []
    stop_at = gate.wait(db, seconds)
    while time.time() < stop_at:
        t = time.perf_counter()
        try:
            c = customers.register(actor, CustomerDraft(
                name="新客户", mobile=f"139{rng.randrange(10**8):08d}"))
            sales.create(actor, OrderDraft(customer_id=c.id,
                                           lines=(OrderLineDraft(product_id),)), confirm=True)
            lat.append(time.perf_counter() - t)
            commits.append(time.time())
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
    db.dispose()
    out.put((tag, lat, errors, commits))


def run_writers(target, jobs, seconds: float):
    """jobs: (url, actor) per writer process. Returns (latencies, errors, commits/writer)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    gate = Gate(ctx)
    procs = [ctx.Process(target=target, args=(url, actor, *rest, gate, seconds, out))
             for url, actor, *rest in jobs]
    for p in procs:
        p.start()
    gate.open(len(procs))
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(30)
    lat = [x for r in results for x in r[1]]
    errors = [x for r in results for x in r[2]]
    return lat, errors, results


def report(label: str, lat: list[float], errors: list[str], seconds: float) -> None:
    if not lat:
        print(f"{label}: nothing done; errors {errors[:3]}")
        return
    q = statistics.quantiles(lat, n=100)
    print(f"{label}: {len(lat)} in {seconds:.0f} s = {len(lat) / seconds:.1f}/s; "
          f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
          f"max {max(lat) * 1000:.0f} ms; errors {len(errors)}"
          + (f" e.g. {sorted(set(errors))[:2]}" if errors else ""))


def row_lock_waits(url: str) -> tuple[int, int]:
    """(waits, ms waited) for InnoDB row locks since the server started: the queue on a
    hot row shows here, whatever the CPU is doing."""
    eng = create_engine(url)
    with eng.connect() as c:
        got = dict(c.execute(text("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                  "('Innodb_row_lock_waits', 'Innodb_row_lock_time')")).all())
    eng.dispose()
    return int(got["Innodb_row_lock_waits"]), int(got["Innodb_row_lock_time"])


# -- the two benchmarks --------------------------------------------------------------------
def single(args) -> None:
    url = new_database(args.server)
    try:
        product, customers, actors = prepare(url, args.writers)
        jobs = [(url, a, product, mine, 0) for a, mine in zip(actors, customers, strict=True)]
        w0, t0 = row_lock_waits(url)
        lat, errors, _ = run_writers(order_writer, jobs, args.seconds)
        w1, t1 = row_lock_waits(url)
        report(f"single server, {args.writers} writers, one login each: "
               "OrderService.create", lat, errors, args.seconds)
        print(f"  InnoDB row-lock waits: {w1 - w0} ({(t1 - t0) / max(len(lat), 1):.1f} ms "
              "waited per order)")
        jobs = [(url, actors[0], product, customers[0], 0) for _ in actors]
        w0, t0 = row_lock_waits(url)
        lat, errors, _ = run_writers(order_writer, jobs, args.seconds)
        w1, t1 = row_lock_waits(url)
        report(f"single server, {args.writers} writers as one login on its two customers "
               "(one counter lane, two customer rows): OrderService.create", lat, errors,
               args.seconds)
        print(f"  InnoDB row-lock waits: {w1 - w0} ({(t1 - t0) / max(len(lat), 1):.1f} ms "
              "waited per order)")
    finally:
        drop_database(url)


def cluster(args) -> None:
    from tests.cluster.galera import GaleraCluster

    n = 3 * args.writers_per_node
    url = new_database(args.server)
    try:
        product, customers, actors = prepare(url, n)
        jobs = [(url, a, product, customers, 0) for a in actors]
        lat, errors, _ = run_writers(sequence_writer, jobs, args.seconds)
        report(f"one standalone server, {n} writers: register→order→confirm",
               lat, errors, args.seconds)
    finally:
        drop_database(url)
    base = Path(tempfile.mkdtemp(prefix="bench-galera-"))
    with GaleraCluster(base / "c", nodes=3) as c:
        url0 = new_database(c.urls[0])
        dbname = make_url(url0).database
        product, customers, actors = prepare(url0, n)

        def source(first: int) -> str:
            hosts = ",".join(f"127.0.0.1:{c.ports[(first + i) % 3]}" for i in range(3))
            return f"mysql+pymysql://root@{hosts}/{dbname}"

        jobs = [(source(0), a, product, customers, 0) for a in actors]
        lat, errors, _ = run_writers(sequence_writer, jobs, args.seconds)
        report(f"3-node cluster, {n} writers all on node 1: register→order→confirm",
               lat, errors, args.seconds)
        jobs = [(source(k % 3), a, product, customers, k % 3) for k, a in enumerate(actors)]
        lat, errors, _ = run_writers(sequence_writer, jobs, args.seconds)
        report(f"3-node cluster, {n} writers spread over 3 nodes: register→order→confirm",
               lat, errors, args.seconds)
        sums = {t: c.checksum(dbname, t) for t in ("customer", "sales_order", "order_line")}
        print("checksums equal on all nodes:", all(len(set(v)) == 1 for v in sums.values()))

        # node 3 dies a third of the way in
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        gate = Gate(ctx)
        procs = [ctx.Process(target=sequence_writer, args=(
            source(k % 3), a, product, customers, k % 3, gate, args.seconds, out))
            for k, a in enumerate(actors)]
        for p in procs:
            p.start()
        start_at = gate.open(len(procs))
        while time.time() < start_at + args.seconds / 3:
            time.sleep(0.05)
        c.kill(2)
        killed = time.time()
        results = [out.get(timeout=args.seconds + 300) for _ in procs]
        for p in procs:
            p.join(30)
        # per writer: how long after the kill its next commit came
        gaps: dict[int, list[float]] = {0: [], 1: [], 2: []}
        for node, _lat, _errors, commits in results:
            after = [t for t in commits if t >= killed]
            gaps[node].append(after[0] - killed if after else float("inf"))
        errs = [e for r in results for e in r[2]]
        print(f"node 3 killed: writers on nodes 1-2 paused at most "
              f"{max(gaps[0] + gaps[1]):.2f} s; node 3's writers wrote again through "
              f"another node after {', '.join(f'{g:.2f}' for g in sorted(gaps[2]))} s; "
              f"messages to users meanwhile: {len(errs)} "
              f"{sorted(set(e.split(':')[0] for e in errs))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("single")
    s.add_argument("--server", default=os.environ.get("AGENT_TEST_MYSQL_URL",
                                                      "mysql+pymysql://root@127.0.0.1:3306"))
    s.add_argument("--writers", type=int, default=30)
    s.add_argument("--seconds", type=float, default=20)
    c = sub.add_parser("cluster")
    c.add_argument("--server", default=os.environ.get("AGENT_TEST_MYSQL_URL",
                                                      "mysql+pymysql://root@127.0.0.1:3306"))
    c.add_argument("--writers-per-node", type=int, default=4)
    c.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    (single if args.mode == "single" else cluster)(args)


if __name__ == "__main__":
    main()
