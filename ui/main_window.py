"""The main window: a thin assembler of dock panels (style.md §4, §8).

Feature areas (ui.sales, ui.call, …) are installed by import: each module's
`install(window, ctx)` returns a feature object, stored in `window.features[name]`.
They use this small API and nothing else of the window:

    window.add_panel(panel, area=None, tabify_with=None)  # dock a ui.kit.panel.Panel
    window.menu(key) -> QMenu     # key in MENU_KEYS: system archives sales logistics
                                  #                   calls statistics help
    window.toolbar() -> QToolBar  # the main tool bar
    window.show_notice(text)      # a toast that never blocks and needs no click

Each user's layout (geometry, docks, open archive windows) is saved on close as
saveState() bytes in home()/layouts/<login>.json and restored after the next login
(ui.kit.layout).
"""
from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.accounts import AccountService
from ui.archives import ARCHIVE_PANELS
from ui.context import AppContext
from ui.crash import log_file
from ui.kit import layout
from ui.kit.layout import path_for as layout_path  # noqa: F401 - ui.sales finds it here
from ui.kit.panel import Panel
from ui.labels import role_names
from ui.toast import Toaster

log = logging.getLogger(__name__)
MENU_KEYS = ("system", "archives", "sales", "logistics", "calls", "statistics", "help")
FEATURES = ("ui.sales", "ui.call")


