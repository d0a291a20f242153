"""One declaration per window and command: the main window builds its menus, tool bar and
docks from these, so a new window is one entry plus its class.

A feature package (ui.sales, ui.call, ui.archives, …) declares a `FEATURE = Feature(...)`
in its `__init__` and is listed in `ui.features.FEATURES`. For every entry the window:
- puts a translated action in the entry's menu (and on the tool bar when `toolbar`), with
  its shortcut, re-translated when the language changes;
- hides it from a user without `permission` (the service refuses them anyway);
- for a `PanelEntry`, creates the panel the first time it is opened (`cls(ctx, parent)`,
  imported only then), docks it in `area`, tabbed beside the first of `tab_with` that is
  docked, and remembers it in the user's layout so it is back at the next login;
- for an `ActionEntry`, calls the method `handler` of the feature's controller.

The controller (`Feature.controller`, "module:Class") is made once per login as
`Class(host, ctx)` before the start-up panels; it wires the feature's panels to each other
as they are created (`panel_created`), provides its side of the contracts
(ui.kit.contracts), and its `started()` runs once the start-up panels exist.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt

from db.enums import Permission

Area = Qt.DockWidgetArea
MENU_KEYS = ("system", "archives", "sales", "logistics", "calls", "statistics", "help")


def load(target: str) -> Any:
    """"package.module:Name" → the object, importing the module now."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class PanelEntry:
    key: str                       # stable: the layout file remembers open panels by it
    target: str                    # "ui.call.missed:MissedCallsPanel"
    menu: str                      # one of MENU_KEYS
    text: Callable[[], str]        # the menu text, translated when called
    area: Area = Area.RightDockWidgetArea
    permission: Permission | None = None
    shortcut: str = ""
    toolbar: bool = False
    tab_with: tuple[str, ...] = ()
    at_start: bool = False         # docked at every login: the agent's working set
    separator: bool = False        # a menu separator before the entry
    demo_only: bool = False


@dataclass(frozen=True)
class ActionEntry:
    key: str
    menu: str
    text: Callable[[], str]
    handler: str                   # a method of the feature's controller
    permission: Permission | None = None
    shortcut: str = ""
    toolbar: bool = False
    separator: bool = False
    demo_only: bool = False
    tip: Callable[[], str] | None = None


Entry = PanelEntry | ActionEntry


@dataclass(frozen=True)
class Feature:
    name: str
    entries: tuple[Entry, ...]
    controller: str = ""           # "ui.sales.controller:SalesController", or none

    def panels(self) -> tuple[PanelEntry, ...]:
        return tuple(e for e in self.entries if isinstance(e, PanelEntry))


def allowed(entry: Entry, actor, demo: bool) -> bool:
    if entry.demo_only and not demo:
        return False
    return entry.permission is None or actor.can(entry.permission)


def report_entries(menu: str) -> tuple[PanelEntry, ...]:
    """The windows of the reports of `menu` ("statistics", or "logistics" for 物流管理's
    reports), keyed "statistics.<name>" wherever they sit: each opens the generic report window
    of ui.statistics.window, named by its target string (no import of that feature here)."""
    from agent_app.reports import load_all  # the catalogue, imported when a menu is built

    reports = sorted((r for r in load_all().values() if r.menu == menu),
                     key=lambda r: (r.order, r.name))
    return tuple(
        PanelEntry(f"statistics.{r.name.replace('-', '_')}",
                   f"ui.statistics.window:Report_{r.name.replace('-', '_')}", menu,
                   (lambda text=(r.menu_text or r.title): QCoreApplication.translate("reports", text)),
                   permission=r.permission)
        for r in reports)
