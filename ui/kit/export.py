"""Excel export of a report or list: typed cells, constant memory, on a worker thread.

A report panel calls one function; everything else happens without it:

    export_rows(parent, self.tr("Media statistics"), columns, rows_fn, total=None)

- `columns`: a sequence of `(title, kind)` pairs (or objects with `.title` and `.kind`);
  the titles are already translated. Kinds (`KINDS`): text, int, number, money (¥, two
  decimals), percent (a fraction: 0.25 is 25 %), date, datetime, duration (seconds or a
  timedelta, shown as h:mm:ss).
- `rows_fn`: a callable returning an iterable of row tuples (a generator that fetches page
  by page from a service is the usual one). It is called and iterated on a worker thread,
  never on the GUI thread, so it may wait on the database.
- `total`: the row count when known (the progress bar shows a percentage), else None.

The user picks the file (the last folder is remembered), a progress dialog counts the rows
written and can cancel, and the result is said in words. The returned `ExcelExport` has
signals for a panel or a test: `succeeded(path, rows)`, `failed(message)`, `cancelled()`,
and `finished()` after any of them. It is a child of `parent`; with no parent, keep a
reference to it until `finished`.

The writer itself, `write_xlsx(path, columns, rows, ...)`, needs no Qt: openpyxl's
write-only mode (constant memory), a bold frozen header row, column widths from the header
and the first `WIDTH_SAMPLE` rows, and text that Excel would take for a formula (= + - @)
kept as text. It writes to a hidden temporary file in the target folder and renames it at
the end: a cancelled or failed export leaves no file behind, and an older file of the same
name stays untouched until the new one is complete.
"""
from __future__ import annotations

import datetime as dt
import decimal
import itertools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from agent_app.config import home
from agent_app.xlsx import FORMULA_START, keep_text

log = logging.getLogger(__name__)

KINDS = ("text", "int", "number", "money", "percent", "date", "datetime", "duration")
NUMBER_FORMATS = {"number": "#,##0.00", "money": '"¥"#,##0.00', "percent": "0.0%"}
# Kinds written as bare values, which cost half the time of a styled cell: openpyxl gives
# dates yyyy-mm-dd, times yyyy-mm-dd h:mm:ss and durations [hh]:mm:ss, and whole numbers
# need no format.
PLAIN = ("int", "date", "datetime", "duration")
WIDTH_SAMPLE = 200  # rows held back to size the columns (write-only sheets size them first)
PROGRESS_EVERY = 500  # rows between two progress reports
MAX_WIDTH = 60
_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")


class ExportCancelled(Exception):
    """The user cancelled; the partial file has been removed."""


def column_pairs(columns: Sequence) -> list[tuple[str, str]]:
    """`(title, kind)` pairs from pairs or from objects with `.title` and `.kind`; an
    unknown kind is refused before anything is written."""
    pairs = []
    for c in columns:
        title, kind = (c.title, c.kind) if hasattr(c, "kind") else c
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r} for {title!r}; one of {KINDS}")
        pairs.append((str(title), kind))
    return pairs


