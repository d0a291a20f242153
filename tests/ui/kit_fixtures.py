"""Fixtures of the ui.kit tests: a recorder in place of sys.excepthook, a context that has
only a runner, and a statistics table with every column kind and Chinese text, as a report
window would give it."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.ui.shell_fixtures import *  # noqa: F403 - fixtures

REGIONS = ("华东", "华南", "华北", "西南", "东北", "西北", "华中")
COLUMNS = [("区域", "text"), ("进线", "int"), ("成交金额", "money"), ("日期", "date"),
           ("登记时间", "datetime"), ("通话时长", "duration"), ("成交率", "percent"),
           ("顾客", "text")]


def report_row(i: int) -> tuple:
    return (REGIONS[i % len(REGIONS)], i * 3, Decimal(i) * Decimal("123.50"),
            dt.date(2026, 11, 1 + i % 30), dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC),
            i * 37, i / 200, f"顾客{i}")


@pytest.fixture
def report_columns() -> list[tuple[str, str]]:
    return list(COLUMNS)


@pytest.fixture
def report_rows() -> list[tuple]:
    return [report_row(i) for i in range(120)]


@pytest.fixture
def english(qapp):
    """The English catalogue, so plural messages read as users see them ("1 row")."""
    from ui import i18n

    i18n.install("en", qapp)


@pytest.fixture
def bugs(monkeypatch):
    """The errors that reached sys.excepthook (the crash dialog in the program)."""
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: seen.append(exc))
    return seen


@pytest.fixture
def runner_ctx(runner):  # noqa: F811 - the runner fixture of shell_fixtures
    return SimpleNamespace(runner=runner)


__all__ = ["aloop", "bugs", "english", "report_columns", "report_rows", "runner",  # noqa: F405
           "runner_ctx"]
