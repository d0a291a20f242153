"""The call feature (前台管理 and 接线管理), declared for the main window's registry.

`CallFeature` (ui.call.feature) owns the one CtiBridge (ctx.cti) and the screen-pop; the
call console docks at login, the other call panels when first opened (QtMultimedia, the
query's player, loads only for those who play recordings). F2 answer, F3 hang up, F4
ready, F5 busy are the Calls menu's shortcuts.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from db.enums import Permission
from ui.kit.registry import ActionEntry, Area, Feature, PanelEntry


def _tr(text: str) -> str:
    return QCoreApplication.translate("call", text)


# Call panels share the middle area with the customer record (a screen-pop raises the
# record again); the console takes the bottom row beside the sales directory.
_MIDDLE = ("sales.record",)

FEATURE = Feature("call", (
    PanelEntry("call.console", "ui.call.console:CallConsolePanel", "calls",
               lambda: _tr("Call &console"), Area.BottomDockWidgetArea,
               tab_with=("sales.sales_directory",), at_start=True),
    PanelEntry("call.query", "ui.call.calls_query:CallQueryPanel", "calls",
               lambda: _tr("Call &query"), tab_with=_MIDDLE),
    PanelEntry("call.missed", "ui.call.missed:MissedCallsPanel", "calls",
               lambda: _tr("&Missed calls"), tab_with=_MIDDLE),
    PanelEntry("call.internal", "ui.call.internal:InternalNumbersPanel", "calls",
               lambda: _tr("&Internal numbers"), tab_with=_MIDDLE),
    PanelEntry("call.supervisor", "ui.call.supervisor:SupervisorPanel", "calls",
               lambda: _tr("&Monitoring"), permission=Permission.MONITOR, tab_with=_MIDDLE),
    ActionEntry("call.answer", "calls", lambda: _tr("Answer"), "answer", shortcut="F2",
                separator=True),
    ActionEntry("call.hangup", "calls", lambda: _tr("Hang up"), "hangup", shortcut="F3"),
    ActionEntry("call.ready", "calls", lambda: _tr("Ready"), "ready", shortcut="F4"),
    ActionEntry("call.busy", "calls", lambda: _tr("Busy"), "ask_busy", shortcut="F5"),
    ActionEntry("call.demo_call", "calls", lambda: _tr("Place a demo call"), "place_demo_call",
                toolbar=True, demo_only=True, separator=True,
                tip=lambda: _tr("Ask the built-in CTI server for a call from a demo customer")),
), controller="ui.call.feature:CallFeature")
