"""Login, forced password change, workstation settings, crash dialog (pytest-qt offscreen)."""
from __future__ import annotations

import asyncio
import json

from PySide6.QtWidgets import QDialog

from agent_app.config import WorkstationSettings
from agent_app.errors import AuthFailed
from db.enums import EmployeeStatus
from tests.ui.helpers import until
from ui.dialogs.login import KEYRING_SERVICE, LoginDialog
from ui.dialogs.password import ChangePasswordDialog
from ui.dialogs.settings import WorkstationSettingsDialog
from ui.errors import error_text


def _login(qtbot, aloop, runner, accounts, login, password, remember=False):
    settings = WorkstationSettings()
    dlg = LoginDialog(settings, runner, accounts)
    qtbot.addWidget(dlg)
    dlg.open()
    dlg.login.setText(login)
    dlg.password.setText(password)
    dlg.remember.setChecked(remember)

    async def scenario():
        await dlg.submit()
        await until(lambda: not runner.in_flight and dlg.ok.isEnabled())
    aloop.run_until_complete(scenario())
    return dlg, settings


def test_wrong_password_keeps_dialog_open_with_message(qtbot, aloop, runner, accounts,
                                                       memory_keyring):
    dlg, settings = _login(qtbot, aloop, runner, accounts, "0001", "wrong")
    assert dlg.isVisible() and dlg.result_login is None
    assert dlg.errors.general.text() == error_text(AuthFailed())
    assert WorkstationSettings.load().last_login == ""  # nothing remembered on failure


def test_banned_login_reads_like_a_wrong_password(qtbot, aloop, runner, accounts, make_ctx,
                                                  memory_keyring):
    admin = make_ctx().actor
    op = [e for e in accounts.list_employees(admin) if e.login == "1001"][0]
    accounts.set_status(admin, op.id, EmployeeStatus.BANNED)
    dlg, _ = _login(qtbot, aloop, runner, accounts, "1001", "pass1234")
    assert dlg.isVisible() and dlg.errors.general.text() == "Wrong login or password."


def test_login_remembers_login_and_password_only_when_asked(qtbot, aloop, runner, accounts,
                                                            memory_keyring):
    dlg, _ = _login(qtbot, aloop, runner, accounts, "1001", "pass1234")
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.result_login.actor.login == "1001"
    saved = json.loads(WorkstationSettings.path().read_text(encoding="utf-8"))
    assert saved["last_login"] == "1001" and "pass1234" not in json.dumps(saved)
    assert memory_keyring.store == {}
    _login(qtbot, aloop, runner, accounts, "1001", "pass1234", remember=True)
    assert memory_keyring.store == {(KEYRING_SERVICE, "1001"): "pass1234"}
    again = LoginDialog(WorkstationSettings.load(), runner, accounts)
    qtbot.addWidget(again)
    assert again.login.text() == "1001" and again.password.text() == "pass1234"
    _login(qtbot, aloop, runner, accounts, "1001", "pass1234", remember=False)
    assert memory_keyring.store == {}  # unticking forgets it


def test_empty_fields_are_flagged_without_a_database_call(qtbot, aloop, runner, accounts,
                                                         memory_keyring):
    dlg, _ = _login(qtbot, aloop, runner, accounts, "", "")
    assert dlg.errors.labels["login"].text() == "Enter your login."
    assert dlg.errors.labels["login"].isVisible()


def test_must_change_password_flow(qtbot, aloop, runner, accounts, make_ctx, memory_keyring):
    admin = make_ctx().actor
    op = [e for e in accounts.list_employees(admin) if e.login == "1001"][0]
    accounts.reset_password(admin, op.id)
    dlg, _ = _login(qtbot, aloop, runner, accounts, "1001", "8888")
    result = dlg.result_login
    assert result.must_change_password
    change = ChangePasswordDialog(runner, accounts, result.actor, forced=True)
    qtbot.addWidget(change)
    change.open()

    async def attempt(old, new, repeat):
        change.old.setText(old)
        change.new.setText(new)
        change.repeat.setText(repeat)
        await change.submit()
        await until(lambda: not runner.in_flight and change.buttons.isEnabled())

    aloop.run_until_complete(attempt("8888", "newpass1", "newpass2"))
    assert change.errors.labels["repeat"].text() == "The two new passwords differ."
    aloop.run_until_complete(attempt("8888", "abc", "abc"))
    assert change.errors.labels["password"].text() == "The password needs at least 6 characters."
    aloop.run_until_complete(attempt("wrong", "newpass1", "newpass1"))
    assert change.errors.labels["old_password"].text() == "The current password is wrong."
    assert change.isVisible()
    aloop.run_until_complete(attempt("8888", "newpass1", "newpass1"))
    assert change.result() == QDialog.DialogCode.Accepted
    assert not accounts.authenticate("1001", "newpass1").must_change_password


