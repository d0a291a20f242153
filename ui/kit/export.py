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

The writer itself, `write_xlsx(path, columns, rows, ...)`, needs no Qt: xlsxwriter's
constant_memory mode (rows stream to a scratch file), a bold frozen header row, column
widths from the header and the first `WIDTH_SAMPLE` rows, and text that Excel would take
for a formula (= + - @) kept as text. It writes to a hidden temporary file in the target
folder and renames it at the end: a cancelled or failed export leaves no file behind, and
an older file of the same name stays untouched until the new one is complete.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from agent_app.config import home
from agent_app.xlsx import (  # noqa: F401 - the writer is the core's; re-exported for the kit
    KINDS,
    PROGRESS_EVERY,
    ExportCancelled,
    cell_value,
    column_pairs,
    display_width,
    local_naive,
    write_xlsx,
)

log = logging.getLogger(__name__)



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
                 record: Callable[[int], None] | None = None, title_row: str = "") -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.title_row = title_row
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
                           record=self.record, title_row=self.title_row)
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
                 record: Callable[[int], None] | None = None, title_row: str = "") -> None:
        super().__init__(parent)
        self.check, self.record = check, record
        self.title_row = title_row
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
                        check=self.check, record=self.record, title_row=self.title_row)
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
                record: Callable[[int], None] | None = None,
                title_row: str = "") -> ExcelExport:
    """Ask for a file name and export the rows there (see the module's docstring).
    `check()` runs on the worker before any row is read (the service's permission check);
    `record(n)` after the rows are written, before the file appears (the audit)."""
    export = ExcelExport(parent, title, columns, rows_fn, total=total, file_name=file_name,
                         check=check, record=record, title_row=title_row)
    export.ask()
    return export
