"""出库打印: labels and delivery slips painted from agent_app/labels.py's templates.

One painter serves the print preview, a chosen printer and a PDF, so what the clerk
previews is what the printer and the PDF get. Coordinates are millimetres of the template's
paper: a thermal label of 76×130 or 100×150 mm ("label" layout) or a slip on A5/A4
("slip"). Bars are filled rectangles, so the barcode stays sharp at any resolution; the
template's offset for the printer shifts everything, for printers that feed a little off.

A PDF is written by QPdfWriter, which Qt lets paint on a worker thread: 500 labels do
not hold up the window. Printing on paper and the preview stay on the GUI thread (Qt's
rule for QPrinter on a real printer), and labels are a few ms each.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from agent_app.errors import ValidationError
from agent_app.labels import LabelData, Template, code128_modules, label_data
from ui.errors import error_text
from ui.fonts import cjk_family

QUIET_MM = 3.0       # blank space either side of a barcode, which scanners need


@dataclass(frozen=True)
class Prepared:
    labels: list[tuple[int, LabelData]]     # (order id, what its label shows)
    bad: list[tuple[str, str]]              # (order number, why it cannot be printed)


def prepare(rows: Sequence) -> Prepared:
    """Every row that can be printed, and the others with their reason (in the user's
    language): a batch never stops at one bad order."""
    good, bad = [], []
    for row in rows:
        try:
            good.append((row.id, label_data(row)))
        except ValidationError as exc:
            bad.append((row.order_no, error_text(exc)))
    return Prepared(good, bad)


def page_layout(t: Template) -> QPageLayout:
    size = QPageSize(QSizeF(t.width_mm, t.height_mm), QPageSize.Unit.Millimeter, t.title,
                     QPageSize.SizeMatchPolicy.ExactMatch)
    return QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                       QPageLayout.Unit.Millimeter)


Item = tuple[Template, LabelData]


class LabelPainter:
    """Paints labels on any paged device (QPrinter, QPdfWriter), each in its own
    template's millimetres and paper: a selection of EMS and local-delivery orders prints
    each on its class's label in one job."""

    def __init__(self, printer_name: str = "", texts: dict[str, str] | None = None) -> None:
        self.printer_name = printer_name
        self.t: Template | None = None
        self.family = cjk_family() or QFont().family()
        # the words printed on the label, translated by the caller (zh_CN on a Chinese desk)
        self.texts = {"to": "收", "from": "寄", "cod": "代收货款", "prepaid": "已付款",
                      "goods": "物品", "sign": "签收人", "date": "日期", "trial": "试单",
                      "order": "单号", "slip": "送货单", "requirements": "送货要求",
                      "classes": "A:EMS B:本地送货 C:邮寄 D:其它"} | (texts or {})

    def paint(self, device: QPagedPaintDevice, items: Sequence[Item]) -> int:
        if not items:
            return 0
        first = page_layout(items[0][0])
        if not device.pageLayout().isEquivalentTo(first):   # (a printer's job is set already)
            device.setPageLayout(first)
        painter = QPainter()
        if not painter.begin(device):
            raise OSError("the printer could not be opened")
        try:
            dpmm = device.resolution() / 25.4
            for i, (template, data) in enumerate(items):
                if i:
                    if template is not items[i - 1][0]:   # the next paper, before its page
                        device.setPageLayout(page_layout(template))
                    device.newPage()
                self.t = template
                painter.save()
                painter.scale(dpmm, dpmm)       # from here on, millimetres
                painter.translate(*template.offset_for(self.printer_name))
                if template.layout == "label":
                    self._label(painter, data)
                else:
                    self._slip(painter, data)
                painter.restore()
        finally:
            painter.end()
        return len(items)

    # -- pieces ----------------------------------------------------------------------------------
    def _font(self, painter: QPainter, size_mm: float, bold: bool = False) -> None:
        f = QFont(self.family)
        # a pixel size in mm units: painter.scale() made one unit a millimetre. Qt rounds
        # pixel sizes to whole units, so the size is set 10× and the painter scaled back.
        f.setPixelSize(max(1, round(size_mm * 10)))
        f.setBold(bold)
        painter.setFont(f)

    def _text(self, painter: QPainter, rect: QRectF, text: str, size_mm: float,
              bold: bool = False, flags=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
              wrap: bool = True) -> None:
        self._font(painter, size_mm, bold)
        painter.save()
        painter.scale(0.1, 0.1)
        r = QRectF(rect.x() * 10, rect.y() * 10, rect.width() * 10, rect.height() * 10)
        f = flags | (Qt.TextFlag.TextWordWrap if wrap else 0)
        painter.drawText(r, f, text)
        painter.restore()

    @staticmethod
    def _barcode(painter: QPainter, rect: QRectF, number: str) -> None:
        modules = code128_modules(number)
        width = rect.width() - 2 * QUIET_MM
        step = width / len(modules)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("black"))
        x0 = rect.x() + QUIET_MM
        i = 0
        while i < len(modules):       # one rectangle per bar, however many modules wide
            if modules[i] == "1":
                j = i
                while j < len(modules) and modules[j] == "1":
                    j += 1
                painter.drawRect(QRectF(x0 + i * step, rect.y(), (j - i) * step, rect.height()))
                i = j
            else:
                i += 1
        painter.restore()

    @staticmethod
    def _line(painter: QPainter, y: float, x1: float, x2: float, dashed: bool = False) -> None:
        pen = QPen(QColor("black"), 0.25)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(x1, y), QPointF(x2, y))

    # -- a courier's thermal label -----------------------------------------------------------------
    def _label(self, p: QPainter, d: LabelData) -> None:
        w, h = self.t.width_mm, self.t.height_mm
        k = h / 130.0            # the 76×130 layout, stretched to the paper's height
        m = 2.5
        tx = self.texts
        self._text(p, QRectF(m, m, w / 2, 6 * k), d.delivery_method + "  " + d.region, 4 * k,
                   True, wrap=False)
        tag = tx["cod"] if d.cod_amount else tx["prepaid"]
        self._text(p, QRectF(w / 2, m, w / 2 - m, 6 * k), tag + (f"  {tx['trial']}" if d.trial
                                                                  else ""),
                   4 * k, True, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, False)
        self._line(p, 9 * k, 0, w)
        self._barcode(p, QRectF(m, 11 * k, w - 2 * m, 15 * k), d.number)
        self._text(p, QRectF(m, 26.5 * k, w - 2 * m, 5 * k), d.number, 3.6 * k, True,
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, False)
        self._line(p, 32 * k, 0, w)
        self._text(p, QRectF(m, 33.5 * k, 7, 6 * k), tx["to"], 5 * k, True, wrap=False)
        self._text(p, QRectF(m + 8, 33.5 * k, w - 2 * m - 8, 6 * k),
                   f"{d.recipient}  {d.phone}", 4.6 * k, True, wrap=False)
        self._text(p, QRectF(m + 8, 40.5 * k, w - 2 * m - 8, 14 * k), d.address, 3.8 * k)
        self._line(p, 56 * k, 0, w)
        if d.cod_amount:            # the amount the courier collects, printed large
            self._text(p, QRectF(m, 57 * k, w - 2 * m, 5 * k), tx["cod"], 3.4 * k)
            self._text(p, QRectF(m, 61 * k, w - 2 * m, 11 * k), d.cod_amount, 9 * k, True,
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, False)
        else:
            self._text(p, QRectF(m, 57 * k, w - 2 * m, 15 * k), tx["prepaid"], 6 * k, True,
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, False)
        self._line(p, 73 * k, 0, w)
        goods = f"{tx['goods']}: {d.goods}"
        if d.requirements:
            goods += f"\n{tx['requirements']}: {d.requirements}"
        self._text(p, QRectF(m, 74.5 * k, w - 2 * m, 15 * k), goods, 3.2 * k)
        self._line(p, 90.5 * k, 0, w)
        s = self.t.sender
        self._text(p, QRectF(m, 91.5 * k, 7, 5 * k), tx["from"], 4 * k, True, wrap=False)
        self._text(p, QRectF(m + 8, 91.5 * k, w - 2 * m - 8, 10 * k),
                   f"{s.get('name', '')}  {s.get('phone', '')}\n{s.get('address', '')}", 2.8 * k)
        self._line(p, 103 * k, 0, w, dashed=True)     # the sign-off stub tears off here
        self._barcode(p, QRectF(m, 105 * k, w * 0.62, 9 * k), d.number)
        self._text(p, QRectF(m, 114.5 * k, w * 0.62, 4 * k), d.number, 2.8 * k, False,
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, False)
        self._text(p, QRectF(w * 0.66, 105 * k, w * 0.34 - m, 14 * k),
                   f"{tx['order']}\n{d.order_no}", 2.8 * k)
        self._text(p, QRectF(m, 120 * k, w - 2 * m, 8 * k),
                   f"{tx['sign']}: ____________  {tx['date']}: ________", 3 * k, wrap=False)

    # -- a delivery slip on A5/A4 paper --------------------------------------------------------------
    def _slip(self, p: QPainter, d: LabelData) -> None:
        w = self.t.width_mm
        m = 10.0
        tx = self.texts
        self._text(p, QRectF(m, m, w / 2, 10), tx["slip"], 7, True, wrap=False)
        self._barcode(p, QRectF(w - m - 70, m, 70, 14), d.number)
        self._text(p, QRectF(w - m - 70, m + 14.5, 70, 5), d.number, 3.5, True,
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, False)
        y = m + 24
        self._line(p, y, m, w - m)
        rows = [(tx["order"], d.order_no), (tx["to"], f"{d.recipient}  {d.phone}"),
                ("", d.address), (tx["goods"], d.goods),
                (tx["requirements"], d.requirements or "-"),
                (tx["cod"] if d.cod_amount else tx["prepaid"], d.cod_amount or "")]
        for label, value in rows:
            self._text(p, QRectF(m, y + 2, 28, 8), label, 4, True, wrap=False)
            self._text(p, QRectF(m + 30, y + 2, w - 2 * m - 30, 16), value,
                       6 if label == tx["cod"] else 4, label == tx["cod"])
            y += 18 if label in (tx["goods"], "") else 11
            self._line(p, y, m, w - m)
        s = self.t.sender
        self._text(p, QRectF(m, y + 3, w - 2 * m, 14),
                   f"{tx['from']}: {s.get('name', '')}  {s.get('phone', '')}  "
                   f"{s.get('address', '')}", 3.5)
        self._text(p, QRectF(m, y + 20, w - 2 * m, 8),
                   f"{tx['sign']}: ________________   {tx['date']}: ____________", 4,
                   wrap=False)


def write_pdf(path: str | os.PathLike, items: Sequence[Item],
              texts: dict[str, str] | None = None) -> int:
    """The labels as a PDF, one per page at its template's paper size; the page count.
    Safe on a worker thread. Written beside the target and renamed, so a failure leaves
    no half file."""
    target = os.fspath(path)
    part = target + ".part"
    writer = QPdfWriter(part)
    writer.setResolution(600)     # bars placed to 0.04 mm
    writer.setTitle(os.path.basename(target))
    try:
        n = LabelPainter("PDF", texts).paint(writer, items)
        del writer                # the file is complete once the writer is gone
        os.replace(part, target)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    return n
