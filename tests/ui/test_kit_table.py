"""ui.kit.table: typed sorting, alignment, row colours, check boxes and keyset paging;
every model passes pytest-qt's qtmodeltester."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from agent_app.errors import UserError
from agent_app.services.paging import Page
from tests.ui.helpers import until
from ui.kit import formats
from ui.kit.table import INK, ROW_ROLE, SORT_ROLE, Column, PagedTableModel, TableModel
from ui.kit.views import make_table_view

ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    total: Decimal
    day: dt.date
    count: int


ROWS = [Row(1, "甲", Decimal("10"), dt.date(2026, 10, 1), 10),
        Row(2, "乙", Decimal("9"), dt.date(2026, 2, 1), 9),
        Row(3, "丙", Decimal("1234.5"), dt.date(2025, 12, 31), 100)]
COLUMNS = [Column("name", "Name"), Column("total", "Amount", kind="money"),
           Column("day", "Date", kind="date"), Column("count", "Count", kind="int")]


def sorted_texts(qtbot, column: int) -> list[str]:
    model = TableModel(COLUMNS)
    model.set_rows(ROWS)
    view = make_table_view(model, "sortTable", sortable=True)
    qtbot.addWidget(view)
    view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    proxy = view.model()
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_money_sorts_by_value_not_text(qtbot):
    assert sorted("¥10.00 ¥9.00".split()) == ["¥10.00", "¥9.00"]  # what text sort gives
    assert sorted_texts(qtbot, 1) == ["¥9.00", "¥10.00", "¥1,234.50"]


def test_dates_and_numbers_sort_by_value(qtbot):
    assert sorted_texts(qtbot, 2) == ["2025-12-31", "2026-02-01", "2026-10-01"]
    assert sorted_texts(qtbot, 3) == ["9", "10", "100"]


def test_a_sortable_view_has_the_model_sort_its_rows_as_the_proxy_would(qtbot):
    """No proxy for a sortable-only view: the model sorts its own rows. Typed values,
    empty cells last going up and first going down, ties kept in the order the rows
    came; a reload keeps the sort, column -1 gives back the rows' own order, and the
    selection stays on its row."""
    rows = [Row(1, "甲", Decimal("10"), dt.date(2026, 10, 1), 10),
            Row(2, "乙", None, dt.date(2026, 2, 1), 9),
            Row(3, "丙", Decimal("9"), dt.date(2025, 12, 31), 10),
            Row(4, "丁", Decimal("1234.5"), dt.date(2026, 1, 1), 9)]
    model = TableModel(COLUMNS, check_key=lambda r: r.id)
    model.set_rows(rows)
    view = make_table_view(model, "sortTable", sortable=True)
    qtbot.addWidget(view)
    assert view.model() is model and view.proxy is None
    view.selectRow(1)                                        # 乙
    view.sortByColumn(2, Qt.SortOrder.AscendingOrder)        # the amount, typed
    assert [r.id for r in model.rows] == [3, 1, 4, 2]        # ¥9 < ¥10 < ¥1,234.50, empty last
    assert view.currentIndex().row() == 3 and model.rows[3].id == 2   # the selection followed
    view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    assert [r.id for r in model.rows] == [2, 4, 1, 3]        # empty first going down
    view.sortByColumn(4, Qt.SortOrder.AscendingOrder)        # ties in the order they came
    assert [r.id for r in model.rows] == [2, 4, 1, 3]
    view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    assert [r.id for r in model.rows] == [1, 3, 2, 4]
    model.checked = {3}
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)       # the ticked first
    assert model.rows[0].id == 3
    view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    model.set_rows(list(reversed(rows)))                     # a reload keeps the sort
    assert [r.day for r in model.rows] == sorted(r.day for r in rows)
    model.sort(-1)                                           # the order the rows came in
    assert [r.id for r in model.rows] == [4, 3, 2, 1]
    model.append(Row(5, "戊", Decimal("1"), dt.date(2027, 1, 1), 1))
    model.sort(1, Qt.SortOrder.AscendingOrder)               # the appended row is sorted too
    assert len(model.rows) == 5 and [r.name for r in model.rows] == sorted(
        r.name for r in model.rows)


def test_sort_role_holds_typed_values_and_numbers_align_right():
    model = TableModel(COLUMNS)
    model.set_rows(ROWS[:1])
    assert model.index(0, 1).data(SORT_ROLE) == 10.0
    assert model.index(0, 2).data(SORT_ROLE) == dt.date(2026, 10, 1).toordinal()
    assert model.index(0, 3).data(SORT_ROLE) == 10
    assert model.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole) is None
    for col in (1, 3):
        assert model.index(0, col).data(Qt.ItemDataRole.TextAlignmentRole) == ALIGN_RIGHT
        assert model.headerData(col, Qt.Orientation.Horizontal,
                                Qt.ItemDataRole.TextAlignmentRole) == ALIGN_RIGHT
    assert model.index(0, 0).data(ROW_ROLE) is ROWS[0]


def test_naive_and_aware_times_sort_on_one_scale():
    naive_utc = dt.datetime(2026, 3, 1, 8, 0)
    aware_later = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    model = TableModel([Column("at", "At", kind="datetime")])
    model.set_rows([type("R", (), {"at": naive_utc})(), type("R", (), {"at": aware_later})()])
    assert model.index(0, 0).data(SORT_ROLE) < model.index(1, 0).data(SORT_ROLE)


def test_an_unknown_column_kind_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown column kind 'currency'.*money"):
        Column("total", "Amount", kind="currency")


def test_row_colours_paint_background_and_black_text():
    pink = QColor("#ffd6e4")
    model = TableModel(COLUMNS, lambda row: pink if row.count > 9 else None)
    model.set_rows(ROWS)
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color() == pink
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole).color() == INK
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None


def test_check_boxes_are_kept_by_key(qtmodeltester):
    model = TableModel(COLUMNS, check_key=lambda r: r.id)
    model.set_rows(ROWS)
    changed: list[int] = []
    model.checks_changed.connect(lambda: changed.append(1))
    assert model.columnCount() == len(COLUMNS) + 1
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Name"
    first = model.index(0, 0)
    assert model.flags(first) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.setData(first, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert first.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert not model.setData(model.index(0, 1), True, Qt.ItemDataRole.CheckStateRole)
    model.set_rows(list(reversed(ROWS)))  # reloaded: the check follows its row
    assert [r.id for r in model.checked_rows()] == [1]
    model.invert()
    assert sorted(r.id for r in model.checked_rows()) == [2, 3]
    model.set_all(False)
    assert model.checked_rows() == [] and len(changed) == 3
    qtmodeltester.check(model)


def test_loaded_whole_model_passes_modeltester(qtmodeltester):
    model = TableModel(COLUMNS, lambda _r: QColor("#fff3b0"))
    model.set_rows(ROWS)
    qtmodeltester.check(model)
    model.set_columns(COLUMNS[:2])  # fewer columns: a reset, not a header change
    assert model.columnCount() == 2
    qtmodeltester.check(model)


def paged(calls: list, fail_after: tuple | None = None):
    pages = {None: Page(ROWS[:2], (2,)), (2,): Page(ROWS[2:], None)}

    async def fetch(after):
        calls.append(after)
        if after is not None and after == fail_after:
            raise UserError("The database is busy.")
        return pages[after]
    return fetch


def test_paging_loads_the_first_page_then_the_next_on_fetch_more(aloop, qtmodeltester):
    calls: list = []
    model = PagedTableModel(COLUMNS, check_key=lambda r: r.id)
    assert aloop.run_until_complete(model.reset(paged(calls))) is True
    assert calls == [None] and model.rowCount() == 2 and model.canFetchMore()
    qtmodeltester.check(model)

    async def scroll():
        model.fetchMore(QModelIndex())  # what a view does at the end of its rows
        assert model.busy and not model.canFetchMore()  # no second request meanwhile
        await until(lambda: not model.busy)
    aloop.run_until_complete(scroll())
    assert calls == [None, (2,)] and model.rowCount() == 3 and not model.canFetchMore()
    assert aloop.run_until_complete(model.fetch_more()) is False and len(calls) == 2
    qtmodeltester.check(model)


def test_a_known_error_while_paging_keeps_the_rows_and_says_why(aloop, bugs):
    calls: list = []
    model = PagedTableModel(COLUMNS)
    failures: list[str] = []
    model.failed.connect(failures.append)
    aloop.run_until_complete(model.reset(paged(calls, fail_after=(2,))))
    assert aloop.run_until_complete(model.fetch_more()) is False
    assert failures == ["The database is busy."] and model.rowCount() == 2 and bugs == []


def test_a_page_of_an_older_query_is_dropped(aloop):
    model = PagedTableModel(COLUMNS)
    loaded: list[int] = []
    model.loaded.connect(loaded.append)

    async def scenario():
        old = model.reset(paged([]))
        new = model.reset(paged([]))  # the user searched again before the page came
        return await old, await new
    assert aloop.run_until_complete(scenario()) == (False, True)
    assert loaded == [2] and model.rowCount() == 2


def test_formats():
    assert formats.money_text(Decimal("1234.5")) == "¥1,234.50"
    assert formats.duration_text(65) == "01:05" and formats.duration_text(3725) == "1:02:05"
    naive = dt.datetime(2026, 1, 2, 3, 4)
    assert formats.local_time(naive) == naive.replace(tzinfo=dt.UTC).astimezone().strftime(
        "%Y-%m-%d %H:%M")
    assert formats.parse_ts("not a time") is None
    assert formats.parse_ts("2026-01-02T03:04:00+08:00").utcoffset() == dt.timedelta(hours=8)


def test_a_phone_column_masks_unless_the_user_sees_full_numbers():
    """The second line behind the services' masking (docs/privacy.md)."""
    from ui.kit import table as T

    col = T.Column("mobile", "Mobile", kind="phone")
    assert col.export_kind() == "text"
    try:
        T.show_full_numbers(False)
        assert col.text("13800138000") == "138****8000"
        assert col.text("138****8000") == "138****8000"   # masked by the service already
        assert col.export_value("13800138000") == "138****8000" and col.text(None) == ""
        T.show_full_numbers(True)
        assert col.text("13800138000") == "13800138000"
        assert col.export_value("13800138000") == "13800138000"
    finally:
        T.show_full_numbers(False)


