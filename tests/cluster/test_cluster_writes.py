"""The product's services on a real 3-node Galera cluster, with writers on every node.

What a site that moved to a multi-master cluster relies on:
- register → order → confirm from desks on all three nodes for a fixed time: no error
  reaches a user, no number repeats, no update is lost, every node holds the same tables;
- the same new caller registered at two desks on two nodes at once: one record;
- two desks on two nodes saving the same customer at the same instant: one is saved,
  the other is told who saved (never a crash dialog, never "busy");
- a node killed mid-run: its desks carry on through another node of their data source.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from agent_app.cli.identity import SHELL
from agent_app.errors import DatabaseUnavailable, Duplicate, StaleEdit, UserError
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.base import Actor
from agent_app.services.customers import CustomerDraft, CustomerRecord, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from db.engine import Database
from db.enums import Role
from db.models import Customer, SalesOrder
from tests.cluster.galera import GaleraCluster
from tests.conftest import _MySQLDatabases, create_schema_database

RUN_S = 20            # the fixed-time run: long enough for thousands of conflicts to arise
WRITERS_PER_NODE = 2


@dataclass
class Site:
    """The schema'd database on the cluster, one Database per node, archives, and agents."""

    urls: list[str]
    dbs: list[Database]
    product_id: int
    agents: list[Actor] = field(default_factory=list)

    def close(self) -> None:
        for db in self.dbs:
            db.dispose()


def _failover_url(urls: list[str], first: int) -> str:
    """A data source naming every node, `first` first: what a site's workstation holds."""
    u = make_url(urls[first])
    hosts = [make_url(x) for x in urls[first:] + urls[:first]]
    creds = u.username + (f":{u.password}" if u.password else "")
    return (f"mysql+pymysql://{creds}@{','.join(f'{h.host}:{h.port}' for h in hosts)}"
            f"/{u.database}")


def _open_site(urls: list[str]) -> Site:
    dbs = [Database.open(_failover_url(urls, i), pool_size=4) for i in range(len(urls))]
    accounts = AccountService(dbs[0])
    accounts.add_employee(SHELL, login="0001", name="王明辉", role=Role.SUPERADMIN,
                          password="Admin-0001", must_change_password=False)
    admin = accounts.authenticate("0001", "Admin-0001").actor
    arch = ArchiveService(dbs[0])
    v = arch.save_variety(admin, name="眼保姆")
    p = arch.save_product(admin, name="眼保姆", variety_id=v.id, unit="台", short_code="Y1",
                          retail_price="398")
    s = Site(urls, dbs, p.id)
    for n in range(len(dbs) * WRITERS_PER_NODE):
        login = f"{1001 + n}"
        accounts.add_employee(admin, login=login, name=f"坐席{n}", role=Role.OPERATOR,
                              password=f"Pass-{login}", must_change_password=False)
        s.agents.append(AccountService(dbs[n % len(dbs)])
                        .authenticate(login, f"Pass-{login}").actor)
    return s


