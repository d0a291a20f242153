"""`agent-app --smoke-test`: does a build start? For installer builds (the PyInstaller
folder, an installed wheel), where a missing translation or style sheet shows no error,
only an English or unstyled window.

The program starts exactly as usual; this probe only watches. Once the login dialog is
on screen it checks what the user would see — the dialog's title in the chosen language,
a style sheet on the application — prints one line (also logged: a windowed Windows build
has no standard output), and cancels the dialog, which ends the program through its
ordinary path. Not shown within `timeout_s` (a database problem, a crash dialog): it says
what is showing instead and rejects the open dialogs, and the program exits 1.
"""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

log = logging.getLogger("agent_app.ui")

# The login dialog's title before translation; zh_CN must show something else ("登录").
SOURCE_TITLE = "Log in"


class SmokeProbe:
    def __init__(self, app: QApplication, lang: str, catalogs: list[str],
                 timeout_s: float = 60) -> None:
        self.app, self.lang, self.catalogs = app, lang, catalogs
        self.deadline = time.monotonic() + timeout_s
        self.ok = False
        self.timer = QTimer()
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._poll)

    def start(self) -> SmokeProbe:
        self.timer.start()
        return self

    def _say(self, line: str) -> None:
        print(line, flush=True)  # print() is a no-op where there is no stdout
        log.info(line)

    def _poll(self) -> None:
        shown = [w for w in self.app.topLevelWidgets() if w.isVisible()]
        login = next((w for w in shown if w.objectName() == "LoginDialog"), None)
        if login is not None:
            self.timer.stop()
            self._check(login)
            login.reject()
        elif time.monotonic() > self.deadline:
            self.timer.stop()
            names = "; ".join(
                f"{w.objectName() or type(w).__name__} {w.windowTitle()!r}"
                + (f" {w.text()!r}" if isinstance(w, QMessageBox) else "")
                for w in shown) or "nothing"
            self._say(f"smoke: FAILED: no login dialog; showing {names}")
            for w in shown:
                if isinstance(w, QDialog):
                    w.reject()

    def _check(self, login: QDialog) -> None:
        title = login.windowTitle()
        wanted = [f"agent_desk_{self.lang}.qm"]
        if self.lang != "en":  # Qt's own texts (standard buttons): a bundle may lack them
            wanted.append(f"qtbase_{self.lang}.qm")
        problems = [f"{qm} not loaded" for qm in wanted if qm not in self.catalogs]
        if self.lang != "en" and title == SOURCE_TITLE:
            problems.append(f"title {title!r} not translated")
        if not self.app.styleSheet().strip():
            problems.append("no style sheet")
        if problems:
            self._say(f"smoke: FAILED: login dialog shown, but {'; '.join(problems)}")
            return
        self.ok = True
        self._say(f"smoke: login dialog shown ({self.lang} translations loaded, style loaded)"
                  f" title={title!r}")
