"""Excel cells that stay what they are: the one rule every .xlsx written by the program
follows (the desk's kit, ui/kit/export.py, and the services' own exports).

A text cell starting with = + - @ (or a tab or carriage return, which some programs strip
before they look) is evaluated by Excel, LibreOffice and WPS as a formula: a customer
named `=HYPERLINK("http://x","点此")` would become a live link in the supervisor's sheet.
Such text is written as a string cell (data type "s"), quote-prefixed so that editing it
in Excel keeps it text.
"""
from __future__ import annotations

import datetime as dt
import decimal
import itertools
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from agent_app.errors import SheetFull

log = logging.getLogger(__name__)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def keep_text(cell) -> None:
    """Make an openpyxl cell holding formula-like text a plain string cell."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def text_safe(ws, value):
    """`value` for ws.append() on a write-only sheet: itself, or a string cell when it is
    text Excel would take for a formula."""
    if not (isinstance(value, str) and value.startswith(FORMULA_START)):
        return value
    from openpyxl.cell import WriteOnlyCell  # only exports need it

    c = WriteOnlyCell(ws, value)
    keep_text(c)
    return c


# -- the writer of every export (the desk's kit and agent-admin) ---------------------------
KINDS = ("text", "int", "number", "money", "percent", "date", "datetime", "duration")
NUMBER_FORMATS = {"number": "#,##0.00", "money": '"¥"#,##0.00', "percent": "0.0%"}
# Dates and times are numbers in Excel: without a format they would show as 46,000.35.
DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss",
                "duration": "[hh]:mm:ss"}
EXCEL_ROWS = 1_048_576  # a sheet's last row: past it a row would be dropped without a word
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
        # NaN or infinity: no figure, an empty cell (Excel has no such number, and
        # xlsxwriter would refuse it, ending the whole export)
        return value if isinstance(value, int) or math.isfinite(value) else None
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
               record: Callable[[int], None] | None = None,
               title_row: str = "") -> int:
    """Write the rows to an .xlsx at `path`; returns the number of rows written.

    `title_row`: a line above the header (a report's title and period, 统计分析's 带标题
    export); none by default, so the sheet's first row is the header, as a program
    reading it back expects.

    Raises ExportCancelled when `cancel` is set, SheetFull past Excel's last row, and
    whatever `rows` raises; either way no file is left at `path` or beside it.
    `progress(n)` is called every PROGRESS_EVERY rows from the writing thread. `record(n)`
    (the export's audit, ExportService.record) is called once the rows are written and
    before the file is put in place: if it raises, no file appears.

    xlsxwriter in constant_memory mode: each row goes to a scratch file as it is written,
    so memory stays flat however many rows (openpyxl's write-only sheet took 293 MB and
    23 s for a 86,681-row order export; this writer about 2.5 times faster per cell).
    """
    import xlsxwriter  # only exports need it

    cols = column_pairs(columns)
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".~{target.stem}.", suffix=".xlsx.part",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # Text is only ever written by write_string: nothing the user typed becomes a formula,
    # a link or a number.
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet(_sheet_title(sheet_title))
    try:
        it = iter(rows)
        sample = list(itertools.islice(it, WIDTH_SAMPLE))
        widths = [display_width(title) for title, _kind in cols]
        for row in sample:
            for i, ((_t, kind), value) in enumerate(zip(cols, row, strict=False)):
                v = cell_value(kind, value)
                if v is not None:
                    widths[i] = max(widths[i], display_width(_shown(kind, v)))
        for i, w in enumerate(widths):
            ws.set_column(i, i, min(MAX_WIDTH, w + 2))
        r = 0
        if title_row:
            ws.write_string(r, 0, _ILLEGAL_XML.sub("", title_row),
                            wb.add_format({"bold": True, "font_size": 14}))
            r += 1
        bold = wb.add_format({"bold": True})
        for i, (title, _kind) in enumerate(cols):
            ws.write_string(r, i, _ILLEGAL_XML.sub("", title), bold)
        r += 1
        ws.freeze_panes(r, 0)
        writers = [_column_writer(wb, ws, kind) for _title, kind in cols]
        n = 0
        for row in itertools.chain(sample, it):
            if cancel is not None and cancel.is_set():
                raise ExportCancelled()
            if r >= EXCEL_ROWS:
                raise SheetFull(rows=f"{n:,}")  # n: the rows below the header
            for c, (write, value) in enumerate(zip(writers, row, strict=False)):
                write(r, c, value)
            r += 1
            n += 1
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
        if cancel is not None and cancel.is_set():
            raise ExportCancelled()
        wb.close()
        if record is not None:
            record(n)
        os.replace(tmp, target)
        return n
    except BaseException:
        _abandon(ws)
        tmp.unlink(missing_ok=True)
        raise


def _column_writer(wb, ws, kind: str) -> Callable[[int, int, object], None]:
    """The function that writes one value of a `kind` column at (row, col): typed as
    cell_value says, with the column's number format; text Excel would evaluate as a
    formula gets the quote prefix (Excel's own mark for "this is text")."""
    fmt = wb.add_format({"num_format": NUMBER_FORMATS[kind]}) if kind in NUMBER_FORMATS else None
    time_fmt = wb.add_format({"num_format": DATE_FORMATS[kind]}) if kind in DATE_FORMATS else None
    quoted = wb.add_format({"quote_prefix": True})
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime

    def write(row: int, col: int, value) -> None:
        v = cell_value(kind, value)
        if v is None:
            return
        if isinstance(v, str):
            if v.startswith(FORMULA_START):
                write_string(row, col, v, quoted)
            else:
                write_string(row, col, v)
        elif isinstance(v, dt.date | dt.timedelta):
            write_datetime(row, col, v, time_fmt)
        else:
            write_number(row, col, float(v) if isinstance(v, decimal.Decimal) else v, fmt)
    return write


def _abandon(ws) -> None:
    """Remove the scratch file of a sheet left half written: xlsxwriter streams the rows
    to a file in the system's temporary folder and only removes it when the workbook is
    closed, which a cancelled or failed export never does."""
    fh = getattr(ws, "row_data_fh", None)
    name = getattr(ws, "row_data_filename", None)
    try:
        if fh is not None:
            fh.close()
        if name:
            Path(name).unlink(missing_ok=True)
    except OSError:  # the export has failed already; this only tidies
        log.debug("removing the abandoned sheet's scratch file failed", exc_info=True)


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet name, an apostrophe at either end and more than
    31 characters."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'")[:31].strip()
    return cleaned or "Sheet1"
