"""登录: the login dialog. Remembers the last login name in the workstation settings; the
password only in the OS keyring, and only when the user ticks "remember" (never in files).

The password check runs on a worker thread (argon2 takes ~50 ms, the database may be
remote); the dialog stays responsive and shows the service's message under the form.
"""
from __future__ import annotations

import logging
import time

import keyring
from keyring.errors import KeyringError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.config import WorkstationSettings
from agent_app.errors import UserError
from agent_app.services.accounts import AccountService, LoginResult
from ui.kit.forms import FieldErrors
from ui.kit.tasks import task_slot
from ui.worker import DbRunner

log = logging.getLogger(__name__)
KEYRING_SERVICE = "agent-desk"


def keyring_get(login: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, login)
    except KeyringError as exc:  # no backend on this system: behave as "not remembered"
        log.info("keyring unavailable: %s", exc)
        return None


def keyring_set(login: str, password: str | None) -> None:
    try:
        if password is None:
            if keyring.get_password(KEYRING_SERVICE, login) is not None:
                keyring.delete_password(KEYRING_SERVICE, login)
        else:
            keyring.set_password(KEYRING_SERVICE, login, password)
    except KeyringError as exc:
        log.info("keyring unavailable: %s", exc)


class LoginDialog(QDialog):
    """Accepted once a login succeeded; `result_login` then holds the LoginResult."""

    settings_requested = Signal()

    def __init__(self, settings: WorkstationSettings, runner: DbRunner,
                 accounts: AccountService, parent: QWidget | None = None,
                 database_label: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("LoginDialog")
        self.settings = settings
        self.runner = runner
        self.accounts = accounts
        self.result_login: LoginResult | None = None
        self.accepted_at: float | None = None
        self.login = QLineEdit(settings.last_login)
        self.login.setObjectName("login")
        self.login.setMaxLength(32)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox()
        self.remember.setObjectName("remember")
        self.remember.setChecked(settings.remember_password)
        self.database = QLabel(database_label)
        self.database.setObjectName("loginDatabase")
        self.database.setProperty("role", "hint")
        form = QFormLayout()
        self.errors = FieldErrors(QLabel())
        self.cap_login = self.errors.add_row(form, "login", "", self.login)
        self.cap_password = self.errors.add_row(form, "password", "", self.password)
        form.addRow("", self.remember)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("loginButton")
        self.settings_button = QPushButton()
        self.settings_button.setObjectName("settingsButton")
        self.buttons.addButton(self.settings_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.settings_button.clicked.connect(self.settings_requested)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("loginHeading")
        lay.addWidget(self.heading)
        lay.addLayout(form)
        lay.addWidget(self.errors.general)
        lay.addWidget(self.database)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(360)
        self.retranslate_ui()
        if settings.remember_password and settings.last_login:
            stored = keyring_get(settings.last_login)
            if stored:
                self.password.setText(stored)
        (self.password if settings.last_login else self.login).setFocus()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Log in"))
        self.heading.setText(self.tr("Agent desk"))
        self.cap_login.setText(self.tr("&Login:"))
        self.cap_password.setText(self.tr("&Password:"))
        self.remember.setText(self.tr("&Remember the password on this computer"))
        self.ok.setText(self.tr("Log in"))
        self.settings_button.setText(self.tr("&Settings…"))

    def set_busy(self, busy: bool) -> None:
        for w in (self.login, self.password, self.ok, self.settings_button, self.remember):
            w.setEnabled(not busy)

    @task_slot()
    async def submit(self) -> None:
        self.errors.clear()
        login, password = self.login.text().strip(), self.password.text()
        if not login:
            self.errors.show("login", self.tr("Enter your login."))
            return
        if not password:
            self.errors.show("password", self.tr("Enter your password."))
            return
        self.set_busy(True)
        self.accepted_at = time.perf_counter()  # the user's Return: login-to-window figure
        try:
            result = await self.runner.call(self.accounts.authenticate, login, password)
        except UserError as exc:
            # enabled again first: focus cannot go to a disabled field, and the user's
            # next keystrokes (the corrected password) would land on the Cancel button
            self.set_busy(False)
            self.errors.show_error(exc)
            self.password.selectAll()
            self.password.setFocus()
            return
        self.set_busy(False)
        remember = self.remember.isChecked()
        self.settings.last_login = login
        self.settings.remember_password = remember
        try:
            self.settings.save()
        except OSError as exc:  # a full or read-only disk must not stop the login
            log.warning("cannot save workstation settings: %s", exc)
        await self.runner.call(keyring_set, login, password if remember else None)
        self.result_login = result
        self.accept()
