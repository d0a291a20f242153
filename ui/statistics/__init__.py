"""统计分析: a window per report of agent_app.reports (ui.statistics.window), in the
reports' order. A report without a permission (the sales statistics) is on every
user's menu; the others need 统计. The service checks again (ReportService.run)."""
from __future__ import annotations

from ui.kit.registry import Feature, report_entries

FEATURE = Feature("statistics", report_entries("statistics"))
