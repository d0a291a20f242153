"""agent-ctid: the CTI server (and `agent-ctid simulate` for load scenarios)."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import stat
import sys
import time
from pathlib import Path
from urllib.parse import quote

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
    add_db(p)
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
    p.add_argument("--tls-cert", help="the TLS certificate (agent-admin cti cert makes one)")
    p.add_argument("--tls-key", help="its private key (a file only agent-ctid's user reads)")
    p.add_argument("--plaintext", action="store_true",
                   help="no TLS: passwords and calls cross the network readable by anyone "
                   "on it (a test machine, or loopback only)")
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
    p.add_argument("--log-file", help="JSON-lines log file (default: standard error)")
    p.add_argument("--grace", type=float, default=30.0, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("simulate", help="run a load scenario against a running server")
    add_db(s)
    s.add_argument("--scenario", required=True,
                   help="scenario file, or the name of a shipped one (demo, surge)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=6020)
    s.add_argument("--ca-file", help="the server's certificate (or its CA) to verify it with")
    s.add_argument("--plaintext", action="store_true", help="the server runs without TLS")
    return p


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="shared database URL (as agent-admin --url) WITHOUT a "
                   "password: the command line is visible to every user (ps); default "
                   f"${URL_ENV}")
    p.add_argument("--db-url-file", help="a file holding the whole database URL (readable "
                   "by its owner only)")
    p.add_argument("--db-password-file", help="a file holding the database password "
                   f"(readable by its owner only); default ${PASSWORD_ENV}")


URL_ENV = "AGENT_CTID_DB_URL"
PASSWORD_ENV = "AGENT_CTID_DB_PASSWORD"


class OptionError(Exception):
    """A start refused before anything is opened: one line, exit 2."""


def _secret_file(path: str) -> str:
    """The first line of a file only its owner may read (as ssh checks its keys)."""
    try:
        st = os.stat(path)
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise OptionError(f"{path} is readable by other users (mode "
                              f"{stat.S_IMODE(st.st_mode):04o}); chmod 600 it")
        with open(path, encoding="utf-8") as f:
            text = f.readline().strip()
    except OSError as exc:
        raise OptionError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not text:
        raise OptionError(f"{path} is empty")
    return text


def database_url(args: argparse.Namespace, environ=os.environ) -> str:
    """The database URL from --db, --db-url-file or $AGENT_CTID_DB_URL, its password from
    the URL file or variable, --db-password-file or $AGENT_CTID_DB_PASSWORD; never from
    the command line, where `ps` shows it to every user of the machine.

    Taken apart as text, as db/engine.py reads it: a URL may name several servers
    (`…@db1:3306,db2:3306/agentdesk`, docs/cluster.md), or be a bare SQLite file path."""
    given = [n for n, v in (("--db", args.db), ("--db-url-file", args.db_url_file)) if v]
    if len(given) > 1:
        raise OptionError("give --db or --db-url-file, not both")
    text = (args.db or (_secret_file(args.db_url_file) if args.db_url_file else "")
            or environ.get(URL_ENV, ""))
    if not text:
        raise OptionError(f"give --db URL (without its password), --db-url-file or ${URL_ENV}")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.startswith("sqlite"):  # a file: no password to add
        if args.db_password_file:
            raise OptionError("an SQLite database takes no password")
        return text
    netloc, slash, tail = rest.partition("/")
    creds, at, hosts = netloc.rpartition("@")
    if args.db and ":" in creds:
        raise OptionError(f"a password in --db is visible to every user (ps): give it in "
                          f"${PASSWORD_ENV} or --db-password-file, or the URL in ${URL_ENV} "
                          "or --db-url-file")
    password = (_secret_file(args.db_password_file) if args.db_password_file
                else environ.get(PASSWORD_ENV))
    if not password:
        return text
    if ":" in creds:
        raise OptionError("the database password is given twice (in the URL and apart)")
    if not creds:
        raise OptionError("the database URL names no user for the password "
                          "(mysql+pymysql://USER@host/db)")
    return f"{scheme}://{creds}:{quote(password, safe='')}@{hosts}{slash}{tail}"


def tls_context(args: argparse.Namespace):
    """agent-ctid's TLS context; None only with an explicit --plaintext."""
    if args.plaintext:
        if args.tls_cert or args.tls_key:
            raise OptionError("--plaintext and --tls-cert/--tls-key contradict each other")
        return None
    if not (args.tls_cert and args.tls_key):
        if args.tls_cert or args.tls_key:
            raise OptionError("--tls-cert and --tls-key go together")
        raise OptionError("give --tls-cert and --tls-key (agent-admin cti cert makes them), "
                          "or --plaintext to run without TLS")
    from agent_app.cti.tls import server_context
    try:
        return server_context(args.tls_cert, args.tls_key)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise OptionError(f"cannot use the TLS certificate or key: {exc}") from None


def simulate_tls(args: argparse.Namespace):
    """The simulated agents' side: the server's certificate verified, or explicit plaintext."""
    if args.plaintext == bool(args.ca_file):
        raise OptionError("simulate: give --ca-file (the server's certificate) or --plaintext")
    if args.plaintext:
        return None
    from agent_app.cti.tls import client_context
    try:
        return client_context(args.ca_file)
    except (OSError, ValueError) as exc:
        raise OptionError(f"cannot use {args.ca_file}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        db_url = database_url(args)
        if args.command == "simulate":
            tls = simulate_tls(args)
        else:
            tls = tls_context(args)
    except OptionError as exc:
        print(f"agent-ctid: {exc}", file=sys.stderr)
        return 2
    if args.command == "simulate":
        from agent_app.cti.simulate import run_scenario
        from agent_app.paths import scenario_file
        return run_scenario(db_url, scenario_file(args.scenario), args.host, args.port, tls)
    setup_logging(args.log_file)
    from agent_app.cti.server import CtiServer, ServerOptions
    from db.engine import Database
    from db.migrate import SchemaError, check

    log = logging.getLogger("agent_ctid")
    if tls is not None:
        from agent_app.cti.tls import file_fingerprint
        # what the desks pin, or compare with: an administrator reads it here
        log.info("TLS certificate SHA-256 %s", file_fingerprint(args.tls_cert))
    elif args.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("plaintext on %s: desks' passwords and calls cross the network "
                    "readable by anyone on it", args.host)
    db = Database.open(db_url)
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
            server = CtiServer(db_url, opts)
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
