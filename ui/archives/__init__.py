"""档案管理 and 员工档案: the archive windows, declared for the main window's registry.

Every user may open them (an operator reads the archives); the panels offer editing only
with the 档案维护 permission, and the services refuse it otherwise. The keys are what the
layout file remembers as open.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ui.kit.registry import Feature, PanelEntry


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def _archive(key: str, cls: str, text, **kw) -> PanelEntry:
    return PanelEntry(key, f"ui.archives.{cls}", kw.pop("menu", "archives"), text, **kw)


FEATURE = Feature("archives", (
    _archive("employees", "employees:EmployeesPanel", lambda: _tr("&Employees"),
             menu="system"),
    _archive("regions", "panels:RegionsPanel", lambda: _tr("&Regions")),
    _archive("departments", "panels:DepartmentsPanel", lambda: _tr("&Departments")),
    _archive("varieties", "panels:VarietiesPanel", lambda: _tr("&Varieties")),
    _archive("products", "panels:ProductsPanel", lambda: _tr("&Products")),
    _archive("media", "panels:MediaPanel", lambda: _tr("&Media")),
    _archive("placements", "panels:PlacementsPanel", lambda: _tr("Media p&lacements")),
    _archive("system_settings", "system_settings:SystemSettingsPanel",
             lambda: _tr("&System settings"), separator=True),
))
ARCHIVE_KEYS = tuple(e.key for e in FEATURE.entries)