@pytest.fixture
def site(galera, galera_db) -> Site:
    s = _open_site(galera_db.urls)
    yield s
    s.close()


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster of this test's own, for a test that kills a node: the session's cluster
    stays whole for every other test, and nothing started here outlives the test."""
    with GaleraCluster(tmp_path / "galera", nodes=3) as cluster:
        databases = _MySQLDatabases(cluster.urls[0])
        url = make_url(create_schema_database(databases))
        yield cluster, [url.set(port=port).render_as_string(hide_password=False)
                        for port in cluster.ports]
        databases.engine.dispose()


def _phone(writer: int, n: itertools.count) -> str:
    """A new caller's mobile, distinct by construction (random ones could meet and turn
    into a "duplicate" the test would count as an error)."""
    return f"139{writer:02d}{next(n):06d}"


def test_writers_on_every_node_no_error_no_duplicate_no_lost_update(galera, site):
    stop = time.monotonic() + RUN_S
    errors: list[str] = []
    done = Counter()
    orders: list[str] = []
    last_remark: dict[int, str] = {}
    lock = threading.Lock()

    def writer(k: int) -> None:
        db = site.dbs[k % len(site.dbs)]
        me = site.agents[k]
        customers, sales = CustomerService(db), OrderService(db)
        calls = itertools.count()
        try:
            mine = customers.register(me, CustomerDraft(name=f"回访{k}", mobile=_phone(k, calls)))
            version, n = mine.version, 0
            while time.monotonic() < stop:
                c = customers.register(me, CustomerDraft(name=f"客户{k}-{n}",
                                                         mobile=_phone(k, calls)))
                o = sales.create(me, OrderDraft(customer_id=c.id,
                                                lines=(OrderLineDraft(site.product_id),)),
                                 confirm=n % 2 == 0)
                if not o.confirmed:
                    sales.confirm(me, o.id, o.version)
                # the writer's own record, updated with the version it last saw: a lost
                # update would leave an older remark or version behind
                remark = f"第{n}次回访"
                version = customers.update(me, mine.id, version, CustomerDraft(
                    name=f"回访{k}", mobile=mine.mobile, remark=remark)).version
                with lock:
                    orders.append(o.order_no)
                    last_remark[mine.id] = remark
                    done[k] += 1
                n += 1
        except Exception as exc:  # noqa: BLE001 - every error reaching a user is a failure
            errors.append(f"writer {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(len(site.agents))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RUN_S + 120)
    total = sum(done.values())
    print(f"cluster run: {total} register→order→confirm sequences in {RUN_S} s on "
          f"{len(site.dbs)} nodes ({total / RUN_S:.1f}/s), per writer {dict(done)}")
    assert errors == []
    assert all(done[k] > 0 for k in range(len(site.agents)))   # every node's desks wrote
    assert len(orders) == len(set(orders)) == total
    with site.dbs[1].reading() as s:
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == total
        assert s.scalar(select(func.count(func.distinct(SalesOrder.order_no)))) == total
        for cid, remark in last_remark.items():
            assert s.get(Customer, cid).remark == remark
    for table in ("customer", "sales_order", "order_line", "number_sequence", "audit_log"):
        sums = galera.checksum(make_url(site.urls[0]).database, table)
        assert len(set(sums)) == 1, (table, sums)


def at_once(*calls) -> list:
    """Run the calls on their own threads released together; each one's result or the
    exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - returned for the test to judge
            out[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_same_new_caller_at_three_nodes_is_one_record(site):
    """Three agents register the same caller through the three nodes at the same
    instant, thirty times: one record each time, the others are told it exists."""
    for round_ in range(30):
        phone = f"1370000{round_:04d}"
        out = at_once(*(
            (lambda k=k, phone=phone: CustomerService(site.dbs[k]).register(
                site.agents[k], CustomerDraft(name=f"来电{k}", mobile=phone)))
            for k in range(3)))
        kinds = sorted("duplicate" if isinstance(o, Duplicate) else
                       "saved" if isinstance(o, CustomerRecord) else repr(o) for o in out)
        assert kinds == ["duplicate", "duplicate", "saved"], (round_, out)
        with site.dbs[0].reading() as s:
            assert s.scalar(select(func.count()).select_from(Customer)
                            .where(Customer.mobile == phone)) == 1


def test_same_customer_saved_on_two_nodes_at_once(site):
    """Fifteen rounds of the owner (node 1) and the super administrator (node 2) saving
    one customer at the same instant: one is saved, the other gets the stale-edit
    message naming who saved - on a cluster the loser may fail at certification (1213)
    or at the version check; both must end in that message."""
    owner = site.agents[0]
    c = CustomerService(site.dbs[0]).register(owner, CustomerDraft(name="共享客户",
                                                                   mobile="13600000000"))
    boss = AccountService(site.dbs[1]).authenticate("0001", "Admin-0001").actor
    version = c.version
    for round_ in range(15):
        out = at_once(*(
            (lambda db=db, who=who, v=version, r=round_: CustomerService(db).update(
                who, c.id, v, CustomerDraft(name="共享客户", mobile="13600000000",
                                            remark=f"{who.login}-{r}")))
            for db, who in ((site.dbs[0], owner), (site.dbs[1], boss))))
        saved = [o for o in out if isinstance(o, CustomerRecord)]
        stale = [o for o in out if isinstance(o, StaleEdit)]
        assert len(saved) == 1 and len(stale) == 1, (round_, out)
        assert saved[0].updated_by_login in stale[0].message_en()   # names who saved
        version = saved[0].version


def test_a_node_killed_mid_run_its_desks_carry_on_through_another(own_cluster):
    """Node 3 is killed while desks whose data source names it first are writing: their
    next actions go through node 1 or 2 within 10 s; nothing they saw was a crash."""
    galera, urls = own_cluster
    site = _open_site(urls)
    victim = 2
    desks = [k for k in range(len(site.agents)) if k % len(site.dbs) == victim]
    stop_at = time.monotonic() + 60
    killed_at: list[float] = []
    after_kill: dict[int, float] = {}
    failures: list[str] = []
    messages = Counter()
    writing = threading.Barrier(len(desks) + 1)

    def desk(k: int) -> None:
        db, me = site.dbs[victim], site.agents[k]
        customers = CustomerService(db)
        calls = itertools.count()
        customers.register(me, CustomerDraft(name=f"失联{k}", mobile=_phone(k, calls)))
        writing.wait(30)   # every desk has saved through node 3 once
        while time.monotonic() < stop_at:
            try:
                customers.register(me, CustomerDraft(name=f"失联{k}", mobile=_phone(k, calls)))
            except (DatabaseUnavailable, UserError) as exc:
                messages[type(exc).__name__] += 1   # a message the user can act on
                time.sleep(0.2)   # pacing, not waiting: the user reads it and tries again
                continue
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{type(exc).__name__}: {exc}")
                return
            if killed_at and k not in after_kill:
                after_kill[k] = time.monotonic() - killed_at[0]
            if len(after_kill) == len(desks):
                return
    threads = [threading.Thread(target=desk, args=(k,)) for k in desks]
    for t in threads:
        t.start()
    writing.wait(30)
    try:
        assert site.dbs[victim].host.endswith(f":{galera.ports[victim]}")
        galera.kill(victim)
        killed_at.append(time.monotonic())
        for t in threads:
            t.join(90)
        print(f"node {victim + 1} killed: its desks wrote again after "
              f"{sorted(round(v, 2) for v in after_kill.values())} s; messages {dict(messages)}")
        assert failures == []
        assert sorted(after_kill) == desks
        assert max(after_kill.values()) < 10
        assert not site.dbs[victim].host.endswith(f":{galera.ports[victim]}")
    finally:
        site.close()
