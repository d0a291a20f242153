"""修改密码: change the password — voluntarily, or forced after a reset to the default."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from agent_app.services.accounts import AccountService
from agent_app.services.base import Actor
from ui.kit.forms import FieldErrors, submit
from ui.kit.tasks import task_slot
from ui.worker import DbRunner


class ChangePasswordDialog(QDialog):
    def __init__(self, runner: DbRunner, accounts: AccountService, actor: Actor, *,
                 forced: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChangePasswordDialog")
        self.runner, self.accounts, self.actor, self.forced = runner, accounts, actor, forced
        self.old = QLineEdit()
        self.new = QLineEdit()
        self.repeat = QLineEdit()
        for name, w in (("old_password", self.old), ("password", self.new),
                        ("repeat", self.repeat)):
            w.setObjectName(name)
            w.setEchoMode(QLineEdit.EchoMode.Password)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        form = QFormLayout()
        self.errors = FieldErrors(QLabel())
        self.cap_old = self.errors.add_row(form, "old_password", "", self.old)
        self.cap_new = self.errors.add_row(form, "password", "", self.new)
        self.cap_repeat = self.errors.add_row(form, "repeat", "", self.repeat)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addLayout(form)
        lay.addWidget(self.errors.general)
        lay.addWidget(self.buttons)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Change password"))
        self.intro.setText(self.tr(
            "Your password was reset. Choose a new password before you continue.")
            if self.forced else self.tr("Choose a new password."))
        self.cap_old.setText(self.tr("&Current password:"))
        self.cap_new.setText(self.tr("&New password:"))
        self.cap_repeat.setText(self.tr("&Repeat:"))

    @task_slot()
    async def submit(self) -> None:
        self.errors.clear()
        if self.new.text() != self.repeat.text():
            self.errors.show("repeat", self.tr("The two new passwords differ."))
            return
        ok, _ = await submit(self.errors, self.buttons, self.runner.call(
            self.accounts.change_password, self.actor, self.old.text(), self.new.text()))
        if ok:
            self.accept()
