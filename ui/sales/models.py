"""Row colours of the direct-sales tables (the manual's colours: 客户目录 blue / pink,
销售情况 yellow / 棕绿色, 已回 pink). The models themselves are ui.kit.table's."""
from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

# The manual's row colours. Text stays black on them whatever the desktop theme.
BLUE = QColor("#cfe3ff")          # 客户目录: no order, or none confirmed yet
PINK = QColor("#ffd6e4")          # 客户目录: a confirmed order; 提醒: 已回
YELLOW = QColor("#fff3b0")        # 销售情况/销售目录: not confirmed
BROWN_GREEN = QColor("#c8d8a8")   # 销售情况/销售目录: 物流确认 done


def customer_colour(row: Any) -> QColor:
    """order_state 2 = a confirmed order (pink); 0/1 = none or unconfirmed (blue)."""
    return PINK if getattr(row, "order_state", 0) == 2 else BLUE


def order_colour(row: Any) -> QColor:
    return BROWN_GREEN if getattr(row, "confirmed", False) else YELLOW
