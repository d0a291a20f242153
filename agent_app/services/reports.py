"""统计分析: runs a report of agent_app.reports for a user, and writes it to Excel.

The desk's report windows and `agent-admin report` both come here, so a month-end sheet
mailed from cron holds the figures the supervisor saw on screen. Checks, in this order:
the report exists, the user may see it (统计, or any user for the sales statistics),
the period (from ≤ to, at most three years), the params (one of their choices) and the
group (only for a report that has a group filter). Each failure is a ValidationError or
Forbidden with its field; nothing is counted before all pass.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from agent_app.errors import Forbidden, NotFound, TooSlow, ValidationError
from agent_app.reports import REPORTS, Col, Query, ReportDef, Row, load_all
from agent_app.reports.period import MAX_DAYS
from agent_app.services.archives import ArchiveService
from agent_app.services.base import Actor, db_errors, mysql_errno, require
from agent_app.services.exports import ExportService
from agent_app.tr import QT_TRANSLATE_NOOP
from agent_app.xlsx import write_xlsx
from db.engine import Database
from db.enums import Permission

# The server stops a report's statements after this long. It is below the driver's 30-s
# read timeout (db/engine.py) on purpose: a report that runs longer is then stopped by the
# server, which says why (TooSlow: "choose a shorter period"), instead of the socket timing
# out, which reads as "Cannot reach the database" and leaves the query running.
TIME_LIMIT_S = 25.0
# MariaDB's max_statement_time and MySQL's max_execution_time interruptions
_INTERRUPTED = {1969, 3024}


@dataclass(frozen=True)
class ReportResult:
    report: ReportDef
    query: Query
    columns: tuple[Col, ...]
    rows: list[Row]
    total: Row

    def table(self, translate=lambda text: text) -> tuple[list[tuple[str, str]], list[tuple]]:
        """(title, kind) per column and the rows as tuples, for the Excel writer."""
        cols = [(translate(c.title), c.kind) for c in self.columns]
        return cols, [tuple(translate(r.get(c.attr)) if c.translated and r.get(c.attr) else
                            r.get(c.attr) for c in self.columns) for r in self.rows]

    def period_text(self) -> str:
        return f"{self.query.date_from.isoformat()}..{self.query.date_to.isoformat()}"


def visible(actor: Actor, report: ReportDef) -> bool:
    return report.permission is None or actor.can(report.permission)


class ReportService:
    def __init__(self, db: Database, time_limit_s: float | None = None) -> None:
        self.db = db
        self.time_limit_s = TIME_LIMIT_S if time_limit_s is None else time_limit_s
        load_all()

    @staticmethod
    def reports(actor: Actor) -> list[ReportDef]:
        """The reports this user may run, in menu order."""
        return sorted((r for r in REPORTS.values() if visible(actor, r)),
                      key=lambda r: (r.order, r.name))

    @staticmethod
    def get(name: str) -> ReportDef:
        try:
            return REPORTS[name]
        except KeyError:
            raise NotFound(QT_TRANSLATE_NOOP("errors", "There is no such report."),
                           field="report") from None

    def query(self, report: ReportDef, date_from: dt.date, date_to: dt.date,
              params: Mapping[str, str] | None = None, group: str | None = None) -> Query:
        """The checked query (see the module's docstring); ValidationError with a field."""
        if date_from > date_to:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "The period ends before it starts."),
                                  field="date_to")
        if (date_to - date_from).days >= MAX_DAYS:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "A report covers at most three years."), field="date_from")
        given = dict(params or {})
        unknown = set(given) - {p.name for p in report.params}
        if unknown:
            raise ValidationError(field=sorted(unknown)[0])
        chosen: dict[str, str] = {}
        for p in report.params:
            value = str(given.get(p.name, p.default))
            if value not in p.values():
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "Choose one of the listed values."),
                                      field=p.name)
            chosen[p.name] = value
        group = (group or "").strip() or None
        if group is not None and not report.group:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "This report has no group filter."),
                                  field="group")
        if group is not None and len(group) > 64:
            raise ValidationError(field="group")
        settings = ArchiveService(self.db).get_settings()
        return Query(date_from, date_to, chosen, group, settings)

    def run(self, actor: Actor, name: str, date_from: dt.date, date_to: dt.date,
            params: Mapping[str, str] | None = None, group: str | None = None) -> ReportResult:
        """Count `name` for the site days date_from..date_to (both included)."""
        report = self.get(name)
        if not isinstance(actor, Actor) or not visible(actor, report):
            raise Forbidden()
        q = self.query(report, date_from, date_to, params, group)
        with db_errors(), self.db.reading() as s, time_limit(s, self.time_limit_s):
            rows = report.compute(s, q)
        columns = report.columns_for(q.params)
        return ReportResult(report, q, columns, rows, report.totals(rows, q.params))

    def write_xlsx(self, actor: Actor, result: ReportResult, path: str | Path, *,
                   title_row: bool = True, translate=lambda text: text) -> int:
        """The result to an .xlsx (导出 permission, audited with the report and period);
        returns the rows written. `title_row`: the title and period above the header."""
        require(actor, Permission.EXPORT)
        exports = ExportService(self.db)
        columns, rows = result.table(translate)
        title = translate(result.report.title)
        heading = f"{title} {result.query.date_from}—{result.query.date_to}"
        if result.query.group:
            heading += f" · {result.query.group}"
        return write_xlsx(path, columns, rows, sheet_title=title,
                          title_row=heading if title_row else "",
                          record=lambda n: exports.record(actor, result.report.name, n, path,
                                                          period=result.period_text()))


@contextlib.contextmanager
def time_limit(s: Session, seconds: float) -> Iterator[None]:
    """Have the server stop each statement of `s` after `seconds` (SQLite, the demo: the
    statements together); one stopped raises TooSlow. The limit is the session's (MariaDB
    max_statement_time, MySQL max_execution_time, SQLite a progress handler) and is put
    back to the default before the connection returns to the pool, so no other service
    inherits it."""
    conn = s.connection()
    dialect = conn.dialect
    if dialect.name == "mysql":
        var, value = (("max_statement_time", f"{seconds:.3f}") if dialect.is_mariadb
                      else ("max_execution_time", str(int(seconds * 1000))))
        conn.exec_driver_sql(f"SET SESSION {var} = {value}")
        try:
            yield
        except DBAPIError as exc:
            if mysql_errno(exc) in _INTERRUPTED:
                raise TooSlow(seconds=_shown(seconds)) from exc
            raise
        finally:
            try:
                conn.exec_driver_sql(f"SET SESSION {var} = DEFAULT")
            except DBAPIError:
                conn.invalidate()  # the pool must not hand out a connection still limited
        return
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + seconds
    # SQLite (the demo) checks the handler every 10,000 virtual-machine steps
    raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
    try:
        yield
    except DBAPIError as exc:
        if "interrupted" in str(exc.orig).lower():
            raise TooSlow(seconds=_shown(seconds)) from exc
        raise
    finally:
        raw.set_progress_handler(None, 0)


def _shown(seconds: float) -> str:
    return f"{seconds:g}"
