"""Benchmark: the customer look-ups agents make all day, on a large MariaDB database.

Times (p50 / p95 / max, milliseconds) of: phone lookup (the screen-pop's question), name
prefix, pinyin initials, registration-number prefix, address contains (planned from the
token counts: a bounded walk or FULLTEXT over bigram tokens, then LIKE) against the same
contains as a plain LIKE '%…%' scan, and the 近7天 directory; each
a first page of 100 rows through CustomerQueryService, as the UI asks. Inputs are drawn
from random existing customers. Not a pytest test: run it by hand.

    .venv/bin/python tests/perf/bench_sales_query.py [--url mysql+pymysql://root@127.0.0.1/agent_large]
                                                     [--runs 200] [--like-runs 20]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from agent_app.services.base import Actor  # noqa: E402
from agent_app.services.customer_query import (  # noqa: E402
    CustomerQuery,
    CustomerQueryService,
    _contains,
)
from agent_app.services.customers import CustomerService  # noqa: E402
from db.engine import Database  # noqa: E402
from db.enums import Role  # noqa: E402
from db.models import Customer, CustomerPhone, SearchGramStat  # noqa: E402

TARGETS = {"phone lookup": 5, "name prefix": 30, "name initials": 30,
           "registration_no prefix": 30,
           "contains street+number": 300,
           "contains 3-4 chars": 300, "directory 7 days": 50}


def sample(db: Database, n: int, rng: random.Random) -> list[tuple]:
    """n random existing customers (id, name, registration_no, address) and phones."""
    with db.reading() as s:
        lo, hi = s.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
        out = []
        while len(out) < n:
            row = s.execute(select(Customer.id, Customer.name, Customer.registration_no,
                                   Customer.address, Customer.name_initials)
                            .where(Customer.id >= rng.randint(lo, hi))
                            .order_by(Customer.id).limit(1)).first()
            phone = row and s.scalar(select(CustomerPhone.phone)
                                     .where(CustomerPhone.customer_id == row.id).limit(1))
            if row and phone and len(row.address) >= 4:
                out.append((row.id, row.name, row.registration_no, row.address, phone,
                            row.name_initials.split(" ")[0][:3]))
        return out


def piece(address: str, rng: random.Random) -> str:
    """A 3-4 character piece from anywhere in an address: mostly common ("江苏省")."""
    k = rng.choice((3, 4))
    start = rng.randint(0, max(0, len(address) - k))
    return address[start:start + k]


def street(address: str) -> str:
    """Street and house number ("深南大道225号"): what an agent types to find one home."""
    for mark in ("路", "街", "道", "大街", "巷"):
        at = address.rfind(mark, 0, len(address) - 1)
        if at > 0:
            return address[max(0, at - 2):]
    return address[-6:]


def measure(fn: Callable[[object], object], inputs: list) -> tuple[list[float], int]:
    fn(inputs[0])  # warm the connection and the statement cache
    times, rows = [], 0
    for x in inputs:
        t0 = time.perf_counter()
        result = fn(x)
        times.append((time.perf_counter() - t0) * 1000)
        rows += len(getattr(result, "rows", result))
    return times, rows


def report(name: str, times: list[float], rows: int) -> list[float]:
    q = statistics.quantiles(times, n=100, method="inclusive")
    p50, p95 = q[49], q[94]
    target = TARGETS.get(name)
    verdict = "" if target is None else ("  ok" if p95 <= target else f"  MISSED (≤ {target} ms)")
    print(f"{name:32s} p50 {p50:8.2f}  p95 {p95:8.2f}  max {max(times):8.2f} ms"
          f"   rows/run {rows / len(times):6.1f}{verdict}")
    return times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1/agent_large")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--like-runs", type=int, default=20,
                    help="runs of the plain LIKE scan (slow on a large table)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    db = Database.open(args.url)
    actor = Actor(id=0, login="bench", name="bench", role=Role.OPERATOR)
    customers, query = CustomerService(db), CustomerQueryService(db)
    with db.reading() as s:
        total = s.scalar(select(func.count()).select_from(Customer))
        counted = s.scalar(select(SearchGramStat.docs).where(SearchGramStat.gram == ""))
    print(f"{args.url}: {total} customers ({counted or 'none'} counted by search-stats), "
          f"{args.runs} runs each\n")
    picks = sample(db, args.runs, rng)

    def search(field: str) -> Callable[[str], object]:
        return lambda text: query.search(actor, CustomerQuery(field=field, text=text))

    report("phone lookup", *measure(customers.find_by_phone, [p[4] for p in picks]))
    report("name prefix", *measure(search("name"), [p[1][:2] for p in picks]))
    report("name initials", *measure(search("name"), [p[5] for p in picks]))
    report("registration_no prefix", *measure(search("registration_no"),
                                              [p[2][:14] for p in picks]))
    for label, needles in (("street+number", [street(p[3]) for p in picks]),
                           ("3-4 chars", [piece(p[3], rng) for p in picks])):
        ft = report(f"contains {label}", *measure(search("address"), needles))
        # The same first pages as a plain LIKE '%…%' walk with no FULLTEXT and no probe
        # (_page is the service's own page query; only the criterion differs).
        like = report(f"contains {label}, plain LIKE", *measure(
            lambda text: query._page([_contains(Customer.address, text)], 100, None),
            needles[:args.like_runs]))
        ft = ft[:len(like)]
        ratios = sorted(lk / f for lk, f in zip(like, ft, strict=True))
        total = sum(like) / sum(ft)
        print(f"{'':32s} speed-up over LIKE, same needles: median {statistics.median(ratios):.1f}x,"
              f" total time {total:.1f}x, worst {ratios[0]:.1f}x"
              f"{'  ok' if total >= 10 else '  MISSED (≥ 10x)'}")
    report("directory 7 days", *measure(lambda _: query.directory(actor, days=7),
                                        list(range(args.runs))))
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
