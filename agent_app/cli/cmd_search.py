"""agent-admin search-stats: count the contains-search tokens (see services/search_stats)."""
from __future__ import annotations

import argparse
import time


def register(sub, add_url) -> None:
    p = sub.add_parser("search-stats", help="count the customers' search tokens (after a "
                       "large import, then nightly): keeps the address search quick",
                       description="Counts, for every contains-search token, how many "
                       "customers hold it, and replaces the counts the customer search "
                       "plans with. Safe while agents work.")
    add_url(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent_app.cli.admin import open_db
    from agent_app.services.search_stats import refresh

    db = open_db(args)
    try:
        t0 = time.perf_counter()
        customers, grams = refresh(db)
    finally:
        db.dispose()
    print(f"search tokens counted: {customers:,} customers, {grams:,} tokens "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0
