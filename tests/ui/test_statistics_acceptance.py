"""统计分析's acceptance on the demo data: supervisor 4001 opens every report window of the
menu, each counts figures, draws its chart, and exports an .xlsx that, read back with
openpyxl, holds the table on screen; an operator without 统计 sees only the sales
statistics, and the service refuses the rest to them too."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from agent_app.errors import Forbidden
from tests.ui.helpers import run, until


@pytest.fixture
def demo(demo_template, tmp_path):
    import shutil

    from db.engine import Database
    path = tmp_path / "demo.sqlite3"
    shutil.copy(demo_template, path)
    db = Database.open(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def window(demo, demo_window):
    return lambda login: demo_window(demo, login)


def _cell(kind: str, value):
    """A table value as the sheet holds it (durations as time spans, money as numbers)."""
    if value is None or value == "":
        return None
    if kind == "duration":
        return round(dt.timedelta(seconds=float(value)).total_seconds(), 3)
    if kind in ("money", "number", "percent"):
        return round(float(value), 6)
    if kind == "datetime" and isinstance(value, dt.datetime):
        from agent_app.xlsx import local_naive  # what the writer puts in the sheet
        return local_naive(value).timestamp()
    return value


def _sheet_cell(kind: str, value):
    if value is None:
        return None
    if kind == "duration":
        if isinstance(value, dt.time):  # openpyxl reads a span under a day as a time
            return round(value.hour * 3600 + value.minute * 60 + value.second
                         + value.microsecond / 1e6, 3)
        return round(value.total_seconds(), 3)
    if kind in ("money", "number", "percent"):
        return round(float(value), 6)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date()
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def _count(aloop, w, panel, days: int = 23) -> None:  # 31 days: kpi-intervals's most
    from ui.kit.formats import site_today_qdate

    today = site_today_qdate()
    panel.date_from.setDate(today.addDays(-days))
    panel.date_to.setDate(today.addDays(7))  # the demo's calls reach a little ahead

    async def counted():
        panel.loaded = False
        panel.refresh()
        await until(lambda: panel.loaded and w.ctx.runner.in_flight == 0, timeout=60)
    run(aloop, counted())


def test_the_supervisor_opens_every_report_and_exports_it(window, aloop, qtbot, tmp_path):
    from ui.statistics import FEATURE

    w = window("4001")
    keys = set(w.registry_actions("statistics"))
    assert keys == {e.key.removeprefix("statistics.") for e in FEATURE.panels()}
    assert len(keys) >= 1
    for entry in FEATURE.panels():
        panel = w.panel(entry.key)
        _count(aloop, w, panel)
        assert panel.rows, f"{entry.key}: no figures on the demo data"
        if panel.report.chart is not None:
            assert panel.chart.isVisible() and panel.chart.kind, entry.key
        columns, rows = panel.table()
        out = tmp_path / f"{entry.key}.xlsx"
        export = panel.export()
        export.dialog.reject()
        with qtbot.waitSignal(export.succeeded, timeout=30_000):
            export.start(str(out))
        sheet = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
        assert sheet[0][0].startswith(panel.title())  # the title row (ticked by default)
        assert list(sheet[1][:len(columns)]) == [title for title, _kind in columns]
        assert len(sheet) - 2 == len(rows), entry.key
        for got, want in zip(sheet[2:], rows, strict=True):
            # (Excel holds a span as a fraction of a day: a millisecond may round away)
            assert [_sheet_cell(k, v) for (_t, k), v in zip(columns, got, strict=False)] == [
                pytest.approx(_cell(k, v), abs=0.01) if k in ("duration", "datetime")
                else _cell(k, v)
                for (_t, k), v in zip(columns, want, strict=True)], entry.key
        panel.close()


def test_without_statistics_only_the_sales_statistics(window, demo):
    from agent_app.reports import load_all
    from agent_app.services.reports import ReportService

    w = window("1002")
    sales = {n.replace("-", "_") for n, r in load_all().items() if r.permission is None}
    assert set(w.registry_actions("statistics")) == sales
    service = ReportService(demo)
    day = dt.date(2026, 3, 1)
    for name, report in load_all().items():
        if report.permission is not None:
            with pytest.raises(Forbidden):
                service.run(w.ctx.actor, name, day, day)
        else:
            service.run(w.ctx.actor, name, day, day)
