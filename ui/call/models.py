"""CallRowsModel: call records, keyset-paged, with a check box per row.

The first page comes on `reset()`, the next when the view scrolls near the end
(canFetchMore / fetchMore), never the whole table (style.md §7). The check boxes are the
manual's 选择 column: 全选 / 取消 / 反选 act on the rows loaded so far, and the checked
calls are kept by call_id, so a later page never loses them.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from agent_app.services.paging import Page
from ui.archives.table import ROW_ROLE, SORT_ROLE, Column, default_text, sort_key
from ui.errors import reported

Fetch = Callable[[tuple | None], Awaitable[Page]]
Index = QModelIndex | QPersistentModelIndex


class CallRowsModel(QAbstractTableModel):
    loaded = Signal(int)          # rows now held
    failed = Signal(str)          # a known error's text (server gone …)
    checks_changed = Signal()

    def __init__(self, columns: Sequence[Column], parent=None) -> None:
        super().__init__(parent)
        self.columns = list(columns)   # column 0 is the check box, then these
        self.rows: list[Any] = []
        self.checked: set[str] = set()
        self._fetch: Fetch | None = None
        self._after: tuple | None = None
        self._more = False
        self._loading: asyncio.Future | None = None
        self._generation = 0

    # -- loading ----------------------------------------------------------------------------
    def reset(self, fetch: Fetch) -> asyncio.Future:
        """Forget the rows and checks; load the first page of a new query."""
        self._generation += 1
        self.beginResetModel()
        self.rows, self._after, self._more = [], None, False
        self.checked.clear()
        self._fetch = fetch
        self.endResetModel()
        self.checks_changed.emit()
        self._loading = asyncio.ensure_future(self._load(self._generation))
        return self._loading

    async def _load(self, generation: int) -> None:
        page = await reported(self._fetch(self._after), self.failed.emit)
        if page is None:
            return
        if generation != self._generation:
            return  # a newer query replaced this one while it ran
        if page.rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self.rows.extend(page.rows)
            self.endInsertRows()
        self._after, self._more = page.next_after, page.next_after is not None
        self.loaded.emit(len(self.rows))

    @property
    def busy(self) -> bool:
        return self._loading is not None and not self._loading.done()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self._more and not self.busy

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if self.canFetchMore(parent):
            self._loading = asyncio.ensure_future(self._load(self._generation))

    async def load_all(self, limit: int = 100_000) -> None:
        """Every remaining page (for 全选 before an export of everything found)."""
        while True:
            if self.busy:
                await self._loading
            if not self._more or len(self.rows) >= limit:
                return
            self.fetchMore()

    # -- checks -----------------------------------------------------------------------------
    def set_all(self, on: bool) -> None:
        self.checked = {r.call_id for r in self.rows} if on else set()
        self._checks_changed()

    def invert(self) -> None:
        self.checked = {r.call_id for r in self.rows} - self.checked
        self._checks_changed()

    def checked_rows(self) -> list[Any]:
        return [r for r in self.rows if r.call_id in self.checked]

    def _checks_changed(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()

    # -- the model --------------------------------------------------------------------------
    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns))

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns) + 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        if index.column() == 0:
            if role == Qt.ItemDataRole.CheckStateRole:
                return (Qt.CheckState.Checked if row.call_id in self.checked
                        else Qt.CheckState.Unchecked)
            return None
        col = self.columns[index.column() - 1]
        value = getattr(row, col.attr, None)
        if role == Qt.ItemDataRole.DisplayRole:
            return (col.fmt or default_text)(value)
        if role == SORT_ROLE:
            return sort_key(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (not index.isValid() or index.column() != 0
                or role != Qt.ItemDataRole.CheckStateRole):
            return False
        call_id = self.rows[index.row()].call_id
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
            else value
        if on:
            self.checked.add(call_id)
        else:
            self.checked.discard(call_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()
        return True

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if section == 0:
            return "✓"
        if 1 <= section <= len(self.columns):
            return self.columns[section - 1].header
        return None
