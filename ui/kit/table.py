"""The one table-model family of the desk.

`Column(attr, header, fmt, kind=...)` says how a row attribute is shown and sorted: the
sort role holds the typed value (money, dates and numbers sort by value, not as text) and
numbers align right. `TableModel` is a small list loaded whole, optionally painted by a
row colour function and with a check-box column (the call panels' 选择 column).
`PagedTableModel` holds the rows of a keyset-paged service call: the first page on
`reset()`, the next whenever the view scrolls near the end (canFetchMore / fetchMore),
never the whole table. A known error while loading is given to `failed` for the panel's
message line; a bug goes to the crash dialog at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from agent_app.phones import mask_phone
from agent_app.services.paging import Page
from ui.errors import error_text, known_error
from ui.kit import formats
from ui.kit.tasks import loop_running, report_bug

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
# data() is asked ~10 roles per cell each time a view measures or paints; plain ints, and
# an early "no" for the roles no model here answers (font, decoration, size hint…): looking
# Qt's enum members up on every call made fitting 16 columns of a page cost ~50 ms
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_CHECK = int(Qt.ItemDataRole.CheckStateRole)
_ANSWERED = frozenset({_DISPLAY, _TOOLTIP, _ALIGN, _BACKGROUND, _FOREGROUND, _CHECK,
                       SORT_ROLE, ROW_ROLE})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
INK = QColor("#000000")   # text on a row colour stays black whatever the desktop theme
CHECK_HEADER = "✓"

NUMERIC_KINDS = frozenset({"int", "float", "money", "duration", "percent"})
KINDS = NUMERIC_KINDS | {"text", "date", "datetime", "time", "bool", "phone"}

# The "phone" kind is the second line of docs/privacy.md: the services already mask a
# customer's number for a user without 查看完整号码; a phone column masks whatever it is
# given too, unless the main window said at login that its user sees full numbers.
_full_numbers = False


def show_full_numbers(allowed: bool) -> None:
    """Set once per login by the main window from the user's permission."""
    global _full_numbers
    _full_numbers = bool(allowed)


def shown_phone(value: Any) -> str:
    text = default_text(value)
    return text if _full_numbers else mask_phone(text)

Index = QModelIndex | QPersistentModelIndex
Fetch = Callable[[tuple | None], Awaitable[Page]]
Colour = Callable[[Any], QColor | None]


@dataclass(frozen=True)
class Column:
    attr: str
    header: str
    fmt: Callable[[Any], str] | None = None
    align_right: bool = False
    kind: str = "text"

    # what the Excel writer and the printed table call the same kinds (ui.kit.export)
    def export_kind(self) -> str:
        return {"float": "number", "time": "text", "bool": "text", "phone": "text"}.get(
            self.kind, self.kind)

    def export_value(self, value: Any) -> Any:
        """The value an export or a printout of this column holds (a phone masked)."""
        return shown_phone(value) if self.kind == "phone" and value else value

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; one of {sorted(KINDS)}")

    @property
    def right(self) -> bool:
        return self.align_right or self.kind in NUMERIC_KINDS

    def text(self, value: Any) -> str:
        if self.fmt is not None:
            return self.fmt(value)
        if self.kind == "money":
            return formats.money_text(value)
        if self.kind == "duration":
            return formats.duration_text(value)
        if self.kind == "percent":  # a fraction: 0.25 is 25.0 %
            return "" if value is None else f"{float(value) * 100:.1f}%"
        if self.kind == "datetime" and isinstance(value, dt.datetime):
            return formats.local_time(value)
        if self.kind == "date":
            return formats.date_text(value)
        if self.kind == "phone":
            return shown_phone(value)
        return default_text(value)


