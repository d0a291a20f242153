"""档案管理 and 员工档案 windows, opened from the main window's menus by key."""
from __future__ import annotations

from ui.archives.employees import EmployeesPanel
from ui.archives.panels import (
    DepartmentsPanel,
    MediaPanel,
    PlacementsPanel,
    ProductsPanel,
    RegionsPanel,
    VarietiesPanel,
)
from ui.archives.system_settings import SystemSettingsPanel

# key -> panel class; the key is also what the layout file remembers as "open".
ARCHIVE_PANELS = {
    "regions": RegionsPanel,
    "departments": DepartmentsPanel,
    "varieties": VarietiesPanel,
    "products": ProductsPanel,
    "media": MediaPanel,
    "placements": PlacementsPanel,
    "system_settings": SystemSettingsPanel,
    "employees": EmployeesPanel,
}

__all__ = ["ARCHIVE_PANELS"]
