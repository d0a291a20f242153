"""The main window: built from the feature registry (ui.kit.registry, ui.features).

Its menus, tool bar and docks come from the features' declarations; it creates each panel
the first time it is opened and makes each feature's controller once per login. What a
controller may use of it (the "host"):

    host.ctx                        # the login's AppContext
    host.panel(key) -> Panel        # created and docked on first use, then shown and raised
    host.find_panel(key)            # the panel if it exists, else None
    host.panel_created              # Signal(str key, Panel): wire a panel once it exists
    host.provide(Contract, impl)    # ui.kit.contracts: this feature's side of a contract
    host.lookup(Contract)           # another feature's side, or None
    host.action(key) -> QAction     # a registry entry's action
    host.show_notice(text)          # a toast that never blocks and needs no click

Each user's layout (geometry, docks, open panels) is saved on close in
home()/layouts/<login>.json and restored after the next login (ui.kit.layout).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from agent_app.services.accounts import AccountService
from agent_app.services.privacy import sees_full_numbers
from ui.context import AppContext
from ui.crash import log_file
from ui.features import FEATURES
from ui.kit import layout
from ui.kit.panel import Panel
from ui.kit.registry import MENU_KEYS, ActionEntry, Feature, PanelEntry, allowed, load
from ui.kit.table import show_full_numbers
from ui.labels import role_names
from ui.toast import Toaster

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QApplication.translate("MainWindow", text)


# The window's own commands (系统 and 帮助), declared like any feature's.
DESK = Feature("desk", (
    ActionEntry("change_password", "system", lambda: _tr("Change &password…"),
                "open_change_password"),
    ActionEntry("workstation_settings", "system", lambda: _tr("&Workstation settings…"),
                "request_settings"),
    ActionEntry("log", "help", lambda: _tr("Open the &log folder"), "open_log_folder"),
    ActionEntry("about", "help", lambda: _tr("&About"), "open_about"),
))
# 退出 closes the 系统 menu, after every feature's entries there.
DESK_LAST = Feature("desk", (ActionEntry("exit", "system", lambda: _tr("E&xit"), "close"),))


class MainWindow(QMainWindow):
    settings_requested = Signal()
    language_changed = Signal()
    panel_created = Signal(str, object)  # registry key, the new Panel
    closed = Signal()  # after the layout is saved: the shell ends the program

    def __init__(self, ctx: AppContext, *, database_label: str = "",
                 features: Sequence[Feature] | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.ctx = ctx
        # the phone columns' second line of masking (docs/privacy.md) follows this user
        show_full_numbers(sees_full_numbers(ctx.actor))
        self.database_label = database_label
        self.database_reachable = True
        self.database_server = ""   # set after a failover: the server now in use
        self.registry: list[Feature] = [DESK, *(FEATURES if features is None else features),
                                        DESK_LAST]
        self.entries: dict[str, PanelEntry | ActionEntry] = {}
        self.features: dict[str, Any] = {"desk": self}  # feature name -> its controller
        self.panels: dict[str, Panel] = {}  # the panels created so far, by registry key
        self.dialog = None  # the non-modal dialog currently open (kept referenced)
        self.toaster = Toaster(self)
        self._contracts: dict[type, Any] = {}
        self._texts: list[tuple[Any, Any]] = []  # (widget/action, () -> text)
        self._menus: dict[str, QMenu] = {}
        self._actions: dict[str, QAction] = {}
        self._toolbar = QToolBar()
        self._toolbar.setObjectName("mainToolBar")
        self.addToolBar(self._toolbar)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.setDocumentMode(True)
        self._build_central()
        self._build_menus()
        self._build_status()
        for feature in self.registry:
            if feature.controller:
                self.features[feature.name] = load(feature.controller)(self, ctx)
        for feature in self.registry:
            for entry in feature.panels():
                if entry.at_start and self._allowed(entry):
                    self._create(entry)
        for name, controller in self.features.items():
            if name != "desk":  # every feature controller starts once its panels exist
                controller.started()
        self.retranslate_ui()
        self.layout_restored = self.restore_layout()

    # -- the host API -------------------------------------------------------------------------
    def panel(self, key: str) -> Panel:
        """The panel of registry entry `key`: created and docked the first time, then shown,
        raised and built."""
        panel = self.panels.get(key)
        if panel is None:
            panel = self._create(self.entries[key])
            if panel.height_share and not panel.isFloating():
                # opened by the user, not placed by their saved layout: once the dock is
                # laid out, its group (the tabs it joined) gets the share of the height
                QTimer.singleShot(0, lambda p=panel: self._share_height(p))
        panel.show()
        panel.raise_()
        panel.ensure_built()
        return panel

    def find_panel(self, key: str) -> Panel | None:
        return self.panels.get(key)

    def open_archive(self, key: str) -> Panel:
        return self.panel(key)

    def provide(self, contract: type, impl: Any) -> None:
        self._contracts[contract] = impl

    def lookup(self, contract: type) -> Any:
        return self._contracts.get(contract)

    def action(self, key: str) -> QAction:
        return self._actions[key]

    def registry_actions(self, feature: str) -> dict[str, QAction]:
        """A feature's actions this user has, by key without the "feature." prefix."""
        return {k.removeprefix(f"{feature}."): a for k, a in self._actions.items()
                if k.startswith(f"{feature}.")}

    def menu(self, key: str) -> QMenu:
        return self._menus[key]

    def toolbar(self) -> QToolBar:
        return self._toolbar

    def show_notice(self, text: str, msec: int = 5000) -> QLabel:
        log.info("notice: %s", text)
        return self.toaster.show(text, msec)

    # -- building -----------------------------------------------------------------------------
    def _allowed(self, entry: PanelEntry | ActionEntry) -> bool:
        return allowed(entry, self.ctx.actor, self.ctx.demo)

    def _create(self, entry: PanelEntry) -> Panel:
        panel = load(entry.target)(self.ctx, self)
        self.panels[entry.key] = panel
        # a panel deleted under the window (tests do it) is no longer the window's
        panel.destroyed.connect(lambda _=None, k=entry.key: self.panels.pop(k, None))
        neighbour = next((p for p in (self.panels.get(k) for k in entry.tab_with)
                          if p is not None and not p.isFloating()
                          and self.dockWidgetArea(p) == entry.area), None)
        if neighbour is None:  # else a tab beside a panel already docked in that area: a
            # new dock split off it would squeeze both (and push the status bar off a
            # 768-pixel screen)
            neighbour = next((p for p in self.panels.values() if p is not panel
                              and not p.isFloating() and self.dockWidgetArea(p) == entry.area),
                             None)
        self.addDockWidget(entry.area, panel)
        if neighbour is not None:
            self.tabifyDockWidget(neighbour, panel)
        self._panels_menu.addAction(panel.toggleViewAction())
        self.restoreDockWidget(panel)  # back where this user last had it, if anywhere
        self.panel_created.emit(entry.key, panel)
        return panel

    def _share_height(self, panel: Panel) -> None:
        if isValid(panel) and panel.isVisible() and not panel.isFloating():
            self.resizeDocks([panel], [int(self.height() * panel.height_share)],
                             Qt.Orientation.Vertical)

    def _build_central(self) -> None:
        page = QWidget()
        page.setObjectName("homePage")
        self.welcome = QLabel()
        self.welcome.setObjectName("welcome")
        self.hint = QLabel()
        self.hint.setObjectName("welcomeHint")
        self.hint.setWordWrap(True)
        lay = QVBoxLayout(page)
        lay.addStretch(1)
        for label in (self.welcome, self.hint):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            lay.addWidget(label)
        lay.addStretch(2)
        self.setCentralWidget(page)

    def _build_menus(self) -> None:
        titles = {"system": lambda: self.tr("&System"), "archives": lambda: self.tr("&Archives"),
                  "sales": lambda: self.tr("&Direct sales"),
                  "logistics": lambda: self.tr("&Logistics"), "calls": lambda: self.tr("&Calls"),
                  "statistics": lambda: self.tr("S&tatistics"), "help": lambda: self.tr("&Help")}
        for key in MENU_KEYS:
            m = QMenu(self)
            m.setObjectName(f"menu_{key}")
            self._menus[key] = m
            self._texts.append((m.menuAction(), titles[key]))
        self._panels_menu = QMenu(self)
        self._panels_menu.setObjectName("menu_panels")
        self._texts.append((self._panels_menu.menuAction(), lambda: self.tr("Pa&nels")))
        for feature in self.registry:
            for entry in feature.entries:
                self.entries[entry.key] = entry
                if entry.menu and self._allowed(entry):
                    self._add_action(feature, entry)
        system = self._menus["system"]
        exit_action = self._actions["exit"]
        system.insertSeparator(exit_action)
        system.insertMenu(exit_action, self._panels_menu)
        for key in MENU_KEYS:  # a menu with nothing for this user is not shown at all
            if self._menus[key].actions():
                self.menuBar().addMenu(self._menus[key])

    def _add_action(self, feature: Feature, entry: PanelEntry | ActionEntry) -> None:
        act = QAction(self)
        act.setObjectName(f"act_{entry.key.replace('.', '_')}")
        if entry.shortcut:
            act.setShortcut(QKeySequence(entry.shortcut))
        if isinstance(entry, PanelEntry):
            act.triggered.connect(lambda _=False, k=entry.key: self.panel(k))
        else:
            act.triggered.connect(lambda _=False, f=feature.name, h=entry.handler:
                                  getattr(self.features[f], h)())
            if entry.tip is not None:
                self._texts.append((_Tip(act), entry.tip))
        menu = self._menus[entry.menu]
        if entry.separator and menu.actions():
            menu.addSeparator()
        menu.addAction(act)
        if entry.toolbar:
            self._toolbar.addAction(act)
        self._actions[entry.key] = act
        self._texts.append((act, entry.text))

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.user_label = QLabel()
        self.user_label.setObjectName("statusUser")
        self.seat_label = QLabel()
        self.seat_label.setObjectName("statusSeat")
        self.db_label = QLabel()
        self.db_label.setObjectName("statusDb")
        for w in (self.user_label, self.seat_label, self.db_label):
            sb.addPermanentWidget(w)

    def retranslate_ui(self) -> None:
        a = self.ctx.actor
        title = self.tr("Agent desk")
        if self.ctx.demo:
            title += " — " + self.tr("demo")
        self.setWindowTitle(f"{title} — {a.name} ({a.login})")
        for target, fn in self._texts:
            target.setText(fn())
        self.welcome.setText(self.tr("Welcome, {name}").format(name=a.name))
        self.hint.setText(self.tr("Open archives and panels from the menus above. "
                                  "Your window layout is saved when you close the program."))
        self.user_label.setText(self.tr("User: {name} ({login}), {role}").format(
            name=a.name, login=a.login, role=role_names().get(a.role, a.role)))
        seat = self.ctx.settings.seat or self.tr("none")
        self.seat_label.setText(self.tr("Seat: {seat}").format(seat=seat))
        if not self.database_reachable:
            text = self.tr("Database {db} unreachable: trying again…").format(
                db=self.database_label)
        elif self.database_server:
            text = self.tr("Database: {db}, through {server}").format(
                db=self.database_label, server=self.database_server)
        else:
            text = self.tr("Database: {db}").format(db=self.database_label)
        self.db_label.setText(text)

    def set_database_reachable(self, reachable: bool) -> None:
        """From ui.dbwatch: the status bar says when the database cannot be reached."""
        self.database_reachable = reachable
        self.db_label.setProperty("role", "" if reachable else "error")
        self.db_label.style().unpolish(self.db_label)
        self.db_label.style().polish(self.db_label)
        self.retranslate_ui()
        if reachable:
            self.show_notice(self.tr("The database can be reached again; repeat what "
                                     "failed."))

    def set_database_server(self, old: str, new: str) -> None:
        """From ui.dbwatch: the connections moved to another server of the cluster."""
        self.database_server = new
        self.retranslate_ui()
        self.show_notice(self.tr("Database server {old} stopped answering; the desk now "
                                 "works through {new}. Repeat anything that failed; "
                                 "your open forms are kept.").format(old=old, new=new))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
            self.language_changed.emit()
        super().changeEvent(event)

    # -- the window's own commands ------------------------------------------------------------
    def request_settings(self) -> None:
        self.settings_requested.emit()

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file().parent)))

    def open_change_password(self) -> None:
        from ui.dialogs.password import ChangePasswordDialog

        self.dialog = ChangePasswordDialog(self.ctx.runner,
                                           self.ctx.services.get(AccountService),
                                           self.ctx.actor, parent=self)
        self.dialog.accepted.connect(lambda: self.show_notice(self.tr("Password changed.")))
        self.dialog.open()

    def open_about(self) -> None:
        from agent_app import __version__

        box = QMessageBox(QMessageBox.Icon.Information, self.tr("About"),
                          self.tr("Agent desk {version}\nCall-center agent desktop.")
                          .format(version=__version__), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutBox")
        self.dialog = box
        box.open()

    # -- layout per user ----------------------------------------------------------------------
    def save_layout(self) -> None:
        layout.save(self, self.ctx.actor.login,
                    [k for k, p in self.panels.items() if p.isVisible()])

    def restore_layout(self) -> bool:
        saved = layout.load(self.ctx.actor.login)
        if saved is None:
            return False  # first login here, or a damaged file: the default layout
        for key in saved.panels:  # docks must exist before restoreState can place them
            entry = self.entries.get(key)
            if isinstance(entry, PanelEntry) and self._allowed(entry) and key not in self.panels:
                self._create(entry)
        return layout.apply(self, saved)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.save_layout()
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()


class _Tip:
    """Lets a tool tip be re-set with the action's text on a language change."""

    def __init__(self, action: QAction) -> None:
        self.action = action

    def setText(self, text: str) -> None:  # noqa: N802 - the setText protocol of _texts
        self.action.setToolTip(text)
