"""Print preview and PDF of a report's table.

    print_preview(parent, self.tr("Media statistics"), filters_text, columns, rows,
                  totals=None)                       # QPrintPreviewDialog, opened with open()
    save_pdf(path, title, filters_text, columns, rows, totals=None)  # returns the page count

`columns` are `(title, kind)` pairs as for ui/kit/export.py (titles already translated;
kinds: text, int, number, money, percent, date, datetime, duration); `rows` a sequence of
row tuples; `totals` an optional last row printed in bold (None cells stay empty).

The page: the title, the filter line (what the report was asked for), then the table, whose
header row is repeated at the top of every page; a footer "Page i of n". Numbers are
right-aligned, money as ¥1,234.50, times in the workstation's zone. The document is laid out
at 96 dpi and scaled to the printer, so a preview, a paper printer and a PDF look alike, and
its font is a CJK family (ui/fonts.py) so Chinese is drawn with real glyphs.

The layout runs on the GUI thread: meant for report tables (hundreds of rows, a few
thousand at most); a long list goes to Excel.
"""
from __future__ import annotations

import datetime as dt
import decimal
import html
import os
from collections.abc import Sequence

from PySide6.QtCore import QMarginsF, QObject, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QTextDocument,
    QTextOption,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from ui.fonts import cjk_family
from ui.kit.export import column_pairs, local_naive

DOC_DPI = 96
FOOTER_PT = 14  # room under the table for the page number, in points
NUMERIC = ("int", "number", "money", "percent", "duration")
LANDSCAPE_FROM = 7  # columns from which the page is turned


