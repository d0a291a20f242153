"""Benchmark: agent-ctid with 150 agents and a sustained 50 offered calls per second.

Runs the real server as a separate process (so the load generator does not share its
interpreter) on a temporary SQLite database, connects 150 simulated agents over loopback
and offers calls at a flat rate. Prints the server's own figures — time from a call
entering the server to call_ringing leaving it (p50/p99/max), the worst delay of any event
in a send queue — and the same as seen by the agents. Not a pytest test: run it by hand.

    .venv/bin/python tests/perf/bench_cti.py [--duration 120] [--rate 50] [--agents 150]
                                             [--journal-fsync on|off]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_app.cti.simulate import Scenario, ensure_sim_agents, report, run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--agents", type=int, default=150)
    ap.add_argument("--journal-fsync", choices=["on", "off"], default="on",
                    help="agent-ctid's write-ahead journal: fdatasync before telling, or not")
    ap.add_argument("--port", type=int, default=16020)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ctid-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    from db.engine import Database
    from db.migrate import upgrade
    from db.models import CtiGroup
    from db.seed import seed_reference_data
    upgrade(url)
    seed_reference_data(url)
    db = Database.open(url)
    with db.transaction() as s:  # room for the whole run in the queue, no wrap-up
        g = s.query(CtiGroup).filter_by(number="21").one()
        g.max_queue, g.wrapup_s, g.overflow_group = 5000, 0, None
    db.dispose()
    calls = int(args.rate * args.duration)
    sc = Scenario(agents=args.agents, calls=calls, duration_s=args.duration,
                  peak_per_s=args.rate, curve="flat", answer_delay_s=(0.2, 0.6),
                  talk_s=(0.5, 1.5), patience_s=(60, 90))
    t = time.perf_counter()
    agents, admin = ensure_sim_agents(url, sc)
    print(f"{len(agents)} agents created in {time.perf_counter() - t:.1f} s")
    log = tmp / "ctid.log"
    port = args.port
    server = subprocess.Popen([sys.executable, "-m", "agent_app.cti.main", "--db", url,
                               "--port", str(port), "--recordings", str(tmp / "rec"),
                               "--log-file", str(log), "--journal-fsync", args.journal_fsync,
                               "--plaintext"],  # loopback; the agents' clients are plain
                              cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        time.sleep(2)
        t = time.perf_counter()
        tally = asyncio.run(run(sc, "127.0.0.1", port, admin, agents))
        print(f"load ran {time.perf_counter() - t:.0f} s")
        print(report(sc, tally))
    finally:
        server.terminate()
        server.wait(10)
    stats = [json.loads(json.loads(line)["msg"][6:]) for line in log.read_text().splitlines()
             if '"msg": "stats ' in line]
    if stats:
        p99 = max(s["ring_p99_ms"] for s in stats)
        worst = max(s["ring_max_ms"] for s in stats)
        delay = max(s["event_delay_max_ms"] for s in stats)
        p50 = sorted(s["ring_p50_ms"] for s in stats)[len(stats) // 2]
        print(f"server, per 10 s window over {len(stats)} windows: ring p50 {p50:.2f} ms, "
              f"worst window p99 {p99:.2f} ms, max {worst:.2f} ms; "
              f"worst event queue delay {delay:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