def test_fitting_the_content_reads_the_visible_rows_and_fifty_more(qtbot):
    """A report of thousands of rows fits its columns from the rows in view and the next
    50 (Qt's default read a thousand per column: 800 ms of the GUI thread for a 3,285-row
    report): a long name further down does not widen the column, one near the top does."""
    from ui.kit.views import CONTENT_CAP, CONTENT_ROWS

    def fitted(long_at: int) -> int:
        model = TableModel([Column("name", "Name")])
        view = make_table_view(model, "t")
        qtbot.addWidget(view)
        view.resize(400, 300)
        view.show()
        rows = [Row(i, "x", Decimal(1), dt.date(2026, 1, 1), 1) for i in range(3000)]
        rows[long_at] = Row(long_at, "长" * 30, Decimal(1), dt.date(2026, 1, 1), 1)
        model.set_rows(rows)
        return view.columnWidth(0)
    near, far = fitted(CONTENT_ROWS // 2), fitted(500)  # (Qt by itself: within 1000)
    assert near > 300 and near <= CONTENT_CAP
    assert far < 200


@pytest.mark.parametrize("sortable", [False, True])
def test_content_is_measured_like_qt_without_asking_the_delegate(qtbot, sortable):
    """The kit measures a column's text with the view's font (what Qt's delegate would
    give for plain text, a pixel or two wider, never narrower), over the same rows, and
    through a sort proxy the rows in view are the sorted ones."""
    from ui.kit.views import CONTENT_ROWS, _sampled_rows, content_widths

    model = TableModel([Column("id", "Id", kind="int"), Column("name", "Name"),
                        Column("total", "Total", kind="money"), Column("day", "Day"),
                        Column("count", "N", kind="int")],
                       check_key=lambda r: r.id)
    view = make_table_view(model, "t", sortable=sortable)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    names = ["王建国", "Zhang Wei-long", "眼保姆豪华版×1, 护目贴×2", "x"]
    rows = [Row(i, names[i % 4], Decimal(i) * 1000, dt.date(2026, 1, 1 + i % 28), i)
            for i in range(400)]
    rows[399] = Row(399, "长" * 30, Decimal("1280000.00"), dt.date(2026, 12, 31), 399)
    model.set_rows(rows)
    if sortable:   # the long row (id 399) at the top of the view
        view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    sampled = _sampled_rows(view)
    assert len(sampled) == CONTENT_ROWS and len(set(sampled)) == CONTENT_ROWS
    measured = content_widths(view, sampled)
    assert set(measured) == {1, 2, 3, 4, 5}             # not the tick column
    for column, width in measured.items():
        assert 0 <= width - view.sizeHintForColumn(column) <= 3, column
    far = view.fontMetrics().horizontalAdvance("长" * 30)
    assert (measured[2] > far) == sortable               # only in view when sorted to the top


def test_append_inserts_one_row_without_a_reset(qapp):
    @dataclass(frozen=True)
    class R:
        n: int

    model = TableModel([Column("n", "N", kind="int")])
    model.set_rows([R(1)])
    resets, inserted = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.append(R(7))
    model.append(R(8))
    assert resets == [] and inserted == [(1, 1), (2, 2)]
    assert [r.n for r in model.rows] == [1, 7, 8]
    assert model.data(model.index(2, 0)) == "8"