def default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def sort_key(value: Any) -> Any:
    """The typed value QSortFilterProxyModel compares: numbers as numbers, times as
    seconds since the epoch (UTC for stored naive times), dates as day numbers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return formats.aware(value).timestamp()
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return value
    return default_text(value)


def _ordered(value: Any) -> tuple:
    """A sort key comparable across types, as Qt orders them: numbers, then text, and
    empty cells last (ascending)."""
    if value is None:
        return (2, 0)
    if isinstance(value, str):
        return (1, value)
    return (0, value)


class TableModel(QAbstractTableModel):
    """Rows (any objects, usually frozen dataclasses) loaded whole.

    `colour(row)` paints a row's background (text then black); `check_key(row)` adds a
    check-box column in front whose checks are kept by key, so a reload or a later page
    never loses them."""

    checks_changed = Signal()

    def __init__(self, columns: Sequence[Column] = (), colour: Colour | None = None,
                 parent=None, *, check_key: Callable[[Any], Hashable] | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self.colour = colour
        self.check_key = check_key
        self.checked: set[Hashable] = set()
        self.loaded_rows: list[Any] = []    # the rows in the order they came (unsorted)
        self.sorted_by: tuple[int, Qt.SortOrder] | None = None

    @property
    def _offset(self) -> int:
        return 1 if self.check_key is not None else 0

    # -- contents ---------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.loaded_rows = list(rows)
        self.rows = (self._sorted(self.loaded_rows, *self.sorted_by) if self.sorted_by
                     else list(self.loaded_rows))
        self.endResetModel()

    # -- sorting (a view without a proxy: make_table_view(sortable=True)) ----------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by a column's typed value, in Python with each row's key computed
        once. Through QSortFilterProxyModel every comparison asked data() for two keys:
        a header click on 17,520 rows held the GUI thread 2.2 s. Column -1: the order
        the rows came in. Stable, as the proxy's sort; a reload keeps the sort."""
        self.sorted_by = (column, order) if column >= 0 else None
        rows = (self._sorted(self.loaded_rows, column, order) if column >= 0
                else list(self.loaded_rows))
        if len(rows) != len(self.rows):      # rows appended since: sort what is there
            rows = (self._sorted(self.rows, column, order) if column >= 0 else self.rows)
        self.layoutAboutToBeChanged.emit()
        where = {id(r): i for i, r in enumerate(rows)}
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old, [self.index(where[id(self.rows[i.row()])], i.column()) for i in old])
        self.rows = rows
        self.layoutChanged.emit()

    def _sorted(self, rows: list[Any], column: int, order: Qt.SortOrder) -> list[Any]:
        if self.check_key is not None and column == 0:
            def key(r):
                return _ordered(int(self.check_key(r) in self.checked))
        else:
            col = self.column_at(column)
            if col is None:
                return list(rows)

            def key(r):
                return _ordered(sort_key(getattr(r, col.attr, None)))
        return sorted(rows, key=key, reverse=order == Qt.SortOrder.DescendingOrder)

    def append(self, row: Any) -> None:
        """One row more at the end (a scanned parcel): the view keeps its place and its
        column widths, where set_rows() would reset both."""
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(row)
        self.loaded_rows.append(row)
        self.endInsertRows()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """New headers after a language change (usually the same attributes)."""
        if len(columns) != len(self.columns):
            self.beginResetModel()
            self.columns = list(columns)
            self.endResetModel()
            return
        self.columns = list(columns)
        count = self.columnCount()
        if count:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, count - 1)

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    def column_at(self, section: int) -> Column | None:
        i = section - self._offset
        return self.columns[i] if 0 <= i < len(self.columns) else None

    # -- checks -----------------------------------------------------------------------------
    def set_all(self, on: bool) -> None:
        assert self.check_key is not None
        self.checked = {self.check_key(r) for r in self.rows} if on else set()
        self._checks_changed()

    def invert(self) -> None:
        assert self.check_key is not None
        self.checked = {self.check_key(r) for r in self.rows} - self.checked
        self._checks_changed()

    def checked_rows(self) -> list[Any]:
        if self.check_key is None:
            return []
        return [r for r in self.rows if self.check_key(r) in self.checked]

    def _checks_changed(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()

    # -- the Qt model -----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns) + self._offset

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.check_key is not None and index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in _ANSWERED or not index.isValid():
            return None
        r = index.row()
        if not 0 <= r < len(self.rows):
            return None
        row = self.rows[r]
        if role == ROW_ROLE:
            return row
        if role == _BACKGROUND or role == _FOREGROUND:
            c = self.colour(row) if self.colour is not None else None
            if c is None:
                return None
            return QBrush(c if role == _BACKGROUND else INK)
        if self.check_key is not None and index.column() == 0:
            if role == _CHECK:
                return (Qt.CheckState.Checked if self.check_key(row) in self.checked
                        else Qt.CheckState.Unchecked)
            if role == SORT_ROLE:
                return int(self.check_key(row) in self.checked)
            return None
        col = self.column_at(index.column())
        if col is None:
            return None
        value = getattr(row, col.attr, None)
        if role == _DISPLAY:
            return col.text(value)
        if role == SORT_ROLE:
            return sort_key(value)
        if role == _TOOLTIP:
            text = col.text(value)
            return text if len(text) > 20 else None
        if role == _ALIGN and col.right:
            return _RIGHT
        return None

    def setData(self, index: Index, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (self.check_key is None or not index.isValid() or index.column() != 0
                or role != Qt.ItemDataRole.CheckStateRole
                or not 0 <= index.row() < len(self.rows)):
            return False
        key = self.check_key(self.rows[index.row()])
        on = value if isinstance(value, bool) else Qt.CheckState(value) == Qt.CheckState.Checked
        if on:
            self.checked.add(key)
        else:
            self.checked.discard(key)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()
        return True

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        col = self.column_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return CHECK_HEADER if col is None else col.header
        if role == Qt.ItemDataRole.TextAlignmentRole and col is not None and col.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class PagedTableModel(TableModel):
    """Rows of a keyset-paged query, fetched a page at a time through the runner."""

    loaded = Signal(int)   # row count after a page arrived
    failed = Signal(str)   # a known error's text (the view keeps the rows it has)

    def __init__(self, columns: Sequence[Column] = (), colour: Colour | None = None,
                 parent=None, *, check_key: Callable[[Any], Hashable] | None = None) -> None:
        super().__init__(columns, colour, parent, check_key=check_key)
        self._fetch: Fetch | None = None
        self._after: tuple | None = None
        self._more = False
        self._loading: asyncio.Future | None = None
        # Bumped on every reset: a page still in flight for an older query is dropped.
        self._generation = 0

    @property
    def busy(self) -> bool:
        return self._loading is not None and not self._loading.done()

    @property
    def has_more(self) -> bool:
        return self._more

    def reset(self, fetch: Fetch) -> asyncio.Future:
        """Start a new query: forget the rows and checks, load its first page. Awaiting
        the result gives True when the page arrived."""
        self._start(fetch)
        self._loading = asyncio.ensure_future(self._load(self._generation, None))
        return self._loading

    def show_page(self, fetch: Fetch, page: Page) -> None:
        """Start a query whose first page was read already (with other data, in one
        worker call); later pages come from `fetch`."""
        self._start(fetch)
        self._add(page)

    def clear(self) -> None:
        self._start(None)

    def _start(self, fetch: Fetch | None) -> None:
        self._generation += 1
        self._fetch, self._after, self._more, self._loading = fetch, None, False, None
        had_checks = bool(self.checked)
        self.checked.clear()
        self.set_rows([])
        if had_checks:
            self.checks_changed.emit()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self._more and not self.busy

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if not self.canFetchMore(parent):
            return
        if not loop_running():
            # only in tests that drive the loop in steps: try again a little later
            QTimer.singleShot(50, self, lambda: self.fetchMore(QModelIndex()))
            return
        self._loading = asyncio.ensure_future(self._load(self._generation, self._after))

    async def fetch_more(self) -> bool:
        """The next page now (tests, and a "load more" button); False when none left."""
        if self.busy:
            await self._loading
        if not self._more:
            return False
        self._loading = asyncio.ensure_future(self._load(self._generation, self._after))
        return await self._loading

    async def load_all(self, limit: int = 100_000) -> None:
        """Every remaining page (for 全选 before an export of everything found)."""
        while len(self.rows) < limit and await self.fetch_more():
            pass

    async def _load(self, generation: int, after: tuple | None) -> bool:
        fetch = self._fetch
        if fetch is None:
            return False
        if not loop_running():
            # qasync ran this step while draining Qt events after the loop stopped (tests
            # drive the loop in steps): nothing can be awaited now, so ask again later
            QTimer.singleShot(50, self, lambda: self.fetchMore(QModelIndex()))
            return False
        try:
            page = await fetch(after)
        except Exception as exc:  # noqa: BLE001 - sorted into known errors and bugs
            known = known_error(exc)
            if known is None:
                report_bug(exc)
            elif generation == self._generation:
                self.failed.emit(error_text(known))
            return False
        if generation != self._generation:
            return False  # a newer query replaced this one meanwhile
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
