"""直销管理, the direct-sales screens: customer directory and query, the customer record,
order form, sales directory, reminders and customer maintenance.

Declared here for the main window's registry; `SalesFeature` (ui.sales.feature) wires the
panels together and provides the `CustomerScreen` the call feature pops a caller into.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import Permission
from ui.kit.registry import ActionEntry, Area, Feature, PanelEntry


def _tr(text: str) -> str:
    return QCoreApplication.translate("SalesFeature", text)


FEATURE = Feature("sales", (
    ActionEntry("sales.new_customer", "sales", lambda: _tr("&New customer"), "new_customer",
                shortcut="Ctrl+N", toolbar=True),
    PanelEntry("sales.directory", "ui.sales.directory:CustomerDirectoryPanel", "sales",
               lambda: _tr("Customer &directory"), Area.LeftDockWidgetArea, shortcut="F6",
               toolbar=True, at_start=True),
    ActionEntry("sales.query", "sales", lambda: _tr("Customer &query…"), "open_query",
                shortcut="Ctrl+F"),
    PanelEntry("sales.record", "ui.sales.record:CustomerRecordPanel", "",
               lambda: "", Area.RightDockWidgetArea, at_start=True),
    PanelEntry("sales.sales_directory", "ui.sales.sales_directory:SalesDirectoryPanel", "sales",
               lambda: _tr("&Sales directory"), Area.BottomDockWidgetArea, at_start=True),
    PanelEntry("sales.reminders", "ui.sales.reminders:ReminderListPanel", "sales",
               lambda: _tr("Customer &reminders"), Area.BottomDockWidgetArea,
               tab_with=("sales.sales_directory",), at_start=True),
    PanelEntry("sales.maintenance", "ui.sales.maintenance:CustomerMaintenancePanel", "sales",
               lambda: _tr("Customer &maintenance"), Area.RightDockWidgetArea,
               permission=Permission.CUSTOMER_MAINTENANCE, tab_with=("sales.record",),
               separator=True),
), controller="ui.sales.feature:SalesFeature")
