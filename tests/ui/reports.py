"""Shared data of the ui/kit report tests (and tests/perf/bench_export.py): a statistics
table with every column kind and Chinese text, as a report window would give it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

REGIONS = ("华东", "华南", "华北", "西南", "东北", "西北", "华中")
COLUMNS = [("区域", "text"), ("进线", "int"), ("成交金额", "money"), ("日期", "date"),
           ("登记时间", "datetime"), ("通话时长", "duration"), ("成交率", "percent"),
           ("顾客", "text")]


def report_row(i: int) -> tuple:
    return (REGIONS[i % len(REGIONS)], i * 3, Decimal(i) * Decimal("123.50"),
            dt.date(2026, 11, 1 + i % 30), dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC),
            i * 37, i / 200, f"顾客{i}")