class MainWindow(QMainWindow):
    settings_requested = Signal()
    language_changed = Signal()
    closed = Signal()  # after the layout is saved: the shell ends the program

    def __init__(self, ctx: AppContext, *, database_label: str = "",
                 install_features: bool = True) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.ctx = ctx
        self.database_label = database_label
        self.features: dict[str, object] = {}
        self.database_reachable = True
        self.panels: dict[str, Panel] = {}  # archive windows opened so far, by key
        self.dialog = None  # the non-modal dialog currently open (kept referenced)
        self.toaster = Toaster(self)
        self._texts: list[tuple[object, object]] = []  # (widget/action, () -> text)
        self._menus: dict[str, QMenu] = {}
        self._placeholders: dict[str, QAction] = {}
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
        if install_features:
            self.install_features()
        self.retranslate_ui()
        self.layout_restored = self.restore_layout()

    # -- the API for feature areas ----------------------------------------------------------
    def menu(self, key: str) -> QMenu:
        return self._menus[key]

    def toolbar(self) -> QToolBar:
        return self._toolbar

    def add_panel(self, panel: Panel, area: Qt.DockWidgetArea | None = None,
                  tabify_with: Panel | None = None) -> Panel:
        """Dock `panel`; with `tabify_with`, as a tab beside that panel."""
        self.addDockWidget(area or panel.default_area, panel)
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, panel)
        self._panels_menu.addAction(panel.toggleViewAction())
        return panel

    def show_notice(self, text: str, msec: int = 5000) -> QLabel:
        log.info("notice: %s", text)
        return self.toaster.show(text, msec)

    # -- building ---------------------------------------------------------------------------
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

    def _text(self, target, fn) -> None:
        self._texts.append((target, fn))

    def _action(self, menu: QMenu, name: str, text_fn, slot) -> QAction:
        act = QAction(self)
        act.setObjectName(name)
        act.triggered.connect(slot)
        menu.addAction(act)
        self._text(act, text_fn)
        return act

    def _build_menus(self) -> None:
        titles = {"system": lambda: self.tr("&System"), "archives": lambda: self.tr("&Archives"),
                  "sales": lambda: self.tr("&Direct sales"),
                  "logistics": lambda: self.tr("&Logistics"), "calls": lambda: self.tr("&Calls"),
                  "statistics": lambda: self.tr("S&tatistics"), "help": lambda: self.tr("&Help")}
        for key in MENU_KEYS:
            m = self.menuBar().addMenu("")
            m.setObjectName(f"menu_{key}")
            self._menus[key] = m
            self._text(m.menuAction(), titles[key])
        sysm = self._menus["system"]
        self._action(sysm, "act_change_password", lambda: self.tr("Change &password…"),
                     self.open_change_password)
        self._action(sysm, "act_workstation_settings", lambda: self.tr("&Workstation settings…"),
                     self.settings_requested)
        self._action(sysm, "act_employees", lambda: self.tr("&Employees"),
                     lambda: self.open_archive("employees"))
        sysm.addSeparator()
        self._panels_menu = sysm.addMenu("")
        self._panels_menu.setObjectName("menu_panels")
        self._text(self._panels_menu.menuAction(), lambda: self.tr("Pa&nels"))
        sysm.addSeparator()
        self._action(sysm, "act_exit", lambda: self.tr("E&xit"), self.close)
        arch = self._menus["archives"]
        labels = {"regions": lambda: self.tr("&Regions"),
                  "departments": lambda: self.tr("&Departments"),
                  "varieties": lambda: self.tr("&Varieties"),
                  "products": lambda: self.tr("&Products"), "media": lambda: self.tr("&Media"),
                  "placements": lambda: self.tr("Media p&lacements"),
                  "system_settings": lambda: self.tr("&System settings")}
        for key, fn in labels.items():
            if key == "system_settings":
                arch.addSeparator()
            self._action(arch, f"act_{key}", fn, lambda _=False, k=key: self.open_archive(k))
        helpm = self._menus["help"]
        self._action(helpm, "act_log", lambda: self.tr("Open the &log folder"),
                     lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file().parent))))
        self._action(helpm, "act_about", lambda: self.tr("&About"), self.open_about)
        for key in ("sales", "logistics", "calls", "statistics"):
            ph = QAction(self)
            ph.setEnabled(False)
            self._menus[key].addAction(ph)
            self._placeholders[key] = ph
            self._text(ph, lambda: self.tr("(not available in this version)"))
            self._menus[key].aboutToShow.connect(lambda k=key: self._sync_placeholder(k))

    def _sync_placeholder(self, key: str) -> None:
        """The placeholder shows only while no feature has put anything in the menu."""
        others = [a for a in self._menus[key].actions() if a is not self._placeholders[key]]
        self._placeholders[key].setVisible(not others)

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
        self.db_label.setText(self.tr("Database: {db}").format(db=self.database_label)
                              if self.database_reachable else
                              self.tr("Database {db} unreachable: trying again…")
                              .format(db=self.database_label))

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

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)

    # -- features and archive windows -------------------------------------------------------
    def install_features(self) -> None:
        for name in FEATURES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:  # the feature exists but something it needs is missing
                    log.exception("feature %s could not be imported", name)
                    self.show_notice(self.tr("{feature} could not be loaded; see the log.")
                                     .format(feature=name))
                continue
            install = getattr(module, "install", None)
            if install is None:
                continue
            try:
                self.features[name.split(".")[-1]] = install(self, self.ctx)
            except Exception:  # one broken feature must not keep the agent from working
                log.exception("feature %s failed to install", name)
                self.show_notice(self.tr("{feature} could not be loaded; see the log.")
                                 .format(feature=name))

    def open_archive(self, key: str) -> Panel:
        panel = self.panels.get(key)
        if panel is None:
            panel = ARCHIVE_PANELS[key](self.ctx, self)
            self.panels[key] = panel
            docked = [p for p in self.panels.values() if p is not panel
                      and not p.isFloating() and self.dockWidgetArea(p) == panel.default_area]
            self.add_panel(panel, tabify_with=docked[-1] if docked else None)
            self.restoreDockWidget(panel)  # back where this user last had it, if anywhere
        panel.show()
        panel.raise_()
        panel.ensure_built()
        return panel

    # -- dialogs ----------------------------------------------------------------------------
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

    # -- layout per user --------------------------------------------------------------------
    def save_layout(self) -> None:
        layout.save(self, self.ctx.actor.login,
                    [k for k, p in self.panels.items() if p.isVisible()])

    def restore_layout(self) -> bool:
        saved = layout.load(self.ctx.actor.login)
        if saved is None:
            return False  # first login here, or a damaged file: the default layout
        for key in saved.panels:  # docks must exist before restoreState can place them
            if key in ARCHIVE_PANELS:
                self.open_archive(key)
        return layout.apply(self, saved)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.save_layout()
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()
