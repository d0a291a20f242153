"""agent-admin demo-data: load a deterministic demo call center into an empty database."""
from __future__ import annotations

import argparse
import sys


def register(sub, add_url) -> None:
    p = sub.add_parser("demo-data", help="load demo data (small: seconds; large: for measuring)",
                       description="Creates or upgrades the schema, then loads a realistic, "
                       "deterministic demo call center into an EMPTY database (it refuses a "
                       "database that already has customers). Prints the demo logins.")
    add_url(p)
    p.add_argument("--scale", choices=["small", "large"], default="small",
                   help="small: ~300 customers; large: 1,000,000 customers, 2,000,000 orders, "
                        "5,000,000 call records")
    p.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent_app.cli.admin import creating_url
    from agent_app.demodata import load, logins_table

    url = creating_url(args)  # creates the schema like init-db
    timings = load(url, args.scale, args.seed,
                   progress=lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    rows = {k[5:]: v for k, v in timings.items() if k.startswith("rows_")}
    print(f"demo data ({args.scale}, seed {args.seed}) loaded in {timings['total']:.1f} s: "
          + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    print("\nDemo logins (password rule: 'demo' + login):")
    print(f"  {'login':<6} {'name':<6} {'department':<8} {'role':<11} password")
    for login, name, dept, role, password in logins_table():
        print(f"  {login:<6} {name:<6} {dept:<8} {role:<11} {password}")
    return 0
