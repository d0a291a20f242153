"""统计分析: a window per report of agent_app.reports (ui.statistics.window), in the
reports' order. A report without a permission (the sales statistics) is on every
user's menu; the others need 统计. The service checks again (ReportService.run)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from agent_app.reports import load_all
from ui.kit.registry import Feature, PanelEntry


def report_entries(menu: str) -> tuple[PanelEntry, ...]:
    """The windows of the reports of `menu` ("statistics", or "logistics" for 物流管理's
    reports, which ui.logistics lists), keyed "statistics.<name>" wherever they sit."""
    reports = sorted((r for r in load_all().values() if r.menu == menu),
                     key=lambda r: (r.order, r.name))
    return tuple(
        PanelEntry(f"statistics.{r.name.replace('-', '_')}",
                   f"ui.statistics.window:Report_{r.name.replace('-', '_')}", menu,
                   (lambda text=(r.menu_text or r.title): QCoreApplication.translate("reports", text)),
                   permission=r.permission)
        for r in reports)


FEATURE = Feature("statistics", report_entries("statistics"))
