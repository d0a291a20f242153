"""agent-admin logistics: a courier's daily sheet applied from a scheduled task.

    agent-admin logistics import-results FILE --url URL --courier NAME [--dry-run]
    agent-admin logistics import-remittance FILE --url URL --courier NAME [--dry-run]

The same engine as 物流管理's window (agent_app/services/courier_sheets.py), run as the
shell's identity and audited. It prints a line per row that was not applied (its sheet
row, number and reason) and a summary; with --dry-run it writes nothing. Exit 0 when
something was applied (or, dry, would be), 2 when nothing could be: a file that cannot be
read, or no row that applies.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub, add_url) -> None:
    p = sub.add_parser("logistics", help="apply a courier's delivery results or COD remittances",
                       description="物流管理 from the command line: a courier's sheet (.xlsx, "
                       ".xls or .csv in UTF-8 or GBK) applied as 出库反馈, or reconciled as "
                       "代收货款.")
    inner = p.add_subparsers(dest="logistics_command", required=True)
    for name, helptext in (("import-results", "delivery results, applied as 出库反馈"),
                           ("import-remittance", "COD remittances, reconciled (对账)")):
        q = inner.add_parser(name, help=helptext)
        q.add_argument("file", help="the courier's sheet")
        add_url(q)
        q.add_argument("--courier", required=True,
                       help="the courier's profile (kuaidi100, kdniao, or a site's own name)")
        q.add_argument("--dry-run", action="store_true", help="report the fates, write nothing")
        q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent_app.cli.admin import CommandError, open_db
    from agent_app.cli.identity import SHELL
    from agent_app.services.courier_sheets import CourierSheetService, fate_text

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    db = open_db(args)
    try:
        svc = CourierSheetService(db)
        fn = svc.import_results if args.logistics_command == "import-results" \
            else svc.import_remittance
        outcome = fn(SHELL, path, args.courier, dry_run=args.dry_run)
    finally:
        db.dispose()
    for row in outcome.rows:
        if row.fate in ("refused", "skipped", "flagged"):
            print(f"row {row.line}\t{row.ref or '-'}\t{row.fate}\t{fate_text(row)}")
    for row in outcome.missing:
        print(f"-\t{row.order_no}\tmissing\tdelivered COD {row.expected:,.2f}, not remitted")
    verb = "would apply" if args.dry_run else "applied"
    counts = {f: sum(1 for r in outcome.rows if r.fate == f)
              for f in ("applied", "flagged", "skipped", "refused")}
    line = (f"{path.name}: {verb} {outcome.applied}; flagged {counts['flagged']}, "
            f"skipped {counts['skipped']}, refused {counts['refused']}")
    if outcome.kind == "remittance":
        t = outcome.totals()
        line += (f"; COD expected {t['expected']:,.2f}, remitted {t['remitted']:,.2f}, "
                 f"difference {t['difference']:,.2f}, fees {t['fees']:,.2f}, "
                 f"missing {len(outcome.missing)} ({t['missing']:,.2f})")
    print(line)
    return 0 if outcome.applied else 2
