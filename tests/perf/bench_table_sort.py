"""Benchmark: a header click on a kit table (make_table_view(sortable=True)) of many rows.

The GUI thread sorts: the model's own sort (TableModel.sort, each row's key computed once)
against the QSortFilterProxyModel the kit used before (data() asked twice per
comparison), offscreen, on rows shaped like a report's (text, money, date, count).

    .venv/bin/python tests/perf/bench_table_sort.py [--rows 10000 17520 50000]
Not a pytest test: run it by hand; it prints its figures (target: a click ≤ 50 ms).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass(frozen=True)
class Row:
    name: str
    amount: Decimal
    day: dt.date
    count: int


def main() -> None:
    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from ui.kit.table import SORT_ROLE, Column, TableModel
    from ui.kit.views import make_table_view

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 17_520, 50_000])
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    columns = [Column("name", "Medium"), Column("amount", "Amount", kind="money"),
               Column("day", "Day", kind="date"), Column("count", "Calls", kind="int")]
    print("a header click (sort, then the event loop's turn): ms")
    for n in args.rows:
        rows = [Row(f"媒体{i % 97}", Decimal(i % 1000), dt.date(2026, 1, 1) +
                    dt.timedelta(days=i % 365), (i * 7919) % n) for i in range(n)]
        model = TableModel(columns)
        view = make_table_view(model, "sorted", sortable=True)   # the kit: no proxy
        view.resize(800, 600)
        view.show()
        model.set_rows(rows)
        app.processEvents()
        old_model = TableModel(columns)                           # the kit before
        old = QTableView()
        proxy = QSortFilterProxyModel(old)
        proxy.setSourceModel(old_model)
        proxy.setSortRole(SORT_ROLE)
        old.setModel(proxy)
        old.setSortingEnabled(True)
        old.resize(800, 600)
        old.show()
        old_model.set_rows(rows)
        app.processEvents()
        for column, title in ((1, "money"), (3, "count"), (0, "text")):
            figures = []
            for v in (view, old):
                t = time.perf_counter()
                v.sortByColumn(column, Qt.SortOrder.DescendingOrder)
                app.processEvents()
                figures.append((time.perf_counter() - t) * 1000)
            flag = "" if figures[0] <= 50 else " !"
            print(f"  {n:>7,} rows by {title:6}  model {figures[0]:7.1f}{flag}   "
                  f"proxy {figures[1]:8.1f}")
        view.close()
        old.close()


if __name__ == "__main__":
    main()