def local_naive(value: dt.datetime) -> dt.datetime:
    """Stored times are UTC (naive on SQLite), as the screens read them
    (ui/call/common.local_time); Excel holds no zone, so the workstation's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().replace(tzinfo=None)


def cell_value(kind: str, value):
    """The value as Excel should hold it: numbers as numbers, dates as dates, and None for
    an empty cell. Anything that does not fit its column's kind is written as text."""
    if value is None or value == "":
        return None
    if kind in ("int", "number", "money", "percent") and isinstance(
            value, int | float | decimal.Decimal) and not isinstance(value, bool):
        return value
    if kind == "duration":
        if isinstance(value, dt.timedelta):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.timedelta(seconds=value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return local_naive(value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return local_naive(value).date()
        if isinstance(value, dt.date):
            return value
    return _ILLEGAL_XML.sub("", str(value))


def display_width(text: str) -> int:
    """Columns a text needs: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _shown(kind: str, value) -> str:
    if isinstance(value, dt.datetime):
        return "0000-00-00 00:00:00"
    if isinstance(value, dt.date):
        return "0000-00-00"
    if isinstance(value, dt.timedelta):
        return "000:00:00"
    if kind in ("money", "number") and not isinstance(value, str):
        return f"¥{value:,.2f}"
    return str(value)


def write_xlsx(path: str | os.PathLike, columns: Sequence, rows: Iterable[Sequence], *,
               sheet_title: str = "", cancel: threading.Event | None = None,
               progress: Callable[[int], None] | None = None,
               record: Callable[[int], None] | None = None) -> int:
    """Write the rows to an .xlsx at `path`; returns the number of rows written.

    Raises ExportCancelled when `cancel` is set, and whatever `rows` raises; either way no
    file is left at `path` or beside it. `progress(n)` is called every PROGRESS_EVERY rows
    from the writing thread. `record(n)` (the export's audit, ExportService.record) is
    called once the rows are written and before the file is put in place: if it raises,
    no file appears.
    """
    from openpyxl import Workbook  # only exports need it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = column_pairs(columns)
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".~{target.stem}.", suffix=".xlsx.part",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(sheet_title))
    try:
        it = iter(rows)
        sample = list(itertools.islice(it, WIDTH_SAMPLE))
        widths = [display_width(title) for title, _kind in cols]
        for row in sample:
            for i, ((_t, kind), value) in enumerate(zip(cols, row, strict=False)):
                v = cell_value(kind, value)
                if v is not None:
                    widths[i] = max(widths[i], display_width(_shown(kind, v)))
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, w + 2)
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for title, _kind in cols:
            c = WriteOnlyCell(ws, _ILLEGAL_XML.sub("", title))
            c.font = bold
            _keep_text(c)
            header.append(c)
        ws.append(header)
        n = 0
        for row in itertools.chain(sample, it):
            if cancel is not None and cancel.is_set():
                raise ExportCancelled()
            ws.append([_cell(ws, kind, value) for (_t, kind), value in zip(cols, row, strict=False)])
            n += 1
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
        if cancel is not None and cancel.is_set():
            raise ExportCancelled()
        wb.save(tmp)
        if record is not None:
            record(n)
        os.replace(tmp, target)
        return n
    except BaseException:
        _abandon(ws)
        tmp.unlink(missing_ok=True)
        raise


def _abandon(ws) -> None:
    """Close a write-only sheet left half written and remove its scratch file: openpyxl
    streams the rows to a file in the system's temporary folder and would otherwise keep
    it until the program exits (and finish the sheet later, from the garbage collector)."""
    try:
        ws.close()
    except Exception:  # noqa: BLE001 - the export has failed already; this only tidies
        log.debug("closing the abandoned sheet failed", exc_info=True)
    writer = getattr(ws, "_writer", None)
    if writer is not None and isinstance(writer.out, str):
        Path(writer.out).unlink(missing_ok=True)


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet name and more than 31 characters."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31]
    return cleaned or "Sheet1"


def _cell(ws, kind: str, value):
    from openpyxl.cell import WriteOnlyCell

    v = cell_value(kind, value)
    if isinstance(v, str):
        if not v.startswith(FORMULA_START):
            return v
        c = WriteOnlyCell(ws, v)
        _keep_text(c)
        return c
    if kind in PLAIN or v is None:
        return v  # openpyxl gives dates and durations their own formats; ints need none
    c = WriteOnlyCell(ws, v)
    c.number_format = NUMBER_FORMATS[kind]
    return c


def _keep_text(c) -> None:
    """A text Excel would evaluate (a customer named "=HYPERLINK(...)") stays text: the
    core's one rule (agent_app/xlsx.py), shared with the services' own exports."""
    keep_text(c)


# -- the Qt side ------------------------------------------------------------------------------
def _settings() -> QSettings:
    return QSettings(str(home() / "ui-state.ini"), QSettings.Format.IniFormat)


def last_folder() -> str:
    """The folder of the last export, or the user's home folder."""
    folder = _settings().value("export/last_folder", "", str)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def remember_folder(folder: str | os.PathLike) -> None:
    s = _settings()
    s.setValue("export/last_folder", str(folder))
    s.sync()


class ExportJob(QObject):
    """One export on its own thread. Signals arrive on the GUI thread (queued)."""

    progressed = Signal(int)
    succeeded = Signal(str, int)
    failed = Signal(str)
    cancelled = Signal()

    _running: set[ExportJob] = set()  # a job outlives its caller's references until it ends

    def __init__(self, path: str | os.PathLike, columns: Sequence,
                 rows_fn: Callable[[], Iterable[Sequence]], *, sheet_title: str = "",
                 parent: QObject | None = None, check: Callable[[], None] | None = None,
                 record: Callable[[int], None] | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.columns = column_pairs(columns)
        self.rows_fn = rows_fn
        self.sheet_title = sheet_title
        self.check, self.record = check, record
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ExportJob._running.add(self)
        self._thread = threading.Thread(target=self._run, name="xlsx-export", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def _run(self) -> None:
        try:
            if self.check is not None:  # the permission, before any row is read
                self.check()
            n = write_xlsx(self.path, self.columns, self.rows_fn(), sheet_title=self.sheet_title,
                           cancel=self._cancel, progress=self.progressed.emit,
                           record=self.record)
        except ExportCancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - said to the user; the file is removed
            log.warning("export to %s failed", self.path, exc_info=True)
            self.failed.emit(_failure_text(exc))
        else:
            self.succeeded.emit(str(self.path), n)
        finally:
            ExportJob._running.discard(self)


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    from ui.errors import error_text, known_error

    known = known_error(exc)
    return error_text(known) if known is not None else f"{type(exc).__name__}: {exc}"


class ExcelExport(QObject):
    """Asks for the file, runs the ExportJob under a progress dialog, says how it ended.

    `message` holds the last result in words; `box` is the message box that shows it.
    """

    succeeded = Signal(str, int)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, parent: QWidget | None, title: str, columns: Sequence,
                 rows_fn: Callable[[], Iterable[Sequence]], *, total: int | None = None,
                 file_name: str | None = None, check: Callable[[], None] | None = None,
                 record: Callable[[int], None] | None = None) -> None:
        super().__init__(parent)
        self.check, self.record = check, record
        self.parent_widget = parent
        self.title = title
        self.columns = column_pairs(columns)
        self.rows_fn = rows_fn
        self.total = total
        self.file_name = file_name or f"{title}-{dt.date.today():%Y%m%d}.xlsx"
        self.dialog: QFileDialog | None = None
        self.progress: QProgressDialog | None = None
        self.box: QMessageBox | None = None
        self.job: ExportJob | None = None
        self.message = ""

    def ask(self) -> QFileDialog:
        """Open the save dialog (open(), never a nested event loop)."""
        dlg = QFileDialog(self.parent_widget, self.tr("Export to Excel"))
        dlg.setObjectName("kitExportDialog")
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setNameFilter(self.tr("Excel workbook (*.xlsx)"))
        dlg.setDefaultSuffix("xlsx")
        dlg.setDirectory(last_folder())
        dlg.selectFile(_safe_file_name(self.file_name))
        dlg.fileSelected.connect(self.start)
        self.dialog = dlg
        dlg.open()
        return dlg

    def start(self, path: str) -> ExportJob:
        """Export to `path` now (the save dialog calls this)."""
        target = Path(path)
        remember_folder(target.parent)
        job = ExportJob(target, self.columns, self.rows_fn, sheet_title=self.title, parent=self,
                        check=self.check, record=self.record)
        progress = QProgressDialog(self.parent_widget)
        progress.setObjectName("kitExportProgress")
        progress.setWindowTitle(self.tr("Export to Excel"))
        progress.setLabelText(self.tr("Preparing {name}…").format(name=target.name))
        progress.setCancelButtonText(self.tr("Cancel"))
        progress.setRange(0, self.total or 0)  # 0..0: busy bar while the count is unknown
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setMinimumDuration(0)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.canceled.connect(job.cancel)
        progress.canceled.connect(self._cancelling)
        job.progressed.connect(self._progressed)
        job.succeeded.connect(self._succeeded)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        self.job, self.progress = job, progress
        progress.show()
        job.start()
        return job

    def _progressed(self, n: int) -> None:
        progress = self.progress
        if progress is None:
            return
        if self.total:
            # a window-modal QProgressDialog processes events inside setValue(): the job's
            # end may be handled right there and the dialog closed (self.progress = None)
            progress.setValue(min(n, self.total))
            if self.progress is not progress:
                return
        progress.setLabelText(self.tr("%n row(s) written…", "", n))

    def _cancelling(self) -> None:
        if self.progress is not None:
            self.progress.setLabelText(self.tr("Cancelling…"))

    def _succeeded(self, path: str, n: int) -> None:
        self._end(self.tr("%n row(s) exported to {path}.", "", n).format(path=path), False)
        self.succeeded.emit(path, n)
        self.finished.emit()

    def _failed(self, error: str) -> None:
        self._end(self.tr("The export failed: {error}. No file was written.").format(
            error=error), True)
        self.failed.emit(error)
        self.finished.emit()

    def _cancelled(self) -> None:
        self._end(self.tr("The export was cancelled. No file was written."), False)
        self.cancelled.emit()
        self.finished.emit()

    def _end(self, text: str, warning: bool) -> None:
        self.message = text
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        box = QMessageBox(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information,
                          self.tr("Export to Excel"), text, QMessageBox.StandardButton.Ok,
                          self.parent_widget)
        box.setObjectName("kitExportResult")
        self.box = box
        box.open()


def _safe_file_name(name: str) -> str:
    return re.sub(r'[<>:"/\\|?*]', "_", name)


def export_rows(parent: QWidget | None, title: str, columns: Sequence,
                rows_fn: Callable[[], Iterable[Sequence]], *, total: int | None = None,
                file_name: str | None = None, check: Callable[[], None] | None = None,
                record: Callable[[int], None] | None = None) -> ExcelExport:
    """Ask for a file name and export the rows there (see the module's docstring).
    `check()` runs on the worker before any row is read (the service's permission check);
    `record(n)` after the rows are written, before the file appears (the audit)."""
    export = ExcelExport(parent, title, columns, rows_fn, total=total, file_name=file_name,
                         check=check, record=record)
    export.ask()
    return export
