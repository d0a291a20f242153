"""agent-admin report: 统计分析's reports from the command line, for cron or Task Scheduler.

    agent-admin report list
    agent-admin report NAME --url URL --from DATE --to DATE [--group G] [--param K=V ...]
                            --out FILE.xlsx [--no-title-row] [--fail-empty]

The figures come from the service the desk's windows use (agent_app/services/reports.py),
run as the shell's identity; the export is audited like the desk's. One line and exit 2
for an unknown report, a bad date, a bad param or group, and for an empty period when
--fail-empty is given (a scheduled mail of an empty month is usually a broken feed).
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def register(sub, add_url) -> None:
    p = sub.add_parser("report", help="write a statistics report to Excel (list: the reports)",
                       description="Writes one of 统计分析's reports for a period to an .xlsx, "
                       "with the figures the desk's window shows. `report list` prints the "
                       "reports' names and titles.")
    p.add_argument("name", help="the report's name, or `list`")
    add_url(p)
    p.add_argument("--from", dest="date_from", help="first site day, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="last site day, YYYY-MM-DD (included)")
    p.add_argument("--group", help="ACD group or department, for reports that have one")
    p.add_argument("--param", action="append", default=[], metavar="K=V",
                   help="a report's choice, e.g. grain=month (see `report list`)")
    p.add_argument("--out", help="the .xlsx to write")
    p.add_argument("--no-title-row", action="store_true",
                   help="the header is the sheet's first row (for a program reading it)")
    p.add_argument("--fail-empty", action="store_true",
                   help="exit 2, writing nothing, when the period has no rows")
    p.set_defaults(func=run)


def _date(text: str | None, flag: str) -> dt.date:
    from agent_app.cli.admin import CommandError

    if not text:
        raise CommandError(f"{flag} is required (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from None


def list_reports() -> int:
    from agent_app.reports import load_all

    for r in sorted(load_all().values(), key=lambda r: (r.order, r.name)):
        params = " ".join(f"[{p.name}={'|'.join(p.values())}]" for p in r.params)
        group = {"acd": " [--group ACD-group]", "department": " [--group department]"}.get(
            r.group, "")
        who = "everyone" if r.permission is None else str(r.permission)
        print(f"{r.name:28} {r.title}  ({who}){group} {params}".rstrip())
    return 0


def run(args: argparse.Namespace) -> int:
    from agent_app.cli.admin import CommandError, open_db
    from agent_app.cli.identity import SHELL
    from agent_app.errors import UserError
    from agent_app.reports import load_all
    from agent_app.services.reports import ReportService

    if args.name == "list":
        return list_reports()
    if args.name not in load_all():
        raise CommandError(f"no report {args.name!r}; `agent-admin report list` names them")
    date_from, date_to = _date(args.date_from, "--from"), _date(args.date_to, "--to")
    if not args.out:
        raise CommandError("--out FILE.xlsx is required")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"--out {out} must end in .xlsx")
    if not out.parent.is_dir():
        raise CommandError(f"the folder {out.parent} does not exist")
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--param {item!r} is not K=V")
        params[key.strip()] = value.strip()
    db = open_db(args)
    try:
        service = ReportService(db)
        try:
            result = service.run(SHELL, args.name, date_from, date_to, params, args.group)
        except UserError as exc:  # which input: the field names the flag or the param
            where = {"date_from": "--from", "date_to": "--to", "group": "--group"}.get(
                exc.field or "", f"--param {exc.field}" if exc.field else "")
            raise CommandError(f"{where}: {exc.message_en()}" if where
                               else exc.message_en()) from None
        if args.fail_empty and not result.rows:
            raise CommandError(f"{args.name}: no rows from {date_from} to {date_to}; "
                               "nothing written")
        n = service.write_xlsx(SHELL, result, out, title_row=not args.no_title_row)
    finally:
        db.dispose()
    print(f"{args.name}: {n} rows from {date_from} to {date_to} written to {out}")
    return 0
