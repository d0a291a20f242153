"""agent-admin report as a site's scheduled task runs it: the real program as a process,
on SQLite and on MariaDB. The sheet holds the figures of the desk's service (the same
code path), each refusal is one line and exit 2, and a refused run writes no file."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import func, select

from agent_app.cli.identity import SHELL
from agent_app.services.reports import ReportService
from db.engine import Database
from db.models import AuditLog
from tests.e2e.desk import run_admin
from tests.services.test_reports_service import _calls


def test_report_list_names_every_report():
    from agent_app.reports import load_all

    out = run_admin("report", "list").stdout.splitlines()
    assert [line.split()[0] for line in out] == sorted(
        load_all(), key=lambda n: (load_all()[n].order, n))


def test_a_scheduled_report_writes_the_windows_figures(db_url, tmp_path):
    db = Database.open(db_url)
    try:
        _calls(db)
        out = tmp_path / "calls.xlsx"
        done = run_admin("report", "daily-calls", "--url", db_url, "--from", "2026-03-01",
                         "--to", "2026-04-30", "--param", "grain=week", "--group", "21",
                         "--out", str(out))
        assert done.stdout.strip().endswith(f"written to {out}")
        sheet = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
        result = ReportService(db).run(SHELL, "daily-calls", dt.date(2026, 3, 1),
                                       dt.date(2026, 4, 30), {"grain": "week"}, "21")
        assert sheet[0][0].startswith("Daily calls 2026-03-01—2026-04-30 · 21")
        assert [r[:4] for r in sheet[2:]] == [
            (r.period, r.inbound, r.answered, r.abandoned) for r in result.rows]
        with db.reading() as s:
            assert s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "export", AuditLog.target == "daily-calls")) == 1
    finally:
        db.dispose()


@pytest.mark.parametrize(("args", "says"), [
    (["no-such", "--from", "2026-03-01", "--to", "2026-03-31"], "no report 'no-such'"),
    (["daily-calls", "--from", "2026-02-30", "--to", "2026-03-31"], "--from '2026-02-30' is not a date"),
    (["daily-calls", "--from", "2026-03-31", "--to", "2026-03-01"], "--to: The period ends before"),
    (["daily-calls", "--from", "2026-03-01", "--to", "2026-03-31", "--param", "grain=hour"],
     "--param grain: "),
    (["daily-calls", "--from", "2020-03-01", "--to", "2020-03-31", "--fail-empty"],
     "no rows from 2020-03-01 to 2020-03-31"),
])
def test_refusals_are_one_line_and_write_nothing(db_url, tmp_path, args, says):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "r.xlsx"
    proc = run_admin("report", *args, "--url", db_url, "--out", str(out), check=False)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("agent-admin: ") and says in err, err
    assert list(folder.iterdir()) == []
