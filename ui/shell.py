"""The start-up sequence behind agent-app, as one coroutine on the qasync loop:
database → login → forced password change → main window, then wait for quit.

Nothing here blocks the GUI thread: the schema check, the demo database and the login
run on the DbRunner's threads; dialogs are open()ed and awaited (ui.dialogs.wait_finished).
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import signal
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from agent_app.config import WorkstationSettings, home
from agent_app.dbcheck import EmployeeGate, open_checked, uses_employee_accounts
from agent_app.errors import UserError
from agent_app.services.accounts import AccountService, LoginResult
from db.engine import Database, database_label
from ui.collector import freeze_startup_objects
from ui.context import AppContext, Services
from ui.dialogs import wait_finished
from ui.errors import error_text, known_error
from ui.worker import DbRunner, LagProbe

log = logging.getLogger("agent_app.ui")


def feature_modules() -> list[str]:
    """The modules the main window imports at its start (its features' controllers and
    the panels open at start)."""
    from ui.features import FEATURES

    modules = {"ui.main_window"}
    for feature in FEATURES:
        modules.add(feature.controller.partition(":")[0])
        modules.update(e.target.partition(":")[0] for e in feature.panels() if e.at_start)
    return sorted(modules - {""})


class Preloader:
    """Imports the main window's modules while the login dialog waits for the user:
    importing them all after the login blocked the GUI thread ~600 ms.

    The Qt modules load on the GUI thread, one per event-loop turn, never on a thread of
    their own (only the Qt-free core does, `CORE`): a preload thread defining Qt subclasses (each a new type and meta-object in PySide's
    shared registries) while the GUI thread ran the login dialog crashed the desk now and
    then with a segmentation fault in the GUI thread (two crashes in ~60 e2e logins, both
    with the preload thread mid-import). Between two imports the dialog takes keystrokes;
    a key typed during one is queued, never lost. Panels opened later (and QtMultimedia
    with the call query's player) load when first opened."""

    # Modules without Qt that the features import, heaviest first (pypinyin's phrase
    # tables alone take ~360 ms): these may load on a thread, as no Qt type is made there.
    CORE = ("agent_app.search_text", "agent_app.services.calls", "agent_app.services.orders",
            "agent_app.services.reminders", "agent_app.services.contacts")

    def __init__(self) -> None:
        self.pending: list[str] | None = None
        self._core: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self.pending is not None

    def start(self) -> None:
        if self.pending is None:
            self.pending = feature_modules()
            self._core = threading.Thread(target=self._load_core, name="preload-core",
                                          daemon=True)
            self._core.start()
            QTimer.singleShot(0, self._next)

    def _load_core(self) -> None:
        for name in self.CORE:
            self._load(name)

    def _next(self) -> None:
        if self._core is not None and self._core.is_alive():
            QTimer.singleShot(20, self._next)  # the Qt modules after the core ones
            return
        if self.pending:
            self._load(self.pending.pop(0))
        if self.pending:
            QTimer.singleShot(0, self._next)

    def finish(self) -> None:
        """Whatever is still to import, now (after the login, or when no dialog was
        shown)."""
        if self._core is not None:
            self._core.join()
        if self.pending is None:
            self.pending = feature_modules()
        while self.pending:
            self._load(self.pending.pop(0))

    @staticmethod
    def _load(name: str) -> None:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the main window reports it when it imports
            log.debug("preloading %s failed", name, exc_info=True)


def fit_to_screen(window) -> None:
    """First start on this workstation: the window fills the screen's available area
    (the desk is open all day; a fixed 1280×800 put the status bar below a 768-pixel
    screen). Later starts restore the size the user left it at."""
    screen = window.screen() or QApplication.primaryScreen()
    area = screen.availableGeometry()
    window.setWindowState(Qt.WindowState.WindowMaximized)
    window.setGeometry(area)  # without a window manager, maximised is only a flag


@dataclass(frozen=True)
class DemoLogin:
    url: str
    login: str
    password: str


class Shell:
    def __init__(self, app: QApplication, args, settings: WorkstationSettings,
                 reporter, started_at: float | None = None) -> None:
        self.app, self.args, self.settings, self.reporter = app, args, settings, reporter
        # the process's start, for the "database ready" and "login dialog" figures
        self.started_at = time.perf_counter() if started_at is None else started_at
        self.runner = DbRunner()
        self.db: Database | None = None
        self.window = None
        self.cti_server = None
        self.demo = None
        self.probe = LagProbe(interval_ms=50)
        self.credentials: tuple[str, str] | None = None  # for the CTI link's login
        self.login_accepted_at: float | None = None  # for the login-to-window figure

    # -- the sequence -----------------------------------------------------------------------
    async def run(self) -> int:
        quit_event = asyncio.Event()
        self.quit_event = quit_event
        self.app.aboutToQuit.connect(quit_event.set)
        # Never let Qt quit by itself: with quit-on-last-window, closing the login dialog
        # (the only window at that moment) stopped the qasync loop before the main window
        # existed, and the program exited 0 without a word. The program ends when the
        # main window closes, when a start-up step is cancelled, or on aboutToQuit.
        self.app.setQuitOnLastWindowClosed(False)
        self.probe.start()
        previous = self._handle_terminate()
        try:
            return await self._run(quit_event)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.probe.stop()
            await self._stop_cti()
            self.runner.shutdown()
            if self.db is not None:
                self.db.dispose()

    async def _run(self, quit_event: asyncio.Event) -> int:
        # started once the login dialog is up (the user types for seconds; started
        # earlier it would delay the dialog's own first paint)
        self._preload = Preloader()
        demo_mode = bool(self.args.demo or self.args.screenshot)
        if demo_mode:
            self.demo = await self._prepare_demo()
            if self.demo is None:
                return 1
            url = self.demo.url
        else:
            url = self.settings.database_url()
        while True:
            if not demo_mode and uses_employee_accounts(url):
                # A shared site with per-employee database accounts: the database opens
                # with the password the user types, so the login comes first.
                gate = EmployeeGate(url)
                result = await self._login_dialog(gate)
                self.db, gate.db = gate.db, None
            else:
                self.db = await self._open_database(url)
                if self.db is None:
                    return 1
                log.info("database ready after %.0f ms",
                         (time.perf_counter() - self.started_at) * 1000)
                accounts = AccountService(self.db)
                if demo_mode:
                    result = await self._demo_login(accounts)
                else:
                    result = await self._login_dialog(accounts)
            if result == "reconnect":  # the data source changed in the settings dialog
                if self.db is not None:
                    self.db.dispose()
                self.db = None
                url = self.settings.database_url()
                continue
            break
        if result is None:
            log.info("login cancelled: the program ends")
            return 0
        accounts = AccountService(self.db)
        # the feature modules (about a second of imports) were loading while the user
        # typed; whatever is left is imported now
        self._preload.finish()
        if result.must_change_password and not await self._forced_change(accounts, result):
            return 0
        if demo_mode:
            self.credentials = (self.demo.login, self.demo.password)
        if self.args.demo and not self.args.screenshot:  # a screenshot needs no calls
            await self._start_cti()
        self.show_main_window(result)
        # once the first paint and the panels' first loads are done
        QTimer.singleShot(3000, freeze_startup_objects)
        if self.args.screenshot:
            return await self._screenshot()
        await quit_event.wait()
        return 0

    def _handle_terminate(self) -> dict:
        """SIGTERM (a logout, a shutdown, a service manager) ends the program the way
        退出 does: the layout is saved and the CTI link logs out. Python runs the handler
        between bytecodes; the GUI-thread collector's timer makes sure that is soon."""
        loop = asyncio.get_running_loop()

        def handler(signum, _frame) -> None:
            log.info("signal %s: closing", signum)
            loop.call_soon_threadsafe(self._terminate)
        previous = {}
        for sig in (signal.SIGTERM,):
            try:
                previous[sig] = signal.signal(sig, handler)
            except (ValueError, OSError):  # not the main thread (tests), or no such signal
                pass
        return previous

    def _terminate(self) -> None:
        if self.window is not None:
            self.window.close()
            return
        for name in ("login_dialog", "password_dialog", "settings_dialog", "problem_box"):
            dlg = getattr(self, name, None)
            if dlg is not None and dlg.isVisible():
                dlg.reject()
        self.quit_event.set()

    # -- database -----------------------------------------------------------------------------
    async def _prepare_demo(self) -> DemoLogin:
        from agent_app.demodata import ensure_demo_database  # the demo's own data

        url = f"sqlite:///{home() / 'demo.sqlite3'}"
        info = await self.runner.call(ensure_demo_database, url)
        return DemoLogin(url, info.agent_login, info.agent_password)

    async def _open_database(self, url: str) -> Database | None:
        """Open and check the schema; on a known problem say what to do and offer the
        settings dialog. Returns None when the user quits."""
        while True:
            try:
                return await self.runner.call(open_checked, url)
            except Exception as exc:  # noqa: BLE001 - known errors shown, bugs re-raised
                known = known_error(exc)
                if known is None:
                    raise
                log.warning("database %s unusable: %s", database_label(url), exc)
                choice = await self._db_problem(error_text(known))
            if choice == "quit":
                return None
            if choice == "settings":
                await self.open_settings()
                if not (self.args.demo or self.args.screenshot):
                    url = self.settings.database_url()

    async def _db_problem(self, text: str) -> str:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Database"), text)
        box.setObjectName("databaseProblem")
        retry = box.addButton(self.tr("Retry"), QMessageBox.ButtonRole.AcceptRole)
        settings = box.addButton(self.tr("Settings…"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(self.tr("Quit"), QMessageBox.ButtonRole.RejectRole)
        self.problem_box = box
        await wait_finished(box)
        clicked = box.clickedButton()
        return "retry" if clicked is retry else "settings" if clicked is settings else "quit"

    async def _message(self, icon, text: str) -> None:
        box = QMessageBox(icon, self.tr("Agent desk"), text, QMessageBox.StandardButton.Ok)
        self.problem_box = box
        await wait_finished(box)

    async def open_settings(self) -> bool:
        from ui.dialogs.settings import WorkstationSettingsDialog

        dlg = WorkstationSettingsDialog(self.settings, self.runner, self.window)
        dlg.saved.connect(self._settings_saved)
        self.settings_dialog = dlg
        return await wait_finished(dlg) == QDialog.DialogCode.Accepted

    def _settings_saved(self, settings: WorkstationSettings) -> None:
        from ui import i18n

        lang = i18n.resolve(settings.language)
        i18n.install(lang, self.app)
        if self.window is not None:
            self.window.retranslate_ui()

    # -- login --------------------------------------------------------------------------------
    async def _demo_login(self, accounts: AccountService) -> LoginResult | None:
        try:
            return await self.runner.call(accounts.authenticate, self.demo.login,
                                          self.demo.password)
        except UserError as exc:
            await self._message(QMessageBox.Icon.Critical, error_text(exc))
            return None

    async def _login_dialog(self, accounts: AccountService):
        from ui.dialogs.login import LoginDialog

        url_before = self.settings.database_url()
        while True:
            dlg = LoginDialog(self.settings, self.runner, accounts,
                              database_label=database_label(url_before))
            self.login_dialog = dlg
            wants_settings: list[bool] = []

            def to_settings(d=dlg, flag=wants_settings) -> None:
                flag.append(True)
                d.reject()
            dlg.settings_requested.connect(to_settings)
            log.info("login dialog after %.0f ms", (time.perf_counter() - self.started_at) * 1000)
            if not self._preload.started:
                QTimer.singleShot(0, self._preload.start)  # after the dialog's first paint
            result = await wait_finished(dlg)
            if result == QDialog.DialogCode.Accepted:
                self.login_accepted_at = dlg.accepted_at
                self.credentials = (dlg.result_login.actor.login, dlg.password.text())
                return dlg.result_login
            if not wants_settings:
                return None
            await self.open_settings()
            if self.settings.database_url() != url_before:
                return "reconnect"

    async def _forced_change(self, accounts: AccountService, result: LoginResult) -> bool:
        from ui.dialogs.password import ChangePasswordDialog

        dlg = ChangePasswordDialog(self.runner, accounts, result.actor, forced=True)
        self.password_dialog = dlg
        if await wait_finished(dlg) != QDialog.DialogCode.Accepted:
            return False
        self.login_accepted_at = time.perf_counter()
        self.credentials = (result.actor.login, dlg.new.text())
        return True

    # -- main window --------------------------------------------------------------------------
    def show_main_window(self, result: LoginResult):
        from ui.main_window import MainWindow

        # The desk works in the CTI groups it logs in to: the actor carries them, so the
        # reminder services see this agent's groups without trusting an argument.
        actor = dataclasses.replace(result.actor, groups=tuple(self.settings.groups))
        ctx = AppContext(actor=actor, settings=self.settings, runner=self.runner,
                         services=Services(self.db), demo=self.demo is not None,
                         credentials=self.credentials, demo_server=self.cti_server)
        self.window = MainWindow(ctx, database_label=database_label(self.db.url))
        self.window.settings_requested.connect(self._settings_from_window)
        self.window.closed.connect(self._main_window_closed)
        from ui.dbwatch import DatabaseWatch

        self.db_watch = DatabaseWatch(self.runner, self.db, parent=self.window)
        self.db_watch.changed.connect(self.window.set_database_reachable)
        self.db_watch.moved.connect(self.window.set_database_server)
        self.window.closed.connect(self.db_watch.stop)
        if self.args.screenshot:
            self.window.resize(*self.args.size)
        elif not self.window.layout_restored:
            fit_to_screen(self.window)
        self.window.show()
        t0 = time.perf_counter()
        QTimer.singleShot(0, lambda: log.info(
            "main window shown for %s (%s), painted %.0f ms after the login was accepted",
            result.actor.login, result.actor.role,
            (time.perf_counter() - self.login_accepted_at) * 1000
            if self.login_accepted_at else (time.perf_counter() - t0) * 1000))
        return self.window

    def _main_window_closed(self) -> None:
        quit_event = getattr(self, "quit_event", None)
        if quit_event is not None:
            quit_event.set()

    def _settings_from_window(self) -> None:
        asyncio.ensure_future(self.open_settings())

    async def _screenshot(self) -> int:
        from ui.archives.base import ArchivePanel

        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            panels = [p for p in self.window.panels.values()
                      if isinstance(p, ArchivePanel) and p.isVisible()]
            if all(p.loaded for p in panels) and not self.runner.in_flight:
                break
            await asyncio.sleep(0.05)
        await self._screenshot_customer()
        await asyncio.sleep(0.2)  # let the last layout pass and paint happen
        ok = self.window.grab().save(self.args.screenshot, "PNG")
        log.info("screenshot %s: %s", self.args.screenshot, "written" if ok else "FAILED")
        self.window.close()
        return 0 if ok else 1

    async def _screenshot_customer(self, timeout: float = 10) -> None:
        """The working screen shows a customer: open the directory's newest one."""
        sales = self.window.features["sales"]
        deadline = time.perf_counter() + timeout
        while not sales.directory.loaded and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        if sales.directory.model.rowCount():
            await sales.open_customer(sales.directory.model.row_at(0).id)

    # -- the built-in CTI server for the demo ------------------------------------------------
    async def _start_cti(self) -> None:
        # imported here: only the demo runs the server in-process
        from agent_app.cti.embedded import start_embedded_server

        try:
            # off the GUI thread: it reads the database and waits for the server to listen
            server = await self.runner.call(start_embedded_server, db_url=self.db.url)
        except Exception:  # the demo still opens without calls
            log.exception("the built-in CTI server did not start")
            return
        self.cti_server = server
        # in memory only: the demo must not rewrite the workstation's saved settings
        # (plaintext: the built-in server runs without TLS, on loopback only)
        for attr, setting in (("host", "cti_host"), ("port", "cti_port"), ("seat", "seat"),
                              ("plaintext", "cti_plaintext")):
            value = getattr(server, attr, None)
            if value:
                setattr(self.settings, setting, value)
        log.info("built-in CTI server on %s:%s", self.settings.cti_host, self.settings.cti_port)

    async def _stop_cti(self) -> None:
        server, self.cti_server = self.cti_server, None
        if server is None:
            return
        # Synchronous on purpose: by now the last window has closed and Qt is quitting,
        # so the event loop may already be stopped; the window is gone, nothing to block.
        server.stop()

    @staticmethod
    def tr(text: str) -> str:
        from PySide6.QtCore import QCoreApplication

        return QCoreApplication.translate("Shell", text)