def display_text(kind: str, value) -> str:
    """A cell as the printed table shows it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if kind == "money" and isinstance(value, int | float | decimal.Decimal):
        return f"¥{value:,.2f}"
    if kind == "number" and isinstance(value, int | float | decimal.Decimal):
        return f"{value:,.2f}"
    if kind == "percent" and isinstance(value, int | float | decimal.Decimal):
        return f"{float(value) * 100:.1f}%"
    if kind == "duration" and isinstance(value, int | float | dt.timedelta):
        seconds = int(value.total_seconds() if isinstance(value, dt.timedelta) else value)
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if kind == "datetime" and isinstance(value, dt.datetime):
        return local_naive(value).strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, dt.datetime):
        return local_naive(value).strftime("%Y-%m-%d")
    if kind == "date" and isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def table_html(title: str, filters_text: str, columns: Sequence, rows: Sequence[Sequence],
               totals: Sequence | None = None) -> str:
    """The page as HTML; the header row is a <thead>, which QTextDocument repeats on every
    page."""
    cols = column_pairs(columns)
    esc = html.escape

    def cells(row, tag: str, bold: bool = False) -> str:
        out = []
        for (_t, kind), value in zip(cols, row, strict=False):
            align = "right" if kind in NUMERIC else "left"
            text = esc(display_text(kind, value))
            out.append(f'<{tag} align="{align}">{"<b>" + text + "</b>" if bold else text}</{tag}>')
        return "".join(out)

    head = "".join(f'<th align="{"right" if k in NUMERIC else "left"}">{esc(t)}</th>'
                   for t, k in cols)
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    if totals is not None:
        body += f'<tr bgcolor="#eef2f7">{cells(totals, "td", bold=True)}</tr>'
    filters = f'<p style="color:#444">{esc(filters_text)}</p>' if filters_text else ""
    return (f'<h2 align="center">{esc(title)}</h2>{filters}'
            '<table border="1" cellspacing="0" cellpadding="3" width="100%" '
            'style="border-collapse:collapse; border-color:#888">'
            f'<thead><tr bgcolor="#dde4ee">{head}</tr></thead><tbody>{body}</tbody></table>')


class TableReport(QObject):
    """One printable table: `document()`, `paint(printer)`, `save_pdf(path)`,
    `preview(parent)`."""

    def __init__(self, title: str, filters_text: str, columns: Sequence,
                 rows: Sequence[Sequence], *, totals: Sequence | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.filters_text = filters_text
        self.columns = column_pairs(columns)
        self.rows = rows
        self.totals = totals
        self.pages = 0  # of the last paint
        # a fixed 96 dpi device: the layout does not depend on the screen it was made on
        self._dpi_device = QImage(1, 1, QImage.Format.Format_RGB32)
        self._dpi_device.setDotsPerMeterX(round(DOC_DPI / 0.0254))
        self._dpi_device.setDotsPerMeterY(round(DOC_DPI / 0.0254))

    def document(self) -> QTextDocument:
        return self._text_document(table_html(self.title, self.filters_text, self.columns,
                                              self.rows, self.totals))

    def _text_document(self, body: str) -> QTextDocument:
        doc = QTextDocument(self)
        doc.documentLayout().setPaintDevice(self._dpi_device)
        font = QFont()
        family = cjk_family()
        if family:
            font.setFamilies([family, *font.families()])
        font.setPointSizeF(9)
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(body)
        return doc

    def setup(self, printer: QPrinter) -> None:
        """A4, turned when the table is wide, 12 mm margins."""
        orientation = (QPageLayout.Orientation.Landscape if len(self.columns) >= LANDSCAPE_FROM
                       else QPageLayout.Orientation.Portrait)
        printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation,
                                          QMarginsF(12, 12, 12, 12),
                                          QPageLayout.Unit.Millimeter))
        printer.setDocName(self.title)

    def paint(self, printer: QPrinter) -> int:
        """Lay the table out on the printer's pages and paint them; returns the count."""
        doc = self.document()
        scale = printer.resolution() / DOC_DPI
        rect = printer.pageLayout().paintRectPixels(printer.resolution())
        footer = FOOTER_PT * DOC_DPI / 72
        width, height = rect.width() / scale, rect.height() / scale - footer
        doc.setPageSize(QSizeF(width, height))
        pages = doc.pageCount()
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError(self.tr("The printer could not be opened."))
        try:
            for i in range(pages):
                if i:
                    printer.newPage()
                painter.save()
                painter.scale(scale, scale)
                painter.translate(0, -i * height)
                doc.drawContents(painter, QRectF(0, i * height, width, height))
                painter.restore()
                foot = self._text_document(html.escape(self.tr("Page {page} of {pages}").format(
                    page=i + 1, pages=pages)))
                foot.setTextWidth(width)
                foot.setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignRight))
                painter.save()
                painter.scale(scale, scale)
                painter.translate(0, height + footer - foot.size().height())
                foot.drawContents(painter)
                painter.restore()
        finally:
            painter.end()
        self.pages = pages
        return pages

    def save_pdf(self, path: str | os.PathLike) -> int:
        """Write the PDF; returns its page count."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        self.setup(printer)
        return self.paint(printer)

    def preview(self, parent: QWidget | None) -> QPrintPreviewDialog:
        """The print preview (its print button prints); opened with open()."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.setup(printer)
        dlg = QPrintPreviewDialog(printer, parent)
        dlg.setObjectName("kitPrintPreview")
        dlg.setWindowTitle(self.tr("Print preview: {title}").format(title=self.title))
        dlg.paintRequested.connect(self.paint)
        dlg._report = self  # the dialog owns what it paints
        dlg._printer = printer
        dlg.resize(900, 700)
        dlg.open()
        return dlg


def print_preview(parent: QWidget | None, title: str, filters_text: str, columns: Sequence,
                  rows: Sequence[Sequence], *, totals: Sequence | None = None
                  ) -> QPrintPreviewDialog:
    """Open a print preview of the table (see the module's docstring)."""
    return TableReport(title, filters_text, columns, rows, totals=totals).preview(parent)


def save_pdf(path: str | os.PathLike, title: str, filters_text: str, columns: Sequence,
             rows: Sequence[Sequence], *, totals: Sequence | None = None) -> int:
    """Write the table as a PDF at `path`; returns the page count."""
    return TableReport(title, filters_text, columns, rows, totals=totals).save_pdf(path)
