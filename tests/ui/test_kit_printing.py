"""ui/kit/printing.py: the PDF really holds the Chinese text in a CJK font, the header row
comes back on every page, the page footer, the preview paints, and cells print as read."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintPreviewWidget

from ui.fonts import cjk_family
from ui.kit import printing as P

FILTERS = "时间：2026-11-01 至 2026-11-30；媒体：电视广告"


def pdf_pages(path) -> tuple[QPdfDocument, list[str]]:
    doc = QPdfDocument()
    assert doc.load(str(path)) == QPdfDocument.Error.None_
    # Noto CJK maps some ideographs (广, 户) to the look-alike Kangxi radicals in the
    # PDF's text layer, NFKC folds those back (not 长: a radical supplement, U+2ED3)
    texts = [squash(doc.getAllText(i).text()) for i in range(doc.pageCount())]
    return doc, texts


def squash(text: str) -> str:
    """Text to compare with a PDF's text layer: pdfium breaks some pages' lines between
    any two glyphs, so whitespace is dropped on both sides."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_the_pdf_holds_the_chinese_text_on_every_page(qapp, english, tmp_path, report_columns,
                                                      report_rows):
    path = tmp_path / "媒体统计.pdf"
    totals = ("合计", sum(r[1] for r in report_rows), sum(r[2] for r in report_rows),
              None, None, None, None, None)
    pages = P.save_pdf(path, "媒体统计（电视广告）", FILTERS, report_columns, report_rows,
                       totals=totals)
    doc, texts = pdf_pages(path)
    assert pages == doc.pageCount() > 1
    assert squash("媒体统计（电视广告）") in texts[0] and squash(FILTERS) in texts[0]
    assert "华东" in texts[0] and "顾客0" in texts[0]
    for text in texts:
        assert "成交金额" in text and "登记时间" in text  # the header row, repeated
        # the footer; pdfium reads its digits back wrong, the rendering shows them right
        assert "Page" in text[-12:]
    assert "合计" in texts[-1] and "¥881,790.00" in texts[-1]
    assert "顾客119" in texts[-1]
    size = doc.pagePointSize(0)
    assert size.width() > size.height()  # eight columns: a landscape page


def test_the_pdf_embeds_the_cjk_font(qapp, tmp_path, report_columns):
    if cjk_family() is None:
        pytest.skip("no CJK font installed on this machine")
    path = tmp_path / "r.pdf"
    P.save_pdf(path, "区域统计", "", report_columns[:2], [("华东", 1)])
    data = path.read_bytes()
    family = cjk_family().replace(" ", "").encode()
    assert b"/BaseFont" in data and family.split(b"CJK")[0] in data


def test_a_rendered_page_has_ink_in_the_title_and_table(qapp, tmp_path, report_columns,
                                                        report_rows):
    path = tmp_path / "r.pdf"
    P.save_pdf(path, "媒体统计", FILTERS, report_columns, report_rows[:10])
    doc, _texts = pdf_pages(path)
    image = doc.render(0, QSize(842, 595))
    dark = sum(1 for y in range(0, 150, 2) for x in range(0, 842, 2)
               if QColor(image.pixel(x, y)).lightness() < 128)
    assert dark > 200  # the title, the filter line and the first rows are drawn


def test_a_short_table_is_one_portrait_page(qapp, tmp_path):
    path = tmp_path / "r.pdf"
    assert P.save_pdf(path, "区域", "", [("区域", "text"), ("进线", "int")],
                      [("华东", 3)]) == 1
    doc, texts = pdf_pages(path)
    assert doc.pagePointSize(0).height() > doc.pagePointSize(0).width()
    assert "华东" in texts[0]


def test_the_preview_paints_the_report(qtbot, report_columns, report_rows):
    dlg = P.print_preview(None, "媒体统计", FILTERS, report_columns, report_rows[:30])
    qtbot.addWidget(dlg)
    assert dlg.isVisible() and dlg.windowTitle() == "Print preview: 媒体统计"
    qtbot.waitUntil(lambda: dlg._report.pages > 0, timeout=10_000)
    preview = dlg.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: preview.pageCount() == dlg._report.pages == 2)


def test_cells_print_as_users_read_them():
    assert P.display_text("money", Decimal("1234.5")) == "¥1,234.50"
    assert P.display_text("percent", 0.125) == "12.5%"
    assert P.display_text("duration", 3725) == "1:02:05"
    assert P.display_text("duration", dt.timedelta(minutes=2)) == "0:02:00"
    assert P.display_text("date", dt.date(2026, 1, 2)) == "2026-01-02"
    assert P.display_text("int", None) == ""
    html = P.table_html("<t>", "", [("客户", "text")], [("<b>张三</b>",)])
    assert "&lt;b&gt;张三&lt;/b&gt;" in html and "&lt;t&gt;" in html and "<thead>" in html


def test_an_unknown_column_kind_is_refused(qapp, tmp_path):
    with pytest.raises(ValueError, match="unknown column kind"):
        P.save_pdf(tmp_path / "r.pdf", "t", "", [("金额", "currency")], [(1,)])
    assert not (tmp_path / "r.pdf").exists()
