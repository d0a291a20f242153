"""Benchmark: the screen-pop lookup (CallService.pop_context) on a large database.

Picks 500 callers — half the phones of random existing customers, half random mobiles
nobody owns (those take the region-suggestion path) — mostly at a time inside a random
advert placement, dialling that medium's hotline (else a random hotline, now), then times pop_context one call after another
the way a workstation does. Prints p50/p95/p99/max overall and per kind, and the number
of SQL statements per pop. Not a pytest test: run it by hand against a loaded database.

    .venv/bin/python tests/perf/bench_pop.py [--url mysql+pymysql://root@127.0.0.1/agent_large]
        [--n 500] [--seed 1]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from agent_app.services.calls import CallService  # noqa: E402
from agent_app.services.customers import SITE_ZONE  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import Customer, CustomerPhone, DialedNumber, Placement  # noqa: E402

BUDGET_MS = 50.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def line(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label:8s} (none)"
    return (f"{label:8s} n={len(ms):4d}  p50={pct(ms, 50):6.2f}  p95={pct(ms, 95):6.2f}  "
            f"p99={pct(ms, 99):6.2f}  max={max(ms):6.2f}  mean={statistics.fmean(ms):6.2f} ms")


def callers(db: Database, n: int, rng: random.Random) -> list[tuple[str, str, str, dt.datetime]]:
    """(kind, caller, dialed, at) for n pops, prepared before any timing."""
    with db.reading() as s:
        lo, hi = s.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
        hotlines = s.execute(select(DialedNumber.digits, DialedNumber.medium_id)).all()
        dialed = [d for d, _m in hotlines] or [""]
        # a caller mostly dials the number of the advert they are watching
        by_medium: dict[int, list[str]] = {}
        for digits, medium_id in hotlines:
            by_medium.setdefault(medium_id, []).append(digits)
        plo, phi = s.execute(select(func.min(Placement.id), func.max(Placement.id))).one()
        out = []
        while len(out) < n:
            if len(out) % 2 == 0 and lo is not None:
                phone = s.scalar(select(CustomerPhone.phone)
                                 .where(CustomerPhone.customer_id >= rng.randint(lo, hi))
                                 .order_by(CustomerPhone.customer_id).limit(1))
                if phone is None:
                    continue
                kind = "known"
            else:
                phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                if s.get(CustomerPhone, phone) is not None:
                    continue
                kind = "unknown"
            at = dt.datetime.now(SITE_ZONE)
            number = rng.choice(dialed)
            if plo is not None and rng.random() < 0.8:
                p = s.scalar(select(Placement).where(Placement.id >= rng.randint(plo, phi))
                             .order_by(Placement.id).limit(1))
                if p is not None:
                    at = (dt.datetime.combine(p.air_date, p.start_time, SITE_ZONE)
                          + dt.timedelta(seconds=rng.randrange(max(p.length_s, 1))))
                    number = rng.choice(by_medium.get(p.medium_id, dialed))
            out.append((kind, phone, number, at))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="time CallService.pop_context")
    ap.add_argument("--url", default="mysql+pymysql://root@127.0.0.1/agent_large")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    db = Database.open(args.url)
    statements = [0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_a):  # every SQL round trip, pool pre-pings included
        statements[0] += 1

    try:
        rng = random.Random(args.seed)
        work = callers(db, args.n + args.warmup, rng)
        svc = CallService(db)
        for _kind, phone, dialed, at in work[:args.warmup]:   # warm the pool and caches
            svc.pop_context(phone, dialed, at)
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        per_pop: list[int] = []
        matched = with_product = 0
        for kind, phone, dialed, at in work[args.warmup:]:
            before = statements[0]
            t0 = time.perf_counter()
            pop = svc.pop_context(phone, dialed, at)
            times[kind].append((time.perf_counter() - t0) * 1000)
            per_pop.append(statements[0] - before)
            matched += len(pop.matches) == 1
            with_product += bool(pop.product_name or pop.variety_name)
        everything = times["known"] + times["unknown"]
        print(f"pop_context on {args.url}: {len(everything)} pops "
              f"({matched} with a customer record, {with_product} with a running advert)")
        print(line("all", everything))
        print(line("known", times["known"]))
        print(line("unknown", times["unknown"]))
        print(f"SQL statements per pop: min {min(per_pop)}, median "
              f"{statistics.median(per_pop):.0f}, max {max(per_pop)}")
        ok = pct(everything, 99) <= BUDGET_MS
        print(f"p99 budget {BUDGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
        return 0 if ok else 1
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
