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
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

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
               record: Callable[[int], None] | None = None,
               title_row: str = "") -> int:
    """Write the rows to an .xlsx at `path`; returns the number of rows written.

    `title_row`: a line above the header (a report's title and period, 统计分析's 带标题
    export); none by default, so the sheet's first row is the header, as a program
    reading it back expects.

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
        # (a write-only sheet writes its views with the first row: freeze first)
        ws.freeze_panes = "A3" if title_row else "A2"
        bold = Font(bold=True)
        if title_row:
            c = WriteOnlyCell(ws, _ILLEGAL_XML.sub("", title_row))
            c.font = Font(bold=True, size=14)
            _keep_text(c)
            ws.append([c])
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


