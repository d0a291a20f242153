"""ui/kit/export.py: the .xlsx it writes (typed, frozen bold header, formula-looking text kept
as text), that a cancelled or failed export leaves no file, and the Qt side (save dialog,
progress, result in words) driven through its signals."""
from __future__ import annotations

import datetime as dt
import threading
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

import agent_app.xlsx as core_xlsx
from tests.ui.reports import report_row
from ui.kit import export as X

INJECTIONS = ['=HYPERLINK("http://evil.example","点我")', "+86 138 0000 0000", "-1+2",
              "@SUM(A1:A2)"]


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def out(tmp_path):
    """An empty folder to export to (tmp_path also holds the test's settings home)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_round_trip_keeps_types_formats_and_a_frozen_bold_header(out, report_columns,
                                                                  report_rows):
    path = out / "媒体统计.xlsx"
    rows = report_rows[:5] + [(name, None, "n/a", None, None, None, None, name)
                              for name in INJECTIONS]
    assert X.write_xlsx(path, report_columns, rows, sheet_title="媒体统计") == 9
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "媒体统计" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == [t for t, _k in report_columns]
    assert all(c.font.b for c in ws[1])
    region, leads, money, day, stamp, talk, rate, customer = ws[3]
    assert region.value == "华南" and region.data_type == "s"
    assert leads.value == 3 and leads.data_type == "n" and leads.number_format == "General"
    assert money.value == pytest.approx(123.5) and money.number_format == '"¥"#,##0.00'
    assert day.value == dt.datetime(2026, 11, 2) and day.number_format == "yyyy-mm-dd"
    local = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC).astimezone().replace(tzinfo=None)
    assert stamp.value == local and stamp.is_date
    assert talk.value == dt.timedelta(seconds=37) and talk.number_format == "[hh]:mm:ss"
    assert rate.value == pytest.approx(0.005) and rate.number_format == "0.0%"
    for row, text in zip(ws.iter_rows(min_row=7), INJECTIONS, strict=True):
        name, leads, money = row[0], row[1], row[2]
        assert name.value == text and name.data_type == "s" and name.quotePrefix
        assert leads.value is None
        assert money.value == "n/a"  # a text in a money column stays readable text
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere in the sheet


def test_column_widths_follow_the_content(out):
    path = out / "w.xlsx"
    X.write_xlsx(path, [("区域", "text"), ("备注", "text")], [("华东", "很长的备注" * 4)])
    dims = openpyxl.load_workbook(path).active.column_dimensions
    # xlsxwriter stores the width Excel shows plus the cell's padding (5 pixels of a 7-pixel
    # digit: 0.71 of a character)
    assert dims["A"].width == pytest.approx(X.display_width("区域") + 2 + 0.71, abs=0.01)
    assert dims["B"].width == pytest.approx(X.display_width("很长的备注" * 4) + 2 + 0.71,
                                            abs=0.01)


def test_a_title_row_sits_above_the_frozen_header(out, report_columns, report_rows):
    path = out / "t.xlsx"
    X.write_xlsx(path, report_columns, report_rows[:3], title_row="媒体统计 2026-11-01 至 2026-11-30")
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "媒体统计 2026-11-01 至 2026-11-30" and ws["A1"].font.sz == 14
    assert [c.value for c in ws[2]] == [t for t, _k in report_columns] and ws.freeze_panes == "A3"
    assert ws.max_row == 5 and ws["A3"].value == report_rows[0][0]


def test_more_rows_than_a_sheet_holds_is_refused_not_cut_short(out, report_columns,
                                                                monkeypatch):
    """Past Excel's last row xlsxwriter would drop rows without a word: the export fails with
    a message saying so, and leaves no file."""
    from agent_app.errors import SheetFull
    monkeypatch.setattr(core_xlsx, "EXCEL_ROWS", 11)  # the header and ten rows
    assert X.write_xlsx(out / "ten.xlsx", report_columns, [report_row(i) for i in range(10)]) == 10
    with pytest.raises(SheetFull) as err:
        X.write_xlsx(out / "r.xlsx", report_columns, (report_row(i) for i in range(11)))
    assert err.value.params == {"rows": "10"} and "at most 10 rows" in str(err.value)
    assert files_in(out) == ["ten.xlsx"]


@pytest.mark.parametrize("ending", ["cancel", "raise"])
def test_an_abandoned_export_leaves_no_scratch_file(out, report_columns, tmp_path, monkeypatch,
                                                    ending):
    """The rows stream to a scratch file in the temporary folder; an export cancelled or
    failed halfway removes it too (a clerk cancelling ten big exports would fill the disk)."""
    import tempfile
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cancel = threading.Event()

    def rows():
        for i in range(3000):
            if i == 2000:
                if ending == "cancel":
                    cancel.set()
                else:
                    raise ConnectionError("database gone")
            yield report_row(i)
    with pytest.raises(X.ExportCancelled if ending == "cancel" else ConnectionError):
        X.write_xlsx(out / "r.xlsx", report_columns, rows(), cancel=cancel)
    assert files_in(out) == [] and files_in(scratch) == []
    X.write_xlsx(out / "r.xlsx", report_columns, [report_row(0)])
    assert files_in(scratch) == []  # and one that ends well leaves none either


def test_a_figure_that_is_not_a_number_does_not_end_the_export(out):
    path = out / "nan.xlsx"
    rows = [(float("nan"), 1), (float("-inf"), 2), (Decimal("NaN"), 3), (0.25, 4)]
    assert X.write_xlsx(path, [("比率", "percent"), ("序号", "int")], rows) == 4
    ws = openpyxl.load_workbook(path).active
    assert [(a.value, b.value) for a, b in ws.iter_rows(min_row=2)] == \
        [(None, 1), (None, 2), (None, 3), (0.25, 4)]  # no figure: an empty cell


def test_an_unknown_column_kind_is_refused_before_any_file(out):
    with pytest.raises(ValueError, match="unknown column kind 'currency'"):
        X.write_xlsx(out / "x.xlsx", [("金额", "currency")], [(1,)])
    assert files_in(out) == []


def test_cancel_leaves_no_file_and_keeps_an_older_one(out, report_columns):
    path = out / "r.xlsx"
    path.write_bytes(b"the older export")
    cancel = threading.Event()
    with pytest.raises(X.ExportCancelled):
        X.write_xlsx(path, report_columns, (report_row(i) for i in range(5000)),
                     cancel=cancel, progress=lambda n: cancel.set())
    assert files_in(out) == ["r.xlsx"] and path.read_bytes() == b"the older export"


def test_a_generator_that_raises_leaves_no_file(out, report_columns):
    def rows():
        yield from (report_row(i) for i in range(700))
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError, match="database gone"):
        X.write_xlsx(out / "r.xlsx", report_columns, rows())
    assert files_in(out) == []


# -- the Qt side ------------------------------------------------------------------------------
@pytest.fixture
def parent(qtbot, english):
    w = QWidget()
    qtbot.addWidget(w)
    return w


def test_export_runs_rows_on_a_worker_and_says_what_it_wrote(qtbot, parent, out,
                                                             report_columns):
    threads = []

    def rows():
        threads.append(threading.current_thread())
        yield from (report_row(i) for i in range(1200))

    export = X.ExcelExport(parent, "媒体统计", report_columns, rows, total=1200)
    path = out / "m.xlsx"
    with qtbot.waitSignal(export.succeeded, timeout=20_000) as done, \
            qtbot.waitSignal(export.finished, timeout=20_000):
        export.start(str(path))
        assert export.progress.isVisible() and export.progress.maximum() == 1200
    assert done.args == [str(path), 1200]
    assert threads and threads[0] is not threading.main_thread()
    wb = openpyxl.load_workbook(path, read_only=True)
    assert sum(1 for _ in wb.active.rows) == 1201
    wb.close()
    assert export.message == f"1200 rows exported to {path}."
    assert export.progress is None
    assert export.box.isVisible() and export.box.icon() == QMessageBox.Icon.Information
    assert files_in(out) == ["m.xlsx"]


def test_progress_that_arrives_as_the_export_ends_is_dropped(qtbot, parent, out,
                                                             report_columns, monkeypatch):
    """A window-modal progress dialog processes events inside setValue(): the job's end
    can be handled right there, closing the dialog. The progress update that was being
    handled then leaves the closed dialog alone (it once raised AttributeError)."""
    export = X.ExcelExport(parent, "媒体统计", report_columns, lambda: iter(()), total=10)
    with qtbot.waitSignal(export.finished, timeout=20_000):
        export.start(str(out / "e.xlsx"))
        dialog = export.progress
        monkeypatch.setattr(dialog, "setValue",
                            lambda _v: export._end("ended meanwhile", False))
        export._progressed(5)
    assert export.progress is None and export.message != ""


def test_cancel_from_the_progress_dialog_leaves_no_file(qtbot, parent, out, report_columns):
    gate = threading.Event()

    def rows():
        for i in range(100_000):
            if i == X.PROGRESS_EVERY + 1:
                gate.wait(10)  # holds the worker until the test has pressed Cancel
            yield report_row(i)

    export = X.ExcelExport(parent, "媒体统计", report_columns, rows)
    with qtbot.waitSignal(export.cancelled, timeout=20_000), \
            qtbot.assertNotEmitted(export.succeeded), qtbot.assertNotEmitted(export.failed):
        export.start(str(out / "m.xlsx"))
        qtbot.waitUntil(lambda: export.progress.labelText() == "500 rows written…",
                        timeout=10_000)
        qtbot.mouseClick(export.progress.findChild(QPushButton), Qt.MouseButton.LeftButton)
        assert export.progress.labelText() == "Cancelling…"
        gate.set()
    assert files_in(out) == []
    assert export.message == "The export was cancelled. No file was written."


def test_a_failing_row_source_is_reported_and_leaves_no_file(qtbot, parent, out,
                                                            report_columns):
    def rows():
        yield from (report_row(i) for i in range(10))
        raise OSError(5, "Input/output error")

    export = X.ExcelExport(parent, "媒体统计", report_columns, rows)
    with qtbot.waitSignal(export.failed, timeout=10_000) as failed, \
            qtbot.assertNotEmitted(export.succeeded):
        export.start(str(out / "m.xlsx"))
    assert failed.args == ["Input/output error"]
    assert export.message == "The export failed: Input/output error. No file was written."
    assert export.box.icon() == QMessageBox.Icon.Warning
    assert files_in(out) == []


def test_the_save_dialog_opens_in_the_last_folder_and_remembers_the_new_one(
        qtbot, parent, out, report_columns):
    first, second = out / "a", out / "b"
    first.mkdir()
    second.mkdir()
    X.remember_folder(first)
    export = X.export_rows(parent, "媒体统计", report_columns, lambda: [report_row(1)])
    assert export.dialog.isVisible()
    assert export.dialog.directory().absolutePath() == str(first)
    with qtbot.waitSignal(export.succeeded, timeout=10_000):
        export.dialog.fileSelected.emit(str(second / "m.xlsx"))
    assert X.last_folder() == str(second)
    assert files_in(second) == ["m.xlsx"]


def test_the_gui_thread_keeps_running_while_rows_are_written(qtbot, parent, out,
                                                             report_columns):
    """The rows are written on the worker thread: the GUI's timers keep firing on time
    while it writes.

    Only the ticks while the rows are written count: the worker waits on a gate until the
    progress dialog has been shown (its first show is the GUI thread's own work: 327 and
    513 ms in two full CI runs), and the result box at the end is the GUI's too.
    """
    gate, started = threading.Event(), threading.Event()

    def rows():
        gate.wait(10)
        started.set()
        yield from (report_row(i) for i in range(10_000))

    def writing() -> bool:
        return started.is_set() and any(t.name == "xlsx-export" for t in threading.enumerate())

    ticks: list[tuple[float, bool]] = []  # (ms late, the rows still being written)
    last = [0.0]

    def tick():
        now = time.perf_counter()
        ticks.append(((now - last[0]) * 1000 - 5, writing()))
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    export = X.ExcelExport(parent, "媒体统计", report_columns, rows, total=10_000)
    try:
        with qtbot.waitSignal(export.finished, timeout=30_000):
            export.start(str(out / "m.xlsx"))
            qtbot.waitExposed(export.progress)  # its first show is done before we time
            qtbot.wait(50)
            last[0] = time.perf_counter()
            timer.start()
            gate.set()
    finally:
        timer.stop()
    assert files_in(out) == ["m.xlsx"]
    while_writing = [lag for lag, busy in ticks if busy]
    assert len(while_writing) > 10  # the event loop turned all along
    # with the app's GIL switch interval (ui/worker.share_the_gil) the worst tick was
    # 2-13 ms late, 41 ms with both cores busy elsewhere; at CPython's default, 97-271 ms
    assert max(while_writing) < 100, while_writing


def test_numbers_of_every_kind_are_typed():
    assert X.cell_value("money", Decimal("1.10")) == Decimal("1.10")
    assert X.cell_value("int", True) == "True"  # a flag is not a count
    assert X.cell_value("duration", 90) == dt.timedelta(seconds=90)
    assert X.cell_value("text", "a\x00b\x1fc") == "abc"  # XML cannot hold control characters
    assert X.cell_value("date", "") is None


def test_the_audit_hook_runs_before_the_file_appears(out, report_columns):
    """`record(n)` (the core's audit) sees the row count; when it refuses, no file."""
    from agent_app.errors import Forbidden

    seen = []

    def record(n):
        seen.append((n, files_in(out)))
    path = out / "m.xlsx"
    assert X.write_xlsx(path, report_columns, [report_row(i) for i in range(3)],
                        record=record) == 3
    assert seen[0][0] == 3 and "m.xlsx" not in seen[0][1]   # not yet in place
    assert files_in(out) == ["m.xlsx"]

    def refuse(n):
        raise Forbidden()
    with pytest.raises(Forbidden):
        X.write_xlsx(out / "n.xlsx", report_columns, [report_row(0)], record=refuse)
    assert files_in(out) == ["m.xlsx"]
