"""系统配置: the workstation settings dialog, one widget per WorkstationSettings field.

"Test connection" runs agent_app.dbcheck.probe on a worker thread, so an unreachable
MySQL (5 s connect timeout) never freezes the window.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent_app.config import WorkstationSettings, default_sqlite_path
from agent_app.dbcheck import probe
from agent_app.errors import UserError
from db.engine import is_sqlite
from ui.errors import known_error
from ui.i18n import language_names
from ui.kit.forms import FieldErrors
from ui.kit.tasks import task_slot
from ui.worker import DbRunner

_GROUPS = re.compile(r"\d{1,8}(\s*,\s*\d{1,8})*")
_NUMBER = re.compile(r"[0-9*#]*")


class WorkstationSettingsDialog(QDialog):
    """Emits `saved(settings)` after writing workstation.json."""

    saved = Signal(object)

    def __init__(self, settings: WorkstationSettings, runner: DbRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WorkstationSettingsDialog")
        self.settings, self.runner = settings, runner
        self.errors = FieldErrors(QLabel())
        # -- data source
        self.use_sqlite = QRadioButton()
        self.use_mysql = QRadioButton()
        self.kind = QButtonGroup(self)
        self.kind.addButton(self.use_sqlite)
        self.kind.addButton(self.use_mysql)
        self.sqlite_path = QLineEdit()
        self.sqlite_path.setObjectName("sqlite_path")
        self.browse_db = QPushButton()
        self.mysql_url = QLineEdit()
        self.mysql_url.setObjectName("mysql_url")
        self.mysql_url.setPlaceholderText("mysql+pymysql://dbhost/agentdesk")
        self.test_button = QPushButton()
        self.test_button.setObjectName("testConnection")
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        src = settings.data_source
        if src and not is_sqlite(src):
            self.use_mysql.setChecked(True)
            self.mysql_url.setText(src)
        else:
            self.use_sqlite.setChecked(True)
            self.sqlite_path.setText(src.removeprefix("sqlite:///") if src
                                     else str(default_sqlite_path()))
        self.data_box = QGroupBox()
        dform = QFormLayout(self.data_box)
        path_row = QWidget()
        pl = QHBoxLayout(path_row)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.sqlite_path, 1)
        pl.addWidget(self.browse_db)
        dform.addRow(self.use_sqlite, path_row)
        dform.addRow(self.use_mysql, self.mysql_url)
        test_row = QWidget()
        tl = QHBoxLayout(test_row)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.test_button)
        tl.addWidget(self.test_result, 1)
        dform.addRow(test_row)
        dform.addRow(self.errors.add_label("data_source"))
        # -- CTI and this desk
        self.cti_host = QLineEdit(settings.cti_host)
        self.cti_host.setObjectName("cti_host")
        self.cti_port = QSpinBox()
        self.cti_port.setObjectName("cti_port")
        self.cti_port.setRange(1, 65535)
        self.cti_port.setValue(settings.cti_port)
        self.cti_plaintext = QCheckBox()
        self.cti_plaintext.setObjectName("cti_plaintext")
        self.cti_plaintext.setChecked(settings.cti_plaintext)
        self.cti_ca_file = QLineEdit(settings.cti_ca_file)
        self.cti_ca_file.setObjectName("cti_ca_file")
        self.cti_pin = QLabel()
        self.cti_pin.setObjectName("cti_pin")
        self.cti_pin.setWordWrap(True)
        self.cti_pin.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.forget_pin = QPushButton()
        self.forget_pin.setObjectName("forgetPin")
        self._pin = settings.cti_pin
        self.seat = QLineEdit(settings.seat)
        self.seat.setObjectName("seat")
        self.groups = QLineEdit(", ".join(settings.groups))
        self.groups.setObjectName("groups")
        self.caller_id = QLineEdit(settings.caller_id)
        self.caller_id.setObjectName("caller_id")
        self.recording_dir = QLineEdit(settings.recording_dir)
        self.recording_dir.setObjectName("recording_dir")
        self.recording_dir.setPlaceholderText(str(settings.recordings_folder()))
        self.browse_rec = QPushButton()
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, name in language_names().items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.speak = QCheckBox()
        self.speak.setChecked(settings.speak_reminders)
        self.desk_box = QGroupBox()
        form = QFormLayout(self.desk_box)
        self.cap = {}
        pin_row = QWidget()
        pr = QHBoxLayout(pin_row)
        pr.setContentsMargins(0, 0, 0, 0)
        pr.addWidget(self.cti_pin, 1)
        pr.addWidget(self.forget_pin)
        for field, widget in (("cti_host", self.cti_host), ("cti_port", self.cti_port),
                              ("cti_plaintext", self.cti_plaintext),
                              ("cti_ca_file", self.cti_ca_file), ("cti_pin", pin_row),
                              ("seat", self.seat),
                              ("groups", self.groups), ("caller_id", self.caller_id)):
            self.cap[field] = self.errors.add_row(form, field, "", widget)
        rec_row = QWidget()
        rl = QHBoxLayout(rec_row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.recording_dir, 1)
        rl.addWidget(self.browse_rec)
        self.cap["recording_dir"] = self.errors.add_row(form, "recording_dir", "", rec_row)
        self.cap["language"] = self.errors.add_row(form, "language", "", self.language)
        self.cap["speak"] = self.errors.add_row(form, "speak_reminders", "", self.speak)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self.test_connection)
        self.browse_db.clicked.connect(self._pick_db)
        self.browse_rec.clicked.connect(self._pick_rec)
        self.forget_pin.clicked.connect(self._forget_pin)
        self.use_sqlite.toggled.connect(self._sync_enabled)
        self._sync_enabled()
        self.setMinimumWidth(600)  # room for a MySQL URL and the Chinese captions
        lay = QVBoxLayout(self)
        lay.addWidget(self.data_box)
        lay.addWidget(self.desk_box)
        lay.addWidget(self.errors.general)
        lay.addWidget(self.buttons)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Workstation settings"))
        self.data_box.setTitle(self.tr("Data source"))
        self.desk_box.setTitle(self.tr("This workstation"))
        self.use_sqlite.setText(self.tr("Embedded SQLite file"))
        self.use_mysql.setText(self.tr("Shared MySQL URL"))
        self.browse_db.setText(self.tr("Browse…"))
        self.browse_rec.setText(self.tr("Browse…"))
        self.test_button.setText(self.tr("&Test connection"))
        labels = {"cti_host": self.tr("CTI server host:"), "cti_port": self.tr("CTI server port:"),
                  "cti_plaintext": self.tr("CTI without TLS (plaintext):"),
                  "cti_ca_file": self.tr("CTI server certificate file:"),
                  "cti_pin": self.tr("Trusted CTI certificate:"), "seat": self.tr("Seat number:"),
                  "groups": self.tr("Groups:"), "caller_id": self.tr("Default caller number:"),
                  "recording_dir": self.tr("Temporary recording folder:"),
                  "language": self.tr("Language:"), "speak": self.tr("Read reminders aloud:")}
        for field, text in labels.items():
            self.cap[field].setText(text)
        self.groups.setToolTip(self.tr("ACD groups, separated by commas, e.g. 21, 22"))
        self.mysql_url.setToolTip(self.tr(
            "The database server(s) and the database, without an account: each employee "
            "logs in with their own database account and password."))
        self.cti_ca_file.setPlaceholderText(self.tr("empty: trust the first certificate seen"))
        self.forget_pin.setText(self.tr("Forget"))
        self._show_pin()

    def _show_pin(self) -> None:
        # 32 colon-joined bytes never wrap by themselves and were cut off at the dialog's
        # edge: two lines of 16, the way an administrator reads them out to compare
        parts = self._pin.split(":")
        lines = [":".join(parts[i:i + 16]) for i in range(0, len(parts), 16)]
        self.cti_pin.setText("SHA-256\n" + "\n".join(lines) if self._pin
                             else self.tr("none yet (remembered at the first connection)"))
        self.forget_pin.setEnabled(bool(self._pin))

    def _forget_pin(self) -> None:
        """Saved with the rest: the next connection trusts and remembers the certificate
        the server then shows (after the administrator replaced it)."""
        self._pin = ""
        self._show_pin()

    def _sync_enabled(self) -> None:
        sqlite = self.use_sqlite.isChecked()
        self.sqlite_path.setEnabled(sqlite)
        self.browse_db.setEnabled(sqlite)
        self.mysql_url.setEnabled(not sqlite)

    def _pick_db(self) -> None:
        dlg = QFileDialog(self, self.tr("Database file"), self.sqlite_path.text())
        dlg.fileSelected.connect(self.sqlite_path.setText)
        dlg.open()

    def _pick_rec(self) -> None:
        dlg = QFileDialog(self, self.tr("Temporary recording folder"))
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.fileSelected.connect(self.recording_dir.setText)
        dlg.open()

    def data_source(self) -> str:
        if self.use_sqlite.isChecked():
            path = self.sqlite_path.text().strip()
            return "" if path in ("", str(default_sqlite_path())) else f"sqlite:///{path}"
        return self.mysql_url.text().strip()

    @task_slot()
    async def test_connection(self) -> None:
        url = self.data_source() or f"sqlite:///{default_sqlite_path()}"
        self.errors.clear()
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("Connecting…"))
        try:
            server = await self.runner.call(probe, url)
        except Exception as exc:  # noqa: BLE001 - known errors shown, bugs re-raised
            known = known_error(exc)
            if known is None:
                raise
            self.test_result.setText(self.tr("Failed."))
            self.errors.show_error(known if known.field else
                                   _as_field(known, "data_source"))
            return
        finally:
            self.test_button.setEnabled(True)
        self.test_result.setText(self.tr("Connected: {server}. The schema is up to date.")
                                 .format(server=server))

    def save(self) -> None:
        self.errors.clear()
        if self.use_mysql.isChecked() and not self.mysql_url.text().strip():
            self.errors.show("data_source", self.tr("Enter the MySQL URL."))
            return
        groups = self.groups.text().strip()
        if not _GROUPS.fullmatch(groups):
            self.errors.show("groups", self.tr("Enter group numbers separated by commas."))
            return
        for field, w in (("seat", self.seat), ("caller_id", self.caller_id)):
            if not _NUMBER.fullmatch(w.text().strip()):
                self.errors.show(field, self.tr("Use digits only."))
                return
        if not self.cti_host.text().strip():
            self.errors.show("cti_host", self.tr("Enter the CTI server's host name or address."))
            return
        s = self.settings
        host, port = self.cti_host.text().strip(), self.cti_port.value()
        if (host, port) != (s.cti_host, s.cti_port):
            self._pin = ""  # another server: its certificate is trusted at first use
        s.data_source = self.data_source()
        s.cti_host, s.cti_port = host, port
        s.cti_plaintext = self.cti_plaintext.isChecked()
        s.cti_ca_file = self.cti_ca_file.text().strip()
        s.cti_pin = self._pin
        s.seat = self.seat.text().strip()
        s.groups = [g.strip() for g in groups.split(",")]
        s.caller_id = self.caller_id.text().strip()
        s.recording_dir = self.recording_dir.text().strip()
        s.language = self.language.currentData() or ""
        s.speak_reminders = self.speak.isChecked()
        try:
            s.save()
        except OSError as exc:
            self.errors.show(None, self.tr("The settings could not be saved ({error}). "
                                           "Check that the disk is not full.").format(error=exc))
            return
        self.saved.emit(s)
        self.accept()


def _as_field(exc: UserError, field: str) -> UserError:
    """Show a connection error under the data source it concerns."""
    exc.field = field
    return exc
