"""统计分析: the supervisors' report windows, each a ui.kit.report.ReportPanel."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import Permission
from ui.kit.registry import Feature, PanelEntry

FEATURE = Feature("statistics", (
    PanelEntry("statistics.daily_calls", "ui.statistics.daily_calls:DailyCallsReport",
               "statistics",
               lambda: QCoreApplication.translate("DailyCallsReport", "&Daily calls"),
               permission=Permission.STATISTICS),
))
