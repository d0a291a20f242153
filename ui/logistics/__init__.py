"""物流管理, declared for the main window's registry: the logistics clerk's windows.

出库反馈 is the clerk's core job (a scanner and the keyboard, hundreds of parcels a
round); the menu needs 反馈 (Permission.DISPATCH_FEEDBACK), which is what makes an
employee a logistics clerk. The service checks again (services/logistics.py).
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import Permission
from ui.kit.registry import Feature, PanelEntry, report_entries


def _tr(text: str) -> str:
    return QCoreApplication.translate("logistics", text)


FEATURE = Feature("logistics", (
    PanelEntry("logistics.catalog", "ui.logistics.catalog:DispatchCatalogPanel",
               "logistics", lambda: _tr("Dispatch &catalogue"),
               permission=Permission.DISPATCH_FEEDBACK, tab_with=("sales.record",)),
    PanelEntry("logistics.feedback", "ui.logistics.feedback:DispatchFeedbackPanel",
               "logistics", lambda: _tr("Dispatch &feedback"),
               permission=Permission.DISPATCH_FEEDBACK, tab_with=("sales.record",)),
    PanelEntry("logistics.sheets", "ui.logistics.sheets:CourierSheetPanel", "logistics",
               lambda: _tr("Courier &sheets"), permission=Permission.DISPATCH_FEEDBACK,
               tab_with=("sales.record",)),
    # 出库反馈明细表, 投递统计, 出库压单明细表, 作废表, 交寄清单 (agent_app/reports/logistics.py)
    *report_entries("logistics"),
))
