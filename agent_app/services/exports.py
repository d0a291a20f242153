"""导出: the rule every export follows, whichever screen starts it.

The 导出 permission is checked here, in the core, not by hiding a button: an export path
that forgot its check would otherwise hand the whole list to anyone. Every export that
completes writes an audit_log row (action "export": who, which report, how many rows,
the file's name) before the file is put in place, so there is no exported file without
its audit row.
"""
from __future__ import annotations

from pathlib import Path

from agent_app.services.base import Actor, audit, db_errors, require, writes
from db.engine import Database
from db.enums import Permission

AUDIT_ACTION = "export"


class ExportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def check(actor: Actor, report: str) -> None:
        """Before anything is read or written: Forbidden without the 导出 permission."""
        require(actor, Permission.EXPORT)

    @writes
    def record(self, actor: Actor, report: str, rows: int, path: str | Path = "",
               period: str = "") -> None:
        """The export of `rows` rows of `report` is done: checked again (a permission
        withdrawn meanwhile stops it) and written down in the audit log, with the period
        a report covered ("2026-11-01..2026-11-30")."""
        require(actor, Permission.EXPORT)
        detail = {"period": period} if period else {}
        with db_errors(), self.db.transaction() as s:
            audit(s, actor.login, AUDIT_ACTION, report[:128], rows=int(rows),
                  file=Path(path).name if path else "", **detail)
