"""Table models of the direct-sales screens.

`PagedTableModel` holds the rows of a keyset-paged service call (客户目录, 销售目录): the
first page on `reset()`, the next whenever the view scrolls near the end (canFetchMore /
fetchMore), never the whole table. Each page is one `ctx.runner.call`, so the GUI thread
never waits; a known error (server gone …) is reported through `failed` for the panel's
status line, a bug propagates to the crash dialog.

`ColouredTableModel` is the small, loaded-whole list of the record's tabs with a row
colour (the manual's colours: 销售情况 yellow / 棕绿色, 已回 pink).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from qasync import asyncSlot

from agent_app.services.paging import Page
from ui.archives.table import ROW_ROLE, SORT_ROLE, Column, RecordTableModel, default_text
from ui.errors import error_text, known_error
from ui.sales.tasks import loop_running

# The manual's row colours. Text stays black on them whatever the desktop theme.
BLUE = QColor("#cfe3ff")          # 客户目录: no order, or none confirmed yet
PINK = QColor("#ffd6e4")          # 客户目录: a confirmed order; 提醒: 已回
YELLOW = QColor("#fff3b0")        # 销售情况/销售目录: not confirmed
BROWN_GREEN = QColor("#c8d8a8")   # 销售情况/销售目录: 物流确认 done
INK = QColor("#000000")

Fetch = Callable[[tuple | None], Awaitable[Page]]
Colour = Callable[[Any], QColor | None]


def local_time(value: dt.datetime | None) -> str:
    """Stored times are UTC; the agent reads them in the workstation's local time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def parse_time(value) -> dt.datetime:
    """A call's ISO timestamp (or a datetime) as an aware datetime; now when absent."""
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return dt.datetime.now(dt.UTC)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def customer_colour(row: Any) -> QColor:
    """order_state 2 = a confirmed order (pink); 0/1 = none or unconfirmed (blue)."""
    return PINK if getattr(row, "order_state", 0) == 2 else BLUE


def order_colour(row: Any) -> QColor:
    return BROWN_GREEN if getattr(row, "confirmed", False) else YELLOW


def _cell(columns: Sequence[Column], rows: Sequence[Any], colour: Colour | None,
          index: QModelIndex | QPersistentModelIndex, role: int) -> Any:
    if not index.isValid() or not 0 <= index.row() < len(rows):
        return None
    col = columns[index.column()]
    row = rows[index.row()]
    value = getattr(row, col.attr, None)
    if role == Qt.ItemDataRole.DisplayRole:
        return (col.fmt or default_text)(value)
    if role == Qt.ItemDataRole.ToolTipRole:
        text = (col.fmt or default_text)(value)
        return text if len(text) > 20 else None
    if role == SORT_ROLE:
        return value if isinstance(value, (int, str)) else default_text(value)
    if role == ROW_ROLE:
        return row
    if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if colour is not None and role in (Qt.ItemDataRole.BackgroundRole,
                                       Qt.ItemDataRole.ForegroundRole):
        c = colour(row)
        if c is None:
            return None
        return QBrush(c if role == Qt.ItemDataRole.BackgroundRole else INK)
    return None


class ColouredTableModel(RecordTableModel):
    """A small list loaded whole, each row painted by `colour(row)`."""

    def __init__(self, columns: Sequence[Column], colour: Colour | None = None,
                 parent=None) -> None:
        super().__init__(columns, parent)
        self.colour = colour

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102 - Qt override
        return _cell(self.columns, self.rows, self.colour, index, role)


class PagedTableModel(ColouredTableModel):
    """Rows of a keyset-paged query, fetched a page at a time through the runner."""

    loaded = Signal(int)   # row count after a page arrived
    failed = Signal(str)   # a known error's text (the view keeps the rows it has)

    def __init__(self, columns: Sequence[Column], colour: Colour | None = None,
                 parent=None) -> None:
        super().__init__(columns, colour, parent)
        self._fetch: Fetch | None = None
        self._after: tuple | None = None
        self._more = False
        self._busy = False
        # Bumped on every reset: a page still in flight for an older query is dropped.
        self._generation = 0

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def has_more(self) -> bool:
        return self._more

    async def reset(self, fetch: Fetch) -> bool:
        """Start a new query: clear the rows and load its first page."""
        self._generation += 1
        self._fetch, self._after, self._more, self._busy = fetch, None, False, False
        self.set_rows([])
        return await self._load(self._generation, None)

    def show_page(self, fetch: Fetch, page: Page) -> None:
        """Start a query whose first page was read already (with other data, in one
        worker call); later pages come from `fetch`."""
        self._generation += 1
        self._fetch, self._busy = fetch, False
        self.set_rows([])
        self._add(page)

    def clear(self) -> None:
        self._generation += 1
        self._fetch, self._after, self._more, self._busy = None, None, False, False
        self.set_rows([])

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self._more and not self._busy

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: N802, B008
        if not self.canFetchMore(parent):
            return
        if not loop_running():
            # only in tests that drive the loop in steps: try again a little later
            QTimer.singleShot(50, self, lambda: self.fetchMore(QModelIndex()))
            return
        self._busy = True  # the view asks again while the page is on its way
        self._fetch_next()

    @asyncSlot()
    async def _fetch_next(self) -> None:
        await self._load(self._generation, self._after)

    async def fetch_more(self) -> bool:
        """The next page now (tests, and a "load more" button); False when none left."""
        if not self._more:
            return False
        return await self._load(self._generation, self._after)

    async def _load(self, generation: int, after: tuple | None) -> bool:
        fetch = self._fetch
        if fetch is None:
            return False
        self._busy = True
        try:
            page = await fetch(after)
        except Exception as exc:
            known = known_error(exc)
            if known is None:
                raise
            if generation == self._generation:
                self._busy = False
                self.failed.emit(error_text(known))
            return False
        if generation != self._generation:
            return False  # a newer query replaced this one meanwhile
        self._busy = False
        self._add(page)
        return True

    def _add(self, page: Page) -> None:
        if page.rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self.rows.extend(page.rows)
            self.endInsertRows()
        self._after = page.next_after
        self._more = page.next_after is not None
        self.loaded.emit(len(self.rows))
