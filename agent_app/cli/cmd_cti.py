"""agent-admin cti …: groups, hotline numbers and internal numbers of the CTI server, and
the site's TLS certificate for the CTI link."""
from __future__ import annotations

import argparse
import socket
import sys

from agent_app.cli.identity import SHELL


def register(sub, add_url) -> None:
    cti = sub.add_parser("cti", help="CTI configuration (applied by a running agent-ctid "
                         "within seconds)").add_subparsers(dest="cti", required=True)
    grp = cti.add_parser("group", help="ACD groups").add_subparsers(dest="sub", required=True)
    p = grp.add_parser("set", help="create or change a group")
    p.add_argument("number")
    add_url(p)
    p.add_argument("--name")
    p.add_argument("--overflow", help="overflow group ('' to remove)")
    p.add_argument("--max-queue", type=int)
    p.add_argument("--ring-timeout", type=int, help="seconds, 1-60")
    p.add_argument("--wrapup", type=int, help="seconds")
    p.set_defaults(func=group_set)
    p = grp.add_parser("list", help="list groups")
    add_url(p)
    p.set_defaults(func=group_list)
    num = cti.add_parser("number", help="dialled numbers (源被叫)").add_subparsers(dest="sub", required=True)
    p = num.add_parser("set", help="map a hotline number to a group and a medium")
    p.add_argument("digits")
    add_url(p)
    p.add_argument("--group", required=True)
    p.add_argument("--medium")
    p.set_defaults(func=number_set)
    internal = cti.add_parser("internal", help="internal numbers (集团电话)").add_subparsers(dest="sub", required=True)
    p = internal.add_parser("add", help="mark a number internal: its calls are never leads")
    p.add_argument("digits")
    add_url(p)
    p.add_argument("--note", default="")
    p.set_defaults(func=internal_add)
    p = cti.add_parser("cert", help="make agent-ctid's TLS certificate and key (self-signed)")
    p.add_argument("--out", required=True, help="folder for ctid-cert.pem and ctid-key.pem")
    p.add_argument("--host", action="append", dest="hosts", metavar="NAME",
                   help="a name or address the desks use for agent-ctid (repeat for more; "
                        "default: this machine's name)")
    p.add_argument("--days", type=int, default=3650, help="valid for N days (default 3650)")
    p.set_defaults(func=cert_make)


def _svc(args):
    from agent_app.cli.admin import open_db
    from agent_app.services.cti_config import CtiConfigService
    return CtiConfigService(open_db(args))


def group_set(args: argparse.Namespace) -> int:
    g = _svc(args).set_group(SHELL, args.number, name=args.name, overflow=args.overflow,
                             max_queue=args.max_queue, ring_timeout_s=args.ring_timeout,
                             wrapup_s=args.wrapup)
    print(f"group {g.number} {g.name}: overflow {g.overflow_group or '-'}, max queue "
          f"{g.max_queue}, ring timeout {g.ring_timeout_s} s, wrap-up {g.wrapup_s} s")
    return 0


def group_list(args: argparse.Namespace) -> int:
    for g in _svc(args).groups():
        print(f"{g.number:<4} {g.name:<10} overflow {g.overflow_group or '-':<4} "
              f"max_queue {g.max_queue:<5} ring {g.ring_timeout_s:>2} s wrap-up {g.wrapup_s} s")
    return 0


def number_set(args: argparse.Namespace) -> int:
    _svc(args).set_number(SHELL, args.digits, group=args.group, medium=args.medium)
    print(f"{args.digits} → group {args.group}" + (f", medium {args.medium}" if args.medium else ""))
    return 0


def internal_add(args: argparse.Namespace) -> int:
    _svc(args).add_internal(SHELL, args.digits, args.note)
    print(f"{args.digits} is internal: its calls are not leads")
    return 0


def cert_make(args: argparse.Namespace) -> int:
    from agent_app.cti.tls import make_certificate

    hosts = args.hosts or [socket.gethostname()]
    try:
        files = make_certificate(args.out, hosts, args.days)
    except (ValueError, OSError) as exc:  # bad --days, files in the way, folder not writable
        print(f"agent-admin: {exc}; nothing was written", file=sys.stderr)
        return 2
    print(f"certificate {files.cert} (for {', '.join(hosts)}, {args.days} days)")
    print(f"key         {files.key} (mode 0600: readable by its owner only)")
    print(f"SHA-256     {files.fingerprint}")
    print("agent-ctid: --tls-cert/--tls-key these files; desks pin this fingerprint at their "
          "first connection, or trust the certificate file given as cti_ca_file")
    return 0
