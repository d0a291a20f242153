"""agent-ctid: the CTI server (and `agent-ctid simulate` for load scenarios)."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import ssl
import sys
import time
from pathlib import Path

from agent_app import __version__


class JsonLines(logging.Formatter):
    """One JSON object per log line: easy to grep, ship and parse."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
               + f".{int(record.msecs):03d}", "level": record.levelname,
               "logger": record.name, "msg": record.getMessage()}
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(path: str | None, level: int = logging.INFO) -> None:
    handler: logging.Handler = (logging.FileHandler(path, encoding="utf-8") if path
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agent-ctid", description="CTI server for the agent desktop")
    p.add_argument("--version", action="version", version=f"agent-ctid {__version__}")
    p.add_argument("--db", help="shared database URL (as agent-admin --url)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6020)
    p.add_argument("--switch", choices=["sim"], default="sim",
                   help="switch backend (the simulated switch; PBX backends plug in here)")
    p.add_argument("--recordings", default="recordings", help="folder for call recordings")
    p.add_argument("--data", help="folder for the write-ahead journal and the resume-ticket "
                   "key (default: ctid-data beside the recordings folder); a local disk, "
                   "readable by agent-ctid only")
    p.add_argument("--journal-fsync", choices=["on", "off"], default="on",
                   help="on: fdatasync the journal before events go out (survives a power "
                   "cut; ~0.3-2 ms per event); off: the page cache only (survives a kill)")
    p.add_argument("--no-resume-tickets", action="store_true",
                   help="every login checks the password (no resume tickets)")
    p.add_argument("--max-pending", type=int, default=256, metavar="N",
                   help="connections not logged in yet, at most (more are closed: busy_server)")
    p.add_argument("--max-pending-per-address", type=int, default=16, metavar="N",
                   help="… of them from one address (raise it for desks behind one NAT)")
    p.add_argument("--login-timeout", type=float, default=10.0, metavar="S",
                   help="seconds a connection has to log in before it is closed")
    p.add_argument("--address-failures", type=int, default=20, metavar="N",
                   help="failed logins from one address in --address-window seconds, after "
                   "which its password logins are refused unchecked (rate_limited)")
    p.add_argument("--address-window", type=float, default=300.0, metavar="S")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--log-file", help="JSON-lines log file (default: standard error)")
    p.add_argument("--grace", type=float, default=30.0, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("simulate", help="run a load scenario against a running server")
    s.add_argument("--db", required=True)
    s.add_argument("--scenario", required=True,
                   help="scenario file, or the name of a shipped one (demo, surge)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=6020)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        from agent_app.cti.simulate import run_scenario
        from agent_app.paths import scenario_file
        return run_scenario(args.db, scenario_file(args.scenario), args.host, args.port)
    if not args.db:
        print("agent-ctid: give --db URL", file=sys.stderr)
        return 2
    setup_logging(args.log_file)
    from agent_app.cti.server import CtiServer, ServerOptions
    from db.engine import Database
    from db.migrate import SchemaError, check

    tls = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            print("agent-ctid: --tls-cert and --tls-key go together", file=sys.stderr)
            return 2
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    db = Database.open(args.db)
    try:
        check(db)
    except SchemaError as exc:
        print(f"agent-ctid: {exc}; run agent-admin init-db", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001
        print(f"agent-ctid: cannot use the database: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    opts = ServerOptions(host=args.host, port=args.port, recordings=Path(args.recordings),
                         tls=tls, grace_s=args.grace,
                         data=Path(args.data) if args.data else None,
                         journal_fsync=args.journal_fsync == "on",
                         resume_tickets=not args.no_resume_tickets)
    # what an unauthenticated peer may cost (docs/cti-server.md, "Logins")
    opts.max_pending, opts.max_pending_per_address = (args.max_pending,
                                                      args.max_pending_per_address)
    opts.login_timeout_s = args.login_timeout
    opts.address_failures, opts.address_window_s = args.address_failures, args.address_window

    # The DB writer and recording threads must not hold the GIL for long stretches
    # while a call waits to be routed: switch threads every 1 ms instead of 5.
    sys.setswitchinterval(0.001)

    async def serve() -> int:
        try:
            server = CtiServer(args.db, opts)
        except OSError as exc:  # the data folder (journal, ticket key) is not usable
            print(f"agent-ctid: cannot use the data folder: {exc}", file=sys.stderr)
            return 2
        try:
            await server.start()
        except Exception as exc:  # noqa: BLE001 - port taken, journal or database unusable
            print(f"agent-ctid: cannot start: {exc}", file=sys.stderr)
            server.abort()
            return 2
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()
        return 0

    try:
        return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