def test_settings_dialog_saves_every_field(qtbot, runner, tmp_path):
    s = WorkstationSettings()
    dlg = WorkstationSettingsDialog(s, runner)
    qtbot.addWidget(dlg)
    dlg.use_mysql.setChecked(True)
    dlg.mysql_url.setText("mysql+pymysql://agent:pw@db.example/agent_desk")
    dlg.cti_host.setText("cti.example")
    dlg.cti_port.setValue(7001)
    dlg.seat.setText("8001")
    dlg.groups.setText("21, 22")
    dlg.caller_id.setText("057188886666")
    dlg.recording_dir.setText(str(tmp_path / "rec"))
    dlg.language.setCurrentIndex(dlg.language.findData("zh_CN"))
    with qtbot.waitSignal(dlg.saved):
        dlg.save()
    loaded = WorkstationSettings.load()
    assert loaded.data_source == "mysql+pymysql://agent:pw@db.example/agent_desk"
    assert (loaded.cti_host, loaded.cti_port, loaded.seat) == ("cti.example", 7001, "8001")
    assert loaded.groups == ["21", "22"] and loaded.caller_id == "057188886666"
    assert loaded.recording_dir == str(tmp_path / "rec") and loaded.language == "zh_CN"


def test_settings_dialog_cti_security(qtbot, runner, tmp_path):
    """TLS unless 'plaintext' is ticked; the certificate file; the pinned fingerprint shown,
    forgotten by its button, and by a change of server (its first connection pins anew)."""
    pin = "AB:" * 31 + "CD"
    s = WorkstationSettings(cti_host="cti.example", cti_pin=pin)
    dlg = WorkstationSettingsDialog(s, runner)
    qtbot.addWidget(dlg)
    shown = dlg.cti_pin.text()  # two lines of 16 bytes: all of it fits the dialog
    assert not dlg.cti_plaintext.isChecked() and shown.split("\n")[1:] == [
        ":".join(pin.split(":")[:16]), ":".join(pin.split(":")[16:])]
    assert dlg.forget_pin.isEnabled()
    dlg.cti_ca_file.setText(str(tmp_path / "ctid-cert.pem"))
    with qtbot.waitSignal(dlg.saved):
        dlg.save()
    loaded = WorkstationSettings.load()
    assert loaded.cti_pin == pin and loaded.cti_ca_file == str(tmp_path / "ctid-cert.pem")
    assert not loaded.cti_plaintext
    dlg = WorkstationSettingsDialog(loaded, runner)
    qtbot.addWidget(dlg)
    dlg.forget_pin.click()
    assert "AB:AB" not in dlg.cti_pin.text() and not dlg.forget_pin.isEnabled()
    assert WorkstationSettings.load().cti_pin == pin  # nothing saved before Save
    dlg.cti_plaintext.setChecked(True)
    with qtbot.waitSignal(dlg.saved):
        dlg.save()
    loaded = WorkstationSettings.load()
    assert loaded.cti_pin == "" and loaded.cti_plaintext
    loaded.cti_pin = pin
    loaded.save()
    dlg = WorkstationSettingsDialog(loaded, runner)
    qtbot.addWidget(dlg)
    dlg.cti_host.setText("cti2.example")
    with qtbot.waitSignal(dlg.saved):
        dlg.save()
    assert WorkstationSettings.load().cti_pin == ""


def test_settings_dialog_refuses_bad_input_and_saves_nothing(qtbot, runner):
    dlg = WorkstationSettingsDialog(WorkstationSettings(), runner)
    qtbot.addWidget(dlg)
    dlg.groups.setText("21; x")
    dlg.save()
    assert dlg.errors.labels["groups"].text() == "Enter group numbers separated by commas."
    dlg.groups.setText("21")
    dlg.seat.setText("80a1")
    dlg.save()
    assert dlg.errors.labels["seat"].text() == "Use digits only."
    dlg.seat.setText("")
    dlg.use_mysql.setChecked(True)
    dlg.save()
    assert dlg.errors.labels["data_source"].text() == "Enter the MySQL URL."
    assert not WorkstationSettings.path().exists()


def test_test_connection_runs_off_the_gui_thread_and_explains(qtbot, aloop, runner, tmp_path):
    dlg = WorkstationSettingsDialog(WorkstationSettings(), runner)
    qtbot.addWidget(dlg)
    dlg.sqlite_path.setText(str(tmp_path / "missing.sqlite3"))

    async def scenario():
        task = dlg.test_connection()
        await asyncio.sleep(0)  # the slot's first step: it now awaits the worker thread
        assert not dlg.test_button.isEnabled()  # the GUI is free while it runs
        await task
    aloop.run_until_complete(scenario())
    assert "does not exist" in dlg.errors.labels["data_source"].text()
    assert not (tmp_path / "missing.sqlite3").exists()  # SQLite did not create it


def test_crash_reporter_opens_one_dialog(qtbot, aloop):
    from ui.crash import CrashReporter, RingBuffer

    ring = RingBuffer()
    reporter = CrashReporter(ring)
    import logging
    logging.getLogger().addHandler(ring)
    try:
        for n in (1, 2):
            try:
                raise RuntimeError(f"bug number {n}")
            except RuntimeError as exc:
                reporter.report(type(exc), exc, exc.__traceback__, where="test")
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
        qtbot.waitUntil(lambda: "bug number 2" in reporter.dialog.report())
        dialog = reporter.dialog
        assert "bug number 1" in dialog.report() and len(dialog.errors) == 2
        assert "unexpected error (test)" in dialog.text.toPlainText()  # recent log lines
        dialog.close()
    finally:
        logging.getLogger().removeHandler(ring)
