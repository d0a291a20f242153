"""Opening a customer record: load_bundle() for a customer with 100 orders and 200
contacts (the issue's case), on the large demo database. Prints p50/p95/max.

    .venv/bin/python tests/perf/bench_record.py --url mysql+pymysql://root@127.0.0.1/agent_large

The heavy customer is made once (marked by the name 压测大客户) and reused on later runs.
"""
from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import select

from agent_app.services.accounts import AccountService
from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.customer_record import load_bundle
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from db.engine import Database
from db.models import Customer, Employee, Product

NAME = "压测大客户"


def heavy_customer(db: Database) -> int:
    with db.reading() as s:
        cid = s.scalar(select(Customer.id).where(Customer.name == NAME).limit(1))
        login = s.scalar(select(Employee.login).where(Employee.role == "superadmin").limit(1))
        products = s.scalars(select(Product.id).where(Product.active.is_(True)).limit(3)).all()
    if cid is not None:
        return cid
    actor = AccountService(db).authenticate(login, f"demo{login}").actor
    c = CustomerService(db).register(actor, CustomerDraft(name=NAME, mobile="19999990000",
                                                          address="杭州市西湖区压测路1号"))
    orders, contacts = OrderService(db), ContactService(db)
    for i in range(100):
        orders.create(actor, OrderDraft(customer_id=c.id, lines=tuple(
            OrderLineDraft(p) for p in products)), confirm=i % 2 == 0)
    for i in range(200):
        contacts.add(actor, ContactDraft(customer_id=c.id, content=f"第{i}次回访，客户咨询眼保姆"))
    return c.id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1/agent_large")
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    db = Database.open(args.url)
    cid = heavy_customer(db)
    load_bundle(db, cid)  # warm the pool and the server's caches
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        b = load_bundle(db, cid)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"open record ({len(b.orders)} orders, {len(b.contacts)} contacts, "
          f"{len(b.reminders)} reminders), {args.runs} runs: "
          f"p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * .95)]:.1f} ms, "
          f"max {times[-1]:.1f} ms (target ≤ 100 ms)")
    db.dispose()


if __name__ == "__main__":
    main()
