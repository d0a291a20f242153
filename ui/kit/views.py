"""The one table-view factory: selection, sorting through a proxy, row height, and
header sizing that never clips a column's caption in either language.

    view = make_table_view(model, "customerTable", widths=(120, 90), sortable=True)

Each column gets at least the width its header text needs (font metrics, sort
indicator and margins) and, when the rows first arrive, room for its content up to a
cap; both are fitted again when the headers change (a language change re-sets them).
The content of the kit's own models is measured from their rows with the view's font
(`content_widths`), other models' through Qt's sizeHintForColumn.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from ui.kit.table import SORT_ROLE, TableModel

ROW_HEIGHT = 22
CONTENT_CAP = 320   # a long address or note does not push the other columns away
# Rows beyond the visible ones a column's content width is measured on. Qt's default,
# 1000, made fitting a 3,285-row report take 800 ms of the GUI thread (ten columns, a
# thousand rows each); the visible rows and 50 more take a few ms. A wider cell further
# down is elided, and the user can widen its column.
CONTENT_ROWS = 50
PADDING = 8


def _sampled_rows(view: QTableView) -> list[int]:
    """The rows Qt's sizeHintForColumn measures: those in view, then one above and one
    below in turn, until CONTENT_ROWS are taken."""
    n = view.model().rowCount()
    top = max(0, view.rowAt(0))
    bottom = view.rowAt(view.viewport().height())
    if bottom < 0 or not view.isVisible():
        bottom = n - 1
    rows = list(range(top, min(bottom, n - 1) + 1))[:CONTENT_ROWS]
    above, below = top - 1, bottom + 1
    while len(rows) < CONTENT_ROWS and (above >= 0 or below < n):
        if above >= 0:
            rows.append(above)
            above -= 1
        if below < n and len(rows) < CONTENT_ROWS:
            rows.append(below)
            below += 1
    return rows


def content_widths(view: QTableView, rows: Sequence[int]) -> dict[int, int]:
    """Each text column's content width over `rows` (view rows), measured from the
    model's own rows with the view's font: what sizeHintForColumn gives for plain text,
    without its ~10 data() calls per cell through the delegate (fitting a page of 17
    columns that way took ~20 ms of the GUI thread). Columns it cannot measure (the tick
    column, models other than the kit's) are left out."""
    proxy = getattr(view, "proxy", None)
    source = proxy.sourceModel() if proxy is not None else view.model()
    if not hasattr(source, "column_at") or not hasattr(source, "rows"):
        return {}
    if proxy is not None:
        rows = [proxy.mapToSource(proxy.index(r, 0)).row() for r in rows]
    items = [source.rows[r] for r in rows if 0 <= r < len(source.rows)]
    fm = view.fontMetrics()
    style = view.style()
    # the item's text margins (QCommonStyle's viewItemSize), the grid line, and 2 px for
    # rounding between QFontMetrics and the text layout the delegate measures with
    margin = (2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
              + (1 if view.showGrid() else 0) + 2)
    out = {}
    for i in range(source.columnCount()):
        col = source.column_at(i)
        if col is None:
            continue
        widest = max((fm.horizontalAdvance(col.text(getattr(r, col.attr, None)))
                      for r in items), default=0)
        out[i] = widest + margin
    return out


def header_text_width(view: QTableView, section: int) -> int:
    """The width section `section` needs to show its caption whole."""
    header = view.horizontalHeader()
    text = view.model().headerData(section, Qt.Orientation.Horizontal,
                                   Qt.ItemDataRole.DisplayRole)
    width = header.fontMetrics().horizontalAdvance(str(text or ""))
    style = header.style()
    width += 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header) + PADDING
    if view.isSortingEnabled():
        width += (style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
                  + style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header))
    return width


class HeaderFitter(QObject):
    """Keeps every header section at least as wide as its caption."""

    def __init__(self, view: QTableView, widths: Sequence[int]) -> None:
        super().__init__(view)
        self.view = view
        self.widths = tuple(widths)
        self._content_fitted = False
        model = view.model()
        model.headerDataChanged.connect(self._headers_changed)
        model.modelReset.connect(self._reset)
        model.rowsInserted.connect(self._rows_arrived)
        model.columnsInserted.connect(self._headers_changed)
        view.installEventFilter(self)
        self.fit(content=False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.LanguageChange, QEvent.Type.FontChange,
                            QEvent.Type.Show):
            # after the panels' retranslate_ui has set the new captions
            QTimer.singleShot(0, self, lambda: self.fit(content=False))
        return False

    def _headers_changed(self, *_args) -> None:
        self.fit(content=False)

    def _reset(self) -> None:
        self._content_fitted = False
        self.fit(content=self.view.model().rowCount() > 0)

    def _rows_arrived(self, *_args) -> None:
        self.fit(content=not self._content_fitted)

    def fit(self, content: bool) -> None:
        view, header = self.view, self.view.horizontalHeader()
        count = view.model().columnCount()
        content = content and view.model().rowCount() > 0
        measured = {}
        if content:
            self._content_fitted = True
            measured = content_widths(view, _sampled_rows(view))
        for i in range(count):
            need = header_text_width(view, i)
            if content:
                hint = self.widths[i] if i < len(self.widths) else 0
                size = measured[i] if i in measured else view.sizeHintForColumn(i)
                need = max(need, hint, min(size, CONTENT_CAP))
            elif i < len(self.widths) and header.sectionSize(i) == header.defaultSectionSize():
                need = max(need, self.widths[i])
            if header.sectionSize(i) < need:
                header.resizeSection(i, need)


def make_table_view(model: QAbstractItemModel, name: str, *, widths: Sequence[int] = (),
                    sortable: bool = False, filterable: bool = False,
                    multi_select: bool = False, alternating: bool = True,
                    stretch_last: bool = False) -> QTableView:
    """A read-only row-selecting table over `model`. With `filterable` the view shows a
    QSortFilterProxyModel (filtering, and sorting on the typed SORT_ROLE), kept as
    `view.proxy`. With `sortable` alone a header click has the kit's model sort its own
    rows (TableModel.sort: a proxy asks data() twice per comparison, seconds of the GUI
    thread for a year's report). Rows painted by a colour function should pass
    alternating=False."""
    view = QTableView()
    view.setObjectName(name)
    view.proxy = None
    if filterable or (sortable and not isinstance(model, TableModel)):
        proxy = QSortFilterProxyModel(view)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        proxy.setFilterKeyColumn(-1)
        proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        view.proxy = proxy
        view.setModel(proxy)
    else:
        view.setModel(model)
    view.setSortingEnabled(sortable)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi_select
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(alternating)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(stretch_last)
    header.setResizeContentsPrecision(CONTENT_ROWS)
    view.header_fitter = HeaderFitter(view, widths)
    set_column_widths(view, widths)
    return view


def set_column_widths(view: QTableView, widths: Sequence[int]) -> None:
    """Starting widths that fit the usual content (the user may still resize them),
    never narrower than a caption; also used when fitting the content later."""
    view.header_fitter.widths = tuple(widths)
    for i, w in enumerate(widths[:view.model().columnCount()]):
        view.setColumnWidth(i, max(w, header_text_width(view, i)))
